//! What a rendition records about accepted media (its init segment, segments and parts, the segment
//! being uploaded in parts), and what a check hands over to be applied ([`InitCheck`], [`SegmentCheck`],
//! [`PartCheck`]).

use std::time::SystemTime;

use bytes::Bytes;
use onair_media::InitSegment;

/// A rendition's accepted init segment.
#[derive(Debug, Clone)]
pub struct InitState {
    /// What it says.
    pub parsed: InitSegment,
    /// Its bytes, served as `init.mp4`. They never change once the rendition has a segment.
    pub bytes: Bytes,
    /// Digest of the bytes ([`crate::digest`]), for the `ETag`.
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
    /// Digest of the bytes ([`crate::digest`]), for the `ETag`.
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
    /// Digest of the bytes ([`crate::digest`]), for the `ETag`.
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
    pub(super) video_durations: Vec<u32>,
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
    pub(super) track_ends: Vec<(u32, u64)>,
    /// Its video sample durations.
    pub(super) video_durations: Vec<u32>,
}

/// Outcome of [`Rendition::check_part`](super::Rendition::check_part).
#[derive(Debug)]
pub enum PartCheck {
    /// The same part again: nothing to do.
    Duplicate,
    /// A new part, then [`Rendition::apply_part`](super::Rendition::apply_part).
    New(Box<AcceptedPart>),
}

/// A segment that passed every check, ready to be stored and applied.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptedSegment {
    /// Playlist facts.
    pub info: SegmentInfo,
    /// End decode time of each track in the segment, in the track's timescale.
    pub track_ends: Vec<(u32, u64)>,
}

/// Outcome of [`Rendition::check_init`](super::Rendition::check_init).
#[derive(Debug)]
pub enum InitCheck {
    /// Same bytes as the current init: nothing to do.
    Unchanged,
    /// A new init to store, then [`Rendition::apply_init`](super::Rendition::apply_init).
    Store(InitSegment),
}

/// Outcome of [`Rendition::check_segment`](super::Rendition::check_segment).
#[derive(Debug)]
pub enum SegmentCheck {
    /// The msn already exists with this length: a retry if the stored bytes are equal.
    PossibleRetry {
        /// The existing segment's msn.
        msn: u64,
    },
    /// A new segment to store, then [`Rendition::apply_segment`](super::Rendition::apply_segment).
    New(AcceptedSegment),
}
