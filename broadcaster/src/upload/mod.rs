//! Uploading to the origin: where each request goes, what a request is, what its answer means, and the
//! ordered queue they wait in.
//!
//! The server takes a rendition's init segment first and then its Low-Latency HLS parts strictly in
//! order (`{msn}.{index}`: every part of segment `msn`, then part 0 of the next one), so uploads go one
//! at a time, head of the queue first, and are never reordered. What happens after an attempt is decided
//! in one place, [`verdict`]:
//!
//! - 2xx: done (201 a new part, 200 the same part again, 204 init and end).
//! - A network error, 408, 425, 429 or 5xx (the shared policy's
//!   [`status_retryable`](onair_browser::retry::status_retryable)): the item stays at the head and is
//!   retried after a capped exponential backoff ([`Backoff`](onair_browser::Backoff)), and never sooner
//!   than the server's `Retry-After`.
//! - 409 on a part: the server will not take that part (out of order); it is counted, dropped, and the
//!   queue goes on with the next one.
//! - Anything else (400, 401, 403, 413, a 409 on the init segment...): retrying cannot help, the queue
//!   halts and the broadcast fails with the server's reason.
//!
//! Backpressure: when more than [`QueueConfig::max_backlog_secs`] of media wait (the network cannot keep
//! up), the oldest segments none of whose parts has been sent yet are dropped whole — every part of a
//! segment, never only some — until the backlog fits again. The segment being uploaded and the one still
//! being produced are kept, never a segment with holes; the broadcast catches up with the live edge
//! instead of falling further behind. The segments after a dropped one are renumbered (and so is
//! everything the packager pushes later), so the server still sees contiguous media sequence numbers —
//! it takes no jumps — and only a jump forward in media time, which players bridge.
//!
//! The queue is a pure state machine driven with explicit `now_ms` times, so it is tested without a
//! browser; the wasm glue performs the `fetch` it asks for and reports how it went.
//!
//! Its files: `target.rs` ([`UploadTarget`]: where and as whom, the URLs and headers of the contract
//! in `onair-protocol`), `item.rs` ([`UploadKind`], [`UploadItem`]: what an upload is), `verdict.rs`
//! ([`verdict`]: how one attempt ended and what that means) and `queue.rs` ([`UploadQueue`]: the
//! ordered queue with retries, refusals and backpressure; its tests in `queue_tests.rs`).

mod item;
mod queue;
mod target;
mod verdict;

pub use item::{UploadItem, UploadKind};
pub use onair_protocol::{DEFAULT_RENDITION, PART_TARGET_HEADER};
pub use queue::{QueueConfig, Settled, UploadCounters, UploadQueue};
pub use target::{seconds_header, UploadTarget};
pub use verdict::{verdict, Attempt, Verdict};
