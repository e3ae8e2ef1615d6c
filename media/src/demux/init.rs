//! Reading an init segment (`ftyp` + `moov`) into an [`InitSegment`].

use super::reader::{fourcc_str, require, BoxRef, Boxes, Fields};
use crate::error::DemuxError;
use crate::mux::mp4a::{OBJECT_TYPE_MPEG1_AUDIO, OBJECT_TYPE_MPEG2_AUDIO};
use crate::track::{Codec, InitSegment, MediaParams, TrackInfo};

/// Bytes of the fixed part of a `VisualSampleEntry` before its child boxes.
const VISUAL_SAMPLE_ENTRY_FIELDS: usize = 78;
/// The most tracks an init segment may have.
const MAX_TRACKS: usize = 16;

/// Reads an init segment: every track's id, timescale, codec configuration and size or channels.
///
/// Fails on anything that is not a fragmented MP4 header OnAir can carry: no `moov`, no `mvex` (not
/// fragmented), a track without its boxes, a codec other than H.264, H.265, VP9, AV1, AAC, MP3 or Opus.
pub fn parse_init(data: &[u8]) -> Result<InitSegment, DemuxError> {
    if data.len() < 8 {
        return Err(DemuxError::NotMp4(format!(
            "{} bytes is too short for a box",
            data.len()
        )));
    }
    let mut moov = None;
    for b in Boxes::new(data, 0) {
        let b = b.map_err(not_mp4_if_first)?;
        match &b.fourcc {
            b"moov" => moov = Some(b),
            b"ftyp" | b"styp" | b"free" | b"skip" | b"uuid" | b"sidx" | b"prft" => {}
            b"moof" | b"mdat" => break,
            other if b.start == 0 => {
                return Err(DemuxError::NotMp4(format!(
                    "first box is '{}', expected 'ftyp' or 'moov'",
                    fourcc_str(other)
                )))
            }
            _ => {}
        }
    }
    let moov = moov.ok_or(DemuxError::Missing {
        fourcc: "moov",
        parent: "init segment",
    })?;
    require(&moov, "moov", b"mvex", "mvex")?;
    let mut tracks = Vec::new();
    for child in Boxes::new(moov.body, moov.body_start) {
        let child = child?;
        if child.is(b"trak") {
            if tracks.len() == MAX_TRACKS {
                return Err(DemuxError::TooLarge {
                    what: "tracks",
                    size: MAX_TRACKS as u64 + 1,
                    limit: MAX_TRACKS as u64,
                });
            }
            tracks.push(parse_trak(&child)?);
        }
    }
    if tracks.is_empty() {
        return Err(DemuxError::Missing {
            fourcc: "trak",
            parent: "moov",
        });
    }
    for (i, t) in tracks.iter().enumerate() {
        if tracks.iter().skip(i + 1).any(|u| u.id == t.id) {
            return Err(DemuxError::Invalid {
                fourcc: "tkhd",
                offset: moov.start,
                reason: format!("track id {} appears twice", t.id),
            });
        }
    }
    Ok(InitSegment { tracks })
}

/// A first box that does not parse means the input is not MP4 at all.
fn not_mp4_if_first(e: DemuxError) -> DemuxError {
    match e {
        DemuxError::Truncated { offset: 0, .. } | DemuxError::BadSize { offset: 0, .. } => {
            DemuxError::NotMp4(e.to_string())
        }
        e => e,
    }
}

fn parse_trak(trak: &BoxRef) -> Result<TrackInfo, DemuxError> {
    let tkhd = require(trak, "trak", b"tkhd", "tkhd")?;
    let mut f = Fields::new(&tkhd, "tkhd");
    let (version, _) = f.version_flags()?;
    f.skip(
        if version == 1 { 16 } else { 8 },
        "creation/modification time",
    )?;
    let id = f.u32("track_ID")?;
    if id == 0 {
        return Err(DemuxError::Invalid {
            fourcc: "tkhd",
            offset: tkhd.start,
            reason: "track_ID 0".into(),
        });
    }
    let mdia = require(trak, "trak", b"mdia", "mdia")?;
    let mdhd = require(&mdia, "mdia", b"mdhd", "mdhd")?;
    let mut f = Fields::new(&mdhd, "mdhd");
    let (version, _) = f.version_flags()?;
    f.skip(
        if version == 1 { 16 } else { 8 },
        "creation/modification time",
    )?;
    let timescale = f.u32("timescale")?;
    if timescale == 0 {
        return Err(DemuxError::Invalid {
            fourcc: "mdhd",
            offset: mdhd.start,
            reason: "timescale 0".into(),
        });
    }
    let hdlr = require(&mdia, "mdia", b"hdlr", "hdlr")?;
    let mut f = Fields::new(&hdlr, "hdlr");
    f.version_flags()?;
    f.skip(4, "pre_defined")?;
    let handler = f.bytes(4, "handler_type")?;
    let minf = require(&mdia, "mdia", b"minf", "minf")?;
    let stbl = require(&minf, "minf", b"stbl", "stbl")?;
    let stsd = require(&stbl, "stbl", b"stsd", "stsd")?;
    let mut f = Fields::new(&stsd, "stsd");
    f.version_flags()?;
    let count = f.u32("entry_count")?;
    if count == 0 {
        return Err(DemuxError::Missing {
            fourcc: "sample entry",
            parent: "stsd",
        });
    }
    let entries_start = stsd.body_start + f.position();
    let entry = Boxes::new(f.rest(), entries_start)
        .next()
        .ok_or(DemuxError::Missing {
            fourcc: "sample entry",
            parent: "stsd",
        })??;
    let (codec, params) = match (handler, &entry.fourcc) {
        (b"vide", b"avc1" | b"avc3") => parse_visual(&entry, b"avcC", "avcC")?,
        (b"vide", b"hvc1" | b"hev1") => parse_visual(&entry, b"hvcC", "hvcC")?,
        (b"vide", b"vp09") => parse_visual(&entry, b"vpcC", "vpcC")?,
        (b"vide", b"av01") => parse_visual(&entry, b"av1C", "av1C")?,
        (b"soun", b"Opus") => parse_audio_entry(&entry, b"dOps", "dOps")?,
        (b"soun", b"mp4a") => parse_audio_entry(&entry, b"esds", "esds")?,
        (_, other) => return Err(DemuxError::UnsupportedCodec(fourcc_str(other))),
    };
    Ok(TrackInfo {
        id,
        timescale,
        codec,
        params,
    })
}

/// A visual sample entry and its configuration record (`avcC`, `hvcC`, `vpcC` or `av1C`).
fn parse_visual(
    entry: &BoxRef,
    config: &'static [u8; 4],
    config_name: &'static str,
) -> Result<(Codec, MediaParams), DemuxError> {
    let mut f = Fields::new(entry, "visual sample entry");
    f.skip(24, "reserved")?;
    let width = f.u16("width")?;
    let height = f.u16("height")?;
    f.skip(
        VISUAL_SAMPLE_ENTRY_FIELDS - 28,
        "resolution, compressorname, depth",
    )?;
    let children_start = entry.body_start + f.position();
    let children = f.rest();
    let holder = BoxRef {
        fourcc: entry.fourcc,
        start: entry.start,
        body_start: children_start,
        body: children,
    };
    let record = require(&holder, "visual sample entry", config, config_name)?;
    let body = record.body.to_vec();
    // Minimum sizes and version bytes of each record (ISO/IEC 14496-15; VP and AV1 ISOBMFF bindings).
    let (min_len, version_ok) = match config {
        b"avcC" => (7, body.first() == Some(&1)),
        b"hvcC" => (23, body.first() == Some(&1)),
        b"vpcC" => (12, body.first() == Some(&1)),
        _ => (4, body.first() == Some(&0x81)),
    };
    if body.len() < min_len || !version_ok {
        return Err(DemuxError::Invalid {
            fourcc: config_name,
            offset: record.start,
            reason: format!("not a version 1 {config_name} record"),
        });
    }
    if width == 0 || height == 0 {
        return Err(DemuxError::Invalid {
            fourcc: "visual sample entry",
            offset: entry.start,
            reason: format!("picture size {width}x{height}"),
        });
    }
    let codec = match config {
        b"avcC" => Codec::Avc { avcc: body },
        b"hvcC" => Codec::Hevc { hvcc: body },
        b"vpcC" => Codec::Vp9 { vpcc: body },
        _ => Codec::Av1 { av1c: body },
    };
    Ok((codec, MediaParams::Video { width, height }))
}

fn parse_audio_entry(
    entry: &BoxRef,
    config: &'static [u8; 4],
    config_name: &'static str,
) -> Result<(Codec, MediaParams), DemuxError> {
    let name = if entry.is(b"Opus") { "Opus" } else { "mp4a" };
    let mut f = Fields::new(entry, name);
    f.skip(8, "reserved, data_reference_index")?;
    let version = f.u16("version")?;
    f.skip(6, "reserved")?;
    let mut channels = f.u16("channelcount")?;
    f.skip(6, "samplesize, reserved")?;
    let rate_fixed = f.u32("samplerate")?;
    // QuickTime sound description versions 1 and 2 carry more fields before the children.
    match version {
        0 => {}
        1 => f.skip(16, "sound description v1")?,
        2 => f.skip(36, "sound description v2")?,
        v => {
            return Err(DemuxError::Invalid {
                fourcc: "mp4a",
                offset: entry.start,
                reason: format!("sound description version {v}"),
            })
        }
    }
    let holder = BoxRef {
        fourcc: entry.fourcc,
        start: entry.start,
        body_start: entry.body_start + f.position(),
        body: f.rest(),
    };
    let cfg = require(&holder, name, config, config_name)?;
    let mut sample_rate = rate_fixed >> 16;
    let codec = if config == b"dOps" {
        if cfg.body.len() < 11 || cfg.body.first() != Some(&0) {
            return Err(DemuxError::Invalid {
                fourcc: "dOps",
                offset: cfg.start,
                reason: "not a version 0 OpusSpecificBox".into(),
            });
        }
        sample_rate = 48_000;
        Codec::Opus {
            dops: cfg.body.to_vec(),
        }
    } else {
        match parse_esds(&cfg)? {
            Some(asc) => {
                if sample_rate == 0 {
                    sample_rate = aac_sample_rate(&asc).unwrap_or(0);
                }
                // The sample entry's channelcount is often a placeholder (ffmpeg writes 2 for mono); the
                // AudioSpecificConfig's channelConfiguration is what the decoder uses.
                if let Some(n) = aac_channels(&asc) {
                    channels = n;
                }
                Codec::Aac { asc }
            }
            None => Codec::Mp3,
        }
    };
    if channels == 0 {
        return Err(DemuxError::Invalid {
            fourcc: "mp4a",
            offset: entry.start,
            reason: "channelcount 0".into(),
        });
    }
    Ok((
        codec,
        MediaParams::Audio {
            channels,
            sample_rate,
        },
    ))
}

/// Reads an MPEG-4 descriptor header: tag and length (up to four 7-bit bytes).
fn descriptor_header(f: &mut Fields) -> Result<(u8, usize), DemuxError> {
    let tag = f.u8("descriptor tag")?;
    let mut len = 0usize;
    for _ in 0..4 {
        let b = f.u8("descriptor length")?;
        len = (len << 7) | usize::from(b & 0x7f);
        if b & 0x80 == 0 {
            break;
        }
    }
    Ok((tag, len))
}

/// Extracts the AudioSpecificConfig from an `esds` box of AAC, or `None` for MP3 (objectTypeIndication
/// 0x6B or 0x69, which has no decoder configuration).
fn parse_esds(esds: &BoxRef) -> Result<Option<Vec<u8>>, DemuxError> {
    let invalid = |reason: &str| DemuxError::Invalid {
        fourcc: "esds",
        offset: esds.start,
        reason: reason.into(),
    };
    let mut f = Fields::new(esds, "esds");
    f.version_flags()?;
    let (tag, _) = descriptor_header(&mut f)?;
    if tag != 0x03 {
        return Err(invalid("no ES_Descriptor"));
    }
    f.skip(2, "ES_ID")?;
    let flags = f.u8("ES flags")?;
    if flags & 0x80 != 0 {
        f.skip(2, "dependsOn_ES_ID")?;
    }
    if flags & 0x40 != 0 {
        let n = f.u8("URLlength")?;
        f.skip(usize::from(n), "URLstring")?;
    }
    if flags & 0x20 != 0 {
        f.skip(2, "OCR_ES_Id")?;
    }
    let (tag, _) = descriptor_header(&mut f)?;
    if tag != 0x04 {
        return Err(invalid("no DecoderConfigDescriptor"));
    }
    let object_type = f.u8("objectTypeIndication")?;
    if object_type == OBJECT_TYPE_MPEG1_AUDIO || object_type == OBJECT_TYPE_MPEG2_AUDIO {
        return Ok(None);
    }
    if object_type != 0x40 && object_type != 0x67 {
        return Err(DemuxError::UnsupportedCodec(format!(
            "mp4a objectTypeIndication 0x{object_type:02x}"
        )));
    }
    f.skip(12, "streamType, bufferSizeDB, bitrates")?;
    let (tag, len) = descriptor_header(&mut f)?;
    if tag != 0x05 || len == 0 {
        return Err(invalid("no DecoderSpecificInfo"));
    }
    Ok(Some(f.bytes(len, "DecoderSpecificInfo")?.to_vec()))
}

/// The channel count of an AudioSpecificConfig's channelConfiguration (ISO/IEC 14496-3 1.6.3.5), for the
/// common layout (object type below 31, sampling frequency given by index); `None` when it defers to a
/// program config element (0) or the layout is not the common one.
fn aac_channels(asc: &[u8]) -> Option<u16> {
    let (first, second) = (*asc.first()?, *asc.get(1)?);
    let object_type = first >> 3;
    let frequency_index = ((first & 0x07) << 1) | (second >> 7);
    if object_type == 31 || frequency_index == 15 {
        return None;
    }
    match (second >> 3) & 0x0f {
        n @ 1..=6 => Some(u16::from(n)),
        7 => Some(8),
        _ => None,
    }
}

/// The sample rate an AudioSpecificConfig names by index.
fn aac_sample_rate(asc: &[u8]) -> Option<u32> {
    const RATES: [u32; 13] = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ];
    let index = ((asc.first()? & 0x07) << 1) | (asc.get(1)? >> 7);
    RATES.get(usize::from(index)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aac_channel_configurations() {
        assert_eq!(aac_channels(&[0x11, 0x88]), Some(1)); // AAC-LC 48 kHz mono
        assert_eq!(aac_channels(&[0x12, 0x10]), Some(2)); // AAC-LC 44.1 kHz stereo
        assert_eq!(aac_channels(&[0x11, 0xb8]), Some(8)); // 7.1
        assert_eq!(aac_channels(&[0x11, 0x80]), None); // program config element
        assert_eq!(aac_channels(&[0x11]), None);
    }
}
