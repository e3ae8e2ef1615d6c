//! One rendition's state and the upload rules, as pure functions: `check_*` decides without changing
//! anything, `apply_*` records what was checked (and stored) before.
//!
//! The rules (the README's HTTP API table): an init segment must parse, and may not change once the rendition has
//! segments. A segment needs an init first; its msn must be the next one (an identical retry of an
//! existing msn is accepted and stored once); it must parse against the rendition's init, name only its
//! tracks, contain samples, start its video track with a keyframe and not go back in decode time on any
//! track relative to the previous segment's end.
//!
//! Periods: a rendition's segments form periods separated by `EXT-X-DISCONTINUITY`. A new period starts
//! when the encoder restarts (a standard encoder sends its init segment again) or when the server
//! restarted while the stream was live ([`Rendition::start_period`]). Within a period time only goes
//! forward; the first segment of a new period may start anywhere, and msns simply continue.
//!
//! Low-Latency HLS parts: a broadcaster may upload a segment as parts (`check_part` / `apply_part`), in
//! order, each validated like a segment (part 0 starts on a keyframe, time never goes back). The parts
//! of the segment being produced form the [`OpenSegment`]; the first part of the next segment (or the
//! end of the stream, [`Rendition::close_open`]) completes it into a [`ClosedSegment`] whose bytes are
//! its parts concatenated. Parts are served from memory: a rendition keeps the parts of its last
//! [`PART_SEGMENTS_KEPT`] segments; older segments keep only their whole file.
//!
//! Files: the rules live in `check.rs` (the `check_*` functions, refusing with [`UploadRefused`]), the
//! records in `info.rs`, what is measured from the media in `measure.rs`; this file holds the
//! [`Rendition`] itself and its `apply_*` changes.

mod check;
mod info;
mod measure;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::SystemTime;

use bytes::Bytes;
use onair_media::InitSegment;

pub use crate::refused::UploadRefused;
pub use info::{
    AcceptedPart, AcceptedSegment, ClosedSegment, InitCheck, InitState, OpenSegment, PartCheck,
    PartInfo, SegmentCheck, SegmentInfo,
};

use crate::digest::digest;
use measure::frame_rate;

/// Segments (counted back from the newest) whose parts stay in memory, to be listed and served.
pub const PART_SEGMENTS_KEPT: usize = 8;

/// One rendition of a stream.
#[derive(Debug, Clone, Default)]
pub struct Rendition {
    init: Option<InitState>,
    /// Accepted segments; msns are contiguous from 0, so `segments[i].msn == i`.
    segments: Vec<SegmentInfo>,
    /// End decode time per track id after the last accepted segment (of the current period).
    track_ends: BTreeMap<u32, u64>,
    /// The next new segment starts a new period (gets `EXT-X-DISCONTINUITY`).
    new_period: bool,
    /// File name and msn of the last segment pushed through `/ingest`, to recognise an identical retry.
    last_ingest: Option<(String, u64)>,
    /// `EXT-X-PART-INF:PART-TARGET` once the rendition has had a part.
    part_target: Option<f64>,
    /// The segment being uploaded in parts.
    open: Option<OpenSegment>,
}

impl Rendition {
    /// The accepted init segment, if any.
    pub fn init(&self) -> Option<&InitState> {
        self.init.as_ref()
    }

    /// Accepted segments in msn order.
    pub fn segments(&self) -> &[SegmentInfo] {
        &self.segments
    }

    /// The segment with this msn.
    pub fn segment(&self, msn: u64) -> Option<&SegmentInfo> {
        let index = usize::try_from(msn).ok()?;
        self.segments.get(index).filter(|s| s.msn == msn)
    }

    /// When anything in this rendition last changed (init, segment or part).
    pub fn changed_at(&self) -> Option<SystemTime> {
        let init = self.init.as_ref().map(|i| i.stored_at);
        let segment = self.segments.last().map(|s| s.received_at);
        let part = self
            .open
            .as_ref()
            .and_then(|o| o.parts.last())
            .map(|p| p.received_at);
        init.max(segment).max(part)
    }

    /// The part target, once the rendition has had a part: it is a Low-Latency HLS rendition.
    pub fn part_target(&self) -> Option<f64> {
        self.part_target
    }

    /// The segment being uploaded in parts.
    pub fn open_segment(&self) -> Option<&OpenSegment> {
        self.open.as_ref()
    }

    /// Part `index` of segment `msn`, while it is kept.
    pub fn part(&self, msn: u64, index: u32) -> Option<&PartInfo> {
        let parts = match &self.open {
            Some(open) if open.msn == msn => &open.parts,
            _ => &self.segment(msn)?.parts,
        };
        parts.get(usize::try_from(index).ok()?)
    }

    /// The msn of the newest complete segment.
    pub fn last_complete_msn(&self) -> Option<u64> {
        self.segments.last().map(|s| s.msn)
    }

    /// The newest msn in the playlist: the open segment's, else the newest complete one's.
    pub fn edge_msn(&self) -> Option<u64> {
        self.open
            .as_ref()
            .map(|o| o.msn)
            .or(self.last_complete_msn())
    }

    /// The newest part in the playlist, `(msn, index)`: the open segment's last part, else the last part
    /// of the newest segment if it had parts.
    pub fn last_part(&self) -> Option<(u64, u32)> {
        if let Some(open) = &self.open {
            return open.parts.last().map(|p| (open.msn, p.index));
        }
        let last = self.segments.last()?;
        last.parts.last().map(|p| (last.msn, p.index))
    }

    /// The part expected next, `(msn, index)`: what `EXT-X-PRELOAD-HINT` names.
    pub fn next_part(&self) -> (u64, u32) {
        match &self.open {
            Some(open) => (
                open.msn,
                u32::try_from(open.parts.len()).unwrap_or(u32::MAX),
            ),
            None => (self.next_msn(), 0),
        }
    }

    /// True once the playlist holds segment `msn` complete, or, with `part`, that part of it (the
    /// condition of a blocking playlist reload, RFC 8216bis 6.2.5.2).
    pub fn has_reached(&self, msn: u64, part: Option<u32>) -> bool {
        if self.last_complete_msn().is_some_and(|last| last >= msn) {
            return true;
        }
        match (part, &self.open) {
            (Some(part), Some(open)) => {
                open.msn == msn && usize::try_from(part).is_ok_and(|p| p < open.parts.len())
            }
            _ => false,
        }
    }

    /// True when the next new segment starts a new period.
    pub fn starts_new_period(&self) -> bool {
        self.new_period
    }

    /// Makes the next new segment the first of a new period (no effect before the first segment).
    pub fn start_period(&mut self) {
        if !self.segments.is_empty() {
            self.new_period = true;
        }
    }

    /// Makes the next new segment start a new period, or not: a transcoded rung's periods are its
    /// source's ([`crate::transcode`]), whatever a restart of the server decided for the rung.
    pub fn set_new_period(&mut self, new_period: bool) {
        self.new_period = new_period && !self.segments.is_empty();
    }

    /// The msn of the last segment pushed through `/ingest` under this file name, if it was the last one.
    pub fn last_ingest(&self, file_name: &str) -> Option<u64> {
        self.last_ingest
            .as_ref()
            .filter(|(name, _)| name == file_name)
            .map(|(_, msn)| *msn)
    }

    /// The file name of the last segment pushed through `/ingest`.
    pub fn last_ingest_file(&self) -> Option<&str> {
        self.last_ingest.as_ref().map(|(name, _)| name.as_str())
    }

    /// Remembers the file name of the segment just pushed through `/ingest` as `msn`.
    pub fn set_last_ingest(&mut self, file_name: String, msn: u64) {
        self.last_ingest = Some((file_name, msn));
    }

    /// The msn the next new segment must have.
    pub fn next_msn(&self) -> u64 {
        self.segments.last().map_or(0, |s| s.msn.saturating_add(1))
    }

    /// Records a checked init segment, stored at `stored_at`.
    pub fn apply_init(&mut self, parsed: InitSegment, bytes: Bytes, stored_at: SystemTime) {
        let digest = digest(&bytes);
        self.init = Some(InitState {
            parsed,
            bytes,
            digest,
            stored_at,
        });
    }

    /// Records a checked (and stored) segment.
    pub fn apply_segment(&mut self, accepted: AcceptedSegment) {
        debug_assert_eq!(accepted.info.msn, self.next_msn());
        if accepted.info.discontinuity {
            self.track_ends.clear();
        }
        self.new_period = false;
        for (track_id, end) in accepted.track_ends {
            self.track_ends.insert(track_id, end);
        }
        self.segments.push(accepted.info);
    }

    /// Records a checked part (after the segment it closes, if any, was stored).
    pub fn apply_part(&mut self, accepted: AcceptedPart) {
        let AcceptedPart {
            msn,
            part,
            part_target,
            discontinuity,
            producer_time,
            closes,
            track_ends,
            video_durations,
        } = accepted;
        if let Some(closed) = closes {
            self.apply_closed(closed);
        }
        if discontinuity {
            self.track_ends.clear();
        }
        self.new_period = false;
        self.part_target = Some(part_target);
        self.track_ends.extend(track_ends);
        match &mut self.open {
            Some(open) if open.msn == msn => {
                open.parts.push(part);
                open.video_durations.extend(video_durations);
            }
            _ => {
                self.open = Some(OpenSegment {
                    msn,
                    parts: vec![part],
                    discontinuity,
                    producer_time,
                    video_durations,
                });
            }
        }
    }

    /// The open segment, completed as it is (at the end of the stream), if there is one.
    pub fn close_open(&self) -> Option<ClosedSegment> {
        let open = self.open.as_ref()?;
        let init = self.init.as_ref()?;
        Some(self.close(open, init))
    }

    /// Records a completed segment (after storing it): it leaves the open state and joins the list.
    pub fn apply_closed(&mut self, closed: ClosedSegment) {
        debug_assert_eq!(closed.info.msn, self.next_msn());
        self.open = None;
        self.segments.push(closed.info);
        // Parts of older segments are no longer listed or served: free their bytes.
        let keep_from = self.segments.len().saturating_sub(PART_SEGMENTS_KEPT);
        if let Some(old) = self.segments.get_mut(..keep_from) {
            for segment in old.iter_mut().rev().take_while(|s| !s.parts.is_empty()) {
                segment.parts = Vec::new();
            }
        }
    }

    /// The segment `open` completes into: its parts concatenated.
    fn close(&self, open: &OpenSegment, init: &InitState) -> ClosedSegment {
        let total: usize = open.parts.iter().map(|p| p.data.len()).sum();
        let mut data = Vec::with_capacity(total);
        for part in &open.parts {
            data.extend_from_slice(&part.data);
        }
        let received_at = open
            .parts
            .last()
            .map_or(SystemTime::UNIX_EPOCH, |p| p.received_at);
        ClosedSegment {
            info: SegmentInfo {
                msn: open.msn,
                duration_secs: open.duration_secs(),
                bytes: u64::try_from(total).unwrap_or(u64::MAX),
                received_at,
                discontinuity: open.discontinuity,
                digest: digest(&data),
                frame_rate: frame_rate(&init.parsed, &open.video_durations),
                producer_time: open.producer_time,
                parts: open.parts.clone(),
            },
            data: Bytes::from(data),
        }
    }
}
