//! Reading a media playlist, line by line, in one pass: the segment tags gathered until their URI, the
//! parts listed before a segment's `EXTINF` given to it and those after the last one kept as the
//! segment being produced, the playlist-level and Low-Latency tags wherever they stand.
//!
//! Written here rather than through m3u8-rs's parser (which still writes our playlists): its nom parser
//! with chrono dates and its attribute hash maps made a third of the player's playlist code, which
//! ships to every viewer, and it drops every line after the last URI anyway (the LL-HLS tail).

use super::access::{ByteRange, KeyMethod, SegmentKey};
use super::date;
use super::media::{MediaPlaylist, PlaylistError, PlaylistSegment, PlaylistType};
use super::tags::{
    part_inf_from_attributes, skip_from_attributes, Attributes, Part, PreloadHint, PreloadHintType,
    RenditionReport, ServerControl,
};

/// Segment tags seen since the last URI.
#[derive(Default)]
struct Pending {
    duration_secs: Option<f64>,
    byte_range: Option<(u64, Option<u64>)>,
    discontinuity: bool,
    gap: bool,
    program_date_time: Option<String>,
    parts: Vec<Part>,
    new_map: Option<(String, Option<ByteRange>)>,
}

impl MediaPlaylist {
    /// Reads a media playlist, low-latency tags included. Unknown tags and comments are skipped;
    /// a malformed known tag is an error naming it.
    pub fn parse(text: &str) -> Result<MediaPlaylist, PlaylistError> {
        let syntax = |reason: &str| PlaylistError::Syntax(reason.to_string());
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        if lines.next() != Some("#EXTM3U") {
            return Err(syntax("the first line is not #EXTM3U"));
        }
        let mut playlist = MediaPlaylist::default();
        let mut pending = Pending::default();
        let mut map_in_force: (String, Option<ByteRange>) = (String::new(), None);
        let mut key_in_force: Option<SegmentKey> = None;
        // Where the last sub-range of a resource ended, for a range without an offset.
        let mut range_end: Option<(String, u64)> = None;
        for line in lines {
            let Some(tag_line) = line.strip_prefix("#EXT") else {
                if line.starts_with('#') {
                    continue;
                }
                let duration_secs = pending
                    .duration_secs
                    .take()
                    .ok_or_else(|| syntax("a segment URI without EXTINF"))?;
                let byte_range = match pending.byte_range.take() {
                    Some((length, offset)) => {
                        let previous = range_end
                            .as_ref()
                            .filter(|(uri, _)| uri == line)
                            .map(|(_, end)| *end);
                        let r = ByteRange::resolve("EXT-X-BYTERANGE", length, offset, previous)?;
                        range_end = Some((line.to_string(), r.end()));
                        Some(r)
                    }
                    None => {
                        range_end = None;
                        None
                    }
                };
                let p = std::mem::take(&mut pending);
                let (map_uri, map_byte_range) = match p.new_map {
                    Some((uri, range)) => (Some(uri), range),
                    None => (None, None),
                };
                playlist.segments.push(PlaylistSegment {
                    uri: line.to_string(),
                    duration_secs,
                    discontinuity: p.discontinuity,
                    program_date_time: p.program_date_time,
                    gap: p.gap,
                    parts: p.parts,
                    map_uri,
                    map_byte_range,
                    byte_range,
                    key: key_in_force.clone(),
                });
                continue;
            };
            let (tag, value) = tag_line.split_once(':').unwrap_or((tag_line, ""));
            match tag {
                "INF" => {
                    let duration = value.split(',').next().unwrap_or("").trim();
                    pending.duration_secs = Some(
                        crate::decimal::parse_decimal(duration)
                            .filter(|d| d.is_finite() && *d >= 0.0)
                            .ok_or_else(|| syntax("EXTINF is not a non-negative number"))?,
                    );
                }
                "-X-TARGETDURATION" => {
                    playlist.target_duration = crate::decimal::parse_decimal(value)
                        .filter(|d| d.is_finite() && *d >= 0.0 && *d < 1e9)
                        .map(|d| d.ceil() as u64)
                        .ok_or_else(|| syntax("EXT-X-TARGETDURATION is not a number"))?
                }
                "-X-MEDIA-SEQUENCE" => {
                    playlist.media_sequence = integer("EXT-X-MEDIA-SEQUENCE", value)?;
                }
                "-X-DISCONTINUITY-SEQUENCE" => {
                    playlist.discontinuity_sequence =
                        integer("EXT-X-DISCONTINUITY-SEQUENCE", value)?;
                }
                "-X-PLAYLIST-TYPE" => {
                    playlist.playlist_type = match value {
                        "VOD" => Some(PlaylistType::Vod),
                        "EVENT" => Some(PlaylistType::Event),
                        _ => None,
                    }
                }
                "-X-ENDLIST" => playlist.ended = true,
                "-X-STREAM-INF" => return Err(syntax("a multivariant playlist")),
                "-X-DISCONTINUITY" => pending.discontinuity = true,
                "-X-GAP" => pending.gap = true,
                "-X-PROGRAM-DATE-TIME" => {
                    pending.program_date_time = date::parse_millis(value).map(date::format_millis)
                }
                "-X-BYTERANGE" => pending.byte_range = Some(byte_range("EXT-X-BYTERANGE", value)?),
                "-X-KEY" => key_in_force = key(value)?,
                "-X-MAP" => {
                    let a = tag_err("EXT-X-MAP", super::parse_attributes(value))?;
                    let uri = a
                        .get("URI")
                        .map(|u| u.as_str().to_string())
                        .ok_or_else(|| PlaylistError::Tag {
                            tag: "EXT-X-MAP",
                            reason: "no URI".into(),
                        })?;
                    let range = match a.get("BYTERANGE") {
                        Some(r) => {
                            let (length, offset) = byte_range("EXT-X-MAP", r.as_str())?;
                            Some(ByteRange::resolve("EXT-X-MAP", length, offset, None)?)
                        }
                        None => None,
                    };
                    let map = (uri, range);
                    if playlist.map_uri.is_empty() {
                        (playlist.map_uri, playlist.map_byte_range) = map.clone();
                    } else if map != map_in_force {
                        pending.new_map = Some(map.clone());
                    }
                    map_in_force = map;
                }
                "-X-PART" => pending
                    .parts
                    .push(tag_err("EXT-X-PART", Part::from_attributes(value))?),
                "-X-PRELOAD-HINT" => playlist.add_preload_hint(tag_err(
                    "EXT-X-PRELOAD-HINT",
                    PreloadHint::from_attributes(value),
                )?),
                "-X-RENDITION-REPORT" => playlist.rendition_reports.push(tag_err(
                    "EXT-X-RENDITION-REPORT",
                    RenditionReport::from_attributes(value),
                )?),
                "-X-SERVER-CONTROL" => {
                    playlist.server_control = Some(tag_err(
                        "EXT-X-SERVER-CONTROL",
                        ServerControl::from_attributes(value),
                    )?)
                }
                "-X-PART-INF" => {
                    playlist.part_target =
                        Some(tag_err("EXT-X-PART-INF", part_inf_from_attributes(value))?)
                }
                "-X-SKIP" => {
                    playlist.skipped_segments = tag_err("EXT-X-SKIP", skip_from_attributes(value))?
                }
                _ => {}
            }
        }
        // The parts after the last URI: the segment being produced.
        playlist.trailing_parts = pending.parts;
        Ok(playlist)
    }

    /// "a Playlist MAY contain ... one EXT-X-PRELOAD-HINT tag of each TYPE": a `PART` hint goes to
    /// [`Self::preload_hint`], a `MAP` hint beside it to [`Self::preload_map_hint`] (or to the first
    /// field when it is the only one).
    fn add_preload_hint(&mut self, hint: PreloadHint) {
        let part_hint_known = self
            .preload_hint
            .as_ref()
            .is_some_and(|h| h.hint_type == PreloadHintType::Part);
        if hint.hint_type == PreloadHintType::Map && part_hint_known {
            self.preload_map_hint = Some(hint);
        } else if hint.hint_type == PreloadHintType::Part {
            // A MAP hint seen first moves to its own field.
            if let Some(map) = self.preload_hint.replace(hint) {
                self.preload_map_hint = Some(map);
            }
        } else {
            self.preload_hint = Some(hint);
        }
    }
}

fn integer(tag: &'static str, value: &str) -> Result<u64, PlaylistError> {
    value.parse::<u64>().map_err(|_| PlaylistError::Tag {
        tag,
        reason: format!("{value:.40} is not a decimal integer"),
    })
}

/// `<n>[@<o>]`: the length and the offset if given.
fn byte_range(tag: &'static str, text: &str) -> Result<(u64, Option<u64>), PlaylistError> {
    let bad = || PlaylistError::Tag {
        tag,
        reason: format!("BYTERANGE {text:.40} is not <n>[@<o>]"),
    };
    let (length, offset) = match text.split_once('@') {
        Some((n, o)) => (n, Some(o.parse::<u64>().map_err(|_| bad())?)),
        None => (text, None),
    };
    Ok((length.parse::<u64>().map_err(|_| bad())?, offset))
}

/// `EXT-X-KEY`: the key in force from here on, `None` for `METHOD=NONE`.
fn key(value: &str) -> Result<Option<SegmentKey>, PlaylistError> {
    let a: Attributes = tag_err("EXT-X-KEY", super::parse_attributes(value))?;
    let bad = |reason: &str| PlaylistError::Tag {
        tag: "EXT-X-KEY",
        reason: reason.to_string(),
    };
    let method = match a.get("METHOD").map(|m| m.as_str()) {
        Some("NONE") => return Ok(None),
        Some("AES-128") => KeyMethod::Aes128,
        Some("SAMPLE-AES") => KeyMethod::SampleAes,
        Some(other) => KeyMethod::Other(other.chars().take(64).collect()),
        None => return Err(bad("no METHOD")),
    };
    let uri = a
        .get("URI")
        .map(|u| u.as_str().to_string())
        .filter(|u| !u.is_empty())
        .ok_or_else(|| bad("a method other than NONE without URI"))?;
    let iv = tag_err(
        "EXT-X-KEY",
        a.get("IV")
            .map(|iv| super::access::parse_iv(iv.as_str()))
            .transpose(),
    )?;
    Ok(Some(SegmentKey {
        method,
        uri,
        iv,
        key_format: a.get("KEYFORMAT").map(|f| f.as_str().to_string()),
    }))
}

fn tag_err<T>(tag: &'static str, r: Result<T, String>) -> Result<T, PlaylistError> {
    r.map_err(|reason| PlaylistError::Tag { tag, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_segments_their_tags_and_the_segment_being_produced() {
        let text = "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n\
            #EXT-X-MAP:URI=\"init.mp4\"\n#EXT-X-PROGRAM-DATE-TIME:2026-11-23T12:22:14.470+0000\n\
            #EXT-X-PART:DURATION=1,URI=\"7.0.m4s\",INDEPENDENT=YES\n#EXTINF:2.002,\n7.m4s\n\
            # a comment\n#EXT-X-DISCONTINUITY\n#EXT-X-GAP\n#EXTINF:1.5,title\n8.m4s\n\
            #EXT-X-PART:DURATION=1,URI=\"9.0.m4s\"\n\
            #EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"9.1.m4s\"\n";
        let p = MediaPlaylist::parse(text).unwrap();
        assert_eq!((p.target_duration, p.media_sequence), (2, 7));
        assert_eq!(p.map_uri, "init.mp4");
        assert_eq!(p.segments.len(), 2);
        let first = &p.segments[0];
        assert_eq!(first.duration_secs, 2.002);
        assert_eq!(first.parts.len(), 1);
        assert_eq!(
            first.program_date_time.as_deref(),
            Some("2026-11-23T12:22:14.470Z")
        );
        assert!(p.segments[1].discontinuity && p.segments[1].gap);
        assert_eq!(p.trailing_parts.len(), 1);
        assert_eq!(
            p.preload_hint.as_ref().map(|h| h.uri.as_str()),
            Some("9.1.m4s")
        );
        assert_eq!(p.last_msn(), Some(8));
    }

    #[test]
    fn refuses_what_is_not_a_media_playlist() {
        for (text, why) in [
            ("", "empty"),
            ("#EXTINF:2,\na.ts\n", "no #EXTM3U"),
            ("#EXTM3U\na.ts\n", "a URI without EXTINF"),
            ("#EXTM3U\n#EXTINF:x,\na.ts\n", "EXTINF not a number"),
            ("#EXTM3U\n#EXTINF:-1,\na.ts\n", "a negative EXTINF"),
            ("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:-3\n", "a negative sequence"),
            (
                "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n",
                "multivariant",
            ),
            ("#EXTM3U\n#EXT-X-KEY:METHOD=AES-128\n", "a key without URI"),
            (
                "#EXTM3U\n#EXT-X-MAP:BYTERANGE=\"1@0\"\n",
                "a map without URI",
            ),
            (
                "#EXTM3U\n#EXT-X-BYTERANGE:10\n#EXTINF:1,\na.ts\n",
                "no offset",
            ),
        ] {
            assert!(MediaPlaylist::parse(text).is_err(), "{why}");
        }
    }

    #[test]
    fn keys_hold_until_the_next_and_none_ends_them() {
        let text = "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0x01\n#EXTINF:1,\na.ts\n\
            #EXTINF:1,\nb.ts\n#EXT-X-KEY:METHOD=NONE\n#EXTINF:1,\nc.ts\n";
        let p = MediaPlaylist::parse(text).unwrap();
        let keys: Vec<bool> = p.segments.iter().map(|s| s.key.is_some()).collect();
        assert_eq!(keys, [true, true, false]);
        assert_eq!(
            p.segments[0]
                .key
                .as_ref()
                .and_then(|k| k.iv)
                .map(|iv| iv[15]),
            Some(1)
        );
    }
}
