//! What `onair inspect` found, as plain data: printed as text by [`crate::render`] and as JSON by serde.
//! Building these from the media crate's parsed structures is pure ([`InitReport::new`],
//! [`SegmentReport::new`]), so the checks can be tested on hand-made values.

use std::fmt;

use onair_media::{InitSegment, MediaParams, MediaSegment};
use serde::Serialize;

/// How bad a violation is. Errors make the command exit non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A "SHOULD" of the spec, or a measurement off by more than the tolerance.
    Warning,
    /// A "MUST" of the spec, or something that could not be read at all.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// Where a violation is: the resource at fault and, for something listed in a playlist, the playlist, the
/// line and the media sequence number (and part index) it is listed under; for a fragment of a whole file,
/// its index and byte offset.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Location {
    /// The resource at fault: a playlist, init segment, segment or part (path or URL).
    pub uri: String,
    /// The playlist that lists it, when that is not `uri` itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub playlist: Option<String>,
    /// 1-based line in the playlist (`playlist`, or `uri` when that is the playlist).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Media sequence number of the segment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msn: Option<u64>,
    /// Part index within the segment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<usize>,
    /// Index of the fragment (`moof` + `mdat`) in a whole file, from 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fragment: Option<usize>,
    /// Offset in a whole file of the first byte of that fragment (or of the box at fault).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte: Option<usize>,
}

impl Location {
    /// The resource itself, no line.
    pub fn of(uri: impl Into<String>) -> Location {
        Location {
            uri: uri.into(),
            ..Location::default()
        }
    }

    /// A line of the playlist `uri`.
    pub fn line(uri: impl Into<String>, line: Option<usize>) -> Location {
        Location {
            uri: uri.into(),
            line,
            ..Location::default()
        }
    }

    /// This location with a media sequence number.
    pub fn with_msn(mut self, msn: u64) -> Location {
        self.msn = Some(msn);
        self
    }

    /// This location at `byte` of a whole file.
    pub fn at_byte(mut self, byte: usize) -> Location {
        self.byte = Some(byte);
        self
    }

    /// This location in fragment `index` of a whole file, which starts at `byte`.
    pub fn in_fragment(mut self, index: usize, byte: usize) -> Location {
        self.fragment = Some(index);
        self.byte = Some(byte);
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.uri)?;
        let mut context = Vec::new();
        match (&self.playlist, self.line) {
            (Some(p), Some(l)) => context.push(format!("{p}:{l}")),
            (Some(p), None) => context.push(p.clone()),
            (None, Some(l)) => context.push(format!("line {l}")),
            (None, None) => {}
        }
        if let Some(m) = self.msn {
            context.push(format!("msn {m}"));
        }
        if let Some(p) = self.part {
            context.push(format!("part {p}"));
        }
        match (self.fragment, self.byte) {
            (Some(f), Some(b)) => context.push(format!("fragment {f} at byte {b}")),
            (Some(f), None) => context.push(format!("fragment {f}")),
            (None, Some(b)) => context.push(format!("byte {b}")),
            (None, None) => {}
        }
        if !context.is_empty() {
            write!(f, " ({})", context.join(", "))?;
        }
        Ok(())
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Error or warning.
    pub severity: Severity,
    /// Stable identifier of the rule, e.g. `extinf-over-target`.
    pub code: &'static str,
    /// Where.
    pub location: Location,
    /// What, with the numbers.
    pub message: String,
    /// The spec rule, quoted briefly.
    pub rule: &'static str,
}

/// Everything one run found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The file or URL given on the command line.
    pub input: String,
    /// What it turned out to be, with its contents.
    #[serde(flatten)]
    pub subject: Subject,
    /// Errors among `violations`.
    pub errors: usize,
    /// Warnings among `violations`.
    pub warnings: usize,
    /// Every violation found, in the order found.
    pub violations: Vec<Violation>,
}

impl Report {
    /// A report of `subject` with these violations, counted.
    pub fn new(input: String, subject: Subject, violations: Vec<Violation>) -> Report {
        let errors = violations
            .iter()
            .filter(|v| v.severity == Severity::Error)
            .count();
        Report {
            input,
            subject,
            errors,
            warnings: violations.len() - errors,
            violations,
        }
    }
}

/// What the input is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    /// An init segment (`ftyp` + `moov`).
    Init {
        /// Its size in bytes.
        bytes: usize,
        /// Its tracks, when it demuxed.
        init: Option<InitReport>,
    },
    /// A media segment or part (`moof` + `mdat` pairs).
    Segment {
        /// The init segment it was read against.
        init_uri: String,
        /// That init's tracks.
        init: Option<InitReport>,
        /// Its fragments and samples, when it demuxed.
        segment: Option<SegmentReport>,
    },
    /// A whole fragmented MP4 file: `ftyp` + `moov`, then `moof` + `mdat` pairs, maybe an `mfra`.
    FragmentedFile {
        /// Its size in bytes.
        bytes: usize,
        /// Its tracks (the `moov`), when it demuxed.
        init: Option<InitReport>,
        /// Every fragment that demuxed, together: per track all its samples, keyframes and duration.
        total: Option<SegmentReport>,
        /// Every fragment, in file order.
        fragments: Vec<FragmentRow>,
        /// The movie fragment random access box, when there is one.
        mfra: Option<MfraReport>,
    },
    /// A media playlist and what it lists.
    MediaPlaylist(Box<MediaPlaylistReport>),
    /// A multivariant playlist and the media playlists it lists.
    MultivariantPlaylist(Box<MultivariantReport>),
}

/// One track of an init segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackReport {
    /// `track_ID`.
    pub id: u32,
    /// `video` or `audio`.
    pub kind: &'static str,
    /// RFC 6381 codec string derived from the configuration record.
    pub codec: String,
    /// Units per second (`mdhd`).
    pub timescale: u32,
    /// Picture width in pixels (video).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u16>,
    /// Picture height in pixels (video).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u16>,
    /// Channels (audio).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<u16>,
    /// Sample rate in Hz (audio).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_rate: Option<u32>,
}

/// The tracks of an init segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitReport {
    /// Tracks in `moov` order.
    pub tracks: Vec<TrackReport>,
    /// The `CODECS` value these tracks call for (video first).
    pub codecs: String,
}

impl InitReport {
    /// The report of a parsed init segment.
    pub fn new(init: &InitSegment) -> InitReport {
        let tracks = init
            .tracks
            .iter()
            .map(|t| {
                let (kind, width, height, channels, sample_rate) = match t.params {
                    MediaParams::Video { width, height } => {
                        ("video", Some(width), Some(height), None, None)
                    }
                    MediaParams::Audio {
                        channels,
                        sample_rate,
                    } => ("audio", None, None, Some(channels), Some(sample_rate)),
                };
                TrackReport {
                    id: t.id,
                    kind,
                    codec: t.codec_string(),
                    timescale: t.timescale,
                    width,
                    height,
                    channels,
                    sample_rate,
                }
            })
            .collect();
        InitReport {
            tracks,
            codecs: init.codecs(),
        }
    }

    /// The first video track.
    pub fn video(&self) -> Option<&TrackReport> {
        self.tracks.iter().find(|t| t.kind == "video")
    }

    /// Every track's codec string.
    pub fn codec_strings(&self) -> Vec<String> {
        self.tracks.iter().map(|t| t.codec.clone()).collect()
    }
}

/// One track's samples in a segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackSegmentReport {
    /// `track_ID`.
    pub track_id: u32,
    /// `video` or `audio`.
    pub kind: &'static str,
    /// Units per second of the times below.
    pub timescale: u32,
    /// Number of samples.
    pub samples: usize,
    /// Number of sync samples.
    pub keyframes: usize,
    /// True when the first sample is a sync sample.
    pub starts_with_keyframe: bool,
    /// `tfdt` of the first fragment, in `timescale` units.
    pub base_decode_time: u64,
    /// Decode time just after the last sample, in `timescale` units.
    pub end_decode_time: u64,
    /// Decode time of the first sample.
    pub first_dts: Option<u64>,
    /// Decode time of the last sample.
    pub last_dts: Option<u64>,
    /// `base_decode_time` in seconds.
    pub start_secs: f64,
    /// Sum of sample durations in seconds.
    pub duration_secs: f64,
    /// Sum of sample sizes in bytes.
    pub bytes: u64,
    /// Largest sample in bytes.
    pub largest_sample: u32,
}

/// A media segment or part, read against its init.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentReport {
    /// Size of the whole resource in bytes.
    pub bytes: usize,
    /// Number of `moof` + `mdat` pairs.
    pub fragments: usize,
    /// `mfhd` sequence numbers, one per fragment.
    pub sequence_numbers: Vec<u32>,
    /// Measured duration in seconds: the video track's, else the longest track's.
    pub duration_secs: f64,
    /// Start in seconds: the video track's base decode time, else the first track's.
    pub start_secs: f64,
    /// True when the video track (if any) starts with a sync sample.
    pub starts_with_keyframe: bool,
    /// Number of `prft` (producer reference time) boxes.
    pub producer_times: usize,
    /// Per track, in order of first appearance.
    pub tracks: Vec<TrackSegmentReport>,
}

impl SegmentReport {
    /// The report of a parsed segment of `bytes` bytes.
    pub fn new(init: &InitSegment, segment: &MediaSegment, bytes: usize) -> SegmentReport {
        let tracks = segment
            .tracks
            .iter()
            .map(|t| {
                let info = init.track(t.track_id);
                let timescale = info.map(|i| i.timescale).unwrap_or(1).max(1);
                let secs = |ticks: u64| ticks as f64 / f64::from(timescale);
                TrackSegmentReport {
                    track_id: t.track_id,
                    kind: match info {
                        Some(i) if i.is_video() => "video",
                        _ => "audio",
                    },
                    timescale,
                    samples: t.samples.len(),
                    keyframes: t.samples.iter().filter(|s| s.keyframe).count(),
                    starts_with_keyframe: t.samples.first().is_some_and(|s| s.keyframe),
                    base_decode_time: t.base_decode_time,
                    end_decode_time: t.end_decode_time(),
                    first_dts: t.samples.first().map(|s| s.dts),
                    last_dts: t.samples.last().map(|s| s.dts),
                    start_secs: secs(t.base_decode_time),
                    duration_secs: secs(t.duration()),
                    bytes: t.samples.iter().map(|s| u64::from(s.size)).sum(),
                    largest_sample: t.samples.iter().map(|s| s.size).max().unwrap_or(0),
                }
            })
            .collect();
        SegmentReport {
            bytes,
            fragments: segment.sequence_numbers.len(),
            sequence_numbers: segment.sequence_numbers.clone(),
            duration_secs: segment.duration_secs(init),
            start_secs: segment.start_secs(init),
            starts_with_keyframe: segment.starts_with_keyframe(init),
            producer_times: segment.producer_times.len(),
            tracks,
        }
    }

    /// Consecutive fragments as one, `None` for none: counts and sizes added track by track, the start
    /// from the first, the end from the last.
    pub fn joined(parts: &[&SegmentReport]) -> Option<SegmentReport> {
        let (first, rest) = parts.split_first()?;
        let mut whole = (*first).clone();
        for part in rest {
            whole.bytes += part.bytes;
            whole.fragments += part.fragments;
            whole
                .sequence_numbers
                .extend_from_slice(&part.sequence_numbers);
            whole.duration_secs += part.duration_secs;
            whole.producer_times += part.producer_times;
            for track in &part.tracks {
                match whole
                    .tracks
                    .iter_mut()
                    .find(|t| t.track_id == track.track_id)
                {
                    Some(t) => {
                        t.samples += track.samples;
                        t.keyframes += track.keyframes;
                        t.end_decode_time = track.end_decode_time;
                        t.first_dts = t.first_dts.or(track.first_dts);
                        t.last_dts = track.last_dts.or(t.last_dts);
                        t.duration_secs += track.duration_secs;
                        t.bytes += track.bytes;
                        t.largest_sample = t.largest_sample.max(track.largest_sample);
                    }
                    None => whole.tracks.push(track.clone()),
                }
            }
        }
        Some(whole)
    }

    /// True when some sample of a video track is a sync sample (or there is no video).
    pub fn has_keyframe(&self) -> bool {
        let mut video = self.tracks.iter().filter(|t| t.kind == "video").peekable();
        video.peek().is_none() || video.any(|t| t.keyframes > 0)
    }
}

/// One fragment of a whole file: a `moof`, the `mdat` after it and the boxes just before it (`styp`,
/// `sidx`, `prft`, `emsg`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FragmentRow {
    /// Index in the file, from 0.
    pub index: usize,
    /// Offset of its first byte in the file.
    pub byte: usize,
    /// Its size in bytes.
    pub bytes: usize,
    /// What was measured, when it demuxed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<SegmentReport>,
}

/// A movie fragment random access box (`mfra`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MfraReport {
    /// Offset of its first byte in the file.
    pub byte: usize,
    /// Its size in bytes.
    pub bytes: usize,
    /// Random access entries (`tfra`), over all tracks, when it could be read.
    pub entries: Option<usize>,
    /// The tracks it has entries for.
    pub tracks: Vec<u32>,
}

/// `EXT-X-SERVER-CONTROL`, as found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerControlReport {
    /// `CAN-BLOCK-RELOAD=YES`.
    pub can_block_reload: bool,
    /// `CAN-SKIP-UNTIL`, seconds.
    pub can_skip_until: Option<f64>,
    /// `HOLD-BACK`, seconds.
    pub hold_back: Option<f64>,
    /// `PART-HOLD-BACK`, seconds.
    pub part_hold_back: Option<f64>,
}

/// One `EXT-X-PART`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartRow {
    /// Media sequence number of its parent segment.
    pub msn: u64,
    /// Part index within the parent segment.
    pub index: usize,
    /// Line of the tag.
    pub line: Option<usize>,
    /// `URI` as written.
    pub uri: String,
    /// `DURATION`, seconds.
    pub duration_secs: f64,
    /// `INDEPENDENT=YES`.
    pub independent: bool,
    /// `GAP=YES`.
    pub gap: bool,
    /// What was measured, when it was fetched and demuxed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<SegmentReport>,
}

/// One segment of a media playlist.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentRow {
    /// Media sequence number.
    pub msn: u64,
    /// Line of its URI.
    pub line: Option<usize>,
    /// URI as written.
    pub uri: String,
    /// `EXTINF`, seconds.
    pub extinf_secs: f64,
    /// `EXT-X-DISCONTINUITY` before it.
    pub discontinuity: bool,
    /// `EXT-X-GAP`.
    pub gap: bool,
    /// Its `EXT-X-PART`s.
    pub parts: Vec<PartRow>,
    /// Size in bytes, when fetched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<usize>,
    /// What was measured, when it was fetched and demuxed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<SegmentReport>,
}

/// A media playlist and what was found in what it lists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MediaPlaylistReport {
    /// Where it is.
    pub uri: String,
    /// `EXT-X-VERSION`.
    pub version: Option<u64>,
    /// `EXT-X-TARGETDURATION`, whole seconds.
    pub target_duration: u64,
    /// `EXT-X-MEDIA-SEQUENCE`.
    pub media_sequence: u64,
    /// `EXT-X-DISCONTINUITY-SEQUENCE`.
    pub discontinuity_sequence: u64,
    /// `EXT-X-PLAYLIST-TYPE` (`VOD` or `EVENT`).
    pub playlist_type: Option<&'static str>,
    /// `EXT-X-ENDLIST`.
    pub ended: bool,
    /// `EXT-X-INDEPENDENT-SEGMENTS` here or in the multivariant playlist.
    pub independent_segments: bool,
    /// `EXT-X-PART-INF:PART-TARGET`, seconds.
    pub part_target: Option<f64>,
    /// `EXT-X-SERVER-CONTROL`.
    pub server_control: Option<ServerControlReport>,
    /// `EXT-X-SKIP:SKIPPED-SEGMENTS`.
    pub skipped_segments: u64,
    /// `EXT-X-MAP` URI.
    pub map_uri: Option<String>,
    /// The init segment's tracks, when fetched and demuxed.
    pub init: Option<InitReport>,
    /// Segments in order.
    pub segments: Vec<SegmentRow>,
    /// Parts of the segment being produced.
    pub trailing_parts: Vec<PartRow>,
    /// `EXT-X-PRELOAD-HINT` URI.
    pub preload_hint: Option<String>,
    /// Sum of `EXTINF`s, seconds.
    pub total_secs: f64,
    /// Peak segment bit rate (RFC 8216bis 4.4.6.2) of the fetched segments, bits per second.
    pub peak_bitrate: Option<u64>,
    /// Average bit rate of the fetched segments, bits per second.
    pub average_bitrate: Option<u64>,
}

/// One `EXT-X-STREAM-INF`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantRow {
    /// Line of the tag.
    pub line: Option<usize>,
    /// Media playlist URI as written.
    pub uri: String,
    /// `BANDWIDTH`.
    pub bandwidth: u64,
    /// `AVERAGE-BANDWIDTH`.
    pub average_bandwidth: Option<u64>,
    /// `CODECS`.
    pub codecs: Option<String>,
    /// `RESOLUTION`, `WxH`.
    pub resolution: Option<String>,
    /// `FRAME-RATE`.
    pub frame_rate: Option<f64>,
    /// `AUDIO` group.
    pub audio: Option<String>,
    /// Codec strings of the inits of this variant and its audio group.
    pub measured_codecs: Option<String>,
    /// Largest sum of peak segment bit rates over the renditions it plays, bits per second.
    pub measured_peak_bitrate: Option<u64>,
}

/// One `EXT-X-MEDIA`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenditionRow {
    /// Line of the tag.
    pub line: Option<usize>,
    /// `TYPE`.
    pub media_type: String,
    /// `GROUP-ID`.
    pub group_id: String,
    /// `NAME`.
    pub name: String,
    /// `DEFAULT=YES`.
    pub default: bool,
    /// `URI`, if it has its own media playlist.
    pub uri: Option<String>,
}

/// A multivariant playlist and the media playlists it lists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultivariantReport {
    /// Where it is.
    pub uri: String,
    /// `EXT-X-VERSION`.
    pub version: Option<u64>,
    /// `EXT-X-INDEPENDENT-SEGMENTS`.
    pub independent_segments: bool,
    /// Variants in order.
    pub variants: Vec<VariantRow>,
    /// Renditions in order.
    pub renditions: Vec<RenditionRow>,
    /// Every media playlist listed, once each, in order of first mention.
    pub media_playlists: Vec<MediaPlaylistReport>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_read_like_compiler_messages() {
        let cases = [
            (Location::of("a/init.mp4"), "a/init.mp4"),
            (
                Location::line("a/index.m3u8", Some(7)),
                "a/index.m3u8 (line 7)",
            ),
            (
                Location {
                    uri: "a/seg3.m4s".into(),
                    playlist: Some("a/index.m3u8".into()),
                    line: Some(12),
                    msn: Some(3),
                    part: Some(1),
                    ..Location::default()
                },
                "a/seg3.m4s (a/index.m3u8:12, msn 3, part 1)",
            ),
            (
                Location::of("a/rec.mp4").in_fragment(2, 1250),
                "a/rec.mp4 (fragment 2 at byte 1250)",
            ),
            (
                Location::line("a/index.m3u8", None).with_msn(4),
                "a/index.m3u8 (msn 4)",
            ),
        ];
        for (location, text) in cases {
            assert_eq!(location.to_string(), text);
        }
    }
}
