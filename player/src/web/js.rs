//! Small helpers for the glue; JavaScript errors become [`PlayerError`] here.

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, RequestCache, RequestInit, Response};

use crate::PlayerError;

/// `Name: message` of a JavaScript error, or its string form.
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

/// The `name` of a JavaScript error.
pub fn error_name(value: &JsValue) -> Option<String> {
    Reflect::get(value, &JsValue::from_str("name"))
        .ok()
        .and_then(|v| v.as_string())
}

/// Converts a JavaScript exception, once, with context.
pub fn js_error(context: &'static str, value: &JsValue) -> PlayerError {
    PlayerError::Js {
        context,
        message: describe(value),
    }
}

/// Logs to the console.
pub fn log(message: &str) {
    web_sys::console::log_1(&JsValue::from_str(message));
}

/// Milliseconds on a monotonic-enough clock.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// GETs `url` and returns the body. `revalidate` asks caches to revalidate (playlists).
pub async fn fetch_bytes(
    url: &str,
    signal: &AbortSignal,
    revalidate: bool,
) -> Result<Vec<u8>, PlayerError> {
    let network = |e: &JsValue| PlayerError::Network {
        url: url.to_owned(),
        message: describe(e),
    };
    let window = web_sys::window().ok_or_else(|| PlayerError::Unsupported {
        what: "a window".to_owned(),
    })?;
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_signal(Some(signal));
    if revalidate {
        init.set_cache(RequestCache::NoCache);
    }
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| network(&e))?;
    let response: Response = response.dyn_into().map_err(|e| network(&e))?;
    if !response.ok() {
        return Err(PlayerError::Http {
            url: url.to_owned(),
            status: response.status(),
        });
    }
    let body = response.array_buffer().map_err(|e| network(&e))?;
    let body = JsFuture::from(body).await.map_err(|e| network(&e))?;
    Ok(Uint8Array::new(&body).to_vec())
}

/// A promise that settles the next time one of the handlers installed by `install` is called with
/// `resolve` or `reject`.
pub fn handler_promise(install: impl Fn(&Function, &Function)) -> Promise {
    Promise::new(&mut |resolve: Function, reject: Function| install(&resolve, &reject))
}
