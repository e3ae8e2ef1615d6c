//! Browser glue (wasm32 only): capture, WebCodecs encoders and `fetch` uploads.
//!
//! Each JavaScript failure becomes a [`crate::BroadcastError`] here, at the call that produced it.

mod broadcast;
mod camera;
mod js;

pub use broadcast::Broadcast;
pub use camera::Camera;
