//! # onair-player-widget
//!
//! The embeddable OnAir player, served by the origin at `/player/`: `onair-player.js` (this crate's
//! wasm-bindgen glue and `js/onair-player.js`, the facade, in one file) and its wasm under a versioned
//! name, built by `scripts/build-player.sh`. A site embeds it with one snippet
//! (`<script src="…/player/onair-player.js" data-stream="ID"></script>`), a custom element
//! (`<onair-player src="…">`) or the JS API (`new OnAirPlayer(video, config)`, `loadSource`, `on`).
//!
//! What it owns:
//! - [`options`]: the JS config object onto the player's config.
//! - [`controls`]: what the controls show (quality menu, LIVE badge, overlay, keyboard shortcuts),
//!   pure and tested natively.
//! - `api` (wasm32): `PlayerCore`, the class the facade wraps: the player, its events as JS objects.
//! - `widget` (wasm32): the responsive player with controls, written into the page.
//!
//! What it leaves to others: playing (the engine, MSE, fetch) is `onair-player`'s; the web app's own
//! pages use `onair-player` directly, and its `/embed/{id}` page posts the same events to its parent.
#![warn(missing_docs)]

pub mod controls;
pub mod options;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod widget;
