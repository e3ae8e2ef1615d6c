//! Small helpers for the glue: `fetch` of a whole body, and promises settled by event handlers.

use js_sys::{Function, Promise, Uint8Array};
use onair_browser::JsError;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, RequestCache, RequestInit, Response};

use crate::PlayerError;

/// GETs `url` and returns the body. `revalidate` asks caches to revalidate (playlists).
pub async fn fetch_bytes(
    url: &str,
    signal: &AbortSignal,
    revalidate: bool,
) -> Result<Vec<u8>, PlayerError> {
    let network = |e: &JsValue| PlayerError::Network {
        url: url.to_owned(),
        message: JsError::from(e).to_string(),
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
