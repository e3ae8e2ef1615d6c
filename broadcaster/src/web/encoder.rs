//! What the video and the audio encoder glue share: the two callbacks a WebCodecs encoder is built
//! with, kept alive as long as it, and flushing and closing it by its state.

use std::rc::Rc;

use js_sys::{Function, Promise, Undefined};
use onair_browser::{log, JsError};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::CodecState;

use super::state::Core;

/// An encoder's `output(chunk, metadata)` and `error(e)` callbacks.
pub(super) struct Callbacks {
    output: Closure<dyn FnMut(JsValue, JsValue)>,
    error: Closure<dyn FnMut(JsValue)>,
}

impl Callbacks {
    /// The callbacks of an encoder of `core`'s broadcast: `output(core, chunk, metadata)` for every
    /// encoded chunk, `error(core, e)` when the encoder fails.
    pub fn new(
        core: &Rc<Core>,
        output: impl Fn(&Core, JsValue, &JsValue) + 'static,
        error: impl Fn(&Core, JsValue) + 'static,
    ) -> Self {
        let (for_output, for_error) = (core.clone(), core.clone());
        Self {
            output: Closure::new(move |chunk: JsValue, meta: JsValue| {
                output(&for_output, chunk, &meta)
            }),
            error: Closure::new(move |e: JsValue| error(&for_error, e)),
        }
    }

    /// The `output` callback.
    pub fn output(&self) -> &Function {
        self.output.as_ref().unchecked_ref()
    }

    /// The `error` callback.
    pub fn error(&self) -> &Function {
        self.error.as_ref().unchecked_ref()
    }
}

/// Flushes an encoder in `state` if it is configured (`flush` calls its `flush()`), logging a failure
/// as `{what} flush: ...`.
pub(super) async fn flush(
    what: &str,
    state: CodecState,
    flush: impl FnOnce() -> Promise<Undefined>,
) {
    if state == CodecState::Configured {
        if let Err(e) = JsFuture::from(flush()).await {
            log(&format!("{what} flush: {}", JsError::from(&e)));
        }
    }
}

/// Closes an encoder in `state` unless it is closed already (`close` calls its `close()`).
pub(super) fn close(state: CodecState, close: impl FnOnce() -> Result<(), JsValue>) {
    if state != CodecState::Closed {
        let _ = close();
    }
}
