//! The origin: every operation on streams, joining the metadata database, the media files and the
//! in-memory live state. HTTP handlers ([`crate::routes`]) only translate requests into these calls.
//!
//! Order of effects: validate against the live state, then write to disk and database, then change the
//! live state. A rejected or failed upload therefore leaves stored media and playlists unchanged.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use bytes::Bytes;
use onair_media::Limits;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::error::{AppError, AppResult};
use crate::live::{InitCheck, LiveStream, Registry, Rendition, SegmentCheck, StreamState};
use crate::names::{constant_time_eq, generate_stream_key, RenditionName, StreamId};
use crate::playlist;
use crate::store::{Db, MediaFiles, StreamRecord, StreamStatus};
use crate::time::now_unix_secs;

/// Largest upload (init or segment) in bytes. It defaults to 16 MiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 16 * 1024 * 1024;
/// Longest title in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Title of a stream created without one.
pub const DEFAULT_TITLE: &str = "Untitled stream";
/// Name of the metadata database inside the data directory.
pub const DB_FILE_NAME: &str = "onair.db";
/// Name of the media directory inside the data directory.
pub const STREAMS_DIR_NAME: &str = "streams";

/// Tunables of the origin, with their defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    /// A live stream with no accepted upload for this long is ended. It defaults to 60 s.
    pub idle_timeout: Duration,
    /// How often the idle check runs. It defaults to 5 s.
    pub reap_interval: Duration,
    /// Segments in a live media playlist. It defaults to 10.
    pub live_window: usize,
    /// Largest request body on upload routes, in bytes. It defaults to 16 MiB.
    pub max_upload_bytes: usize,
    /// Time limit for handling one request, body included. It defaults to 30 s.
    pub request_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(60),
            reap_interval: Duration::from_secs(5),
            live_window: playlist::DEFAULT_LIVE_WINDOW,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// What a segment upload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentStored {
    /// A new segment was stored (201).
    New,
    /// The same bytes were already stored under this msn (200).
    Duplicate,
}

/// A rendered playlist and whether it is final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedPlaylist {
    /// The playlist text.
    pub text: String,
    /// True once the stream has ended (the playlist will not change again).
    pub ended: bool,
}

/// The origin's state and operations. Shared behind an `Arc`.
#[derive(Debug)]
pub struct Origin {
    db: Db,
    files: MediaFiles,
    streams: Registry,
    settings: Settings,
    limits: Limits,
}

impl Origin {
    /// Opens the data directory (creating it on first run), ends streams that were live when the server
    /// stopped, and reloads every stream's segments from disk. Blocking.
    pub fn open(data_dir: &Path, settings: Settings) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating data directory {}", data_dir.display()))?;
        let db_path = data_dir.join(DB_FILE_NAME);
        let db = Db::open(&db_path).with_context(|| format!("opening {}", db_path.display()))?;
        let limits = Limits {
            max_bytes: settings.max_upload_bytes,
            ..Limits::default()
        };
        let origin = Self {
            db,
            files: MediaFiles::new(data_dir.join(STREAMS_DIR_NAME)),
            streams: Registry::default(),
            settings,
            limits,
        };
        origin.reload().context("reloading streams")?;
        Ok(origin)
    }

    /// The tunables in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn reload(&self) -> anyhow::Result<()> {
        // Their broadcasters' sessions did not survive the restart (for now: no resuming).
        let ended = self.db.end_all_live(now_unix_secs())?;
        if ended > 0 {
            tracing::info!(
                count = ended,
                "ended streams that were live before the restart"
            );
        }
        let records = self.db.load_all()?;
        let mut segments = 0;
        for record in records {
            let renditions = self.reload_renditions(&record.id);
            segments += renditions
                .values()
                .map(|r| r.segments().len())
                .sum::<usize>();
            let id = record.id.clone();
            let state = StreamState {
                record,
                renditions,
                last_activity: Instant::now(),
            };
            self.streams.insert(id, Arc::new(LiveStream::new(state)));
        }
        tracing::info!(
            streams = self.streams.all().len(),
            segments,
            "reloaded streams from disk"
        );
        Ok(())
    }

    /// Rebuilds a stream's renditions from its files, with the upload rules: a rendition keeps the longest
    /// valid run of segments from msn 0.
    fn reload_renditions(&self, id: &StreamId) -> BTreeMap<RenditionName, Rendition> {
        let mut renditions = BTreeMap::new();
        let names = match self.files.list_renditions(id) {
            Ok(names) => names,
            Err(err) => {
                tracing::warn!(stream = %id, error = %err, "cannot list renditions");
                return renditions;
            }
        };
        for name in names {
            match self.reload_rendition(id, &name) {
                Ok(Some(rendition)) => {
                    renditions.insert(name, rendition);
                }
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(stream = %id, rendition = %name, error = %err, "cannot reload rendition");
                }
            }
        }
        renditions
    }

    fn reload_rendition(
        &self,
        id: &StreamId,
        name: &RenditionName,
    ) -> anyhow::Result<Option<Rendition>> {
        let files = self.files.scan_rendition(id, name)?;
        let Some(init_bytes) = files.init else {
            return Ok(None);
        };
        let mut rendition = Rendition::default();
        match rendition.check_init(&init_bytes)? {
            InitCheck::Store(parsed) => rendition.apply_init(parsed, Bytes::from(init_bytes)),
            InitCheck::Unchanged => {}
        }
        for (msn, path, modified) in files.segments {
            let data = std::fs::read(&path)?;
            match rendition.check_segment(msn, &data, &self.limits, modified) {
                Ok(SegmentCheck::New(accepted)) => rendition.apply_segment(accepted),
                Ok(SegmentCheck::PossibleRetry { .. }) => {}
                Err(err) => {
                    tracing::warn!(
                        stream = %id, rendition = %name, msn, error = %err,
                        "stopping the reload of this rendition at an unusable segment"
                    );
                    break;
                }
            }
        }
        Ok(Some(rendition))
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

    // ----- API -----

    /// Creates a stream with a fresh id and key.
    pub async fn create_stream(&self, title: Option<String>) -> AppResult<StreamRecord> {
        let title = clean_title(title)?;
        // Ids are 36^10 strong, so a collision is rare; retry a few times anyway.
        for _ in 0..8 {
            let record = StreamRecord {
                id: StreamId::generate(),
                stream_key: generate_stream_key(),
                title: title.clone(),
                status: StreamStatus::Created,
                created_at: now_unix_secs(),
                started_at: None,
                ended_at: None,
            };
            if self.db.insert_stream(record.clone()).await? {
                let state = StreamState {
                    record: record.clone(),
                    renditions: BTreeMap::new(),
                    last_activity: Instant::now(),
                };
                self.streams
                    .insert(record.id.clone(), Arc::new(LiveStream::new(state)));
                tracing::info!(stream = %record.id, "created stream");
                return Ok(record);
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

    fn stream(&self, id: &StreamId) -> AppResult<Arc<LiveStream>> {
        self.streams
            .get(id)
            .ok_or_else(|| AppError::not_found(format!("stream {id}")))
    }

    // ----- ingest -----

    /// Checks a broadcaster's stream key. Unknown stream: 404; wrong key: 403.
    pub fn authorize(&self, id: &StreamId, stream_key: &str) -> AppResult<Arc<LiveStream>> {
        let stream = self.stream(id)?;
        let matches = constant_time_eq(
            stream.read().record.stream_key.as_bytes(),
            stream_key.as_bytes(),
        );
        if matches {
            Ok(stream)
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Stores a rendition's init segment (or accepts an identical one again).
    pub async fn put_init(
        &self,
        stream: &LiveStream,
        rendition: &RenditionName,
        data: Bytes,
    ) -> AppResult<()> {
        let _guard = stream.lock_ingest().await;
        let (id, check) = {
            let state = stream.read();
            refuse_if_ended(&state)?;
            let check = match state.renditions.get(rendition) {
                Some(existing) => existing.check_init(&data)?,
                None => Rendition::default().check_init(&data)?,
            };
            (state.record.id.clone(), check)
        };
        match check {
            InitCheck::Unchanged => {}
            InitCheck::Store(parsed) => {
                self.files.write_init(&id, rendition, data.clone()).await?;
                stream
                    .write()
                    .renditions
                    .entry(rendition.clone())
                    .or_default()
                    .apply_init(parsed, data);
                tracing::info!(stream = %id, %rendition, "stored init segment");
            }
        }
        stream.write().last_activity = Instant::now();
        Ok(())
    }

    /// Validates and stores media segment `msn` of a rendition.
    pub async fn put_segment(
        &self,
        stream: &LiveStream,
        rendition: &RenditionName,
        msn: u64,
        data: Bytes,
    ) -> AppResult<SegmentStored> {
        let _guard = stream.lock_ingest().await;
        let received_at = SystemTime::now();
        let (id, status, check) = {
            let state = stream.read();
            refuse_if_ended(&state)?;
            let existing = state.renditions.get(rendition).ok_or_else(|| {
                AppError::conflict("no init segment for this rendition yet: PUT init.mp4 first")
            })?;
            let check = existing.check_segment(msn, &data, &self.limits, received_at)?;
            (state.record.id.clone(), state.record.status, check)
        };
        let accepted = match check {
            SegmentCheck::PossibleRetry { msn } => {
                match self.files.read_segment(&id, rendition, msn).await? {
                    Some(stored) if stored == data => {}
                    Some(_) => return Err(crate::live::rendition::segment_exists(msn)),
                    None => {
                        // Known but gone from disk: the retry brings the same bytes back.
                        tracing::warn!(stream = %id, %rendition, msn, "restoring a missing segment file");
                        self.files.write_segment(&id, rendition, msn, data).await?;
                    }
                }
                stream.write().last_activity = Instant::now();
                return Ok(SegmentStored::Duplicate);
            }
            SegmentCheck::New(accepted) => accepted,
        };

        self.files.write_segment(&id, rendition, msn, data).await?;
        let started_at = if status == StreamStatus::Created {
            let now = now_unix_secs();
            self.db.mark_live(&id, now).await?;
            tracing::info!(stream = %id, "stream is live");
            Some(now)
        } else {
            None
        };
        let mut state = stream.write();
        if let Some(started_at) = started_at {
            state.record.status = StreamStatus::Live;
            state.record.started_at = Some(started_at);
        }
        state
            .renditions
            .entry(rendition.clone())
            .or_default()
            .apply_segment(accepted);
        state.last_activity = Instant::now();
        Ok(SegmentStored::New)
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
        let now = now_unix_secs();
        self.db.mark_ended(&id, now).await?;
        let mut state = stream.write();
        state.record.status = StreamStatus::Ended;
        state.record.ended_at = Some(now);
        tracing::info!(stream = %id, "stream ended");
        Ok(())
    }

    // ----- playback -----

    /// The multivariant playlist; 404 until a rendition has its first segment.
    pub fn multivariant_playlist(&self, id: &StreamId) -> AppResult<RenderedPlaylist> {
        let stream = self.stream(id)?;
        let state = stream.read();
        let text = playlist::multivariant(&state.renditions)
            .ok_or_else(|| AppError::not_found(format!("playlist of stream {id} (not started)")))?;
        Ok(RenderedPlaylist {
            text,
            ended: state.record.status == StreamStatus::Ended,
        })
    }

    /// A rendition's media playlist; 404 until its first segment.
    pub fn media_playlist(
        &self,
        id: &StreamId,
        rendition: &RenditionName,
    ) -> AppResult<RenderedPlaylist> {
        let stream = self.stream(id)?;
        let state = stream.read();
        let ended = state.record.status == StreamStatus::Ended;
        let playlist = state
            .renditions
            .get(rendition)
            .and_then(|r| playlist::media_playlist(r, ended, self.settings.live_window))
            .ok_or_else(|| {
                AppError::not_found(format!("playlist of rendition {rendition} (not started)"))
            })?;
        Ok(RenderedPlaylist {
            text: playlist.render(),
            ended,
        })
    }

    /// A rendition's init segment.
    pub fn init_segment(&self, id: &StreamId, rendition: &RenditionName) -> AppResult<Bytes> {
        let stream = self.stream(id)?;
        let state = stream.read();
        state
            .renditions
            .get(rendition)
            .and_then(Rendition::init)
            .map(|init| init.bytes.clone())
            .ok_or_else(|| AppError::not_found(format!("init segment of rendition {rendition}")))
    }

    /// An accepted media segment, read from disk.
    pub async fn media_segment(
        &self,
        id: &StreamId,
        rendition: &RenditionName,
        msn: u64,
    ) -> AppResult<Bytes> {
        let not_found = || AppError::not_found(format!("segment {msn} of rendition {rendition}"));
        let known = {
            let stream = self.stream(id)?;
            let state = stream.read();
            state
                .renditions
                .get(rendition)
                .is_some_and(|r| r.segment(msn).is_some())
        };
        if !known {
            return Err(not_found());
        }
        self.files
            .read_segment(id, rendition, msn)
            .await?
            .ok_or_else(not_found)
    }
}

fn refuse_if_ended(state: &StreamState) -> AppResult<()> {
    if state.record.status == StreamStatus::Ended {
        Err(AppError::conflict(
            "stream has ended; create a new stream to go live again",
        ))
    } else {
        Ok(())
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
