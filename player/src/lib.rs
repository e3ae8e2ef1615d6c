//! # onair-player
//!
//! A small HLS player for fMP4 (CMAF) streams, written in Rust for the browser: it polls the playlist,
//! loads segments in order and feeds them to a Media Source Extensions `SourceBuffer` (two when the
//! variant plays with a separate audio rendition, `EXT-X-MEDIA:TYPE=AUDIO` with a `URI`). It plays OnAir
//! streams and any standard fMP4 HLS stream (for example one made by ffmpeg with
//! `-hls_segment_type fmp4`), given either a multivariant or a media playlist URL.
//!
//! What it owns:
//! - [`config`]: every tunable, with its default.
//! - [`playlist`]: turning `m3u8-rs` playlists into the segments to load, and the live-edge start.
//! - [`rendition`]: choosing the variant and its alternate audio rendition, and splitting `CODECS`
//!   between the variant's `SourceBuffer` and the audio one.
//! - [`live`]: playlist refresh timing (RFC 8216 section 6.3.4).
//! - [`buffer`]: back-buffer trimming, and gap / stall recovery decisions.
//! - [`ops`]: the single queue every `SourceBuffer` operation goes through.
//! - [`url`]: resolving playlist-relative URIs.
//! - [`status`]: what the page is told.
//! - `web` (wasm32 only): [`Player`], the glue to `fetch`, `MediaSource` and the `<video>` element.
//!
//! What it leaves to others: parsing fMP4 init segments (only needed when a playlist has no `CODECS`)
//! is `onair-media`'s; the retry policy, JavaScript error conversion, console and clocks are
//! `onair-browser`'s, shared with the broadcaster; rendering controls is the page's. Everything outside `web` is plain Rust tested
//! with `cargo test`.
#![warn(missing_docs)]

pub mod abr;
pub mod buffer;
pub mod config;
pub mod error;
pub mod latency;
pub mod live;
pub mod ops;
pub mod playlist;
pub mod rendition;
pub mod status;
pub mod url;

#[cfg(target_arch = "wasm32")]
mod web;

pub use config::PlayerConfig;
pub use error::PlayerError;
pub use m3u8_rs;
pub use onair_browser;
pub use status::{Phase, PlayerStatus};

#[cfg(target_arch = "wasm32")]
pub use web::Player;
