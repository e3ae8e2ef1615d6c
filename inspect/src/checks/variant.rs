//! Checks on a multivariant playlist: rendition groups, and each variant's CODECS, RESOLUTION and
//! BANDWIDTH against what its renditions' inits and segments turned out to be; timestamps of variants
//! against each other.

use std::collections::BTreeSet;

use onair_media::m3u8_rs::{AlternativeMediaType, MasterPlaylist};

use super::EPSILON_SECS;
use crate::report::{Location, Violation};
use crate::rules;

/// How far above BANDWIDTH a measured peak may be before it is reported (Apple's validator allows 10%).
pub const BANDWIDTH_SLACK: f64 = 0.10;

/// The formats of a CODECS value: trimmed, lowercase (RFC 6381 hex digits are case-insensitive), no
/// empties.
pub fn codec_set(codecs: &str) -> BTreeSet<String> {
    codecs
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .collect()
}

/// CODECS of a variant against the codec strings of every init of the renditions it plays (`None` when
/// some init could not be read, so nothing can be said).
pub fn check_codecs(
    at: &Location,
    declared: Option<&str>,
    measured: Option<&[String]>,
) -> Vec<Violation> {
    let Some(declared) = declared else {
        return vec![rules::CODECS_MISSING.at(at.clone(), "EXT-X-STREAM-INF without CODECS")];
    };
    let Some(measured) = measured else {
        return Vec::new();
    };
    let declared_set = codec_set(declared);
    let measured_set: BTreeSet<String> = measured.iter().flat_map(|c| codec_set(c)).collect();
    let mut out = Vec::new();
    let missing: Vec<&str> = measured_set
        .difference(&declared_set)
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        out.push(rules::CODECS_MISMATCH.at(
            at.clone(),
            format!(
                "CODECS=\"{declared}\" lacks {} found in the init segments",
                missing.join(", ")
            ),
        ));
    }
    let absent: Vec<&str> = declared_set
        .difference(&measured_set)
        .map(String::as_str)
        .collect();
    if !absent.is_empty() {
        out.push(rules::CODECS_MISMATCH.at(
            at.clone(),
            format!(
                "CODECS=\"{declared}\" lists {} that no rendition's init carries (they carry {})",
                absent.join(", "),
                measured_set.iter().cloned().collect::<Vec<_>>().join(",")
            ),
        ));
    }
    out
}

/// RESOLUTION of a variant against its video track's picture size (`video` is `None` for no video or
/// an unread init; `has_video` says which).
pub fn check_resolution(
    at: &Location,
    declared: Option<(u64, u64)>,
    video: Option<(u16, u16)>,
) -> Vec<Violation> {
    match (declared, video) {
        (None, Some((w, h))) => vec![rules::RESOLUTION_MISSING
            .at(at.clone(), format!("no RESOLUTION, the video is {w}x{h}"))],
        (Some((dw, dh)), Some((w, h))) if (dw, dh) != (u64::from(w), u64::from(h)) => {
            vec![rules::RESOLUTION_MISMATCH.at(
                at.clone(),
                format!("RESOLUTION={dw}x{dh}, the video track is {w}x{h}"),
            )]
        }
        _ => Vec::new(),
    }
}

/// Declared and measured bit rates of one variant, bits per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bitrates {
    /// `BANDWIDTH`.
    pub bandwidth: u64,
    /// `AVERAGE-BANDWIDTH`.
    pub average_bandwidth: Option<u64>,
    /// Measured: the largest sum of peak segment bit rates over the renditions it plays.
    pub peak: Option<f64>,
    /// Measured: the sum of average bit rates.
    pub average: Option<f64>,
    /// True when every playlist involved has EXT-X-ENDLIST (all segments exist).
    pub complete: bool,
}

/// BANDWIDTH and AVERAGE-BANDWIDTH against the measurement.
pub fn check_bandwidth(at: &Location, b: Bitrates) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(peak) = b.peak {
        if peak > b.bandwidth as f64 * (1.0 + BANDWIDTH_SLACK) {
            let rule = if b.complete {
                rules::BANDWIDTH_BELOW_PEAK
            } else {
                rules::BANDWIDTH_BELOW_PEAK_LIVE
            };
            out.push(rule.at(
                at.clone(),
                format!(
                    "BANDWIDTH={} but the measured peak segment bit rate is {:.0} ({:.0}% more)",
                    b.bandwidth,
                    peak,
                    (peak / b.bandwidth.max(1) as f64 - 1.0) * 100.0
                ),
            ));
        }
    }
    if let (Some(declared), Some(average)) = (b.average_bandwidth, b.average) {
        if average > declared as f64 * (1.0 + BANDWIDTH_SLACK) {
            out.push(rules::AVERAGE_BANDWIDTH_BELOW.at(
                at.clone(),
                format!("AVERAGE-BANDWIDTH={declared} but the measured average is {average:.0}"),
            ));
        }
    }
    out
}

/// Variants naming a rendition group that no EXT-X-MEDIA defines. `line_of` gives each variant's line.
pub fn check_groups(
    uri: &str,
    master: &MasterPlaylist,
    line_of: impl Fn(usize) -> Option<usize>,
) -> Vec<Violation> {
    let defined = |kind: &AlternativeMediaType, group: &str| {
        master
            .alternatives
            .iter()
            .any(|a| &a.media_type == kind && a.group_id == group)
    };
    let mut out = Vec::new();
    for (i, v) in master.variants.iter().enumerate() {
        let named = [
            ("AUDIO", AlternativeMediaType::Audio, &v.audio),
            ("VIDEO", AlternativeMediaType::Video, &v.video),
            ("SUBTITLES", AlternativeMediaType::Subtitles, &v.subtitles),
        ];
        for (attribute, kind, group) in named {
            if let Some(group) = group {
                if !defined(&kind, group) {
                    out.push(rules::GROUP_MISSING.at(
                        Location::line(uri, line_of(i)),
                        format!("{attribute}=\"{group}\" names no EXT-X-MEDIA group of that TYPE"),
                    ));
                }
            }
        }
    }
    out
}

/// Start times of segments by media sequence number, for one variant's media playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// The media playlist.
    pub uri: String,
    /// `(msn, start seconds)` of each measured segment.
    pub starts: Vec<(u64, f64)>,
}

/// Variants whose segments with the same media sequence number start at different times: reported once
/// per variant, against the first variant, at the first differing msn.
pub fn check_alignment(timelines: &[Timeline], tolerance_secs: f64) -> Vec<Violation> {
    let Some((reference, others)) = timelines.split_first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for other in others {
        let differing = other.starts.iter().find_map(|&(msn, start)| {
            reference
                .starts
                .iter()
                .find(|(m, _)| *m == msn)
                .filter(|(_, s)| (s - start).abs() > tolerance_secs + EPSILON_SECS)
                .map(|&(_, s)| (msn, s, start))
        });
        if let Some((msn, expected, found)) = differing {
            out.push(rules::VARIANTS_MISALIGNED.at(
                Location::of(other.uri.clone()).with_msn(msn),
                format!(
                    "segment {msn} starts at {found:.3} s here but at {expected:.3} s in {}",
                    reference.uri
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(v: &[Violation]) -> Vec<&'static str> {
        v.iter().map(|v| v.code).collect()
    }

    #[test]
    fn codecs_table() {
        let at = Location::of("m.m3u8");
        let measured = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        type Case<'a> = (Option<&'a str>, Option<Vec<String>>, Vec<&'a str>);
        let cases: Vec<Case> = vec![
            (
                Some("avc1.64001f,mp4a.40.2"),
                Some(measured(&["avc1.64001f,mp4a.40.2"])),
                vec![],
            ),
            // Case and spacing do not matter; order does not either.
            (
                Some("mp4a.40.2, AVC1.64001F"),
                Some(measured(&["avc1.64001f", "mp4a.40.2"])),
                vec![],
            ),
            (
                Some("avc1.42e01e,mp4a.40.2"),
                Some(measured(&["avc1.64001f,mp4a.40.2"])),
                vec!["codecs-mismatch", "codecs-mismatch"],
            ),
            // Audio missing from CODECS.
            (
                Some("avc1.64001f"),
                Some(measured(&["avc1.64001f", "opus"])),
                vec!["codecs-mismatch"],
            ),
            (
                None,
                Some(measured(&["avc1.64001f"])),
                vec!["codecs-missing"],
            ),
            // An init could not be read: nothing to compare.
            (Some("avc1.64001f"), None, vec![]),
        ];
        for (declared, measured, expected) in cases {
            let v = check_codecs(&at, declared, measured.as_deref());
            assert_eq!(codes(&v), expected, "{declared:?} vs {measured:?}");
        }
    }

    #[test]
    fn resolution_table() {
        let at = Location::of("m.m3u8");
        let cases = [
            (Some((640, 360)), Some((640, 360)), vec![]),
            (
                Some((1280, 720)),
                Some((640, 360)),
                vec!["resolution-mismatch"],
            ),
            (None, Some((640, 360)), vec!["resolution-missing"]),
            (None, None, vec![]),
        ];
        for (declared, video, expected) in cases {
            assert_eq!(
                codes(&check_resolution(&at, declared, video)),
                expected,
                "{declared:?} vs {video:?}"
            );
        }
    }

    #[test]
    fn bandwidth_table() {
        let at = Location::of("m.m3u8");
        let b = |bandwidth, average_bandwidth, peak, average, complete| Bitrates {
            bandwidth,
            average_bandwidth,
            peak,
            average,
            complete,
        };
        let cases = [
            (b(1_000_000, None, Some(900_000.0), None, true), vec![]),
            // Within the 10% slack.
            (b(1_000_000, None, Some(1_080_000.0), None, true), vec![]),
            (
                b(70_400, None, Some(850_000.0), None, true),
                vec!["bandwidth-below-peak"],
            ),
            (
                b(70_400, None, Some(850_000.0), None, false),
                vec!["bandwidth-below-peak-live"],
            ),
            (
                b(
                    1_000_000,
                    Some(500_000),
                    Some(900_000.0),
                    Some(700_000.0),
                    true,
                ),
                vec!["average-bandwidth-below"],
            ),
            (b(1_000_000, Some(500_000), None, None, true), vec![]),
        ];
        for (bitrates, expected) in cases {
            assert_eq!(
                codes(&check_bandwidth(&at, bitrates)),
                expected,
                "{bitrates:?}"
            );
        }
    }

    #[test]
    fn groups_must_be_defined() {
        let text = "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"en\",URI=\"a.m3u8\"\n\
#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO=\"aud\"\nv1.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO=\"other\"\nv2.m3u8\n";
        let master =
            onair_media::m3u8_rs::parse_master_playlist_res(text.as_bytes()).expect("parses");
        let v = check_groups("m.m3u8", &master, |i| Some(3 + 2 * i));
        assert_eq!(codes(&v), vec!["group-missing"]);
        assert_eq!(v[0].location.line, Some(5));
        assert!(v[0].message.contains("AUDIO=\"other\""), "{}", v[0].message);
    }

    #[test]
    fn alignment_table() {
        let t = |uri: &str, starts: &[(u64, f64)]| Timeline {
            uri: uri.into(),
            starts: starts.to_vec(),
        };
        let aligned = [
            t("a.m3u8", &[(0, 0.0), (1, 2.0)]),
            t("b.m3u8", &[(0, 0.0), (1, 2.02)]),
        ];
        assert!(check_alignment(&aligned, 0.1).is_empty());
        let shifted = [
            t("a.m3u8", &[(0, 0.0), (1, 2.0)]),
            t("b.m3u8", &[(1, 4.0), (2, 6.0)]),
        ];
        let v = check_alignment(&shifted, 0.1);
        assert_eq!(codes(&v), vec!["variants-misaligned"]);
        assert_eq!(v[0].location.msn, Some(1));
        assert!(check_alignment(&[], 0.1).is_empty());
    }
}
