//! [`Command::Transmux`](crate::engine::Command::Transmux) through the transmuxer's Web Worker
//! (`transmux-worker/`, its own wasm): started on the first TS segment, so a viewer of fMP4 never
//! loads it. The worker runs from a blob that imports its script by absolute URL, which works from a
//! page on any origin (a worker's script must otherwise be the page's own); its wasm comes with CORS.
//! Answers come back in the order asked; a worker that fails to load fails what waits for it.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Object, Reflect, Uint8Array};
use onair_browser::{log, JsError};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, MessageEvent, Url};

use super::driver::Driver;
use crate::engine::{Event, RequestId, TrackKind};
use crate::error::PlayerError;

/// The running worker and what it has not answered yet.
pub(crate) struct Worker {
    worker: web_sys::Worker,
    waiting: Rc<RefCell<Vec<RequestId>>>,
    _listeners: [Closure<dyn FnMut(web_sys::Event)>; 2],
}

/// Dropping it stops it (the player is destroyed, or it failed to load).
impl Drop for Worker {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// Starts the worker ahead of the first segment; a failure is told when a segment needs it.
pub(super) fn prepare(driver: &Rc<Driver>) {
    let _ = started(driver);
}

/// The worker runs, started now if it was not.
fn started(driver: &Rc<Driver>) -> Result<(), PlayerError> {
    if driver.transmux.borrow().is_none() {
        let worker = start(driver)?;
        *driver.transmux.borrow_mut() = Some(worker);
    }
    Ok(())
}

/// Sends `data` to the worker, starting it first if need be.
pub(super) fn transmux(
    driver: &Rc<Driver>,
    id: RequestId,
    track: TrackKind,
    reset: bool,
    discontinuity: bool,
    data: Vec<u8>,
) {
    if let Err(error) = started(driver) {
        driver.dispatch(Event::TransmuxFailed { id, error });
        return;
    }
    let sent = {
        let guard = driver.transmux.borrow();
        let Some(worker) = guard.as_ref() else {
            return;
        };
        let bytes = Uint8Array::from(data.as_slice());
        let message = Object::new();
        let set = |k: &str, v: &JsValue| Reflect::set(&message, &JsValue::from_str(k), v);
        set("id", &JsValue::from_f64(id as f64))
            .and_then(|_| set("track", &JsValue::from_str(track.name())))
            .and_then(|_| set("reset", &JsValue::from_bool(reset)))
            .and_then(|_| set("discontinuity", &JsValue::from_bool(discontinuity)))
            .and_then(|_| set("data", &bytes))
            .and_then(|_| {
                worker
                    .worker
                    .post_message_with_transfer(&message, &Array::of1(&bytes.buffer()))
            })
            .map(|()| worker.waiting.borrow_mut().push(id))
    };
    if let Err(e) = sent {
        let error = PlayerError::Media(format!("the transmuxer: {}", JsError::from(&e)));
        driver.dispatch(Event::TransmuxFailed { id, error });
    }
}

/// The worker, from a blob that imports its script.
fn start(driver: &Rc<Driver>) -> Result<Worker, PlayerError> {
    let failed = |e: JsValue| PlayerError::Unsupported {
        what: format!("a Web Worker for the transmuxer: {}", JsError::from(&e)),
    };
    let page = Reflect::get(&js_sys::global(), &JsValue::from_str("location"))
        .and_then(|l| Reflect::get(&l, &JsValue::from_str("href")))
        .ok()
        .and_then(|h| h.as_string())
        .unwrap_or_default();
    let script = Url::new_with_base(&driver.transmux_url, &page)
        .map_err(failed)?
        .href();
    // The script's own URL, quoted as a JSON string (it may hold quotes).
    let quoted = js_sys::JSON::stringify(&JsValue::from_str(&script))
        .map(String::from)
        .map_err(failed)?;
    let bootstrap = format!("self.ONAIR_TRANSMUX_BASE={quoted};importScripts({quoted});");
    let options = BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = Blob::new_with_str_sequence_and_options(
        &Array::of1(&JsValue::from_str(&bootstrap)),
        &options,
    )
    .map_err(failed)?;
    let blob_url = Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let worker = web_sys::Worker::new(&blob_url).map_err(failed);
    let _ = Url::revoke_object_url(&blob_url);
    let worker = worker?;
    log(&format!("player: transmuxer worker {script}"));
    let waiting: Rc<RefCell<Vec<RequestId>>> = Rc::default();

    let weak = Rc::downgrade(driver);
    let queue = waiting.clone();
    let on_message = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        let (Some(driver), Some(e)) = (weak.upgrade(), e.dyn_ref::<MessageEvent>()) else {
            return;
        };
        let message = e.data();
        let get = |k: &str| Reflect::get(&message, &JsValue::from_str(k)).ok();
        let Some(id) = get("id").and_then(|v| v.as_f64()).map(|v| v as RequestId) else {
            return;
        };
        queue.borrow_mut().retain(|w| *w != id);
        let event = match get("data").and_then(|d| d.dyn_into::<Uint8Array>().ok()) {
            Some(data) => Event::Transmuxed {
                id,
                data: data.to_vec(),
            },
            None => Event::TransmuxFailed {
                id,
                error: PlayerError::Media(
                    get("error")
                        .and_then(|v| v.as_string())
                        .unwrap_or_else(|| "no answer".into()),
                ),
            },
        };
        driver.dispatch(event);
    });
    let weak = Rc::downgrade(driver);
    let queue = waiting.clone();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        e.prevent_default();
        let Some(driver) = weak.upgrade() else {
            return;
        };
        // The script or its wasm did not load: what waits fails, and the next segment tries anew.
        let message = Reflect::get(&e, &JsValue::from_str("message"))
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| "the worker's script did not load".into());
        // Dropped (and so stopped) later: this listener belongs to it and is running.
        let old = driver.transmux.borrow_mut().take();
        wasm_bindgen_futures::spawn_local(async move { drop(old) });
        let ids = std::mem::take(&mut *queue.borrow_mut());
        for id in ids {
            driver.dispatch(Event::TransmuxFailed {
                id,
                error: PlayerError::Media(message.clone()),
            });
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Worker {
        worker,
        waiting,
        _listeners: [on_message, on_error],
    })
}
