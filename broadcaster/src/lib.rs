//! # onair-broadcaster
//!
//! The browser side of going live: it captures the camera and microphone, encodes them with WebCodecs
//! (H.264 video, Opus or AAC audio), hands the encoded chunks to [`onair_media::Segmenter`] and uploads
//! the init segment and every Low-Latency HLS part (each with a `prft` wall clock) to the OnAir origin,
//! in order, retrying failures; the server joins the parts into segments.
//!
//! What it owns:
//! - [`keyframe`]: when to force a keyframe (every 2 s of capture time).
//! - [`audio_clock`]: capture timestamps for the audio encoder's output (Chromium's stamps drift when
//!   the microphone's reader drops data).
//! - [`timeline`]: converting WebCodecs microsecond timestamps to track timescales, relative to the
//!   first video keyframe.
//! - [`interleave`]: merging the asynchronously produced audio and video chunks into one time-ordered
//!   stream for the segmenter.
//! - [`codec`]: choosing the H.264 level for a frame size and the audio codec candidates.
//! - [`packager`]: init segment and parts from encoded chunks (2 s segments, 0.21 s parts).
//! - [`ladder`]: which renditions a broadcast sends (one, or a ladder encoded in the browser), their
//!   sizes, bitrates and names.
//! - [`renditions`]: the packagers of those renditions: one timeline, keyframes aligned across a
//!   ladder, audio as a rendition of its own beside one.
//! - [`upload`]: the ordered upload queue: capped exponential backoff and `Retry-After`, refused parts
//!   dropped, and whole unsent segments dropped when the upload falls 10 s behind.
//! - [`source`]: the camera, microphone and resolution a person picked.
//! - [`snapshot`]: when the picture is snapshotted for the stream's live thumbnail, and at what size.
//! - [`support`]: what going live needs from the browser, and what to say when it lacks it.
//! - [`stats`]: the counters shown to the person going live.
//! - `web` (wasm32 only): the thin glue to `getUserMedia`, `MediaStreamTrackProcessor`, `VideoEncoder`,
//!   `AudioEncoder` and `fetch`, exposed as [`Camera`] and [`Broadcast`].
//!
//! What it leaves to others: every byte of CMAF and every playlist is written by `onair-media`; the
//! retry policy, JavaScript error conversion, console and clocks are `onair-browser`'s, shared with the
//! player; storage and playlists are the server's job. Everything outside `web` is plain Rust tested with `cargo test`.
#![warn(missing_docs)]

pub mod audio_clock;
pub mod codec;
pub mod error;
pub mod interleave;
pub mod keyframe;
pub mod ladder;
pub mod packager;
pub mod renditions;
pub mod snapshot;
pub mod source;
pub mod stats;
pub mod support;
pub mod timeline;
pub mod upload;

#[cfg(test)]
mod test_chunks;

#[cfg(target_arch = "wasm32")]
mod web;

pub use error::BroadcastError;
pub use onair_browser;
pub use onair_media;
pub use stats::{BroadcastState, BroadcastStats};
pub use upload::{UploadTarget, DEFAULT_RENDITION};

#[cfg(target_arch = "wasm32")]
pub use web::{missing_features, Broadcast, Camera};
