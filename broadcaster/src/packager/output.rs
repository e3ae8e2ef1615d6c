//! What the packager produces: the init segment and the parts to upload, and the end of each segment
//! for the counters.

use onair_media::{Chunk, PartChunk};

/// What the packager produced, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// The init segment (`ftyp` + `moov`), produced once; to upload.
    Init(Vec<u8>),
    /// A Low-Latency HLS part (one CMAF fragment, `prft` + `moof` + `mdat`); to upload.
    Part(PartChunk),
    /// A segment is complete: its last part came just before. Not uploaded (the server joins the parts);
    /// for the counters.
    Segment(SegmentInfo),
}

/// A completed segment, without its bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentInfo {
    /// Media sequence number.
    pub sequence: u64,
    /// Start time on the broadcast timeline, in seconds.
    pub start_secs: f64,
    /// Duration in seconds.
    pub duration_secs: f64,
    /// Size in bytes (its parts together).
    pub bytes: usize,
}

impl Output {
    pub(super) fn from_chunk(chunk: Chunk) -> Self {
        match chunk {
            Chunk::Part(part) => Output::Part(part),
            Chunk::Segment(segment) => Output::Segment(SegmentInfo {
                sequence: segment.sequence,
                start_secs: segment.start_secs,
                duration_secs: segment.duration_secs,
                bytes: segment.data.len(),
            }),
        }
    }
}

/// Everything the segmenter produced, as outputs.
pub(super) fn outputs(chunks: Vec<Chunk>) -> impl Iterator<Item = Output> {
    chunks.into_iter().map(Output::from_chunk)
}
