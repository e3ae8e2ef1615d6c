//! The CMAF header: `ftyp` + `moov` with one `trak` per track and `mvex`/`trex`, no samples.

use super::avc1::write_avc1;
use super::mp4a::{write_mp3, write_mp4a};
use super::opus::write_opus;
use super::visual::{check_record, write_visual_entry};
use super::writer::{write_box, write_full_box, write_mp4_box};
use crate::error::MuxError;
use crate::track::{Codec, InitSegment, MediaParams, TrackInfo};
use mp4::{FourCC, FtypBox};

/// `tkhd` flags: track_enabled | track_in_movie | track_in_preview.
const TKHD_ENABLED_IN_MOVIE_IN_PREVIEW: u32 = 0x7;
/// `url ` flag meaning "the media data is in this file".
const DREF_SELF_CONTAINED: u32 = 0x1;
/// `vmhd` flags must be 1.
const VMHD_FLAGS: u32 = 0x1;
/// Movie timescale: the movie header carries no times of its own in a fragmented file.
const MOVIE_TIMESCALE: u32 = 1000;
/// The identity transformation matrix of `mvhd` and `tkhd`.
const IDENTITY_MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];
/// ISO-639-2/T "und", packed as three 5-bit letters.
const LANGUAGE_UND: u16 = 0x55c4;

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_matrix(out: &mut Vec<u8>) {
    for v in IDENTITY_MATRIX {
        put_u32(out, v);
    }
}

/// `mvhd` version 0: no duration (fragments carry the media).
fn write_mvhd(out: &mut Vec<u8>, next_track_id: u32) -> Result<(), MuxError> {
    write_full_box(out, b"mvhd", 0, 0, |out| {
        put_u32(out, 0); // creation_time
        put_u32(out, 0); // modification_time
        put_u32(out, MOVIE_TIMESCALE);
        put_u32(out, 0); // duration
        put_u32(out, 0x0001_0000); // rate 1.0
        put_u16(out, 0x0100); // volume 1.0
        out.extend_from_slice(&[0; 10]); // reserved
        put_matrix(out);
        out.extend_from_slice(&[0; 24]); // pre_defined
        put_u32(out, next_track_id);
        Ok(())
    })
}

/// `tkhd` version 0.
fn write_tkhd(out: &mut Vec<u8>, track: &TrackInfo) -> Result<(), MuxError> {
    write_full_box(out, b"tkhd", 0, TKHD_ENABLED_IN_MOVIE_IN_PREVIEW, |out| {
        put_u32(out, 0); // creation_time
        put_u32(out, 0); // modification_time
        put_u32(out, track.id);
        put_u32(out, 0); // reserved
        put_u32(out, 0); // duration
        out.extend_from_slice(&[0; 8]); // reserved
        put_u16(out, 0); // layer
        let (alternate_group, volume, width, height) = match track.params {
            MediaParams::Video { width, height } => (0, 0, width, height),
            MediaParams::Audio { .. } => (1, 0x0100, 0, 0),
        };
        put_u16(out, alternate_group);
        put_u16(out, volume);
        put_u16(out, 0); // reserved
        put_matrix(out);
        put_u32(out, u32::from(width) << 16); // 16.16
        put_u32(out, u32::from(height) << 16);
        Ok(())
    })
}

/// `mdhd` version 0.
fn write_mdhd(out: &mut Vec<u8>, timescale: u32) -> Result<(), MuxError> {
    write_full_box(out, b"mdhd", 0, 0, |out| {
        put_u32(out, 0); // creation_time
        put_u32(out, 0); // modification_time
        put_u32(out, timescale);
        put_u32(out, 0); // duration
        put_u16(out, LANGUAGE_UND);
        put_u16(out, 0); // pre_defined
        Ok(())
    })
}

/// `hdlr` with a null-terminated name.
fn write_hdlr(out: &mut Vec<u8>, handler: &[u8; 4], name: &str) -> Result<(), MuxError> {
    write_full_box(out, b"hdlr", 0, 0, |out| {
        put_u32(out, 0); // pre_defined
        out.extend_from_slice(handler);
        out.extend_from_slice(&[0; 12]); // reserved
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        Ok(())
    })
}

/// `trex`: defaults that every fragment overrides.
fn write_trex(out: &mut Vec<u8>, track_id: u32) -> Result<(), MuxError> {
    write_full_box(out, b"trex", 0, 0, |out| {
        put_u32(out, track_id);
        put_u32(out, 1); // default_sample_description_index
        put_u32(out, 0); // default_sample_duration
        put_u32(out, 0); // default_sample_size
        put_u32(out, 0); // default_sample_flags
        Ok(())
    })
}

/// Writes a CMAF init segment for these tracks.
pub fn write_init(init: &InitSegment) -> Result<Vec<u8>, MuxError> {
    if init.tracks.is_empty() {
        return Err(MuxError::InvalidConfig(
            "an init segment needs a track".into(),
        ));
    }
    let mut out = Vec::with_capacity(1024);
    let ftyp = FtypBox {
        major_brand: FourCC::from(*b"iso6"),
        minor_version: 0,
        compatible_brands: vec![
            FourCC::from(*b"iso6"),
            FourCC::from(*b"cmfc"),
            FourCC::from(*b"mp41"),
        ],
    };
    write_mp4_box(&mut out, "ftyp", &ftyp)?;
    write_box(&mut out, b"moov", |out| {
        let next_track_id = init.tracks.iter().map(|t| t.id).max().unwrap_or(0) + 1;
        write_mvhd(out, next_track_id)?;
        for track in &init.tracks {
            write_trak(out, track)?;
        }
        write_box(out, b"mvex", |out| {
            for track in &init.tracks {
                write_trex(out, track.id)?;
            }
            Ok(())
        })
    })?;
    Ok(out)
}

fn write_trak(out: &mut Vec<u8>, track: &TrackInfo) -> Result<(), MuxError> {
    if track.id == 0 || track.timescale == 0 {
        return Err(MuxError::InvalidConfig(format!(
            "track id {} with timescale {}: both must be at least 1",
            track.id, track.timescale
        )));
    }
    write_box(out, b"trak", |out| {
        write_tkhd(out, track)?;
        write_box(out, b"mdia", |out| {
            write_mdhd(out, track.timescale)?;
            let (handler, name) = if track.is_video() {
                (b"vide", "OnAir video")
            } else {
                (b"soun", "OnAir audio")
            };
            write_hdlr(out, handler, name)?;
            write_box(out, b"minf", |out| {
                if track.is_video() {
                    write_full_box(out, b"vmhd", 0, VMHD_FLAGS, |out| {
                        out.extend_from_slice(&[0; 8]); // graphicsmode, opcolor
                        Ok(())
                    })?;
                } else {
                    write_full_box(out, b"smhd", 0, 0, |out| {
                        out.extend_from_slice(&[0; 4]); // balance, reserved
                        Ok(())
                    })?;
                }
                write_box(out, b"dinf", |out| {
                    write_full_box(out, b"dref", 0, 0, |out| {
                        out.extend_from_slice(&1u32.to_be_bytes());
                        write_full_box(out, b"url ", 0, DREF_SELF_CONTAINED, |_| Ok(()))
                    })
                })?;
                write_stbl(out, track)
            })
        })
    })
}

/// `stbl` with the sample description and empty sample tables (samples live in fragments).
fn write_stbl(out: &mut Vec<u8>, track: &TrackInfo) -> Result<(), MuxError> {
    write_box(out, b"stbl", |out| {
        write_full_box(out, b"stsd", 0, 0, |out| {
            out.extend_from_slice(&1u32.to_be_bytes());
            write_sample_entry(out, track)
        })?;
        for fourcc in [b"stts", b"stsc", b"stco"] {
            write_full_box(out, fourcc, 0, 0, |out| {
                out.extend_from_slice(&0u32.to_be_bytes());
                Ok(())
            })?;
        }
        write_full_box(out, b"stsz", 0, 0, |out| {
            out.extend_from_slice(&0u32.to_be_bytes()); // sample_size
            out.extend_from_slice(&0u32.to_be_bytes()); // sample_count
            Ok(())
        })
    })
}

fn write_sample_entry(out: &mut Vec<u8>, track: &TrackInfo) -> Result<(), MuxError> {
    match (&track.codec, track.params) {
        (Codec::Avc { avcc }, MediaParams::Video { width, height }) => {
            write_avc1(out, width, height, avcc)
        }
        (Codec::Hevc { hvcc }, MediaParams::Video { width, height }) => {
            check_record("hvcC", hvcc, 23, |b| b == 1)?;
            write_visual_entry(out, b"hvc1", b"hvcC", width, height, hvcc)
        }
        (Codec::Vp9 { vpcc }, MediaParams::Video { width, height }) => {
            check_record("vpcC", vpcc, 12, |b| b == 1)?;
            write_visual_entry(out, b"vp09", b"vpcC", width, height, vpcc)
        }
        (Codec::Av1 { av1c }, MediaParams::Video { width, height }) => {
            check_record("av1C", av1c, 4, |b| b == 0x81)?;
            write_visual_entry(out, b"av01", b"av1C", width, height, av1c)
        }
        (Codec::Opus { dops }, MediaParams::Audio { channels, .. }) => {
            write_opus(out, channels, dops)
        }
        (
            Codec::Aac { asc },
            MediaParams::Audio {
                channels,
                sample_rate,
            },
        ) => write_mp4a(out, track.id, channels, sample_rate, asc),
        (
            Codec::Mp3,
            MediaParams::Audio {
                channels,
                sample_rate,
            },
        ) => write_mp3(out, track.id, channels, sample_rate),
        _ => Err(MuxError::InvalidConfig(format!(
            "track {}: codec {} does not match its media kind",
            track.id,
            track.codec_string()
        ))),
    }
}
