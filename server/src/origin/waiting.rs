//! Requests parked until something exists: blocking playlist reloads and preload-hinted part GETs wait
//! for their part or segment, for at most [`BLOCKING_TARGET_DURATIONS`] target durations and no more of
//! them than [`super::Settings::max_waiters`]; a pushed segment waits for what must come before it
//! (`Origin::await_previous_file`). Both are counted while they wait ([`Origin::waiting_requests`],
//! [`Origin::held_pushes`]), so a test can know a request is parked instead of guessing with a sleep.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::Origin;
use crate::error::{AppError, AppResult};
use crate::live::{LiveStream, StreamState};
use crate::playlist;

/// A blocking request waits at most this many target durations (the client's own limit is three,
/// RFC 8216bis 6.2.5.2).
pub const BLOCKING_TARGET_DURATIONS: u64 = 3;

/// How many requests are parked at this moment, by kind.
#[derive(Debug, Default)]
pub(super) struct Waiting {
    /// Blocking playlist reloads and preload-hinted part GETs (at most [`super::Settings::max_waiters`]).
    pub(super) viewers: AtomicUsize,
    /// Pushed segments held for the file before them (or their init segment).
    pub(super) pushes: AtomicUsize,
}

impl Origin {
    /// Viewers' requests parked at this moment until their part or segment exists (blocking playlist
    /// reloads, preload-hinted parts). A request counts from the moment it is parked, when every change
    /// of its stream from then on wakes it, until it is answered.
    pub fn waiting_requests(&self) -> usize {
        self.waiting.viewers.load(Ordering::Acquire)
    }

    /// Pushed segments held at this moment for what must come before them (their init segment, the file
    /// before them), each for at most [`super::INGEST_REORDER_WAIT`]; counted as
    /// [`Origin::waiting_requests`] are.
    pub fn held_pushes(&self) -> usize {
        self.waiting.pushes.load(Ordering::Acquire)
    }

    /// Waits until `ready` says so (or fails), re-checking it on every change of the stream, for at
    /// most [`BLOCKING_TARGET_DURATIONS`] of the stream's longest target duration; `what` names what is
    /// awaited in the 503. Refused with 503 when [`super::Settings::max_waiters`] requests already wait.
    pub(super) async fn wait_for(
        &self,
        stream: &LiveStream,
        what: impl Fn() -> String,
        ready: impl FnMut(&StreamState) -> AppResult<bool>,
    ) -> AppResult<()> {
        self.wait_until(stream, false, what, ready).await
    }

    /// [`Origin::wait_for`], also re-checking whenever a part upload starts arriving when `arrivals`.
    pub(super) async fn wait_until(
        &self,
        stream: &LiveStream,
        arrivals: bool,
        what: impl Fn() -> String,
        mut ready: impl FnMut(&StreamState) -> AppResult<bool>,
    ) -> AppResult<()> {
        let mut changes = Changes::of(stream, arrivals);
        let target = {
            let state = stream.read();
            if ready(&state)? {
                return Ok(());
            }
            state
                .renditions
                .values()
                .map(|r| playlist::target_duration(r.segments()))
                .max()
                .unwrap_or(1)
        };
        let max = self.settings.max_waiters;
        let waiter = Waiter::enter(&self.waiting.viewers);
        if waiter.before >= max {
            return Err(AppError::Overloaded {
                reason: format!("{max} requests waiting for parts, the most this server holds"),
            });
        }
        let limit = Duration::from_secs(target.saturating_mul(BLOCKING_TARGET_DURATIONS));
        let deadline = Instant::now() + limit;
        loop {
            if !changes.next(deadline).await {
                return Err(AppError::NotYet {
                    reason: format!(
                        "{} did not arrive within {} s; reload the playlist",
                        what(),
                        limit.as_secs()
                    ),
                });
            }
            if ready(&stream.read())? {
                return Ok(());
            }
        }
    }

    /// Waits while `held` says so, re-checking it on every change of the stream, until `deadline`;
    /// counted in [`Origin::held_pushes`].
    pub(super) async fn hold_push(
        &self,
        stream: &LiveStream,
        deadline: Instant,
        held: impl Fn(&StreamState) -> bool,
    ) {
        let mut changes = Changes::of(stream, false);
        if !held(&stream.read()) {
            return;
        }
        let _held = Waiter::enter(&self.waiting.pushes);
        while held(&stream.read()) {
            if !changes.next(deadline).await {
                return;
            }
        }
    }
}

/// A stream's changes (and, with `arrivals`, the starts of part uploads' arrivals), subscribed to before
/// the first look at its state, so that no change in between is missed.
struct Changes {
    changes: watch::Receiver<u64>,
    arrivals: Option<watch::Receiver<u64>>,
}

impl Changes {
    fn of(stream: &LiveStream, arrivals: bool) -> Self {
        Self {
            changes: stream.subscribe(),
            arrivals: arrivals.then(|| stream.subscribe_arrivals()),
        }
    }

    /// Waits for the next change; `false` once `deadline` has passed.
    async fn next(&mut self, deadline: Instant) -> bool {
        let Self { changes, arrivals } = self;
        let woken = tokio::time::timeout_at(deadline, async {
            match arrivals.as_mut() {
                Some(started) => tokio::select! {
                    changed = changes.changed() => changed,
                    changed = started.changed() => changed,
                },
                None => changes.changed().await,
            }
        })
        .await;
        if !matches!(woken, Ok(Ok(()))) {
            return false;
        }
        changes.borrow_and_update();
        if let Some(started) = arrivals {
            started.borrow_and_update();
        }
        true
    }
}

/// One parked request, counted while it lives.
struct Waiter<'a> {
    count: &'a AtomicUsize,
    /// How many were parked before it.
    before: usize,
}

impl<'a> Waiter<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        let before = count.fetch_add(1, Ordering::AcqRel);
        Self { count, before }
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
    }
}
