//! The player: loader task, buffer executor task and watchdog task around one shared state.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    AbortController, Event, HtmlMediaElement, HtmlVideoElement, MediaSource, MediaSourceReadyState,
    SourceBuffer, Url,
};

use super::js::{describe, error_name, fetch_bytes, handler_promise, js_error, log, now_ms};
use crate::buffer::{buffered_ahead, trim_range, Range, Recovery, Snapshot, StallWatchdog};
use crate::config::PlayerConfig;
use crate::error::{PlayerError, Retry};
use crate::live::reload_delay_ms;
use crate::ops::{BufferOp, OpQueue};
use crate::playlist::{parse, parse_media, Manifest, SegmentTracker};
use crate::status::{Phase, PlayerStatus};

/// How often the watchdog looks at the `<video>` element, in milliseconds.
const WATCHDOG_MS: u32 = 250;
/// How often the executor looks for work when idle, in milliseconds.
const EXECUTOR_IDLE_MS: u32 = 20;

type StatusCallback = Rc<dyn Fn(PlayerStatus)>;
type Listener = (&'static str, Closure<dyn FnMut(Event)>);

struct Inner {
    video: HtmlVideoElement,
    config: PlayerConfig,
    abort: AbortController,
    destroyed: Cell<bool>,
    media_source: MediaSource,
    object_url: RefCell<Option<String>>,
    source_buffer: RefCell<Option<SourceBuffer>>,
    ops: RefCell<OpQueue>,
    status: RefCell<PlayerStatus>,
    on_status: RefCell<Option<StatusCallback>>,
    /// Whether the stream is still live (no `EXT-X-ENDLIST` seen).
    live: Cell<bool>,
    target_duration: Cell<f64>,
    started_playback: Cell<bool>,
    listeners: RefCell<Vec<Listener>>,
}

impl Inner {
    fn update_status(&self, f: impl FnOnce(&mut PlayerStatus)) {
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

    fn set_phase(&self, phase: Phase, detail: Option<String>) {
        self.update_status(|s| {
            // A failure or the end is final.
            if matches!(s.phase, Phase::Failed) {
                return;
            }
            s.phase = phase;
            s.detail = detail;
        });
    }

    fn fail(&self, error: &PlayerError) {
        if self.destroyed.get() {
            return;
        }
        log(&format!("player: {error}"));
        self.set_phase(Phase::Failed, Some(error.to_string()));
    }

    fn media(&self) -> &HtmlMediaElement {
        &self.video
    }

    fn buffered(&self) -> Vec<Range> {
        let ranges = self.media().buffered();
        (0..ranges.length())
            .filter_map(|i| Some((ranges.start(i).ok()?, ranges.end(i).ok()?)))
            .collect()
    }

    /// Sleeps, returning false if the player was destroyed meanwhile.
    async fn sleep(&self, ms: f64) -> bool {
        TimeoutFuture::new(ms.clamp(0.0, 60_000.0) as u32).await;
        !self.destroyed.get()
    }

    /// GETs with retries: playlists forever (while not destroyed), other resources up to
    /// `segment_attempts` times.
    async fn fetch_with_retry(&self, url: &str, playlist: bool) -> Result<Vec<u8>, PlayerError> {
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
                    if !self.sleep(self.config.retry_delay_ms(attempt) as f64).await {
                        return Err(PlayerError::Destroyed);
                    }
                }
            }
        }
    }
}

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
                let inner = Rc::new(Inner {
                    video,
                    config,
                    abort: a.unwrap_or_else(|_| JsValue::UNDEFINED.unchecked_into()),
                    destroyed: Cell::new(true),
                    media_source: m.unwrap_or_else(|_| JsValue::UNDEFINED.unchecked_into()),
                    object_url: RefCell::new(None),
                    source_buffer: RefCell::new(None),
                    ops: RefCell::new(OpQueue::default()),
                    status: RefCell::new(PlayerStatus {
                        phase: Phase::Failed,
                        detail: Some(error.to_string()),
                        ..Default::default()
                    }),
                    on_status: RefCell::new(None),
                    live: Cell::new(true),
                    target_duration: Cell::new(2.0),
                    started_playback: Cell::new(false),
                    listeners: RefCell::new(Vec::new()),
                });
                return Player { inner };
            }
        };
        let inner = Rc::new(Inner {
            video,
            config,
            abort,
            destroyed: Cell::new(false),
            media_source,
            object_url: RefCell::new(None),
            source_buffer: RefCell::new(None),
            ops: RefCell::new(OpQueue::default()),
            status: RefCell::new(PlayerStatus::default()),
            on_status: RefCell::new(None),
            live: Cell::new(true),
            target_duration: Cell::new(2.0),
            started_playback: Cell::new(false),
            listeners: RefCell::new(Vec::new()),
        });
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
        if let Some(sb) = inner.source_buffer.borrow_mut().take() {
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

/// Mirrors the element's own events into the status.
fn install_listeners(inner: &Rc<Inner>) {
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

/// Opens the media source, resolves the playlists, then loads segments until the end of the stream.
async fn load(inner: &Rc<Inner>, url: &str) -> Result<(), PlayerError> {
    // Attach the MediaSource and wait for `sourceopen`.
    let object_url = Url::create_object_url_with_source(&inner.media_source)
        .map_err(|e| js_error("URL.createObjectURL", &e))?;
    let opened = handler_promise(|resolve, _| inner.media_source.set_onsourceopen(Some(resolve)));
    inner.video.set_src(&object_url);
    *inner.object_url.borrow_mut() = Some(object_url);
    JsFuture::from(opened)
        .await
        .map_err(|e| js_error("sourceopen", &e))?;
    inner.media_source.set_onsourceopen(None);
    if inner.destroyed.get() {
        return Err(PlayerError::Destroyed);
    }

    // Multivariant or media playlist.
    let first = inner.fetch_with_retry(url, true).await?;
    let (media_url, codecs, mut view) = match parse(&first, url)? {
        Manifest::Multivariant(selection) => {
            let media_url = selection.media_url;
            if let Some(audio) = &selection.audio {
                // Not played yet: the variant's own codecs only, so its video-only init is accepted.
                log(&format!(
                    "player: separate audio rendition {:?} not played",
                    audio.name
                ));
            }
            let bytes = inner.fetch_with_retry(&media_url, true).await?;
            let view = parse_media(&bytes, &media_url)?;
            (media_url, selection.codecs, view)
        }
        Manifest::Media(view) => (url.to_owned(), None, view),
    };
    inner.set_phase(Phase::Loading, None);

    let mut tracker = SegmentTracker::default();
    let mut update = tracker.update(&view, &inner.config);
    // Wait for a first segment (a live stream may list none yet).
    let mut started_at = now_ms();
    while update.new_segments.is_empty() && !view.ended {
        let delay = reload_delay_ms(
            view.target_duration,
            update.changed,
            now_ms() - started_at,
            &inner.config,
        );
        if !inner.sleep(delay).await {
            return Err(PlayerError::Destroyed);
        }
        started_at = now_ms();
        let bytes = inner.fetch_with_retry(&media_url, true).await?;
        view = parse_media(&bytes, &media_url)?;
        update = tracker.update(&view, &inner.config);
    }
    inner.live.set(!view.ended);
    inner.target_duration.set(view.target_duration);

    let Some(map_url) = update.new_segments.first().and_then(|s| s.map_url.clone()) else {
        if update.new_segments.is_empty() {
            // An ended playlist without segments.
            inner.set_phase(Phase::Ended, None);
            return Ok(());
        }
        return Err(PlayerError::Unsupported {
            what: "segments without EXT-X-MAP (MPEG-TS); only fMP4 HLS is supported".to_owned(),
        });
    };
    let init = inner.fetch_with_retry(&map_url, false).await?;
    let codecs = match codecs {
        Some(c) => c,
        None => onair_media::parse_init(&init)
            .map_err(|e| PlayerError::Media(e.to_string()))?
            .codecs(),
    };
    let mime = format!("video/mp4; codecs=\"{codecs}\"");
    if !MediaSource::is_type_supported(&mime) {
        return Err(PlayerError::Unsupported { what: mime });
    }
    let sb = inner
        .media_source
        .add_source_buffer(&mime)
        .map_err(|e| js_error("addSourceBuffer", &e))?;
    *inner.source_buffer.borrow_mut() = Some(sb.clone());
    inner.update_status(|s| s.codecs = Some(codecs.clone()));
    log(&format!(
        "player: {mime}, start at segment {:?}",
        update.new_segments.first().map(|s| s.msn)
    ));

    spawn_local(executor(inner.clone(), sb));
    spawn_local(watchdog(inner.clone()));
    inner.ops.borrow_mut().push(BufferOp::Append {
        label: "init segment".to_owned(),
        data: init,
        media: false,
    });

    let mut current_map = map_url;
    let mut pending = std::collections::VecDeque::from(update.new_segments);
    let mut last_reload = now_ms();
    let mut changed = true;
    loop {
        while let Some(segment) = pending.pop_front() {
            // Backpressure: wait while the executor has enough queued or enough is buffered ahead.
            loop {
                let queued = inner.ops.borrow().appends_waiting();
                let ahead = buffered_ahead(inner.media().current_time(), &inner.buffered());
                if queued < inner.config.max_queued_appends
                    && ahead < inner.config.max_buffer_ahead_secs
                {
                    break;
                }
                if !inner.sleep(100.0).await {
                    return Err(PlayerError::Destroyed);
                }
            }
            if let Some(map) = &segment.map_url {
                if *map != current_map {
                    let init = inner.fetch_with_retry(map, false).await?;
                    inner.ops.borrow_mut().push(BufferOp::Append {
                        label: "init segment".to_owned(),
                        data: init,
                        media: false,
                    });
                    current_map = map.clone();
                }
            }
            match inner.fetch_with_retry(&segment.url, false).await {
                Ok(data) => {
                    inner.ops.borrow_mut().push(BufferOp::Append {
                        label: format!("segment {}", segment.msn),
                        data,
                        media: true,
                    });
                }
                Err(PlayerError::Destroyed) => return Err(PlayerError::Destroyed),
                // A segment that cannot be loaded is skipped; the watchdog jumps the gap.
                Err(e) => log(&format!("player: skipping segment {}: {e}", segment.msn)),
            }
        }
        if view.ended {
            inner.ops.borrow_mut().push(BufferOp::EndOfStream);
            inner.live.set(false);
            return Ok(());
        }
        let delay = reload_delay_ms(
            view.target_duration,
            changed,
            now_ms() - last_reload,
            &inner.config,
        );
        if !inner.sleep(delay).await {
            return Err(PlayerError::Destroyed);
        }
        last_reload = now_ms();
        let bytes = inner.fetch_with_retry(&media_url, true).await?;
        view = match parse_media(&bytes, &media_url) {
            Ok(v) => v,
            Err(e) => {
                // A torn or odd reload: keep the previous copy and try again.
                log(&format!("player: {e}"));
                changed = false;
                continue;
            }
        };
        inner.target_duration.set(view.target_duration);
        let update = tracker.update(&view, &inner.config);
        if update.skipped {
            log("player: fell out of the live window; skipping ahead");
        }
        changed = update.changed;
        pending.extend(update.new_segments);
    }
}

/// Waits for the source buffer's current operation to finish. Err carries the error event.
async fn wait_update(sb: &SourceBuffer) -> Result<(), JsValue> {
    let done = handler_promise(|resolve, reject| {
        sb.set_onupdateend(Some(resolve));
        sb.set_onerror(Some(reject));
    });
    let result = JsFuture::from(done).await.map(|_| ());
    sb.set_onupdateend(None);
    sb.set_onerror(None);
    result
}

/// Runs buffer operations one at a time.
async fn executor(inner: Rc<Inner>, sb: SourceBuffer) {
    loop {
        if inner.destroyed.get() {
            return;
        }
        let op = inner.ops.borrow_mut().pop();
        let Some(op) = op else {
            TimeoutFuture::new(EXECUTOR_IDLE_MS).await;
            continue;
        };
        if inner.media_source.ready_state() != MediaSourceReadyState::Open {
            if !inner.destroyed.get() {
                inner.fail(&PlayerError::Unsupported {
                    what: "the media source closed (decode error?)".to_owned(),
                });
            }
            return;
        }
        match op {
            BufferOp::Append {
                label,
                mut data,
                media,
            } => {
                let mut result = append(&sb, &mut data).await;
                if let Err(e) = &result {
                    if error_name(e).as_deref() == Some("QuotaExceededError") {
                        // Full: drop most of the back buffer and try once more.
                        let t = inner.media().current_time();
                        if let Some(&(start, _)) = inner.buffered().first() {
                            if t - 5.0 > start && sb.remove(start, t - 5.0).is_ok() {
                                let _ = wait_update(&sb).await;
                            }
                        }
                        result = append(&sb, &mut data).await;
                    }
                }
                match result {
                    Ok(()) if media => {
                        inner.update_status(|s| s.segments_appended += 1);
                        if !inner.started_playback.replace(true) {
                            start_playback(&inner).await;
                        }
                    }
                    Ok(()) => {}
                    Err(e) => {
                        let error = js_error("appendBuffer", &e);
                        if media {
                            log(&format!("player: {label}: {error}"));
                        } else {
                            inner.fail(&error);
                            return;
                        }
                    }
                }
            }
            BufferOp::Remove { start, end } => {
                if sb.remove(start, end).is_ok() {
                    let _ = wait_update(&sb).await;
                }
            }
            BufferOp::EndOfStream => {
                if let Err(e) = inner.media_source.end_of_stream() {
                    log(&format!("player: endOfStream: {}", describe(&e)));
                }
            }
        }
    }
}

async fn append(sb: &SourceBuffer, data: &mut [u8]) -> Result<(), JsValue> {
    sb.append_buffer_with_u8_array(data)?;
    wait_update(sb).await
}

/// Jumps to the buffered media and calls `play()`; if autoplay with sound is refused, mutes and
/// tries again, and tells the page to offer an unmute control.
async fn start_playback(inner: &Rc<Inner>) {
    if let Some(&(start, _)) = inner.buffered().first() {
        if inner.media().current_time() < start {
            inner.media().set_current_time(start);
        }
    }
    match try_play(inner.media()).await {
        Ok(()) => {}
        Err(e) if error_name(&e).as_deref() == Some("NotAllowedError") => {
            inner.media().set_muted(true);
            match try_play(inner.media()).await {
                Ok(()) => inner.update_status(|s| s.autoplay_muted = true),
                Err(e) => log(&format!(
                    "player: play() refused even muted: {}",
                    describe(&e)
                )),
            }
        }
        // AbortError: a seek or a new load interrupted play(); playback continues on its own.
        Err(e) => log(&format!("player: play(): {}", describe(&e))),
    }
}

async fn try_play(media: &HtmlMediaElement) -> Result<(), JsValue> {
    let promise = media.play()?;
    JsFuture::from(promise).await.map(|_| ())
}

/// Looks at the element every [`WATCHDOG_MS`]: jumps gaps and stalls, trims the back buffer.
async fn watchdog(inner: Rc<Inner>) {
    let mut dog = StallWatchdog::default();
    loop {
        TimeoutFuture::new(WATCHDOG_MS).await;
        if inner.destroyed.get() {
            return;
        }
        if !inner.started_playback.get() {
            continue;
        }
        let media = inner.media();
        let snapshot = Snapshot {
            current_time: media.current_time(),
            buffered: inner.buffered(),
            paused: media.paused(),
            seeking: media.seeking(),
            live: inner.live.get(),
            live_start_secs: inner.target_duration.get() * inner.config.live_start_target_durations,
        };
        if let Recovery::Seek(to) = dog.check(&snapshot, now_ms(), &inner.config) {
            log(&format!(
                "player: jumping from {:.2} to {to:.2}",
                snapshot.current_time
            ));
            media.set_current_time(to);
        }
        if let Some((start, end)) =
            trim_range(snapshot.current_time, &snapshot.buffered, &inner.config)
        {
            inner.ops.borrow_mut().push_remove(start, end);
        }
    }
}
