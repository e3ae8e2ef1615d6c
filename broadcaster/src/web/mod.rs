//! Browser glue (wasm32 only): capture, WebCodecs encoders and `fetch` uploads, one job per file.
//!
//! - `camera.rs`: the capture source, [`Camera`] (`getUserMedia`).
//! - `capture.rs`: raw frames and audio data out of a track (`MediaStreamTrackProcessor`).
//! - `video_encoder.rs`, `audio_encoder.rs`: the WebCodecs encoders, the loops that feed them and
//!   their outputs into the packager; `encoder.rs` what the two share.
//! - `blank.rs`: black frames and silence while the camera is off or the microphone muted.
//! - `snapshot.rs`: the live thumbnail's snapshot, drawn from a frame and `PUT` beside the media.
//! - `uploader.rs`: the loop that sends the upload queue's requests with `fetch`.
//! - `state.rs`: the state those tasks share (packager, queue, counters) and how it reaches the page.
//! - `broadcast.rs`: the handle, [`Broadcast`], that starts and stops it all.
//! - `js.rs`: reading and writing JavaScript objects.
//!
//! Each JavaScript failure becomes a [`crate::BroadcastError`] here, at the call that produced it; the
//! decisions (packaging, retries, backpressure, keyframes) are the pure modules' of the crate.

mod audio_encoder;
mod blank;
mod broadcast;
mod camera;
mod capture;
mod encoder;
mod js;
mod snapshot;
mod state;
mod uploader;
mod video_encoder;

pub use broadcast::Broadcast;
pub use camera::Camera;
pub use capture::missing_features;
