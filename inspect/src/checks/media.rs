//! Checks on what was measured in segments and parts against what their playlist declares: duration
//! against EXTINF and the target duration, keyframes against independence claims, decode-time continuity
//! between consecutive segments, and the peak segment bit rate.

use super::EPSILON_SECS;
use crate::report::{InitReport, Location, PartRow, SegmentReport, Violation};
use crate::rules;

/// Gaps or overlaps of decode time smaller than this are rounding, not worth a word.
const JITTER_SECS: f64 = 0.001;
/// Measured part durations may exceed the part target by this much (sample timing rounding).
const PART_SLACK_SECS: f64 = 0.001;

/// What the playlist declares about one segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Declared {
    /// `EXTINF`, seconds.
    pub extinf_secs: f64,
    /// `EXT-X-TARGETDURATION`, seconds.
    pub target_duration: u64,
    /// `EXT-X-INDEPENDENT-SEGMENTS` applies.
    pub independent: bool,
}

/// Violations of one measured segment at `at`.
pub fn check_segment(
    at: &Location,
    declared: Declared,
    tolerance_secs: f64,
    init: &InitReport,
    seg: &SegmentReport,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let measured = seg.duration_secs;
    if measured.round() > declared.target_duration as f64 {
        out.push(rules::MEASURED_OVER_TARGET.at(
            at.clone(),
            format!(
                "measured duration {measured:.3} s rounds above EXT-X-TARGETDURATION {}",
                declared.target_duration
            ),
        ));
    }
    let difference = measured - declared.extinf_secs;
    if difference.abs() > tolerance_secs + EPSILON_SECS {
        out.push(rules::EXTINF_MISMATCH.at(
            at.clone(),
            format!(
                "measured duration {measured:.3} s differs from EXTINF {} by {difference:+.3} s (tolerance {tolerance_secs} s)",
                declared.extinf_secs
            ),
        ));
    }
    if declared.independent && !seg.starts_with_keyframe {
        out.push(rules::NOT_INDEPENDENT.at(
            at.clone(),
            "the first video sample is not a sync sample, but EXT-X-INDEPENDENT-SEGMENTS is claimed",
        ));
    }
    let missing: Vec<String> = init
        .tracks
        .iter()
        .filter(|t| {
            !seg.tracks
                .iter()
                .any(|s| s.track_id == t.id && s.samples > 0)
        })
        .map(|t| format!("{} ({})", t.id, t.kind))
        .collect();
    if !missing.is_empty() {
        out.push(rules::TRACK_MISSING.at(
            at.clone(),
            format!("no samples for track {} of the init", missing.join(", ")),
        ));
    }
    out
}

/// Violations of one measured part at `at`.
pub fn check_part(
    at: &Location,
    part: &PartRow,
    part_target: Option<f64>,
    tolerance_secs: f64,
    seg: &SegmentReport,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let measured = seg.duration_secs;
    if let Some(target) = part_target {
        if measured > target + PART_SLACK_SECS {
            out.push(rules::PART_OVER_TARGET.at(
                at.clone(),
                format!("measured part duration {measured:.3} s is above PART-TARGET {target}"),
            ));
        }
    }
    let difference = measured - part.duration_secs;
    if difference.abs() > tolerance_secs + EPSILON_SECS {
        out.push(rules::PART_DURATION_MISMATCH.at(
            at.clone(),
            format!(
                "measured part duration {measured:.3} s differs from DURATION {} by {difference:+.3} s",
                part.duration_secs
            ),
        ));
    }
    if part.independent && !seg.has_keyframe() {
        out.push(rules::PART_NOT_INDEPENDENT.at(
            at.clone(),
            "INDEPENDENT=YES but the part has no video sync sample",
        ));
    }
    out
}

/// Violations between two consecutive segments (no `EXT-X-DISCONTINUITY` between them): per track,
/// the next segment's base decode time against the previous one's end, and the `mfhd` sequence numbers.
pub fn check_continuity(
    at: &Location,
    previous: &SegmentReport,
    next: &SegmentReport,
    tolerance_secs: f64,
) -> Vec<Violation> {
    let mut out = Vec::new();
    for track in &next.tracks {
        let Some(before) = previous
            .tracks
            .iter()
            .find(|t| t.track_id == track.track_id)
        else {
            continue;
        };
        let delta_ticks = i128::from(track.base_decode_time) - i128::from(before.end_decode_time);
        let delta_secs = delta_ticks as f64 / f64::from(track.timescale.max(1));
        if delta_secs.abs() < JITTER_SECS {
            continue;
        }
        let what = if delta_ticks > 0 { "gap" } else { "overlap" };
        let rule = if delta_secs.abs() > tolerance_secs {
            rules::TIMESTAMP_GAP
        } else {
            rules::TIMESTAMP_JITTER
        };
        out.push(rule.at(
            at.clone(),
            format!(
                "{what} of {:.3} s in track {} ({}): the previous segment ends at decode time {}, this one starts at {} (timescale {})",
                delta_secs.abs(),
                track.track_id,
                track.kind,
                before.end_decode_time,
                track.base_decode_time,
                track.timescale
            ),
        ));
    }
    if let (Some(last), Some(first)) = (
        previous.sequence_numbers.last(),
        next.sequence_numbers.first(),
    ) {
        if first <= last {
            out.push(rules::FRAGMENT_SEQUENCE_BACKWARDS.at(
                at.clone(),
                format!("mfhd sequence_number {first} does not increase after {last}"),
            ));
        }
    }
    out
}

/// The peak segment bit rate in bits per second over `(EXTINF seconds, bytes)` of consecutive segments,
/// as RFC 8216bis 4.4.6.2 defines it ([`onair_media::peak_segment_bit_rate`], which the server uses for
/// the BANDWIDTH it declares).
pub fn peak_bitrate(segments: &[(f64, usize)], target_duration: u64) -> Option<f64> {
    let segments: Vec<(f64, u64)> = segments
        .iter()
        .map(|&(d, b)| (d, u64::try_from(b).unwrap_or(u64::MAX)))
        .collect();
    onair_media::peak_segment_bit_rate(&segments, target_duration)
}

/// The average bit rate in bits per second over `(EXTINF seconds, bytes)`.
pub fn average_bitrate(segments: &[(f64, usize)]) -> Option<f64> {
    let secs: f64 = segments.iter().map(|(d, _)| d).sum();
    let bytes: usize = segments.iter().map(|(_, b)| b).sum();
    (secs > 0.0).then(|| bytes as f64 * 8.0 / secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{TrackReport, TrackSegmentReport};

    fn init() -> InitReport {
        let track = |id, kind: &'static str| TrackReport {
            id,
            kind,
            codec: if kind == "video" {
                "avc1.64001f"
            } else {
                "mp4a.40.2"
            }
            .into(),
            timescale: if kind == "video" { 90_000 } else { 48_000 },
            width: None,
            height: None,
            channels: None,
            sample_rate: None,
        };
        InitReport {
            tracks: vec![track(1, "video"), track(2, "audio")],
            codecs: "avc1.64001f,mp4a.40.2".into(),
        }
    }

    /// A segment with video from `start` for `secs` seconds (keyframe first when `key`) and matching audio.
    fn segment(start: f64, secs: f64, key: bool, sequence: u32) -> SegmentReport {
        let track = |id, kind: &'static str, timescale: u32, keyframes| {
            let base = (start * f64::from(timescale)).round() as u64;
            let end = ((start + secs) * f64::from(timescale)).round() as u64;
            TrackSegmentReport {
                track_id: id,
                kind,
                timescale,
                samples: 30,
                keyframes,
                starts_with_keyframe: keyframes > 0,
                base_decode_time: base,
                end_decode_time: end,
                first_dts: Some(base),
                last_dts: Some(end.saturating_sub(1)),
                start_secs: start,
                duration_secs: secs,
                bytes: 1000,
                largest_sample: 100,
            }
        };
        SegmentReport {
            bytes: 2000,
            fragments: 1,
            sequence_numbers: vec![sequence],
            duration_secs: secs,
            start_secs: start,
            starts_with_keyframe: key,
            producer_times: 0,
            tracks: vec![
                track(1, "video", 90_000, usize::from(key)),
                track(2, "audio", 48_000, 30),
            ],
        }
    }

    fn codes(v: &[Violation]) -> Vec<&'static str> {
        v.iter().map(|v| v.code).collect()
    }

    #[test]
    fn segment_table() {
        let declared = |extinf, independent| Declared {
            extinf_secs: extinf,
            target_duration: 2,
            independent,
        };
        let cases = [
            (
                "exact",
                declared(2.0, true),
                segment(0.0, 2.0, true, 1),
                vec![],
            ),
            (
                "within tolerance",
                declared(2.0, true),
                segment(0.0, 1.95, true, 1),
                vec![],
            ),
            (
                "EXTINF off by 0.5 s",
                declared(1.5, false),
                segment(0.0, 2.0, true, 1),
                vec!["extinf-mismatch"],
            ),
            (
                "measured 2.6 s rounds to 3 > 2",
                declared(2.0, false),
                segment(0.0, 2.6, true, 1),
                vec!["measured-over-target", "extinf-mismatch"],
            ),
            (
                "no keyframe first while independent claimed",
                declared(2.0, true),
                segment(0.0, 2.0, false, 1),
                vec!["segment-not-independent"],
            ),
            (
                "no keyframe first, no claim",
                declared(2.0, false),
                segment(0.0, 2.0, false, 1),
                vec![],
            ),
        ];
        for (name, declared, seg, expected) in cases {
            let v = check_segment(&Location::of("s.m4s"), declared, 0.1, &init(), &seg);
            assert_eq!(codes(&v), expected, "{name}");
        }
        let mut audio_only = segment(0.0, 2.0, true, 1);
        audio_only.tracks.retain(|t| t.kind == "audio");
        let v = check_segment(
            &Location::of("s.m4s"),
            declared(2.0, false),
            0.1,
            &init(),
            &audio_only,
        );
        assert_eq!(codes(&v), vec!["track-missing"]);
        assert!(v[0].message.contains("1 (video)"), "{}", v[0].message);
    }

    #[test]
    fn continuity_table() {
        let cases = [
            ("continuous", segment(2.0, 2.0, true, 2), vec![]),
            (
                "gap of 0.5 s",
                segment(2.5, 2.0, true, 2),
                vec!["timestamp-gap", "timestamp-gap"],
            ),
            (
                "overlap of 20 ms",
                segment(1.98, 2.0, true, 2),
                vec!["timestamp-jitter", "timestamp-jitter"],
            ),
            (
                "sub-millisecond rounding",
                segment(2.0004, 2.0, true, 2),
                vec![],
            ),
            (
                "mfhd going back",
                segment(2.0, 2.0, true, 1),
                vec!["fragment-sequence-backwards"],
            ),
        ];
        let previous = segment(0.0, 2.0, true, 1);
        for (name, next, expected) in cases {
            let v = check_continuity(&Location::of("s.m4s"), &previous, &next, 0.1);
            assert_eq!(codes(&v), expected, "{name}");
        }
        let v = check_continuity(
            &Location::of("s.m4s"),
            &previous,
            &segment(2.5, 2.0, true, 2),
            0.1,
        );
        assert!(
            v[0].message
                .starts_with("gap of 0.500 s in track 1 (video)"),
            "{}",
            v[0].message
        );
    }

    #[test]
    fn part_table() {
        let row = |duration, independent| PartRow {
            msn: 1,
            index: 0,
            line: Some(9),
            uri: "p.m4s".into(),
            duration_secs: duration,
            independent,
            gap: false,
            media: None,
        };
        let cases = [
            ("fine", row(0.5, true), segment(0.0, 0.5, true, 1), vec![]),
            (
                "longer than the part target",
                row(0.5, false),
                segment(0.0, 0.7, false, 1),
                vec!["part-over-target", "part-duration-mismatch"],
            ),
            (
                "independent without a keyframe",
                row(0.5, true),
                segment(0.0, 0.5, false, 1),
                vec!["part-not-independent"],
            ),
        ];
        for (name, part, seg, expected) in cases {
            let v = check_part(&Location::of("p.m4s"), &part, Some(0.5), 0.1, &seg);
            assert_eq!(codes(&v), expected, "{name}");
        }
    }

    #[test]
    fn peak_bitrate_follows_the_spec_window() {
        // Target 2: sets between 1 and 3 seconds count.
        type Case<'a> = (&'a [(f64, usize)], u64, Option<f64>);
        let cases: [Case; 5] = [
            (&[], 2, None),
            (&[(2.0, 250_000), (2.0, 500_000)], 2, Some(2_000_000.0)),
            // A 0.5 s segment alone is too short; with its neighbour (2.5 s) it counts.
            (&[(2.0, 250_000), (0.5, 125_000)], 2, Some(1_200_000.0)),
            // Two 1 s segments: the pair (2 s) and each alone (1 s) qualify.
            (&[(1.0, 100_000), (1.0, 300_000)], 2, Some(2_400_000.0)),
            // Every segment is longer than 1.5 target durations: the largest single rate.
            (&[(4.0, 100_000), (4.0, 200_000)], 2, Some(400_000.0)),
        ];
        for (segments, target, expected) in cases {
            assert_eq!(peak_bitrate(segments, target), expected, "{segments:?}");
        }
        assert_eq!(
            average_bitrate(&[(2.0, 250_000), (2.0, 500_000)]),
            Some(1_500_000.0)
        );
        assert_eq!(average_bitrate(&[]), None);
    }
}
