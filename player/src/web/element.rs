//! The `<video>` element: its events mirrored into the status, and starting playback (muted when
//! autoplay with sound is refused).

use std::rc::Rc;

use onair_browser::{log, JsError};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Event, HtmlMediaElement};

use super::state::Inner;
use crate::status::Phase;

/// Mirrors the element's own events into the status.
pub(super) fn install_listeners(inner: &Rc<Inner>) {
    let events: [(&'static str, Phase); 4] = [
        ("playing", Phase::Playing),
        ("waiting", Phase::Buffering),
        ("pause", Phase::Paused),
        ("ended", Phase::Ended),
    ];
    for (event, phase) in events {
        let weak = Rc::downgrade(inner);
        let listener = Closure::<dyn FnMut(Event)>::new(move |_e: Event| {
            let Some(inner) = weak.upgrade() else {
                return;
            };
            if inner.destroyed.get() {
                return;
            }
            // A pause at the end of a finished stream is the end, not a pause.
            if phase == Phase::Paused && inner.video.ended() {
                inner.set_phase(Phase::Ended, None);
            } else {
                inner.set_phase(phase, None);
            }
        });
        let _ = inner
            .video
            .add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
        inner.listeners.borrow_mut().push((event, listener));
    }
}

/// Jumps to the buffered media and calls `play()`; if autoplay with sound is refused, mutes and
/// tries again, and tells the page to offer an unmute control.
pub(super) async fn start_playback(inner: &Rc<Inner>) {
    if let Some(&(start, _)) = inner.buffered().first() {
        if inner.media().current_time() < start {
            inner.media().set_current_time(start);
        }
    }
    match try_play(inner.media()).await {
        Ok(()) => {}
        Err(e) if JsError::from(&e).is("NotAllowedError") => {
            inner.media().set_muted(true);
            match try_play(inner.media()).await {
                Ok(()) => inner.update_status(|s| s.autoplay_muted = true),
                Err(e) => log(&format!(
                    "player: play() refused even muted: {}",
                    JsError::from(&e)
                )),
            }
        }
        // AbortError: a seek or a new load interrupted play(); playback continues on its own.
        Err(e) => log(&format!("player: play(): {}", JsError::from(&e))),
    }
}

async fn try_play(media: &HtmlMediaElement) -> Result<(), JsValue> {
    let promise = media.play()?;
    JsFuture::from(promise).await.map(|_| ())
}
