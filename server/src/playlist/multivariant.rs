//! The multivariant playlist of a stream: one variant per rendition with measured `BANDWIDTH` and
//! `AVERAGE-BANDWIDTH`, exact `CODECS`, `RESOLUTION` and `FRAME-RATE`, and separate audio as an audio
//! group (see [`multivariant`]).

use std::collections::BTreeMap;

use onair_media::{
    peak_segment_bit_rate, AudioRendition, MediaParams, MultivariantPlaylist, SessionData, Variant,
    BEACONS_DATA_ID,
};

use super::media::target_duration;
use crate::live::{Rendition, SegmentInfo};
use crate::names::RenditionName;

/// `GROUP-ID` of the audio renditions of a stream whose audio is separate.
pub const AUDIO_GROUP_ID: &str = "audio";

/// The multivariant playlist of a stream, each entry pointing at a rendition's `playlist` (a live playlist
/// or a recording); `None` while no rendition has a segment. Only renditions with at least one segment
/// are listed, in name order, except that the transcoder's rungs ([`crate::transcode`]) come after the
/// stream's own renditions, by `BANDWIDTH`, highest first.
///
/// A rendition whose init has only audio tracks is an audio rendition. When the stream has both kinds,
/// the audio is separate (as ffmpeg pushes it with `-var_stream_map "v:0,agroup:aud v:1,agroup:aud
/// a:0,agroup:aud"`): every audio rendition is an `EXT-X-MEDIA:TYPE=AUDIO` of one group
/// ([`AUDIO_GROUP_ID`]; the first is the default), and every other rendition a variant naming that group
/// in `AUDIO` ([`with_audio_group`]). Otherwise each rendition is a variant of its own, so that a stream of
/// audio renditions alone still plays.
///
/// `beacons`, when given, is named as the `EXT-X-SESSION-DATA` [`BEACONS_DATA_ID`]: where players post
/// their playback beacons (live playlists only).
pub fn multivariant(
    renditions: &BTreeMap<RenditionName, Rendition>,
    playlist: &str,
    beacons: Option<String>,
) -> Option<String> {
    multivariant_with(renditions, playlist, beacons, true)
}

/// [`multivariant`], listing the transcoder's rungs only when `rungs` says so (not once the transcoder
/// gave up on the stream) and the stream has exactly one video rendition of its own (a ladder that
/// appeared after the transcoder started is not mixed with rungs made from one of its renditions).
pub fn multivariant_with(
    renditions: &BTreeMap<RenditionName, Rendition>,
    playlist: &str,
    beacons: Option<String>,
    rungs: bool,
) -> Option<String> {
    let own_videos = renditions
        .iter()
        .filter(|(name, r)| {
            !name.is_transcoded() && r.init().is_some_and(|i| i.parsed.video().is_some())
        })
        .count();
    let rungs = rungs && own_videos == 1;
    let (audio, mut video): (Vec<_>, Vec<_>) = renditions
        .iter()
        .filter(|(name, _)| rungs || !name.is_transcoded())
        .filter_map(|(name, rendition)| {
            let variant = variant(name, rendition, playlist)?;
            let channels = audio_only_channels(rendition);
            Some((name, variant, channels))
        })
        .partition(|(_, _, channels)| channels.is_some());
    // The stream's own renditions first (in name order: the first is a player's default), then the
    // transcoder's rungs by BANDWIDTH, highest first.
    video.sort_by_key(|(name, variant, _)| {
        let transcoded = name.is_transcoded();
        (
            transcoded,
            std::cmp::Reverse(if transcoded { variant.bandwidth } else { 0 }),
        )
    });
    let mut multivariant = MultivariantPlaylist {
        session_data: beacons
            .into_iter()
            .map(|value| SessionData {
                data_id: BEACONS_DATA_ID.to_owned(),
                value,
            })
            .collect(),
        ..MultivariantPlaylist::default()
    };
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
        subtitles: None,
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

    use bytes::Bytes;
    use onair_protocol::{LIVE_PLAYLIST_FILE, RECORDING_PLAYLIST_FILE};

    use super::*;
    use crate::playlist::test_segment as seg;

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
    fn rungs_come_after_the_source_and_only_beside_one_video_rendition_of_its_own() {
        use onair_media::testing::{audio_track, video_track};
        let av = || vec![video_track(), audio_track()];
        let mut all = renditions(vec![
            ("auto-240p", rendition(av(), 2)),
            ("auto-480p", rendition(av(), 3)),
            ("r0", rendition(av(), 3)),
        ]);
        let uris = |text: String| -> Vec<String> {
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .map(str::to_owned)
                .collect()
        };
        let listed = uris(multivariant(&all, LIVE_PLAYLIST_FILE, None).unwrap());
        assert_eq!(listed[0], "r0/index.m3u8", "the source first: {listed:?}");
        assert_eq!(listed.len(), 3);
        let stopped = uris(multivariant_with(&all, LIVE_PLAYLIST_FILE, None, false).unwrap());
        assert_eq!(stopped, ["r0/index.m3u8"]);
        all.insert(RenditionName::parse("r1").unwrap(), rendition(av(), 3));
        let ladder = uris(multivariant(&all, LIVE_PLAYLIST_FILE, None).unwrap());
        assert_eq!(
            ladder,
            ["r0/index.m3u8", "r1/index.m3u8"],
            "a ladder: no rungs"
        );
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
        let text = multivariant(&all, LIVE_PLAYLIST_FILE, None).unwrap();
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
        let text = multivariant(&all, RECORDING_PLAYLIST_FILE, None).unwrap();
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
            let text = multivariant(&renditions(list), LIVE_PLAYLIST_FILE, None).unwrap();
            let parsed = MultivariantPlaylist::parse(&text).unwrap();
            assert!(parsed.audio.is_empty(), "{name}: {text}");
            assert_eq!(parsed.variants.len(), 2, "{name}: {text}");
            assert!(parsed.variants.iter().all(|v| v.audio.is_none()), "{name}");
        }
        assert_eq!(
            multivariant(&BTreeMap::new(), LIVE_PLAYLIST_FILE, None),
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
}
