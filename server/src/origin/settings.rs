//! The origin's tunables ([`Settings`]) with their defaults, the upload rate per stream key among them
//! ([`UploadRate`]).

use std::path::PathBuf;
use std::time::Duration;

/// Largest upload (init or segment) in bytes. It defaults to 16 MiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 16 * 1024 * 1024;

/// How fast one stream key may upload: a token bucket of `burst` uploads, refilled at `per_second`
/// ([`crate::routes::rate`] enforces it; more get 429).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UploadRate {
    /// Uploads a second a key may keep up.
    pub per_second: f64,
    /// Uploads a key may send at once.
    pub burst: f64,
}

impl UploadRate {
    /// 120 uploads a second, 240 at once: it allows 40 renditions of 0.33 s parts.
    pub const DEFAULT: Self = Self {
        per_second: 120.0,
        burst: 240.0,
    };
}

impl Default for UploadRate {
    fn default() -> Self {
        Self::DEFAULT
    }
}

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
    /// Uploads one stream key may have in flight at once; more are refused with 429, so that one key
    /// sending slow bodies cannot hold every upload slot. It defaults to 16 (a ladder of several renditions
    /// pushed by ffmpeg sends a segment and a playlist per rendition at once).
    pub max_uploads_per_key: usize,
    /// Requests waiting at once for a part or segment (blocking playlist reloads, preload-hinted
    /// parts); more are refused with 503. It defaults to 16384.
    pub max_waiters: usize,
    /// Open connections; more are closed as soon as they are accepted. It defaults to 16384.
    pub max_connections: usize,
    /// Uploads a second one stream key may keep up, and its burst; more get 429. It defaults to
    /// [`UploadRate::DEFAULT`].
    pub upload_rate: UploadRate,
    /// After a live stream's first segment, how long its multivariant playlist waits (404) for the
    /// other renditions that have an init segment but no segment yet, so that a player or cache never
    /// keeps a first multivariant playlist without them (a ladder's separate audio, say). It defaults
    /// to 4 s; a rendition that still has nothing then is left out until it does.
    pub start_grace: Duration,
    /// Bytes of segments kept in memory for viewers, all streams together ([`crate::store::hot`]). It
    /// defaults to 256 MiB.
    pub hot_segment_bytes: usize,
    /// How long a recording is kept after its stream ended; then the stream is deleted with its media
    /// and audience. It defaults to `None`: kept until its owner deletes it.
    pub recording_retention: Option<Duration>,
    /// Streams one client address may create at once, then one per [`Settings::creation_period`] (429
    /// past it). It defaults to 20.
    pub creation_burst: u32,
    /// See [`Settings::creation_burst`]. It defaults to 30 s.
    pub creation_period: Duration,
    /// A stream created but never started (no upload) for this long is deleted. It defaults to 1 h.
    pub unstarted_timeout: Duration,
    /// The ffmpeg that decodes thumbnails of streams that send no snapshot ([`crate::thumbnails`]). It
    /// defaults to `ffmpeg` from `PATH`; `None`, or one that does not run, leaves only snapshots.
    pub ffmpeg: Option<PathBuf>,
    /// Lower rungs made by the origin for a stream with one video rendition ([`crate::transcode`]),
    /// with that ffmpeg. It defaults to `None` (off) here; the `onair` binary turns it on
    /// (`--transcode-ladder`).
    pub transcode: Option<crate::transcode::TranscodeSettings>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(60),
            reap_interval: Duration::from_secs(5),
            live_window: crate::playlist::DEFAULT_LIVE_WINDOW,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: 16_384,
            max_concurrent_uploads: 64,
            max_uploads_per_key: 16,
            max_waiters: 16_384,
            max_connections: 16_384,
            upload_rate: UploadRate::DEFAULT,
            start_grace: Duration::from_secs(4),
            hot_segment_bytes: crate::store::hot::DEFAULT_HOT_BYTES,
            recording_retention: None,
            creation_burst: 20,
            creation_period: Duration::from_secs(30),
            unstarted_timeout: Duration::from_secs(3600),
            ffmpeg: Some(PathBuf::from("ffmpeg")),
            transcode: None,
        }
    }
}
