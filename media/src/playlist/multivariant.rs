//! The multivariant playlist (RFC 8216bis 4.4.6): `EXT-X-MEDIA` audio renditions and one
//! `EXT-X-STREAM-INF` per variant. Each tag is a type with paired `to_attributes`/`from_attributes`; the
//! playlist is rendered and parsed here, not through `m3u8-rs`, so that the two stay each other's inverse.
//!
//! ```text
//! #EXTM3U
//! #EXT-X-VERSION:7
//! #EXT-X-INDEPENDENT-SEGMENTS
//! #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="a0",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="a0/index.m3u8"
//! #EXT-X-STREAM-INF:BANDWIDTH=730400,AVERAGE-BANDWIDTH=690000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=25,AUDIO="audio"
//! v0/index.m3u8
//! ```

use super::attrs::{parse_attributes, AttributeValue};
use super::media::{PlaylistError, VERSION};
use super::tags::{integer, required, yes, Attributes};

const MEDIA_TAG: &str = "EXT-X-MEDIA";
const STREAM_INF_TAG: &str = "EXT-X-STREAM-INF";
const SESSION_DATA_TAG: &str = "EXT-X-SESSION-DATA";

/// `EXT-X-SESSION-DATA` with a `VALUE` (RFC 8216bis 4.4.6.4): "arbitrary session data", named by a
/// reverse-DNS `DATA-ID`. OnAir's origin names its beacon endpoint this way
/// ([`BEACONS_DATA_ID`]); players that do not know an id ignore it. Session data given by `URI`
/// instead of `VALUE` is skipped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionData {
    /// `DATA-ID`.
    pub data_id: String,
    /// `VALUE`.
    pub value: String,
}

/// The `DATA-ID` of the session data whose `VALUE` is where a player posts its playback beacons
/// (relative to the multivariant playlist).
pub const BEACONS_DATA_ID: &str = "com.onair.beacons";

/// `EXT-X-MEDIA` with `TYPE=AUDIO`: an audio rendition that variants name by its `GROUP-ID` in their
/// `AUDIO` attribute ("the EXT-X-MEDIA tag is used to relate Media Playlists that contain alternative
/// Renditions of the same content", RFC 8216bis 4.4.6.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AudioRendition {
    /// `GROUP-ID`: the group this rendition belongs to.
    pub group_id: String,
    /// `NAME`: "a human-readable description of the Rendition"; unique within the group.
    pub name: String,
    /// `LANGUAGE`: an RFC 5646 language tag; absent when unknown.
    pub language: Option<String>,
    /// `DEFAULT=YES`: "the client SHOULD play this Rendition of the content in the absence of information
    /// from the user indicating a different choice". At most one per group. Absent means NO.
    pub default: bool,
    /// `AUTOSELECT=YES`: the client may choose it without the user asking. "If the DEFAULT attribute is
    /// YES, then the value of this attribute MUST also be YES". Absent means NO.
    pub autoselect: bool,
    /// `CHANNELS`, as written: the count of audio channels first, optionally followed by `/` and more
    /// parameters (`"2"`, `"16/JOC"`).
    pub channels: Option<String>,
    /// `URI` of the rendition's media playlist, relative to the multivariant playlist. Absent: the
    /// rendition's media is in the playlist of every variant that names the group.
    pub uri: Option<String>,
}

impl AudioRendition {
    /// The attribute list.
    pub fn to_attributes(&self) -> String {
        let yes_no = |b: bool| if b { "YES" } else { "NO" };
        let mut s = format!(
            "TYPE=AUDIO,GROUP-ID=\"{}\",NAME=\"{}\"",
            self.group_id, self.name
        );
        if let Some(language) = &self.language {
            s.push_str(&format!(",LANGUAGE=\"{language}\""));
        }
        s.push_str(&format!(
            ",DEFAULT={},AUTOSELECT={}",
            yes_no(self.default),
            yes_no(self.autoselect)
        ));
        if let Some(channels) = &self.channels {
            s.push_str(&format!(",CHANNELS=\"{channels}\""));
        }
        if let Some(uri) = &self.uri {
            s.push_str(&format!(",URI=\"{uri}\""));
        }
        s
    }

    /// Parses the attribute list; a `TYPE` other than `AUDIO` is an error.
    pub fn from_attributes(text: &str) -> Result<AudioRendition, String> {
        Self::from_parsed(&parse_attributes(text)?)
    }

    fn from_parsed(a: &Attributes) -> Result<AudioRendition, String> {
        match required(a, MEDIA_TAG, "TYPE")? {
            "AUDIO" => {}
            other => return Err(format!("{MEDIA_TAG} TYPE={other} is not AUDIO")),
        }
        let optional = |name: &str| a.get(name).map(|v| v.as_str().to_string());
        Ok(AudioRendition {
            group_id: required(a, MEDIA_TAG, "GROUP-ID")?.to_string(),
            name: required(a, MEDIA_TAG, "NAME")?.to_string(),
            language: optional("LANGUAGE"),
            default: yes(a, "DEFAULT"),
            autoselect: yes(a, "AUTOSELECT"),
            channels: optional("CHANNELS"),
            uri: optional("URI"),
        })
    }
}

/// `EXT-X-MEDIA` with `TYPE=SUBTITLES`: a WebVTT subtitle rendition that variants name by its
/// `GROUP-ID` in their `SUBTITLES` attribute. Its `URI` is required (RFC 8216bis 4.4.6.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubtitleRendition {
    /// `GROUP-ID`.
    pub group_id: String,
    /// `NAME`: what the captions menu shows.
    pub name: String,
    /// `LANGUAGE`, an RFC 5646 tag.
    pub language: Option<String>,
    /// `DEFAULT=YES`: shown unless the viewer chooses otherwise.
    pub default: bool,
    /// `AUTOSELECT=YES`.
    pub autoselect: bool,
    /// `FORCED=YES`: only the parts of the content in another language.
    pub forced: bool,
    /// `URI` of its media playlist (of WebVTT segments), relative to the multivariant playlist.
    pub uri: String,
}

impl SubtitleRendition {
    /// The attribute list.
    pub fn to_attributes(&self) -> String {
        let yes_no = |b: bool| if b { "YES" } else { "NO" };
        let mut s = format!(
            "TYPE=SUBTITLES,GROUP-ID=\"{}\",NAME=\"{}\"",
            self.group_id, self.name
        );
        if let Some(language) = &self.language {
            s.push_str(&format!(",LANGUAGE=\"{language}\""));
        }
        s.push_str(&format!(
            ",DEFAULT={},AUTOSELECT={},FORCED={},URI=\"{}\"",
            yes_no(self.default),
            yes_no(self.autoselect),
            yes_no(self.forced),
            self.uri
        ));
        s
    }

    fn from_parsed(a: &Attributes) -> Result<SubtitleRendition, String> {
        Ok(SubtitleRendition {
            group_id: required(a, MEDIA_TAG, "GROUP-ID")?.to_string(),
            name: required(a, MEDIA_TAG, "NAME")?.to_string(),
            language: a.get("LANGUAGE").map(|v| v.as_str().to_string()),
            default: yes(a, "DEFAULT"),
            autoselect: yes(a, "AUTOSELECT"),
            forced: yes(a, "FORCED"),
            uri: required(a, MEDIA_TAG, "URI")?.to_string(),
        })
    }
}

/// `EXT-X-STREAM-INF` and the URI line after it: one variant of a multivariant playlist.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Variant {
    /// URI of the media playlist, relative to the multivariant playlist (the line after the tag).
    pub uri: String,
    /// `BANDWIDTH`, in bits per second: the peak segment bit rate of the variant, audio group included.
    /// Written as at least 1.
    pub bandwidth: u64,
    /// `AVERAGE-BANDWIDTH`, in bits per second, audio group included.
    pub average_bandwidth: Option<u64>,
    /// `CODECS`, RFC 6381, comma-separated: every format in the variant and its audio group. Not
    /// written when empty.
    pub codecs: String,
    /// `RESOLUTION`, width and height in pixels.
    pub resolution: Option<(u16, u16)>,
    /// `FRAME-RATE`, in frames per second, written with at most three decimals.
    pub frame_rate: Option<f64>,
    /// `AUDIO`: the `GROUP-ID` of the [`AudioRendition`]s that play with this variant.
    pub audio: Option<String>,
    /// `SUBTITLES`: the `GROUP-ID` of its subtitle renditions.
    pub subtitles: Option<String>,
}

impl Variant {
    /// The attribute list (the URI is not part of it).
    pub fn to_attributes(&self) -> String {
        let mut s = format!("BANDWIDTH={}", self.bandwidth.max(1));
        if let Some(average) = self.average_bandwidth {
            s.push_str(&format!(",AVERAGE-BANDWIDTH={average}"));
        }
        if !self.codecs.is_empty() {
            s.push_str(&format!(",CODECS=\"{}\"", self.codecs));
        }
        if let Some((w, h)) = self.resolution {
            s.push_str(&format!(",RESOLUTION={w}x{h}"));
        }
        if let Some(rate) = self.frame_rate {
            s.push_str(&format!(",FRAME-RATE={}", format_frame_rate(rate)));
        }
        if let Some(group) = &self.audio {
            s.push_str(&format!(",AUDIO=\"{group}\""));
        }
        if let Some(group) = &self.subtitles {
            s.push_str(&format!(",SUBTITLES=\"{group}\""));
        }
        s
    }

    /// Parses the attribute list; the answer's `uri` is empty (it is the next line of the playlist).
    pub fn from_attributes(text: &str) -> Result<Variant, String> {
        let a = parse_attributes(text)?;
        let tag = STREAM_INF_TAG;
        let resolution = match a.get("RESOLUTION").map(AttributeValue::as_str) {
            None => None,
            Some(r) => Some(
                r.split_once('x')
                    .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                    .ok_or_else(|| format!("{tag} RESOLUTION {r:?} is not WIDTHxHEIGHT"))?,
            ),
        };
        let frame_rate = match a.get("FRAME-RATE").map(AttributeValue::as_str) {
            None => None,
            Some(r) => Some(
                crate::decimal::parse_decimal(r)
                    .filter(|x| x.is_finite() && *x > 0.0)
                    .ok_or_else(|| format!("{tag} FRAME-RATE {r:?} is not a positive number"))?,
            ),
        };
        Ok(Variant {
            uri: String::new(),
            bandwidth: integer(&a, tag, "BANDWIDTH")?
                .ok_or_else(|| format!("{tag} without BANDWIDTH"))?,
            average_bandwidth: integer(&a, tag, "AVERAGE-BANDWIDTH")?,
            codecs: a
                .get("CODECS")
                .map(|v| v.as_str().to_string())
                .unwrap_or_default(),
            resolution,
            frame_rate,
            audio: a.get("AUDIO").map(|v| v.as_str().to_string()),
            subtitles: a.get("SUBTITLES").map(|v| v.as_str().to_string()),
        })
    }
}

/// `FRAME-RATE`: "a decimal-floating-point describing the maximum frame rate ... rounded to three
/// decimal places" (RFC 8216bis 4.4.6.2), without trailing zeros ("25", "29.97").
fn format_frame_rate(rate: f64) -> String {
    let s = format!("{rate:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A multivariant playlist: its audio renditions and its variants. `EXT-X-INDEPENDENT-SEGMENTS` is always
/// written (every segment starts with a keyframe).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MultivariantPlaylist {
    /// The `EXT-X-MEDIA:TYPE=AUDIO` tags, in order.
    pub audio: Vec<AudioRendition>,
    /// The `EXT-X-MEDIA:TYPE=SUBTITLES` tags, in order.
    pub subtitles: Vec<SubtitleRendition>,
    /// The variants, in order.
    pub variants: Vec<Variant>,
    /// The `EXT-X-SESSION-DATA` tags that have a `VALUE`, in order.
    pub session_data: Vec<SessionData>,
}

impl MultivariantPlaylist {
    /// The playlist text: the header, every `EXT-X-SESSION-DATA`, every `EXT-X-MEDIA`, then every `EXT-X-STREAM-INF` with its URI.
    pub fn render(&self) -> String {
        let mut out = format!("#EXTM3U\n#EXT-X-VERSION:{VERSION}\n#EXT-X-INDEPENDENT-SEGMENTS\n");
        for data in &self.session_data {
            out.push_str(&format!(
                "#{SESSION_DATA_TAG}:DATA-ID=\"{}\",VALUE=\"{}\"\n",
                data.data_id, data.value
            ));
        }
        for audio in &self.audio {
            out.push_str(&format!("#{MEDIA_TAG}:{}\n", audio.to_attributes()));
        }
        for subtitles in &self.subtitles {
            out.push_str(&format!("#{MEDIA_TAG}:{}\n", subtitles.to_attributes()));
        }
        for variant in &self.variants {
            out.push_str(&format!(
                "#{STREAM_INF_TAG}:{}\n{}\n",
                variant.to_attributes(),
                variant.uri
            ));
        }
        out
    }

    /// Parses a multivariant playlist. Tags the model has no field for (`EXT-X-MEDIA` of other types,
    /// `EXT-X-I-FRAME-STREAM-INF`, session data by URI, ...) are skipped; a URI line that no `EXT-X-STREAM-INF`
    /// precedes (a media playlist's segment), a variant without a URI, or no variant at all is an error.
    pub fn parse(text: &str) -> Result<MultivariantPlaylist, PlaylistError> {
        let syntax = |reason: &str| PlaylistError::Multivariant(reason.to_string());
        let tag_error =
            |tag: &'static str| move |reason: String| PlaylistError::Tag { tag, reason };
        let mut lines = text
            .trim_start_matches('\u{feff}')
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty());
        if lines.next() != Some("#EXTM3U") {
            return Err(syntax("the first line is not #EXTM3U"));
        }
        let mut playlist = MultivariantPlaylist::default();
        let mut pending: Option<Variant> = None;
        for line in lines {
            if let Some(attributes) = tag_value(line, STREAM_INF_TAG) {
                if pending.is_some() {
                    return Err(syntax("EXT-X-STREAM-INF without a URI line"));
                }
                pending =
                    Some(Variant::from_attributes(attributes).map_err(tag_error(STREAM_INF_TAG))?);
            } else if let Some(attributes) = tag_value(line, MEDIA_TAG) {
                let a = parse_attributes(attributes).map_err(tag_error(MEDIA_TAG))?;
                match a.get("TYPE").map(AttributeValue::as_str) {
                    Some("AUDIO") => playlist
                        .audio
                        .push(AudioRendition::from_parsed(&a).map_err(tag_error(MEDIA_TAG))?),
                    Some("SUBTITLES") => playlist
                        .subtitles
                        .push(SubtitleRendition::from_parsed(&a).map_err(tag_error(MEDIA_TAG))?),
                    _ => {}
                }
            } else if let Some(attributes) = tag_value(line, SESSION_DATA_TAG) {
                let a = parse_attributes(attributes).map_err(tag_error(SESSION_DATA_TAG))?;
                if let Some(value) = a.get("VALUE") {
                    playlist.session_data.push(SessionData {
                        data_id: required(&a, SESSION_DATA_TAG, "DATA-ID")
                            .map_err(tag_error(SESSION_DATA_TAG))?
                            .to_string(),
                        value: value.as_str().to_string(),
                    });
                }
            } else if !line.starts_with('#') {
                let mut variant = pending.take().ok_or_else(|| {
                    syntax(&format!("URI line {line:?} without EXT-X-STREAM-INF"))
                })?;
                variant.uri = line.to_string();
                playlist.variants.push(variant);
            }
        }
        if pending.is_some() {
            return Err(syntax("EXT-X-STREAM-INF without a URI line"));
        }
        if playlist.variants.is_empty() {
            return Err(syntax("no EXT-X-STREAM-INF"));
        }
        Ok(playlist)
    }
}

/// The attribute list of `line` when it is the tag `name` (`#NAME:attributes`).
fn tag_value<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    line.strip_prefix('#')?
        .strip_prefix(name)?
        .strip_prefix(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn english() -> AudioRendition {
        AudioRendition {
            group_id: "aud".into(),
            name: "English".into(),
            language: Some("en".into()),
            default: true,
            autoselect: true,
            channels: Some("2".into()),
            uri: Some("a0/index.m3u8".into()),
        }
    }

    #[test]
    fn audio_rendition_round_trips() {
        let a = english();
        assert_eq!(
            a.to_attributes(),
            r#"TYPE=AUDIO,GROUP-ID="aud",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="a0/index.m3u8""#
        );
        assert_eq!(AudioRendition::from_attributes(&a.to_attributes()), Ok(a));
        let bare = AudioRendition {
            group_id: "g".into(),
            name: "n".into(),
            ..AudioRendition::default()
        };
        assert_eq!(
            bare.to_attributes(),
            r#"TYPE=AUDIO,GROUP-ID="g",NAME="n",DEFAULT=NO,AUTOSELECT=NO"#
        );
        assert_eq!(
            AudioRendition::from_attributes(&bare.to_attributes()),
            Ok(bare)
        );
        // As ffmpeg 5.1 writes it (no AUTOSELECT, no CHANNELS); a channel layout after the count.
        let ffmpeg = AudioRendition::from_attributes(
            r#"TYPE=AUDIO,GROUP-ID="group_aud",NAME="audio_2",DEFAULT=YES,URI="stream_2/index.m3u8",CHANNELS="16/JOC""#,
        )
        .unwrap();
        assert!(ffmpeg.default && !ffmpeg.autoselect);
        assert_eq!(ffmpeg.channels.as_deref(), Some("16/JOC"));
        assert_eq!(ffmpeg.uri.as_deref(), Some("stream_2/index.m3u8"));
    }

    #[test]
    fn bad_audio_renditions_are_errors() {
        for bad in [
            r#"GROUP-ID="g",NAME="n""#,
            r#"TYPE=SUBTITLES,GROUP-ID="g",NAME="n""#,
            r#"TYPE=AUDIO,NAME="n""#,
            r#"TYPE=AUDIO,GROUP-ID="g""#,
            r#"TYPE=AUDIO,GROUP-ID="g,NAME="n""#,
        ] {
            assert!(AudioRendition::from_attributes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn variant_round_trips() {
        let v = Variant {
            uri: String::new(),
            bandwidth: 730_400,
            average_bandwidth: Some(690_000),
            codecs: "avc1.64001e,mp4a.40.2".into(),
            resolution: Some((640, 360)),
            frame_rate: Some(29.97),
            audio: Some("aud".into()),
            subtitles: None,
        };
        assert_eq!(
            v.to_attributes(),
            r#"BANDWIDTH=730400,AVERAGE-BANDWIDTH=690000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=29.97,AUDIO="aud""#
        );
        assert_eq!(Variant::from_attributes(&v.to_attributes()), Ok(v));
        let audio_only = Variant {
            bandwidth: 0,
            codecs: "opus".into(),
            ..Variant::default()
        };
        assert_eq!(audio_only.to_attributes(), r#"BANDWIDTH=1,CODECS="opus""#);
        for bad in [
            "AVERAGE-BANDWIDTH=1",
            "BANDWIDTH=x",
            "BANDWIDTH=1,RESOLUTION=640",
            "BANDWIDTH=1,RESOLUTION=640x",
            "BANDWIDTH=1,FRAME-RATE=-1",
        ] {
            assert!(Variant::from_attributes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn frame_rates_have_at_most_three_decimals() {
        let cases = [
            (25.0, "25"),
            (29.97002997, "29.97"),
            (23.976, "23.976"),
            (59.9999, "60"),
        ];
        for (rate, text) in cases {
            assert_eq!(format_frame_rate(rate), text, "{rate}");
        }
    }
}
