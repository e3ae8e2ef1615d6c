//! The ordered upload queue.
//!
//! The server accepts a rendition's init segment first and then segments strictly in media sequence
//! order (409 otherwise), so uploads go one at a time, head of the queue first. A failed upload stays at
//! the head and is retried after a capped exponential backoff; nothing is ever dropped. While the network
//! is slow the queue grows, and its depth is reported ([`UploadQueue::depth`],
//! [`UploadQueue::is_backpressured`]) so the page can show that the broadcast is falling behind.
//!
//! The queue is a pure state machine driven with explicit `now_ms` times, so it is tested without a
//! browser; the wasm glue performs the `fetch` it asks for.

use std::collections::VecDeque;

/// The rendition name the broadcaster uploads to.
pub const DEFAULT_RENDITION: &str = "r0";

/// Where and as whom to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadTarget {
    /// Origin of the OnAir server, e.g. `http://127.0.0.1:8080`, or empty for the page's own origin.
    pub server_base: String,
    /// Stream id from `POST /api/streams`.
    pub stream_id: String,
    /// Stream key from `POST /api/streams`, sent as `Authorization: Bearer {key}`.
    pub stream_key: String,
    /// Rendition name (`[a-z0-9_-]{1,32}`); defaults to [`DEFAULT_RENDITION`].
    pub rendition: String,
}

impl UploadTarget {
    /// A target for rendition [`DEFAULT_RENDITION`].
    pub fn new(server_base: &str, stream_id: &str, stream_key: &str) -> Self {
        Self {
            server_base: server_base.trim_end_matches('/').to_owned(),
            stream_id: stream_id.to_owned(),
            stream_key: stream_key.to_owned(),
            rendition: DEFAULT_RENDITION.to_owned(),
        }
    }

    /// The URL an upload goes to.
    pub fn url(&self, kind: UploadKind) -> String {
        let stream = format!("{}/api/streams/{}", self.server_base, self.stream_id);
        match kind {
            UploadKind::Init => format!("{stream}/renditions/{}/init.mp4", self.rendition),
            UploadKind::Segment { msn } => {
                format!("{stream}/renditions/{}/segments/{msn}.m4s", self.rendition)
            }
            UploadKind::End => format!("{stream}/end"),
        }
    }

    /// The `Authorization` header value.
    pub fn authorization(&self) -> String {
        format!("Bearer {}", self.stream_key)
    }
}

/// What an upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadKind {
    /// `PUT .../init.mp4`.
    Init,
    /// `PUT .../segments/{msn}.m4s`.
    Segment {
        /// Media sequence number.
        msn: u64,
    },
    /// `POST .../end`, always last.
    End,
}

impl UploadKind {
    /// The HTTP method.
    pub fn method(self) -> &'static str {
        match self {
            Self::Init | Self::Segment { .. } => "PUT",
            Self::End => "POST",
        }
    }

    /// The request's `Content-Type`, if it has a body.
    pub fn content_type(self) -> Option<&'static str> {
        match self {
            Self::Init => Some("video/mp4"),
            Self::Segment { .. } => Some("video/iso.segment"),
            Self::End => None,
        }
    }
}

impl std::fmt::Display for UploadKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Init => f.write_str("init segment"),
            Self::Segment { msn } => write!(f, "segment {msn}"),
            Self::End => f.write_str("end of stream"),
        }
    }
}

/// One request waiting to be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadItem {
    /// What it is.
    pub kind: UploadKind,
    /// The body (empty for [`UploadKind::End`]).
    pub body: Vec<u8>,
}

/// Capped exponential backoff between retries of the same upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure, in milliseconds. It defaults to 250.
    pub initial_ms: u64,
    /// Upper bound of the delay, in milliseconds. It defaults to 8000.
    pub max_ms: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial_ms: 250,
            max_ms: 8_000,
        }
    }
}

impl Backoff {
    /// The delay after the `failures`-th consecutive failure (1-based): `initial * 2^(failures-1)`,
    /// capped at `max_ms`.
    pub fn delay_ms(&self, failures: u32) -> u64 {
        let shift = failures.saturating_sub(1).min(32);
        self.initial_ms
            .saturating_mul(1_u64 << shift)
            .min(self.max_ms)
    }
}

/// What the queue decided after a failed upload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FailureAction {
    /// The item stays at the head and is retried after this many milliseconds.
    Retry {
        /// Milliseconds to wait.
        after_ms: u64,
        /// Consecutive failures of this item so far.
        failures: u32,
    },
    /// The failure cannot be fixed by retrying; the queue is halted (the item is kept, not dropped).
    Halt,
}

#[derive(Debug, Clone)]
struct Pending {
    item: UploadItem,
    failures: u32,
    not_before_ms: f64,
}

/// Uploads in order, one at a time, retrying forever with backoff.
#[derive(Debug, Clone)]
pub struct UploadQueue {
    items: VecDeque<Pending>,
    backoff: Backoff,
    high_water: usize,
    in_flight: bool,
    halted: bool,
}

/// Default queue depth from which the broadcast counts as falling behind: 3 segments (about 6 s).
pub const DEFAULT_HIGH_WATER: usize = 3;

impl Default for UploadQueue {
    fn default() -> Self {
        Self::new(Backoff::default(), DEFAULT_HIGH_WATER)
    }
}

impl UploadQueue {
    /// An empty queue.
    pub fn new(backoff: Backoff, high_water: usize) -> Self {
        Self {
            items: VecDeque::new(),
            backoff,
            high_water: high_water.max(1),
            in_flight: false,
            halted: false,
        }
    }

    /// Appends an upload at the tail.
    pub fn push(&mut self, item: UploadItem) {
        self.items.push_back(Pending {
            item,
            failures: 0,
            not_before_ms: f64::NEG_INFINITY,
        });
    }

    /// The head item, if it may be sent now: nothing in flight, not halted and its backoff elapsed.
    /// Marks it in flight; report the outcome with [`Self::complete`] or [`Self::fail`].
    pub fn start_next(&mut self, now_ms: f64) -> Option<&UploadItem> {
        if self.in_flight || self.halted {
            return None;
        }
        let head = self.items.front()?;
        if now_ms < head.not_before_ms {
            return None;
        }
        self.in_flight = true;
        self.items.front().map(|p| &p.item)
    }

    /// How long until the head item may be sent (0 if now), or `None` if there is nothing to send
    /// (empty, in flight or halted).
    pub fn wait_ms(&self, now_ms: f64) -> Option<f64> {
        if self.in_flight || self.halted {
            return None;
        }
        self.items
            .front()
            .map(|p| (p.not_before_ms - now_ms).max(0.0))
    }

    /// The in-flight upload succeeded: removes and returns it.
    pub fn complete(&mut self) -> Option<UploadItem> {
        if !self.in_flight {
            return None;
        }
        self.in_flight = false;
        self.items.pop_front().map(|p| p.item)
    }

    /// The in-flight upload failed. A retryable failure schedules a retry of the same item; any other
    /// halts the queue.
    pub fn fail(&mut self, now_ms: f64, retryable: bool) -> FailureAction {
        self.in_flight = false;
        if !retryable {
            self.halted = true;
            return FailureAction::Halt;
        }
        match self.items.front_mut() {
            Some(head) => {
                head.failures = head.failures.saturating_add(1);
                let after_ms = self.backoff.delay_ms(head.failures);
                head.not_before_ms = now_ms + after_ms as f64;
                FailureAction::Retry {
                    after_ms,
                    failures: head.failures,
                }
            }
            None => FailureAction::Halt,
        }
    }

    /// Number of uploads waiting or in flight.
    pub fn depth(&self) -> usize {
        self.items.len()
    }

    /// Bytes waiting or in flight.
    pub fn bytes_pending(&self) -> usize {
        self.items.iter().map(|p| p.item.body.len()).sum()
    }

    /// Whether the queue is at or above its high-water mark (the upload is falling behind).
    pub fn is_backpressured(&self) -> bool {
        self.items.len() >= self.high_water
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
        self.in_flight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(msn: u64) -> UploadItem {
        UploadItem {
            kind: UploadKind::Segment { msn },
            body: vec![0; 10],
        }
    }

    #[test]
    fn urls_follow_the_contract() {
        let t = UploadTarget::new("http://127.0.0.1:8080/", "abcdefghij", "sk_x");
        assert_eq!(
            t.url(UploadKind::Init),
            "http://127.0.0.1:8080/api/streams/abcdefghij/renditions/r0/init.mp4"
        );
        assert_eq!(
            t.url(UploadKind::Segment { msn: 7 }),
            "http://127.0.0.1:8080/api/streams/abcdefghij/renditions/r0/segments/7.m4s"
        );
        assert_eq!(
            t.url(UploadKind::End),
            "http://127.0.0.1:8080/api/streams/abcdefghij/end"
        );
        assert_eq!(t.authorization(), "Bearer sk_x");
        let same_origin = UploadTarget::new("", "id", "k");
        assert_eq!(same_origin.url(UploadKind::End), "/api/streams/id/end");
        assert_eq!(UploadKind::End.method(), "POST");
        assert_eq!(UploadKind::Init.content_type(), Some("video/mp4"));
        assert_eq!(
            UploadKind::Segment { msn: 1 }.content_type(),
            Some("video/iso.segment")
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Backoff::default();
        let delays: Vec<u64> = (1..=8).map(|n| b.delay_ms(n)).collect();
        assert_eq!(delays, [250, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(b.delay_ms(0), 250);
        assert_eq!(b.delay_ms(u32::MAX), 8000);
        let huge = Backoff {
            initial_ms: u64::MAX / 2,
            max_ms: u64::MAX,
        };
        assert_eq!(huge.delay_ms(5), u64::MAX);
    }

    #[test]
    fn uploads_in_order_one_at_a_time() {
        let mut q = UploadQueue::default();
        q.push(UploadItem {
            kind: UploadKind::Init,
            body: vec![1; 5],
        });
        q.push(seg(0));
        q.push(seg(1));
        assert_eq!(q.depth(), 3);
        assert_eq!(q.bytes_pending(), 25);
        assert!(q.is_backpressured());
        assert_eq!(q.start_next(0.0).map(|i| i.kind), Some(UploadKind::Init));
        // Only one in flight.
        assert!(q.start_next(0.0).is_none());
        assert_eq!(q.wait_ms(0.0), None);
        assert_eq!(q.complete().map(|i| i.kind), Some(UploadKind::Init));
        assert!(!q.is_backpressured());
        assert_eq!(q.wait_ms(0.0), Some(0.0));
        assert_eq!(
            q.start_next(0.0).map(|i| i.kind),
            Some(UploadKind::Segment { msn: 0 })
        );
        q.complete();
        q.start_next(0.0);
        q.complete();
        assert!(q.is_empty());
        assert!(q.complete().is_none());
    }

    #[test]
    fn failures_retry_the_same_item_with_backoff_and_drop_nothing() {
        let mut q = UploadQueue::default();
        q.push(seg(0));
        q.push(seg(1));
        let mut now = 1000.0;
        for n in 1..=7_u32 {
            assert_eq!(
                q.start_next(now).map(|i| i.kind),
                Some(UploadKind::Segment { msn: 0 })
            );
            let action = q.fail(now, true);
            let expected = Backoff::default().delay_ms(n);
            assert_eq!(
                action,
                FailureAction::Retry {
                    after_ms: expected,
                    failures: n
                }
            );
            // Not before the backoff has elapsed.
            assert!(q.start_next(now + expected as f64 - 1.0).is_none());
            assert_eq!(q.wait_ms(now), Some(expected as f64));
            now += expected as f64;
        }
        assert_eq!(q.depth(), 2);
        q.start_next(now);
        assert_eq!(
            q.complete().map(|i| i.kind),
            Some(UploadKind::Segment { msn: 0 })
        );
        // The next item starts with a fresh failure count.
        q.start_next(now);
        assert_eq!(
            q.fail(now, true),
            FailureAction::Retry {
                after_ms: 250,
                failures: 1
            }
        );
    }

    #[test]
    fn fatal_failure_halts_but_keeps_items() {
        let mut q = UploadQueue::default();
        q.push(seg(0));
        q.start_next(0.0);
        assert_eq!(q.fail(0.0, false), FailureAction::Halt);
        assert!(q.is_halted());
        assert!(q.start_next(1e9).is_none());
        assert_eq!(q.depth(), 1);
    }

    #[test]
    fn fail_without_anything_in_flight_is_harmless() {
        let mut q = UploadQueue::default();
        assert_eq!(q.fail(0.0, true), FailureAction::Halt);
    }
}
