//! The task that keeps the audience: every [`super::BEACON_INTERVAL`] it writes the sessions that
//! changed and one sample of each watched stream's concurrent viewers to the database, and lets memory
//! forget sessions long silent.

use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::origin::Origin;
use crate::time::now_unix_secs;

/// Writes what changed since the last call; returns how many sessions it wrote.
pub async fn record_once(origin: &Origin, now: Instant) -> usize {
    let audience = origin.audience();
    // One writer at a time: a snapshot taken later is written later.
    let _writing = audience.recording.lock().await;
    // Count before taking: taking forgets the silent sessions, whose last sample should be their 0.
    let samples = audience.all_viewers(now);
    let sessions = audience.take_changed(now);
    let written = sessions.len();
    if sessions.is_empty() && samples.is_empty() {
        return 0;
    }
    if let Err(err) = origin
        .db()
        .record_audience(sessions, samples, now_unix_secs())
        .await
    {
        tracing::warn!(error = %err, "cannot record the audience");
    }
    written
}

/// Starts the recorder.
pub fn spawn(origin: Arc<Origin>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(super::BEACON_INTERVAL);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            record_once(&origin, Instant::now()).await;
        }
    })
}
