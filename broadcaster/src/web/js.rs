//! Small helpers around `js_sys` for the glue.

use js_sys::{ArrayBuffer, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::BroadcastError;

/// Converts a thrown or rejected JavaScript value into the crate error, once, with context.
pub fn js_error(context: &'static str, value: JsValue) -> BroadcastError {
    BroadcastError::Js {
        context,
        message: describe(&value),
    }
}

/// `Name: message` of a JavaScript error (DOMException and Error alike), or its string form.
pub fn describe(value: &JsValue) -> String {
    let field = |key: &str| {
        Reflect::get(value, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
            .filter(|s| !s.is_empty())
    };
    match (field("name"), field("message")) {
        (Some(name), Some(message)) => format!("{name}: {message}"),
        (None, Some(message)) => message,
        (Some(name), None) => name,
        (None, None) => value.as_string().unwrap_or_else(|| format!("{value:?}")),
    }
}

/// The name of a JavaScript error (`NotFoundError`, `NotAllowedError`...), if it has one.
pub fn error_name(value: &JsValue) -> Option<String> {
    Reflect::get(value, &JsValue::from_str("name"))
        .ok()
        .and_then(|v| v.as_string())
}

/// Reads `obj[key]`, treating `undefined` and `null` as absent.
pub fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// Sets `obj[key] = value` (only fails on frozen objects, which these are not).
pub fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// Copies a `BufferSource` (an `ArrayBuffer` or a typed-array view) into a `Vec`.
pub fn buffer_source_to_vec(value: &JsValue) -> Option<Vec<u8>> {
    if let Some(buf) = value.dyn_ref::<ArrayBuffer>() {
        return Some(Uint8Array::new(buf).to_vec());
    }
    if ArrayBuffer::is_view(value) {
        let buffer = get(value, "buffer")?;
        let offset = get(value, "byteOffset")?.as_f64()?;
        let length = get(value, "byteLength")?.as_f64()?;
        let view = Uint8Array::new_with_byte_offset_and_length(
            &buffer,
            u32::try_from(offset as u64).ok()?,
            u32::try_from(length as u64).ok()?,
        );
        return Some(view.to_vec());
    }
    None
}

/// A monotonic clock in milliseconds (`performance.now()`, or `Date.now()` without it), for backoff
/// and upload timing.
pub fn now_ms() -> f64 {
    match web_sys::window().and_then(|w| w.performance()) {
        Some(performance) => performance.now(),
        None => js_sys::Date::now(),
    }
}

/// The wall clock in microseconds since 1970: `performance.timeOrigin + performance.now()` (finer
/// than `Date.now()`), or `Date.now()` without it. `None` if the clock reads before 1970.
pub fn wall_clock_us() -> Option<u64> {
    let ms = match web_sys::window().and_then(|w| w.performance()) {
        Some(performance) => performance.time_origin() + performance.now(),
        None => js_sys::Date::now(),
    };
    let us = (ms * 1000.0).round();
    (us.is_finite() && us >= 0.0 && us < u64::MAX as f64).then_some(us as u64)
}

/// Logs to the console.
pub fn log(message: &str) {
    web_sys::console::log_1(&JsValue::from_str(message));
}
