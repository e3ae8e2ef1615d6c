//! The ordered upload queue: one upload at a time, head first, retried after a backoff, refused parts
//! dropped, and whole unsent segments dropped when the backlog grows past its bound (see the module
//! documentation of [`crate::upload`]).

use std::collections::VecDeque;

use onair_browser::retry::Backoff;

use super::{verdict, Attempt, UploadItem, UploadKind, Verdict};

/// What the queue did with the in-flight upload.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled {
    /// It was uploaded and removed.
    Uploaded {
        /// The item.
        item: UploadItem,
        /// From the start of the successful request to its answer, in milliseconds.
        latency_ms: f64,
    },
    /// The server refused it for good (409 on a part); it was dropped and the queue goes on.
    Skipped {
        /// The item.
        item: UploadItem,
    },
    /// It stays at the head and is retried after this many milliseconds.
    Retry {
        /// Milliseconds to wait.
        after_ms: u64,
        /// Consecutive failures of this item so far.
        failures: u32,
    },
    /// The failure cannot be fixed by retrying; the queue is halted (the item is kept, not dropped).
    Halted,
}

/// The queue's tunables.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueConfig {
    /// Delays between retries. It defaults to 250 ms, doubling up to 8 s.
    pub backoff: Backoff,
    /// Media waiting, in seconds, from which the broadcast counts as falling behind
    /// ([`UploadQueue::is_backpressured`]). It defaults to 2.
    pub high_water_secs: f64,
    /// Media waiting, in seconds, beyond which whole not-yet-started segments are dropped. It defaults
    /// to 10.
    pub max_backlog_secs: f64,
    /// Upper bound on how long a `Retry-After` may hold the queue, in milliseconds. It defaults to
    /// 30000.
    pub max_retry_after_ms: u64,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            backoff: Backoff::new(250, 8_000),
            high_water_secs: 2.0,
            max_backlog_secs: 10.0,
            max_retry_after_ms: 30_000,
        }
    }
}

/// What the queue has done so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UploadCounters {
    /// Parts the server took (201 or 200).
    pub parts_uploaded: u64,
    /// Segments complete on the server: a segment is complete once a part of a later segment, or the
    /// end of the stream, has been taken after some of its parts.
    pub segments_uploaded: u64,
    /// Bytes uploaded successfully (init and parts).
    pub bytes_uploaded: u64,
    /// Failed attempts: each retry that failed, each refusal.
    pub upload_errors: u64,
    /// Parts the server refused with 409 and that were dropped.
    pub parts_rejected: u64,
    /// Whole segments dropped because the backlog grew past its bound.
    pub segments_dropped: u64,
    /// The parts of those segments.
    pub parts_dropped: u64,
    /// How long the last successful part upload took (request to answer), in milliseconds.
    pub last_part_latency_ms: Option<f64>,
}

impl UploadCounters {
    /// Adds another queue's counters (a ladder's renditions each have one); the last part latency is
    /// the larger of the two.
    pub fn add(&mut self, other: &UploadCounters) {
        self.parts_uploaded += other.parts_uploaded;
        self.segments_uploaded += other.segments_uploaded;
        self.bytes_uploaded += other.bytes_uploaded;
        self.upload_errors += other.upload_errors;
        self.parts_rejected += other.parts_rejected;
        self.segments_dropped += other.segments_dropped;
        self.parts_dropped += other.parts_dropped;
        self.last_part_latency_ms = match (self.last_part_latency_ms, other.last_part_latency_ms) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

#[derive(Debug, Clone)]
struct Pending {
    item: UploadItem,
    failures: u32,
    not_before_ms: f64,
}

/// Uploads in order, one at a time, with retries, refusals and backpressure as described in the module
/// documentation.
#[derive(Debug, Clone)]
pub struct UploadQueue {
    items: VecDeque<Pending>,
    config: QueueConfig,
    /// When the in-flight request started, if one is in flight.
    in_flight_since_ms: Option<f64>,
    halted: bool,
    /// The newest segment with a part sent at least once: it and older ones are never dropped.
    started_msn: Option<u64>,
    /// The newest segment with a part the server took.
    taken_msn: Option<u64>,
    /// Segments dropped so far: subtracted from the packager's msns so the server's stay contiguous.
    msn_offset: u64,
    counters: UploadCounters,
}

impl Default for UploadQueue {
    fn default() -> Self {
        Self::new(QueueConfig::default())
    }
}

impl UploadQueue {
    /// An empty queue.
    pub fn new(config: QueueConfig) -> Self {
        Self {
            items: VecDeque::new(),
            config,
            in_flight_since_ms: None,
            halted: false,
            started_msn: None,
            taken_msn: None,
            msn_offset: 0,
            counters: UploadCounters::default(),
        }
    }

    /// Appends an upload at the tail, then drops whole segments while the backlog is over its bound.
    /// Returns the media sequence numbers (the packager's) of the segments dropped.
    pub fn push(&mut self, mut item: UploadItem) -> Vec<u64> {
        if let UploadKind::Part { msn, .. } = &mut item.kind {
            *msn = msn.saturating_sub(self.msn_offset);
        }
        self.items.push_back(Pending {
            item,
            failures: 0,
            not_before_ms: f64::NEG_INFINITY,
        });
        let mut dropped = Vec::new();
        // Durations are sums of floats: a hair over the bound is not over it.
        while self.backlog_secs() > self.config.max_backlog_secs + 1e-6 {
            let Some(msn) = self.oldest_droppable_segment() else {
                break;
            };
            let before = self.items.len();
            self.items
                .retain(|p| p.item.kind.msn().is_none_or(|m| m != msn));
            self.counters.segments_dropped += 1;
            self.counters.parts_dropped += (before - self.items.len()) as u64;
            for pending in &mut self.items {
                if let UploadKind::Part { msn: later, .. } = &mut pending.item.kind {
                    if *later > msn {
                        *later -= 1;
                    }
                }
            }
            dropped.push(msn + self.msn_offset);
            self.msn_offset += 1;
        }
        dropped
    }

    /// The oldest segment that may be dropped: none of its parts sent yet, and all of them queued (an
    /// item of something else follows them, so the packager is done with it).
    fn oldest_droppable_segment(&self) -> Option<u64> {
        let (position, msn) = self.items.iter().enumerate().find_map(|(i, p)| {
            let msn = p.item.kind.msn()?;
            self.started_msn
                .is_none_or(|started| msn > started)
                .then_some((i, msn))
        })?;
        self.items
            .iter()
            .skip(position)
            .any(|p| p.item.kind.msn() != Some(msn))
            .then_some(msn)
    }

    /// The head item, if it may be sent now: nothing in flight, not halted and its backoff elapsed.
    /// Marks it in flight; report the outcome with [`Self::report`].
    pub fn start_next(&mut self, now_ms: f64) -> Option<&UploadItem> {
        if self.in_flight_since_ms.is_some() || self.halted {
            return None;
        }
        let head = self.items.front()?;
        if now_ms < head.not_before_ms {
            return None;
        }
        if let Some(msn) = head.item.kind.msn() {
            self.started_msn = Some(self.started_msn.map_or(msn, |s| s.max(msn)));
        }
        self.in_flight_since_ms = Some(now_ms);
        self.items.front().map(|p| &p.item)
    }

    /// How long until the head item may be sent (0 if now), or `None` if there is nothing to send
    /// (empty, in flight or halted).
    pub fn wait_ms(&self, now_ms: f64) -> Option<f64> {
        if self.in_flight_since_ms.is_some() || self.halted {
            return None;
        }
        self.items
            .front()
            .map(|p| (p.not_before_ms - now_ms).max(0.0))
    }

    /// Reports how the in-flight upload ended, and acts on its [`verdict`]. Without an upload in flight
    /// it does nothing and answers [`Settled::Halted`].
    pub fn report(&mut self, now_ms: f64, attempt: &Attempt) -> Settled {
        let Some(started_ms) = self.in_flight_since_ms.take() else {
            return Settled::Halted;
        };
        let Some(head) = self.items.front_mut() else {
            return Settled::Halted;
        };
        let kind = head.item.kind;
        let verdict = verdict(kind, attempt);
        if verdict != Verdict::Success {
            self.counters.upload_errors += 1;
        }
        match verdict {
            Verdict::Success => {
                let Some(done) = self.items.pop_front() else {
                    return Settled::Halted;
                };
                let latency_ms = (now_ms - started_ms).max(0.0);
                self.count_success(&done.item, latency_ms);
                Settled::Uploaded {
                    item: done.item,
                    latency_ms,
                }
            }
            Verdict::Skip => {
                self.counters.parts_rejected += 1;
                match self.items.pop_front() {
                    Some(done) => Settled::Skipped { item: done.item },
                    None => Settled::Halted,
                }
            }
            Verdict::Retry { at_least_ms } => {
                head.failures = head.failures.saturating_add(1);
                let retry_after =
                    at_least_ms.map_or(0, |ms| ms.min(self.config.max_retry_after_ms));
                let after_ms = self.config.backoff.delay_ms(head.failures).max(retry_after);
                head.not_before_ms = now_ms + after_ms as f64;
                Settled::Retry {
                    after_ms,
                    failures: head.failures,
                }
            }
            Verdict::Fatal => {
                self.halted = true;
                Settled::Halted
            }
        }
    }

    fn count_success(&mut self, item: &UploadItem, latency_ms: f64) {
        self.counters.bytes_uploaded += item.body.len() as u64;
        match item.kind {
            UploadKind::Part { msn, .. } => {
                self.counters.parts_uploaded += 1;
                self.counters.last_part_latency_ms = Some(latency_ms);
                // The first part of a later segment completes the one before on the server.
                if self.taken_msn.is_some_and(|taken| msn > taken) {
                    self.counters.segments_uploaded += 1;
                }
                self.taken_msn = Some(self.taken_msn.map_or(msn, |t| t.max(msn)));
            }
            UploadKind::End => {
                if self.taken_msn.take().is_some() {
                    self.counters.segments_uploaded += 1;
                }
            }
            UploadKind::Init => {}
        }
    }

    /// The counters so far.
    pub fn counters(&self) -> &UploadCounters {
        &self.counters
    }

    /// Number of uploads waiting or in flight.
    pub fn depth(&self) -> usize {
        self.items.len()
    }

    /// Bytes waiting or in flight.
    pub fn bytes_pending(&self) -> usize {
        self.items.iter().map(|p| p.item.body.len()).sum()
    }

    /// Media waiting or in flight, in seconds.
    pub fn backlog_secs(&self) -> f64 {
        self.items.iter().map(|p| p.item.duration_secs).sum()
    }

    /// Whether more media than [`QueueConfig::high_water_secs`] waits (the upload is falling behind).
    pub fn is_backpressured(&self) -> bool {
        self.backlog_secs() > self.config.high_water_secs
    }

    /// Whether a non-retryable failure stopped the queue.
    pub fn is_halted(&self) -> bool {
        self.halted
    }

    /// Whether everything has been uploaded.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether an upload is in flight.
    pub fn is_in_flight(&self) -> bool {
        self.in_flight_since_ms.is_some()
    }
}

#[cfg(test)]
#[path = "queue_tests.rs"]
mod tests;
