//! # onair-player
//!
//! OnAir's HLS player for the browser, in Rust: Low-Latency HLS (blocking reloads, delta updates, parts,
//! the preload-hinted part fetched before it exists and appended as it streams in), adaptive bitrate,
//! a latency controller that is on by default, and recovery from what networks and decoders do. It plays
//! OnAir streams and the HLS that exists: fMP4 or MPEG-TS segments (transmuxed to CMAF in Rust), byte
//! ranges, AES-128 encryption (through WebCrypto), given a multivariant or a media playlist URL, through
//! Media Source Extensions.
//!
//! What it owns:
//! - [`engine`]: every decision, as pure state machines from (event, now) to commands, in one
//!   controller per job (playlists, stream, buffer, level switching, playback, recovery), tested
//!   natively against a mock network and media element.
//! - [`abr`]: the bandwidth estimate and the level choice; [`latency`]: the latency controller.
//! - [`playlist`]: playlists as the player reads them, through the media crate's model.
//! - [`config`]: every tunable, with its default.
//! - [`buffer`]: buffer math, back-buffer trimming, the gap and stall watchdog.
//! - [`url`]: resolving playlist-relative URIs; [`range`]: what a ranged request's answer holds.
//! - [`qoe`]: the playback's quality of experience, as the beacons to the origin report it.
//! - [`status`]: what the page is told; [`events`]: the events the JS API and the embed page deliver.
//! - `web` (wasm32 only): [`Player`], the glue that runs the engine's commands (`fetch` with timeouts and
//!   `AbortController`, MSE, the `<video>` element) and feeds events back.
//!
//! What it leaves to others: parsing fMP4 and playlists is `onair-media`'s; the retry policy, JavaScript
//! error conversion, console and clocks are `onair-browser`'s, shared with the broadcaster; rendering
//! controls is the page's.
#![warn(missing_docs)]

pub mod abr;
pub mod buffer;
pub mod config;
pub mod engine;
pub mod error;
pub mod events;
pub mod latency;
pub mod playlist;
pub mod qoe;
pub mod range;
pub mod small_map;
pub mod status;
pub mod url;

#[cfg(target_arch = "wasm32")]
mod web;

pub use config::PlayerConfig;
pub use error::{ErrorKind, PlayerError};
pub use events::PlayerEvent;
pub use onair_browser;
pub use status::{Phase, PlayerStatus};

#[cfg(target_arch = "wasm32")]
pub use web::{event_detail, Player};
