//! Requests that wait for a part or segment (blocking playlist reloads, preload-hinted parts): parked on
//! their stream's changes until what they wait for exists, for at most [`BLOCKING_TARGET_DURATIONS`]
//! target durations, and counted against [`super::Settings::max_waiters`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::Origin;
use crate::error::{AppError, AppResult};
use crate::live::{LiveStream, StreamState};
use crate::playlist;

/// A blocking request waits at most this many target durations (the client's own limit is three,
/// RFC 8216bis 6.2.5.2).
pub const BLOCKING_TARGET_DURATIONS: u64 = 3;

impl Origin {
    /// Waits until `ready` says so (or fails), re-checking it on every change of the stream, for at
    /// most [`BLOCKING_TARGET_DURATIONS`] of the stream's longest target duration; `what` names what is
    /// awaited in the 503. Refused with 503 when [`Settings::max_waiters`] requests already wait.
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
        let mut changes = stream.subscribe();
        let mut started = stream.subscribe_arrivals();
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
        let _waiter = Waiter::enter(&self.waiters, self.settings.max_waiters)?;
        let limit = Duration::from_secs(target.saturating_mul(BLOCKING_TARGET_DURATIONS));
        let deadline = Instant::now() + limit;
        let too_late = || AppError::NotYet {
            reason: format!(
                "{} did not arrive within {} s; reload the playlist",
                what(),
                limit.as_secs()
            ),
        };
        loop {
            let woken = tokio::time::timeout_at(deadline, async {
                if arrivals {
                    tokio::select! {
                        changed = changes.changed() => changed,
                        changed = started.changed() => changed,
                    }
                } else {
                    changes.changed().await
                }
            })
            .await;
            match woken {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return Err(too_late()),
            }
            changes.borrow_and_update();
            started.borrow_and_update();
            if ready(&stream.read())? {
                return Ok(());
            }
        }
    }
}

/// One request waiting for a part or segment; counted while it lives.
struct Waiter<'a>(&'a AtomicUsize);

impl<'a> Waiter<'a> {
    fn enter(count: &'a AtomicUsize, max: usize) -> AppResult<Self> {
        let before = count.fetch_add(1, Ordering::AcqRel);
        let waiter = Waiter(count);
        if before >= max {
            return Err(AppError::Overloaded {
                reason: format!("{max} requests waiting for parts, the most this server holds"),
            });
        }
        Ok(waiter)
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
