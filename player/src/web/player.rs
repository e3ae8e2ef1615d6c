//! The player handle: [`Player`] attaches to a `<video>` element, reports its status, lets the page
//! choose a level, unmutes, and tears everything down on destroy.

use std::rc::Rc;

use onair_browser::{log, now_ms};
use wasm_bindgen::JsCast;
use web_sys::{HtmlVideoElement, MediaSource, Url};

use super::driver::{Driver, EventCallback, StatusCallback};
use super::media::{attach_source, install_element_listeners};
use crate::config::PlayerConfig;
use crate::engine::{Engine, TypeSupport};
use crate::events::PlayerEvent;
use crate::status::{Phase, PlayerStatus};

/// Plays an HLS stream in a `<video>` element through Media Source Extensions.
///
/// Dropping the `Player` destroys it, like [`Player::destroy`].
pub struct Player {
    driver: Option<Rc<Driver>>,
    status: PlayerStatus,
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
        let Ok(media_source) = MediaSource::new() else {
            let detail = "unsupported: Media Source Extensions".to_owned();
            log(&format!("player: {detail}"));
            return Player {
                driver: None,
                status: PlayerStatus {
                    phase: Phase::Failed,
                    detail: Some(detail),
                    ..Default::default()
                },
            };
        };
        let supported: TypeSupport = Box::new(|mime: &str| MediaSource::is_type_supported(mime));
        let seed = (js_sys::Math::random() * u64::MAX as f64) as u64;
        let transmux_url = config.transmux_worker_url.clone();
        let engine = Engine::new(url, config, supported, seed, now_ms());
        let driver = Driver::new(engine, video, media_source, transmux_url);
        install_element_listeners(&driver);
        if let Err(e) = attach_source(&driver) {
            driver.set_phase(Phase::Failed, Some(e.to_string()));
        }
        driver.run_pending();
        Player {
            driver: Some(driver),
            status: PlayerStatus::default(),
        }
    }

    /// Registers the status callback; it is called right away with the current status, then on every
    /// change.
    pub fn on_status(&self, callback: impl Fn(PlayerStatus) + 'static) {
        let callback: StatusCallback = Rc::new(callback);
        if let Some(driver) = &self.driver {
            *driver.on_status.borrow_mut() = Some(callback.clone());
        }
        callback(self.status());
    }

    /// Registers the event callback: levels, level switches, latency, playing, waiting, paused,
    /// errors and the end, as they happen ([`PlayerEvent`]).
    pub fn on_event(&self, callback: impl Fn(&PlayerEvent) + 'static) {
        let callback: EventCallback = Rc::new(callback);
        if let Some(driver) = &self.driver {
            *driver.on_event.borrow_mut() = Some(callback);
        }
    }

    /// Sets the distance behind the live edge to aim at, in seconds, or gives it back to the
    /// playlist's hold-back (`None`).
    pub fn set_latency_target(&self, target_secs: Option<f64>) {
        self.with_engine(|engine| engine.set_latency_target(target_secs));
    }

    /// Jumps to the latency target when playback is far behind it (after a pause, say).
    pub fn seek_to_live(&self) {
        self.with_engine(Engine::seek_to_live);
    }

    /// Runs `f` on the engine, then the commands it decided.
    fn with_engine(&self, f: impl FnOnce(&mut Engine)) {
        if let Some(driver) = &self.driver {
            if let Ok(mut engine) = driver.engine.try_borrow_mut() {
                f(&mut engine);
            }
            driver.run_pending();
        }
    }

    /// The current status.
    pub fn status(&self) -> PlayerStatus {
        match &self.driver {
            Some(d) => d.status.try_borrow().map(|s| s.clone()).unwrap_or_default(),
            None => self.status.clone(),
        }
    }

    /// Chooses the level to play (`Some(index)` into [`PlayerStatus::levels`]) or gives the choice back
    /// to adaptive bitrate (`None`).
    pub fn set_level(&self, level: Option<usize>) {
        self.with_engine(|engine| engine.set_level(level));
    }

    /// Unmutes after a muted autoplay (call it from a click, so the browser allows sound).
    pub fn unmute(&self) {
        let Some(driver) = &self.driver else {
            return;
        };
        driver.video.set_muted(false);
        driver.update_status(|s| s.autoplay_muted = false);
        if driver.video.paused() {
            let _ = driver.video.play();
        }
    }

    /// Stops everything: aborts requests in flight, cancels timers, detaches the media source from the
    /// element and revokes its object URL. Idempotent.
    pub fn destroy(&self) {
        let Some(driver) = &self.driver else {
            return;
        };
        if driver.destroyed.replace(true) {
            return;
        }
        // The playback is over: the origin stops counting this viewer now.
        super::beacon::send(driver, true);
        driver.beacons.borrow_mut().take();
        for request in driver.requests.borrow_mut().take_values() {
            request.controller.abort();
        }
        driver.timers.borrow_mut().clear();
        // Dropping the transmuxer's worker stops it.
        driver.transmux.borrow_mut().take();
        *driver.on_status.borrow_mut() = None;
        *driver.on_event.borrow_mut() = None;
        for (event, listener) in driver.listeners.borrow_mut().drain(..) {
            let _ = driver
                .video
                .remove_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
        }
        driver.source_listeners.borrow_mut().clear();
        driver.buffers.borrow_mut().clear();
        // Text tracks made by addTextTrack stay on the element: empty them and turn them off.
        for track in driver.text_tracks.borrow_mut().drain(..) {
            if let Some(cues) = track.cues() {
                while let Some(cue) = cues.get(0) {
                    if track.remove_cue(&cue).is_err() {
                        break;
                    }
                }
            }
            track.set_mode(web_sys::TextTrackMode::Disabled);
        }
        let _ = driver.video.pause();
        let _ = driver.video.remove_attribute("src");
        driver.video.load();
        if let Some(url) = driver.object_url.borrow_mut().take() {
            let _ = Url::revoke_object_url(&url);
        }
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.destroy();
    }
}
