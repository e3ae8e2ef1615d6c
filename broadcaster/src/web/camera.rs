//! The camera and microphone.

use js_sys::{Object, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MediaStream, MediaStreamConstraints, MediaStreamTrack};

use onair_browser::JsError;

use super::js::set;
use crate::BroadcastError;

/// Requested capture size: 1280x720.
pub const CAPTURE_WIDTH: u32 = 1280;
/// Requested capture height.
pub const CAPTURE_HEIGHT: u32 = 720;

/// A camera (and, when there is one, a microphone) opened with `getUserMedia`.
#[derive(Debug, Clone)]
pub struct Camera {
    stream: MediaStream,
}

impl Camera {
    /// Asks for the camera at 1280x720 and the microphone. Without a microphone (`NotFoundError`) it
    /// falls back to video only.
    pub async fn open() -> Result<Camera, BroadcastError> {
        match Self::get_user_media(true).await {
            Ok(stream) => Ok(Self { stream }),
            Err(e)
                if matches!(
                    JsError::from(&e).name.as_deref(),
                    Some("NotFoundError" | "OverconstrainedError")
                ) =>
            {
                let stream = Self::get_user_media(false)
                    .await
                    .map_err(|e| BroadcastError::js("getUserMedia (video only)", e))?;
                Ok(Self { stream })
            }
            Err(e) => Err(BroadcastError::js("getUserMedia", e)),
        }
    }

    async fn get_user_media(audio: bool) -> Result<MediaStream, JsValue> {
        let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
        let devices = window.navigator().media_devices()?;
        let video = Object::new();
        let ideal = |v: u32| {
            let o = Object::new();
            set(&o, "ideal", &JsValue::from(v));
            o
        };
        set(&video, "width", &ideal(CAPTURE_WIDTH));
        set(&video, "height", &ideal(CAPTURE_HEIGHT));
        let constraints = MediaStreamConstraints::new();
        constraints.set_video(&video);
        constraints.set_audio(&JsValue::from_bool(audio));
        let promise: Promise = devices.get_user_media_with_constraints(&constraints)?;
        let stream = JsFuture::from(promise).await?;
        stream.dyn_into::<MediaStream>()
    }

    /// The stream, e.g. for a preview `<video>`'s `srcObject`.
    pub fn stream(&self) -> &MediaStream {
        &self.stream
    }

    /// The first video track.
    pub fn video_track(&self) -> Option<MediaStreamTrack> {
        self.stream.get_video_tracks().get(0).dyn_into().ok()
    }

    /// The first audio track, if there is a microphone.
    pub fn audio_track(&self) -> Option<MediaStreamTrack> {
        self.stream.get_audio_tracks().get(0).dyn_into().ok()
    }

    /// Stops every track (turns the camera light off).
    pub fn stop(&self) {
        let tracks = self.stream.get_tracks();
        for i in 0..tracks.length() {
            if let Ok(track) = tracks.get(i).dyn_into::<MediaStreamTrack>() {
                track.stop();
            }
        }
    }
}
