//! # onair-browser
//!
//! The browser glue both ends of OnAir share, written once: the player and the broadcaster are Rust
//! compiled to WebAssembly and meet JavaScript at the same few places.
//!
//! What it owns:
//! - [`JsError`]: a thrown or rejected JavaScript value turned into a Rust error, once, at the
//!   boundary, keeping its `name` (`NotFoundError`, `QuotaExceededError`...) and its message.
//! - [`retry`]: the one retry policy: which HTTP statuses are worth retrying, capped exponential
//!   backoff (with optional jitter) and `Retry-After`. Pure, so each end's state machines use it under
//!   plain `cargo test`.
//! - `console` and `clock` (wasm32 only): `log` to the browser console, and `now_ms` /
//!   `wall_clock_us`, the monotonic and wall clocks of the page.
//!
//! What it leaves to others: each end's own browser APIs (WebCodecs, capture and uploads are the
//! broadcaster's; Media Source Extensions, the `<video>` element and segment loading are the player's),
//! each end's error type (which wraps [`JsError`] with what it was doing), and each end's tunables (the
//! backoff's delays are in their configs). It knows nothing of media formats (`onair-media`) or of the
//! wire contract (`onair-protocol`).
#![warn(missing_docs)]

mod error;
pub mod retry;

#[cfg(target_arch = "wasm32")]
mod clock;
#[cfg(target_arch = "wasm32")]
mod console;

pub use error::JsError;
pub use retry::{status_retryable, Backoff};

#[cfg(target_arch = "wasm32")]
pub use clock::{now_ms, wall_clock_us};
#[cfg(target_arch = "wasm32")]
pub use console::log;
