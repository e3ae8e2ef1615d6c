//! The text form of a [`Report`]: aligned tables for people. (Machines get `--json`.)

use std::fmt::Write as _;

use crate::report::{
    FragmentRow, InitReport, MediaPlaylistReport, MfraReport, MultivariantReport, PartRow, Report,
    SegmentReport, Severity, Subject,
};

/// How a column lines up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}
use Align::{Left, Right};

/// Columns padded to their widest cell, two spaces apart, indented by two; no trailing spaces.
fn table(columns: &[(&str, Align)], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = columns.iter().map(|(h, _)| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let header: Vec<String> = columns.iter().map(|(h, _)| h.to_string()).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::from(" ");
        for ((cell, width), (_, align)) in row.iter().zip(&widths).zip(columns) {
            line.push(' ');
            match align {
                Left => {
                    let _ = write!(line, "{cell:<width$}");
                }
                Right => {
                    let _ = write!(line, "{cell:>width$}");
                }
            }
            line.push(' ');
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn kbits(bits_per_second: Option<u64>) -> String {
    opt(bits_per_second.map(|b| format!("{:.0}", b as f64 / 1000.0)))
}

/// "1 error", "2 errors".
fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The whole report as text.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    match &report.subject {
        Subject::Init { bytes, init } => {
            let _ = writeln!(out, "init segment  {}  ({bytes} bytes)", report.input);
            if let Some(init) = init {
                out.push_str(&init_text(init));
            }
        }
        Subject::Segment {
            init_uri,
            init,
            segment,
        } => {
            let size = segment
                .as_ref()
                .map(|s| format!("  ({} bytes)", s.bytes))
                .unwrap_or_default();
            let _ = writeln!(out, "segment       {}{size}", report.input);
            let codecs = init
                .as_ref()
                .map(|i| format!("  ({})", i.codecs))
                .unwrap_or_default();
            let _ = writeln!(out, "init          {init_uri}{codecs}");
            if let Some(segment) = segment {
                out.push_str(&segment_text(segment, init.as_ref()));
            }
        }
        Subject::FragmentedFile {
            bytes,
            init,
            total,
            fragments,
            mfra,
        } => {
            let _ = writeln!(out, "fragmented file  {}  ({bytes} bytes)", report.input);
            if let Some(init) = init {
                out.push_str(&init_text(init));
            }
            out.push('\n');
            match total {
                Some(total) => out.push_str(&segment_summary(total)),
                None => {
                    let _ = writeln!(out, "fragments     {}  (none demuxed)", fragments.len());
                }
            }
            let _ = writeln!(out, "mfra          {}", mfra_text(mfra.as_ref()));
            if let Some(total) = total {
                out.push('\n');
                out.push_str(&segment_tracks(total, init.as_ref()));
            }
            out.push('\n');
            out.push_str(&fragments_text(fragments));
        }
        Subject::MediaPlaylist(p) => out.push_str(&media_text(p)),
        Subject::MultivariantPlaylist(m) => out.push_str(&multivariant_text(m)),
    }
    out.push('\n');
    out.push_str(&violations_text(report));
    out
}

fn init_text(init: &InitReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "codecs        {}", init.codecs);
    out.push('\n');
    let rows: Vec<Vec<String>> = init
        .tracks
        .iter()
        .map(|t| {
            let details = match (t.width, t.height, t.channels, t.sample_rate) {
                (Some(w), Some(h), _, _) => format!("{w}x{h}"),
                (_, _, Some(c), Some(r)) => format!("{c} ch, {r} Hz"),
                _ => String::new(),
            };
            vec![
                t.id.to_string(),
                t.kind.to_string(),
                t.codec.clone(),
                t.timescale.to_string(),
                details,
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            ("track", Right),
            ("kind", Left),
            ("codec", Left),
            ("timescale", Right),
            ("size / audio", Left),
        ],
        &rows,
    ));
    out
}

fn segment_text(s: &SegmentReport, init: Option<&InitReport>) -> String {
    let mut out = segment_summary(s);
    out.push('\n');
    out.push_str(&segment_tracks(s, init));
    out
}

/// Fragments, duration and `prft` count.
fn segment_summary(s: &SegmentReport) -> String {
    let mut out = String::new();
    let sequence = match (s.sequence_numbers.first(), s.sequence_numbers.last()) {
        (Some(a), Some(b)) if a == b => format!("mfhd sequence {a}"),
        (Some(a), Some(b)) => format!("mfhd sequence {a}..{b}"),
        _ => String::new(),
    };
    let _ = writeln!(out, "fragments     {}  ({sequence})", s.fragments);
    let _ = writeln!(
        out,
        "duration      {:.3} s from {:.3} s, {}",
        s.duration_secs,
        s.start_secs,
        if s.starts_with_keyframe {
            "starts with a keyframe"
        } else {
            "does NOT start with a keyframe"
        }
    );
    let _ = writeln!(out, "prft          {}", s.producer_times);
    out
}

/// Per track: samples, keyframes, decode times, duration and sizes.
fn segment_tracks(s: &SegmentReport, init: Option<&InitReport>) -> String {
    let rows: Vec<Vec<String>> = s
        .tracks
        .iter()
        .map(|t| {
            let codec = init
                .and_then(|i| i.tracks.iter().find(|x| x.id == t.track_id))
                .map(|x| x.codec.clone())
                .unwrap_or_default();
            vec![
                t.track_id.to_string(),
                t.kind.to_string(),
                codec,
                t.samples.to_string(),
                t.keyframes.to_string(),
                t.base_decode_time.to_string(),
                opt(t.first_dts),
                opt(t.last_dts),
                t.timescale.to_string(),
                format!("{:.3}", t.duration_secs),
                t.bytes.to_string(),
                t.largest_sample.to_string(),
            ]
        })
        .collect();
    table(
        &[
            ("track", Right),
            ("kind", Left),
            ("codec", Left),
            ("samples", Right),
            ("keys", Right),
            ("base dts", Right),
            ("first dts", Right),
            ("last dts", Right),
            ("timescale", Right),
            ("dur (s)", Right),
            ("bytes", Right),
            ("largest", Right),
        ],
        &rows,
    )
}

fn mfra_text(mfra: Option<&MfraReport>) -> String {
    let Some(m) = mfra else {
        return "none".to_string();
    };
    let tracks: Vec<String> = m.tracks.iter().map(u32::to_string).collect();
    match m.entries {
        Some(n) => format!(
            "at byte {} ({} bytes): {}, track {}",
            m.byte,
            m.bytes,
            if n == 1 {
                "1 entry".to_string()
            } else {
                format!("{n} entries")
            },
            tracks.join(", ")
        ),
        None => format!("at byte {} ({} bytes): unreadable", m.byte, m.bytes),
    }
}

/// One row per fragment and track.
fn fragments_text(fragments: &[FragmentRow]) -> String {
    let mut rows = Vec::new();
    for f in fragments {
        let place = [f.index.to_string(), f.byte.to_string(), f.bytes.to_string()];
        let Some(media) = &f.media else {
            let mut row = place.to_vec();
            row.extend(["-", "-", "not read"].map(String::from));
            rows.push(row);
            continue;
        };
        let sequence = opt(media.sequence_numbers.first());
        for t in &media.tracks {
            let mut row = place.to_vec();
            row.extend([
                sequence.clone(),
                t.track_id.to_string(),
                t.kind.to_string(),
                t.samples.to_string(),
                t.keyframes.to_string(),
                format!("{:.3}", t.start_secs),
                format!("{:.3}", t.duration_secs),
            ]);
            rows.push(row);
        }
    }
    table(
        &[
            ("fragment", Right),
            ("byte", Right),
            ("bytes", Right),
            ("mfhd", Right),
            ("track", Right),
            ("kind", Left),
            ("samples", Right),
            ("keys", Right),
            ("start (s)", Right),
            ("dur (s)", Right),
        ],
        &rows,
    )
}

fn media_text(p: &MediaPlaylistReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "media playlist  {}", p.uri);
    let mut facts = vec![
        format!("version {}", opt(p.version)),
        format!("target duration {} s", p.target_duration),
        format!("media sequence {}", p.media_sequence),
    ];
    if p.discontinuity_sequence > 0 {
        facts.push(format!(
            "discontinuity sequence {}",
            p.discontinuity_sequence
        ));
    }
    if let Some(t) = p.playlist_type {
        facts.push(t.to_string());
    }
    facts.push(if p.ended { "ended" } else { "live" }.to_string());
    if p.independent_segments {
        facts.push("independent segments".into());
    }
    if let Some(m) = &p.map_uri {
        facts.push(format!("map {m}"));
    }
    let _ = writeln!(out, "  {}", facts.join(" · "));
    if p.part_target.is_some() || p.server_control.is_some() {
        let mut ll = vec![format!("part target {}", opt(p.part_target))];
        if let Some(c) = &p.server_control {
            ll.push(format!("part hold back {}", opt(c.part_hold_back)));
            ll.push(format!("hold back {}", opt(c.hold_back)));
            ll.push(format!("can skip until {}", opt(c.can_skip_until)));
            ll.push(format!(
                "blocking reload {}",
                if c.can_block_reload { "yes" } else { "no" }
            ));
        }
        if p.skipped_segments > 0 {
            ll.push(format!("skipped {}", p.skipped_segments));
        }
        if let Some(h) = &p.preload_hint {
            ll.push(format!("preload hint {h}"));
        }
        let _ = writeln!(out, "  {}", ll.join(" · "));
    }
    let _ = writeln!(
        out,
        "  {} · {:.3} s · peak {} kbit/s · average {} kbit/s",
        plural(p.segments.len(), "segment"),
        p.total_secs,
        kbits(p.peak_bitrate),
        kbits(p.average_bitrate)
    );
    if let Some(init) = &p.init {
        let tracks: Vec<String> = init
            .tracks
            .iter()
            .map(|t| match (t.width, t.height, t.channels, t.sample_rate) {
                (Some(w), Some(h), _, _) => format!("{} {} {} {w}x{h}", t.id, t.kind, t.codec),
                (_, _, Some(c), Some(r)) => {
                    format!("{} {} {} {c} ch {r} Hz", t.id, t.kind, t.codec)
                }
                _ => format!("{} {} {}", t.id, t.kind, t.codec),
            })
            .collect();
        let _ = writeln!(out, "  init: {}", tracks.join("; "));
    }
    out.push('\n');
    let mut rows = Vec::new();
    let part_row = |part: &PartRow| {
        let mut notes = Vec::new();
        if part.independent {
            notes.push("independent");
        }
        if part.gap {
            notes.push("gap");
        }
        media_row(
            format!("{}.{}", part.msn, part.index),
            part.line,
            format!("  {}", part.uri),
            part.duration_secs,
            part.media.as_ref(),
            part.media.as_ref().map(|m| m.bytes),
            notes,
        )
    };
    for s in &p.segments {
        rows.extend(s.parts.iter().map(part_row));
        let mut notes = Vec::new();
        if s.discontinuity {
            notes.push("discontinuity");
        }
        if s.gap {
            notes.push("gap");
        }
        rows.push(media_row(
            s.msn.to_string(),
            s.line,
            s.uri.clone(),
            s.extinf_secs,
            s.media.as_ref(),
            s.bytes,
            notes,
        ));
    }
    rows.extend(p.trailing_parts.iter().map(part_row));
    out.push_str(&table(
        &[
            ("msn", Right),
            ("line", Right),
            ("uri", Left),
            ("declared", Right),
            ("measured", Right),
            ("start", Right),
            ("bytes", Right),
            ("kbit/s", Right),
            ("key", Left),
            ("notes", Left),
        ],
        &rows,
    ));
    out
}

fn media_row(
    msn: String,
    line: Option<usize>,
    uri: String,
    declared: f64,
    media: Option<&SegmentReport>,
    bytes: Option<usize>,
    notes: Vec<&str>,
) -> Vec<String> {
    let rate = bytes
        .filter(|_| declared > 0.0)
        .map(|b| format!("{:.0}", b as f64 * 8.0 / declared / 1000.0));
    vec![
        msn,
        opt(line),
        uri,
        format!("{declared:.3}"),
        opt(media.map(|m| format!("{:.3}", m.duration_secs))),
        opt(media.map(|m| format!("{:.3}", m.start_secs))),
        opt(bytes),
        opt(rate),
        opt(media.map(|m| if m.starts_with_keyframe { "yes" } else { "no" })),
        notes.join(", "),
    ]
}

fn multivariant_text(m: &MultivariantReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "multivariant playlist  {}", m.uri);
    let mut facts = vec![format!("version {}", opt(m.version))];
    if m.independent_segments {
        facts.push("independent segments".into());
    }
    facts.push(plural(m.variants.len(), "variant"));
    facts.push(plural(m.renditions.len(), "rendition"));
    let _ = writeln!(out, "  {}", facts.join(" · "));
    out.push('\n');
    let rows: Vec<Vec<String>> = m
        .variants
        .iter()
        .map(|v| {
            vec![
                opt(v.line),
                v.uri.clone(),
                v.bandwidth.to_string(),
                opt(v.average_bandwidth),
                opt(v.measured_peak_bitrate),
                opt(v.codecs.clone()),
                opt(v.measured_codecs.clone()),
                opt(v.resolution.clone()),
                opt(v.frame_rate),
                opt(v.audio.clone()),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            ("line", Right),
            ("uri", Left),
            ("bandwidth", Right),
            ("average", Right),
            ("measured peak", Right),
            ("codecs", Left),
            ("measured codecs", Left),
            ("resolution", Left),
            ("fps", Right),
            ("audio", Left),
        ],
        &rows,
    ));
    if !m.renditions.is_empty() {
        out.push('\n');
        let rows: Vec<Vec<String>> = m
            .renditions
            .iter()
            .map(|r| {
                vec![
                    opt(r.line),
                    r.media_type.clone(),
                    r.group_id.clone(),
                    r.name.clone(),
                    if r.default { "yes" } else { "no" }.to_string(),
                    opt(r.uri.clone()),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                ("line", Right),
                ("type", Left),
                ("group", Left),
                ("name", Left),
                ("default", Left),
                ("uri", Left),
            ],
            &rows,
        ));
    }
    for p in &m.media_playlists {
        out.push('\n');
        out.push_str(&media_text(p));
    }
    out
}

fn violations_text(report: &Report) -> String {
    let mut out = String::new();
    if report.violations.is_empty() {
        out.push_str("no problems found\n");
        return out;
    }
    let _ = writeln!(
        out,
        "{}, {}",
        plural(report.errors, "error"),
        plural(report.warnings, "warning")
    );
    // Errors first, then warnings, each in the order found.
    let mut sorted: Vec<_> = report.violations.iter().collect();
    sorted.sort_by_key(|v| std::cmp::Reverse(v.severity));
    for v in sorted {
        let label = match v.severity {
            Severity::Error => "error  ",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "\n{label}  {}  {}", v.code, v.location);
        let _ = writeln!(out, "         {}", v.message);
        let _ = writeln!(out, "         {}", v.rule);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Location, TrackReport};
    use crate::rules;

    #[test]
    fn tables_align_and_trim() {
        let t = table(
            &[("n", Right), ("name", Left), ("x", Left)],
            &[
                vec!["1".into(), "a".into(), String::new()],
                vec!["100".into(), "longer".into(), "z".into()],
            ],
        );
        assert_eq!(t, "    n  name    x\n    1  a\n  100  longer  z\n");
    }

    #[test]
    fn init_report_text() {
        let init = InitReport {
            tracks: vec![
                TrackReport {
                    id: 1,
                    kind: "video",
                    codec: "avc1.64001f".into(),
                    timescale: 90_000,
                    width: Some(1280),
                    height: Some(720),
                    channels: None,
                    sample_rate: None,
                },
                TrackReport {
                    id: 2,
                    kind: "audio",
                    codec: "opus".into(),
                    timescale: 48_000,
                    width: None,
                    height: None,
                    channels: Some(2),
                    sample_rate: Some(48_000),
                },
            ],
            codecs: "avc1.64001f,opus".into(),
        };
        let report = Report::new(
            "init.mp4".into(),
            Subject::Init {
                bytes: 700,
                init: Some(init),
            },
            vec![rules::TRACK_MISSING.at(Location::of("init.mp4"), "example")],
        );
        let text = text(&report);
        assert!(
            text.starts_with(
                "init segment  init.mp4  (700 bytes)\ncodecs        avc1.64001f,opus\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("      1  video  avc1.64001f      90000  1280x720\n"),
            "{text}"
        );
        assert!(
            text.contains("      2  audio  opus             48000  2 ch, 48000 Hz\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "0 errors, 1 warning\n\nwarning  track-missing  init.mp4\n         example\n"
            ),
            "{text}"
        );
    }
}
