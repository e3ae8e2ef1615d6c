//! The loader: `fetch` of a whole body, and the retries around it (the shared policy's backoff from
//! the config, [`PlayerError::retry`] deciding what is worth it).

use js_sys::Uint8Array;
use onair_browser::{log, JsError};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, RequestCache, RequestInit, Response};

use super::state::Inner;
use crate::error::{PlayerError, Retry};
use crate::status::Phase;

impl Inner {
    /// GETs with retries: playlists forever (while not destroyed), other resources up to
    /// `segment_attempts` times.
    pub async fn fetch_with_retry(
        &self,
        url: &str,
        playlist: bool,
    ) -> Result<Vec<u8>, PlayerError> {
        let mut attempt = 0_u32;
        loop {
            if self.destroyed.get() {
                return Err(PlayerError::Destroyed);
            }
            attempt = attempt.saturating_add(1);
            match fetch_bytes(url, &self.abort.signal(), playlist).await {
                Ok(bytes) => return Ok(bytes),
                Err(e) => {
                    if self.destroyed.get() {
                        return Err(PlayerError::Destroyed);
                    }
                    let give_up = e.retry(playlist) == Retry::No
                        || (!playlist && attempt >= self.config.segment_attempts);
                    if give_up {
                        return Err(e);
                    }
                    if playlist && matches!(e, PlayerError::Http { status: 404, .. }) {
                        self.set_phase(Phase::Waiting, None);
                    }
                    log(&format!("player: {e}; retry {attempt}"));
                    if !self.sleep(self.config.retry.delay_ms(attempt) as f64).await {
                        return Err(PlayerError::Destroyed);
                    }
                }
            }
        }
    }
}

/// GETs `url` and returns the body. `revalidate` asks caches to revalidate (playlists).
async fn fetch_bytes(
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
