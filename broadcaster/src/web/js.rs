//! Reading and writing JavaScript objects: the WebCodecs dictionaries and results the glue handles.

use js_sys::{ArrayBuffer, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

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
