//! The origin: every operation on streams, joining the metadata database, the media files and the
//! in-memory live state. HTTP handlers ([`crate::routes`]) only translate requests into these calls.
//!
//! Order of effects: validate against the live state, then write to disk and database, then change the
//! live state. A rejected or failed upload therefore leaves stored media and playlists unchanged.
//!
//! Two ways in, one set of rules: the broadcaster names each segment's msn
//! ([`Origin::put_segment`]); a standard encoder pushing HLS over HTTP PUT names files, and each new one
//! becomes the rendition's next msn in arrival order ([`Origin::ingest_segment`]). Both go through the
//! same validation ([`crate::live::rendition`]).
//!
//! Restarts: a stream that was live when the server stopped stays live; each of its renditions starts a
//! new period, so the encoder that comes back continues after an `EXT-X-DISCONTINUITY` with the next msn
//! (if none comes back, the idle timeout ends the stream). Which segments start periods is kept in the
//! database, so a reload rebuilds exactly the playlists that were served.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use bytes::Bytes;
use onair_media::Limits;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::digest::digest;
use crate::error::{AppError, AppResult};
use crate::live::{
    AcceptedSegment, ArrivalGuard, ClosedSegment, InitCheck, LiveStream, PartCheck, Registry,
    Rendition, SegmentCheck, SegmentInfo, StreamState, UploadRefused,
};
use crate::names::{
    constant_time_eq, generate_stream_key, numbered_file_name, RenditionName, StreamId,
};
use crate::playlist;
use crate::store::hot::HotSegments;
use crate::store::{Db, MediaFiles, StreamRecord, StreamStatus};
use crate::time::{now_unix_secs, unix_secs};

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
    /// Requests handled at once; more are refused with 503 at once. It defaults to 16384 (a
    /// Low-Latency viewer keeps one blocking request open most of the time).
    pub max_concurrent_requests: usize,
    /// Uploads (both ingest ways) handled at once; more are refused with 503. It defaults to 64.
    pub max_concurrent_uploads: usize,
    /// Requests waiting at once for a part or segment (blocking playlist reloads, preload-hinted
    /// parts); more are refused with 503. It defaults to 16384.
    pub max_waiters: usize,
    /// Open connections; more are closed as soon as they are accepted. It defaults to 16384.
    pub max_connections: usize,
    /// Uploads a second one stream key may keep up, and its burst; more get 429. It defaults to
    /// [`crate::routes::rate::DEFAULT_RATE`].
    pub upload_rate: (f64, f64),
    /// After a live stream's first segment, how long its multivariant playlist waits (404) for the
    /// other renditions that have an init segment but no segment yet, so that a player or cache never
    /// keeps a first multivariant playlist without them (a ladder's separate audio, say). It defaults
    /// to 4 s; a rendition that still has nothing then is left out until it does.
    pub start_grace: Duration,
    /// Bytes of segments kept in memory for viewers, all streams together ([`crate::store::hot`]). It
    /// defaults to 256 MiB.
    pub hot_segment_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(60),
            reap_interval: Duration::from_secs(5),
            live_window: playlist::DEFAULT_LIVE_WINDOW,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: 16_384,
            max_concurrent_uploads: 64,
            max_waiters: 16_384,
            max_connections: 16_384,
            upload_rate: crate::routes::rate::DEFAULT_RATE,
            start_grace: Duration::from_secs(4),
            hot_segment_bytes: crate::store::hot::DEFAULT_HOT_BYTES,
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

pub use crate::live::RenderedPlaylist;

/// Which playlist of a stream or rendition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaylistKind {
    /// `index.m3u8`: the live window (final, with `EXT-X-ENDLIST`, once the stream ends).
    Live,
    /// `recording.m3u8`: every segment, VOD, once the stream has ended.
    Recording,
}

impl PlaylistKind {
    /// The file name of this kind of playlist.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Live => onair_protocol::LIVE_PLAYLIST_FILE,
            Self::Recording => onair_protocol::RECORDING_PLAYLIST_FILE,
        }
    }
}

/// Stored media bytes and their validators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMedia {
    /// The bytes.
    pub bytes: Bytes,
    /// Their digest ([`crate::digest`]).
    pub digest: u64,
    /// When they were stored.
    pub modified: SystemTime,
}

/// Who sends an init segment, which decides what a repeated one means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitSource {
    /// The broadcaster's upload API: a repeated init is a retry; a different one after segments is a
    /// codec change (409).
    Broadcaster,
    /// A standard encoder pushing HLS: it sends its init once per run, so an init for a rendition that
    /// has segments means the encoder restarted: the next segment starts a new period.
    EncoderRun,
}

/// The origin's state and operations. Shared behind an `Arc`.
#[derive(Debug)]
pub struct Origin {
    db: Db,
    files: MediaFiles,
    streams: Registry,
    settings: Settings,
    limits: Limits,
    waiters: AtomicUsize,
    hot: HotSegments,
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
            hot: HotSegments::new(settings.hot_segment_bytes),
            settings,
            limits,
            waiters: AtomicUsize::new(0),
        };
        origin.reload().context("reloading streams")?;
        Ok(origin)
    }

    /// The tunables in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn reload(&self) -> anyhow::Result<()> {
        let records = self.db.load_all()?;
        let mut segments = 0;
        let mut resumable = 0;
        for record in records {
            let marks = self.db.discontinuities(&record.id)?;
            let mut renditions = self.reload_renditions(&record.id, &marks);
            segments += renditions
                .values()
                .map(|r| r.segments().len())
                .sum::<usize>();
            if record.status == StreamStatus::Live {
                // Whatever its encoder sends next follows a gap: a new period. A rendition whose
                // segment was being uploaded in parts resumes that segment instead; its next parts are
                // held to the same rules (time never goes back) as before the restart.
                renditions
                    .values_mut()
                    .filter(|r| r.open_segment().is_none())
                    .for_each(Rendition::start_period);
                resumable += 1;
            }
            let ended_at = record
                .ended_at
                .and_then(|secs| u64::try_from(secs).ok())
                .map(|secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
            let changed_at = renditions
                .values()
                .filter_map(Rendition::changed_at)
                .chain(ended_at)
                .max()
                .unwrap_or_else(SystemTime::now);
            let id = record.id.clone();
            let state = StreamState {
                record,
                renditions,
                last_activity: Instant::now(),
                changed_at,
                version: 0,
            };
            self.streams.insert(id, Arc::new(LiveStream::new(state)));
        }
        tracing::info!(
            streams = self.streams.all().len(),
            segments,
            resumable,
            "reloaded streams from disk"
        );
        Ok(())
    }

    /// Rebuilds a stream's renditions from its files, with the upload rules: a rendition keeps the longest
    /// valid run of segments from msn 0, with new periods where `marks` (rendition, msn) say.
    fn reload_renditions(
        &self,
        id: &StreamId,
        marks: &[(String, u64)],
    ) -> BTreeMap<RenditionName, Rendition> {
        let mut renditions = BTreeMap::new();
        let names = match self.files.list_renditions(id) {
            Ok(names) => names,
            Err(err) => {
                tracing::warn!(stream = %id, error = %err, "cannot list renditions");
                return renditions;
            }
        };
        for name in names {
            let periods: BTreeSet<u64> = marks
                .iter()
                .filter(|(rendition, _)| rendition == name.as_str())
                .map(|(_, msn)| *msn)
                .collect();
            match self.reload_rendition(id, &name, &periods) {
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
        periods: &BTreeSet<u64>,
    ) -> anyhow::Result<Option<Rendition>> {
        let files = self.files.scan_rendition(id, name)?;
        let Some((init_bytes, init_modified)) = files.init else {
            return Ok(None);
        };
        let mut rendition = Rendition::default();
        match rendition.check_init(&init_bytes)? {
            InitCheck::Store(parsed) => {
                rendition.apply_init(parsed, Bytes::from(init_bytes), init_modified);
            }
            InitCheck::Unchanged => {}
        }
        for (msn, path, modified) in files.segments {
            let data = std::fs::read(&path)?;
            if periods.contains(&msn) {
                rendition.start_period();
            }
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
        self.reload_parts(
            id,
            name,
            &mut rendition,
            files.part_target,
            &files.parts,
            periods,
        );
        Ok(Some(rendition))
    }

    /// Resumes the segment a rendition was uploading in parts when the server stopped: its part files,
    /// in order and with the upload rules, from part 0 of the msn after the last complete segment. Part
    /// files of complete segments (left by a stop between writing a segment and deleting its parts) and
    /// any after an unusable one are deleted.
    fn reload_parts(
        &self,
        id: &StreamId,
        name: &RenditionName,
        rendition: &mut Rendition,
        part_target: Option<f64>,
        parts: &[((u64, u32), std::path::PathBuf, SystemTime)],
        periods: &BTreeSet<u64>,
    ) {
        // The part target while parts can still be resumed; none once one could not be.
        let mut resuming = part_target;
        for ((msn, index), path, modified) in parts {
            let expected = rendition.next_part();
            let resumed = match resuming {
                Some(target) if (*msn, *index) == expected => {
                    if *index == 0 && periods.contains(msn) {
                        rendition.start_period();
                    }
                    std::fs::read(path)
                        .map_err(|err| err.to_string())
                        .and_then(|data| {
                            rendition
                                .check_part(*msn, *index, target, &data, &self.limits, *modified)
                                .map_err(|err| err.to_string())
                        })
                }
                _ => Err(format!("not the next part ({}.{})", expected.0, expected.1)),
            };
            match resumed {
                Ok(PartCheck::New(accepted)) => rendition.apply_part(*accepted),
                Ok(PartCheck::Duplicate) => {}
                Err(reason) => {
                    // A leftover of a complete segment is only deleted; anything else ends the resume.
                    if resuming.is_some() && *msn >= expected.0 {
                        tracing::warn!(
                            stream = %id, rendition = %name, msn, index, %reason,
                            "stopping the reload of this rendition's parts"
                        );
                        resuming = None;
                    }
                    if let Err(err) = std::fs::remove_file(path) {
                        tracing::warn!(path = %path.display(), error = %err, "cannot remove a part file");
                    }
                }
            }
        }
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
                    changed_at: SystemTime::now(),
                    version: 0,
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

    /// The stream of a stream key (`/ingest/{stream_key}/...`): 403 for a key no stream has.
    pub fn authorize_key(&self, stream_key: &str) -> AppResult<Arc<LiveStream>> {
        self.streams
            .get_by_key(stream_key)
            .ok_or(AppError::Forbidden)
    }

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

    /// Stores a rendition's init segment (or accepts an identical one again); see [`InitSource`].
    pub async fn put_init(
        &self,
        stream: &LiveStream,
        rendition: &RenditionName,
        data: Bytes,
        source: InitSource,
    ) -> AppResult<()> {
        let _guard = stream.lock_ingest().await;
        let (id, check, has_segments) = {
            let state = stream.read();
            refuse_if_ended(&state)?;
            let existing = state.renditions.get(rendition);
            let check = match (existing, source) {
                (Some(existing), InitSource::Broadcaster) => existing.check_init(&data)?,
                (Some(existing), InitSource::EncoderRun) => existing.check_run_init(&data)?,
                (None, _) => Rendition::default().check_init(&data)?,
            };
            let has_segments = existing.is_some_and(|r| !r.segments().is_empty());
            (state.record.id.clone(), check, has_segments)
        };
        if let InitCheck::Store(parsed) = check {
            let stored_at = SystemTime::now();
            self.files
                .write_init(&id, rendition, data.clone(), stored_at)
                .await?;
            stream.change(|state| {
                state
                    .renditions
                    .entry(rendition.clone())
                    .or_default()
                    .apply_init(parsed, data, stored_at);
            });
            tracing::info!(stream = %id, %rendition, "stored init segment");
        }
        let mut state = stream.write();
        if source == InitSource::EncoderRun && has_segments {
            if let Some(existing) = state.renditions.get_mut(rendition) {
                existing.start_period();
                tracing::info!(stream = %id, %rendition, "encoder restarted: a new period begins");
            }
        }
        state.last_activity = Instant::now();
        Ok(())
    }

    /// Validates and stores media segment `msn` of a rendition (the broadcaster's upload API).
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
            let existing = state
                .renditions
                .get(rendition)
                .ok_or(UploadRefused::NoInit)?;
            let check = existing.check_segment(msn, &data, &self.limits, received_at)?;
            (state.record.id.clone(), state.record.status, check)
        };
        let accepted = match check {
            SegmentCheck::PossibleRetry { msn } => {
                match self.files.read_segment(&id, rendition, msn).await? {
                    Some(stored) if stored == data => {}
                    Some(_) => return Err(UploadRefused::SegmentExists { msn }.into()),
                    None => {
                        // Known but gone from disk: the retry brings the same bytes back.
                        tracing::warn!(stream = %id, %rendition, msn, "restoring a missing segment file");
                        let received_at = existing_received_at(stream, rendition, msn);
                        self.files
                            .write_segment(&id, rendition, msn, data, received_at)
                            .await?;
                    }
                }
                stream.write().last_activity = Instant::now();
                return Ok(SegmentStored::Duplicate);
            }
            SegmentCheck::New(accepted) => accepted,
        };
        self.store_segment(stream, &id, status, rendition, accepted, data, None)
            .await?;
        Ok(SegmentStored::New)
    }

    /// Validates and stores a media segment pushed by a standard encoder as `file_name`: it becomes the
    /// rendition's next msn. The same file with the same bytes again is a retry, stored once.
    pub async fn ingest_segment(
        &self,
        stream: &LiveStream,
        rendition: &RenditionName,
        file_name: &str,
        data: Bytes,
    ) -> AppResult<(u64, SegmentStored)> {
        self.await_previous_file(stream, rendition, file_name).await;
        let _guard = stream.lock_ingest().await;
        let received_at = SystemTime::now();
        let (id, status, retry_of, check) = {
            let state = stream.read();
            refuse_if_ended(&state)?;
            let existing =
                state
                    .renditions
                    .get(rendition)
                    .ok_or_else(|| UploadRefused::NoPushedInit {
                        rendition: rendition.to_string(),
                    })?;
            let retry_of = existing.last_ingest(file_name).filter(|&msn| {
                existing
                    .segment(msn)
                    .is_some_and(|s| s.digest == digest(&data))
            });
            let check = match retry_of {
                Some(_) => None,
                None => Some(existing.check_segment(
                    existing.next_msn(),
                    &data,
                    &self.limits,
                    received_at,
                )?),
            };
            (
                state.record.id.clone(),
                state.record.status,
                retry_of,
                check,
            )
        };
        let accepted = match (retry_of, check) {
            (Some(msn), _) => {
                stream.write().last_activity = Instant::now();
                return Ok((msn, SegmentStored::Duplicate));
            }
            (None, Some(SegmentCheck::New(accepted))) => accepted,
            (None, _) => {
                return Err(AppError::Internal(
                    "the next msn of an ingest already exists".into(),
                ))
            }
        };
        let msn = accepted.info.msn;
        self.store_segment(
            stream,
            &id,
            status,
            rendition,
            accepted,
            data,
            Some(file_name),
        )
        .await?;
        Ok((msn, SegmentStored::New))
    }

    /// Numbers are assigned in arrival order, but an encoder's uploads may overlap: at its end ffmpeg
    /// finishes `index8.m4s` (one frame) before `index7.m4s`, which then came second and was refused for
    /// going back in time; at its start a first segment can overtake its init segment or the segment
    /// before it. So a pushed segment waits, for at most [`INGEST_REORDER_WAIT`], while its rendition
    /// has no init segment yet, or its name's number skips ahead of the last file pushed (same prefix),
    /// or, as the rendition's first segment, its number is not 0 (ffmpeg counts from 0).
    async fn await_previous_file(
        &self,
        stream: &LiveStream,
        rendition: &RenditionName,
        file_name: &str,
    ) {
        let numbered = numbered_file_name(file_name);
        let ahead = |state: &StreamState| {
            let Some(r) = state
                .renditions
                .get(rendition)
                .filter(|r| r.init().is_some())
            else {
                return true;
            };
            let Some((prefix, number)) = numbered else {
                return false;
            };
            match r.last_ingest_file().and_then(numbered_file_name) {
                Some((p, last)) => p == prefix && number > last.saturating_add(1),
                // After a restart the last file's name is not known, but there are segments.
                None => number > 0 && r.segments().is_empty(),
            }
        };
        let mut changes = stream.subscribe();
        let deadline = Instant::now() + INGEST_REORDER_WAIT;
        while ahead(&stream.read()) {
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return,
            }
        }
    }

    /// Writes an accepted segment (its period mark first, then its file), marks the stream live on its
    /// first segment, then applies it to the live state, with the name of the file it was pushed as
    /// (`ingest_file`, through `/ingest`: an upload waiting for it, [`Origin::await_previous_file`], wakes
    /// on this same change). The caller holds the ingest lock.
    #[allow(clippy::too_many_arguments)]
    async fn store_segment(
        &self,
        stream: &LiveStream,
        id: &StreamId,
        status: StreamStatus,
        rendition: &RenditionName,
        accepted: AcceptedSegment,
        data: Bytes,
        ingest_file: Option<&str>,
    ) -> AppResult<()> {
        let msn = accepted.info.msn;
        self.persist_segment(id, rendition, &accepted.info, data)
            .await?;
        let started_at = self.mark_live_if_new(id, status).await?;
        stream.change(|state| {
            set_live(state, started_at);
            let r = state.renditions.entry(rendition.clone()).or_default();
            r.apply_segment(accepted);
            if let Some(file_name) = ingest_file {
                r.set_last_ingest(file_name.to_owned(), msn);
            }
            state.last_activity = Instant::now();
            state.changed_at = state.changed_at.max(SystemTime::now());
        });
        Ok(())
    }

    /// Writes a segment to storage: its period mark first, then its file.
    async fn persist_segment(
        &self,
        id: &StreamId,
        rendition: &RenditionName,
        info: &SegmentInfo,
        data: Bytes,
    ) -> AppResult<()> {
        if info.discontinuity {
            self.db
                .insert_discontinuity(id, rendition.as_str(), info.msn)
                .await?;
            tracing::info!(stream = %id, %rendition, msn = info.msn, "segment starts a new period");
        }
        self.files
            .write_segment(id, rendition, info.msn, data.clone(), info.received_at)
            .await?;
        // Live viewers ask for it next.
        self.hot
            .insert((id.clone(), rendition.clone(), info.msn), data);
        Ok(())
    }

    /// Marks a stream that was only created as live (in the database); returns its start time then.
    async fn mark_live_if_new(
        &self,
        id: &StreamId,
        status: StreamStatus,
    ) -> AppResult<Option<i64>> {
        if status != StreamStatus::Created {
            return Ok(None);
        }
        let now = now_unix_secs();
        self.db.mark_live(id, now).await?;
        tracing::info!(stream = %id, "stream is live");
        Ok(Some(now))
    }

    /// Validates and stores Low-Latency HLS part `index` of segment `msn` of a rendition (the
    /// broadcaster's upload API). A part that starts the next segment completes the open one, which is
    /// written to storage before the part is published.
    #[allow(clippy::too_many_arguments)]
    pub async fn put_part(
        &self,
        stream: &LiveStream,
        rendition: &RenditionName,
        msn: u64,
        index: u32,
        part_target: f64,
        data: Bytes,
    ) -> AppResult<SegmentStored> {
        let _guard = stream.lock_ingest().await;
        let received_at = SystemTime::now();
        let (id, status, check) = {
            let state = stream.read();
            refuse_if_ended(&state)?;
            let existing = state
                .renditions
                .get(rendition)
                .ok_or(UploadRefused::NoInit)?;
            let check =
                existing.check_part(msn, index, part_target, &data, &self.limits, received_at)?;
            (state.record.id.clone(), state.record.status, check)
        };
        let accepted = match check {
            PartCheck::Duplicate => {
                stream.write().last_activity = Instant::now();
                return Ok(SegmentStored::Duplicate);
            }
            PartCheck::New(accepted) => accepted,
        };
        if let Some(closed) = &accepted.closes {
            self.persist_segment(&id, rendition, &closed.info, closed.data.clone())
                .await?;
        }
        // The part itself, so that a restart resumes the open segment where it was.
        if accepted.discontinuity {
            self.db
                .insert_discontinuity(&id, rendition.as_str(), msn)
                .await?;
        }
        self.files
            .write_part(
                &id,
                rendition,
                (msn, index),
                part_target,
                accepted.part.data.clone(),
                received_at,
            )
            .await?;
        let completed = accepted.closes.is_some();
        if accepted.part.duration_secs > part_target + 0.001 {
            tracing::warn!(
                stream = %id, %rendition, msn, index, duration = accepted.part.duration_secs,
                part_target, "part is longer than the part target"
            );
        }
        let started_at = self.mark_live_if_new(&id, status).await?;
        stream.change(|state| {
            set_live(state, started_at);
            if let Some(existing) = state.renditions.get_mut(rendition) {
                existing.apply_part(*accepted);
            }
            state.last_activity = Instant::now();
            state.changed_at = state.changed_at.max(SystemTime::now());
        });
        if completed {
            self.files.remove_parts_before(&id, rendition, msn).await;
        }
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

    // ----- playback -----

    /// The stream's multivariant playlist of this kind: 404 until a rendition has its first segment,
    /// and for a recording until the stream has ended.
    pub fn multivariant_playlist(
        &self,
        id: &StreamId,
        kind: PlaylistKind,
    ) -> AppResult<RenderedPlaylist> {
        let stream = self.stream(id)?;
        let state = stream.read();
        let ended = state.record.status == StreamStatus::Ended;
        if kind == PlaylistKind::Recording && !ended {
            return Err(recording_not_ready(id));
        }
        if kind == PlaylistKind::Live && !ended && self.starting(&state) {
            return Err(AppError::not_found(format!(
                "playlist of stream {id} (starting: not every rendition has its first segment yet)"
            )));
        }
        stream.cached((None, kind.file_name(), false), state.version, || {
            let text =
                playlist::multivariant(&state.renditions, kind.file_name()).ok_or_else(|| {
                    AppError::not_found(format!("playlist of stream {id} (not started)"))
                })?;
            let target_duration = state
                .renditions
                .values()
                .map(|r| playlist::target_duration(r.segments()))
                .max()
                .unwrap_or(1);
            Ok(RenderedPlaylist::new(
                text,
                ended,
                target_duration,
                state.changed_at,
            ))
        })
    }

    /// True while a stream is starting: some rendition has its first segment, another has an init
    /// segment and no segment yet, and the first segment is younger than [`Settings::start_grace`].
    fn starting(&self, state: &StreamState) -> bool {
        let waiting = state
            .renditions
            .values()
            .any(|r| r.init().is_some() && r.segments().is_empty());
        let first = state
            .renditions
            .values()
            .filter_map(|r| r.segments().first())
            .map(|s| s.received_at)
            .min();
        waiting
            && first.is_some_and(|t| t.elapsed().is_ok_and(|age| age < self.settings.start_grace))
    }

    /// A rendition's media playlist of this kind; 404 until its first segment, and for a recording until
    /// the stream has ended.
    ///
    /// With a blocking reload's `_HLS_msn` (and `_HLS_part`) it answers once the playlist holds that
    /// segment (part), at once if it does already or the stream has ended; a request more than two
    /// segments (or three part targets' worth of parts) past the live edge is a 400, and one not
    /// satisfied within [`BLOCKING_TARGET_DURATIONS`] target durations a 503 (RFC 8216bis 6.2.5.2).
    pub async fn media_playlist(
        &self,
        id: &StreamId,
        rendition: &RenditionName,
        kind: PlaylistKind,
        directives: Directives,
    ) -> AppResult<RenderedPlaylist> {
        let stream = self.stream(id)?;
        if let (Some(msn), PlaylistKind::Live) = (directives.msn, kind) {
            let part = directives.part;
            self.wait_for(
                &stream,
                || format!("segment {msn} part {part:?}"),
                |state| {
                    let r = live_rendition(state, rendition)?;
                    if state.record.status == StreamStatus::Ended || r.has_reached(msn, part) {
                        return Ok(true);
                    }
                    check_not_too_far(r, msn, part)?;
                    Ok(false)
                },
            )
            .await?;
        }
        let state = stream.read();
        let ended = state.record.status == StreamStatus::Ended;
        if kind == PlaylistKind::Recording && !ended {
            return Err(recording_not_ready(id));
        }
        let delta = directives.skip && kind == PlaylistKind::Live;
        let key = (Some(rendition.clone()), kind.file_name(), delta);
        stream.cached(key, state.version, || {
            let not_started =
                || AppError::not_found(format!("playlist of rendition {rendition} (not started)"));
            let r = state.renditions.get(rendition).ok_or_else(not_started)?;
            let playlist = match kind {
                PlaylistKind::Live => {
                    let reports = state
                        .renditions
                        .iter()
                        .filter(|(name, _)| *name != rendition)
                        .filter_map(|(name, other)| playlist::rendition_report(name, other))
                        .collect();
                    playlist::media_playlist(r, ended, self.settings.live_window, delta, reports)
                }
                PlaylistKind::Recording => playlist::recording_playlist(r),
            }
            .ok_or_else(not_started)?;
            Ok(RenderedPlaylist::new(
                playlist.render(),
                ended,
                playlist.target_duration,
                state.changed_at,
            ))
        })
    }

    /// Registers the upload of part `index` of segment `msn` as arriving, so that the viewers waiting for
    /// it get its bytes while they arrive ([`crate::live::arrival`]): only for the part the playlist's
    /// preload hint names (or the first part of the next segment), while the stream is live and no other
    /// upload of it is arriving. `None` means the upload is simply read whole.
    pub fn begin_part_arrival(
        &self,
        stream: &Arc<LiveStream>,
        rendition: &RenditionName,
        msn: u64,
        index: u32,
    ) -> Option<ArrivalGuard> {
        {
            let state = stream.read();
            let r = state.renditions.get(rendition)?;
            if state.record.status == StreamStatus::Ended
                || r.part_target().is_none()
                || !is_next_part(r, msn, index)
            {
                return None;
            }
        }
        stream.begin_arrival((rendition.clone(), msn, index))
    }

    /// Part `index` of segment `msn` of a rendition. The part `EXT-X-PRELOAD-HINT` names (or the first
    /// part of the segment after it) is awaited: answered the moment its upload starts to arrive (with
    /// `progressive`: as [`PartMedia::Arriving`], to be streamed) or once it is complete, 404 if its
    /// segment ends without it, 503 when it takes longer than [`BLOCKING_TARGET_DURATIONS`] target
    /// durations. Parts no longer kept, or further ahead, are 404 at once.
    pub async fn media_part(
        &self,
        id: &StreamId,
        rendition: &RenditionName,
        msn: u64,
        index: u32,
        progressive: bool,
    ) -> AppResult<PartMedia> {
        let stream = self.stream(id)?;
        let key = (rendition.clone(), msn, index);
        let not_found =
            || AppError::not_found(format!("part {msn}.{index} of rendition {rendition}"));
        let lookup = |state: &StreamState| -> AppResult<Option<PartMedia>> {
            let r = state.renditions.get(rendition).ok_or_else(not_found)?;
            if let Some(part) = r.part(msn, index) {
                return Ok(Some(PartMedia::Stored(StoredMedia {
                    bytes: part.data.clone(),
                    digest: part.digest,
                    modified: part.received_at,
                })));
            }
            if progressive {
                if let Some(arrival) = stream.arrival(&key) {
                    return Ok(Some(PartMedia::Arriving(arrival)));
                }
            }
            let (next_msn, next_index) = r.next_part();
            let awaited = r.part_target().is_some()
                && state.record.status != StreamStatus::Ended
                && ((msn == next_msn && index >= next_index && index <= next_index + 1)
                    || (msn == next_msn.saturating_add(1) && index == 0));
            if awaited {
                Ok(None)
            } else {
                Err(not_found())
            }
        };
        let mut found = None;
        self.wait_until(
            &stream,
            progressive,
            || format!("part {msn}.{index}"),
            |state| {
                found = lookup(state)?;
                Ok(found.is_some())
            },
        )
        .await?;
        found.ok_or_else(not_found)
    }

    /// Waits until `ready` says so (or fails), re-checking it on every change of the stream, for at
    /// most [`BLOCKING_TARGET_DURATIONS`] of the stream's longest target duration; `what` names what is
    /// awaited in the 503. Refused with 503 when [`Settings::max_waiters`] requests already wait.
    async fn wait_for(
        &self,
        stream: &LiveStream,
        what: impl Fn() -> String,
        ready: impl FnMut(&StreamState) -> AppResult<bool>,
    ) -> AppResult<()> {
        self.wait_until(stream, false, what, ready).await
    }

    /// [`Origin::wait_for`], also re-checking whenever a part upload starts arriving when `arrivals`.
    async fn wait_until(
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

    /// A rendition's init segment, once the rendition has a segment (from then on its bytes are final).
    pub fn init_segment(&self, id: &StreamId, rendition: &RenditionName) -> AppResult<StoredMedia> {
        let stream = self.stream(id)?;
        let state = stream.read();
        state
            .renditions
            .get(rendition)
            .filter(|r| !r.segments().is_empty())
            .and_then(Rendition::init)
            .map(|init| StoredMedia {
                bytes: init.bytes.clone(),
                digest: init.digest,
                modified: init.stored_at,
            })
            .ok_or_else(|| AppError::not_found(format!("init segment of rendition {rendition}")))
    }

    /// An accepted media segment: from memory when viewers asked for it lately (or it is new), else read
    /// from disk (and then kept in memory, [`crate::store::hot`]).
    pub async fn media_segment(
        &self,
        id: &StreamId,
        rendition: &RenditionName,
        msn: u64,
    ) -> AppResult<StoredMedia> {
        let not_found = || AppError::not_found(format!("segment {msn} of rendition {rendition}"));
        let known = {
            let stream = self.stream(id)?;
            let state = stream.read();
            state
                .renditions
                .get(rendition)
                .and_then(|r| r.segment(msn))
                .map(|s| (s.digest, s.received_at))
        };
        let Some((digest, modified)) = known else {
            return Err(not_found());
        };
        let key = (id.clone(), rendition.clone(), msn);
        let bytes = match self.hot.get(&key) {
            Some(bytes) => bytes,
            None => {
                let bytes = self
                    .files
                    .read_segment(id, rendition, msn)
                    .await?
                    .ok_or_else(not_found)?;
                self.hot.insert(key, bytes.clone());
                bytes
            }
        };
        Ok(StoredMedia {
            bytes,
            digest,
            modified,
        })
    }
}

/// Records a stream's start, if it just started.
fn set_live(state: &mut StreamState, started_at: Option<i64>) {
    if let Some(started_at) = started_at {
        state.record.status = StreamStatus::Live;
        state.record.started_at = Some(started_at);
    }
}

/// When segment `msn` of a rendition was first accepted (now, if it is unknown).
fn existing_received_at(stream: &LiveStream, rendition: &RenditionName, msn: u64) -> SystemTime {
    stream
        .read()
        .renditions
        .get(rendition)
        .and_then(|r| r.segment(msn))
        .map_or_else(SystemTime::now, |s| s.received_at)
}

/// How long a pushed file waits for the files its name says come before it
/// ([`Origin::await_previous_file`]).
pub const INGEST_REORDER_WAIT: Duration = Duration::from_secs(2);

/// A blocking request waits at most this many target durations (the client's own limit is three,
/// RFC 8216bis 6.2.5.2).
pub const BLOCKING_TARGET_DURATIONS: u64 = 3;

/// True when part `index` of segment `msn` is the next part the rendition expects: the one after its
/// last part, or the first part of the segment after the open one.
fn is_next_part(rendition: &Rendition, msn: u64, index: u32) -> bool {
    let (next_msn, next_index) = rendition.next_part();
    (msn, index) == (next_msn, next_index)
        || (rendition.open_segment().is_some() && (msn, index) == (next_msn.saturating_add(1), 0))
}

/// A part, as [`Origin::media_part`] answers it.
#[derive(Debug)]
pub enum PartMedia {
    /// Complete and validated.
    Stored(StoredMedia),
    /// Its upload is arriving: stream it with [`crate::live::Arrival::reader`].
    Arriving(Arc<crate::live::Arrival>),
}

/// Delivery directives of a playlist request (RFC 8216bis 6.2.5): `_HLS_msn`, `_HLS_part`, `_HLS_skip`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Directives {
    /// `_HLS_msn`: block until this segment is in the playlist.
    pub msn: Option<u64>,
    /// `_HLS_part`: with `msn`, block until this part of it is.
    pub part: Option<u32>,
    /// `_HLS_skip=YES` (or `v2`): a delta update.
    pub skip: bool,
}

/// A rendition's live state for a blocking request: 404 until it has a segment.
fn live_rendition<'a>(
    state: &'a StreamState,
    rendition: &RenditionName,
) -> AppResult<&'a Rendition> {
    state
        .renditions
        .get(rendition)
        .filter(|r| r.last_complete_msn().is_some())
        .ok_or_else(|| {
            AppError::not_found(format!("playlist of rendition {rendition} (not started)"))
        })
}

/// The 400 of a blocking request too far ahead: "If the _HLS_msn is greater than the Media Sequence
/// Number of the last Media Segment in the current Playlist plus two, or if the _HLS_part exceeds the
/// last Partial Segment in the current Playlist by the Advance Part Limit, then the server SHOULD
/// immediately return Bad Request" (RFC 8216bis 6.2.5.2). The Advance Part Limit is three part
/// targets' worth of parts.
fn check_not_too_far(rendition: &Rendition, msn: u64, part: Option<u32>) -> AppResult<()> {
    let edge = rendition.edge_msn().unwrap_or(0);
    if msn > edge.saturating_add(2) {
        return Err(AppError::bad_request(format!(
            "_HLS_msn={msn} is more than two segments past the last one in the playlist ({edge})"
        )));
    }
    if let (Some(part), Some(target), Some((last_msn, last_part))) =
        (part, rendition.part_target(), rendition.last_part())
    {
        let limit = if target < 1.0 {
            (3.0 / target).ceil() as u32
        } else {
            3
        };
        if msn == last_msn && part > last_part.saturating_add(limit) {
            return Err(AppError::bad_request(format!(
                "_HLS_part={part} is more than {limit} parts past the last part of segment {msn} ({last_part})"
            )));
        }
    }
    Ok(())
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

fn recording_not_ready(id: &StreamId) -> AppError {
    AppError::not_found(format!(
        "recording of stream {id} (it is available once the stream has ended)"
    ))
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
