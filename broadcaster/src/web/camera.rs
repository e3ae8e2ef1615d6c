//! The capture: a camera (or a screen) and a microphone.

use js_sys::{Object, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DisplayMediaStreamConstraints, MediaDeviceInfo, MediaDeviceKind, MediaStream,
    MediaStreamConstraints, MediaStreamTrack,
};

use onair_browser::JsError;

use super::js::set;
use crate::source::{CaptureChoice, Device, SourceKind};
use crate::BroadcastError;

/// A camera (and, when there is one, a microphone) opened with `getUserMedia`.
#[derive(Debug, Clone)]
pub struct Camera {
    stream: MediaStream,
}

impl Camera {
    /// Asks for the default camera at 1280x720 and the default microphone ([`Camera::open_with`]).
    pub async fn open() -> Result<Camera, BroadcastError> {
        Self::open_with(&CaptureChoice::default()).await
    }

    /// Asks for the chosen camera at the chosen resolution and the chosen microphone. A device that is
    /// gone (`NotFoundError`, `OverconstrainedError`) is replaced by the default one; without any
    /// microphone it falls back to video only.
    pub async fn open_with(choice: &CaptureChoice) -> Result<Camera, BroadcastError> {
        if choice.source == SourceKind::File {
            return Err(BroadcastError::Unsupported {
                what: "a file without its <video> (open it with Camera::from_element)".to_owned(),
            });
        }
        let attempts = [
            (choice.clone(), true),
            (
                CaptureChoice {
                    source: choice.source,
                    resolution: choice.resolution,
                    ..CaptureChoice::default()
                },
                true,
            ),
            (
                CaptureChoice {
                    source: choice.source,
                    resolution: choice.resolution,
                    ..CaptureChoice::default()
                },
                false,
            ),
        ];
        let mut last = None;
        for (attempt, audio) in attempts {
            match Self::get_user_media(&attempt, audio).await {
                Ok(stream) => return Ok(Self { stream }),
                Err(e)
                    if matches!(
                        JsError::from(&e).name.as_deref(),
                        Some("NotFoundError" | "OverconstrainedError")
                    ) =>
                {
                    last = Some(e);
                }
                Err(e) => return Err(BroadcastError::js("getUserMedia", e)),
            }
        }
        Err(BroadcastError::js(
            "getUserMedia",
            last.unwrap_or_else(|| JsValue::from_str("no camera")),
        ))
    }

    async fn get_user_media(choice: &CaptureChoice, audio: bool) -> Result<MediaStream, JsValue> {
        if choice.source == SourceKind::Screen {
            return Self::get_screen(choice, audio).await;
        }
        let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
        let devices = window.navigator().media_devices()?;
        let video = Object::new();
        let ideal = |v: u32| {
            let o = Object::new();
            set(&o, "ideal", &JsValue::from(v));
            o
        };
        let exact = |id: &str| {
            let o = Object::new();
            set(&o, "exact", &JsValue::from_str(id));
            o
        };
        let (width, height) = choice.resolution.size();
        set(&video, "width", &ideal(width));
        set(&video, "height", &ideal(height));
        if let Some(id) = &choice.camera {
            set(&video, "deviceId", &exact(id));
        }
        let constraints = MediaStreamConstraints::new();
        constraints.set_video(&video);
        match (&choice.microphone, audio) {
            (_, false) => constraints.set_audio(&JsValue::FALSE),
            (Some(id), true) => {
                let mic = Object::new();
                set(&mic, "deviceId", &exact(id));
                constraints.set_audio(&mic);
            }
            (None, true) => constraints.set_audio(&JsValue::TRUE),
        }
        let promise: Promise = devices.get_user_media_with_constraints(&constraints)?;
        let stream = JsFuture::from(promise).await?;
        stream.dyn_into::<MediaStream>()
    }

    /// A screen, window or tab at most the chosen size, with the chosen microphone's sound.
    async fn get_screen(choice: &CaptureChoice, audio: bool) -> Result<MediaStream, JsValue> {
        let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
        let devices = window.navigator().media_devices()?;
        let video = Object::new();
        let at_most = |v: u32| {
            let o = Object::new();
            set(&o, "max", &JsValue::from(v));
            o
        };
        let (width, height) = choice.resolution.size();
        set(&video, "width", &at_most(width));
        set(&video, "height", &at_most(height));
        set(&video, "frameRate", &JsValue::from(30));
        let constraints = DisplayMediaStreamConstraints::new();
        constraints.set_video(&video);
        let promise = devices.get_display_media_with_constraints(&constraints)?;
        let screen: MediaStream = JsFuture::from(promise).await?.dyn_into()?;
        let stream = MediaStream::new()?;
        if let Ok(track) = screen
            .get_video_tracks()
            .get(0)
            .dyn_into::<MediaStreamTrack>()
        {
            stream.add_track(&track);
        }
        if audio {
            let mic = Object::new();
            if let Some(id) = &choice.microphone {
                let exact = Object::new();
                set(&exact, "exact", &JsValue::from_str(id));
                set(&mic, "deviceId", &exact);
            }
            let constraints = MediaStreamConstraints::new();
            constraints.set_audio(&mic);
            constraints.set_video(&JsValue::FALSE);
            let promise = devices.get_user_media_with_constraints(&constraints)?;
            let sound: MediaStream = JsFuture::from(promise).await?.dyn_into()?;
            if let Ok(track) = sound
                .get_audio_tracks()
                .get(0)
                .dyn_into::<MediaStreamTrack>()
            {
                stream.add_track(&track);
            }
        }
        Ok(stream)
    }

    /// What a playing `<video>` shows and sounds, in real time (`captureStream`, Firefox's
    /// `mozCaptureStream`): a local file played out live. The element may be muted; its capture is not.
    pub fn from_element(video: &web_sys::HtmlVideoElement) -> Result<Camera, BroadcastError> {
        let capture = ["captureStream", "mozCaptureStream"]
            .into_iter()
            .find_map(|name| {
                js_sys::Reflect::get(video, &JsValue::from_str(name))
                    .ok()
                    .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            })
            .ok_or_else(|| BroadcastError::Unsupported {
                what: "HTMLMediaElement.captureStream".to_owned(),
            })?;
        let stream = capture
            .call0(video)
            .and_then(|s| s.dyn_into::<MediaStream>())
            .map_err(|e| BroadcastError::js("captureStream", e))?;
        Ok(Self { stream })
    }

    /// The cameras and microphones the browser lists (named once the page may use the camera).
    pub async fn devices() -> Result<(Vec<Device>, Vec<Device>), BroadcastError> {
        let list = async {
            let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
            let promise = window.navigator().media_devices()?.enumerate_devices()?;
            JsFuture::from(promise).await
        }
        .await
        .map_err(|e| BroadcastError::js("enumerateDevices", e))?;
        let (mut cameras, mut microphones) = (Vec::new(), Vec::new());
        for item in js_sys::Array::from(&list).iter() {
            let Ok(info) = item.dyn_into::<MediaDeviceInfo>() else {
                continue;
            };
            let device = Device {
                id: info.device_id(),
                label: info.label(),
            };
            match info.kind() {
                MediaDeviceKind::Videoinput => cameras.push(device),
                MediaDeviceKind::Audioinput => microphones.push(device),
                _ => {}
            }
        }
        Ok((cameras, microphones))
    }

    /// The `deviceId` of the camera and microphone in use.
    pub fn device_ids(&self) -> (Option<String>, Option<String>) {
        let id = |track: Option<MediaStreamTrack>| {
            track
                .and_then(|t| t.get_settings().get_device_id())
                .filter(|id| !id.is_empty())
        };
        (id(self.video_track()), id(self.audio_track()))
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
