//! Starting: the manifest, the levels this browser can play, each track's first playlist and start
//! position, the init segments, the `SourceBuffer`s, and the first frame.

use super::buffer_queue::{SlotId, SlotKind};
use super::policy::{AbrInput, LatencyController};
use super::types::{Command, LevelInfo, Notice, RequestId, TrackKind};
use super::{Buffers, Engine, Request, Timer, Track};
use crate::error::{ErrorKind, PlayerError, Retry};
use crate::playlist::{parse_manifest, Level, Manifest, MediaView};

impl Engine {
    pub(super) fn request_manifest(&mut self) {
        let url = self.url.clone();
        let timeout = self.config.request_timeout_ms;
        self.fetch(
            &url,
            timeout,
            false,
            true,
            Request::Manifest { body: Vec::new() },
        );
    }

    pub(super) fn manifest_failed(&mut self, error: PlayerError) {
        if error.retry(true) == Retry::No {
            self.fail(&error);
            return;
        }
        self.manifest_failures = self.manifest_failures.saturating_add(1);
        if matches!(error, PlayerError::Http { status: 404, .. }) {
            self.notify(Notice::WaitingForStream);
        } else {
            self.notify(Notice::Error {
                kind: error.kind(),
                message: format!("{error}; retrying"),
                fatal: false,
            });
        }
        let unit = self.random();
        let delay = self
            .config
            .retry
            .delay_with_jitter_ms(self.manifest_failures, unit);
        self.timer_after(delay as f64, Timer::Manifest);
    }

    pub(super) fn manifest_loaded(&mut self, body: &[u8]) {
        let text = String::from_utf8_lossy(body);
        let url = self.url.clone();
        match parse_manifest(&text, &url) {
            Err(e) => self.fail(&e),
            Ok(Manifest::Media(view)) => {
                self.levels = vec![Level {
                    url: url.clone(),
                    bandwidth: 0,
                    resolution: None,
                    codecs: None,
                    all_codecs: None,
                    audio: None,
                }];
                self.playable = vec![true];
                self.tracks = vec![Track::new(TrackKind::Main, url.clone(), None)];
                self.notify_levels();
                self.playlist_loaded_view(TrackKind::Main, *view);
            }
            Ok(Manifest::Levels(levels, subtitles, beacons)) => {
                if let Some(url) = beacons {
                    self.notify(Notice::Beacons(url));
                }
                self.subtitles_listed(subtitles);
                self.levels_loaded(levels);
            }
        }
    }

    fn levels_loaded(&mut self, levels: Vec<Level>) {
        let playable: Vec<bool> = levels
            .iter()
            .map(|l| match &l.all_codecs {
                Some(codecs) => (self.supported)(&TrackKind::Main.mime(codecs)),
                // Unknown until its init segment is read.
                None => true,
            })
            .collect();
        self.levels = levels;
        self.playable = playable;
        self.notify_levels();
        if !self.playable.iter().any(|p| *p) {
            let codecs: Vec<String> = self
                .levels
                .iter()
                .filter_map(|l| l.all_codecs.clone())
                .collect();
            self.fail(&PlayerError::Unsupported {
                what: format!("no variant this browser can play ({})", codecs.join("; ")),
            });
            return;
        }
        let abr_levels = self.abr_levels();
        let level = self.abr.choose(
            &AbrInput {
                now_ms: self.now,
                levels: &abr_levels,
                current: self.playable.iter().position(|p| *p).unwrap_or(0),
                buffer_ahead_secs: 0.0,
                target_buffer_secs: 0.0,
                element_size: self.media.size,
                penalized: &[],
            },
            self.estimator.estimate_bps(),
        );
        self.level = level;
        let Some(chosen) = self.levels.get(level).cloned() else {
            return;
        };
        self.tracks = vec![Track::new(
            TrackKind::Main,
            chosen.url.clone(),
            chosen.codecs.clone(),
        )];
        if let Some(audio) = &chosen.audio {
            self.tracks.push(Track::new(
                TrackKind::Audio,
                audio.url.clone(),
                audio.codecs.clone(),
            ));
        }
        self.notify(Notice::LevelSwitched { index: level });
        self.request_playlist(TrackKind::Main);
        self.request_playlist(TrackKind::Audio);
    }

    fn notify_levels(&mut self) {
        let infos = self
            .levels
            .iter()
            .zip(&self.playable)
            .map(|(l, p)| LevelInfo {
                bandwidth: l.bandwidth,
                width: l.resolution.map(|r| r.0),
                height: l.resolution.map(|r| r.1),
                codecs: l.all_codecs.clone(),
                playable: *p,
            })
            .collect();
        self.notify(Notice::Levels(infos));
    }

    /// The levels as ABR sees them.
    pub(super) fn abr_levels(&self) -> Vec<super::policy::Level> {
        self.levels
            .iter()
            .zip(&self.playable)
            .map(|(l, p)| super::policy::Level {
                bandwidth: l.bandwidth,
                width: l.resolution.map(|r| r.0),
                height: l.resolution.map(|r| r.1),
                playable: *p,
            })
            .collect()
    }

    /// Where a track starts once its first playlist is in: the main track at the latency target's
    /// distance from the live edge (the latest independent part at least that far back), a separate
    /// audio track as far back as the main one started plus a part (or a segment) of margin, so its
    /// first fragment begins no later than the video's.
    pub(super) fn start_track(&mut self, kind: TrackKind) {
        let Some(track) = self.track(kind) else {
            return;
        };
        if track.next.is_some() {
            return;
        }
        let Some(view) = track.view.clone() else {
            return;
        };
        let distance = match kind {
            TrackKind::Main => self.ensure_latency(&view),
            TrackKind::Audio => {
                let Some(main_distance) = self.start_distance else {
                    // The audio starts once the video has.
                    return;
                };
                main_distance + view.part_target.unwrap_or(view.target_duration)
            }
        };
        let Some(start) = view.start(distance) else {
            // Nothing listed yet: the next playlist update tries again.
            if view.ended {
                self.maybe_end_of_stream();
            }
            return;
        };
        if kind == TrackKind::Main {
            self.start_distance = Some(view.distance_from(start));
        }
        if let Some(track) = self.track_mut(kind) {
            track.next = Some(start);
        }
        self.load_next(kind);
        if kind == TrackKind::Main {
            self.start_track(TrackKind::Audio);
        }
    }

    /// The latency controller, made from the first main playlist: its target is `PART-HOLD-BACK` when
    /// the playlist has parts, else `HOLD-BACK`, else three target durations.
    fn ensure_latency(&mut self, view: &MediaView) -> f64 {
        if let Some(latency) = &self.latency {
            return latency.target_secs();
        }
        let hold_back = if view.has_parts() {
            view.part_hold_back
                .or(view.part_target.map(|p| 3.0 * p))
                .unwrap_or(1.0)
        } else {
            view.hold_back
                .unwrap_or(self.config.live_start_target_durations * view.target_duration)
        };
        let latency = LatencyController::new(self.config.latency.clone(), hold_back);
        let target = latency.target_secs();
        self.latency = Some(latency);
        target
    }

    /// Queues the init segment at `url` for a track (from the cache when it is the one loaded last),
    /// ahead of the fragments that need it.
    pub(super) fn queue_init(
        &mut self,
        kind: TrackKind,
        url: &str,
        range: Option<onair_media::playlist::ByteRange>,
    ) {
        let Some(track) = self.track_mut(kind) else {
            return;
        };
        track.init_url = Some(url.to_owned());
        let slot = track.queue.open(SlotKind::Init(url.to_owned()));
        let cached = match &track.init {
            Some((loaded_from, bytes)) if loaded_from == url => Some(bytes.clone()),
            _ => None,
        };
        if let Some(bytes) = cached {
            track.queue.push(slot, bytes);
            track.queue.complete(slot);
            self.pump(kind);
            return;
        }
        self.abort_init(kind);
        let timeout = self.config.request_timeout_ms;
        let id = self.fetch_range(
            url,
            range,
            timeout,
            false,
            false,
            Request::Init {
                track: kind,
                url: url.to_owned(),
                slot,
                body: Vec::new(),
            },
        );
        if let Some(track) = self.track_mut(kind) {
            track.init_request = Some(id);
        }
    }

    fn abort_init(&mut self, kind: TrackKind) {
        let id = self.track_mut(kind).and_then(|t| t.init_request.take());
        self.abort(id);
    }

    pub(super) fn init_loaded(
        &mut self,
        kind: TrackKind,
        id: RequestId,
        url: &str,
        slot: SlotId,
        body: Vec<u8>,
    ) {
        let Some(track) = self.track_mut(kind) else {
            return;
        };
        if track.init_request == Some(id) {
            track.init_request = None;
        }
        if track.codecs.is_none() {
            match onair_media::parse_init(&body) {
                Ok(init) => track.codecs = Some(init.codecs()),
                Err(e) => {
                    let error = PlayerError::Media(e.to_string());
                    self.fail(&error);
                    return;
                }
            }
        }
        track.init = Some((url.to_owned(), body.clone()));
        track.queue.push(slot, body);
        track.queue.complete(slot);
        self.maybe_create_buffers();
        self.pump(kind);
    }

    pub(super) fn init_failed(
        &mut self,
        kind: TrackKind,
        id: RequestId,
        url: &str,
        slot: SlotId,
        error: PlayerError,
    ) {
        let Some(track) = self.track_mut(kind) else {
            return;
        };
        if track.init_request == Some(id) {
            track.init_request = None;
        }
        track.queue.cancel(slot);
        // Asked for again, in the same place of the queue, by the next fragment that needs it.
        if track.init_url.as_deref() == Some(url) {
            track.init_url = None;
        }
        self.retry_or_fail(&[kind], &error);
    }

    /// Creates every `SourceBuffer` once every track's codecs are known (MSE cannot add one after the
    /// first append). A separate audio rendition this browser cannot play is dropped; a main one is
    /// fatal.
    pub(super) fn maybe_create_buffers(&mut self) {
        if self.buffers != Buffers::None {
            return;
        }
        if self.tracks.iter().any(|t| t.codecs.is_none()) {
            return;
        }
        let mut list = Vec::new();
        let mut drop_audio = false;
        for track in &self.tracks {
            let codecs = track.codecs.clone().unwrap_or_default();
            let mime = track.kind.mime(&codecs);
            if !(self.supported)(&mime) {
                if track.kind == TrackKind::Audio {
                    drop_audio = true;
                    continue;
                }
                let error = PlayerError::Unsupported { what: mime };
                self.fail(&error);
                return;
            }
            list.push((track.kind, mime));
        }
        if drop_audio {
            self.drop_audio_track();
        }
        for (kind, mime) in &list {
            if let Some(t) = self.track_mut(*kind) {
                t.mime = Some(mime.clone());
            }
        }
        self.buffers = Buffers::Creating;
        self.out.push(Command::CreateBuffers { tracks: list });
    }

    fn drop_audio_track(&mut self) {
        let ids: Vec<Option<RequestId>> = self
            .track(TrackKind::Audio)
            .map(|t| {
                let mut ids = vec![t.playlist_request, t.init_request];
                ids.extend(t.fragment_requests.iter().map(|(id, _)| Some(*id)));
                ids
            })
            .unwrap_or_default();
        for id in ids {
            self.abort(id);
        }
        self.tracks.retain(|t| t.kind != TrackKind::Audio);
        self.notify(Notice::Error {
            kind: ErrorKind::Media,
            message: "this browser cannot play the audio rendition; playing without it".into(),
            fatal: false,
        });
    }

    pub(super) fn buffers_created(&mut self) {
        self.buffers = Buffers::Ready;
        let kinds: Vec<TrackKind> = self.tracks.iter().map(|t| t.kind).collect();
        for kind in kinds {
            if let Some(t) = self.track_mut(kind) {
                t.queue.ready = true;
            }
            self.pump(kind);
        }
    }

    /// Starts playback once every track has media where the others have it too (MSE plays only where
    /// all do), at [`Engine::start_position`]; then (`playback`) the latency controller takes over.
    pub(super) fn maybe_start_playback(&mut self) {
        if self.started || self.buffers != Buffers::Ready {
            return;
        }
        if !self.tracks.iter().all(|t| t.appended_media) {
            return;
        }
        let now = self.now;
        self.media_since_ms.get_or_insert(now);
        let Some(&(start, end)) = self.media.buffered.first().or_else(|| {
            // The element's ranges come with the next media event; the main track's will do.
            self.main().and_then(|t| t.buffered.first())
        }) else {
            return;
        };
        let Some(at) = self.start_position(start, end) else {
            return;
        };
        self.started = true;
        if self.media.current_time < at - 0.05 || self.media.current_time > at + 0.5 {
            self.out.push(Command::Seek(at));
        }
        self.out.push(Command::Play);
        self.notify(Notice::Started);
        self.schedule_tick();
    }

    /// Where playback starts in the first buffered range, `start..end`: for a live stream, at the
    /// latency target's distance from the live edge (as [`Engine::distance_from_edge`] measures it)
    /// once [`start_ahead_secs`](crate::PlayerConfig::start_ahead_secs) are buffered after that point
    /// (`None` until then), or at `start` when the edge is nearer than the target; else at `start`.
    /// A link too slow to bring those fragments within
    /// [`start_wait_ms`](crate::PlayerConfig::start_wait_ms) of the first media starts where it has
    /// that much buffered, further back, and the latency controller catches up from there.
    ///
    /// The ends are the tracks' own (from their last append), fresher than the element's ranges: the
    /// edge is the main track's end plus what is listed past it, and what is playable ends where the
    /// first track's buffer does.
    pub(super) fn start_position(&self, start: f64, end: f64) -> Option<f64> {
        let end = self
            .tracks
            .iter()
            .filter_map(Track::buffered_end)
            .reduce(f64::min)
            .map_or(end, |e| e.max(end));
        let live_edge = self.main().and_then(|track| {
            let view = track.view.as_ref().filter(|v| !v.ended)?;
            let main_end = track.buffered_end().unwrap_or(end).max(end);
            Some(main_end + track.loading_from().map_or(0.0, |n| view.distance_from(n)))
        });
        let (Some(edge), Some(target)) = (live_edge, self.latency_target()) else {
            return Some(start);
        };
        let at = (edge - target).max(start);
        let ahead = self.config.start_ahead_secs.min(target).max(0.0);
        if at == start || end - at + 1e-6 >= ahead {
            return Some(at);
        }
        let waited = self.media_since_ms.is_some_and(|since| {
            self.now - since >= self.config.start_wait_ms && end - start + 1e-6 >= ahead
        });
        waited.then_some((end - ahead).max(start))
    }
}
