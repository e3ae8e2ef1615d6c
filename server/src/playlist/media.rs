//! Media playlists of a rendition: the live one (a Low-Latency HLS one for a rendition uploaded in parts)
//! and the recording, with `EXT-X-TARGETDURATION` and the program date times (see [`super`]).

use std::time::Duration;

use onair_media::{
    MediaPlaylist, Part, PlaylistSegment, PlaylistType, PreloadHint, PreloadHintType,
    RenditionReport, ServerControl,
};
use onair_protocol::{part_file, segment_file, INIT_FILE, LIVE_PLAYLIST_FILE};

use crate::live::{PartInfo, Rendition, SegmentInfo};
use crate::names::RenditionName;
use crate::time::rfc3339_millis;

/// Segments listed in a live media playlist (the sliding window). It defaults to 10.
pub const DEFAULT_LIVE_WINDOW: usize = 10;

/// `PART-HOLD-BACK`, in part targets ("at least three times the Part Target Duration" is the
/// recommendation of RFC 8216bis 4.4.3.8).
pub const PART_HOLD_BACK_PARTS: f64 = 3.0;
/// `CAN-SKIP-UNTIL`, in target durations ("at least six times the Target Duration", 4.4.3.8).
pub const SKIP_UNTIL_TARGET_DURATIONS: f64 = 6.0;
/// Parts are listed for the segments that start within the last this many target durations (RFC 8216bis 4.4.4.9:
/// parts older than three target durations from the end SHOULD be removed).
pub const PARTS_LISTED_TARGET_DURATIONS: f64 = 3.0;

/// The live media playlist of a rendition, or `None` before its first complete segment.
///
/// It lists the last `window` segments; once `ended` it keeps listing them and ends with
/// `EXT-X-ENDLIST`, so its media sequence never goes back. While a rendition uploaded in parts is live,
/// the playlist is a Low-Latency HLS one (`low_latency`), a delta update when `delta`, reporting on
/// the other renditions with `reports`.
pub fn media_playlist(
    rendition: &Rendition,
    ended: bool,
    window: usize,
    delta: bool,
    reports: Vec<RenditionReport>,
) -> Option<MediaPlaylist> {
    let all = rendition.segments();
    let skip = all.len().saturating_sub(window.max(1));
    let mut playlist = MediaPlaylist {
        ended,
        ..listing(all, skip)?
    };
    if let (Some(part_target), false) = (rendition.part_target(), ended) {
        low_latency(&mut playlist, rendition, part_target, delta);
        playlist.rendition_reports = reports;
    }
    Some(playlist)
}

/// Adds the Low-Latency HLS tags to a rendition's live playlist (see the module documentation).
fn low_latency(playlist: &mut MediaPlaylist, rendition: &Rendition, part_target: f64, delta: bool) {
    let target = playlist.target_duration as f64;
    let skip_until = SKIP_UNTIL_TARGET_DURATIONS * target;
    playlist.part_target = Some(part_target);
    playlist.server_control = Some(ServerControl {
        can_block_reload: true,
        can_skip_until: Some(skip_until),
        hold_back: None,
        part_hold_back: Some(round_millis(PART_HOLD_BACK_PARTS * part_target)),
    });
    let open = rendition.open_segment();
    if let Some(open) = open {
        playlist.trailing_parts = open.parts.iter().map(|p| part_entry(open.msn, p)).collect();
    }
    let (msn, index) = rendition.next_part();
    playlist.preload_hint = Some(PreloadHint {
        hint_type: PreloadHintType::Part,
        uri: part_file(msn, index),
    });

    // Parts of the segments that start within the last three target durations, so that no listed part
    // is further than that from the end.
    let mut from_end = open.map_or(0.0, |o| o.duration_secs());
    let first_msn = playlist.media_sequence;
    for (i, entry) in playlist.segments.iter_mut().enumerate().rev() {
        let Some(info) = rendition.segment(first_msn + i as u64) else {
            break;
        };
        from_end += info.duration_secs;
        if from_end > PARTS_LISTED_TARGET_DURATIONS * target + 1e-6 {
            break;
        }
        entry.parts = info.parts.iter().map(|p| part_entry(info.msn, p)).collect();
    }

    if delta {
        // Skip the oldest segments that end at least CAN-SKIP-UNTIL before the end of the playlist.
        let total: f64 = playlist
            .segments
            .iter()
            .map(|s| s.duration_secs)
            .sum::<f64>()
            + open.map_or(0.0, |o| o.duration_secs());
        let mut before_end = total;
        let skipped = playlist
            .segments
            .iter()
            .take_while(|s| {
                before_end -= s.duration_secs;
                before_end >= skip_until
            })
            .count();
        if skipped > 0 {
            playlist.segments.drain(..skipped);
            playlist.skipped_segments = skipped as u64;
        }
    }
}

/// The `EXT-X-RENDITION-REPORT` for a rendition (a Low-Latency one with a segment), as seen from a
/// sibling rendition's playlist. Every rendition with a segment is in the multivariant playlist, as a
/// variant or as an `EXT-X-MEDIA` audio rendition ([`super::multivariant()`]), so the reports name only playlists
/// a client can reach from there: a video variant's playlist reports the audio renditions it plays with,
/// and the other way round.
pub fn rendition_report(name: &RenditionName, rendition: &Rendition) -> Option<RenditionReport> {
    rendition.part_target()?;
    rendition.last_complete_msn()?;
    let last_msn = rendition.edge_msn()?;
    let last_part = rendition
        .last_part()
        .filter(|(msn, _)| *msn == last_msn)
        .map(|(_, index)| u64::from(index));
    Some(RenditionReport {
        uri: format!("../{name}/{LIVE_PLAYLIST_FILE}"),
        last_msn: Some(last_msn),
        last_part,
    })
}

fn part_entry(msn: u64, part: &PartInfo) -> Part {
    Part {
        uri: part_file(msn, part.index),
        duration_secs: part.duration_secs,
        independent: part.independent,
        gap: false,
    }
}

fn round_millis(secs: f64) -> f64 {
    (secs * 1000.0).round() / 1000.0
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
        map_uri: INIT_FILE.to_owned(),
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
    // The producer's wall clock when it says (prft); otherwise an estimate: the segment arrived once it
    // was complete, so its first sample was captured about one duration before.
    let start = segment.producer_time.unwrap_or_else(|| {
        segment
            .received_at
            .checked_sub(Duration::from_secs_f64(segment.duration_secs))
            .unwrap_or(segment.received_at)
    });
    PlaylistSegment {
        uri: segment_file(segment.msn),
        duration_secs: segment.duration_secs,
        discontinuity: segment.discontinuity,
        program_date_time: Some(rfc3339_millis(start)),
        ..PlaylistSegment::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playlist::test_segment as seg;

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
