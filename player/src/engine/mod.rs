//! The player engine: every decision, as pure state machines from (event, now) to commands.
//!
//! [`Engine`] builds the controllers in one place and routes the glue's [`Event`]s to them; they answer
//! with [`Command`]s (fetch, append, seek, play, timers) that the wasm glue runs, and [`Notice`]s for the
//! page. One job per file, in the spirit of hls.js's controllers:
//! - `startup`: the manifest, the levels (codec-aware), each track's first playlist and start position,
//!   the `SourceBuffer`s, the first frame;
//! - `playlists`: the playlist loader: blocking reloads (`_HLS_msn`/`_HLS_part`), delta updates
//!   (`_HLS_skip=YES`), RFC 8216 timing where the server cannot block;
//! - `stream`: per track, which segment or part comes next (the preload-hinted part before it exists,
//!   streamed into the buffer as it arrives), backpressure, retries and skips;
//! - [`buffer_queue`]: the buffer controller, one operation at a time per `SourceBuffer`, woken by
//!   `updateend`;
//! - `switch`: level switching on an independent boundary found through rendition reports;
//! - `playback`: the element side: gaps and stalls, the latency controller, back-buffer trimming, the
//!   end of the stream;
//! - `seek`: a seek out of the buffer moves loading there; a seek back in a live stream is DVR, held
//!   apart from the latency controller until the viewer returns to live;
//! - `recovery`: the penalty box, media source rebuilds after decode errors;
//! - [`policy`]: the ABR and latency controllers' interfaces.
//!
//! Nothing here touches a browser API, so all of it is tested natively against a mock network and a
//! mock media element (`tests`).

pub mod buffer_queue;
mod playback;
mod playlists;
pub mod policy;
mod recovery;
mod seek;
mod startup;
mod stream;
mod subtitles;
mod switch;
mod transform;
pub mod types;

#[cfg(test)]
mod tests;

use crate::buffer::{buffered_ahead, Range, StallWatchdog};
use crate::config::PlayerConfig;
use crate::error::PlayerError;
use crate::playlist::{Level, MediaView, Position};
use crate::small_map::SmallMap;
use buffer_queue::{BufferQueue, SlotId, SlotKind};
use policy::{AbrController, BandwidthEstimator, LatencyController};
pub use types::{
    Command, Event, LevelInfo, MediaSnapshot, Notice, RequestId, TextCue, TimerId, TrackKind,
};

/// Answers "can this browser play `mime`" (`MediaSource.isTypeSupported`).
pub type TypeSupport = Box<dyn Fn(&str) -> bool>;

/// What a request in flight is for.
#[derive(Debug)]
enum Request {
    Manifest {
        body: Vec<u8>,
    },
    Playlist {
        track: TrackKind,
        url: String,
        /// For a level switch: the level whose playlist this is.
        switch_to: Option<usize>,
        body: Vec<u8>,
    },
    Init {
        track: TrackKind,
        url: String,
        slot: SlotId,
        body: Vec<u8>,
    },
    /// `EXT-X-PRELOAD-HINT:TYPE=MAP`: the next init segment, loaded into the track's cache ahead.
    NextInit {
        track: TrackKind,
        url: String,
        body: Vec<u8>,
    },
    Fragment(stream::FragmentRequest),
    /// An `EXT-X-KEY` key file.
    Key {
        url: String,
        body: Vec<u8>,
    },
    /// A fragment being decrypted ([`Command::Decrypt`] under the fragment's request id).
    Decrypt(stream::FragmentRequest),
    /// A TS segment being transmuxed ([`Command::Transmux`] under the fragment's request id).
    Transmux {
        track: TrackKind,
        fragment: crate::playlist::FragmentRef,
        new_timeline: bool,
    },
    /// Subtitle rendition `index`'s playlist (`msn` none) or its segment `msn`.
    Subtitles {
        index: usize,
        msn: Option<u64>,
        body: Vec<u8>,
    },
}

/// What a timer is for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Timer {
    Manifest,
    Reload(TrackKind),
    Fragment(TrackKind),
    Tick,
    /// Reload subtitle rendition `index`'s playlist.
    Subtitles(usize),
}

/// A pending level switch.
#[derive(Debug, Clone)]
struct Switch {
    level: usize,
    /// The first position to load from the new level (a segment start, which is independent).
    at: Position,
    view: Option<MediaView>,
    request: Option<RequestId>,
}

/// One track: its playlist, where it is, and its `SourceBuffer`'s queue.
#[derive(Debug)]
struct Track {
    kind: TrackKind,
    /// The media playlist it loads now.
    url: String,
    view: Option<MediaView>,
    /// Whether a delta update may be asked for (false after one could not be merged).
    delta: bool,
    playlist_request: Option<RequestId>,
    reload_timer: bool,
    playlist_failures: u32,
    /// When the last non-blocking playlist request began, ms.
    reload_started_ms: f64,
    /// The next fragment to ask for; `None` before the start.
    next: Option<Position>,
    /// Fragment requests in flight, in playlist order, with the position each is for: one at a time
    /// while playing, several while starting ([`PlayerConfig::start_parallel_fragments`]).
    fragment_requests: Vec<(RequestId, Position)>,
    fragment_timer: bool,
    fragment_failures: u32,
    /// A hinted part the server refused: not asked for again until the playlist moves on.
    refused_hint: Option<Position>,
    /// The init segment in force in the buffer's queue, and its bytes once loaded.
    init_url: Option<String>,
    /// The last init segment loaded: its URL and bytes (appended again after a rebuild).
    init: Option<(String, Vec<u8>)>,
    init_request: Option<RequestId>,
    /// The hinted next init segment's request, and the URL it was asked for from.
    next_init_request: Option<RequestId>,
    next_init_url: Option<String>,
    /// Codecs from the playlist, else from the init.
    codecs: Option<String>,
    /// The `SourceBuffer`'s MIME type, once decided.
    mime: Option<String>,
    queue: BufferQueue,
    /// Its `SourceBuffer`'s own ranges.
    buffered: Vec<Range>,
    /// Discontinuity sequence of the last fragment queued, and the offset in force.
    discontinuity: Option<u64>,
    offset: f64,
    appended_media: bool,
    /// Loading jumped ahead (an outage): playback follows once the new media is buffered.
    resynced: bool,
    /// Every fragment up to the end of an ended playlist is queued.
    complete: bool,
    switch: Option<Switch>,
    /// The next TS segment goes to a new transmuxer (the first, or another level's).
    transmux_reset: bool,
    /// The last segment start queued and its element time: where [`seek`] counts segment times from.
    anchor: Option<(u64, f64)>,
}

impl Track {
    fn new(kind: TrackKind, url: String, codecs: Option<String>) -> Self {
        Self {
            kind,
            url,
            view: None,
            delta: true,
            playlist_request: None,
            reload_timer: false,
            playlist_failures: 0,
            reload_started_ms: 0.0,
            next: None,
            fragment_requests: Vec::new(),
            fragment_timer: false,
            fragment_failures: 0,
            refused_hint: None,
            init_url: None,
            init: None,
            init_request: None,
            next_init_request: None,
            next_init_url: None,
            codecs,
            mime: None,
            queue: BufferQueue::default(),
            buffered: Vec::new(),
            discontinuity: None,
            offset: 0.0,
            appended_media: false,
            resynced: false,
            complete: false,
            switch: None,
            transmux_reset: true,
            anchor: None,
        }
    }

    fn buffered_end(&self) -> Option<f64> {
        self.buffered.last().map(|r| r.1)
    }

    /// Where `media` (a fragment, or its first bytes up to the `moof`) starts on its own timeline,
    /// seconds: its first `tfdt` read against the init in force.
    fn media_start_secs(&self, media: &[u8]) -> Option<f64> {
        let init = onair_media::parse_init(&self.init.as_ref()?.1).ok()?;
        onair_media::demux::segment_start_secs(&init, media)
    }

    /// A fragment at `position` starting at `start` (its own timeline) was queued: a segment's start
    /// anchors [`seek`]'s segment times, in the element's time (the offset in force added).
    fn note_start(&mut self, position: Position, start: Option<f64>) {
        if let (0, Some(start)) = (position.part, start) {
            self.anchor = Some((position.msn, start + self.offset));
        }
    }

    /// The media from here on has `codecs`: while no `SourceBuffer` exists they are simply what it
    /// will be made for; after, a `changeType` is queued when they differ from the ones in force.
    fn set_codecs(&mut self, codecs: String) {
        if self.codecs.as_deref() == Some(codecs.as_str()) {
            return;
        }
        if self.mime.is_some() {
            let mime = self.kind.mime(&codecs);
            self.queue.open(SlotKind::ChangeType(mime.clone()));
            self.mime = Some(mime);
        }
        self.codecs = Some(codecs);
    }

    /// The first fragment not loaded yet: the first one in flight, else the next to ask for.
    fn loading_from(&self) -> Option<Position> {
        self.fragment_requests
            .first()
            .map(|(_, p)| *p)
            .or(self.next)
    }
}

/// Where the media source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Buffers {
    /// Not asked for yet (codecs unknown).
    None,
    /// [`Command::CreateBuffers`] sent.
    Creating,
    /// The `SourceBuffer`s exist.
    Ready,
    /// [`Command::RebuildMedia`] sent.
    Rebuilding,
}

/// The player's brain: feed it [`Event`]s with [`Engine::handle`], run what [`Engine::take_commands`]
/// returns.
pub struct Engine {
    config: PlayerConfig,
    supported: TypeSupport,
    url: String,
    out: Vec<Command>,
    next_id: u64,
    requests: SmallMap<RequestId, Request>,
    /// `EXT-X-KEY` keys by URL: loading, or loaded.
    keys: SmallMap<String, transform::KeyState>,
    timers: SmallMap<TimerId, Timer>,
    manifest_failures: u32,
    levels: Vec<Level>,
    playable: Vec<bool>,
    level: usize,
    level_failures: SmallMap<usize, u32>,
    penalty: SmallMap<usize, f64>,
    tracks: Vec<Track>,
    estimator: BandwidthEstimator,
    abr: AbrController,
    latency: Option<LatencyController>,
    /// The subtitle renditions, in the multivariant playlist's order.
    subtitles: Vec<subtitles::SubtitleTrack>,
    /// Where the first main media appended starts, in the element's time: WebVTT cues without an
    /// `X-TIMESTAMP-MAP` count from there.
    media_start: Option<f64>,
    /// [`Command::PrepareTransmux`] was given.
    transmux_prepared: bool,
    gap: StallWatchdog,
    media: MediaSnapshot,
    buffers: Buffers,
    started: bool,
    startup_seek_done: bool,
    ticking: bool,
    stalled: bool,
    rebuilds: u32,
    ended: bool,
    failed: bool,
    /// Distance of the main track's start from its live edge, seconds (where the audio starts).
    start_distance: Option<f64>,
    /// When every track first had media appended (ms): the start waits for the target position from
    /// then at most [`PlayerConfig::start_wait_ms`].
    media_since_ms: Option<f64>,
    last_latency_notice_ms: f64,
    /// The viewer seeked back in a live stream: no catching up until they return to live.
    dvr: bool,
    /// The seek time [`Engine::follow_seek`] last acted on, while the element is seeking.
    seek_followed: Option<f64>,
    now: f64,
    seed: u64,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("url", &self.url)
            .field("level", &self.level)
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine that will play the multivariant or media playlist at `url`. `supported` answers
    /// `MediaSource.isTypeSupported`; `seed` seeds the retry jitter. The first commands (the manifest
    /// request) are ready at once.
    pub fn new(
        url: &str,
        config: PlayerConfig,
        supported: TypeSupport,
        seed: u64,
        now_ms: f64,
    ) -> Engine {
        let mut engine = Engine {
            estimator: BandwidthEstimator::new(&config.abr),
            abr: AbrController::new(config.abr.clone()),
            config,
            supported,
            url: url.to_owned(),
            out: Vec::new(),
            next_id: 0,
            requests: SmallMap::new(),
            keys: SmallMap::new(),
            timers: SmallMap::new(),
            manifest_failures: 0,
            levels: Vec::new(),
            playable: Vec::new(),
            level: 0,
            level_failures: SmallMap::new(),
            penalty: SmallMap::new(),
            tracks: Vec::new(),
            latency: None,
            subtitles: Vec::new(),
            media_start: None,
            transmux_prepared: false,
            gap: StallWatchdog::default(),
            media: MediaSnapshot::default(),
            buffers: Buffers::None,
            started: false,
            startup_seek_done: false,
            ticking: false,
            stalled: false,
            rebuilds: 0,
            ended: false,
            failed: false,
            start_distance: None,
            media_since_ms: None,
            last_latency_notice_ms: f64::NEG_INFINITY,
            dvr: false,
            seek_followed: None,
            now: now_ms,
            seed: seed | 1,
        };
        engine.request_manifest();
        engine
    }

    /// Handles one event at `now_ms` (a monotonic clock).
    pub fn handle(&mut self, event: Event, now_ms: f64) {
        if now_ms.is_finite() {
            self.now = now_ms;
        }
        if self.failed {
            return;
        }
        match event {
            Event::FetchStarted { id } => self.fetch_started(id),
            Event::FetchChunk { id, data } => self.fetch_chunk(id, data),
            Event::FetchDone { id } => self.fetch_done(id),
            Event::FetchFailed { id, error } => self.fetch_failed(id, error),
            Event::BuffersCreated => self.buffers_created(),
            Event::BufferUpdated { track, buffered } => self.buffer_updated(track, buffered),
            Event::BufferFailed {
                track,
                quota,
                error,
            } => self.buffer_failed(track, quota, error),
            Event::Media(snapshot) => self.media_changed(snapshot),
            Event::MediaError { message } => self.media_error(&message),
            Event::MediaRebuilt => self.media_rebuilt(),
            Event::Timer { id } => self.timer(id),
            Event::Decrypted { id, data } => self.decrypted(id, data),
            Event::DecryptFailed { id, error } => self.decrypt_failed(id, error),
            Event::Transmuxed { id, data } => self.transmuxed(id, &data),
            Event::TransmuxFailed { id, error } => self.transmux_failed(id, &error),
        }
    }

    /// The commands decided since the last call, in order.
    pub fn take_commands(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.out)
    }

    /// Chooses the level by hand (`Some(index)`) or gives the choice back to ABR (`None`).
    pub fn set_level(&mut self, level: Option<usize>) {
        self.abr.set_manual(level);
        self.consider_switch();
    }

    /// Sets the distance from the live edge to aim at, in seconds (`None`: back to the playlist's
    /// hold-back). Applies at once and to a controller made later.
    pub fn set_latency_target(&mut self, target_secs: Option<f64>) {
        let target_secs = target_secs.filter(|t| t.is_finite() && *t > 0.0);
        self.config.latency.target_override_secs = target_secs;
        if let Some(latency) = self.latency.as_mut() {
            latency.set_target_override(target_secs);
        }
    }

    /// Jumps to the latency target when playback is behind it by more than a second (the LIVE
    /// badge's click): a seek inside what is buffered, or, when that does not reach, as far as it
    /// does while loading catches up; from DVR, straight to the target, loading following. Does
    /// nothing for a stream that is not live.
    pub fn seek_to_live(&mut self) {
        if !self.live() {
            return;
        }
        let (Some(distance), Some(target)) = (self.distance_from_edge(), self.latency_target())
        else {
            return;
        };
        if self.dvr {
            // Back from DVR: to the target at once; loading follows the seek (`seek`).
            self.dvr = false;
            if let Some(edge) = self.edge_time() {
                self.out.push(Command::Seek(edge - target));
                return;
            }
        }
        let end = self.media.buffered.last().map_or(0.0, |r| r.1);
        let to = (self.media.current_time + distance - target).min(end - 0.1);
        if distance > target + 1.0 && to > self.media.current_time {
            self.out.push(Command::Seek(to));
        }
    }

    /// The level loading now.
    pub fn level(&self) -> usize {
        self.level
    }

    /// The latency target, seconds, once known.
    pub fn latency_target(&self) -> Option<f64> {
        self.latency.as_ref().map(LatencyController::target_secs)
    }

    /// The bandwidth estimate, bits per second.
    pub fn bandwidth_estimate(&self) -> Option<f64> {
        self.estimator.estimate_bps()
    }

    /// Whether the stream is live (its playlist has no `EXT-X-ENDLIST` yet).
    pub fn live(&self) -> bool {
        self.main()
            .and_then(|t| t.view.as_ref())
            .is_some_and(|v| !v.ended)
    }

    // ---- small helpers every part uses ----

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn fetch(
        &mut self,
        url: &str,
        timeout_ms: f64,
        stream: bool,
        revalidate: bool,
        request: Request,
    ) -> RequestId {
        self.fetch_range(url, None, timeout_ms, stream, revalidate, request)
    }

    /// [`Engine::fetch`] of a sub-range of `url`.
    fn fetch_range(
        &mut self,
        url: &str,
        range: Option<onair_media::playlist::ByteRange>,
        timeout_ms: f64,
        stream: bool,
        revalidate: bool,
        request: Request,
    ) -> RequestId {
        let id = self.id();
        self.requests.insert(id, request);
        self.out.push(Command::Fetch {
            id,
            url: url.to_owned(),
            timeout_ms,
            // A ranged answer may be the whole file (a 200), cut once complete: never streamed.
            stream: stream && range.is_none(),
            revalidate,
            range,
        });
        id
    }

    fn abort(&mut self, id: Option<RequestId>) {
        if let Some(id) = id {
            if self.requests.remove(&id).is_some() {
                self.out.push(Command::Abort { id });
            }
        }
    }

    fn timer_after(&mut self, after_ms: f64, timer: Timer) {
        let id = self.id();
        self.timers.insert(id, timer);
        self.out.push(Command::Timer {
            id,
            after_ms: after_ms.max(0.0),
        });
    }

    fn notify(&mut self, notice: Notice) {
        self.out.push(Command::Notify(notice));
    }

    /// A random number in `[0, 1)` for retry jitter (xorshift).
    fn random(&mut self) -> f64 {
        let mut x = self.seed;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    fn track(&self, kind: TrackKind) -> Option<&Track> {
        self.tracks.iter().find(|t| t.kind == kind)
    }

    fn track_mut(&mut self, kind: TrackKind) -> Option<&mut Track> {
        self.tracks.iter_mut().find(|t| t.kind == kind)
    }

    fn main(&self) -> Option<&Track> {
        self.track(TrackKind::Main)
    }

    /// Seconds buffered ahead of the playhead in the element (every track has them).
    fn buffer_ahead(&self) -> f64 {
        buffered_ahead(self.media.current_time, &self.media.buffered)
    }

    /// Gives up for good.
    fn fail(&mut self, error: &PlayerError) {
        if self.failed {
            return;
        }
        self.failed = true;
        for id in self.requests.keys().copied().collect::<Vec<_>>() {
            self.out.push(Command::Abort { id });
        }
        self.requests.clear();
        self.notify(Notice::Error {
            kind: error.kind(),
            message: error.to_string(),
            fatal: true,
        });
    }

    fn timer(&mut self, id: TimerId) {
        let Some(timer) = self.timers.remove(&id) else {
            return;
        };
        match timer {
            Timer::Manifest => self.request_manifest(),
            Timer::Reload(track) => {
                if let Some(t) = self.track_mut(track) {
                    t.reload_timer = false;
                }
                self.request_playlist(track);
            }
            Timer::Fragment(track) => {
                if let Some(t) = self.track_mut(track) {
                    t.fragment_timer = false;
                }
                self.load_next(track);
            }
            Timer::Tick => {
                self.ticking = false;
                self.tick();
            }
            Timer::Subtitles(index) => self.request_subtitle_playlist(index),
        }
    }

    fn fetch_started(&mut self, id: RequestId) {
        let now = self.now;
        if let Some(Request::Fragment(stream::FragmentRequest { first_byte_ms, .. })) =
            self.requests.get_mut(&id)
        {
            first_byte_ms.get_or_insert(now);
        }
    }

    fn fetch_chunk(&mut self, id: RequestId, data: Vec<u8>) {
        let now = self.now;
        let mut streamed = None;
        match self.requests.get_mut(&id) {
            Some(
                Request::Manifest { body }
                | Request::Playlist { body, .. }
                | Request::Init { body, .. }
                | Request::NextInit { body, .. }
                | Request::Key { body, .. }
                | Request::Subtitles { body, .. },
            ) => body.extend_from_slice(&data),
            Some(Request::Decrypt(_) | Request::Transmux { .. }) => {}
            Some(Request::Fragment(stream::FragmentRequest {
                track,
                slot,
                held,
                first_byte_ms,
                bytes,
                fragment,
                ..
            })) => {
                first_byte_ms.get_or_insert(now);
                let first = *bytes == 0;
                *bytes = bytes.saturating_add(data.len() as u64);
                match slot {
                    Some(slot) => {
                        streamed = Some((*track, *slot, first.then_some(fragment.position), data))
                    }
                    None => held.extend_from_slice(&data),
                }
            }
            None => {}
        }
        if let Some((track, slot, first, data)) = streamed {
            if let Some(t) = self.track_mut(track) {
                if let Some(position) = first.filter(|p| p.part == 0) {
                    let start = t.media_start_secs(&data);
                    t.note_start(position, start);
                }
                t.queue.push(slot, data);
            }
            self.pump(track);
        }
    }

    fn fetch_done(&mut self, id: RequestId) {
        let Some(request) = self.requests.remove(&id) else {
            return;
        };
        match request {
            Request::Manifest { body } => self.manifest_loaded(&body),
            Request::Playlist {
                track,
                url,
                switch_to,
                body,
            } => match switch_to {
                Some(level) => self.switch_playlist_loaded(level, id, &url, &body),
                None => self.playlist_loaded(track, id, &url, &body),
            },
            Request::Init {
                track,
                url,
                slot,
                body,
            } => self.init_loaded(track, id, &url, slot, body),
            Request::NextInit { track, url, body } => {
                if let Some(t) = self.track_mut(track) {
                    t.next_init_request = None;
                    // Kept unless the init it replaces is still loading.
                    if t.init_request.is_none() {
                        t.init = Some((url, body));
                    }
                }
            }
            Request::Fragment(loaded) => self.fragment_loaded(id, loaded),
            Request::Key { url, body } => self.key_loaded(id, &url, &body),
            Request::Subtitles { index, msn, body } => self.subtitles_loaded(index, msn, &body),
            // Not fetches: answered by `Event::Decrypted` and `Event::Transmuxed`.
            r @ (Request::Decrypt(_) | Request::Transmux { .. }) => {
                self.requests.insert(id, r);
            }
        }
    }

    fn fetch_failed(&mut self, id: RequestId, error: PlayerError) {
        let Some(request) = self.requests.remove(&id) else {
            return;
        };
        match request {
            Request::Manifest { .. } => self.manifest_failed(error),
            Request::Playlist {
                track, switch_to, ..
            } => match switch_to {
                Some(_) => self.switch_playlist_failed(id),
                None => self.playlist_failed(track, id, error),
            },
            Request::Init {
                track, url, slot, ..
            } => self.init_failed(track, id, &url, slot, error),
            // Only a head start: the init is asked for again when it is needed.
            Request::NextInit { track, .. } => {
                if let Some(t) = self.track_mut(track) {
                    t.next_init_request = None;
                }
            }
            Request::Fragment(stream::FragmentRequest {
                track,
                fragment,
                level,
                slot,
                ..
            }) => self.fragment_failed(track, id, fragment, level, slot, error),
            Request::Key { url, .. } => self.key_failed(id, &url, error),
            Request::Subtitles { index, msn, .. } => self.subtitle_failed(index, msn),
            r @ (Request::Decrypt(_) | Request::Transmux { .. }) => {
                self.requests.insert(id, r);
            }
        }
    }

    /// Whether a TS segment of `kind` is with the transmuxer.
    fn transmuxing(&self, kind: TrackKind) -> bool {
        self.requests
            .iter()
            .any(|(_, r)| matches!(r, Request::Transmux { track, .. } if *track == kind))
    }

    /// Runs a track's buffer queue and reacts to what finished.
    fn pump(&mut self, kind: TrackKind) {
        let Some(track) = self.tracks.iter_mut().find(|t| t.kind == kind) else {
            return;
        };
        let finished = track.queue.pump(kind, &mut self.out);
        let mut appended = false;
        for f in &finished {
            if matches!(f.kind, buffer_queue::SlotKind::Media { .. }) {
                track.appended_media = true;
                appended = true;
            }
        }
        if appended && kind == TrackKind::Main {
            self.notify(Notice::Appended);
        }
        if !finished.is_empty() {
            self.maybe_start_playback();
            self.maybe_end_of_stream();
            self.load_next(kind);
        }
    }

    fn buffer_updated(&mut self, kind: TrackKind, buffered: Vec<Range>) {
        if kind == TrackKind::Main && self.media_start.is_none() {
            self.media_start = buffered.first().map(|r| r.0);
            if self.media_start.is_some() {
                self.flush_unmapped_cues();
                self.set_duration();
            }
        }
        if let Some(track) = self.track_mut(kind) {
            track.buffered = buffered;
            track.queue.updated();
        }
        self.pump(kind);
    }
}
