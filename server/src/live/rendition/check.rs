//! The upload rules, as `check_*` functions that decide on an upload without changing anything (see the
//! module documentation of [`super`]). A refusal is an [`UploadRefused`].

use std::time::SystemTime;

use bytes::Bytes;
use onair_media::{parse_init, parse_segment, InitSegment, Limits, MediaSegment};
use onair_protocol::{MAX_PART_TARGET_SECS, MIN_PART_TARGET_SECS};

use super::measure::{describe, frame_rate, producer_time, video_durations};
use super::{
    AcceptedPart, AcceptedSegment, InitCheck, PartCheck, PartInfo, Rendition, SegmentCheck,
    SegmentInfo, UploadRefused,
};
use crate::digest::digest;

impl Rendition {
    /// Decides what to do with an uploaded init segment.
    pub fn check_init(&self, data: &[u8]) -> Result<InitCheck, UploadRefused> {
        if let Some(current) = &self.init {
            if current.bytes == data {
                return Ok(InitCheck::Unchanged);
            }
        }
        let parsed = parse_init(data).map_err(|source| UploadRefused::MalformedInit { source })?;
        if parsed.tracks.is_empty() {
            return Err(UploadRefused::InitWithoutTracks);
        }
        if let Some(track) = parsed.tracks.iter().find(|t| t.timescale == 0) {
            return Err(UploadRefused::ZeroTimescale { track_id: track.id });
        }
        if self.init.is_some() && !self.segments.is_empty() {
            return Err(UploadRefused::InitChanged);
        }
        Ok(InitCheck::Store(parsed))
    }

    /// Decides what to do with the init segment of an encoder that (re)starts a run: before the first
    /// segment as [`Rendition::check_init`]; after it, an init describing the same tracks is accepted
    /// and the stored one stays (its URL is cached as immutable), anything else is a codec change.
    pub fn check_run_init(&self, data: &[u8]) -> Result<InitCheck, UploadRefused> {
        let Some(current) = self.init.as_ref().filter(|_| !self.segments.is_empty()) else {
            return self.check_init(data);
        };
        if current.bytes == data {
            return Ok(InitCheck::Unchanged);
        }
        let parsed = parse_init(data).map_err(|source| UploadRefused::MalformedInit { source })?;
        if parsed == current.parsed {
            Ok(InitCheck::Unchanged)
        } else {
            Err(UploadRefused::CodecChange {
                current: describe(&current.parsed),
                new: describe(&parsed),
            })
        }
    }

    /// Decides what to do with an uploaded segment `msn` received at `received_at`.
    pub fn check_segment(
        &self,
        msn: u64,
        data: &[u8],
        limits: &Limits,
        received_at: SystemTime,
    ) -> Result<SegmentCheck, UploadRefused> {
        let Some(init) = &self.init else {
            return Err(UploadRefused::NoInit);
        };
        if let Some(open) = &self.open {
            return Err(UploadRefused::SegmentInParts { msn: open.msn });
        }
        let next = self.next_msn();
        if msn < next {
            let same_len = self
                .segment(msn)
                .is_some_and(|s| usize::try_from(s.bytes).ok() == Some(data.len()));
            return if same_len {
                Ok(SegmentCheck::PossibleRetry { msn })
            } else {
                Err(UploadRefused::SegmentExists { msn })
            };
        }
        if msn > next {
            return Err(UploadRefused::SegmentOutOfOrder {
                expected: next,
                msn,
            });
        }

        let segment = parse_segment(&init.parsed, data, limits)
            .map_err(|source| UploadRefused::MalformedSegment { msn, source })?;
        let duration_secs = self
            .validate(&init.parsed, &segment, true)
            .map_err(|reason| UploadRefused::RejectedSegment { msn, reason })?;
        Ok(SegmentCheck::New(AcceptedSegment {
            info: SegmentInfo {
                msn,
                duration_secs,
                bytes: u64::try_from(data.len()).unwrap_or(u64::MAX),
                received_at,
                discontinuity: self.new_period,
                digest: digest(data),
                frame_rate: frame_rate(&init.parsed, &video_durations(&init.parsed, &segment)),
                producer_time: producer_time(&init.parsed, &segment),
                parts: Vec::new(),
            },
            track_ends: segment
                .tracks
                .iter()
                .map(|t| (t.track_id, t.end_decode_time()))
                .collect(),
        }))
    }

    /// Decides what to do with part `index` of segment `msn`, uploaded with `part_target`.
    ///
    /// The next part is the open segment's next one, or part 0 of the segment after it (which completes
    /// the open one); without an open segment, part 0 of the next msn. A part already accepted with the
    /// same bytes is a duplicate.
    pub fn check_part(
        &self,
        msn: u64,
        index: u32,
        part_target: f64,
        data: &[u8],
        limits: &Limits,
        received_at: SystemTime,
    ) -> Result<PartCheck, UploadRefused> {
        let Some(init) = &self.init else {
            return Err(UploadRefused::NoInit);
        };
        if !(MIN_PART_TARGET_SECS..=MAX_PART_TARGET_SECS).contains(&part_target) {
            return Err(UploadRefused::PartTargetOutOfRange { part_target });
        }
        if let Some(current) = self.part_target {
            if (current - part_target).abs() > 1e-9 {
                return Err(UploadRefused::PartTargetChanged {
                    current,
                    part_target,
                });
            }
        }
        if let Some(existing) = self.part(msn, index) {
            return if existing.digest == digest(data) && existing.data.len() == data.len() {
                Ok(PartCheck::Duplicate)
            } else {
                Err(UploadRefused::PartExists { msn, index })
            };
        }
        let (next_msn, next_index) = self.next_part();
        let closes = match &self.open {
            Some(open) if msn == open.msn.saturating_add(1) && index == 0 => {
                Some(self.close(open, init))
            }
            _ if (msn, index) == (next_msn, next_index) => None,
            _ => {
                return Err(UploadRefused::PartOutOfOrder {
                    expected_msn: next_msn,
                    expected_index: next_index,
                    or_segment: self.open.as_ref().map(|_| next_msn.saturating_add(1)),
                    msn,
                    index,
                });
            }
        };
        let starts_segment = index == 0;
        let segment = parse_segment(&init.parsed, data, limits)
            .map_err(|source| UploadRefused::MalformedPart { msn, index, source })?;
        let duration_secs = self
            .validate(&init.parsed, &segment, starts_segment)
            .map_err(|reason| UploadRefused::RejectedPart { msn, index, reason })?;
        let independent = match init.parsed.video() {
            Some(video) => segment
                .track(video.id)
                .and_then(|t| t.samples.first())
                .is_some_and(|s| s.keyframe),
            None => true,
        };
        Ok(PartCheck::New(Box::new(AcceptedPart {
            msn,
            part: PartInfo {
                index,
                duration_secs,
                independent,
                data: Bytes::copy_from_slice(data),
                digest: digest(data),
                received_at,
            },
            part_target,
            discontinuity: starts_segment && self.new_period,
            producer_time: producer_time(&init.parsed, &segment),
            closes,
            track_ends: segment
                .tracks
                .iter()
                .map(|t| (t.track_id, t.end_decode_time()))
                .collect(),
            video_durations: video_durations(&init.parsed, &segment),
        })))
    }
    /// Checks a parsed segment (or part) against the init and what came before; returns its duration.
    /// A segment, and a segment's first part, must start with a video keyframe (`starts_segment`).
    fn validate(
        &self,
        init: &InitSegment,
        segment: &MediaSegment,
        starts_segment: bool,
    ) -> Result<f64, String> {
        if segment.tracks.iter().all(|t| t.samples.is_empty()) {
            return Err("it has no samples".into());
        }
        for track in &segment.tracks {
            if init.track(track.track_id).is_none() {
                return Err(format!(
                    "track id {} is not in the init segment",
                    track.track_id
                ));
            }
            if let Some(&end) = self.track_ends.get(&track.track_id) {
                // A new period may start anywhere on the timeline.
                let restarts = self.new_period && starts_segment;
                if !restarts && track.base_decode_time < end {
                    return Err(format!(
                        "decode time of track {} goes backwards: starts at {} but the previous segment ended at {}",
                        track.track_id, track.base_decode_time, end
                    ));
                }
            }
        }
        if let Some(video) = init.video().filter(|_| starts_segment) {
            let first = segment
                .track(video.id)
                .and_then(|t| t.samples.first())
                .ok_or_else(|| format!("it has no samples of video track {}", video.id))?;
            if !first.keyframe {
                return Err(format!(
                    "video track {} does not start with a keyframe",
                    video.id
                ));
            }
        }
        let duration = segment.duration_secs(init);
        if !(duration.is_finite() && duration > 0.0) {
            return Err(format!("invalid duration {duration} s"));
        }
        Ok(duration)
    }
}
