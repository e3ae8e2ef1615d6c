//! Recovery: the penalty box for levels that keep failing, a full buffer, and a rebuilt media source
//! after a fatal decode error (hls.js's `recoverMediaError`): everything is appended again from the
//! live edge (or where playback was), without a page reload.

use super::types::{Command, Notice, TrackKind};
use super::{Buffers, Engine};
use crate::error::{ErrorKind, PlayerError};

impl Engine {
    /// A fragment or playlist of `level` failed: enough failures in a row put it in the penalty box for
    /// a while, and ABR picks another.
    pub(super) fn level_failed(&mut self, level: usize) {
        let count = self.level_failures.get_or_insert_with(level, || 0);
        *count = count.saturating_add(1);
        if *count >= self.config.penalty_failures && self.levels.len() > 1 {
            self.level_failures.remove(&level);
            let until = self.now + self.config.penalty_ms;
            self.penalty.insert(level, until);
            if level == self.level {
                self.consider_switch();
            }
        }
    }

    pub(super) fn buffer_failed(&mut self, kind: TrackKind, quota: bool, error: PlayerError) {
        if let Some(track) = self.track_mut(kind) {
            track.queue.updated();
        }
        if quota {
            // Full: drop played media, load the lost fragment again.
            let t = self.media.current_time;
            let keep = (self.config.back_buffer_secs / 3.0).max(2.0);
            if let Some(track) = self.track_mut(kind) {
                if let Some(&(start, _)) = track.buffered.first() {
                    if t - keep > start {
                        track
                            .queue
                            .open(super::buffer_queue::SlotKind::Remove(start, t - keep));
                    }
                }
            }
            self.notify(Notice::Error {
                kind: ErrorKind::Media,
                message: format!("{} buffer full; freeing space", kind.name()),
                fatal: false,
            });
            self.pump(kind);
            return;
        }
        self.media_error(&error.to_string());
    }

    /// A decode error: rebuild the media source and start again, a bounded number of times.
    pub(super) fn media_error(&mut self, message: &str) {
        if self.buffers == Buffers::Rebuilding {
            return;
        }
        if self.rebuilds >= self.config.max_rebuilds {
            self.fail(&PlayerError::Unsupported {
                what: format!("media that decodes ({message})"),
            });
            return;
        }
        self.rebuilds += 1;
        self.notify(Notice::Error {
            kind: ErrorKind::Media,
            message: format!("media error ({message}); restarting playback"),
            fatal: false,
        });
        let requests: Vec<Option<u64>> = self
            .tracks
            .iter()
            .flat_map(|t| {
                t.fragment_requests
                    .iter()
                    .map(|(id, _)| Some(*id))
                    .chain([t.init_request])
            })
            .collect();
        for id in requests {
            self.abort(id);
        }
        // What the transmuxer sends back for the old media source is not wanted.
        self.requests
            .retain(|_, r| !matches!(r, super::Request::Transmux { .. }));
        for track in &mut self.tracks {
            track.fragment_requests.clear();
            track.init_request = None;
            track.queue.reset();
            track.buffered.clear();
            track.init_url = None;
            track.transmux_reset = true;
            track.next = None;
            track.discontinuity = None;
            track.offset = 0.0;
            track.appended_media = false;
            track.complete = false;
        }
        self.started = false;
        self.startup_seek_done = false;
        self.start_distance = None;
        self.media_since_ms = None;
        self.ended = false;
        self.buffers = Buffers::Rebuilding;
        self.out.push(Command::RebuildMedia);
    }

    pub(super) fn media_rebuilt(&mut self) {
        if self.buffers != Buffers::Rebuilding {
            return;
        }
        self.buffers = Buffers::None;
        self.media = Default::default();
        self.maybe_create_buffers();
        self.start_track(TrackKind::Main);
    }
}
