//! The streams' life: created through the API, looked up, their keys checked, edited by their owner,
//! ended by their broadcaster or owner or after [`super::Settings::idle_timeout`] without uploads,
//! deleted by their owner or after [`super::Settings::recording_retention`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use onair_protocol::{CreateStreamRequest, UpdateStreamRequest};

use super::metadata::{clean_category, clean_description, clean_tags, clean_title};
use super::Origin;
use crate::error::{AppError, AppResult};
use crate::live::{ClosedSegment, LiveStream, StreamState};
use crate::names::{RenditionName, StreamId};
use crate::owner_token::OwnerToken;
use crate::store::{StreamRecord, StreamSecrets, StreamStatus};
use crate::stream_key::StreamKey;
use crate::time::{now_unix_secs, unix_secs};

/// A stream just created, with the two secrets that are shown this once.
#[derive(Debug)]
pub struct CreatedStream {
    /// Its record.
    pub record: StreamRecord,
    /// The key for its uploads.
    pub key: StreamKey,
    /// The token of its owner.
    pub owner: OwnerToken,
}

/// What [`Origin::ingest_bitrates`] reads.
#[derive(Debug, Default)]
pub struct IngestFigures {
    /// Streams live now.
    pub streams: usize,
    /// `(stream, rendition, bits per second)` of each live rendition with segments.
    pub renditions: Vec<(StreamId, RenditionName, f64)>,
}

impl Origin {
    /// Creates a stream with a fresh id, key and owner token; the secrets are given this once.
    pub async fn create_stream(&self, request: CreateStreamRequest) -> AppResult<CreatedStream> {
        let title = clean_title(request.title.as_deref())?;
        let description = clean_description(request.description.as_deref().unwrap_or_default())?;
        let tags = clean_tags(request.tags.as_deref().unwrap_or_default())?;
        let category = clean_category(request.category.as_deref().unwrap_or_default())?;
        // Ids are 36^10 strong, so a collision is rare; retry a few times anyway.
        for _ in 0..8 {
            let key = StreamKey::generate();
            let owner = OwnerToken::generate();
            let secrets = StreamSecrets {
                key: key.hash(),
                owner: Some(owner.hash()),
            };
            let record = StreamRecord {
                id: StreamId::generate(),
                title: title.clone(),
                description: description.clone(),
                tags: tags.clone(),
                category: category.clone(),
                status: StreamStatus::Created,
                created_at: now_unix_secs(),
                started_at: None,
                ended_at: None,
            };
            if self.db.insert_stream(record.clone(), secrets).await? {
                let state = StreamState {
                    record: record.clone(),
                    renditions: BTreeMap::new(),
                    last_activity: Instant::now(),
                    changed_at: SystemTime::now(),
                    version: 0,
                    rungs_pending: false,
                    rungs_stopped: false,
                };
                let stream = LiveStream::new(state, secrets);
                self.streams.insert(record.id.clone(), Arc::new(stream));
                tracing::info!(stream = %record.id, "created stream");
                return Ok(CreatedStream { record, key, owner });
            }
        }
        Err(AppError::Internal("could not find a free stream id".into()))
    }

    /// Changes a stream's metadata (any status: a title can be fixed after the end too). Database first,
    /// then the live state, which viewers' next reads show.
    pub async fn update_stream(
        &self,
        stream: &LiveStream,
        request: UpdateStreamRequest,
    ) -> AppResult<StreamRecord> {
        let mut record = stream.read().record.clone();
        if let Some(title) = request.title.as_deref() {
            record.title = clean_title(Some(title))?;
        }
        if let Some(description) = request.description.as_deref() {
            record.description = clean_description(description)?;
        }
        if let Some(tags) = request.tags.as_deref() {
            record.tags = clean_tags(tags)?;
        }
        if let Some(category) = request.category.as_deref() {
            record.category = clean_category(category)?;
        }
        self.db.update_metadata(&record).await?;
        stream.change(|state| {
            state.record.title = record.title.clone();
            state.record.description = record.description.clone();
            state.record.tags = record.tags.clone();
            state.record.category = record.category.clone();
        });
        tracing::info!(stream = %record.id, "stream metadata changed");
        Ok(record)
    }

    /// Deletes a stream: ends it if live, then removes its media and every row about it. Its key and
    /// id open nothing afterwards.
    pub async fn delete_stream(&self, stream: &LiveStream) -> AppResult<()> {
        let _guard = stream.lock_ingest().await;
        self.end_locked(stream).await?;
        let id = stream.read().record.id.clone();
        self.db.delete_stream(&id).await?;
        self.streams.remove(&id);
        self.hot.forget_stream(&id);
        self.audience.forget(&id);
        self.thumbnails.forget(&id);
        self.files.remove_stream(&id).await?;
        tracing::info!(stream = %id, "stream deleted");
        Ok(())
    }

    /// Gives a stream a new key, for its owner (a key that leaked): the old one opens nothing from now
    /// on, an upload with it in flight included. 409 once the stream has ended.
    pub async fn rotate_key(&self, stream: &LiveStream) -> AppResult<StreamKey> {
        let _guard = stream.lock_ingest().await;
        let (id, status) = {
            let state = stream.read();
            (state.record.id.clone(), state.record.status)
        };
        if status == StreamStatus::Ended {
            return Err(AppError::conflict(
                "stream has ended: its key opens nothing",
            ));
        }
        let key = StreamKey::generate();
        self.db.set_key_hash(&id, key.hash()).await?;
        self.streams.rekey(stream, &id, key.hash());
        tracing::info!(stream = %id, "stream key rotated");
        Ok(key)
    }

    /// The stream whose owner token this is: 404 for an unknown stream, 403 for a wrong token (or a
    /// stream that has no owner).
    pub fn authorize_owner(&self, id: &StreamId, token: &OwnerToken) -> AppResult<Arc<LiveStream>> {
        let stream = self.stream(id)?;
        if stream.owned_by(token) {
            Ok(stream)
        } else {
            Err(AppError::Forbidden)
        }
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

    /// Live streams and each live rendition's ingest bitrate: its last (up to three) segments' bytes
    /// over their duration, in bits per second.
    pub fn ingest_bitrates(&self) -> IngestFigures {
        let mut figures = IngestFigures::default();
        for stream in self.streams.all() {
            let state = stream.read();
            if state.record.status != StreamStatus::Live {
                continue;
            }
            figures.streams += 1;
            for (name, rendition) in &state.renditions {
                let segments = rendition.segments();
                let last = &segments[segments.len().saturating_sub(3)..];
                let secs: f64 = last.iter().map(|s| s.duration_secs).sum();
                let bytes: u64 = last.iter().map(|s| s.bytes).sum();
                if secs > 0.0 {
                    figures.renditions.push((
                        state.record.id.clone(),
                        name.clone(),
                        bytes as f64 * 8.0 / secs,
                    ));
                }
            }
        }
        figures
    }

    /// Ended streams that still have media (their recordings), newest end first.
    pub fn recordings(&self) -> Vec<StreamRecord> {
        let mut ended: Vec<StreamRecord> = self
            .streams
            .all()
            .iter()
            .filter_map(|s| {
                let state = s.read();
                let has_media = state.renditions.values().any(|r| !r.segments().is_empty());
                (state.record.status == StreamStatus::Ended && has_media)
                    .then(|| state.record.clone())
            })
            .collect();
        ended.sort_by(|a, b| b.ended_at.cmp(&a.ended_at).then_with(|| a.id.cmp(&b.id)));
        ended
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
                origin.delete_expired_recordings(now_unix_secs()).await;
                origin.delete_unstarted_streams(now_unix_secs()).await;
            }
        })
    }

    /// Deletes every stream that ended at least [`super::Settings::recording_retention`] before `now`
    /// (unix seconds). Returns how many it deleted.
    pub async fn delete_expired_recordings(&self, now: i64) -> usize {
        let Some(retention) = self.settings.recording_retention else {
            return 0;
        };
        let keep_secs = i64::try_from(retention.as_secs()).unwrap_or(i64::MAX);
        self.delete_where("a recording past its retention", |record| {
            record.status == StreamStatus::Ended
                && record
                    .ended_at
                    .is_some_and(|ended| now.saturating_sub(ended) >= keep_secs)
        })
        .await
    }

    /// Deletes every stream created at least [`super::Settings::unstarted_timeout`] before `now` (unix
    /// seconds) that never started: nobody went live with it, so nobody loses anything. Returns how
    /// many it deleted.
    pub async fn delete_unstarted_streams(&self, now: i64) -> usize {
        let wait = i64::try_from(self.settings.unstarted_timeout.as_secs()).unwrap_or(i64::MAX);
        self.delete_where("a stream never started", |record| {
            record.status == StreamStatus::Created && now.saturating_sub(record.created_at) >= wait
        })
        .await
    }

    /// Deletes every stream whose record `expired` says so (one whose upload is in progress waits for
    /// the next round), logging each as `what`. Returns how many it deleted.
    async fn delete_where(&self, what: &str, expired: impl Fn(&StreamRecord) -> bool) -> usize {
        let mut deleted = 0;
        for stream in self.streams.all() {
            if !expired(&stream.read().record) {
                continue;
            }
            if stream.try_lock_ingest().is_err() {
                continue;
            }
            let id = stream.read().record.id.clone();
            match self.delete_stream(&stream).await {
                Ok(()) => {
                    tracing::info!(stream = %id, "deleted {what}");
                    deleted += 1;
                }
                Err(err) => tracing::error!(stream = %id, error = %err, "cannot delete {what}"),
            }
        }
        deleted
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
