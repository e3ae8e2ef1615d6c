//! Logging to the browser console (wasm32 only).

use wasm_bindgen::JsValue;

/// Logs `message` to the console (`console.log`).
pub fn log(message: &str) {
    web_sys::console::log_1(&JsValue::from_str(message));
}
