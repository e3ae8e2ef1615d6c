//! The streams' life: created through the API, looked up, their keys checked, ended by their
//! broadcaster or after [`super::Settings::idle_timeout`] without uploads.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use super::Origin;
use crate::error::{AppError, AppResult};
use crate::live::{ClosedSegment, LiveStream, StreamState};
use crate::names::{RenditionName, StreamId};
use crate::store::{StreamRecord, StreamStatus};
use crate::stream_key::StreamKey;
use crate::time::{now_unix_secs, unix_secs};

/// Longest title in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Title of a stream created without one.
pub const DEFAULT_TITLE: &str = "Untitled stream";

impl Origin {
    /// Creates a stream with a fresh id and key; the key is given this once.
    pub async fn create_stream(
        &self,
        title: Option<String>,
    ) -> AppResult<(StreamRecord, StreamKey)> {
        let title = clean_title(title)?;
        // Ids are 36^10 strong, so a collision is rare; retry a few times anyway.
        for _ in 0..8 {
            let key = StreamKey::generate();
            let record = StreamRecord {
                id: StreamId::generate(),
                title: title.clone(),
                status: StreamStatus::Created,
                created_at: now_unix_secs(),
                started_at: None,
                ended_at: None,
            };
            if self.db.insert_stream(record.clone(), &key).await? {
                let state = StreamState {
                    record: record.clone(),
                    renditions: BTreeMap::new(),
                    last_activity: Instant::now(),
                    changed_at: SystemTime::now(),
                    version: 0,
                };
                let stream = LiveStream::new(state, key.clone());
                self.streams.insert(record.id.clone(), Arc::new(stream));
                tracing::info!(stream = %record.id, "created stream");
                return Ok((record, key));
            }
        }
        Err(AppError::Internal("could not find a free stream id".into()))
    }

    /// A stream's current record.
    pub fn stream_record(&self, id: &StreamId) -> AppResult<StreamRecord> {
        Ok(self.stream(id)?.read().record.clone())
    }

    /// Live streams, newest start first.
    pub fn live_streams(&self) -> Vec<StreamRecord> {
        let mut live: Vec<StreamRecord> = self
            .streams
            .all()
            .iter()
            .map(|s| s.read().record.clone())
            .filter(|r| r.status == StreamStatus::Live)
            .collect();
        live.sort_by(|a, b| {
            b.started_at
                .cmp(&a.started_at)
                .then_with(|| b.created_at.cmp(&a.created_at))
                .then_with(|| a.id.cmp(&b.id))
        });
        live
    }

    /// The stream of a stream key (`/ingest/{stream_key}/...`): 403 for a key no stream has.
    pub fn authorize_key(&self, stream_key: &StreamKey) -> AppResult<Arc<LiveStream>> {
        self.streams
            .get_by_key(stream_key)
            .ok_or(AppError::Forbidden)
    }

    /// Checks a broadcaster's stream key. Unknown stream: 404; wrong key: 403.
    pub fn authorize(&self, id: &StreamId, stream_key: &StreamKey) -> AppResult<Arc<LiveStream>> {
        let stream = self.stream(id)?;
        if stream.accepts(stream_key) {
            Ok(stream)
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Ends a stream (idempotent): its playlists get `EXT-X-ENDLIST`, uploads are refused.
    pub async fn end_stream(&self, stream: &LiveStream) -> AppResult<()> {
        let _guard = stream.lock_ingest().await;
        self.end_locked(stream).await
    }

    /// Ends a stream; the caller holds its ingest lock.
    async fn end_locked(&self, stream: &LiveStream) -> AppResult<()> {
        let (id, status) = {
            let state = stream.read();
            (state.record.id.clone(), state.record.status)
        };
        if status == StreamStatus::Ended {
            return Ok(());
        }
        // Segments being uploaded in parts end here.
        let open: Vec<(RenditionName, ClosedSegment)> = stream
            .read()
            .renditions
            .iter()
            .filter_map(|(name, r)| Some((name.clone(), r.close_open()?)))
            .collect();
        for (rendition, closed) in open {
            let next = closed.info.msn.saturating_add(1);
            self.persist_segment(&id, &rendition, &closed.info, closed.data.clone())
                .await?;
            stream.change(|state| {
                if let Some(r) = state.renditions.get_mut(&rendition) {
                    r.apply_closed(closed);
                }
            });
            self.files.remove_parts_before(&id, &rendition, next).await;
        }
        let now = SystemTime::now();
        self.db.mark_ended(&id, unix_secs(now)).await?;
        stream.change(|state| {
            state.record.status = StreamStatus::Ended;
            state.record.ended_at = Some(unix_secs(now));
            state.changed_at = state.changed_at.max(now);
        });
        tracing::info!(stream = %id, "stream ended");
        Ok(())
    }

    /// Starts the background task that ends idle live streams.
    pub fn spawn_idle_reaper(self: &Arc<Self>) -> JoinHandle<()> {
        let origin = Arc::clone(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(origin.settings.reap_interval);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                origin.end_idle_streams(Instant::now()).await;
            }
        })
    }

    /// Ends every live stream whose last upload is at least the idle timeout before `now`. Returns how
    /// many it ended.
    pub async fn end_idle_streams(&self, now: Instant) -> usize {
        let mut ended = 0;
        for stream in self.streams.all() {
            let idle = {
                let state = stream.read();
                state.record.status == StreamStatus::Live
                    && now.saturating_duration_since(state.last_activity)
                        >= self.settings.idle_timeout
            };
            if !idle {
                continue;
            }
            // An upload in progress means the stream is not idle.
            let Ok(_guard) = stream.try_lock_ingest() else {
                continue;
            };
            let id = stream.read().record.id.clone();
            match self.end_locked(&stream).await {
                Ok(()) => {
                    tracing::info!(stream = %id, "ended idle stream");
                    ended += 1;
                }
                Err(err) => tracing::error!(stream = %id, error = %err, "cannot end idle stream"),
            }
        }
        ended
    }
}

/// Trims a title, defaults it, and refuses one that is too long.
fn clean_title(title: Option<String>) -> AppResult<String> {
    let title = title.as_deref().map(str::trim).unwrap_or_default();
    if title.is_empty() {
        return Ok(DEFAULT_TITLE.to_owned());
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(AppError::bad_request(format!(
            "title is longer than {MAX_TITLE_CHARS} characters"
        )));
    }
    if title.chars().any(char::is_control) {
        return Err(AppError::bad_request("title contains control characters"));
    }
    Ok(title.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        assert_eq!(clean_title(None).unwrap(), DEFAULT_TITLE);
        assert_eq!(clean_title(Some("  ".into())).unwrap(), DEFAULT_TITLE);
        assert_eq!(clean_title(Some(" Hi ".into())).unwrap(), "Hi");
        assert!(clean_title(Some("x".repeat(MAX_TITLE_CHARS + 1))).is_err());
        assert!(clean_title(Some("a\u{0}b".into())).is_err());
    }
}
