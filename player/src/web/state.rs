//! What the player's tasks share: the `<video>` element, the media source, the tracks and the status
//! the page is told about, and the small operations on them every task uses.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use onair_browser::log;
use wasm_bindgen::prelude::Closure;
use web_sys::{AbortController, Event, HtmlMediaElement, HtmlVideoElement, MediaSource};

use super::source_buffer::{ranges, Track};
use crate::buffer::Range;
use crate::config::PlayerConfig;
use crate::error::PlayerError;
use crate::status::{Phase, PlayerStatus};

pub(super) type StatusCallback = Rc<dyn Fn(PlayerStatus)>;
type Listener = (&'static str, Closure<dyn FnMut(Event)>);

/// What the player's tasks share: the element, the media source, the tracks and the status.
pub(super) struct Inner {
    /// The element it plays in.
    pub video: HtmlVideoElement,
    /// Its tunables.
    pub config: PlayerConfig,
    /// Aborts every request in flight on destroy.
    pub abort: AbortController,
    /// Set once by destroy (or from the start for a player that could not start); every task ends.
    pub destroyed: Cell<bool>,
    /// The media source attached to the element.
    pub media_source: MediaSource,
    /// The media source's object URL, the element's `src`, revoked on destroy.
    pub object_url: RefCell<Option<String>>,
    /// The tracks, all created before the first append (MSE cannot add one later).
    pub tracks: RefCell<Vec<Rc<Track>>>,
    /// What the page was last told.
    pub status: RefCell<PlayerStatus>,
    /// The page's status callback.
    pub on_status: RefCell<Option<StatusCallback>>,
    /// Whether the stream is still live (no `EXT-X-ENDLIST` seen).
    pub live: Cell<bool>,
    /// The variant's `EXT-X-TARGETDURATION`, in seconds.
    pub target_duration: Cell<f64>,
    /// Whether `play()` was called once every track had media.
    pub started_playback: Cell<bool>,
    /// The element's event listeners, removed on destroy.
    pub listeners: RefCell<Vec<Listener>>,
}

impl Inner {
    /// The state of a player of `video` that has not started: no tracks, `status` to begin with.
    pub fn new(
        video: HtmlVideoElement,
        config: PlayerConfig,
        abort: AbortController,
        media_source: MediaSource,
        status: PlayerStatus,
    ) -> Rc<Inner> {
        Rc::new(Inner {
            video,
            config,
            abort,
            destroyed: Cell::new(false),
            media_source,
            object_url: RefCell::new(None),
            tracks: RefCell::new(Vec::new()),
            status: RefCell::new(status),
            on_status: RefCell::new(None),
            live: Cell::new(true),
            target_duration: Cell::new(2.0),
            started_playback: Cell::new(false),
            listeners: RefCell::new(Vec::new()),
        })
    }

    /// Changes the status with `f` and tells the page if that changed anything.
    pub fn update_status(&self, f: impl FnOnce(&mut PlayerStatus)) {
        let snapshot = {
            let Ok(mut status) = self.status.try_borrow_mut() else {
                return;
            };
            let before = status.clone();
            f(&mut status);
            if *status == before {
                return;
            }
            status.clone()
        };
        let callback = self.on_status.borrow().clone();
        if let Some(callback) = callback {
            callback(snapshot);
        }
    }

    /// Moves to `phase`, unless the player has failed (final).
    pub fn set_phase(&self, phase: Phase, detail: Option<String>) {
        self.update_status(|s| {
            // A failure or the end is final.
            if matches!(s.phase, Phase::Failed) {
                return;
            }
            s.phase = phase;
            s.detail = detail;
        });
    }

    /// Fails for good with `error` (unless destroyed), telling the page why.
    pub fn fail(&self, error: &PlayerError) {
        if self.destroyed.get() {
            return;
        }
        log(&format!("player: {error}"));
        self.set_phase(Phase::Failed, Some(error.to_string()));
    }

    /// The element as a media element.
    pub fn media(&self) -> &HtmlMediaElement {
        &self.video
    }

    /// The element's buffered ranges: with Media Source Extensions, the intersection of every
    /// `SourceBuffer`'s ranges ("the intersection of the ranges in activeSourceBuffers", MSE 2.4.1
    /// `buffered`), where both audio and video have data, the only place playback can go.
    pub fn buffered(&self) -> Vec<Range> {
        ranges(&self.media().buffered())
    }

    /// The tracks (none once destroyed).
    pub fn tracks(&self) -> Vec<Rc<Track>> {
        self.tracks.borrow().clone()
    }

    /// Whether there are tracks (none once destroyed) and every one satisfies `f`.
    pub fn every_track(&self, f: impl Fn(&Track) -> bool) -> bool {
        let tracks = self.tracks.borrow();
        !tracks.is_empty() && tracks.iter().all(|t| f(t))
    }

    /// Sleeps, returning false if the player was destroyed meanwhile.
    pub async fn sleep(&self, ms: f64) -> bool {
        TimeoutFuture::new(ms.clamp(0.0, 60_000.0) as u32).await;
        !self.destroyed.get()
    }
}
