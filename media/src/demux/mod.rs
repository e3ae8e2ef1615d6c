//! Reading and validating CMAF: init segments and media segments (one or more `moof` + `mdat` pairs).
//!
//! The reader never panics and never allocates from an unchecked size field: every box size is checked
//! against its parent, every sample count against the bytes that could hold it and against [`Limits`].
//! Errors name the box and the byte offset.

mod fragment;
mod init;
mod reader;
mod start;
pub mod stream;

pub use fragment::{parse_segment, parse_segment_at, MediaSegment, SampleEntry, TrackSamples};
pub use init::parse_init;
pub use start::segment_start_secs;

/// Bounds on what the demuxer accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest input in bytes. Defaults to 16 MiB.
    pub max_bytes: usize,
    /// Most samples in one input, over all tracks. Defaults to 100 000.
    pub max_samples: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 16 * 1024 * 1024,
            max_samples: 100_000,
        }
    }
}
