//! Browser glue (wasm32 only): `fetch`, `MediaSource`, the `<video>` element, one job per file.
//!
//! - `player.rs`: the handle, [`Player`]: attach, status, unmute, destroy.
//! - `load.rs`: opening a stream: media source, first playlist, tracks, `SourceBuffer`s, tasks.
//! - `track.rs`: a track's loop: playlist refresh, segments fetched in order into its queue.
//! - `source_buffer.rs`: MSE: a track's `SourceBuffer`, its operation queue and the executor.
//! - `loader.rs`: `fetch` with the retry policy.
//! - `element.rs`: the `<video>` element's events and starting playback.
//! - `watchdog.rs`: gap and stall recovery and back-buffer trimming on a timer.
//! - `state.rs`: what those tasks share.
//! - `js.rs`: promises settled by event handlers.
//!
//! The decisions are the pure modules' of the crate (`playlist`, `live`, `buffer`, `ops`, `rendition`).

mod element;
mod js;
mod load;
mod loader;
mod player;
mod source_buffer;
mod state;
mod track;
mod watchdog;

pub use player::Player;
