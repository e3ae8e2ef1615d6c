//! `fetch` for the engine: one `AbortController` per request (aborted by the engine, by its timeout, or
//! on destroy), the body reported whole or piece by piece from its `ReadableStream`.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use js_sys::{Reflect, Uint8Array};
use onair_browser::JsError;
use onair_media::playlist::ByteRange;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    AbortController, Headers, ReadableStreamDefaultReader, RequestCache, RequestInit, Response,
};

use super::driver::Driver;
use crate::engine::{Event, RequestId};
use crate::error::PlayerError;

/// A request in flight: aborting it is dropping it.
pub(super) struct InFlight {
    pub controller: AbortController,
    pub _timeout: Timeout,
}

/// Starts the request; its events go to `driver`.
pub(super) fn start(
    driver: &Rc<Driver>,
    id: RequestId,
    url: String,
    timeout_ms: f64,
    stream: bool,
    revalidate: bool,
    range: Option<ByteRange>,
) {
    let Ok(controller) = AbortController::new() else {
        driver.dispatch(Event::FetchFailed {
            id,
            error: PlayerError::Unsupported {
                what: "AbortController".into(),
            },
        });
        return;
    };
    let timed_out = controller.clone();
    let timeout = Timeout::new(timeout_ms.clamp(1.0, 600_000.0) as u32, move || {
        timed_out.abort();
    });
    let signal = controller.signal();
    driver.requests.borrow_mut().insert(
        id,
        InFlight {
            controller,
            _timeout: timeout,
        },
    );
    let driver = driver.clone();
    spawn_local(async move {
        let result = run(&driver, id, &url, &signal, stream, revalidate, range).await;
        // Aborted by the engine: it expects nothing more.
        if driver.requests.borrow_mut().remove(&id).is_none() {
            return;
        }
        match result {
            Ok(()) => driver.dispatch(Event::FetchDone { id }),
            Err(error) => driver.dispatch(Event::FetchFailed { id, error }),
        }
    });
}

fn alive(driver: &Driver, id: RequestId) -> bool {
    driver.requests.borrow().contains_key(&id)
}

async fn run(
    driver: &Rc<Driver>,
    id: RequestId,
    url: &str,
    signal: &web_sys::AbortSignal,
    stream: bool,
    revalidate: bool,
    range: Option<ByteRange>,
) -> Result<(), PlayerError> {
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
    if let Some(range) = range {
        let headers = Headers::new().map_err(|e| network(&e))?;
        headers
            .set("Range", &range.header_value())
            .map_err(|e| network(&e))?;
        init.set_headers(&headers);
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
    if !alive(driver, id) {
        return Ok(());
    }
    driver.dispatch(Event::FetchStarted { id });
    let body = response.body().filter(|_| stream);
    let Some(body) = body else {
        let bytes = JsFuture::from(response.array_buffer().map_err(|e| network(&e))?)
            .await
            .map_err(|e| network(&e))?;
        let mut data = Uint8Array::new(&bytes).to_vec();
        if let Some(range) = range {
            data = crate::range::sub_range(url, response.status(), range, data)?;
        }
        if alive(driver, id) {
            driver.dispatch(Event::FetchChunk { id, data });
        }
        return Ok(());
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| network(&e))?;
        let done = Reflect::get(&chunk, &JsValue::from_str("done"))
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(());
        }
        if !alive(driver, id) {
            let _ = reader.cancel();
            return Ok(());
        }
        if let Ok(value) = Reflect::get(&chunk, &JsValue::from_str("value")) {
            let data = Uint8Array::new(&value).to_vec();
            driver.dispatch(Event::FetchChunk { id, data });
        }
    }
}
