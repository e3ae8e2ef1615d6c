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

use std::collections::BTreeMap;
use std::time::SystemTime;

use bytes::Bytes;
use onair_media::{parse_init, parse_segment, InitSegment, Limits, MediaSegment};
use std::time::Duration;

use crate::cache::digest;
use crate::error::{AppError, AppResult};

/// A rendition's accepted init segment.
#[derive(Debug, Clone)]
pub struct InitState {
    /// What it says.
    pub parsed: InitSegment,
    /// Its bytes, served as `init.mp4`. They never change once the rendition has a segment.
    pub bytes: Bytes,
    /// Digest of the bytes ([`crate::cache::digest`]), for the `ETag`.
    pub digest: u64,
    /// When it was stored (wall clock), for `Last-Modified`.
    pub stored_at: SystemTime,
}

/// What the playlists need to know about one accepted segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentInfo {
    /// Media sequence number.
    pub msn: u64,
    /// Duration in seconds (`EXTINF`), from the video track if any, else the longest track.
    pub duration_secs: f64,
    /// Size of the `moof`+`mdat` in bytes.
    pub bytes: u64,
    /// When the upload was accepted (wall clock).
    pub received_at: SystemTime,
    /// `EXT-X-DISCONTINUITY` before it: the first segment of a new period.
    pub discontinuity: bool,
    /// Digest of the bytes ([`crate::cache::digest`]), for the `ETag`.
    pub digest: u64,
    /// Frames per second of the video track, measured from its sample durations (`None` without video).
    pub frame_rate: Option<f64>,
    /// When its first sample was captured, by the producer's wall clock (`prft`), if it says.
    pub producer_time: Option<SystemTime>,
    /// Its Low-Latency HLS parts, while they are kept (empty for segments uploaded whole).
    pub parts: Vec<PartInfo>,
}

/// One accepted Low-Latency HLS part.
#[derive(Debug, Clone, PartialEq)]
pub struct PartInfo {
    /// Its index within its segment: 0, 1, 2, ...
    pub index: u32,
    /// Duration in seconds (`EXT-X-PART:DURATION`).
    pub duration_secs: f64,
    /// It starts on a video keyframe (or has no video): `INDEPENDENT=YES`.
    pub independent: bool,
    /// Its bytes, served as `{msn}.{index}.m4s`.
    pub data: Bytes,
    /// Digest of the bytes ([`crate::cache::digest`]), for the `ETag`.
    pub digest: u64,
    /// When the upload was accepted (wall clock).
    pub received_at: SystemTime,
}

/// The segment being uploaded in parts.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenSegment {
    /// Its media sequence number.
    pub msn: u64,
    /// Its parts so far, in order.
    pub parts: Vec<PartInfo>,
    /// It starts a new period.
    pub discontinuity: bool,
    /// When its first sample was captured (`prft` of its first part), if known.
    pub producer_time: Option<SystemTime>,
    /// Sample durations of the video track so far, for the frame rate.
    video_durations: Vec<u32>,
}

impl OpenSegment {
    /// Its duration so far, in seconds.
    pub fn duration_secs(&self) -> f64 {
        self.parts.iter().map(|p| p.duration_secs).sum()
    }
}

/// A segment completed from its parts: what to store and apply.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedSegment {
    /// Playlist facts, parts included.
    pub info: SegmentInfo,
    /// Its bytes: the parts concatenated.
    pub data: Bytes,
}

/// A part that passed every check, ready to be applied (after storing what it closes).
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptedPart {
    /// The msn of its segment.
    pub msn: u64,
    /// The part.
    pub part: PartInfo,
    /// The part target it was uploaded with.
    pub part_target: f64,
    /// It is the first part of a new period.
    pub discontinuity: bool,
    /// Producer wall clock of its first sample, if it carries a `prft`.
    pub producer_time: Option<SystemTime>,
    /// The segment this part completes by starting the next one.
    pub closes: Option<ClosedSegment>,
    /// End decode time of each track in the part.
    track_ends: Vec<(u32, u64)>,
    /// Its video sample durations.
    video_durations: Vec<u32>,
}

/// Outcome of [`Rendition::check_part`].
#[derive(Debug)]
pub enum PartCheck {
    /// The same part again: nothing to do.
    Duplicate,
    /// A new part, then [`Rendition::apply_part`].
    New(Box<AcceptedPart>),
}

/// Segments (counted back from the newest) whose parts stay in memory, to be listed and served.
pub const PART_SEGMENTS_KEPT: usize = 8;
/// Shortest and longest part target a broadcaster may declare, in seconds.
pub const PART_TARGET_RANGE: (f64, f64) = (0.1, 2.0);

/// A segment that passed every check, ready to be stored and applied.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptedSegment {
    /// Playlist facts.
    pub info: SegmentInfo,
    /// End decode time of each track in the segment, in the track's timescale.
    pub track_ends: Vec<(u32, u64)>,
}

/// Outcome of [`Rendition::check_init`].
#[derive(Debug)]
pub enum InitCheck {
    /// Same bytes as the current init: nothing to do.
    Unchanged,
    /// A new init to store, then [`Rendition::apply_init`].
    Store(InitSegment),
}

/// Outcome of [`Rendition::check_segment`].
#[derive(Debug)]
pub enum SegmentCheck {
    /// The msn already exists with this length: a retry if the stored bytes are equal.
    PossibleRetry {
        /// The existing segment's msn.
        msn: u64,
    },
    /// A new segment to store, then [`Rendition::apply_segment`].
    New(AcceptedSegment),
}

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

    /// Decides what to do with an uploaded init segment.
    pub fn check_init(&self, data: &[u8]) -> AppResult<InitCheck> {
        if let Some(current) = &self.init {
            if current.bytes == data {
                return Ok(InitCheck::Unchanged);
            }
        }
        let parsed = parse_init(data).map_err(|source| AppError::InvalidInit { source })?;
        if parsed.tracks.is_empty() {
            return Err(AppError::bad_request(
                "invalid init segment: it has no tracks",
            ));
        }
        if let Some(track) = parsed.tracks.iter().find(|t| t.timescale == 0) {
            return Err(AppError::bad_request(format!(
                "invalid init segment: track {} has timescale 0",
                track.id
            )));
        }
        if self.init.is_some() && !self.segments.is_empty() {
            return Err(AppError::conflict(
                "this rendition already has segments: a different init segment would change its codecs; \
                 use a new rendition or a new stream",
            ));
        }
        Ok(InitCheck::Store(parsed))
    }

    /// Decides what to do with the init segment of an encoder that (re)starts a run: before the first
    /// segment as [`Rendition::check_init`]; after it, an init describing the same tracks is accepted
    /// and the stored one stays (its URL is cached as immutable), anything else is a codec change.
    pub fn check_run_init(&self, data: &[u8]) -> AppResult<InitCheck> {
        let Some(current) = self.init.as_ref().filter(|_| !self.segments.is_empty()) else {
            return self.check_init(data);
        };
        if current.bytes == data {
            return Ok(InitCheck::Unchanged);
        }
        let parsed = parse_init(data).map_err(|source| AppError::InvalidInit { source })?;
        if parsed == current.parsed {
            Ok(InitCheck::Unchanged)
        } else {
            Err(AppError::conflict(format!(
                "codec change: this rendition has {} and the new init segment {}; \
                 use a new rendition or a new stream",
                describe(&current.parsed),
                describe(&parsed)
            )))
        }
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

    /// Decides what to do with an uploaded segment `msn` received at `received_at`.
    pub fn check_segment(
        &self,
        msn: u64,
        data: &[u8],
        limits: &Limits,
        received_at: SystemTime,
    ) -> AppResult<SegmentCheck> {
        let Some(init) = &self.init else {
            return Err(AppError::conflict(
                "no init segment for this rendition yet: PUT init.mp4 first",
            ));
        };
        if let Some(open) = &self.open {
            return Err(AppError::conflict(format!(
                "segment {} is being uploaded in parts: send its parts (or the next segment's), or end \
                 the stream",
                open.msn
            )));
        }
        let next = self.next_msn();
        if msn < next {
            let same_len = self
                .segment(msn)
                .is_some_and(|s| usize::try_from(s.bytes).ok() == Some(data.len()));
            return if same_len {
                Ok(SegmentCheck::PossibleRetry { msn })
            } else {
                Err(segment_exists(msn))
            };
        }
        if msn > next {
            return Err(AppError::conflict(format!(
                "expected segment {next}, got {msn}"
            )));
        }

        let segment = parse_segment(&init.parsed, data, limits)
            .map_err(|source| AppError::InvalidSegment { msn, source })?;
        let duration_secs = self
            .validate(&init.parsed, &segment, true)
            .map_err(|reason| AppError::RejectedSegment { msn, reason })?;
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
    ) -> AppResult<PartCheck> {
        let Some(init) = &self.init else {
            return Err(AppError::conflict(
                "no init segment for this rendition yet: PUT init.mp4 first",
            ));
        };
        let (low, high) = PART_TARGET_RANGE;
        if !(low..=high).contains(&part_target) {
            return Err(AppError::bad_request(format!(
                "part target {part_target} s is outside {low} to {high} s"
            )));
        }
        if let Some(current) = self.part_target {
            if (current - part_target).abs() > 1e-9 {
                return Err(AppError::conflict(format!(
                    "this rendition's part target is {current} s, not {part_target} s; it cannot change"
                )));
            }
        }
        if let Some(existing) = self.part(msn, index) {
            return if existing.digest == digest(data) && existing.data.len() == data.len() {
                Ok(PartCheck::Duplicate)
            } else {
                Err(AppError::conflict(format!(
                    "part {msn}.{index} already exists with different content"
                )))
            };
        }
        let (next_msn, next_index) = self.next_part();
        let closes = match &self.open {
            Some(open) if msn == open.msn.saturating_add(1) && index == 0 => {
                Some(self.close(open, init))
            }
            _ if (msn, index) == (next_msn, next_index) => None,
            _ => {
                let also = if self.open.is_some() {
                    format!(" or {}.0", next_msn.saturating_add(1))
                } else {
                    String::new()
                };
                return Err(AppError::conflict(format!(
                    "expected part {next_msn}.{next_index}{also}, got {msn}.{index}"
                )));
            }
        };
        let starts_segment = index == 0;
        let segment = parse_segment(&init.parsed, data, limits)
            .map_err(|source| AppError::InvalidPart { msn, index, source })?;
        let duration_secs = self
            .validate(&init.parsed, &segment, starts_segment)
            .map_err(|reason| AppError::RejectedPart { msn, index, reason })?;
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
}

/// Sample durations of the video track of a segment (none without video).
fn video_durations(init: &InitSegment, segment: &MediaSegment) -> Vec<u32> {
    init.video()
        .and_then(|video| segment.track(video.id))
        .map(|t| t.samples.iter().map(|s| s.duration).collect())
        .unwrap_or_default()
}

/// The video frame rate from sample `durations`: the video track's timescale over the median sample
/// duration, rounded to three decimals as `FRAME-RATE` is. The median ignores the odd longer or shorter
/// frame of a capture clock; `None` without a video track or samples.
fn frame_rate(init: &InitSegment, durations: &[u32]) -> Option<f64> {
    let video = init.video()?;
    let mut durations: Vec<u32> = durations.iter().copied().filter(|&d| d > 0).collect();
    if durations.is_empty() {
        return None;
    }
    durations.sort_unstable();
    let median = *durations.get(durations.len() / 2)?;
    let rate = f64::from(video.timescale) / f64::from(median);
    Some((rate * 1000.0).round() / 1000.0)
}

/// When the first sample of a segment was captured, from its `prft` for the video track (else any
/// track): the producer's wall clock at the `prft`'s media time, moved to the track's base decode time.
fn producer_time(init: &InitSegment, segment: &MediaSegment) -> Option<SystemTime> {
    let prft = init
        .video()
        .and_then(|v| segment.producer_times.iter().find(|p| p.track_id == v.id))
        .or_else(|| segment.producer_times.first())?;
    let track = init.track(prft.track_id)?;
    let base = segment.track(prft.track_id)?.base_decode_time;
    let timescale = f64::from(track.timescale);
    if timescale <= 0.0 {
        return None;
    }
    let offset_secs = (prft.media_time as f64 - base as f64) / timescale;
    let at = SystemTime::UNIX_EPOCH + Duration::from_micros(prft.unix_micros());
    if offset_secs >= 0.0 {
        at.checked_sub(Duration::try_from_secs_f64(offset_secs).ok()?)
    } else {
        at.checked_add(Duration::try_from_secs_f64(-offset_secs).ok()?)
    }
}

/// A short account of an init segment's tracks for error messages, e.g. `avc1.64001f 640x360, mp4a.40.2`.
fn describe(init: &InitSegment) -> String {
    init.tracks
        .iter()
        .map(|t| match t.params {
            onair_media::MediaParams::Video { width, height } => {
                format!("{} {width}x{height}", t.codec_string())
            }
            onair_media::MediaParams::Audio { .. } => t.codec_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error for an msn that exists with other content.
pub fn segment_exists(msn: u64) -> AppError {
    AppError::conflict(format!(
        "segment {msn} already exists with different content"
    ))
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;
    use onair_media::testing::*;

    fn limits() -> Limits {
        Limits::default()
    }

    fn at() -> SystemTime {
        UNIX_EPOCH
    }

    fn with_init() -> Rendition {
        let mut rendition = Rendition::default();
        let bytes = av_init_bytes();
        match rendition.check_init(&bytes).unwrap() {
            InitCheck::Store(parsed) => rendition.apply_init(parsed, Bytes::from(bytes), at()),
            InitCheck::Unchanged => panic!("first init is new"),
        }
        rendition
    }

    fn accept(rendition: &mut Rendition, msn: u64, data: &[u8]) -> SegmentInfo {
        match rendition.check_segment(msn, data, &limits(), at()).unwrap() {
            SegmentCheck::New(accepted) => {
                let info = accepted.info.clone();
                rendition.apply_segment(accepted);
                info
            }
            SegmentCheck::PossibleRetry { .. } => panic!("segment {msn} should be new"),
        }
    }

    /// The reason of a rejection, with its status.
    fn rejection(rendition: &Rendition, msn: u64, data: &[u8]) -> (u16, String) {
        let err = rendition
            .check_segment(msn, data, &limits(), at())
            .expect_err("should be rejected");
        (err.status_code().as_u16(), err.to_string())
    }

    #[test]
    fn init_rules() {
        let mut rendition = Rendition::default();
        let err = rendition.check_init(b"garbage!").unwrap_err();
        assert_eq!(err.status_code(), 400, "{err}");

        rendition = with_init();
        assert!(matches!(
            rendition.check_init(&av_init_bytes()).unwrap(),
            InitCheck::Unchanged
        ));
        // Before any segment, another init replaces the first one.
        let video_only = init_bytes(&InitSegment {
            tracks: vec![video_track()],
        });
        assert!(matches!(
            rendition.check_init(&video_only).unwrap(),
            InitCheck::Store(_)
        ));
        // After a segment, a different init is a codec change.
        accept(&mut rendition, 0, &av_segment(0));
        assert_eq!(
            rendition.check_init(&video_only).unwrap_err().status_code(),
            409
        );
        assert!(matches!(
            rendition.check_init(&av_init_bytes()).unwrap(),
            InitCheck::Unchanged
        ));
    }

    #[test]
    fn accepts_a_continuous_stream() {
        let mut rendition = with_init();
        for msn in 0..3 {
            let data = av_segment(msn);
            let info = accept(&mut rendition, msn, &data);
            assert_eq!(info.msn, msn);
            assert!((info.duration_secs - SEGMENT_SECS).abs() < 1e-9);
            assert_eq!(info.bytes, data.len() as u64);
        }
        assert_eq!(rendition.next_msn(), 3);
        assert_eq!(rendition.segment(1).map(|s| s.msn), Some(1));
        assert!(rendition.segment(3).is_none());
    }

    #[test]
    fn segment_rules() {
        let empty = Rendition::default();
        assert_eq!(rejection(&empty, 0, &av_segment(0)).0, 409, "no init yet");

        let mut rendition = with_init();
        assert_eq!(
            rejection(&rendition, 1, &av_segment(1)).0,
            409,
            "first msn is 0"
        );
        let seg0 = av_segment(0);
        accept(&mut rendition, 0, &seg0);

        // An identical retry is possible, a different body under the same msn is not.
        assert!(matches!(
            rendition.check_segment(0, &seg0, &limits(), at()).unwrap(),
            SegmentCheck::PossibleRetry { msn: 0 }
        ));
        assert_eq!(rejection(&rendition, 0, &seg0[..seg0.len() - 1]).0, 409);
        // Gaps are refused.
        let (status, reason) = rejection(&rendition, 2, &av_segment(2));
        assert_eq!(status, 409);
        assert!(reason.contains("expected segment 1, got 2"), "{reason}");

        // Malformed bodies.
        let seg1 = av_segment(1);
        let (status, reason) = rejection(&rendition, 1, &seg1[..seg1.len() - 10]);
        assert_eq!(status, 400);
        assert!(reason.contains("segment 1"), "{reason}");
        assert_eq!(rejection(&rendition, 1, b"").0, 400);
        assert_eq!(rejection(&rendition, 1, &[0xab; 64]).0, 400);
        assert_eq!(
            rejection(&rendition, 1, &av_init_bytes()).0,
            400,
            "an init is no segment"
        );

        // No keyframe first.
        let (status, reason) = rejection(&rendition, 1, &av_segment_with(1, false));
        assert_eq!(status, 400);
        assert!(reason.contains("keyframe"), "{reason}");

        // Going back in time: segment 0's timing again under msn 1.
        let (status, reason) = rejection(&rendition, 1, &av_segment(0));
        assert_eq!(status, 400);
        assert!(reason.contains("backwards"), "{reason}");

        // Audio only in a rendition with video.
        let audio_only = fragment(1, &[audio_fragment(96_000)]);
        let (status, reason) = rejection(&rendition, 1, &audio_only);
        assert_eq!(status, 400);
        assert!(reason.contains("video track"), "{reason}");

        // Unknown track id.
        let mut stray = video_fragment(180_000, true);
        stray.track_id = 9;
        assert_eq!(rejection(&rendition, 1, &fragment(1, &[stray])).0, 400);

        // None of that changed anything.
        assert_eq!(rendition.next_msn(), 1);
        accept(&mut rendition, 1, &seg1);
    }

    #[test]
    fn a_new_period_may_restart_time_once() {
        let mut rendition = with_init();
        rendition.start_period();
        assert!(!rendition.starts_new_period(), "nothing to discontinue yet");
        accept(&mut rendition, 0, &av_segment(0));
        accept(&mut rendition, 1, &av_segment(1));
        rendition.start_period();
        assert!(rendition.starts_new_period());
        // The encoder restarted: its timeline begins at zero again, the msn continues.
        let info = accept(&mut rendition, 2, &av_segment(0));
        assert!(info.discontinuity);
        assert!(!rendition.starts_new_period());
        let (status, reason) = rejection(&rendition, 3, &av_segment(0));
        assert_eq!(status, 400);
        assert!(reason.contains("backwards"), "{reason}");
        let info = accept(&mut rendition, 3, &av_segment(1));
        assert!(!info.discontinuity);
        let marks: Vec<bool> = rendition
            .segments()
            .iter()
            .map(|s| s.discontinuity)
            .collect();
        assert_eq!(marks, [false, false, true, false]);
    }

    #[test]
    fn run_inits_keep_the_stored_init() {
        let mut rendition = with_init();
        accept(&mut rendition, 0, &av_segment(0));
        assert!(matches!(
            rendition.check_run_init(&av_init_bytes()).unwrap(),
            InitCheck::Unchanged
        ));
        let video_only = init_bytes(&InitSegment {
            tracks: vec![video_track()],
        });
        let err = rendition.check_run_init(&video_only).unwrap_err();
        assert_eq!(err.status_code(), 409);
        assert!(err.to_string().contains("codec change"), "{err}");
        assert!(err.to_string().contains("1280x720"), "{err}");
        assert_eq!(
            rendition
                .check_run_init(b"garbage")
                .unwrap_err()
                .status_code(),
            400
        );
    }

    #[test]
    fn frame_rate_and_digest_are_measured() {
        let mut rendition = with_init();
        let data = av_segment(0);
        let info = accept(&mut rendition, 0, &data);
        // The test media: 10 frames of 18000 ticks at 90 kHz.
        assert_eq!(info.frame_rate, Some(5.0));
        assert_eq!(info.digest, digest(&data));
        assert_eq!(rendition.changed_at(), Some(at()));
    }

    #[test]
    fn audio_only_renditions_need_no_keyframe_flags() {
        let mut rendition = Rendition::default();
        let init = InitSegment {
            tracks: vec![audio_track()],
        };
        let bytes = init_bytes(&init);
        match rendition.check_init(&bytes).unwrap() {
            InitCheck::Store(parsed) => rendition.apply_init(parsed, Bytes::from(bytes), at()),
            InitCheck::Unchanged => unreachable!(),
        }
        let info = accept(&mut rendition, 0, &fragment(0, &[audio_fragment(0)]));
        assert!((info.duration_secs - SEGMENT_SECS).abs() < 1e-9);
        assert_eq!(info.frame_rate, None);
    }
}
