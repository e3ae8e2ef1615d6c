//! Playlists as pure functions of a rendition's state: [`media_playlist`], [`recording_playlist`] and
//! [`multivariant`] build the media crate's playlist model, which renders the text.
//!
//! Two playlists per rendition, so that no URL ever goes back in `EXT-X-MEDIA-SEQUENCE` ("the value of
//! EXT-X-MEDIA-SEQUENCE ... MUST NOT decrease", RFC 8216bis 6.2.1):
//! - `index.m3u8`, the live playlist: the last [`DEFAULT_LIVE_WINDOW`] segments; when the stream ends it
//!   keeps that window and gains `EXT-X-ENDLIST`;
//! - `recording.m3u8`, once the stream has ended: every segment from msn 0, `EXT-X-PLAYLIST-TYPE:VOD`.

use std::collections::BTreeMap;
use std::time::Duration;

use onair_media::{
    render_multivariant, MediaParams, MediaPlaylist, PlaylistSegment, PlaylistType, Variant,
};

use crate::live::{Rendition, SegmentInfo};
use crate::names::{segment_file_name, RenditionName};
use crate::store::files::INIT_FILE_NAME;
use crate::time::rfc3339_millis;

/// Segments listed in a live media playlist (the sliding window). It defaults to 10.
pub const DEFAULT_LIVE_WINDOW: usize = 10;

/// File name of a rendition's live playlist (and of the stream's multivariant playlist).
pub const LIVE_PLAYLIST_FILE_NAME: &str = "index.m3u8";
/// File name of a rendition's recording (and of the stream's recording multivariant playlist).
pub const RECORDING_PLAYLIST_FILE_NAME: &str = "recording.m3u8";

/// The live media playlist of a rendition, or `None` before its first segment.
///
/// It lists the last `window` segments; once `ended` it keeps listing them and ends with
/// `EXT-X-ENDLIST`, so its media sequence never goes back.
pub fn media_playlist(rendition: &Rendition, ended: bool, window: usize) -> Option<MediaPlaylist> {
    let all = rendition.segments();
    let skip = all.len().saturating_sub(window.max(1));
    Some(MediaPlaylist {
        ended,
        ..listing(all, skip)?
    })
}

/// The recording of a rendition: every segment, `EXT-X-PLAYLIST-TYPE:VOD` and `EXT-X-ENDLIST`. `None`
/// before its first segment. Only for streams that have ended ("the Media Playlist file MUST NOT
/// change" once it is VOD, RFC 8216bis 4.4.3.5).
pub fn recording_playlist(rendition: &Rendition) -> Option<MediaPlaylist> {
    Some(MediaPlaylist {
        ended: true,
        playlist_type: Some(PlaylistType::Vod),
        ..listing(rendition.segments(), 0)?
    })
}

/// The playlist of `all` segments but the first `skip`, with its media and discontinuity sequence.
fn listing(all: &[SegmentInfo], skip: usize) -> Option<MediaPlaylist> {
    let listed = all.get(skip..).filter(|l| !l.is_empty())?;
    let first = listed.first()?;
    // The discontinuity sequence number of the first segment listed is the number of
    // EXT-X-DISCONTINUITY tags before it (RFC 8216bis 4.4.3.3).
    let discontinuity_sequence = all
        .get(..skip)
        .unwrap_or_default()
        .iter()
        .filter(|s| s.discontinuity)
        .count();
    Some(MediaPlaylist {
        target_duration: target_duration(all),
        media_sequence: first.msn,
        discontinuity_sequence: u64::try_from(discontinuity_sequence).unwrap_or(u64::MAX),
        map_uri: INIT_FILE_NAME.to_owned(),
        segments: listed.iter().map(playlist_segment).collect(),
        ..MediaPlaylist::default()
    })
}

/// `EXT-X-TARGETDURATION`, in whole seconds: the longest segment so far, rounded to the nearest integer
/// as the spec rounds it, at least 1. (Rounding up would make a 2.03 s segment cadence advertise 3 s and
/// push every player's live distance out by three seconds.)
///
/// "The EXTINF duration of each Media Segment in a Playlist file, when rounded to the nearest integer,
/// MUST be less than or equal to the Target Duration" (RFC 8216bis, 4.4.3.1). Taken over every segment,
/// not just the window, so that it does not shrink while a client plays.
pub fn target_duration(segments: &[SegmentInfo]) -> u64 {
    let longest = segments.iter().map(|s| s.duration_secs).fold(0.0, f64::max);
    let rounded = longest.round();
    if rounded >= 1.0 {
        // A float to integer `as` saturates; durations are small and finite (checked on upload).
        rounded as u64
    } else {
        1
    }
}

fn playlist_segment(segment: &SegmentInfo) -> PlaylistSegment {
    // The segment arrived once it was complete: its first sample was captured about one duration before.
    let start = segment
        .received_at
        .checked_sub(Duration::from_secs_f64(segment.duration_secs))
        .unwrap_or(segment.received_at);
    PlaylistSegment {
        uri: segment_file_name(segment.msn),
        duration_secs: segment.duration_secs,
        discontinuity: segment.discontinuity,
        program_date_time: Some(rfc3339_millis(start)),
        ..PlaylistSegment::default()
    }
}

/// The multivariant playlist of a stream: one variant per rendition with at least one segment, in name
/// order, each pointing at the rendition's `playlist` (a live playlist or a recording). `None` while no
/// rendition has a segment.
pub fn multivariant(
    renditions: &BTreeMap<RenditionName, Rendition>,
    playlist: &str,
) -> Option<String> {
    let variants: Vec<Variant> = renditions
        .iter()
        .filter_map(|(name, rendition)| variant(name, rendition, playlist))
        .collect();
    if variants.is_empty() {
        None
    } else {
        Some(render_multivariant(&variants))
    }
}

/// The `EXT-X-STREAM-INF` of one rendition, or `None` before its first segment.
///
/// `FRAME-RATE` is the maximum frame rate of the video in the variant (RFC 8216bis 4.4.6.2): the
/// highest of the segments' measured rates.
pub fn variant(name: &RenditionName, rendition: &Rendition, playlist: &str) -> Option<Variant> {
    let init = rendition.init()?;
    let (peak, average) = bandwidth(rendition.segments())?;
    let resolution = init.parsed.video().and_then(|video| match video.params {
        MediaParams::Video { width, height } => Some((width, height)),
        MediaParams::Audio { .. } => None,
    });
    Some(Variant {
        uri: format!("{name}/{playlist}"),
        bandwidth: peak,
        average_bandwidth: Some(average),
        codecs: init.parsed.codecs(),
        resolution,
        frame_rate: rendition
            .segments()
            .iter()
            .filter_map(|s| s.frame_rate)
            .reduce(f64::max),
    })
}

/// `(BANDWIDTH, AVERAGE-BANDWIDTH)` in bits per second, or `None` without segments.
///
/// BANDWIDTH is the peak segment bit rate ("the largest of the peak segment bit rates", RFC 8216bis
/// 4.4.6.2), AVERAGE-BANDWIDTH the total bits over the total duration; both rounded up and at least 1.
pub fn bandwidth(segments: &[SegmentInfo]) -> Option<(u64, u64)> {
    if segments.is_empty() {
        return None;
    }
    let bits = |s: &SegmentInfo| s.bytes as f64 * 8.0;
    let peak = segments
        .iter()
        .filter(|s| s.duration_secs > 0.0)
        .map(|s| bits(s) / s.duration_secs)
        .fold(0.0, f64::max);
    let total_bits: f64 = segments.iter().map(bits).sum();
    let total_secs: f64 = segments.iter().map(|s| s.duration_secs).sum();
    let average = if total_secs > 0.0 {
        total_bits / total_secs
    } else {
        0.0
    };
    Some((to_bps(peak), to_bps(average)))
}

fn to_bps(rate: f64) -> u64 {
    // `as` saturates (and maps NaN to 0); `max(1)` keeps the attribute valid.
    (rate.ceil() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    fn seg(msn: u64, duration_secs: f64, bytes: u64) -> SegmentInfo {
        SegmentInfo {
            msn,
            duration_secs,
            bytes,
            received_at: UNIX_EPOCH + Duration::from_secs(1_000 + msn * 2),
            discontinuity: false,
            digest: msn,
            frame_rate: None,
        }
    }

    #[test]
    fn target_durations() {
        let cases: &[(&[f64], u64)] = &[
            (&[], 1),
            (&[0.2], 1),
            (&[2.0], 2),
            (&[2.0 + 1e-9], 2),
            (&[2.0, 2.01], 2),
            (&[2.0, 2.6], 3),
            (&[2.5], 3),
            (&[1.5, 4.0, 0.5], 4),
        ];
        for (durations, expected) in cases {
            let segments: Vec<_> = durations
                .iter()
                .enumerate()
                .map(|(i, d)| seg(i as u64, *d, 100))
                .collect();
            assert_eq!(target_duration(&segments), *expected, "{durations:?}");
        }
    }

    #[test]
    fn bandwidths() {
        assert_eq!(bandwidth(&[]), None);
        // 1000 bytes in 2 s = 4000 bps; 3000 bytes in 2 s = 12000 bps.
        let segments = [seg(0, 2.0, 1000), seg(1, 2.0, 3000)];
        assert_eq!(bandwidth(&segments), Some((12_000, 8_000)));
        // Rounded up, at least 1.
        assert_eq!(bandwidth(&[seg(0, 3.0, 1)]), Some((3, 3)));
        assert_eq!(bandwidth(&[seg(0, 1e9, 0)]), Some((1, 1)));
    }

    #[test]
    fn program_date_time_is_the_estimated_start() {
        let s = seg(0, 2.0, 100); // received at 1000 s
        let rendered = playlist_segment(&s);
        assert_eq!(
            rendered.program_date_time.as_deref(),
            Some("1970-01-01T00:16:38.000Z")
        );
        assert_eq!(rendered.uri, "0.m4s");
    }
}
