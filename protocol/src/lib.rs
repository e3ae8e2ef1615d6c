//! # onair-protocol
//!
//! The wire contract between OnAir's parts, written once: what the broadcaster, the server, the web app,
//! the tests and the benchmarks must agree on.
//!
//! What it owns:
//! - the JSON bodies of the streams API ([`api`]);
//! - the paths of uploads, playback and pages, as functions for clients and as route patterns for the
//!   server ([`paths`]);
//! - header names, the default rendition name and the file names inside a rendition (this module).
//!
//! What it leaves to others: everything that does I/O or looks inside the bytes. The server validates and
//! stores, the broadcaster encodes and uploads, the player plays; `onair-media` owns the CMAF and HLS
//! formats. This crate depends on serde only, so every crate (native or wasm32) can use it.
//!
//! The public contract users rely on is the README's HTTP API table; this crate is its code.
#![warn(missing_docs)]

pub mod api;
pub mod paths;

pub use api::{
    BlogList, BlogPost, ContactMessage, CountryCount, CreateStreamRequest, CreatedStream,
    Distribution, ErrorBody, PlaybackBeacon, PushedSegment, QoeSummary, RotatedKey,
    StreamAnalytics, StreamList, StreamStatus, StreamView, UpdateStreamRequest, ViewerSample,
    CATEGORIES, MAX_DESCRIPTION_CHARS, MAX_TAGS, MAX_TAG_CHARS,
};

/// The request header carrying a rendition's part target (`EXT-X-PART-INF:PART-TARGET`), in seconds, on
/// every part upload (`PUT .../parts/{msn}.{index}.m4s`). The same on every part of a rendition.
pub const PART_TARGET_HEADER: &str = "OnAir-Part-Target";

/// The smallest part target the server takes, in seconds.
pub const MIN_PART_TARGET_SECS: f64 = 0.1;

/// The largest part target the server takes, in seconds.
pub const MAX_PART_TARGET_SECS: f64 = 2.0;

/// The rendition an upload goes to when nothing names one: the broadcaster's single rendition, and an
/// encoder's files pushed at the top level of `/ingest/{stream_key}/`.
pub const DEFAULT_RENDITION: &str = "r0";

/// A rendition's CMAF init segment, in uploads and playback.
pub const INIT_FILE: &str = "init.mp4";

/// The live playlist: multivariant at `/live/{id}/`, media at `/live/{id}/{rendition}/`.
pub const LIVE_PLAYLIST_FILE: &str = "index.m3u8";

/// The whole recording as VOD, once the stream has ended: multivariant and media, beside the live one.
pub const RECORDING_PLAYLIST_FILE: &str = "recording.m3u8";

/// The file name, beside [`RECORDING_PLAYLIST_FILE`], of an ended stream's recording as one MP4 file.
pub const RECORDING_DOWNLOAD_FILE: &str = "recording.mp4";

/// The file name, beside [`LIVE_PLAYLIST_FILE`], of a stream's live thumbnail (a JPEG).
pub const THUMBNAIL_FILE: &str = "thumbnail.jpg";

/// The extension of media segments and parts (`{msn}.m4s`, `{msn}.{index}.m4s`).
pub const SEGMENT_EXTENSION: &str = "m4s";

/// The file name of segment `msn` in playback.
pub fn segment_file(msn: u64) -> String {
    format!("{msn}.{SEGMENT_EXTENSION}")
}

/// The file name of part `index` of segment `msn`, in uploads and playback.
pub fn part_file(msn: u64, index: u32) -> String {
    format!("{msn}.{index}.{SEGMENT_EXTENSION}")
}

/// The `Authorization` header value of an upload made with `stream_key`.
pub fn bearer(stream_key: &str) -> String {
    format!("Bearer {stream_key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(segment_file(7), "7.m4s");
        assert_eq!(part_file(7, 2), "7.2.m4s");
        assert_eq!(bearer("k"), "Bearer k");
    }
}
