//! Playlists as pure functions of a rendition's state: [`media_playlist`], [`recording_playlist`] and
//! [`multivariant()`] build the media crate's playlist model, which renders the text.
//!
//! Two playlists per rendition, so that no URL ever goes back in `EXT-X-MEDIA-SEQUENCE` ("the value of
//! EXT-X-MEDIA-SEQUENCE ... MUST NOT decrease", RFC 8216bis 6.2.1):
//! - `index.m3u8`, the live playlist: the last [`DEFAULT_LIVE_WINDOW`] segments; when the stream ends it
//!   keeps that window and gains `EXT-X-ENDLIST`;
//! - `recording.m3u8`, once the stream has ended: every segment from msn 0, `EXT-X-PLAYLIST-TYPE:VOD`.
//!
//! A rendition uploaded in parts gets a Low-Latency HLS live playlist (`low_latency` in [`media`]): `EXT-X-PART-INF`,
//! `EXT-X-SERVER-CONTROL` (blocking reload, `PART-HOLD-BACK` of three part targets, `CAN-SKIP-UNTIL` of
//! six target durations), the parts of the segments of the last three target durations and of the open
//! segment, `EXT-X-PRELOAD-HINT` for the next part, `EXT-X-RENDITION-REPORT` for the other renditions,
//! and delta updates (`EXT-X-SKIP`) on request. `EXT-X-PROGRAM-DATE-TIME` is the producer's wall clock
//! (`prft`) when the media carries one.
//!
//! Files: [`media`] renders a rendition's media playlists, [`multivariant`](mod@multivariant) a stream's multivariant
//! playlist; both read the live state ([`crate::live`]) and nothing else. What a rendering is kept as
//! lives beside the live state ([`crate::live::rendered`]).

pub mod media;
pub mod multivariant;

pub use media::{
    media_playlist, recording_playlist, rendition_report, target_duration, DEFAULT_LIVE_WINDOW,
    PARTS_LISTED_TARGET_DURATIONS, PART_HOLD_BACK_PARTS, SKIP_UNTIL_TARGET_DURATIONS,
};
pub use multivariant::{
    bandwidth, multivariant, multivariant_with, variant, with_audio_group, AUDIO_GROUP_ID,
};

/// A segment of `duration_secs` and `bytes` received at 1000 s + 2 s per msn, for the tests.
#[cfg(test)]
pub(crate) fn test_segment(msn: u64, duration_secs: f64, bytes: u64) -> crate::live::SegmentInfo {
    crate::live::SegmentInfo {
        msn,
        duration_secs,
        bytes,
        received_at: std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000 + msn * 2),
        discontinuity: false,
        digest: msn,
        frame_rate: None,
        producer_time: None,
        parts: Vec::new(),
    }
}
