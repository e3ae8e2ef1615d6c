//! The HLS playlist model (RFC 8216bis): typed media playlists with the Low-Latency HLS tags, and
//! multivariant playlists with audio renditions (`EXT-X-MEDIA`). Media playlists are written and parsed
//! with `m3u8-rs`; the low-latency tags, which it does not know, ride in its unknown tags (`ExtTag`), one
//! type per tag with paired `to_attributes`/`from_attributes`. Multivariant playlists are written and
//! parsed here, with the same pairing for `EXT-X-MEDIA` and `EXT-X-STREAM-INF`.
//!
//! `m3u8-rs` 6.0.1 drops every line after the last segment URI (the parts of the segment being produced,
//! `EXT-X-PRELOAD-HINT`, `EXT-X-RENDITION-REPORT`), so that tail is written and read here.

mod attrs;
mod media;
mod multivariant;
mod tags;

pub use attrs::{parse_attributes, AttributeValue};
pub use media::{MediaPlaylist, PlaylistError, PlaylistSegment, PlaylistType};
pub use multivariant::{AudioRendition, MultivariantPlaylist, Variant};
pub use tags::{Part, PreloadHint, PreloadHintType, RenditionReport, ServerControl};

/// Seconds as the playlists write them: at most 5 decimals, no trailing zeros ("2", "0.33334").
pub fn format_secs(secs: f64) -> String {
    let s = format!("{secs:.5}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".to_string()
    } else {
        s.to_string()
    }
}
