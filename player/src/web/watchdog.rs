//! The watchdog: looks at the element on a timer, jumps gaps and stalls, and trims each track's back
//! buffer (the decisions are [`crate::buffer`]'s).

use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use onair_browser::{log, now_ms};

use super::state::Inner;
use crate::buffer::{trim_range, Recovery, Snapshot, StallWatchdog};

/// How often the watchdog looks at the `<video>` element, in milliseconds.
const WATCHDOG_MS: u32 = 250;

/// Looks at the element every [`WATCHDOG_MS`]: jumps gaps and stalls (in the element's buffered
/// ranges, the intersection of the tracks'), trims each track's back buffer.
pub(super) async fn watchdog(inner: Rc<Inner>) {
    let mut dog = StallWatchdog::default();
    loop {
        TimeoutFuture::new(WATCHDOG_MS).await;
        if inner.destroyed.get() {
            return;
        }
        if !inner.started_playback.get() {
            continue;
        }
        let media = inner.media();
        let snapshot = Snapshot {
            current_time: media.current_time(),
            buffered: inner.buffered(),
            paused: media.paused(),
            seeking: media.seeking(),
            live: inner.live.get(),
            live_start_secs: inner.target_duration.get() * inner.config.live_start_target_durations,
        };
        if let Recovery::Seek(to) = dog.check(&snapshot, now_ms(), &inner.config) {
            log(&format!(
                "player: jumping from {:.2} to {to:.2}",
                snapshot.current_time
            ));
            media.set_current_time(to);
        }
        // Each buffer trims its own back buffer.
        for track in inner.tracks() {
            if let Some((start, end)) =
                trim_range(snapshot.current_time, &track.buffered(), &inner.config)
            {
                track.ops.borrow_mut().push_remove(start, end);
            }
        }
    }
}
