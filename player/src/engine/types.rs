//! What flows in and out of the engine: [`Event`]s the browser glue reports, [`Command`]s the glue runs,
//! and [`Notice`]s for the page (the JS API's events).

use onair_media::playlist::ByteRange;

use crate::buffer::Range;
use crate::error::{ErrorKind, PlayerError};

/// Identifies one request, for its answer events and for aborting it.
pub type RequestId = u64;
/// Identifies one timer.
pub type TimerId = u64;

/// Which `SourceBuffer` a track feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackKind {
    /// The level's media playlist: video, with its audio when that is muxed in.
    Main,
    /// A separate audio rendition (`EXT-X-MEDIA:TYPE=AUDIO` with a `URI`).
    Audio,
}

impl TrackKind {
    /// `video` or `audio`, for logs.
    pub fn name(self) -> &'static str {
        match self {
            TrackKind::Main => "video",
            TrackKind::Audio => "audio",
        }
    }

    /// Its `SourceBuffer`'s MIME type for `codecs`: `video/mp4; codecs="..."` (the main track, which
    /// may hold audio too) or `audio/mp4; codecs="..."`.
    pub fn mime(self, codecs: &str) -> String {
        format!("{}/mp4; codecs=\"{codecs}\"", self.name())
    }
}

/// What the `<video>` element looks like now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediaSnapshot {
    /// `currentTime`, seconds.
    pub current_time: f64,
    /// `buffered` (the intersection of every `SourceBuffer`'s ranges), in order.
    pub buffered: Vec<Range>,
    /// `paused`.
    pub paused: bool,
    /// `seeking`.
    pub seeking: bool,
    /// `ended`.
    pub ended: bool,
    /// `playbackRate`.
    pub playback_rate: f64,
    /// The element's size on screen in device pixels (CSS size times `devicePixelRatio`).
    pub size: Option<(u32, u32)>,
}

/// Something the glue reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The response headers of request `id` arrived (its first byte, for the bandwidth estimate).
    FetchStarted {
        /// The request.
        id: RequestId,
    },
    /// Bytes of request `id`'s body (whole, or a piece when it was asked for as a stream).
    FetchChunk {
        /// The request.
        id: RequestId,
        /// The bytes.
        data: Vec<u8>,
    },
    /// Request `id`'s body is complete.
    FetchDone {
        /// The request.
        id: RequestId,
    },
    /// Request `id` failed (HTTP status, network, timeout); nothing more comes for it.
    FetchFailed {
        /// The request.
        id: RequestId,
        /// Why.
        error: PlayerError,
    },
    /// The `SourceBuffer`s asked for by [`Command::CreateBuffers`] exist.
    BuffersCreated,
    /// A track's append (or removal) finished (`updateend`); its own ranges now.
    BufferUpdated {
        /// The track.
        track: TrackKind,
        /// Its `SourceBuffer`'s ranges.
        buffered: Vec<Range>,
    },
    /// A track's append threw or its `SourceBuffer` fired `error`.
    BufferFailed {
        /// The track.
        track: TrackKind,
        /// Whether it was `QuotaExceededError` (the buffer is full).
        quota: bool,
        /// What the browser said.
        error: PlayerError,
    },
    /// The element changed (`timeupdate`, `waiting`, `playing`, `seeked`, `resize`, ...) or a tick.
    Media(MediaSnapshot),
    /// The element failed to decode (`error` with `MEDIA_ERR_DECODE`, or the media source closed).
    MediaError {
        /// What the browser said.
        message: String,
    },
    /// A new media source is open after [`Command::RebuildMedia`].
    MediaRebuilt,
    /// Timer `id` fired.
    Timer {
        /// The timer.
        id: TimerId,
    },
    /// [`Command::Decrypt`] `id` finished: the plaintext.
    Decrypted {
        /// The request whose body it was.
        id: RequestId,
        /// The plaintext, padding removed.
        data: Vec<u8>,
    },
    /// [`Command::Transmux`] `id` finished: the transmuxer's answer, packed by
    /// [`onair_media::ts::wire::encode`].
    Transmuxed {
        /// The request whose body it was.
        id: RequestId,
        /// The packed answer.
        data: Vec<u8>,
    },
    /// [`Command::Transmux`] `id` could not run (the transmuxer's worker or wasm did not load).
    TransmuxFailed {
        /// The request whose body it was.
        id: RequestId,
        /// What the browser said.
        error: PlayerError,
    },
    /// [`Command::Decrypt`] `id` failed (a wrong key, a body that is not whole blocks).
    DecryptFailed {
        /// The request whose body it was.
        id: RequestId,
        /// What the browser said.
        error: PlayerError,
    },
}

/// Something for the glue to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// GET `url`.
    Fetch {
        /// Answers come as events with this id.
        id: RequestId,
        /// The URL.
        url: String,
        /// Abort and fail after this long, milliseconds.
        timeout_ms: f64,
        /// Report the body piece by piece as it arrives ([`Event::FetchChunk`]s), not once.
        stream: bool,
        /// Ask caches to revalidate (playlists without blocking directives).
        revalidate: bool,
        /// Only these bytes of it (`EXT-X-BYTERANGE`): a `Range` header, and the range cut out of a
        /// whole body if the server ignores it.
        range: Option<ByteRange>,
    },
    /// AES-128-CBC decryption with PKCS7 padding (WebCrypto), answered by [`Event::Decrypted`] or
    /// [`Event::DecryptFailed`] with the same id; [`Command::Abort`] with it means the answer is not
    /// wanted any more.
    Decrypt {
        /// The request whose body this is.
        id: RequestId,
        /// The 16-byte key.
        key: [u8; 16],
        /// The IV.
        iv: [u8; 16],
        /// The ciphertext.
        data: Vec<u8>,
    },
    /// Transmux a whole MPEG-TS segment of `track` to CMAF (the transmuxer's worker, started on the
    /// first), answered by [`Event::Transmuxed`] or [`Event::TransmuxFailed`] with the same id. The
    /// track's transmuxer carries its timeline and codecs across segments: `reset` starts a new one
    /// (another level), `discontinuity` a new timeline.
    Transmux {
        /// The request whose body this is.
        id: RequestId,
        /// The track.
        track: TrackKind,
        /// Start the track's transmuxer afresh.
        reset: bool,
        /// `EXT-X-DISCONTINUITY` before this segment.
        discontinuity: bool,
        /// The TS segment.
        data: Vec<u8>,
    },
    /// Start the transmuxer now (a playlist lists TS segments), so that it is ready when the first
    /// one arrives; nothing answers it.
    PrepareTransmux,
    /// Abort request `id`; no more events come for it.
    Abort {
        /// The request.
        id: RequestId,
    },
    /// Add one `SourceBuffer` per track with these MIME types, before anything is appended.
    CreateBuffers {
        /// Track and `video/mp4; codecs="..."` / `audio/mp4; codecs="..."`.
        tracks: Vec<(TrackKind, String)>,
    },
    /// `appendBuffer`; the glue answers [`Event::BufferUpdated`] or [`Event::BufferFailed`].
    Append {
        /// The track.
        track: TrackKind,
        /// The bytes.
        data: Vec<u8>,
    },
    /// `remove(start, end)`; answered like an append.
    Remove {
        /// The track.
        track: TrackKind,
        /// Start, seconds.
        start: f64,
        /// End, seconds.
        end: f64,
    },
    /// `SourceBuffer.abort()`: forget a half-appended fragment (its request failed midway).
    ResetParser {
        /// The track.
        track: TrackKind,
    },
    /// `SourceBuffer.changeType(mime)`: the next init has other codecs (a level switch).
    ChangeType {
        /// The track.
        track: TrackKind,
        /// The new MIME type.
        mime: String,
    },
    /// `SourceBuffer.timestampOffset = offset`: a discontinuity's new timeline continues the old one.
    SetTimestampOffset {
        /// The track.
        track: TrackKind,
        /// Seconds.
        offset: f64,
    },
    /// `MediaSource.endOfStream()`.
    EndOfStream,
    /// `MediaSource.duration = secs` (a stream with an end, so the element and its seek bar know
    /// how long it is before it is all loaded); the glue applies it once no `SourceBuffer` is updating.
    SetDuration(f64),
    /// `play()` (muted if autoplay with sound is refused).
    Play,
    /// `currentTime = t`.
    Seek(f64),
    /// `playbackRate = r`.
    SetRate(f64),
    /// Fire [`Event::Timer`] with `id` after `after_ms`.
    Timer {
        /// The timer.
        id: TimerId,
        /// Milliseconds.
        after_ms: f64,
    },
    /// Replace the media source with a new one (after a fatal decode error); answered by
    /// [`Event::MediaRebuilt`].
    RebuildMedia,
    /// Tell the page.
    Notify(Notice),
    /// Make text track `index` (`kind` subtitles) on the element, showing when `default`.
    AddTextTrack {
        /// Its index among the subtitle renditions.
        index: usize,
        /// `NAME`.
        name: String,
        /// `LANGUAGE`, empty when unknown.
        language: String,
        /// Show it from the start.
        default: bool,
    },
    /// Add cues to text track `index`, in the element's time.
    AddCues {
        /// The text track.
        index: usize,
        /// The cues.
        cues: Vec<TextCue>,
    },
}

/// A subtitle cue for the element.
#[derive(Debug, Clone, PartialEq)]
pub struct TextCue {
    /// Start, seconds of element time.
    pub start: f64,
    /// End, seconds of element time.
    pub end: f64,
    /// The payload.
    pub text: String,
    /// Its WebVTT settings, read ([`onair_media::webvtt::CueSettings`]); a line chosen by
    /// [`crate::PlayerConfig::caption_line`] where it has none.
    pub settings: onair_media::webvtt::CueSettings,
}

/// What the page is told: the JS API's events.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// The levels, once known: (bandwidth, width, height, playable).
    Levels(Vec<LevelInfo>),
    /// Loading switched to level `index`.
    LevelSwitched {
        /// Index in [`Notice::Levels`].
        index: usize,
    },
    /// Distance behind the live edge and the target, seconds, and the playback rate.
    Latency {
        /// Seconds behind the live edge.
        distance: f64,
        /// The latency controller's target, seconds.
        target: f64,
        /// `playbackRate`.
        rate: f64,
        /// The live window, element seconds: the first listed segment's start and the live edge
        /// ([`super::Engine::live_window`]).
        window: Option<(f64, f64)>,
    },
    /// An error: what happened and whether the player is retrying (`fatal` false) or gave up.
    Error {
        /// What kind of error.
        kind: ErrorKind,
        /// What happened, for a person.
        message: String,
        /// Whether playback stopped for good.
        fatal: bool,
    },
    /// Waiting for the stream to begin (its playlist does not exist yet).
    WaitingForStream,
    /// The first frame can be shown: media is buffered and `play()` was asked for.
    Started,
    /// Everything was loaded and appended; the stream ended.
    Ended,
    /// A media segment or part was appended (count for the page).
    Appended,
    /// The origin takes playback beacons at this URL (its multivariant playlist says so): the glue
    /// reports the playback's QoE there ([`crate::qoe`]).
    Beacons(String),
}

/// One level as the page sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelInfo {
    /// `BANDWIDTH`, bits per second.
    pub bandwidth: u64,
    /// Width, pixels.
    pub width: Option<u32>,
    /// Height, pixels.
    pub height: Option<u32>,
    /// `CODECS`.
    pub codecs: Option<String>,
    /// Whether this browser can play it.
    pub playable: bool,
}
