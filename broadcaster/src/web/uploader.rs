//! The uploader loops, one per rendition, so a ladder's renditions upload side by side: each takes its
//! rendition's queue's next request when it may go, sends it with `fetch`, and reports the answer back
//! to the queue (which decides retries, refusals and backpressure).

use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use js_sys::Uint8Array;
use onair_browser::{log, now_ms};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

use super::state::Core;
use crate::error::server_reason;
use crate::stats::BroadcastState;
use crate::upload::{Attempt, Settled, UploadKind, UploadTarget};
use crate::BroadcastError;

/// Sends one upload: how it ended for the queue, and for the page what went wrong if it failed.
async fn send(
    target: &UploadTarget,
    kind: UploadKind,
    body: Option<Uint8Array>,
) -> (Attempt, Option<BroadcastError>) {
    match try_send(target, kind, body).await {
        Ok(response) => {
            let status = response.status();
            let retry_after = response.headers().get("Retry-After").ok().flatten();
            let attempt = Attempt::Status {
                status,
                retry_after,
            };
            if response.ok() {
                return (attempt, None);
            }
            let text = match response.text() {
                Ok(p) => JsFuture::from(p)
                    .await
                    .ok()
                    .and_then(|t| t.as_string())
                    .unwrap_or_default(),
                Err(_) => String::new(),
            };
            let error = BroadcastError::Rejected {
                what: kind.to_string(),
                status,
                reason: server_reason(&text),
            };
            (attempt, Some(error))
        }
        // fetch() rejects only for network failures.
        Err(e) => (Attempt::NetworkError, Some(BroadcastError::js("fetch", e))),
    }
}

/// Builds and sends the request of one upload: its method, URL, headers and body.
async fn try_send(
    target: &UploadTarget,
    kind: UploadKind,
    body: Option<Uint8Array>,
) -> Result<Response, JsValue> {
    let response = JsFuture::from(fetch(target, kind, body.as_ref(), false)?).await?;
    response.dyn_into::<Response>()
}

/// Starts the `fetch` of one upload (its method, URL, headers and body); with `keepalive` the browser
/// finishes it even after the page is gone.
pub(super) fn fetch(
    target: &UploadTarget,
    kind: UploadKind,
    body: Option<&Uint8Array>,
    keepalive: bool,
) -> Result<js_sys::Promise, JsValue> {
    let init = RequestInit::new();
    init.set_method(kind.method());
    if let Some(body) = body {
        init.set_body(body);
    }
    if keepalive {
        // Not in web-sys's RequestInit.
        super::js::set(&init, "keepalive", &JsValue::TRUE);
    }
    let request = Request::new_with_str_and_init(&target.url(kind), &init)?;
    let headers = request.headers();
    for (name, value) in target.headers(kind) {
        headers.set(name, &value)?;
    }
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    Ok(window.fetch_with_request(&request))
}

/// Sends rendition `index`'s uploads one at a time until the broadcast has ended or failed, reporting
/// each answer to its queue and acting on what it settles: the first part taken makes the broadcast
/// live, the end taken ends it, a halted queue fails it.
pub(super) async fn upload_loop(core: Rc<Core>, index: usize) {
    loop {
        // Pick the next upload, copying its body into a JS buffer so no borrow is held across await.
        let next = {
            let Ok(mut s) = core.shared.try_borrow_mut() else {
                TimeoutFuture::new(10).await;
                continue;
            };
            if matches!(
                s.stats.state,
                BroadcastState::Failed(_) | BroadcastState::Ended
            ) {
                break;
            }
            let now = now_ms();
            let Some(queue) = s.queues.get_mut(index) else {
                break;
            };
            match queue.start_next(now) {
                Some(item) => {
                    let body =
                        (!item.body.is_empty()).then(|| Uint8Array::from(item.body.as_slice()));
                    Ok((item.kind, body))
                }
                None => Err(queue.wait_ms(now)),
            }
        };
        let (kind, body) = match next {
            Ok(next) => next,
            Err(wait) => {
                let ms = wait.map_or(20.0, |w| w.clamp(5.0, 250.0));
                TimeoutFuture::new(ms as u32).await;
                continue;
            }
        };
        let Some(target) = core.target(index) else {
            break;
        };
        let (attempt, error) = send(&target, kind, body).await;
        let mut fatal = None;
        if let Ok(mut s) = core.shared.try_borrow_mut() {
            let Some(queue) = s.queues.get_mut(index) else {
                break;
            };
            match queue.report(now_ms(), &attempt) {
                Settled::Uploaded { item, .. } => match item.kind {
                    UploadKind::Part { .. } => {
                        if s.stats.state == BroadcastState::Starting {
                            s.stats.state = BroadcastState::Live;
                        }
                    }
                    UploadKind::End => s.stats.state = BroadcastState::Ended,
                    UploadKind::Init => {}
                },
                Settled::Skipped { item } => {
                    let reason = error.map_or_else(|| "refused".to_owned(), |e| e.to_string());
                    log(&format!(
                        "{} {} dropped: {reason}",
                        target.rendition, item.kind
                    ));
                    s.stats.last_error = Some(reason);
                }
                Settled::Retry { after_ms, failures } => {
                    let reason = error.map_or_else(|| "failed".to_owned(), |e| e.to_string());
                    log(&format!(
                        "upload of {} {kind}: {reason}; retry {failures} in {after_ms} ms",
                        target.rendition
                    ));
                    s.stats.last_error = Some(reason);
                }
                Settled::Halted => {
                    let error = error.unwrap_or(BroadcastError::State("upload queue halted"));
                    log(&format!("upload of {kind}: {error}"));
                    s.stats.last_error = Some(error.to_string());
                    fatal = Some(error);
                }
            }
        }
        if let Some(error) = fatal {
            core.fail(&error);
        }
        core.emit(true);
    }
}
