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
mod tests {
    use super::*;

    /// A part of `secs` seconds.
    fn part(msn: u64, index: u32, secs: f64) -> UploadItem {
        UploadItem {
            kind: UploadKind::Part { msn, index },
            body: vec![0; 10],
            duration_secs: secs,
        }
    }

    /// Segment `msn` as six 0.3 s parts and a 0.2 s one (2 s).
    fn segment(msn: u64) -> Vec<UploadItem> {
        (0..7)
            .map(|i| part(msn, i, if i < 6 { 0.3 } else { 0.2 }))
            .collect()
    }

    fn status(status: u16) -> Attempt {
        Attempt::answered(status)
    }

    /// An answer with a `Retry-After`.
    fn busy(status: u16, retry_after: &str) -> Attempt {
        Attempt::busy(status, retry_after)
    }

    fn retry(after_ms: u64, failures: u32) -> Settled {
        Settled::Retry { after_ms, failures }
    }

    /// Starts the head item and reports `attempt` at `now`.
    fn attempt(q: &mut UploadQueue, now: f64, attempt: &Attempt) -> (UploadKind, Settled) {
        let kind = q.start_next(now).map(|i| i.kind).expect("an item to send");
        (kind, q.report(now + 40.0, attempt))
    }

    fn kinds(q: &UploadQueue) -> Vec<UploadKind> {
        q.items.iter().map(|p| p.item.kind).collect()
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let b = QueueConfig::default().backoff;
        let delays: Vec<u64> = (1..=8).map(|n| b.delay_ms(n)).collect();
        assert_eq!(delays, [250, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(b.delay_ms(0), 250);
        assert_eq!(b.delay_ms(u32::MAX), 8000);
        let huge = Backoff::new(u64::MAX / 2, u64::MAX);
        assert_eq!(huge.delay_ms(5), u64::MAX);
    }

    #[test]
    fn uploads_in_order_one_at_a_time_and_counts() {
        let mut q = UploadQueue::default();
        q.push(UploadItem::init(vec![1; 5]));
        for item in segment(0).into_iter().chain(segment(1)) {
            q.push(item);
        }
        q.push(UploadItem::end());
        assert_eq!(q.depth(), 16);
        assert_eq!(q.bytes_pending(), 145);
        assert!((q.backlog_secs() - 4.0).abs() < 1e-9);
        assert!(q.is_backpressured());
        assert_eq!(q.start_next(0.0).map(|i| i.kind), Some(UploadKind::Init));
        // Only one in flight.
        assert!(q.start_next(0.0).is_none());
        assert_eq!(q.wait_ms(0.0), None);
        assert!(q.is_in_flight());
        assert!(matches!(
            q.report(30.0, &status(204)),
            Settled::Uploaded { item, .. } if item.kind == UploadKind::Init
        ));
        assert_eq!(q.wait_ms(0.0), Some(0.0));
        let mut sent = Vec::new();
        let mut now = 100.0;
        while let Some(item) = q.start_next(now) {
            sent.push(item.kind);
            let code = if sent.len() % 2 == 0 { 200 } else { 201 };
            match q.report(now + 12.5, &status(code)) {
                Settled::Uploaded { latency_ms, .. } => assert_eq!(latency_ms, 12.5),
                other => panic!("{other:?}"),
            }
            now += 100.0;
            if sent.len() == 7 {
                assert_eq!(q.counters().segments_uploaded, 0);
            }
            if sent.len() == 8 {
                // Part 1.0 completed segment 0.
                assert_eq!(q.counters().segments_uploaded, 1);
            }
        }
        let expected: Vec<UploadKind> = (0..2)
            .flat_map(|msn| (0..7).map(move |index| UploadKind::Part { msn, index }))
            .chain([UploadKind::End])
            .collect();
        assert_eq!(sent, expected);
        assert!(q.is_empty());
        assert!(!q.is_backpressured());
        let c = q.counters();
        assert_eq!(c.parts_uploaded, 14);
        // The end completed segment 1.
        assert_eq!(c.segments_uploaded, 2);
        assert_eq!(c.bytes_uploaded, 145);
        assert_eq!(c.upload_errors, 0);
        assert_eq!(c.last_part_latency_ms, Some(12.5));
        assert_eq!(q.report(0.0, &status(200)), Settled::Halted);
    }

    #[test]
    fn failures_retry_the_same_item_with_backoff_and_reorder_nothing() {
        let mut q = UploadQueue::default();
        q.push(part(0, 0, 0.3));
        q.push(part(0, 1, 0.3));
        let mut now = 1000.0;
        let failures = [
            Attempt::NetworkError,
            status(500),
            status(408),
            status(429),
            status(502),
            status(503),
            status(504),
        ];
        for (n, failure) in (1..).zip(&failures) {
            assert_eq!(
                q.start_next(now).map(|i| i.kind),
                Some(UploadKind::Part { msn: 0, index: 0 })
            );
            let action = q.report(now, failure);
            let expected = QueueConfig::default().backoff.delay_ms(n);
            assert_eq!(action, retry(expected, n));
            // Not before the backoff has elapsed.
            assert!(q.start_next(now + expected as f64 - 1.0).is_none());
            assert_eq!(q.wait_ms(now), Some(expected as f64));
            now += expected as f64;
        }
        assert_eq!(q.depth(), 2);
        assert_eq!(q.counters().upload_errors, 7);
        let (kind, settled) = attempt(&mut q, now, &status(201));
        assert_eq!(kind, UploadKind::Part { msn: 0, index: 0 });
        assert!(matches!(settled, Settled::Uploaded { .. }));
        // The next item starts with a fresh failure count.
        q.start_next(now);
        assert_eq!(q.report(now, &Attempt::NetworkError), retry(250, 1));
    }

    #[test]
    fn retry_after_holds_the_queue_longer_than_the_backoff() {
        let mut q = UploadQueue::default();
        q.push(part(0, 0, 0.3));
        q.start_next(0.0);
        assert_eq!(q.report(0.0, &busy(503, "2")), retry(2_000, 1));
        assert!(q.start_next(1_999.0).is_none());
        assert!(q.start_next(2_000.0).is_some());
        // A short Retry-After does not undercut the backoff, a huge one is capped.
        assert_eq!(q.report(2_000.0, &busy(429, "0")), retry(500, 2));
        q.start_next(2_500.0);
        assert_eq!(q.report(2_500.0, &busy(503, "86400")), retry(30_000, 3));
    }

    #[test]
    fn a_refused_part_is_dropped_and_the_queue_goes_on() {
        let mut q = UploadQueue::default();
        q.push(part(0, 0, 0.3));
        q.push(part(0, 1, 0.3));
        q.push(part(0, 2, 0.3));
        attempt(&mut q, 0.0, &status(201));
        let (kind, settled) = attempt(&mut q, 100.0, &status(409));
        assert_eq!(kind, UploadKind::Part { msn: 0, index: 1 });
        assert!(matches!(settled, Settled::Skipped { item } if item.kind == kind));
        assert!(!q.is_halted());
        let (kind, settled) = attempt(&mut q, 200.0, &status(201));
        assert_eq!(kind, UploadKind::Part { msn: 0, index: 2 });
        assert!(matches!(settled, Settled::Uploaded { .. }));
        let c = q.counters();
        assert_eq!(
            (c.parts_uploaded, c.parts_rejected, c.upload_errors),
            (2, 1, 1)
        );
    }

    #[test]
    fn fatal_failure_halts_but_keeps_items() {
        for (kind, code) in [
            (UploadItem::init(vec![1]), 409),
            (part(0, 0, 0.3), 400),
            (part(0, 0, 0.3), 401),
            (part(0, 0, 0.3), 403),
            (part(0, 0, 0.3), 413),
            (UploadItem::end(), 404),
        ] {
            let mut q = UploadQueue::default();
            q.push(kind);
            q.start_next(0.0);
            assert_eq!(q.report(0.0, &status(code)), Settled::Halted, "{code}");
            assert!(q.is_halted());
            assert!(q.start_next(1e9).is_none());
            assert_eq!(q.wait_ms(0.0), None);
            assert_eq!(q.depth(), 1);
        }
    }

    #[test]
    fn report_without_anything_in_flight_is_harmless() {
        let mut q = UploadQueue::default();
        assert_eq!(q.report(0.0, &Attempt::NetworkError), Settled::Halted);
        q.push(part(0, 0, 0.3));
        assert_eq!(q.report(0.0, &status(200)), Settled::Halted);
        assert_eq!(q.depth(), 1);
        assert_eq!(q.counters(), &UploadCounters::default());
    }

    #[test]
    fn a_backlog_past_the_bound_drops_whole_unstarted_segments_oldest_first() {
        let mut q = UploadQueue::default();
        q.push(UploadItem::init(vec![1]));
        // The network is down: the init segment fails and waits.
        attempt(&mut q, 0.0, &Attempt::NetworkError);
        // Segment 0 has started: its first part was sent and failed.
        for item in segment(0) {
            assert!(q.push(item).is_empty());
        }
        let now = 10_000.0;
        attempt(&mut q, now, &status(204));
        let (kind, _) = attempt(&mut q, now, &Attempt::NetworkError);
        assert_eq!(kind, UploadKind::Part { msn: 0, index: 0 });
        let mut dropped = Vec::new();
        for msn in 1..=5 {
            for item in segment(msn) {
                dropped.extend(q.push(item));
            }
        }
        // Past 10 s queued: segment 0 has started, so the oldest unstarted one, 1, goes.
        assert_eq!(dropped, [1]);
        assert!(q.backlog_secs() <= 10.0 + 1e-9);
        for item in segment(6) {
            dropped.extend(q.push(item));
        }
        assert_eq!(dropped, [1, 2]);
        let msns: Vec<u64> = kinds(&q).iter().filter_map(|k| k.msn()).collect();
        let mut unique = msns.clone();
        unique.dedup();
        // Segments 3..=6 follow 0 renumbered: the server sees contiguous msns.
        assert_eq!(unique, [0, 1, 2, 3, 4]);
        // Every kept segment is whole.
        for msn in [0, 1, 2, 3, 4] {
            assert_eq!(msns.iter().filter(|m| **m == msn).count(), 7, "{msn}");
        }
        let c = q.counters();
        assert_eq!((c.segments_dropped, c.parts_dropped), (2, 14));
        // Order is kept: segment 0 resumes, then what was 3.
        let mut sent = Vec::new();
        let mut now = 20_000.0;
        while let Some(item) = q.start_next(now) {
            sent.push(item.kind);
            q.report(now, &status(201));
            now += 10.0;
        }
        let expected: Vec<UploadKind> = [0, 1, 2, 3, 4]
            .into_iter()
            .flat_map(|msn| (0..7).map(move |index| UploadKind::Part { msn, index }))
            .collect();
        assert_eq!(sent, expected);
    }

    #[test]
    fn the_segment_being_produced_and_the_end_are_never_dropped() {
        let config = QueueConfig {
            max_backlog_secs: 1.0,
            ..QueueConfig::default()
        };
        let mut q = UploadQueue::new(config);
        // A long segment still being produced: nothing follows it, so nothing is droppable.
        for index in 0..10 {
            assert!(q.push(part(0, index, 0.3)).is_empty());
        }
        assert_eq!(q.depth(), 10);
        // Once the next segment starts, segment 0 is complete (and unstarted) and goes; segment 1
        // takes its msn, and so do its later parts.
        assert_eq!(q.push(part(1, 0, 0.3)), [0]);
        assert_eq!(kinds(&q), [UploadKind::Part { msn: 0, index: 0 }]);
        assert!(q.push(part(1, 1, 0.3)).is_empty());
        assert_eq!(kinds(&q)[1], UploadKind::Part { msn: 0, index: 1 });
        assert!(q.push(UploadItem::end()).is_empty());
        assert_eq!(kinds(&q).last(), Some(&UploadKind::End));
    }
}
