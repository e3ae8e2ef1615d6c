//! The element side: gaps and stalls (the gap controller, [`crate::buffer::StallWatchdog`]), the
//! latency controller's rate and seeks, the startup catch-up to the latency target, back-buffer
//! trimming, and the end of the stream.

use super::buffer_queue::SlotKind;
use super::policy::{LatencyAction, LatencyInput};
use super::types::{Command, MediaSnapshot, Notice, TrackKind};
use super::{Buffers, Engine, Timer};
use crate::buffer::{trim_range, Recovery, Snapshot};

/// How often a latency notice goes to the page, milliseconds.
const LATENCY_NOTICE_MS: f64 = 1_000.0;

impl Engine {
    pub(super) fn media_changed(&mut self, snapshot: MediaSnapshot) {
        self.media = snapshot;
        if self.media.seeking {
            self.follow_seek();
        } else {
            self.seek_followed = None;
        }
        self.maybe_start_playback();
        self.tick();
    }

    pub(super) fn schedule_tick(&mut self) {
        if self.ticking || self.ended || self.failed {
            return;
        }
        self.ticking = true;
        let every = self.config.tick_ms;
        self.timer_after(every, Timer::Tick);
    }

    /// Distance behind the live edge, seconds: what the main track has buffered past the playhead plus
    /// what its playlist lists past the next fragment to load (media the server has and the player has
    /// not appended yet).
    pub(super) fn distance_from_edge(&self) -> Option<f64> {
        let track = self.main()?;
        let view = track.view.as_ref()?;
        let end = track.buffered_end()?;
        let listed = track.loading_from().map_or(0.0, |n| view.distance_from(n));
        Some((end - self.media.current_time).max(0.0) + listed)
    }

    /// Looks at the element: stalls and gaps, latency, trimming, loading that waited for room.
    pub(super) fn tick(&mut self) {
        if !self.started || self.failed {
            return;
        }
        self.schedule_tick();
        let live = self.live();
        let target = self.latency_target().unwrap_or(3.0);
        let snapshot = Snapshot {
            current_time: self.media.current_time,
            buffered: self.media.buffered.clone(),
            paused: self.media.paused,
            seeking: self.media.seeking,
            // In DVR, far behind the edge is where the viewer wants to be.
            live: live && !self.dvr,
            live_start_secs: target,
        };
        let now = self.now;
        let mut config = self.config.clone();
        config.max_live_latency_secs = self.config.max_live_latency_secs;
        if let Recovery::Seek(to) = self.gap.check(&snapshot, now, &config) {
            self.out.push(Command::Seek(to));
        }
        self.follow_resync();
        self.stall_and_latency(live, target);
        self.trim();
        let kinds: Vec<TrackKind> = self.tracks.iter().map(|t| t.kind).collect();
        for kind in kinds {
            self.load_next(kind);
        }
    }

    fn stall_and_latency(&mut self, live: bool, target: f64) {
        let ahead = self.buffer_ahead();
        let playing = !self.media.paused && !self.media.seeking;
        // A stall: playing, but nothing to play.
        let stalled = playing && ahead < 0.05 && !self.media.ended;
        if stalled && !self.stalled {
            let now = self.now;
            if let Some(latency) = self.latency.as_mut() {
                latency.on_stall(now);
            }
        }
        self.stalled = stalled;
        let Some(distance) = self.distance_from_edge() else {
            return;
        };
        let end = self.media.buffered.last().map_or(0.0, |r| r.1);
        // Right after the start: straight to the target when the start was a segment further back.
        if !self.startup_seek_done && live && playing && ahead > 0.0 {
            self.startup_seek_done = true;
            if distance > target + self.config.startup_catch_up_secs {
                let to = (self.media.current_time + distance - target).min(end - 0.1);
                if to > self.media.current_time {
                    self.out.push(Command::Seek(to));
                    return;
                }
            }
        }
        let input = LatencyInput {
            now_ms: self.now,
            distance_secs: distance,
            buffer_ahead_secs: ahead,
            playing,
            // In DVR the controller holds rate 1 and does not seek, as for a stream not live.
            live: live && !self.dvr,
        };
        let action = self
            .latency
            .as_mut()
            .map_or(LatencyAction::None, |l| l.tick(&input));
        match action {
            LatencyAction::None => {}
            LatencyAction::Rate(rate) => self.out.push(Command::SetRate(rate)),
            LatencyAction::Seek { forward_secs } => {
                let to = (self.media.current_time + forward_secs).min(end - 0.1);
                if to > self.media.current_time {
                    self.out.push(Command::Seek(to));
                }
            }
        }
        if self.now - self.last_latency_notice_ms >= LATENCY_NOTICE_MS && live {
            self.last_latency_notice_ms = self.now;
            let target = self.latency_target().unwrap_or(target);
            let rate = self.latency.as_ref().map_or(1.0, |l| l.current_rate());
            let window = self.live_window();
            self.notify(Notice::Latency {
                distance,
                target,
                rate,
                window,
            });
        }
    }

    /// After loading jumped ahead, the playhead follows to the first buffered range past it once it has
    /// nothing left to play where it is.
    fn follow_resync(&mut self) {
        if !self.main().is_some_and(|t| t.resynced) {
            return;
        }
        let t = self.media.current_time;
        let inside = self
            .media
            .buffered
            .iter()
            .any(|(s, e)| *s <= t + 0.001 && t < *e - 0.1);
        if inside {
            return;
        }
        if let Some(&(start, end)) = self.media.buffered.iter().find(|(s, _)| *s > t) {
            let to = start + 0.05f64.min((end - start) / 2.0);
            self.out.push(Command::Seek(to));
            if let Some(track) = self.track_mut(TrackKind::Main) {
                track.resynced = false;
            }
        }
    }

    /// Each track trims its own back buffer.
    fn trim(&mut self) {
        let t = self.media.current_time;
        let config = self.config.clone();
        let kinds: Vec<TrackKind> = self.tracks.iter().map(|t| t.kind).collect();
        for kind in kinds {
            let Some(track) = self.track_mut(kind) else {
                continue;
            };
            if track.queue.removing() {
                continue;
            }
            if let Some((start, end)) = trim_range(t, &track.buffered, &config) {
                track.queue.open(SlotKind::Remove(start, end));
                self.pump(kind);
            }
        }
    }

    /// The element's duration, once the first media is in, for a stream that had ended when playback
    /// began (a VOD): where its first media starts plus the seconds listed from there. A live stream's
    /// duration is left to the media source (what is buffered; `endOfStream` when it ends).
    pub(super) fn set_duration(&mut self) {
        let (Some(start), Some(listed)) = (self.media_start, self.start_distance) else {
            return;
        };
        let ended = self
            .track(TrackKind::Main)
            .and_then(|t| t.view.as_ref())
            .is_some_and(|v| v.ended);
        if ended && listed > 0.0 {
            self.out.push(Command::SetDuration(start + listed));
        }
    }

    /// Ends the media source once every track queued its last fragment and appended it.
    pub(super) fn maybe_end_of_stream(&mut self) {
        if self.ended || self.buffers != Buffers::Ready {
            return;
        }
        let all_done = !self.tracks.is_empty()
            && self.tracks.iter().all(|t| {
                t.view.as_ref().is_some_and(|v| v.ended)
                    && t.complete
                    && t.queue.idle()
                    && !self.transmuxing(t.kind)
            });
        if all_done {
            self.ended = true;
            self.out.push(Command::EndOfStream);
            self.notify(Notice::Ended);
        }
    }
}
