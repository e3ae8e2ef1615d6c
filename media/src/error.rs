//! Error types of the media crate: one enum per job (muxing, demuxing, segmenting).

use thiserror::Error;

/// Why an init segment or fragment could not be written.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MuxError {
    /// A box grew past what its 32-bit size field can say.
    #[error("box '{fourcc}' is too large: {size} bytes")]
    BoxTooLarge {
        /// The box type.
        fourcc: String,
        /// Its size in bytes.
        size: u64,
    },
    /// A codec configuration record is malformed.
    #[error("invalid codec configuration: {0}")]
    InvalidConfig(String),
    /// A fragment was asked for with nothing in it.
    #[error("a fragment needs at least one sample")]
    EmptyFragment,
    /// The `mp4` crate refused to write a box.
    #[error("writing box '{fourcc}': {reason}")]
    Write {
        /// The box type.
        fourcc: &'static str,
        /// What the writer said.
        reason: String,
    },
}

/// Why bytes were rejected by the demuxer. Each variant names the box and the byte offset where the
/// problem is, so that a person debugging a stream can find it.
#[derive(Debug, Error, PartialEq, Eq, Clone)]
#[non_exhaustive]
pub enum DemuxError {
    /// The input is empty or does not begin with an ISO BMFF box.
    #[error("not an MP4 file: {0}")]
    NotMp4(String),
    /// A box declares more bytes than remain in its parent.
    #[error(
        "truncated box '{fourcc}' at byte {offset}: declares {declared} bytes, {available} remain"
    )]
    Truncated {
        /// The box type.
        fourcc: String,
        /// Where the box starts.
        offset: usize,
        /// Its declared size.
        declared: u64,
        /// How many bytes there really are.
        available: usize,
    },
    /// A box size field is impossible (smaller than its header).
    #[error("invalid size {size} for box '{fourcc}' at byte {offset}")]
    BadSize {
        /// The box type.
        fourcc: String,
        /// Where the box starts.
        offset: usize,
        /// The size found.
        size: u64,
    },
    /// A box's body ended before one of its fields.
    #[error("box '{fourcc}' at byte {offset} ends before its field '{field}'")]
    ShortBody {
        /// The box type.
        fourcc: &'static str,
        /// Where the box starts.
        offset: usize,
        /// The field that could not be read.
        field: &'static str,
    },
    /// A required box is absent.
    #[error("missing box '{fourcc}' in '{parent}'")]
    Missing {
        /// The box that should be there.
        fourcc: &'static str,
        /// Where it should be.
        parent: &'static str,
    },
    /// A fragment names a track the init segment does not have.
    #[error("unknown track id {track_id} in 'tfhd' at byte {offset}")]
    UnknownTrack {
        /// The track id found.
        track_id: u32,
        /// Where the `tfhd` starts.
        offset: usize,
    },
    /// A codec that OnAir does not carry.
    #[error("unsupported codec '{0}'")]
    UnsupportedCodec(String),
    /// A field has a value the format forbids or that does not fit the stream.
    #[error("invalid '{fourcc}' at byte {offset}: {reason}")]
    Invalid {
        /// The box type.
        fourcc: &'static str,
        /// Where the box starts.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// Sample data lies outside the `mdat` that should hold it.
    #[error("sample data of track {track_id} at bytes {start}..{end} lies outside mdat {mdat_start}..{mdat_end}")]
    DataOutsideMdat {
        /// The track.
        track_id: u32,
        /// First byte of the sample run.
        start: u64,
        /// One past its last byte.
        end: u64,
        /// First byte of the mdat body.
        mdat_start: usize,
        /// One past the mdat's last byte.
        mdat_end: usize,
    },
    /// Decode times of a track go backwards between fragments.
    #[error("decode time of track {track_id} goes backwards: {found} after {expected_at_least}")]
    TimeBackwards {
        /// The track.
        track_id: u32,
        /// The decode time found.
        found: u64,
        /// The smallest acceptable.
        expected_at_least: u64,
    },
    /// The input is larger than the configured limit.
    #[error("{what} too large: {size} > limit {limit}")]
    TooLarge {
        /// What was counted (bytes, samples).
        what: &'static str,
        /// The size found.
        size: u64,
        /// The limit.
        limit: u64,
    },
}

/// Why the segmenter refused a frame.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SegmentError {
    /// The frame's track is not in the init segment.
    #[error("frame for unknown track {0}")]
    UnknownTrack(u32),
    /// A frame's decode time is before the previous frame's of the same track.
    #[error("decode time of track {track_id} goes backwards: {dts} after {previous}")]
    TimeBackwards {
        /// The track.
        track_id: u32,
        /// The frame's decode time.
        dts: u64,
        /// The previous frame's.
        previous: u64,
    },
    /// Muxing the segment failed.
    #[error(transparent)]
    Mux(#[from] MuxError),
}
