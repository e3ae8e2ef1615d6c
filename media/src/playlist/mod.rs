//! The HLS playlist model (RFC 8216bis): typed media playlists with the Low-Latency HLS tags, and
//! multivariant playlists with audio and subtitle renditions (`EXT-X-MEDIA`). Media playlists are
//! written with `m3u8-rs`; the low-latency tags, which it does not know, ride in its unknown tags
//! (`ExtTag`), one type per tag with paired `to_attributes`/`from_attributes`. They are read here
//! ([`parse`](MediaPlaylist::parse), one pass over the lines), which keeps m3u8-rs's parser (nom, chrono)
//! out of the player's bundle. Multivariant playlists are written and parsed here, with the same
//! pairing for `EXT-X-MEDIA` and `EXT-X-STREAM-INF`.
//!
//! `m3u8-rs` 6.0.1 drops every line after the last segment URI (the parts of the segment being produced,
//! `EXT-X-PRELOAD-HINT`, `EXT-X-RENDITION-REPORT`), so that tail is written here.

mod access;
mod attrs;
pub mod date;
mod media;
mod multivariant;
mod parse;
mod tags;

pub use access::{ByteRange, KeyMethod, SegmentKey};
pub use attrs::{parse_attributes, AttributeValue, Attributes};
pub use media::{MediaPlaylist, PlaylistError, PlaylistSegment, PlaylistType};
pub use multivariant::{
    AudioRendition, MultivariantPlaylist, SessionData, SubtitleRendition, Variant, BEACONS_DATA_ID,
};
pub use tags::{Part, PreloadHint, PreloadHintType, RenditionReport, ServerControl};

/// The peak segment bit rate in bits per second: "the largest bit rate of any contiguous set of segments
/// whose total duration is between 0.5 and 1.5 times the target duration. The bit rate of a set is
/// calculated by dividing the sum of the segment sizes by the sum of the segment durations" (RFC 8216bis
/// 4.4.6.2), over `(seconds, bytes)` of consecutive segments and the target duration in whole seconds. A
/// short segment (the tail of a stream) thus counts with its neighbours, not alone. Falls back to the
/// largest single segment's rate when no set qualifies (segments longer than 1.5 target durations, or
/// fewer seconds in all than half of one); `None` without a segment of positive duration.
///
/// What the server declares as `BANDWIDTH` and what `onair inspect` measures it against.
pub fn peak_segment_bit_rate(segments: &[(f64, u64)], target_duration: u64) -> Option<f64> {
    const EPSILON_SECS: f64 = 1e-6;
    let low = 0.5 * target_duration as f64;
    let high = 1.5 * target_duration as f64;
    let rate = |secs: f64, bytes: u64| bytes as f64 * 8.0 / secs;
    let mut peak: Option<f64> = None;
    for start in 0..segments.len() {
        let (mut secs, mut bytes) = (0.0, 0u64);
        for &(d, b) in segments.iter().skip(start) {
            secs += d;
            bytes = bytes.saturating_add(b);
            if secs > high + EPSILON_SECS {
                break;
            }
            if secs + EPSILON_SECS >= low && secs > 0.0 {
                let r = rate(secs, bytes);
                peak = Some(peak.map_or(r, |p| p.max(r)));
            }
        }
    }
    peak.or_else(|| {
        segments
            .iter()
            .filter(|(d, _)| *d > 0.0)
            .map(|&(d, b)| rate(d, b))
            .reduce(f64::max)
    })
}

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
