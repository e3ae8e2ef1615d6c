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
//! Files, one job each: `settings.rs` (the tunables), `recovery.rs` (start-up), `streams.rs` (create,
//! look up, authorize, edit, end, delete), `metadata.rs` (titles, tags and the rest made clean), `download.rs` (a recording as one MP4 file), `thumbnail.rs` (the live picture), `upload.rs` (both ways in), `playback.rs` (playlists and media),
//! `waiting.rs` (requests parked until a part exists); this file holds the [`Origin`] and opens it.

mod download;
mod metadata;
mod playback;
mod recovery;
mod settings;
mod streams;
mod thumbnail;
mod upload;
mod waiting;

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use onair_media::Limits;

pub use crate::live::RenderedPlaylist;
pub use download::{file_name as download_file_name, Download, DownloadBody};
pub use metadata::{DEFAULT_TITLE, MAX_TITLE_CHARS};
pub use playback::{Directives, PartMedia, PlaylistKind, StoredMedia};
pub use settings::{Settings, UploadRate, DEFAULT_MAX_UPLOAD_BYTES};
pub use streams::{CreatedStream, IngestFigures};
pub use upload::{InitSource, SegmentStored, INGEST_REORDER_WAIT};
use waiting::Waiting;
pub use waiting::BLOCKING_TARGET_DURATIONS;

use crate::audience::Audience;
use crate::error::{AppError, AppResult};
use crate::live::{LiveStream, Registry};
use crate::names::StreamId;
use crate::store::hot::HotSegments;
use crate::store::{Db, MediaFiles};
use crate::thumbnails::{FrameDecoder, Thumbnails};
use crate::transcode::Transcoders;

/// Name of the metadata database inside the data directory.
pub const DB_FILE_NAME: &str = "onair.db";
/// Name of the media directory inside the data directory.
pub const STREAMS_DIR_NAME: &str = "streams";

/// The origin's state and operations. Shared behind an `Arc`.
#[derive(Debug)]
pub struct Origin {
    db: Db,
    files: MediaFiles,
    streams: Registry,
    settings: Settings,
    limits: Limits,
    waiting: Waiting,
    hot: HotSegments,
    audience: Audience,
    thumbnails: Arc<Thumbnails>,
    transcoders: Arc<Transcoders>,
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
        let decoder = settings.ffmpeg.as_deref().and_then(FrameDecoder::at);
        match (&settings.ffmpeg, &decoder) {
            (Some(ffmpeg), None) => tracing::warn!(
                ffmpeg = %ffmpeg.display(),
                "ffmpeg does not run: streams without snapshots get no thumbnail"
            ),
            (None, _) => tracing::info!("no ffmpeg: streams without snapshots get no thumbnail"),
            (Some(_), Some(_)) => {}
        }
        // The transcoder's ffmpeg is the thumbnails' one, when it runs.
        let transcoders = Arc::new(Transcoders::new(
            settings.transcode.clone(),
            settings.ffmpeg.clone().filter(|_| decoder.is_some()),
        ));
        let origin = Self {
            db,
            files: MediaFiles::new(data_dir.join(STREAMS_DIR_NAME)),
            streams: Registry::default(),
            hot: HotSegments::new(settings.hot_segment_bytes),
            settings,
            limits,
            waiting: Waiting::default(),
            audience: Audience::default(),
            thumbnails: Arc::new(Thumbnails::new(decoder)),
            transcoders,
        };
        origin.reload().context("reloading streams")?;
        Ok(origin)
    }

    /// The tunables in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Who watches what ([`crate::audience`]).
    pub fn audience(&self) -> &Audience {
        &self.audience
    }

    /// The metadata database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Bytes of segments held in memory for viewers.
    pub fn hot_bytes(&self) -> usize {
        self.hot.bytes()
    }

    /// The transcoder ([`crate::transcode`]).
    pub fn transcoders(&self) -> &Arc<Transcoders> {
        &self.transcoders
    }

    /// The bounds every upload is parsed within.
    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    /// A stream's live state (404 for one that does not exist).
    pub(crate) fn stream(&self, id: &StreamId) -> AppResult<Arc<LiveStream>> {
        self.streams
            .get(id)
            .ok_or_else(|| AppError::not_found(format!("stream {id}")))
    }
}
