//! Reading a media segment: every `moof` + `mdat` pair, into per-track sample tables, with the checks a
//! server must make before publishing it.

use super::reader::{fourcc_str, require, BoxRef, Boxes, Fields};
use super::Limits;
use crate::error::DemuxError;
use crate::mux::fragment::{
    DEFAULT_BASE_IS_MOOF, TRUN_DATA_OFFSET, TRUN_FIRST_SAMPLE_FLAGS, TRUN_SAMPLE_CTS,
    TRUN_SAMPLE_DURATION, TRUN_SAMPLE_FLAGS, TRUN_SAMPLE_SIZE,
};
use crate::mux::{ProducerTime, NON_SYNC_BIT};
use crate::track::InitSegment;

/// `tfhd` flags (ISO/IEC 14496-12 8.8.7).
const TFHD_BASE_DATA_OFFSET: u32 = 0x01;
const TFHD_SAMPLE_DESCRIPTION_INDEX: u32 = 0x02;
const TFHD_DEFAULT_DURATION: u32 = 0x08;
const TFHD_DEFAULT_SIZE: u32 = 0x10;
const TFHD_DEFAULT_FLAGS: u32 = 0x20;

/// One sample of a media segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleEntry {
    /// Decode time in the track's timescale.
    pub dts: u64,
    /// Duration in the track's timescale.
    pub duration: u32,
    /// Presentation time minus decode time.
    pub cts_offset: i32,
    /// True for a sync sample.
    pub keyframe: bool,
    /// Offset of the sample's first byte in the segment.
    pub offset: usize,
    /// Size in bytes.
    pub size: u32,
}

impl SampleEntry {
    /// The sample's bytes in `segment`, the bytes it was parsed from (`None` if they do not hold it).
    pub fn data_in<'a>(&self, segment: &'a [u8]) -> Option<&'a [u8]> {
        let size = usize::try_from(self.size).ok()?;
        segment.get(self.offset..self.offset.checked_add(size)?)
    }
}

/// The samples of one track in a media segment, over all its fragments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackSamples {
    /// The track's id.
    pub track_id: u32,
    /// Decode time of the first sample (the first `tfdt`).
    pub base_decode_time: u64,
    /// Samples in decode order.
    pub samples: Vec<SampleEntry>,
}

impl TrackSamples {
    /// Decode time just after the last sample.
    pub fn end_decode_time(&self) -> u64 {
        self.samples
            .last()
            .map(|s| s.dts + u64::from(s.duration))
            .unwrap_or(self.base_decode_time)
    }

    /// Total duration in the track's timescale.
    pub fn duration(&self) -> u64 {
        self.end_decode_time() - self.base_decode_time
    }
}

/// A parsed media segment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MediaSegment {
    /// `mfhd` sequence numbers, one per fragment.
    pub sequence_numbers: Vec<u32>,
    /// Per-track sample tables, in order of first appearance.
    pub tracks: Vec<TrackSamples>,
    /// `prft` boxes, in order: the producer's wall clock at media times.
    pub producer_times: Vec<ProducerTime>,
}

impl MediaSegment {
    /// The samples of this track.
    pub fn track(&self, id: u32) -> Option<&TrackSamples> {
        self.tracks.iter().find(|t| t.track_id == id)
    }

    /// Duration in seconds: the video track's if there is one, else the longest track's.
    pub fn duration_secs(&self, init: &InitSegment) -> f64 {
        let secs = |t: &TrackSamples| {
            init.track(t.track_id)
                .map(|info| t.duration() as f64 / f64::from(info.timescale))
                .unwrap_or(0.0)
        };
        if let Some(video) = init.video().and_then(|v| self.track(v.id)) {
            return secs(video);
        }
        self.tracks.iter().map(secs).fold(0.0, f64::max)
    }

    /// True when the video track's first sample is a sync sample (or there is no video).
    pub fn starts_with_keyframe(&self, init: &InitSegment) -> bool {
        match init.video() {
            Some(v) => self
                .track(v.id)
                .and_then(|t| t.samples.first())
                .is_some_and(|s| s.keyframe),
            None => true,
        }
    }

    /// Start time in seconds of the video track (or the first track).
    pub fn start_secs(&self, init: &InitSegment) -> f64 {
        let track = init
            .video()
            .and_then(|v| self.track(v.id))
            .or(self.tracks.first());
        match track.and_then(|t| init.track(t.track_id).map(|i| (t, i))) {
            Some((t, info)) => t.base_decode_time as f64 / f64::from(info.timescale),
            None => 0.0,
        }
    }
}

/// Reads a media segment (`styp`/`sidx`/`prft`/`emsg` allowed, then `moof` + `mdat` pairs) against its
/// init segment, and checks it: known track ids, every sample inside the `mdat` after its `moof`, decode
/// times not going backwards between fragments, and the limits.
pub fn parse_segment(
    init: &InitSegment,
    data: &[u8],
    limits: &Limits,
) -> Result<MediaSegment, DemuxError> {
    parse_segment_at(init, data, 0, limits)
}

/// [`parse_segment`] of a segment that starts `offset` bytes into a larger file: one fragment of a whole
/// fragmented MP4 file (`ftyp`, `moov`, then `moof` + `mdat` pairs), say. `data` holds the segment's
/// bytes only, but every offset counts from the file's start: those in errors and in
/// [`SampleEntry::offset`], and a `tfhd` `base_data_offset`, which is a file offset (ffmpeg writes one
/// into every fragment it writes without `default_base_moof`).
pub fn parse_segment_at(
    init: &InitSegment,
    data: &[u8],
    offset: usize,
    limits: &Limits,
) -> Result<MediaSegment, DemuxError> {
    if data.len() > limits.max_bytes {
        return Err(DemuxError::TooLarge {
            what: "segment bytes",
            size: data.len() as u64,
            limit: limits.max_bytes as u64,
        });
    }
    if data.len() < 8 {
        return Err(DemuxError::NotMp4(format!(
            "{} bytes is too short for a box",
            data.len()
        )));
    }
    let mut segment = MediaSegment::default();
    let mut pending_moof: Option<BoxRef> = None;
    let mut sample_total = 0usize;
    for b in Boxes::new(data, offset) {
        let b = b.map_err(|e| match e {
            DemuxError::Truncated { offset: at, .. } | DemuxError::BadSize { offset: at, .. }
                if at == offset =>
            {
                DemuxError::NotMp4(e.to_string())
            }
            e => e,
        })?;
        match &b.fourcc {
            b"moof" => {
                if pending_moof.is_some() {
                    return Err(DemuxError::Missing {
                        fourcc: "mdat",
                        parent: "moof",
                    });
                }
                pending_moof = Some(b);
            }
            b"mdat" => {
                let Some(moof) = pending_moof.take() else {
                    return Err(DemuxError::Invalid {
                        fourcc: "mdat",
                        offset: b.start,
                        reason: "mdat without a moof before it".into(),
                    });
                };
                parse_fragment(init, &moof, &b, limits, &mut sample_total, &mut segment)?;
            }
            b"prft" => segment.producer_times.push(parse_prft(&b)?),
            // mfra closes a whole fragmented file (ffmpeg writes one); harmless in a segment.
            b"styp" | b"sidx" | b"emsg" | b"free" | b"skip" | b"uuid" | b"mfra" => {}
            other if b.start == offset => {
                return Err(DemuxError::NotMp4(format!(
                    "first box is '{}', expected 'styp' or 'moof'",
                    fourcc_str(other)
                )))
            }
            other => {
                return Err(DemuxError::Invalid {
                    fourcc: "segment",
                    offset: b.start,
                    reason: format!("unexpected box '{}'", fourcc_str(other)),
                })
            }
        }
    }
    if pending_moof.is_some() {
        return Err(DemuxError::Missing {
            fourcc: "mdat",
            parent: "segment",
        });
    }
    if segment.sequence_numbers.is_empty() {
        return Err(DemuxError::Missing {
            fourcc: "moof",
            parent: "segment",
        });
    }
    Ok(segment)
}

/// `prft`: reference track, NTP timestamp, media time (32 bits in version 0, 64 in version 1).
fn parse_prft(b: &BoxRef) -> Result<ProducerTime, DemuxError> {
    let mut f = Fields::new(b, "prft");
    let (version, _) = f.version_flags()?;
    let track_id = f.u32("reference_track_ID")?;
    let ntp_timestamp = f.u64("ntp_timestamp")?;
    let media_time = if version == 0 {
        u64::from(f.u32("media_time")?)
    } else {
        f.u64("media_time")?
    };
    Ok(ProducerTime {
        track_id,
        ntp_timestamp,
        media_time,
    })
}

/// Where the next sample's data is, as the spec's base-offset rules say (ISO/IEC 14496-12 8.8.7.1).
fn parse_fragment(
    init: &InitSegment,
    moof: &BoxRef,
    mdat: &BoxRef,
    limits: &Limits,
    sample_total: &mut usize,
    segment: &mut MediaSegment,
) -> Result<(), DemuxError> {
    let mfhd = require(moof, "moof", b"mfhd", "mfhd")?;
    let mut f = Fields::new(&mfhd, "mfhd");
    f.version_flags()?;
    segment.sequence_numbers.push(f.u32("sequence_number")?);
    let mut previous_traf_end: Option<u64> = None;
    for traf in Boxes::new(moof.body, moof.body_start) {
        let traf = traf?;
        if !traf.is(b"traf") {
            continue;
        }
        let end = parse_traf(
            init,
            moof,
            mdat,
            &traf,
            previous_traf_end,
            limits,
            sample_total,
            segment,
        )?;
        previous_traf_end = Some(end);
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn parse_traf(
    init: &InitSegment,
    moof: &BoxRef,
    mdat: &BoxRef,
    traf: &BoxRef,
    previous_traf_end: Option<u64>,
    limits: &Limits,
    sample_total: &mut usize,
    segment: &mut MediaSegment,
) -> Result<u64, DemuxError> {
    let tfhd = require(traf, "traf", b"tfhd", "tfhd")?;
    let mut f = Fields::new(&tfhd, "tfhd");
    let (_, flags) = f.version_flags()?;
    let track_id = f.u32("track_ID")?;
    if init.track(track_id).is_none() {
        return Err(DemuxError::UnknownTrack {
            track_id,
            offset: tfhd.start,
        });
    }
    let base_data_offset = if flags & TFHD_BASE_DATA_OFFSET != 0 {
        Some(f.u64("base_data_offset")?)
    } else {
        None
    };
    if flags & TFHD_SAMPLE_DESCRIPTION_INDEX != 0 {
        let index = f.u32("sample_description_index")?;
        if index != 1 {
            return Err(DemuxError::Invalid {
                fourcc: "tfhd",
                offset: tfhd.start,
                reason: format!("sample_description_index {index}: the init has one entry"),
            });
        }
    }
    let default_duration = opt(flags & TFHD_DEFAULT_DURATION != 0, || {
        f.u32("default_sample_duration")
    })?;
    let default_size = opt(flags & TFHD_DEFAULT_SIZE != 0, || {
        f.u32("default_sample_size")
    })?;
    let default_flags = opt(flags & TFHD_DEFAULT_FLAGS != 0, || {
        f.u32("default_sample_flags")
    })?;
    let tfdt = require(traf, "traf", b"tfdt", "tfdt")?;
    let mut f = Fields::new(&tfdt, "tfdt");
    let (version, _) = f.version_flags()?;
    let base_decode_time = if version == 1 {
        f.u64("baseMediaDecodeTime")?
    } else {
        u64::from(f.u32("baseMediaDecodeTime")?)
    };

    // The spec's rule for where data is when tfhd gives no base_data_offset.
    let base = match base_data_offset {
        Some(b) => b,
        None if flags & DEFAULT_BASE_IS_MOOF != 0 => moof.start as u64,
        None => previous_traf_end.unwrap_or(moof.start as u64),
    };
    let track_index = match segment.tracks.iter().position(|t| t.track_id == track_id) {
        Some(i) => {
            let expected = segment.tracks[i].end_decode_time();
            if base_decode_time < expected {
                return Err(DemuxError::TimeBackwards {
                    track_id,
                    found: base_decode_time,
                    expected_at_least: expected,
                });
            }
            i
        }
        None => {
            segment.tracks.push(TrackSamples {
                track_id,
                base_decode_time,
                samples: Vec::new(),
            });
            segment.tracks.len() - 1
        }
    };
    let mut dts = base_decode_time;
    let mut data_pos = base;
    for trun in Boxes::new(traf.body, traf.body_start) {
        let trun = trun?;
        if !trun.is(b"trun") {
            continue;
        }
        let mut f = Fields::new(&trun, "trun");
        let (version, tr_flags) = f.version_flags()?;
        let count = f.u32("sample_count")? as usize;
        if let Some(offset) = opt(tr_flags & TRUN_DATA_OFFSET != 0, || f.u32("data_offset"))? {
            data_pos =
                base.checked_add_signed(i64::from(offset as i32))
                    .ok_or(DemuxError::Invalid {
                        fourcc: "trun",
                        offset: trun.start,
                        reason: "data_offset before the start of the file".into(),
                    })?;
        }
        // Without a data_offset, a run's data follows the previous run's.
        let first_flags = opt(tr_flags & TRUN_FIRST_SAMPLE_FLAGS != 0, || {
            f.u32("first_sample_flags")
        })?;
        let record = [
            TRUN_SAMPLE_DURATION,
            TRUN_SAMPLE_SIZE,
            TRUN_SAMPLE_FLAGS,
            TRUN_SAMPLE_CTS,
        ]
        .iter()
        .filter(|&&bit| tr_flags & bit != 0)
        .count()
            * 4;
        // Check the count against the bytes that must hold it before allocating anything.
        if count.saturating_mul(record) > f.remaining() {
            return Err(DemuxError::Invalid {
                fourcc: "trun",
                offset: trun.start,
                reason: format!(
                    "sample_count {count} needs {} bytes, {} remain",
                    count.saturating_mul(record),
                    f.remaining()
                ),
            });
        }
        *sample_total = sample_total.saturating_add(count);
        if *sample_total > limits.max_samples {
            return Err(DemuxError::TooLarge {
                what: "samples",
                size: *sample_total as u64,
                limit: limits.max_samples as u64,
            });
        }
        let samples = &mut segment.tracks[track_index].samples;
        samples.reserve(count);
        for i in 0..count {
            let duration = match opt(tr_flags & TRUN_SAMPLE_DURATION != 0, || {
                f.u32("sample_duration")
            })?
            .or(default_duration)
            {
                Some(d) => d,
                None => {
                    return Err(DemuxError::Invalid {
                        fourcc: "trun",
                        offset: trun.start,
                        reason: "no sample duration in trun or tfhd".into(),
                    })
                }
            };
            let size = opt(tr_flags & TRUN_SAMPLE_SIZE != 0, || f.u32("sample_size"))?
                .or(default_size)
                .ok_or(DemuxError::Invalid {
                    fourcc: "trun",
                    offset: trun.start,
                    reason: "no sample size in trun or tfhd".into(),
                })?;
            let sample_flags = opt(tr_flags & TRUN_SAMPLE_FLAGS != 0, || f.u32("sample_flags"))?
                .or(if i == 0 { first_flags } else { None })
                .or(default_flags)
                .unwrap_or(0);
            let cts_offset = match opt(tr_flags & TRUN_SAMPLE_CTS != 0, || {
                f.u32("sample_composition_time_offset")
            })? {
                Some(v) if version == 0 => i32::try_from(v).map_err(|_| DemuxError::Invalid {
                    fourcc: "trun",
                    offset: trun.start,
                    reason: format!("version 0 composition offset {v} does not fit"),
                })?,
                Some(v) => v as i32,
                None => 0,
            };
            let start = data_pos;
            let end = start + u64::from(size);
            let mdat_start = mdat.body_start as u64;
            let mdat_end = mdat.end() as u64;
            if start < mdat_start || end > mdat_end {
                return Err(DemuxError::DataOutsideMdat {
                    track_id,
                    start,
                    end,
                    mdat_start: mdat.body_start,
                    mdat_end: mdat.end(),
                });
            }
            samples.push(SampleEntry {
                dts,
                duration,
                cts_offset,
                keyframe: sample_flags & NON_SYNC_BIT == 0,
                offset: start as usize,
                size,
            });
            dts = dts
                .checked_add(u64::from(duration))
                .ok_or(DemuxError::Invalid {
                    fourcc: "trun",
                    offset: trun.start,
                    reason: "decode time overflows".into(),
                })?;
            data_pos = end;
        }
    }
    Ok(data_pos)
}

/// Reads a field only when its flag is set.
fn opt<T>(
    present: bool,
    read: impl FnOnce() -> Result<T, DemuxError>,
) -> Result<Option<T>, DemuxError> {
    if present {
        read().map(Some)
    } else {
        Ok(None)
    }
}
