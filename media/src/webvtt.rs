//! WebVTT subtitle segments as HLS carries them (RFC 8216 section 3.5; the W3C WebVTT parser rules):
//! the cues, and the `X-TIMESTAMP-MAP` header that ties cue times to the media's MPEG-2 timestamps.
//! Bounded and never panicking: a cue whose timing line is malformed is dropped, as the WebVTT parser
//! does; only a file that is not WebVTT at all is an error.

/// The most cues one file may hold (a segment holds a handful).
pub const MAX_CUES: usize = 10_000;
/// The longest cue text kept, in bytes; longer text is cut at a character boundary.
pub const MAX_CUE_TEXT: usize = 4_096;

/// One cue.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    /// The cue identifier, if the block has one.
    pub id: Option<String>,
    /// Start, seconds on the file's own timeline.
    pub start: f64,
    /// End, seconds on the file's own timeline.
    pub end: f64,
    /// The cue settings after the timing (`line:0 align:start`), as written.
    pub settings: String,
    /// The payload, lines joined by `\n`.
    pub text: String,
}

/// A cue's line: a line number (negative from the bottom) or a percentage of the video's height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CueLine {
    /// `line:N`.
    Number(f64),
    /// `line:N%`.
    Percent(f64),
}

/// The cue settings a player applies (`line`, `position`, `size`, `align`); others are ignored, as
/// are bad values (the WebVTT parser's rule).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CueSettings {
    /// `line:`.
    pub line: Option<CueLine>,
    /// `position:N%`.
    pub position: Option<f64>,
    /// `size:N%`.
    pub size: Option<f64>,
    /// `align:start|center|end|left|right`.
    pub align: Option<String>,
}

impl CueSettings {
    /// Reads a cue's settings text (`line:-2 align:start position:10%`).
    pub fn parse(text: &str) -> CueSettings {
        let percent = |v: &str| {
            v.strip_suffix('%')
                .and_then(crate::decimal::parse_decimal)
                .filter(|n| (0.0..=100.0).contains(n))
        };
        let mut out = CueSettings::default();
        for setting in text.split_ascii_whitespace() {
            let Some((name, value)) = setting.split_once(':') else {
                continue;
            };
            // `line:N[%][,align]`: the alignment after the comma is not kept.
            let value_main = value.split(',').next().unwrap_or_default();
            match name {
                "line" => {
                    out.line = match percent(value_main) {
                        Some(p) => Some(CueLine::Percent(p)),
                        None => crate::decimal::parse_decimal(value_main)
                            .filter(|n| n.is_finite())
                            .map(CueLine::Number),
                    }
                }
                "position" => out.position = percent(value_main),
                "size" => out.size = percent(value),
                "align" if matches!(value, "start" | "center" | "end" | "left" | "right") => {
                    out.align = Some(value.to_owned())
                }
                _ => {}
            }
        }
        out
    }
}

/// `X-TIMESTAMP-MAP=MPEGTS:<ts>,LOCAL:<time>`: the file's time `local` is the media's MPEG-2 time
/// `mpegts` (90 kHz).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimestampMap {
    /// MPEG-2 timestamp, 90 kHz units.
    pub mpegts: u64,
    /// The file's time that maps to it, seconds.
    pub local: f64,
}

impl TimestampMap {
    /// What to add to a cue time of this file for the media's timestamp in seconds: `mpegts / 90 kHz -
    /// local`. Without a map, HLS says cue times are media times already (offset 0).
    pub fn offset_secs(map: Option<&TimestampMap>) -> f64 {
        map.map_or(0.0, |m| m.mpegts as f64 / 90_000.0 - m.local)
    }
}

/// A parsed WebVTT file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebVtt {
    /// The header's `X-TIMESTAMP-MAP`, if any.
    pub timestamp_map: Option<TimestampMap>,
    /// The cues, in file order.
    pub cues: Vec<Cue>,
}

/// Why a file is not WebVTT.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebVttError {
    /// The file does not start with the `WEBVTT` signature.
    #[error("not WebVTT: no WEBVTT signature on the first line")]
    NoSignature,
    /// More than [`MAX_CUES`] cues.
    #[error("more than {MAX_CUES} cues")]
    TooManyCues,
}

/// A timestamp `[hh:]mm:ss.ttt` in seconds (hours any number of digits, the rest exactly as the spec
/// writes them).
pub fn parse_timestamp(s: &str) -> Option<f64> {
    let (clock, millis) = s.split_once('.')?;
    if millis.len() != 3 || !millis.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fields: Vec<&str> = clock.split(':').collect();
    let (hours, minutes, seconds) = match fields.as_slice() {
        [m, s] => ("0", *m, *s),
        [h, m, s] if !h.is_empty() && h.len() <= 10 && h.bytes().all(|b| b.is_ascii_digit()) => {
            (*h, *m, *s)
        }
        _ => return None,
    };
    let two = |f: &str| -> Option<u64> {
        (f.len() == 2 && f.bytes().all(|b| b.is_ascii_digit()))
            .then(|| f.parse().ok())
            .flatten()
    };
    let hours: u64 = hours.parse().ok()?;
    let minutes = two(minutes)?;
    let seconds = two(seconds)?;
    if minutes > 59 || seconds > 59 {
        return None;
    }
    let millis: u64 = millis.parse().ok()?;
    Some((hours * 3600 + minutes * 60 + seconds) as f64 + millis as f64 / 1000.0)
}

/// `MPEGTS:900000,LOCAL:00:00:00.000` (either order).
fn parse_timestamp_map(value: &str) -> Option<TimestampMap> {
    let (mut mpegts, mut local) = (None, None);
    for field in value.split(',') {
        let (key, v) = field.trim().split_once(':')?;
        match key {
            "MPEGTS" => mpegts = v.parse::<u64>().ok(),
            "LOCAL" => local = parse_timestamp(v),
            _ => {}
        }
    }
    Some(TimestampMap {
        mpegts: mpegts?,
        local: local?,
    })
}

/// The timing line `start --> end [settings]`, or `None` when it is not one.
fn parse_timing(line: &str) -> Option<(f64, f64, String)> {
    let (start, rest) = line.split_once("-->")?;
    let start = parse_timestamp(start.trim())?;
    let rest = rest.trim_start();
    let (end, settings) = match rest.find([' ', '\t']) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest, ""),
    };
    let end = parse_timestamp(end)?;
    Some((start, end, settings.to_owned()))
}

fn cut(mut text: String) -> String {
    if text.len() > MAX_CUE_TEXT {
        let mut at = MAX_CUE_TEXT;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
    }
    text
}

/// Parses a WebVTT file.
pub fn parse(text: &str) -> Result<WebVtt, WebVttError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut lines = normalized.split('\n');
    let signature = lines.next().unwrap_or_default();
    let after = signature
        .strip_prefix("WEBVTT")
        .ok_or(WebVttError::NoSignature)?;
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return Err(WebVttError::NoSignature);
    }
    let mut out = WebVtt::default();
    // The header, up to the first blank line.
    for line in lines.by_ref() {
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("X-TIMESTAMP-MAP=") {
            out.timestamp_map = parse_timestamp_map(value);
        }
    }
    // Blocks separated by blank lines.
    let mut block: Vec<&str> = Vec::new();
    for line in lines.chain(std::iter::once("")) {
        if !line.is_empty() {
            block.push(line);
            continue;
        }
        if block.is_empty() {
            continue;
        }
        if let Some(cue) = cue(&block) {
            if out.cues.len() == MAX_CUES {
                return Err(WebVttError::TooManyCues);
            }
            out.cues.push(cue);
        }
        block.clear();
    }
    Ok(out)
}

/// The cue a block is, if it is one (`NOTE`, `STYLE` and `REGION` blocks, and blocks without a
/// valid timing line, are not).
fn cue(block: &[&str]) -> Option<Cue> {
    let first = *block.first()?;
    if first.starts_with("NOTE") || first == "STYLE" || first == "REGION" {
        return None;
    }
    let (id, timing_at) = if first.contains("-->") {
        (None, 0)
    } else {
        (Some(first.to_owned()), 1)
    };
    let (start, end, settings) = parse_timing(block.get(timing_at)?)?;
    let text = block.get(timing_at + 1..).unwrap_or_default().join("\n");
    Some(Cue {
        id,
        start,
        end,
        settings,
        text: cut(text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hls_segment_with_a_timestamp_map() {
        let file = "WEBVTT\r\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\r\n\r\n1\r\n00:00:01.000 --> 00:00:02.500 line:0 align:start\r\nHello\r\n<i>world</i>\r\n\r\nNOTE a comment\r\n--> not a cue\r\n\r\n00:03.000 --> 00:04.000\r\nNo id\r\n";
        let vtt = parse(file).unwrap();
        assert_eq!(
            vtt.timestamp_map,
            Some(TimestampMap {
                mpegts: 126_000,
                local: 0.0
            })
        );
        assert_eq!(TimestampMap::offset_secs(vtt.timestamp_map.as_ref()), 1.4);
        assert_eq!(vtt.cues.len(), 2);
        assert_eq!(vtt.cues[0].id.as_deref(), Some("1"));
        assert_eq!((vtt.cues[0].start, vtt.cues[0].end), (1.0, 2.5));
        assert_eq!(vtt.cues[0].settings, "line:0 align:start");
        assert_eq!(vtt.cues[0].text, "Hello\n<i>world</i>");
        assert_eq!(vtt.cues[1].id, None);
        assert_eq!((vtt.cues[1].start, vtt.cues[1].end), (3.0, 4.0));
    }

    #[test]
    fn cue_settings() {
        let s = CueSettings::parse("line:-2 align:start position:10% size:80% vertical:rl");
        assert_eq!(s.line, Some(CueLine::Number(-2.0)));
        assert_eq!(s.align.as_deref(), Some("start"));
        assert_eq!((s.position, s.size), (Some(10.0), Some(80.0)));
        let s = CueSettings::parse("line:90%,end position:200% align:middle size");
        assert_eq!(s.line, Some(CueLine::Percent(90.0)));
        assert_eq!((s.position, s.align, s.size), (None, None, None));
        assert_eq!(CueSettings::parse(""), CueSettings::default());
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("01:02:03.004"), Some(3723.004));
        assert_eq!(parse_timestamp("100:00:00.000"), Some(360_000.0));
        assert_eq!(parse_timestamp("02:03.500"), Some(123.5));
        for bad in [
            "2:03.500",
            "02:60.000",
            "02:03.5",
            "02:03",
            "a:02:03.000",
            "",
            ":00.000",
            "+1:00:00.000",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?}");
        }
        assert_eq!(
            parse_timestamp_map("LOCAL:00:00:10.000,MPEGTS:900000"),
            Some(TimestampMap {
                mpegts: 900_000,
                local: 10.0
            })
        );
        assert_eq!(parse_timestamp_map("MPEGTS:x,LOCAL:00:00.000"), None);
    }

    #[test]
    fn bad_files_and_bad_cues() {
        assert_eq!(parse("WEBVTTX\n"), Err(WebVttError::NoSignature));
        assert_eq!(
            parse("1\n00:00.000 --> 00:01.000\n"),
            Err(WebVttError::NoSignature)
        );
        // A bad timing drops that cue only; a signature with a title and a BOM is fine.
        let vtt = parse(
            "\u{feff}WEBVTT title\n\n00:00.000 --> soon\nlost\n\n00:01.000 --> 00:02.000\nkept",
        )
        .unwrap();
        assert_eq!(vtt.cues.len(), 1);
        assert_eq!(vtt.cues[0].text, "kept");
        assert_eq!(parse("WEBVTT").unwrap(), WebVtt::default());
        let long = format!(
            "WEBVTT\n\n00:00.000 --> 00:01.000\n{}",
            "é".repeat(MAX_CUE_TEXT)
        );
        assert!(parse(&long).unwrap().cues[0].text.len() <= MAX_CUE_TEXT);
    }
}
