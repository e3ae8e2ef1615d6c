//! Playlists as pure functions of a rendition's state: [`media_playlist`], [`recording_playlist`] and
//! [`multivariant`] build the media crate's playlist model, which renders the text.
//!
//! Two playlists per rendition, so that no URL ever goes back in `EXT-X-MEDIA-SEQUENCE` ("the value of
//! EXT-X-MEDIA-SEQUENCE ... MUST NOT decrease", RFC 8216bis 6.2.1):
//! - `index.m3u8`, the live playlist: the last [`DEFAULT_LIVE_WINDOW`] segments; when the stream ends it
//!   keeps that window and gains `EXT-X-ENDLIST`;
//! - `recording.m3u8`, once the stream has ended: every segment from msn 0, `EXT-X-PLAYLIST-TYPE:VOD`.
//!
//! A rendition uploaded in parts gets a Low-Latency HLS live playlist ([`low_latency`]): `EXT-X-PART-INF`,
//! `EXT-X-SERVER-CONTROL` (blocking reload, `PART-HOLD-BACK` of three part targets, `CAN-SKIP-UNTIL` of
//! six target durations), the parts of the segments of the last three target durations and of the open
//! segment, `EXT-X-PRELOAD-HINT` for the next part, `EXT-X-RENDITION-REPORT` for the other renditions,
//! and delta updates (`EXT-X-SKIP`) on request. `EXT-X-PROGRAM-DATE-TIME` is the producer's wall clock
//! (`prft`) when the media carries one.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use onair_media::{
    peak_segment_bit_rate, AudioRendition, MediaParams, MediaPlaylist, MultivariantPlaylist, Part,
    PlaylistSegment, PlaylistType, PreloadHint, PreloadHintType, RenditionReport, ServerControl,
    Variant,
};

use crate::cache::digest;
use crate::live::{PartInfo, Rendition, SegmentInfo};
use crate::names::{part_file_name, segment_file_name, RenditionName};
use crate::store::files::INIT_FILE_NAME;
use crate::time::rfc3339_millis;

/// Segments listed in a live media playlist (the sliding window). It defaults to 10.
pub const DEFAULT_LIVE_WINDOW: usize = 10;

/// File name of a rendition's live playlist (and of the stream's multivariant playlist).
pub const LIVE_PLAYLIST_FILE_NAME: &str = "index.m3u8";
/// File name of a rendition's recording (and of the stream's recording multivariant playlist).
pub const RECORDING_PLAYLIST_FILE_NAME: &str = "recording.m3u8";

/// `PART-HOLD-BACK`, in part targets ("at least three times the Part Target Duration" is the
/// recommendation of RFC 8216bis 4.4.3.8).
pub const PART_HOLD_BACK_PARTS: f64 = 3.0;
/// `CAN-SKIP-UNTIL`, in target durations ("at least six times the Target Duration", 4.4.3.8).
pub const SKIP_UNTIL_TARGET_DURATIONS: f64 = 6.0;
/// Parts are listed for the segments that start within the last this many target durations (RFC 8216bis 4.4.4.9:
/// parts older than three target durations from the end SHOULD be removed).
pub const PARTS_LISTED_TARGET_DURATIONS: f64 = 3.0;

/// A rendered playlist and what its answer needs. Cheap to clone: the text is shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedPlaylist {
    /// The playlist text.
    pub text: Bytes,
    /// Digest of the text ([`crate::cache::digest`]), for the `ETag`.
    pub digest: u64,
    /// True once the stream has ended (the playlist will not change again).
    pub ended: bool,
    /// Its `EXT-X-TARGETDURATION` (for a multivariant playlist, the largest of its renditions').
    pub target_duration: u64,
    /// When the stream last changed.
    pub modified: SystemTime,
}

impl RenderedPlaylist {
    /// Wraps a playlist's text.
    pub fn new(text: String, ended: bool, target_duration: u64, modified: SystemTime) -> Self {
        let text = Bytes::from(text);
        Self {
            digest: digest(&text),
            text,
            ended,
            target_duration,
            modified,
        }
    }
}

/// The live media playlist of a rendition, or `None` before its first complete segment.
///
/// It lists the last `window` segments; once `ended` it keeps listing them and ends with
/// `EXT-X-ENDLIST`, so its media sequence never goes back. While a rendition uploaded in parts is live,
/// the playlist is a Low-Latency HLS one ([`low_latency`]), a delta update when `delta`, reporting on
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
        uri: part_file_name(msn, index),
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
/// variant or as an `EXT-X-MEDIA` audio rendition ([`multivariant`]), so the reports name only playlists
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
        uri: format!("../{name}/{LIVE_PLAYLIST_FILE_NAME}"),
        last_msn: Some(last_msn),
        last_part,
    })
}

fn part_entry(msn: u64, part: &PartInfo) -> Part {
    Part {
        uri: part_file_name(msn, part.index),
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
    // The producer's wall clock when it says (prft); otherwise an estimate: the segment arrived once it
    // was complete, so its first sample was captured about one duration before.
    let start = segment.producer_time.unwrap_or_else(|| {
        segment
            .received_at
            .checked_sub(Duration::from_secs_f64(segment.duration_secs))
            .unwrap_or(segment.received_at)
    });
    PlaylistSegment {
        uri: segment_file_name(segment.msn),
        duration_secs: segment.duration_secs,
        discontinuity: segment.discontinuity,
        program_date_time: Some(rfc3339_millis(start)),
        ..PlaylistSegment::default()
    }
}

/// `GROUP-ID` of the audio renditions of a stream whose audio is separate.
pub const AUDIO_GROUP_ID: &str = "audio";

/// The multivariant playlist of a stream, each entry pointing at a rendition's `playlist` (a live playlist
/// or a recording); `None` while no rendition has a segment. Only renditions with at least one segment
/// are listed, in name order.
///
/// A rendition whose init has only audio tracks is an audio rendition. When the stream has both kinds,
/// the audio is separate (as ffmpeg pushes it with `-var_stream_map "v:0,agroup:aud v:1,agroup:aud
/// a:0,agroup:aud"`): every audio rendition is an `EXT-X-MEDIA:TYPE=AUDIO` of one group
/// ([`AUDIO_GROUP_ID`]; the first is the default), and every other rendition a variant naming that group
/// in `AUDIO` ([`with_audio_group`]). Otherwise each rendition is a variant of its own, so that a stream of
/// audio renditions alone still plays.
pub fn multivariant(
    renditions: &BTreeMap<RenditionName, Rendition>,
    playlist: &str,
) -> Option<String> {
    let (audio, video): (Vec<_>, Vec<_>) = renditions
        .iter()
        .filter_map(|(name, rendition)| {
            let variant = variant(name, rendition, playlist)?;
            let channels = audio_only_channels(rendition);
            Some((name, variant, channels))
        })
        .partition(|(_, _, channels)| channels.is_some());
    let mut multivariant = MultivariantPlaylist::default();
    if audio.is_empty() || video.is_empty() {
        multivariant.variants = audio.into_iter().chain(video).map(|(_, v, _)| v).collect();
    } else {
        let group: Vec<(Variant, AudioRendition)> = audio
            .into_iter()
            .enumerate()
            .map(|(i, (name, variant, channels))| {
                let rendition = AudioRendition {
                    group_id: AUDIO_GROUP_ID.to_owned(),
                    name: name.to_string(),
                    language: None,
                    default: i == 0,
                    autoselect: true,
                    channels: channels.map(|c| c.to_string()),
                    uri: Some(variant.uri.clone()),
                };
                (variant, rendition)
            })
            .collect();
        let audio_variants: Vec<Variant> = group.iter().map(|(v, _)| v.clone()).collect();
        multivariant.variants = video
            .into_iter()
            .map(|(_, v, _)| with_audio_group(v, AUDIO_GROUP_ID, &audio_variants))
            .collect();
        multivariant.audio = group.into_iter().map(|(_, a)| a).collect();
    }
    if multivariant.variants.is_empty() {
        None
    } else {
        Some(multivariant.render())
    }
}

/// The channel count of a rendition whose init has only audio tracks (that of its first track), else
/// `None`.
fn audio_only_channels(rendition: &Rendition) -> Option<u16> {
    let tracks = &rendition.init()?.parsed.tracks;
    if tracks.is_empty() || tracks.iter().any(|t| t.is_video()) {
        return None;
    }
    tracks.iter().find_map(|t| match t.params {
        MediaParams::Audio { channels, .. } => Some(channels),
        MediaParams::Video { .. } => None,
    })
}

/// A video variant playing with the audio group `group`, whose renditions are described by `audio` (as
/// [`variant`] describes them): `AUDIO="group"`, the group's audio formats added to `CODECS`, and the
/// group's highest rates added to `BANDWIDTH` and `AVERAGE-BANDWIDTH`.
///
/// "Every EXT-X-STREAM-INF tag MUST include the BANDWIDTH attribute ... If all the Media Segments in a
/// Variant Stream have already been created, the BANDWIDTH value MUST be the largest sum of peak segment
/// bit rates that is produced by any playable combination of Renditions" and "the CODECS attribute ... MUST
/// contain ... every media format present in any Media Segment in any of the Renditions specified by the
/// Variant Stream" (RFC 8216bis 4.4.6.2).
pub fn with_audio_group(mut video: Variant, group: &str, audio: &[Variant]) -> Variant {
    let mut codecs: Vec<String> = video.codecs.split(',').map(str::to_owned).collect();
    for codec in audio.iter().flat_map(|a| a.codecs.split(',')) {
        if !codecs.iter().any(|c| c == codec) {
            codecs.push(codec.to_owned());
        }
    }
    video.codecs = codecs.join(",");
    let peak = audio.iter().map(|a| a.bandwidth).max().unwrap_or(0);
    video.bandwidth = video.bandwidth.saturating_add(peak);
    let average = audio.iter().filter_map(|a| a.average_bandwidth).max();
    video.average_bandwidth = match (video.average_bandwidth, average) {
        (Some(v), Some(a)) => Some(v.saturating_add(a)),
        (v, a) => v.or(a),
    };
    video.audio = Some(group.to_owned());
    video
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
        audio: None,
    })
}

/// `(BANDWIDTH, AVERAGE-BANDWIDTH)` in bits per second, or `None` without segments.
///
/// BANDWIDTH is the peak segment bit rate as RFC 8216bis 4.4.6.2 defines it, over the rendition's
/// [`target_duration`] ([`peak_segment_bit_rate`]: sets of consecutive segments lasting 0.5 to 1.5 target
/// durations, so that the short last segment of a stream does not count alone), AVERAGE-BANDWIDTH the
/// total bits over the total duration; both rounded up and at least 1.
pub fn bandwidth(segments: &[SegmentInfo]) -> Option<(u64, u64)> {
    if segments.is_empty() {
        return None;
    }
    let sizes: Vec<(f64, u64)> = segments
        .iter()
        .map(|s| (s.duration_secs, s.bytes))
        .collect();
    let peak = peak_segment_bit_rate(&sizes, target_duration(segments)).unwrap_or(0.0);
    let total_bits: f64 = segments.iter().map(|s| s.bytes as f64 * 8.0).sum();
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
            producer_time: None,
            parts: Vec::new(),
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
        // A short last segment (ffmpeg's audio at the end of a push: 10 ms, 367 bytes, 294 kbps alone)
        // counts with the one before it: (16669 + 367) bytes over 2.016 s.
        let tail = [
            seg(0, 2.0053334, 16_423),
            seg(1, 2.0053334, 16_669),
            seg(2, 0.0106667, 367),
        ];
        assert_eq!(bandwidth(&tail).map(|(peak, _)| peak), Some(67_604));
    }

    /// A rendition of these tracks with `segments` segments of 2 s.
    fn rendition(tracks: Vec<onair_media::TrackInfo>, segments: u64) -> Rendition {
        use crate::live::{InitCheck, SegmentCheck};
        use onair_media::testing::{
            audio_fragment, fragment, init_bytes, video_fragment, AUDIO_FRAMES, AUDIO_FRAME_TICKS,
            VIDEO_FRAMES, VIDEO_FRAME_TICKS,
        };
        let init = onair_media::InitSegment { tracks };
        let has = |video: bool| init.tracks.iter().any(|t| t.is_video() == video);
        let (video, audio) = (has(true), has(false));
        let mut r = Rendition::default();
        let bytes = init_bytes(&init);
        match r.check_init(&bytes).unwrap() {
            InitCheck::Store(parsed) => r.apply_init(parsed, Bytes::from(bytes), UNIX_EPOCH),
            InitCheck::Unchanged => panic!("first init is new"),
        }
        for msn in 0..segments {
            let mut tracks = Vec::new();
            if video {
                tracks.push(video_fragment(
                    msn * u64::from(VIDEO_FRAMES * VIDEO_FRAME_TICKS),
                    true,
                ));
            }
            if audio {
                tracks.push(audio_fragment(
                    msn * u64::from(AUDIO_FRAMES * AUDIO_FRAME_TICKS),
                ));
            }
            let data = fragment(msn, &tracks);
            let limits = onair_media::Limits::default();
            match r.check_segment(msn, &data, &limits, UNIX_EPOCH).unwrap() {
                SegmentCheck::New(accepted) => r.apply_segment(accepted),
                SegmentCheck::PossibleRetry { .. } => panic!("segment {msn} is new"),
            }
        }
        r
    }

    fn renditions(list: Vec<(&str, Rendition)>) -> BTreeMap<RenditionName, Rendition> {
        list.into_iter()
            .map(|(name, r)| (RenditionName::parse(name).unwrap(), r))
            .collect()
    }

    #[test]
    fn separate_audio_is_an_audio_group() {
        use onair_media::testing::{audio_track, video_track};
        let all = renditions(vec![
            ("a0", rendition(vec![audio_track()], 3)),
            ("v0", rendition(vec![video_track()], 3)),
            ("v1", rendition(vec![video_track()], 2)),
            // Not started: not listed.
            ("v2", rendition(vec![video_track()], 0)),
        ]);
        let text = multivariant(&all, LIVE_PLAYLIST_FILE_NAME).unwrap();
        let parsed = MultivariantPlaylist::parse(&text).unwrap();
        assert_eq!(
            parsed.audio,
            vec![AudioRendition {
                group_id: AUDIO_GROUP_ID.into(),
                name: "a0".into(),
                language: None,
                default: true,
                autoselect: true,
                channels: Some("2".into()),
                uri: Some("a0/index.m3u8".into()),
            }],
            "{text}"
        );
        let name = |n: &str| RenditionName::parse(n).unwrap();
        let a0 = variant(&name("a0"), &all[&name("a0")], "index.m3u8").unwrap();
        let uris: Vec<&str> = parsed.variants.iter().map(|v| v.uri.as_str()).collect();
        assert_eq!(uris, ["v0/index.m3u8", "v1/index.m3u8"], "{text}");
        for v in &parsed.variants {
            let n = v.uri.split('/').next().unwrap();
            let own = variant(&name(n), &all[&name(n)], "index.m3u8").unwrap();
            assert_eq!(v.audio.as_deref(), Some(AUDIO_GROUP_ID), "{text}");
            assert_eq!(v.codecs, "avc1.42e01f,opus", "{text}");
            assert_eq!(v.bandwidth, own.bandwidth + a0.bandwidth, "{text}");
            assert_eq!(
                v.average_bandwidth,
                Some(own.average_bandwidth.unwrap() + a0.average_bandwidth.unwrap()),
                "{text}"
            );
            assert_eq!(v.resolution, Some((1280, 720)));
        }
        assert!(
            text.contains(
                "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"a0\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\",URI=\"a0/index.m3u8\"\n"
            ),
            "{text}"
        );
        // The recording points at the recordings.
        let text = multivariant(&all, RECORDING_PLAYLIST_FILE_NAME).unwrap();
        assert!(text.contains("URI=\"a0/recording.m3u8\""), "{text}");
        assert!(text.contains("\nv1/recording.m3u8\n"), "{text}");
    }

    #[test]
    fn without_both_kinds_every_rendition_is_a_variant() {
        use onair_media::testing::{audio_track, video_track};
        let cases = [
            (
                "audio only",
                vec![
                    ("a0", rendition(vec![audio_track()], 1)),
                    ("a1", rendition(vec![audio_track()], 1)),
                ],
            ),
            (
                "muxed audio and video",
                vec![
                    ("r0", rendition(vec![video_track(), audio_track()], 1)),
                    ("r1", rendition(vec![video_track(), audio_track()], 1)),
                ],
            ),
            (
                "video started, audio not yet",
                vec![
                    ("a0", rendition(vec![audio_track()], 0)),
                    ("v0", rendition(vec![video_track()], 1)),
                    ("v1", rendition(vec![video_track()], 1)),
                ],
            ),
        ];
        for (name, list) in cases {
            let text = multivariant(&renditions(list), LIVE_PLAYLIST_FILE_NAME).unwrap();
            let parsed = MultivariantPlaylist::parse(&text).unwrap();
            assert!(parsed.audio.is_empty(), "{name}: {text}");
            assert_eq!(parsed.variants.len(), 2, "{name}: {text}");
            assert!(parsed.variants.iter().all(|v| v.audio.is_none()), "{name}");
        }
        assert_eq!(
            multivariant(&BTreeMap::new(), LIVE_PLAYLIST_FILE_NAME),
            None
        );
    }

    #[test]
    fn a_variant_takes_the_group_codecs_and_highest_rates() {
        let v = |codecs: &str, bandwidth: u64, average: Option<u64>| Variant {
            uri: "x/index.m3u8".into(),
            bandwidth,
            average_bandwidth: average,
            codecs: codecs.into(),
            ..Variant::default()
        };
        let audio = [
            v("mp4a.40.2", 70_000, Some(66_000)),
            v("opus", 130_000, Some(120_000)),
            v("mp4a.40.2", 90_000, Some(80_000)),
        ];
        let joined = with_audio_group(v("avc1.64001f", 600_000, Some(500_000)), "g", &audio);
        assert_eq!(joined.codecs, "avc1.64001f,mp4a.40.2,opus");
        assert_eq!(joined.bandwidth, 730_000);
        assert_eq!(joined.average_bandwidth, Some(620_000));
        assert_eq!(joined.audio.as_deref(), Some("g"));
        // A format already listed is not repeated; a missing average stays what is known.
        let joined = with_audio_group(v("avc1.64001f,mp4a.40.2", 1, None), "g", &audio[..1]);
        assert_eq!(joined.codecs, "avc1.64001f,mp4a.40.2");
        assert_eq!(joined.average_bandwidth, Some(66_000));
        assert_eq!(joined.bandwidth, 70_001);
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
