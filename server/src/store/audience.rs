//! The audience's tables (`viewer_sessions`, `viewer_samples`, migration 4): sessions written as the
//! recorder takes them from memory ([`crate::audience::recorder`]), samples of concurrent viewers, and
//! both read back for a stream's analytics.

use onair_protocol::ViewerSample;
use rusqlite::params;

use super::Db;
use crate::audience::SessionRow;
use crate::error::AppResult;
use crate::names::StreamId;

/// A count as SQLite holds it.
fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Db {
    /// Writes sessions (new ones inserted, known ones brought up to date: totals only grow, so an older
    /// snapshot written late changes nothing), and samples of concurrent
    /// viewers at `at`, in one transaction.
    pub async fn record_audience(
        &self,
        sessions: Vec<SessionRow>,
        samples: Vec<(StreamId, u32)>,
        at: i64,
    ) -> AppResult<()> {
        self.call(move |conn| {
            let tx = conn.unchecked_transaction()?;
            {
                let mut upsert = tx.prepare_cached(
                    "INSERT INTO viewer_sessions (stream_id, session_id, country, first_seen,
                        last_seen, watch_ms, first_frame_ms, rebuffers, rebuffer_ms, bitrate_kbps,
                        switches, latency_ms, errors)
                     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13
                     WHERE EXISTS (SELECT 1 FROM streams WHERE id = ?1)
                     ON CONFLICT (stream_id, session_id) DO UPDATE SET
                        country = coalesce(excluded.country, country),
                        last_seen = max(last_seen, excluded.last_seen),
                        watch_ms = max(watch_ms, excluded.watch_ms),
                        first_frame_ms = coalesce(first_frame_ms, excluded.first_frame_ms),
                        rebuffers = max(rebuffers, excluded.rebuffers),
                        rebuffer_ms = max(rebuffer_ms, excluded.rebuffer_ms),
                        bitrate_kbps = coalesce(excluded.bitrate_kbps, bitrate_kbps),
                        switches = max(switches, excluded.switches),
                        latency_ms = coalesce(excluded.latency_ms, latency_ms),
                        errors = max(errors, excluded.errors)",
                )?;
                for s in &sessions {
                    upsert.execute(params![
                        s.stream.as_str(),
                        s.session_id,
                        s.country,
                        s.first_seen,
                        s.last_seen,
                        int(s.watch_ms),
                        s.first_frame_ms,
                        s.rebuffers,
                        int(s.rebuffer_ms),
                        s.bitrate_kbps,
                        s.switches,
                        s.latency_ms,
                        s.errors
                    ])?;
                }
                let mut sample = tx.prepare_cached(
                    "INSERT INTO viewer_samples (stream_id, at, viewers)
                     SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM streams WHERE id = ?1)
                     ON CONFLICT (stream_id, at) DO UPDATE SET viewers = max(viewers, excluded.viewers)",
                )?;
                for (stream, viewers) in &samples {
                    sample.execute(params![stream.as_str(), at, viewers])?;
                }
            }
            tx.commit()
        })
        .await
    }

    /// Every session of a stream.
    pub async fn sessions(&self, id: &StreamId) -> AppResult<Vec<SessionRow>> {
        let id = id.clone();
        self.call(move |conn| {
            let mut statement = conn.prepare(
                "SELECT session_id, country, first_seen, last_seen, watch_ms, first_frame_ms,
                    rebuffers, rebuffer_ms, bitrate_kbps, switches, latency_ms, errors
                 FROM viewer_sessions WHERE stream_id = ?1 ORDER BY first_seen, session_id",
            )?;
            let rows = statement.query_map([id.as_str()], |row| {
                Ok(SessionRow {
                    stream: id.clone(),
                    session_id: row.get(0)?,
                    country: row.get(1)?,
                    first_seen: row.get(2)?,
                    last_seen: row.get(3)?,
                    watch_ms: u64::try_from(row.get::<_, i64>(4)?).unwrap_or(0),
                    first_frame_ms: row.get(5)?,
                    rebuffers: row.get(6)?,
                    rebuffer_ms: u64::try_from(row.get::<_, i64>(7)?).unwrap_or(0),
                    bitrate_kbps: row.get(8)?,
                    switches: row.get(9)?,
                    latency_ms: row.get(10)?,
                    errors: row.get(11)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    /// A stream's samples of concurrent viewers, oldest first.
    pub async fn samples(&self, id: &StreamId) -> AppResult<Vec<ViewerSample>> {
        let id = id.clone();
        self.call(move |conn| {
            let mut statement = conn.prepare(
                "SELECT at, viewers FROM viewer_samples WHERE stream_id = ?1 ORDER BY at",
            )?;
            let rows = statement.query_map([id.as_str()], |row| {
                Ok(ViewerSample {
                    at: row.get(0)?,
                    viewers: row.get(1)?,
                })
            })?;
            rows.collect()
        })
        .await
    }
}
