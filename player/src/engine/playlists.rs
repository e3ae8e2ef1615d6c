//! The playlist loader: each track's media playlist kept fresh. Where the server can block, the next
//! request goes out as soon as an answer comes in, asking for the part after the last one listed
//! (`_HLS_msn`/`_HLS_part`), and for a delta update (`_HLS_skip=YES`) where it can skip; elsewhere RFC
//! 8216's reload timing. A delta that cannot be merged makes the next request ask for everything.

use super::types::{Command, Notice, RequestId, TrackKind};
use super::{Engine, Request, Timer};
use crate::error::{PlayerError, Retry};
use crate::playlist::{blocking_timeout_ms, reload_delay_ms, reload_url, MediaView};

impl Engine {
    /// Asks for a track's playlist now (no-op while one is in flight or a reload is scheduled).
    pub(super) fn request_playlist(&mut self, kind: TrackKind) {
        let margin = self.config.blocking_margin_ms;
        let timeout = self.config.request_timeout_ms;
        let now = self.now;
        let Some(track) = self.track_mut(kind) else {
            return;
        };
        if track.playlist_request.is_some() || track.reload_timer {
            return;
        }
        let (url, blocking, timeout) = match &track.view {
            Some(view) if view.ended => return,
            Some(view) => {
                let blocking = view.can_block_reload;
                let url = reload_url(&track.url, view, track.delta);
                let timeout = if blocking {
                    blocking_timeout_ms(view, margin)
                } else {
                    timeout
                };
                (url, blocking, timeout)
            }
            None => (track.url.clone(), false, timeout),
        };
        if !blocking {
            track.reload_started_ms = now;
        }
        let playlist_url = track.url.clone();
        let id = self.fetch(
            &url,
            timeout,
            false,
            // A blocking request's URL is new each time; a plain one must not come from a cache.
            !blocking,
            Request::Playlist {
                track: kind,
                url: playlist_url,
                switch_to: None,
                body: Vec::new(),
            },
        );
        if let Some(track) = self.track_mut(kind) {
            track.playlist_request = Some(id);
        }
    }

    pub(super) fn playlist_loaded(
        &mut self,
        kind: TrackKind,
        id: RequestId,
        url: &str,
        body: &[u8],
    ) {
        let Some(track) = self.track_mut(kind) else {
            return;
        };
        if track.playlist_request != Some(id) || track.url != url {
            // A level switch replaced this playlist meanwhile.
            return;
        }
        track.playlist_request = None;
        let text = String::from_utf8_lossy(body);
        let previous = track.view.as_ref();
        match MediaView::parse(&text, url, previous) {
            Ok(view) => {
                track.playlist_failures = 0;
                self.playlist_loaded_view(kind, view);
            }
            Err(error) => {
                let delta_failed = track.delta && text.contains("#EXT-X-SKIP");
                if delta_failed {
                    // Ask for the whole playlist at once.
                    track.delta = false;
                    self.request_playlist(kind);
                } else {
                    self.playlist_failed(kind, id, error);
                }
            }
        }
    }

    /// A fresh copy of a track's playlist: kept, the start decided if not yet, the next copy asked
    /// for, loading resumed.
    pub(super) fn playlist_loaded_view(&mut self, kind: TrackKind, view: MediaView) {
        let min_reload = self.config.min_reload_ms;
        let now = self.now;
        let Some(track) = self.track_mut(kind) else {
            return;
        };
        let changed = track
            .view
            .as_ref()
            .is_none_or(|old| old.end() != view.end() || old.ended != view.ended);
        if changed {
            track.refused_hint = None;
        }
        if !view.was_delta {
            // Delta updates work again once a whole copy is in.
            track.delta = true;
        }
        let blocking = view.can_block_reload && !view.ended;
        let ended = view.ended;
        let ts = view.lists_ts();
        let delay = reload_delay_ms(&view, changed, now - track.reload_started_ms, min_reload);
        track.view = Some(view);
        if ts && !self.transmux_prepared {
            // Its wasm loads while the first segment does.
            self.transmux_prepared = true;
            self.out.push(Command::PrepareTransmux);
        }
        if self.track(kind).is_some_and(|t| t.next.is_none()) {
            self.start_track(kind);
        } else {
            self.load_next(kind);
        }
        if kind == TrackKind::Main {
            self.complete_switch();
        }
        if ended {
            self.maybe_end_of_stream();
        } else if blocking {
            self.request_playlist(kind);
        } else {
            if let Some(track) = self.track_mut(kind) {
                track.reload_timer = true;
            }
            self.timer_after(delay, Timer::Reload(kind));
        }
    }

    pub(super) fn playlist_failed(&mut self, kind: TrackKind, id: RequestId, error: PlayerError) {
        let Some(track) = self.track_mut(kind) else {
            return;
        };
        if track.playlist_request == Some(id) {
            track.playlist_request = None;
        }
        if error.retry(true) == Retry::No {
            if track.view.is_none() {
                self.fail(&error);
            } else {
                // A playlist that worked before: keep playing what is buffered, keep asking.
                self.notify(Notice::Error {
                    kind: error.kind(),
                    message: format!("{error}; retrying"),
                    fatal: false,
                });
            }
        } else if matches!(error, PlayerError::Http { status: 404, .. })
            && self.track(kind).is_some_and(|t| t.view.is_none())
        {
            self.notify(Notice::WaitingForStream);
        } else {
            self.notify(Notice::Error {
                kind: error.kind(),
                message: format!("{error}; retrying"),
                fatal: false,
            });
        }
        let Some(track) = self.track_mut(kind) else {
            return;
        };
        track.playlist_failures = track.playlist_failures.saturating_add(1);
        let failures = track.playlist_failures;
        track.reload_timer = true;
        let unit = self.random();
        let delay = self.config.retry.delay_with_jitter_ms(failures, unit);
        self.timer_after(delay as f64, Timer::Reload(kind));
    }
}
