//! Why an upload is refused: a rule of a rendition ([`crate::live::rendition`]) broken, as a domain error
//! that knows nothing of HTTP. The edge answers it ([`crate::error::AppError::status_code`]: malformed or
//! unusable media 400, an upload out of order or in conflict with what is stored 409) with its message as
//! the reason. It depends on nothing else of the server, so both the rules and the edge can name it.

use onair_media::DemuxError;
use onair_protocol::{MAX_PART_TARGET_SECS, MIN_PART_TARGET_SECS};

/// An upload (init segment, segment or part) that breaks a rule of its rendition. Nothing was changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadRefused {
    /// The init segment does not parse.
    #[error("invalid init segment: {source}")]
    MalformedInit {
        /// The demuxer's account of what and where.
        #[source]
        source: DemuxError,
    },
    /// The init segment declares no track.
    #[error("invalid init segment: it has no tracks")]
    InitWithoutTracks,
    /// A track of the init segment has timescale 0 (no time could be measured in it).
    #[error("invalid init segment: track {track_id} has timescale 0")]
    ZeroTimescale {
        /// The track's id.
        track_id: u32,
    },
    /// A different init segment for a rendition that has segments (the broadcaster's API).
    #[error(
        "this rendition already has segments: a different init segment would change its codecs; \
         use a new rendition or a new stream"
    )]
    InitChanged,
    /// A restarted encoder's init segment describes other tracks than the rendition's.
    #[error(
        "codec change: this rendition has {current} and the new init segment {new}; \
         use a new rendition or a new stream"
    )]
    CodecChange {
        /// The rendition's tracks, e.g. `avc1.64001f 640x360, mp4a.40.2`.
        current: String,
        /// The new init segment's tracks.
        new: String,
    },
    /// A segment or part for a rendition without an init segment (the broadcaster's API).
    #[error("no init segment for this rendition yet: PUT init.mp4 first")]
    NoInit,
    /// A segment pushed by an encoder for a rendition without an init segment.
    #[error(
        "no init segment for rendition {rendition} yet: the encoder sends its .mp4 init segment \
         first (-hls_segment_type fmp4)"
    )]
    NoPushedInit {
        /// The rendition.
        rendition: String,
    },
    /// A whole segment while a segment is being uploaded in parts.
    #[error(
        "segment {msn} is being uploaded in parts: send its parts (or the next segment's), or end \
         the stream"
    )]
    SegmentInParts {
        /// The msn of the segment being uploaded in parts.
        msn: u64,
    },
    /// A segment under an msn that holds other bytes.
    #[error("segment {msn} already exists with different content")]
    SegmentExists {
        /// Its msn.
        msn: u64,
    },
    /// A segment that is not the next one.
    #[error("expected segment {expected}, got {msn}")]
    SegmentOutOfOrder {
        /// The msn the next segment must have.
        expected: u64,
        /// The msn uploaded.
        msn: u64,
    },
    /// The segment does not parse.
    #[error("invalid segment {msn}: {source}")]
    MalformedSegment {
        /// Its msn.
        msn: u64,
        /// The demuxer's account of what and where.
        #[source]
        source: DemuxError,
    },
    /// The segment parses but breaks a rule of the stream (keyframe, track ids, timing).
    #[error("segment {msn} rejected: {reason}")]
    RejectedSegment {
        /// Its msn.
        msn: u64,
        /// Which rule it breaks.
        reason: String,
    },
    /// A part target outside what the server takes.
    #[error(
        "part target {part_target} s is outside {} to {} s",
        MIN_PART_TARGET_SECS,
        MAX_PART_TARGET_SECS
    )]
    PartTargetOutOfRange {
        /// The part target uploaded with, in seconds.
        part_target: f64,
    },
    /// A part target other than the rendition's.
    #[error("this rendition's part target is {current} s, not {part_target} s; it cannot change")]
    PartTargetChanged {
        /// The rendition's part target, in seconds.
        current: f64,
        /// The one uploaded with.
        part_target: f64,
    },
    /// A part that exists with other bytes.
    #[error("part {msn}.{index} already exists with different content")]
    PartExists {
        /// The msn of its segment.
        msn: u64,
        /// Its index.
        index: u32,
    },
    /// A part that is not the next one.
    #[error(
        "expected part {expected_msn}.{expected_index}{}, got {msn}.{index}",
        or_first_part_of(.or_segment)
    )]
    PartOutOfOrder {
        /// The msn of the part expected next.
        expected_msn: u64,
        /// The index of the part expected next.
        expected_index: u32,
        /// The segment whose part 0 would do as well (the one after the open segment).
        or_segment: Option<u64>,
        /// The msn of the part uploaded.
        msn: u64,
        /// The index of the part uploaded.
        index: u32,
    },
    /// The part does not parse.
    #[error("invalid part {msn}.{index}: {source}")]
    MalformedPart {
        /// The msn of its segment.
        msn: u64,
        /// Its index.
        index: u32,
        /// The demuxer's account of what and where.
        #[source]
        source: DemuxError,
    },
    /// The part parses but breaks a rule of the stream (keyframe, track ids, timing).
    #[error("part {msn}.{index} rejected: {reason}")]
    RejectedPart {
        /// The msn of its segment.
        msn: u64,
        /// Its index.
        index: u32,
        /// Which rule it breaks.
        reason: String,
    },
}

/// ` or {msn}.0` when part 0 of segment `msn` would do as well.
fn or_first_part_of(segment: &Option<u64>) -> String {
    segment.map_or_else(String::new, |msn| format!(" or {msn}.0"))
}
