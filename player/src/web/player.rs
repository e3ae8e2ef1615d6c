//! The player: a loader task and a buffer executor task per track (the variant's media, and the
//! separate audio rendition when there is one) and one watchdog task, around one shared state.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    AbortController, Event, HtmlMediaElement, HtmlVideoElement, MediaSource, MediaSourceReadyState,
    SourceBuffer, TimeRanges, Url,
};

use onair_browser::{log, now_ms, JsError};

use super::js::{fetch_bytes, handler_promise};
use crate::buffer::{buffered_ahead, trim_range, Range, Recovery, Snapshot, StallWatchdog};
use crate::config::PlayerConfig;
use crate::error::{PlayerError, Retry};
use crate::live::reload_delay_ms;
use crate::ops::{BufferOp, OpQueue};
use crate::playlist::{parse, parse_media, Manifest, MediaView, SegmentRef, SegmentTracker};
use crate::status::{Phase, PlayerStatus};

/// How often the watchdog looks at the `<video>` element, in milliseconds.
const WATCHDOG_MS: u32 = 250;
/// How often the executor looks for work when idle, in milliseconds.
const EXECUTOR_IDLE_MS: u32 = 20;

type StatusCallback = Rc<dyn Fn(PlayerStatus)>;
type Listener = (&'static str, Closure<dyn FnMut(Event)>);

/// What a track carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The variant's media playlist (video, with its audio when that is muxed in).
    Main,
    /// A separate audio rendition (`EXT-X-MEDIA:TYPE=AUDIO` with a `URI`).
    Audio,
}

/// One `SourceBuffer` and the queue of operations on it.
struct Track {
    kind: Kind,
    source_buffer: SourceBuffer,
    ops: RefCell<OpQueue>,
    /// Media segments appended.
    appended: Cell<u64>,
    /// Its `EndOfStream` was reached: every append is done.
    ended: Cell<bool>,
}

impl Track {
    fn name(&self) -> &'static str {
        match self.kind {
            Kind::Main => "video",
            Kind::Audio => "audio",
        }
    }

    /// This buffer's own ranges (the element's `buffered` is the intersection of all of them).
    fn buffered(&self) -> Vec<Range> {
        self.source_buffer
            .buffered()
            .map(|r| ranges(&r))
            .unwrap_or_default()
    }
}

fn ranges(ranges: &TimeRanges) -> Vec<Range> {
    (0..ranges.length())
        .filter_map(|i| Some((ranges.start(i).ok()?, ranges.end(i).ok()?)))
        .collect()
}

struct Inner {
    video: HtmlVideoElement,
    config: PlayerConfig,
    abort: AbortController,
    destroyed: Cell<bool>,
    media_source: MediaSource,
    object_url: RefCell<Option<String>>,
    /// The tracks, all created before the first append (MSE cannot add one later).
    tracks: RefCell<Vec<Rc<Track>>>,
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

    /// The element's buffered ranges: with Media Source Extensions, the intersection of every
    /// `SourceBuffer`'s ranges ("the intersection of the ranges in activeSourceBuffers", MSE 2.4.1
    /// `buffered`), where both audio and video have data, the only place playback can go.
    fn buffered(&self) -> Vec<Range> {
        ranges(&self.media().buffered())
    }

    fn tracks(&self) -> Vec<Rc<Track>> {
        self.tracks.borrow().clone()
    }

    /// Whether there are tracks (none once destroyed) and every one satisfies `f`.
    fn every_track(&self, f: impl Fn(&Track) -> bool) -> bool {
        let tracks = self.tracks.borrow();
        !tracks.is_empty() && tracks.iter().all(|t| f(t))
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
                    if !self.sleep(self.config.retry.delay_ms(attempt) as f64).await {
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
                    tracks: RefCell::new(Vec::new()),
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
            tracks: RefCell::new(Vec::new()),
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
        .map_err(|e| PlayerError::js("URL.createObjectURL", &e))?;
    let opened = handler_promise(|resolve, _| inner.media_source.set_onsourceopen(Some(resolve)));
    inner.video.set_src(&object_url);
    *inner.object_url.borrow_mut() = Some(object_url);
    JsFuture::from(opened)
        .await
        .map_err(|e| PlayerError::js("sourceopen", &e))?;
    inner.media_source.set_onsourceopen(None);
    if inner.destroyed.get() {
        return Err(PlayerError::Destroyed);
    }

    // Multivariant or media playlist.
    let first = inner.fetch_with_retry(url, true).await?;
    let (main_url, main_codecs, audio, view) = match parse(&first, url)? {
        Manifest::Multivariant(selection) => {
            (selection.media_url, selection.codecs, selection.audio, None)
        }
        Manifest::Media(view) => (url.to_owned(), None, None, Some(view)),
    };
    inner.set_phase(Phase::Loading, None);

    let Some(main) = start_track(inner, main_url, view, SegmentTracker::default()).await? else {
        // An ended playlist without segments.
        inner.set_phase(Phase::Ended, None);
        return Ok(());
    };
    inner.live.set(!main.view.ended);
    inner.target_duration.set(main.view.target_duration);

    // The separate audio rendition starts where the video does: as far from its live edge, plus one
    // target duration, so that its first segment begins no later than the video's even when its
    // playlist has gained a segment since the video's was read (MSE plays from where both have data).
    let audio = match audio {
        None => None,
        Some(selection) => {
            let video_start = main.segments.first().map_or(0, |s| s.msn);
            let distance = main.view.duration_from(video_start);
            let tracker =
                SegmentTracker::starting_at_distance(distance + main.view.target_duration);
            let started = start_track(inner, selection.media_url.clone(), None, tracker).await?;
            match started {
                Some(started) => Some((selection, started)),
                None => {
                    log("player: the audio rendition has no segments; playing without it");
                    None
                }
            }
        }
    };

    // Every SourceBuffer is added before anything is appended.
    let main_codecs = codecs_or_init(main_codecs, &main.init)?;
    let main_mime = format!("video/mp4; codecs=\"{main_codecs}\"");
    if !MediaSource::is_type_supported(&main_mime) {
        return Err(PlayerError::Unsupported { what: main_mime });
    }
    let audio = match audio {
        None => None,
        Some((selection, started)) => {
            let codecs = codecs_or_init(selection.codecs, &started.init)?;
            let mime = format!("audio/mp4; codecs=\"{codecs}\"");
            if MediaSource::is_type_supported(&mime) {
                Some((mime, codecs, started))
            } else {
                log(&format!(
                    "player: {mime} is not supported; playing without the audio rendition"
                ));
                None
            }
        }
    };
    let mut all_codecs = main_codecs;
    let mut starts = vec![(Kind::Main, main_mime, main)];
    if let Some((mime, codecs, started)) = audio {
        all_codecs = format!("{all_codecs},{codecs}");
        starts.push((Kind::Audio, mime, started));
    }
    let mut loaders = Vec::new();
    for (kind, mime, started) in starts {
        let source_buffer = inner
            .media_source
            .add_source_buffer(&mime)
            .map_err(|e| PlayerError::js("addSourceBuffer", &e))?;
        let track = Rc::new(Track {
            kind,
            source_buffer,
            ops: RefCell::new(OpQueue::default()),
            appended: Cell::new(0),
            ended: Cell::new(false),
        });
        log(&format!(
            "player: {mime}, start at segment {:?} of {}",
            started.segments.first().map(|s| s.msn),
            started.media_url
        ));
        inner.tracks.borrow_mut().push(track.clone());
        loaders.push((track, started));
    }
    inner.update_status(|s| s.codecs = Some(all_codecs));

    spawn_local(watchdog(inner.clone()));
    let mut main_loader = None;
    for (track, mut started) in loaders {
        spawn_local(executor(inner.clone(), track.clone()));
        track.ops.borrow_mut().push(BufferOp::Append {
            label: format!("{} init segment", track.name()),
            data: std::mem::take(&mut started.init),
            media: false,
        });
        if track.kind == Kind::Main {
            main_loader = Some((track, started));
        } else {
            let task = inner.clone();
            spawn_local(async move {
                match run_track(&task, &track, started).await {
                    Ok(()) | Err(PlayerError::Destroyed) => {}
                    Err(e) => task.fail(&e),
                }
            });
        }
    }
    match main_loader {
        Some((track, started)) => run_track(inner, &track, started).await,
        None => Ok(()),
    }
}

/// The codecs string: the playlist's, else the init segment's.
fn codecs_or_init(codecs: Option<String>, init: &[u8]) -> Result<String, PlayerError> {
    match codecs {
        Some(c) => Ok(c),
        None => Ok(onair_media::parse_init(init)
            .map_err(|e| PlayerError::Media(e.to_string()))?
            .codecs()),
    }
}

/// A track's playlist once it lists segments to load, and its first init segment.
struct Started {
    media_url: String,
    view: MediaView,
    tracker: SegmentTracker,
    /// The segments to load first.
    segments: Vec<SegmentRef>,
    map_url: String,
    init: Vec<u8>,
}

/// Loads the media playlist at `media_url` (unless `view` is its first copy already) until it lists a
/// segment to start with, then that segment's init segment. `None`: the playlist ended without segments.
async fn start_track(
    inner: &Rc<Inner>,
    media_url: String,
    view: Option<MediaView>,
    mut tracker: SegmentTracker,
) -> Result<Option<Started>, PlayerError> {
    let mut view = match view {
        Some(view) => view,
        None => {
            let bytes = inner.fetch_with_retry(&media_url, true).await?;
            parse_media(&bytes, &media_url)?
        }
    };
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
    let Some(map_url) = update.new_segments.first().and_then(|s| s.map_url.clone()) else {
        if update.new_segments.is_empty() {
            return Ok(None);
        }
        return Err(PlayerError::Unsupported {
            what: "segments without EXT-X-MAP (MPEG-TS); only fMP4 HLS is supported".to_owned(),
        });
    };
    let init = inner.fetch_with_retry(&map_url, false).await?;
    Ok(Some(Started {
        media_url,
        view,
        tracker,
        segments: update.new_segments,
        map_url,
        init,
    }))
}

/// Loads a track's segments into its queue, refreshing its playlist, until the end of the stream.
async fn run_track(inner: &Rc<Inner>, track: &Track, started: Started) -> Result<(), PlayerError> {
    let Started {
        media_url,
        mut view,
        mut tracker,
        segments,
        map_url,
        ..
    } = started;
    let main = track.kind == Kind::Main;
    let mut current_map = map_url;
    let mut pending = std::collections::VecDeque::from(segments);
    let mut last_reload = now_ms();
    let mut changed = true;
    loop {
        while let Some(segment) = pending.pop_front() {
            // Backpressure: wait while the executor has enough queued or enough of this track is
            // buffered ahead.
            loop {
                let queued = track.ops.borrow().appends_waiting();
                let ahead = buffered_ahead(inner.media().current_time(), &track.buffered());
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
                    track.ops.borrow_mut().push(BufferOp::Append {
                        label: format!("{} init segment", track.name()),
                        data: init,
                        media: false,
                    });
                    current_map = map.clone();
                }
            }
            match inner.fetch_with_retry(&segment.url, false).await {
                Ok(data) => {
                    track.ops.borrow_mut().push(BufferOp::Append {
                        label: format!("{} segment {}", track.name(), segment.msn),
                        data,
                        media: true,
                    });
                }
                Err(PlayerError::Destroyed) => return Err(PlayerError::Destroyed),
                // A segment that cannot be loaded is skipped; the watchdog jumps the gap.
                Err(e) => log(&format!(
                    "player: skipping {} segment {}: {e}",
                    track.name(),
                    segment.msn
                )),
            }
        }
        if view.ended {
            track.ops.borrow_mut().push(BufferOp::EndOfStream);
            if main {
                inner.live.set(false);
            }
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
        if main {
            inner.target_duration.set(view.target_duration);
        }
        let update = tracker.update(&view, &inner.config);
        if update.skipped {
            log(&format!(
                "player: {} fell out of the live window; skipping ahead",
                track.name()
            ));
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

/// Runs one track's buffer operations one at a time.
async fn executor(inner: Rc<Inner>, track: Rc<Track>) {
    let sb = &track.source_buffer;
    loop {
        if inner.destroyed.get() {
            return;
        }
        let op = track.ops.borrow_mut().pop();
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
                let mut result = append(sb, &mut data).await;
                if let Err(e) = &result {
                    if JsError::from(e).is("QuotaExceededError") {
                        // Full: drop most of the back buffer and try once more.
                        let t = inner.media().current_time();
                        if let Some(&(start, _)) = track.buffered().first() {
                            if t - 5.0 > start && sb.remove(start, t - 5.0).is_ok() {
                                let _ = wait_update(sb).await;
                            }
                        }
                        result = append(sb, &mut data).await;
                    }
                }
                match result {
                    Ok(()) if media => {
                        track.appended.set(track.appended.get().saturating_add(1));
                        if track.kind == Kind::Main {
                            inner.update_status(|s| s.segments_appended += 1);
                        }
                        // Playback starts once every track has media where the others have it too
                        // (MSE plays only where all do): the first audio and video segments may not
                        // overlap yet (audio starts a segment earlier), so wait for an append that
                        // makes them overlap instead of starting at a point no track covers.
                        let all = inner.every_track(|t| t.appended.get() > 0);
                        if all && !inner.started_playback.get() && !inner.buffered().is_empty() {
                            inner.started_playback.set(true);
                            start_playback(&inner).await;
                        }
                    }
                    Ok(()) => {}
                    Err(e) => {
                        let error = PlayerError::js("appendBuffer", &e);
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
                    let _ = wait_update(sb).await;
                }
            }
            BufferOp::EndOfStream => {
                // The media source ends once every track has appended its last segment.
                track.ended.set(true);
                if inner.every_track(|t| t.ended.get()) {
                    if let Err(e) = inner.media_source.end_of_stream() {
                        log(&format!("player: endOfStream: {}", JsError::from(&e)));
                    }
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

/// Looks at the element every [`WATCHDOG_MS`]: jumps gaps and stalls (in the element's buffered
/// ranges, the intersection of the tracks'), trims each track's back buffer.
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
        // Each buffer trims its own back buffer.
        for track in inner.tracks() {
            if let Some((start, end)) =
                trim_range(snapshot.current_time, &track.buffered(), &inner.config)
            {
                track.ops.borrow_mut().push_remove(start, end);
            }
        }
    }
}
