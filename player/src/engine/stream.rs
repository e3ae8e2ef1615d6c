//! The stream controller: per track, which fragment comes next and when to ask for it.
//!
//! Where the playlist has parts, parts are loaded near the live edge (whole segments further back), and
//! the part after the last one listed is the preload hint: it is asked for before it exists, so the
//! server streams its bytes as they are produced and they are appended as they arrive. hls.js parses
//! hints but never fetches them (its issue #3988). One fragment per track is in flight while playing
//! (several before the start, so the parts up to the start position do not take a round trip each); the
//! init it needs is queued ahead of it. A discontinuity's first fragment is held until complete, its
//! start read, and a `timestampOffset` set so its timeline continues the buffer's.

use super::buffer_queue::{SlotId, SlotKind};
use super::policy::Transfer;
use super::types::{Notice, RequestId, TrackKind};
use super::{Engine, Request, Timer};
use crate::buffer::buffered_ahead;
use crate::error::{PlayerError, Retry};
use crate::playlist::{FragmentRef, MediaView, Position};

/// A fragment request in flight: what it is for, and what has come of it so far.
#[derive(Debug)]
pub(super) struct FragmentRequest {
    pub track: TrackKind,
    pub fragment: FragmentRef,
    /// The level it was loaded from (main track only).
    pub level: Option<usize>,
    /// The slot its bytes stream into; `None` while they are held back (a discontinuity's first
    /// fragment, whose start time must be read before it is appended).
    pub slot: Option<SlotId>,
    pub held: Vec<u8>,
    pub requested_ms: f64,
    pub first_byte_ms: Option<f64>,
    pub bytes: u64,
    /// It shared the link with another fragment request (while starting): its throughput is not the
    /// link's, so the estimator does not hear of it.
    pub parallel: bool,
    /// It is the first of a new discontinuity sequence (held, its start read before it is queued).
    pub new_timeline: bool,
}

/// Where loading goes on after `position` in `view`: a later part of a complete segment whose parts
/// are all listed is past its end (the segment was cut shorter than the hint expected).
fn normalize(view: &MediaView, position: Position) -> Position {
    match view.segment(position.msn) {
        Some(s)
            if position.part > 0
                && !s.parts.is_empty()
                && usize::try_from(position.part).unwrap_or(usize::MAX) >= s.parts.len() =>
        {
            Position::segment(position.msn.saturating_add(1))
        }
        _ => position,
    }
}

impl Engine {
    /// Asks for the track's next fragment if it may: nothing in flight, not waiting to retry, room in
    /// the buffer, and the playlist lists it (or hints it).
    pub(super) fn load_next(&mut self, kind: TrackKind) {
        self.prefetch_next_init(kind);
        for _ in 0..64 {
            if !self.load_one(kind) {
                return;
            }
        }
    }

    /// One step of [`Engine::load_next`]; true when it skipped a gap and should look again.
    fn load_one(&mut self, kind: TrackKind) -> bool {
        if self.failed || self.ended {
            return false;
        }
        let current_time = self.media.current_time;
        let started = self.started;
        let max_ahead = self.config.max_buffer_ahead_secs;
        let max_queued = self.config.max_queued_appends;
        let target = self.latency_target().unwrap_or(3.0);
        let margin = self.config.blocking_margin_ms;
        let resync_behind = self.config.resync_behind_secs;
        let fragment_timeout = self.config.fragment_timeout_ms;
        let dvr = self.dvr;
        let limit = if started {
            1
        } else {
            self.config.start_parallel_fragments.max(1)
        };
        let Some(track) = self.track_mut(kind) else {
            return false;
        };
        if track.fragment_requests.len() >= limit || track.fragment_timer || track.complete {
            return false;
        }
        let (Some(view), Some(next)) = (track.view.as_ref(), track.next) else {
            return false;
        };
        // Before the start, the fragments up to the start position are all wanted at once.
        let max_queued = if started {
            max_queued
        } else {
            max_queued.max(4 * limit)
        };
        if track.queue.media_pending() >= max_queued {
            return false;
        }
        if started && buffered_ahead(current_time, &track.buffered) >= max_ahead {
            return false;
        }
        let mut next = normalize(view, next);
        // Fell out of the live window, or far behind it (an outage): on to the target distance.
        let first = view.segments.first().map(|s| s.msn);
        let out_of_window = first.is_some_and(|f| next.msn < f);
        let far_behind = started && !dvr && view.distance_from(next) > target + resync_behind;
        let mut jumped = false;
        if dvr && out_of_window {
            // Behind live by choice, and the window moved past: on from its first segment.
            if let Some(first) = first {
                next = Position::segment(first);
            }
        } else if !view.ended && (out_of_window || far_behind) {
            if let Some(start) = view.start(target).filter(|s| *s > next) {
                next = start;
                jumped = true;
            }
        }
        track.next = Some(next);
        if jumped {
            track.resynced = true;
        }
        if kind == TrackKind::Main && track.switch.as_ref().is_some_and(|s| s.at == next) {
            // Wait here for the new level's playlist (complete_switch resumes).
            return false;
        }
        let near_edge = next.msn.saturating_add(1) >= view.next_msn();
        let prefer_parts = view.has_parts() && (near_edge || !started);
        let Some(fragment) = view.fragment(next, prefer_parts) else {
            if view.ended && next.msn >= view.next_msn() {
                track.complete = true;
                self.maybe_end_of_stream();
            }
            return false;
        };
        if fragment.hinted && track.refused_hint == Some(next) {
            return false;
        }
        if fragment.gap {
            let after = view.after(&fragment);
            track.next = Some(after);
            return true;
        }
        let after_disc = track
            .discontinuity
            .is_some_and(|d| d != fragment.discontinuity_sequence);
        let new_map = fragment.map_url.is_some() && fragment.map_url != track.init_url;
        let parallel = !track.fragment_requests.is_empty();
        // Decrypted or transmuxed: needs the whole body, in order (`transform`).
        let held = fragment.key.is_some() || fragment.is_ts();
        if parallel && (after_disc || new_map || held) {
            // A new timeline or init waits for what is in flight.
            return false;
        }
        let timeout = if fragment.hinted {
            crate::playlist::blocking_timeout_ms(view, margin)
        } else {
            fragment_timeout
        };
        if let Some(key) = fragment.key.clone() {
            if !self.key_ready(kind, &key) {
                return false;
            }
        }
        let Some(track) = self.track_mut(kind) else {
            return false;
        };
        track.discontinuity = Some(fragment.discontinuity_sequence);
        if new_map {
            if let Some(map) = fragment.map_url.clone() {
                self.queue_init(kind, &map, fragment.map_range);
            }
        }
        let level = (kind == TrackKind::Main).then_some(self.level);
        let Some(track) = self.track_mut(kind) else {
            return false;
        };
        // A discontinuity's first fragment is held whole, and so is one to decrypt or transmux; the
        // others stream into their slot.
        let slot = (!after_disc && !held).then(|| {
            track.queue.open(SlotKind::Media {
                position: fragment.position,
                duration: fragment.duration,
            })
        });
        let url = fragment.url.clone();
        let position = fragment.position;
        let after = track.view.as_ref().map(|v| v.after(&fragment));
        let requested_ms = self.now;
        let range = fragment.range;
        let id = self.fetch_range(
            &url,
            range,
            timeout,
            slot.is_some(),
            false,
            Request::Fragment(FragmentRequest {
                track: kind,
                fragment,
                level,
                slot,
                held: Vec::new(),
                requested_ms,
                first_byte_ms: None,
                bytes: 0,
                parallel,
                new_timeline: after_disc,
            }),
        );
        let Some(track) = self.track_mut(kind) else {
            return false;
        };
        track.fragment_requests.push((id, position));
        track.next = after.or(track.next);
        track.fragment_requests.len() < limit
    }

    pub(super) fn fragment_loaded(&mut self, id: RequestId, mut loaded: FragmentRequest) {
        let now = self.now;
        let kind = loaded.track;
        let others = self
            .track(kind)
            .is_some_and(|t| t.fragment_requests.iter().any(|(r, _)| *r != id));
        if !loaded.parallel && !others {
            self.estimator.sample(&Transfer {
                bytes: loaded.bytes,
                request_ms: loaded.requested_ms,
                first_byte_ms: loaded.first_byte_ms.unwrap_or(now),
                end_ms: now,
                held: loaded.fragment.hinted,
                media_secs: loaded.fragment.duration,
            });
        }
        if let Some(level) = loaded.level {
            self.level_failures.remove(&level);
        }
        if loaded.slot.is_none() && loaded.fragment.key.is_some() {
            self.start_decrypt(id, loaded);
            return;
        }
        let body = std::mem::take(&mut loaded.held);
        self.fragment_complete(id, loaded, body);
    }

    /// A fragment is loaded (and decrypted): into the buffer's queue with it, and on to the next.
    pub(super) fn fragment_complete(
        &mut self,
        id: RequestId,
        loaded: FragmentRequest,
        body: Vec<u8>,
    ) {
        let kind = loaded.track;
        let Some(track) = self.track_mut(kind) else {
            return;
        };
        track.fragment_requests.retain(|(r, _)| *r != id);
        track.fragment_failures = 0;
        match loaded.slot {
            Some(slot) => track.queue.complete(slot),
            None => self.queue_held(id, kind, &loaded.fragment, loaded.new_timeline, body),
        }
        if let Some(track) = self.track_mut(kind) {
            if let Some(view) = track.view.as_ref() {
                // Never back over what later requests in flight already asked for.
                let after = view.after(&loaded.fragment);
                track.next = Some(track.next.map_or(after, |n| n.max(after)));
            }
        }
        self.pump(kind);
        if kind == TrackKind::Main {
            self.consider_switch();
        }
        self.load_next(kind);
    }

    pub(super) fn fragment_failed(
        &mut self,
        kind: TrackKind,
        id: RequestId,
        fragment: FragmentRef,
        level: Option<usize>,
        slot: Option<SlotId>,
        error: PlayerError,
    ) {
        let attempts = self.config.fragment_attempts;
        self.abort_fragments_after(kind, id);
        let Some(track) = self.track_mut(kind) else {
            return;
        };
        track.fragment_requests.retain(|(r, _)| *r != id);
        // Loading goes on from here (it had moved past it when it was asked for).
        track.next = Some(fragment.position);
        if let Some(slot) = slot {
            track.queue.cancel(slot);
        }
        if fragment.hinted && matches!(error, PlayerError::Http { .. }) {
            // The server does not have the hinted part (the segment ended sooner, or it moved on): wait
            // for the playlist to say what comes next.
            track.refused_hint = Some(fragment.position);
            return;
        }
        track.fragment_failures = track.fragment_failures.saturating_add(1);
        let failures = track.fragment_failures;
        let network = matches!(error, PlayerError::Network { .. });
        let give_up = !network && (error.retry(false) == Retry::No || failures >= attempts);
        if let Some(level) = level {
            self.level_failed(level);
        }
        if give_up {
            // Skipped: the gap controller jumps the hole it leaves.
            if let Some(track) = self.track_mut(kind) {
                track.fragment_failures = 0;
                if let Some(view) = track.view.as_ref() {
                    track.next = Some(view.after(&fragment));
                }
            }
            self.notify(Notice::Error {
                kind: error.kind(),
                message: format!("{error}; skipped {} {}", kind.name(), fragment.url),
                fatal: false,
            });
            self.load_next(kind);
            return;
        }
        self.notify(Notice::Error {
            kind: error.kind(),
            message: format!("{error}; retrying"),
            fatal: false,
        });
        self.retry_fragment_later(kind);
    }

    /// Aborts the track's fragment requests asked for after `id` (they would append past a hole) and
    /// gives their slots back.
    fn abort_fragments_after(&mut self, kind: TrackKind, id: RequestId) {
        let Some(track) = self.track_mut(kind) else {
            return;
        };
        let Some(at) = track.fragment_requests.iter().position(|(r, _)| *r == id) else {
            return;
        };
        let later: Vec<RequestId> = track
            .fragment_requests
            .drain(at + 1..)
            .map(|(r, _)| r)
            .collect();
        for r in later {
            self.abort_fragment(kind, r);
        }
    }

    /// Aborts fragment request `id` of track `kind`, cancelling the buffer slot its streamed bytes
    /// went to.
    pub(super) fn abort_fragment(&mut self, kind: TrackKind, id: RequestId) {
        if let Some(Request::Fragment(FragmentRequest {
            slot: Some(slot), ..
        })) = self.requests.get(&id)
        {
            let slot = *slot;
            if let Some(track) = self.track_mut(kind) {
                track.queue.cancel(slot);
            }
        }
        self.abort(Some(id));
    }

    /// `EXT-X-PRELOAD-HINT:TYPE=MAP`: the server says which init segment comes next (a new encoder
    /// configuration); it is loaded into the track's cache now, so the fragment that needs it does not
    /// wait for it.
    fn prefetch_next_init(&mut self, kind: TrackKind) {
        let timeout = self.config.request_timeout_ms;
        let Some(track) = self.track(kind) else {
            return;
        };
        let Some(url) = track.view.as_ref().and_then(|v| v.map_hint.clone()) else {
            return;
        };
        let known = track.init_url.as_deref() == Some(url.as_str())
            || track.init.as_ref().is_some_and(|(u, _)| *u == url)
            || track.next_init_url.as_deref() == Some(url.as_str());
        if known || track.next_init_request.is_some() {
            return;
        }
        let id = self.fetch(
            &url,
            timeout,
            false,
            false,
            Request::NextInit {
                track: kind,
                url: url.clone(),
                body: Vec::new(),
            },
        );
        if let Some(track) = self.track_mut(kind) {
            track.next_init_request = Some(id);
            track.next_init_url = Some(url);
        }
    }

    /// After a request these tracks need failed (an init, a key): gives up when `error` is not worth
    /// retrying, else says so and loads each track's next fragment after its retry backoff.
    pub(super) fn retry_or_fail(&mut self, kinds: &[TrackKind], error: &PlayerError) {
        if error.retry(true) == Retry::No {
            self.fail(error);
            return;
        }
        self.notify(Notice::Error {
            kind: error.kind(),
            message: format!("{error}; retrying"),
            fatal: false,
        });
        for &kind in kinds {
            if let Some(t) = self.track_mut(kind) {
                t.fragment_failures = t.fragment_failures.saturating_add(1);
            }
            self.retry_fragment_later(kind);
        }
    }

    /// Loads the track's next fragment after the retry backoff.
    pub(super) fn retry_fragment_later(&mut self, kind: TrackKind) {
        let Some(track) = self.track_mut(kind) else {
            return;
        };
        if track.fragment_timer {
            return;
        }
        track.fragment_timer = true;
        let failures = track.fragment_failures.max(1);
        let unit = self.random();
        let delay = self
            .config
            .fragment_retry
            .delay_with_jitter_ms(failures, unit);
        self.timer_after(delay as f64, Timer::Fragment(kind));
    }
}
