//! Level switching. After each video fragment the ABR controller may pick another level; the switch
//! then happens at the next segment start (independent in every level of an aligned ladder). The new
//! level's playlist is asked for ahead, with a blocking reload at that very position where the server
//! can block, while the old level keeps loading up to it: the switch costs no stall and no extra round
//! trip on the critical path. A separate audio rendition is left untouched.

use super::policy::AbrInput;
use super::types::{Notice, RequestId, TrackKind};
use super::{Engine, Request, Switch};
use crate::buffer::buffered_ahead;
use crate::error::ErrorKind;
use crate::playlist::{blocking_timeout_ms, report_url, MediaView, Position};

impl Engine {
    /// Levels in the penalty box now.
    pub(super) fn penalized(&self) -> Vec<usize> {
        self.penalty
            .iter()
            .filter(|(_, until)| **until > self.now)
            .map(|(l, _)| *l)
            .collect()
    }

    /// Asks ABR which level to load next and begins a switch if it is another.
    pub(super) fn consider_switch(&mut self) {
        if self.levels.len() < 2 {
            return;
        }
        let Some(track) = self.main() else {
            return;
        };
        if track.switch.is_some() {
            return;
        }
        let Some(next) = track.loading_from() else {
            return;
        };
        let Some(view) = track.view.clone() else {
            return;
        };
        if track.complete || (view.ended && next.msn >= view.next_msn()) {
            // Everything of an ended playlist is loaded: nothing left to load from another level.
            return;
        }
        let abr_levels = self.abr_levels();
        let penalized = self.penalized();
        // What is buffered ahead (the track's own ranges are fresher than the element's last report),
        // and what is loaded but not appended yet: a switch is considered right after a fragment
        // loads, before its append, and without it a 2 s segment was missing from the buffer the up
        // rule asks for (no switch up in 45 s at 6.2 s behind a 6 s target).
        let own = buffered_ahead(self.media.current_time, &track.buffered);
        let buffer_ahead = self.buffer_ahead().max(own) + track.queue.loaded_media_secs();
        let target = self.latency_target().unwrap_or(3.0);
        let chosen = self.abr.choose(
            &AbrInput {
                now_ms: self.now,
                levels: &abr_levels,
                current: self.level,
                buffer_ahead_secs: buffer_ahead,
                target_buffer_secs: target,
                element_size: self.media.size,
                penalized: &penalized,
            },
            self.estimator.estimate_bps(),
        );
        if chosen == self.level || chosen >= self.levels.len() {
            return;
        }
        let at = if next.part == 0 {
            next
        } else {
            Position::segment(next.msn.saturating_add(1))
        };
        if let Some(track) = self.track_mut(TrackKind::Main) {
            track.switch = Some(Switch {
                level: chosen,
                at,
                view: None,
                request: None,
            });
        }
        self.request_switch_playlist(&view);
    }

    /// Asks for the new level's playlist listing the switch position.
    fn request_switch_playlist(&mut self, current: &MediaView) {
        let margin = self.config.blocking_margin_ms;
        let timeout = self.config.request_timeout_ms;
        let Some(switch) = self.main().and_then(|t| t.switch.clone()) else {
            return;
        };
        let Some(level) = self.levels.get(switch.level) else {
            return;
        };
        let base = level.url.clone();
        let (url, timeout) = if current.can_block_reload {
            let part = current.has_parts().then_some(0);
            (
                report_url(&base, switch.at.msn, part),
                blocking_timeout_ms(current, margin),
            )
        } else {
            (base.clone(), timeout)
        };
        let id = self.fetch(
            &url,
            timeout,
            false,
            !current.can_block_reload,
            Request::Playlist {
                track: TrackKind::Main,
                url: base,
                switch_to: Some(switch.level),
                body: Vec::new(),
            },
        );
        if let Some(s) = self
            .track_mut(TrackKind::Main)
            .and_then(|t| t.switch.as_mut())
        {
            s.request = Some(id);
        }
    }

    pub(super) fn switch_playlist_loaded(
        &mut self,
        level: usize,
        id: RequestId,
        url: &str,
        body: &[u8],
    ) {
        let text = String::from_utf8_lossy(body);
        let Some(switch) = self
            .track_mut(TrackKind::Main)
            .and_then(|t| t.switch.as_mut())
            .filter(|s| s.request == Some(id) && s.level == level)
        else {
            return;
        };
        switch.request = None;
        match MediaView::parse(&text, url, None) {
            Ok(view) => {
                switch.view = Some(view);
                self.complete_switch();
            }
            Err(e) => {
                self.cancel_switch();
                self.notify(Notice::Error {
                    kind: ErrorKind::Network,
                    message: format!("{e}; staying on the current level"),
                    fatal: false,
                });
            }
        }
    }

    pub(super) fn switch_playlist_failed(&mut self, id: RequestId) {
        let ours = self
            .main()
            .and_then(|t| t.switch.as_ref())
            .is_some_and(|s| s.request == Some(id));
        if ours {
            if let Some(level) = self.main().and_then(|t| t.switch.as_ref()).map(|s| s.level) {
                self.level_failed(level);
            }
            self.cancel_switch();
        }
    }

    fn cancel_switch(&mut self) {
        let id = self
            .track_mut(TrackKind::Main)
            .and_then(|t| t.switch.take())
            .and_then(|s| s.request);
        self.abort(id);
        self.load_next(TrackKind::Main);
    }

    /// Switches once the old level has loaded up to the switch position and the new level's playlist
    /// lists it.
    pub(super) fn complete_switch(&mut self) {
        let Some(track) = self.main() else {
            return;
        };
        let (Some(switch), Some(next)) = (track.switch.clone(), track.loading_from()) else {
            return;
        };
        let Some(view) = switch.view.clone() else {
            return;
        };
        if next < switch.at {
            return;
        }
        let at = if next > switch.at { next } else { switch.at };
        let first = view.segments.first().map(|s| s.msn);
        let listed = view
            .fragment(at, view.has_parts())
            .is_some_and(|f| !f.hinted);
        let at = if listed {
            at
        } else if first.is_some_and(|f| f > at.msn) {
            // The new level's window starts later: begin there.
            match first {
                Some(f) => Position::segment(f),
                None => return,
            }
        } else if view.ended {
            // The new level ended before the switch position: nothing to switch to.
            self.cancel_switch();
            return;
        } else {
            // Not there yet: ask again, blocking at the switch position.
            if let Some(s) = self
                .track_mut(TrackKind::Main)
                .and_then(|t| t.switch.as_mut())
            {
                s.at = at;
                s.view = None;
            }
            let current = self.main().and_then(|t| t.view.clone()).unwrap_or(view);
            self.request_switch_playlist(&current);
            return;
        };
        let old_request = self.main().and_then(|t| t.playlist_request);
        self.abort(old_request);
        let Some(level) = self.levels.get(switch.level).cloned() else {
            return;
        };
        let Some(track) = self.track_mut(TrackKind::Main) else {
            return;
        };
        track.switch = None;
        track.playlist_request = None;
        track.url = level.url.clone();
        track.view = Some(view);
        track.delta = true;
        track.next = Some(at);
        track.playlist_failures = 0;
        // Another rendition's TS: its own continuity counters and configuration.
        track.transmux_reset = true;
        if let (Some(codecs), Some(_)) = (level.codecs.clone(), &track.codecs) {
            track.set_codecs(codecs);
        }
        self.level = switch.level;
        self.notify(Notice::LevelSwitched {
            index: switch.level,
        });
        let reload_pending = self.main().is_some_and(|t| t.reload_timer);
        if !reload_pending {
            self.request_playlist(TrackKind::Main);
        }
        self.load_next(TrackKind::Main);
    }
}
