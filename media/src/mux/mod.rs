//! Writing CMAF: init segments (`ftyp` + `moov`) and fragments (`moof` + `mdat`).
//!
//! Boxes the `mp4` crate has are written with it; the sample entries it lacks are written here, one file per
//! box (`avc1.rs`, `visual.rs` for `hvc1`/`vp09`/`av01`, `opus.rs`, `mp4a.rs` for AAC and MP3). All writers take plain structs and return bytes.

mod avc1;
pub(crate) mod fragment;
mod init;
pub(crate) mod mp4a;
mod opus;
mod prft;
mod visual;
mod writer;

pub use fragment::{write_fragment, write_fragment_with, FragmentOptions, Sample, TrackFragment};
pub use init::write_init;
pub use prft::{ProducerTime, NTP_UNIX_OFFSET_SECS};

/// `sample_flags` of a sync sample: `sample_depends_on = 2` (depends on no other sample).
pub const SYNC_SAMPLE_FLAGS: u32 = 0x0200_0000;
/// `sample_flags` of a non-sync sample: `sample_depends_on = 1` and `sample_is_non_sync_sample = 1`.
pub const NON_SYNC_SAMPLE_FLAGS: u32 = 0x0101_0000;
/// The `sample_is_non_sync_sample` bit of `sample_flags`.
pub const NON_SYNC_BIT: u32 = 0x0001_0000;
