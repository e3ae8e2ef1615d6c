//! # onair-media
//!
//! Everything OnAir does with media bytes and playlists, shared by the broadcaster (Wasm), the server and
//! the player (Wasm). It is pure Rust with no I/O and no platform types, so all of it is tested natively.
//!
//! What it owns:
//! - [`track`]: the description of a track (codec configuration, timescale, size or channels) and the
//!   RFC 6381 codec strings derived from the bitstream configuration.
//! - [`mux`]: writing CMAF init segments (`ftyp` + `moov`) and fragments (`[styp] [prft] moof mdat`). Boxes that the
//!   `mp4` crate has are written with it; the sample entries it lacks (`Opus`/`dOps`, a verbatim `avcC`) are
//!   written here, one file per box.
//! - [`demux`]: a bounded, never-panicking reader and validator for init segments and fragments. Every
//!   upload the server accepts goes through it.
//! - [`join`]: one fragmented MP4 file from a recording's renditions (video with its separate audio) and
//!   periods (time laid end to end), for downloads.
//! - [`ladder`]: the bitrate ladder both ends use: lower rungs for a source size, 0.07 bit per pixel per
//!   frame.
//! - [`segmenter`]: cuts encoded frames of several tracks into segments that start on a video keyframe.
//! - [`ts`]: MPEG transport streams: a demuxer and a transmuxer of TS segments to CMAF.
//! - [`playlist`]: the HLS playlist model: media playlists rendered with `m3u8-rs`, multivariant playlists
//!   (variants and `EXT-X-MEDIA` audio renditions) rendered here.
//! - [`decimal`]: the decimal numbers of playlists and WebVTT, read without `core`'s float parser.
//! - [`webvtt`]: WebVTT subtitle segments (cues, `X-TIMESTAMP-MAP`), bounded and never panicking.
//!
//! - [`testing`] (feature `testing`, for tests only): fixture builders, real fMP4 bytes of a small
//!   H.264 + Opus stream made with the muxer.
//!
//! What it leaves to others: capturing and encoding (broadcaster), storage and HTTP (server), fetching and
//! Media Source Extensions (player).
#![warn(missing_docs)]

pub mod decimal;
pub mod demux;
pub mod error;
pub mod join;
pub mod ladder;
pub mod mux;
pub mod playlist;
pub mod segmenter;
#[cfg(feature = "testing")]
pub mod testing;
pub mod track;
pub mod ts;
pub mod webvtt;

pub use demux::{
    parse_init, parse_segment, parse_segment_at, Limits, MediaSegment, SampleEntry, TrackSamples,
};
pub use error::{DemuxError, MuxError, SegmentError};
pub use join::{JoinError, Joiner};
pub use m3u8_rs;
pub use mux::{
    write_fragment, write_fragment_with, write_init, FragmentOptions, ProducerTime, Sample,
    TrackFragment,
};
pub use playlist::{
    peak_segment_bit_rate, AudioRendition, MediaPlaylist, MultivariantPlaylist, Part,
    PlaylistError, PlaylistSegment, PlaylistType, PreloadHint, PreloadHintType, RenditionReport,
    ServerControl, SessionData, Variant, BEACONS_DATA_ID,
};
pub use segmenter::{Chunk, Frame, PartChunk, Segment, Segmenter, SegmenterConfig};
pub use track::{opus_dops, opus_dops_from_opus_head, Codec, InitSegment, MediaParams, TrackInfo};
pub use ts::{CmafChunk, Transmuxed, TsError, TsTransmuxer};
