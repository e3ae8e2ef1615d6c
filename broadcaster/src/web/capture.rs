//! Raw media out of a `MediaStreamTrack`: camera `VideoFrame`s and microphone `AudioData` through
//! `MediaStreamTrackProcessor`, one read at a time.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::ReadableStreamDefaultReader;
use web_sys::{MediaStreamTrack, MediaStreamTrackProcessor, MediaStreamTrackProcessorInit};

use super::js::get;
use crate::BroadcastError;

/// Whether this browser has `MediaStreamTrackProcessor` (Chromium does; Firefox and Safari do not).
pub(super) fn check_supported() -> Result<(), BroadcastError> {
    if js_sys::Reflect::get(
        &js_sys::global(),
        &JsValue::from_str("MediaStreamTrackProcessor"),
    )
    .map(|v| v.is_undefined())
    .unwrap_or(true)
    {
        return Err(BroadcastError::Unsupported {
            what: "MediaStreamTrackProcessor".to_owned(),
        });
    }
    Ok(())
}

/// Which of [`crate::support::REQUIRED`] this browser lacks (with `navigator.mediaDevices`, which
/// only secure pages have), so that the page can say so before anyone tries.
pub fn missing_features() -> Vec<&'static str> {
    let global = js_sys::global();
    let lacks = |name: &str| {
        js_sys::Reflect::get(&global, &JsValue::from_str(name))
            .map(|v| v.is_undefined())
            .unwrap_or(true)
    };
    let mut missing: Vec<&'static str> = crate::support::REQUIRED
        .into_iter()
        .filter(|name| lacks(name))
        .collect();
    let devices = web_sys::window()
        .map(|w| w.navigator())
        .and_then(|n| js_sys::Reflect::get(&n, &JsValue::from_str("mediaDevices")).ok())
        .is_some_and(|d| !d.is_undefined());
    if !devices {
        missing.push("camera access (navigator.mediaDevices, which only HTTPS pages have)");
    }
    missing
}

/// A reader of `track`'s frames (video) or audio data. The processor's queue stays Chromium's short
/// default: a reader that fell behind gets fresh data, not a backlog (a dropped `AudioData` is a gap
/// that `crate::audio_clock` accounts for).
pub(super) fn reader_for(
    track: &MediaStreamTrack,
) -> Result<ReadableStreamDefaultReader, BroadcastError> {
    let processor = MediaStreamTrackProcessor::new(&MediaStreamTrackProcessorInit::new(track))
        .map_err(|e| BroadcastError::js("new MediaStreamTrackProcessor", e))?;
    Ok(processor.readable().get_reader().unchecked_into())
}

/// Reads one item from a reader: `Ok(None)` at the end of the stream.
pub(super) async fn read(reader: &ReadableStreamDefaultReader) -> Result<Option<JsValue>, JsValue> {
    let result = JsFuture::from(reader.read()).await?;
    if get(&result, "done")
        .and_then(|d| d.as_bool())
        .unwrap_or(false)
    {
        return Ok(None);
    }
    Ok(get(&result, "value"))
}
