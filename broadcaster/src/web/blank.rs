//! What goes out while the person turned the camera off or muted the microphone: black frames and
//! silence at the capture's own pace and timestamps, so the stream, its timeline and its parts go on
//! unchanged (a disabled track would send black frames about once a second, longer than a part).

use std::cell::RefCell;

use js_sys::{Object, Uint8Array};
use onair_browser::{log, JsError};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    AudioData, OffscreenCanvas, OffscreenCanvasRenderingContext2d, VideoFrame, VideoFrameInit,
};

use super::js::set;

thread_local! {
    /// A black canvas of the last size asked.
    static BLACK: RefCell<Option<(u32, u32, OffscreenCanvas)>> = const { RefCell::new(None) };
}

/// The camera's frame, or, while the camera is `off`, a black one in its place (the camera's closed).
pub(super) fn black_if(off: bool, frame: VideoFrame) -> VideoFrame {
    if !off {
        return frame;
    }
    substitute(frame, black_like, VideoFrame::close, "black frame")
}

/// The microphone's data, or, while `muted`, silence in its place (the microphone's closed).
pub(super) fn silent_if(muted: bool, data: AudioData) -> AudioData {
    if !muted {
        return data;
    }
    substitute(data, silence_like, AudioData::close, "silence")
}

/// `made` from `original` in its place (`original` closed), or `original` itself when that fails.
fn substitute<T>(
    original: T,
    make: impl FnOnce(&T) -> Result<T, JsValue>,
    close: impl FnOnce(&T),
    what: &str,
) -> T {
    match make(&original) {
        Ok(made) => {
            close(&original);
            made
        }
        Err(e) => {
            log(&format!("{what}: {}", JsError::from(&e)));
            original
        }
    }
}

/// A black frame of `frame`'s size at its timestamp (the caller closes `frame`).
fn black_like(frame: &VideoFrame) -> Result<VideoFrame, JsValue> {
    let (width, height) = (frame.display_width().max(2), frame.display_height().max(2));
    let canvas = BLACK.with(|cell| -> Result<OffscreenCanvas, JsValue> {
        let mut cached = cell.borrow_mut();
        if let Some((w, h, canvas)) = cached.as_ref() {
            if (*w, *h) == (width, height) {
                return Ok(canvas.clone());
            }
        }
        let canvas = OffscreenCanvas::new(width, height)?;
        let context: OffscreenCanvasRenderingContext2d = canvas
            .get_context("2d")?
            .ok_or_else(|| JsValue::from_str("no 2d context"))?
            .dyn_into()?;
        context.set_fill_style_str("#000");
        context.fill_rect(0.0, 0.0, f64::from(width), f64::from(height));
        *cached = Some((width, height, canvas.clone()));
        Ok(canvas)
    })?;
    let init = VideoFrameInit::new();
    init.set_timestamp_f64(frame.timestamp());
    if let Some(duration) = frame.duration() {
        init.set_duration_f64(duration);
    }
    VideoFrame::new_with_offscreen_canvas_and_video_frame_init(&canvas, &init)
}

/// Silence as long as `data`, at its timestamp (the caller closes `data`).
fn silence_like(data: &AudioData) -> Result<AudioData, JsValue> {
    let (frames, channels) = (data.number_of_frames(), data.number_of_channels());
    let bytes = frames as usize * channels as usize * 4;
    let init = Object::new();
    set(&init, "format", &JsValue::from_str("f32-planar"));
    set(&init, "sampleRate", &JsValue::from(data.sample_rate()));
    set(&init, "numberOfFrames", &JsValue::from(frames));
    set(&init, "numberOfChannels", &JsValue::from(channels));
    set(&init, "timestamp", &JsValue::from(data.timestamp()));
    set(&init, "data", &Uint8Array::new_with_length(bytes as u32));
    AudioData::new(init.unchecked_ref())
}
