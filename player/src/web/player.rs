//! The player handle: [`Player`] attaches to a `<video>` element, reports its status, unmutes, and
//! tears everything down on destroy.

use std::rc::Rc;

use onair_browser::log;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;
use web_sys::{AbortController, HtmlVideoElement, MediaSource, MediaSourceReadyState, Url};

use super::element::install_listeners;
use super::load::load;
use super::state::{Inner, StatusCallback};
use crate::config::PlayerConfig;
use crate::error::PlayerError;
use crate::status::{Phase, PlayerStatus};

/// Plays an HLS stream in a `<video>` element through Media Source Extensions.
///
/// Dropping the `Player` destroys it, like [`Player::destroy`].
pub struct Player {
    inner: Rc<Inner>,
}

impl std::fmt::Debug for Player {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Player")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl Player {
    /// Starts playing the multivariant or media playlist at `url` in `video`, with the default
    /// [`PlayerConfig`]. Errors are reported through the status ([`Player::on_status`]).
    pub fn attach(video: HtmlVideoElement, url: &str) -> Player {
        Self::attach_with_config(video, url, PlayerConfig::default())
    }

    /// [`Player::attach`] with explicit settings.
    pub fn attach_with_config(video: HtmlVideoElement, url: &str, config: PlayerConfig) -> Player {
        let abort = AbortController::new();
        let media_source = MediaSource::new();
        let (abort, media_source) = match (abort, media_source) {
            (Ok(a), Ok(m)) => (a, m),
            (a, m) => {
                // No MediaSource (or AbortController): report and return an inert player.
                let error = PlayerError::Unsupported {
                    what: "Media Source Extensions".to_owned(),
                };
                log(&format!("player: {error}"));
                let status = PlayerStatus {
                    phase: Phase::Failed,
                    detail: Some(error.to_string()),
                    ..Default::default()
                };
                let inner = Inner::new(
                    video,
                    config,
                    a.unwrap_or_else(|_| JsValue::UNDEFINED.unchecked_into()),
                    m.unwrap_or_else(|_| JsValue::UNDEFINED.unchecked_into()),
                    status,
                );
                inner.destroyed.set(true);
                return Player { inner };
            }
        };
        let inner = Inner::new(video, config, abort, media_source, PlayerStatus::default());
        install_listeners(&inner);
        let url = url.to_owned();
        let task = inner.clone();
        spawn_local(async move {
            match load(&task, &url).await {
                Ok(()) | Err(PlayerError::Destroyed) => {}
                Err(e) => task.fail(&e),
            }
        });
        Player { inner }
    }

    /// Registers the status callback; it is called right away with the current status, then on every
    /// change.
    pub fn on_status(&self, callback: impl Fn(PlayerStatus) + 'static) {
        let callback: StatusCallback = Rc::new(callback);
        *self.inner.on_status.borrow_mut() = Some(callback.clone());
        callback(self.status());
    }

    /// The current status.
    pub fn status(&self) -> PlayerStatus {
        self.inner
            .status
            .try_borrow()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// Unmutes after a muted autoplay (call it from a click, so the browser allows sound).
    pub fn unmute(&self) {
        self.inner.media().set_muted(false);
        self.inner.update_status(|s| s.autoplay_muted = false);
        if self.inner.media().paused() {
            let _ = self.inner.media().play();
        }
    }

    /// Stops everything: aborts requests in flight, detaches the media source from the element and
    /// revokes its object URL. Idempotent.
    pub fn destroy(&self) {
        let inner = &self.inner;
        if inner.destroyed.replace(true) {
            return;
        }
        inner.abort.abort();
        *inner.on_status.borrow_mut() = None;
        for (event, listener) in inner.listeners.borrow_mut().drain(..) {
            let _ = inner
                .video
                .remove_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
        }
        for track in inner.tracks.borrow_mut().drain(..) {
            let sb = &track.source_buffer;
            if inner.media_source.ready_state() == MediaSourceReadyState::Open && sb.updating() {
                // Fires updateend, releasing the executor's wait.
                let _ = sb.abort();
            }
        }
        let _ = inner.video.pause();
        let _ = inner.video.remove_attribute("src");
        inner.video.load();
        if let Some(url) = inner.object_url.borrow_mut().take() {
            let _ = Url::revoke_object_url(&url);
        }
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.destroy();
    }
}
