//! A CMAF fragment: `moof` (`mfhd`, then per track `traf` with `tfhd`, `tfdt`, `trun`) followed by one
//! `mdat` holding every track's samples in `traf` order.

use super::prft::{write_prft, write_styp, ProducerTime};
use super::writer::{write_box, write_full_box};
use super::{NON_SYNC_SAMPLE_FLAGS, SYNC_SAMPLE_FLAGS};
use crate::error::MuxError;

/// `tfhd` flag: data offsets are relative to the start of the `moof` (required by CMAF).
pub const DEFAULT_BASE_IS_MOOF: u32 = 0x02_0000;
/// `trun` flag: a data offset is present.
pub const TRUN_DATA_OFFSET: u32 = 0x0001;
/// `trun` flag: the first sample's flags are present.
pub const TRUN_FIRST_SAMPLE_FLAGS: u32 = 0x0004;
/// `trun` flag: each sample has a duration.
pub const TRUN_SAMPLE_DURATION: u32 = 0x0100;
/// `trun` flag: each sample has a size.
pub const TRUN_SAMPLE_SIZE: u32 = 0x0200;
/// `trun` flag: each sample has flags.
pub const TRUN_SAMPLE_FLAGS: u32 = 0x0400;
/// `trun` flag: each sample has a composition time offset.
pub const TRUN_SAMPLE_CTS: u32 = 0x0800;
/// Every per-sample field, and a data offset.
const TRUN_FLAGS: u32 = TRUN_DATA_OFFSET
    | TRUN_SAMPLE_DURATION
    | TRUN_SAMPLE_SIZE
    | TRUN_SAMPLE_FLAGS
    | TRUN_SAMPLE_CTS;
/// Bytes of one `trun` sample record with [`TRUN_FLAGS`].
const TRUN_SAMPLE_RECORD: usize = 16;

/// One encoded sample (access unit) to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Duration in the track's timescale.
    pub duration: u32,
    /// Presentation time minus decode time, in the track's timescale (0 without B-frames).
    pub cts_offset: i32,
    /// True for a sync sample (a keyframe; every audio sample).
    pub keyframe: bool,
    /// The sample's bytes (length-prefixed NAL units for H.264).
    pub data: Vec<u8>,
}

/// The samples of one track in one fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackFragment {
    /// The track's id, as in the init segment.
    pub track_id: u32,
    /// Decode time of the first sample (`tfdt`), in the track's timescale.
    pub base_decode_time: u64,
    /// Samples in decode order.
    pub samples: Vec<Sample>,
}

/// The size of the `moof` that [`write_moof`] writes.
fn moof_size(tracks: &[TrackFragment]) -> usize {
    let mfhd = 16;
    let trafs: usize = tracks
        .iter()
        .map(|t| {
            let tfhd = 16;
            let tfdt = 20;
            let trun = 20 + TRUN_SAMPLE_RECORD * t.samples.len();
            8 + tfhd + tfdt + trun
        })
        .sum();
    8 + mfhd + trafs
}

fn write_moof(
    out: &mut Vec<u8>,
    sequence_number: u32,
    tracks: &[TrackFragment],
    data_offsets: &[i32],
) -> Result<(), MuxError> {
    write_box(out, b"moof", |out| {
        write_full_box(out, b"mfhd", 0, 0, |out| {
            out.extend_from_slice(&sequence_number.to_be_bytes());
            Ok(())
        })?;
        for (track, &data_offset) in tracks.iter().zip(data_offsets) {
            write_traf(out, track, data_offset)?;
        }
        Ok(())
    })
}

fn write_traf(out: &mut Vec<u8>, track: &TrackFragment, data_offset: i32) -> Result<(), MuxError> {
    let count = u32::try_from(track.samples.len()).map_err(|_| MuxError::BoxTooLarge {
        fourcc: "trun".into(),
        size: track.samples.len() as u64,
    })?;
    write_box(out, b"traf", |out| {
        write_full_box(out, b"tfhd", 0, DEFAULT_BASE_IS_MOOF, |out| {
            out.extend_from_slice(&track.track_id.to_be_bytes());
            Ok(())
        })?;
        write_full_box(out, b"tfdt", 1, 0, |out| {
            out.extend_from_slice(&track.base_decode_time.to_be_bytes());
            Ok(())
        })?;
        // Version 1: signed composition offsets.
        write_full_box(out, b"trun", 1, TRUN_FLAGS, |out| {
            out.extend_from_slice(&count.to_be_bytes());
            out.extend_from_slice(&data_offset.to_be_bytes());
            for s in &track.samples {
                let size = u32::try_from(s.data.len()).map_err(|_| MuxError::BoxTooLarge {
                    fourcc: "mdat".into(),
                    size: s.data.len() as u64,
                })?;
                let flags = if s.keyframe {
                    SYNC_SAMPLE_FLAGS
                } else {
                    NON_SYNC_SAMPLE_FLAGS
                };
                out.extend_from_slice(&s.duration.to_be_bytes());
                out.extend_from_slice(&size.to_be_bytes());
                out.extend_from_slice(&flags.to_be_bytes());
                out.extend_from_slice(&s.cts_offset.to_be_bytes());
            }
            Ok(())
        })
    })
}

/// What goes before a fragment's `moof`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FragmentOptions {
    /// Open with a `styp` box (CMAF segment/chunk brands).
    pub styp: bool,
    /// A `prft` box: the producer's wall clock at a media time.
    pub producer_time: Option<ProducerTime>,
}

/// Writes `moof` + `mdat` for these tracks. Tracks without samples are left out.
pub fn write_fragment(sequence_number: u32, tracks: &[TrackFragment]) -> Result<Vec<u8>, MuxError> {
    write_fragment_with(sequence_number, tracks, &FragmentOptions::default())
}

/// Writes `[styp] [prft] moof mdat` for these tracks. Data offsets stay relative to the `moof`.
pub fn write_fragment_with(
    sequence_number: u32,
    tracks: &[TrackFragment],
    options: &FragmentOptions,
) -> Result<Vec<u8>, MuxError> {
    let mut out = Vec::new();
    if options.styp {
        write_styp(&mut out)?;
    }
    if let Some(t) = &options.producer_time {
        write_prft(&mut out, t)?;
    }
    out.extend(write_moof_mdat(sequence_number, tracks)?);
    Ok(out)
}

fn write_moof_mdat(sequence_number: u32, tracks: &[TrackFragment]) -> Result<Vec<u8>, MuxError> {
    let tracks: Vec<TrackFragment> = tracks
        .iter()
        .filter(|t| !t.samples.is_empty())
        .cloned()
        .collect();
    if tracks.is_empty() {
        return Err(MuxError::EmptyFragment);
    }
    let data_len: usize = tracks
        .iter()
        .flat_map(|t| t.samples.iter().map(|s| s.data.len()))
        .sum();
    let moof_size = moof_size(&tracks) as u64;
    let mdat_header = 8u64;
    let mut offsets = Vec::with_capacity(tracks.len());
    let mut offset = moof_size + mdat_header;
    for track in &tracks {
        offsets.push(i32::try_from(offset).map_err(|_| MuxError::BoxTooLarge {
            fourcc: "moof".into(),
            size: offset,
        })?);
        offset += track
            .samples
            .iter()
            .map(|s| s.data.len() as u64)
            .sum::<u64>();
    }
    let mut out = Vec::with_capacity(moof_size as usize + 8 + data_len);
    write_moof(&mut out, sequence_number, &tracks, &offsets)?;
    debug_assert_eq!(out.len() as u64, moof_size);
    write_box(&mut out, b"mdat", |out| {
        for track in &tracks {
            for sample in &track.samples {
                out.extend_from_slice(&sample.data);
            }
        }
        Ok(())
    })?;
    Ok(out)
}
