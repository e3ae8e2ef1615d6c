//! Browser glue (wasm32 only): `fetch`, `MediaSource`, the `<video>` element.

mod js;
mod player;

pub use player::Player;
