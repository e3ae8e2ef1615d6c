//! Browser glue (wasm32 only): runs the engine's commands and feeds the browser's answers back as
//! events. No decision is made here. One job per file:
//!
//! - `player.rs`: the handle, [`Player`]: attach, status, level choice, unmute, destroy.
//! - `driver.rs`: the loop: an event in, the engine's commands run, the page told.
//! - `fetch.rs`: `fetch` with a timeout and an `AbortController` per request, bodies read as a
//!   stream when asked (a hinted part is appended while it arrives).
//! - `events.rs`: [`PlayerEvent`](crate::PlayerEvent)s as JavaScript objects.
//! - `media.rs`: the `MediaSource`, its `SourceBuffer`s and the `<video>` element's events.
//! - `beacon.rs`: the playback's QoE posted to the origin's beacon URL.

mod beacon;
mod crypto;
mod driver;
mod events;
mod fetch;
mod media;
mod player;
mod transmux;

pub use events::event_detail;
pub use player::Player;
