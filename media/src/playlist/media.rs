//! The media playlist: segments, their parts, and the Low-Latency HLS tags around them.

use super::format_secs;
use super::tags::{
    part_inf_from_attributes, skip_from_attributes, Part, PreloadHint, PreloadHintType,
    RenditionReport, ServerControl,
};
use thiserror::Error;

/// Protocol version written without low-latency features: 7 covers fMP4 with EXT-X-MAP (RFC 8216bis 8).
pub(crate) const VERSION: usize = 7;
/// Protocol version written with parts or delta updates ("EXT-X-SKIP ... version 9 or higher").
const LOW_LATENCY_VERSION: usize = 9;

/// Why a playlist could not be read.
#[derive(Debug, Error, PartialEq, Eq, Clone)]
#[non_exhaustive]
pub enum PlaylistError {
    /// Not an HLS media playlist at all.
    #[error("not an HLS media playlist: {0}")]
    Syntax(String),
    /// Not an HLS multivariant playlist.
    #[error("not an HLS multivariant playlist: {0}")]
    Multivariant(String),
    /// A tag whose attributes are malformed.
    #[error("bad {tag}: {reason}")]
    Tag {
        /// The tag.
        tag: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// `EXT-X-PLAYLIST-TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaylistType {
    /// `VOD`: the playlist will not change.
    Vod,
    /// `EVENT`: segments are only added.
    Event,
}

/// One segment of a media playlist.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlaylistSegment {
    /// URI, relative to the playlist.
    pub uri: String,
    /// `EXTINF` duration in seconds.
    pub duration_secs: f64,
    /// `EXT-X-DISCONTINUITY` before this segment.
    pub discontinuity: bool,
    /// `EXT-X-PROGRAM-DATE-TIME` of the segment's first sample, RFC 3339.
    pub program_date_time: Option<String>,
    /// `EXT-X-GAP`: the segment is missing.
    pub gap: bool,
    /// `EXT-X-PART` tags of this segment's parts (listed before its `EXTINF`).
    pub parts: Vec<Part>,
    /// `EXT-X-MAP` URI that takes effect at this segment when it differs from the one in force before
    /// it (a new init segment after a discontinuity); `None`: the one in force stays (the playlist's
    /// [`MediaPlaylist::map_uri`] for the first segment).
    pub map_uri: Option<String>,
}

/// A media playlist snapshot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MediaPlaylist {
    /// `EXT-X-TARGETDURATION`, in whole seconds: at least every segment's duration rounded.
    pub target_duration: u64,
    /// `EXT-X-MEDIA-SEQUENCE`: the sequence number of the first segment (skipped ones included).
    pub media_sequence: u64,
    /// `EXT-X-DISCONTINUITY-SEQUENCE`.
    pub discontinuity_sequence: u64,
    /// `EXT-X-MAP` URI of the init segment.
    pub map_uri: String,
    /// Segments in order (after the skipped ones).
    pub segments: Vec<PlaylistSegment>,
    /// `EXT-X-ENDLIST`: no more segments will be added.
    pub ended: bool,
    /// `EXT-X-PLAYLIST-TYPE`.
    pub playlist_type: Option<PlaylistType>,
    /// `EXT-X-PART-INF:PART-TARGET`, in seconds; present when the playlist lists parts.
    pub part_target: Option<f64>,
    /// `EXT-X-SERVER-CONTROL`.
    pub server_control: Option<ServerControl>,
    /// `EXT-X-SKIP:SKIPPED-SEGMENTS`: segments left out of this delta update (0 for a full playlist).
    pub skipped_segments: u64,
    /// Parts of the segment being produced, after the last complete segment.
    pub trailing_parts: Vec<Part>,
    /// `EXT-X-PRELOAD-HINT` for the next part.
    pub preload_hint: Option<PreloadHint>,
    /// `EXT-X-PRELOAD-HINT:TYPE=MAP`: the init segment the next part will need, when the server names
    /// one ("a Playlist MAY contain ... one EXT-X-PRELOAD-HINT tag of each TYPE"). [`Self::preload_hint`]
    /// holds a `TYPE=PART` hint, or a `MAP` hint when the playlist has only that one.
    pub preload_map_hint: Option<PreloadHint>,
    /// `EXT-X-RENDITION-REPORT`s for the other renditions.
    pub rendition_reports: Vec<RenditionReport>,
}

fn write_m3u8(p: &m3u8_rs::MediaPlaylist) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = p.write_to(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn ext(tag: &str, attributes: String) -> m3u8_rs::ExtTag {
    m3u8_rs::ExtTag {
        tag: tag.to_string(),
        rest: Some(attributes),
    }
}

impl MediaPlaylist {
    /// True when the playlist uses low-latency features.
    fn low_latency(&self) -> bool {
        self.part_target.is_some() || self.skipped_segments > 0 || self.server_control.is_some()
    }

    /// The playlist text.
    pub fn render(&self) -> String {
        let map = m3u8_rs::Map {
            uri: self.map_uri.clone(),
            ..Default::default()
        };
        let mut map_in_force = self.map_uri.clone();
        let segments: Vec<m3u8_rs::MediaSegment> =
            self.segments
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let changed = match &s.map_uri {
                        Some(uri) if *uri != map_in_force => {
                            map_in_force = uri.clone();
                            true
                        }
                        _ => false,
                    };
                    let mut unknown_tags: Vec<m3u8_rs::ExtTag> = Vec::new();
                    if s.gap {
                        unknown_tags.push(m3u8_rs::ExtTag {
                            tag: "X-GAP".into(),
                            rest: None,
                        });
                    }
                    unknown_tags.extend(s.parts.iter().map(|p| ext("X-PART", p.to_attributes())));
                    m3u8_rs::MediaSegment {
                        uri: s.uri.clone(),
                        duration: s.duration_secs as f32,
                        discontinuity: s.discontinuity,
                        map: (!map_in_force.is_empty() && (i == 0 || s.discontinuity || changed))
                            .then(|| m3u8_rs::Map {
                                uri: map_in_force.clone(),
                                ..map.clone()
                            }),
                        program_date_time: s
                            .program_date_time
                            .as_deref()
                            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()),
                        unknown_tags,
                        ..Default::default()
                    }
                })
                .collect();
        let mut playlist = m3u8_rs::MediaPlaylist {
            version: Some(if self.low_latency() {
                LOW_LATENCY_VERSION
            } else {
                VERSION
            }),
            target_duration: self.target_duration.max(1),
            media_sequence: self.media_sequence,
            discontinuity_sequence: self.discontinuity_sequence,
            end_list: false,
            independent_segments: true,
            playlist_type: self.playlist_type.map(|t| match t {
                PlaylistType::Vod => m3u8_rs::MediaPlaylistType::Vod,
                PlaylistType::Event => m3u8_rs::MediaPlaylistType::Event,
            }),
            ..Default::default()
        };
        // m3u8-rs writes no playlist-level tags of its own: put ours between its header and segments.
        let header = write_m3u8(&playlist);
        playlist.segments = segments;
        let full = write_m3u8(&playlist);
        let body = full.get(header.len()..).unwrap_or_default();
        let mut out = header;
        if let Some(sc) = &self.server_control {
            out.push_str(&format!("#EXT-X-SERVER-CONTROL:{}\n", sc.to_attributes()));
        }
        if let Some(t) = self.part_target {
            out.push_str(&format!("#EXT-X-PART-INF:PART-TARGET={}\n", format_secs(t)));
        }
        if self.skipped_segments > 0 {
            out.push_str(&format!(
                "#EXT-X-SKIP:SKIPPED-SEGMENTS={}\n",
                self.skipped_segments
            ));
        }
        if self.segments.is_empty() && !self.map_uri.is_empty() {
            out.push_str(&format!("#EXT-X-MAP:URI=\"{}\"\n", self.map_uri));
        }
        out.push_str(body);
        for p in &self.trailing_parts {
            out.push_str(&format!("#EXT-X-PART:{}\n", p.to_attributes()));
        }
        for h in [&self.preload_hint, &self.preload_map_hint]
            .into_iter()
            .flatten()
        {
            out.push_str(&format!("#EXT-X-PRELOAD-HINT:{}\n", h.to_attributes()));
        }
        for r in &self.rendition_reports {
            out.push_str(&format!("#EXT-X-RENDITION-REPORT:{}\n", r.to_attributes()));
        }
        if self.ended {
            out.push_str("#EXT-X-ENDLIST\n");
        }
        out
    }

    /// Reads a media playlist, low-latency tags included.
    pub fn parse(text: &str) -> Result<MediaPlaylist, PlaylistError> {
        let lines: Vec<&str> = text.lines().collect();
        let last_uri = lines
            .iter()
            .rposition(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        let (head, tail): (Vec<&str>, &[&str]) = match last_uri {
            Some(i) => (
                lines.get(..=i).unwrap_or_default().to_vec(),
                lines.get(i + 1..).unwrap_or_default(),
            ),
            None => (lines.clone(), &lines[..]),
        };
        let mut head_text = head.join("\n");
        head_text.push('\n');
        let parsed = m3u8_rs::parse_media_playlist_res(head_text.as_bytes())
            .map_err(|e| PlaylistError::Syntax(format!("{e:?}").chars().take(200).collect()))?;
        let mut playlist = MediaPlaylist {
            target_duration: parsed.target_duration,
            media_sequence: parsed.media_sequence,
            discontinuity_sequence: parsed.discontinuity_sequence,
            ended: parsed.end_list,
            playlist_type: parsed.playlist_type.as_ref().map(|t| match t {
                m3u8_rs::MediaPlaylistType::Vod => PlaylistType::Vod,
                _ => PlaylistType::Event,
            }),
            ..MediaPlaylist::default()
        };
        let mut map_in_force = String::new();
        for s in &parsed.segments {
            let mut new_map = None;
            if let Some(m) = &s.map {
                if playlist.map_uri.is_empty() {
                    playlist.map_uri = m.uri.clone();
                } else if m.uri != map_in_force {
                    new_map = Some(m.uri.clone());
                }
                map_in_force = m.uri.clone();
            }
            let mut segment = PlaylistSegment {
                uri: s.uri.clone(),
                // EXTINF travels as f32 through m3u8-rs: keep the microseconds it can carry.
                duration_secs: (f64::from(s.duration) * 1e6).round() / 1e6,
                discontinuity: s.discontinuity,
                program_date_time: s
                    .program_date_time
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                map_uri: new_map,
                ..PlaylistSegment::default()
            };
            for tag in &s.unknown_tags {
                let rest = tag.rest.as_deref().unwrap_or("");
                match tag.tag.as_str() {
                    "X-GAP" => segment.gap = true,
                    "X-PART" => segment
                        .parts
                        .push(tag_err("EXT-X-PART", Part::from_attributes(rest))?),
                    other => playlist.apply_playlist_tag(other, rest)?,
                }
            }
            playlist.segments.push(segment);
        }
        for line in tail {
            let Some(rest) = line.trim().strip_prefix("#EXT-") else {
                continue;
            };
            let (tag, attributes) = rest.split_once(':').unwrap_or((rest, ""));
            match tag {
                "X-PART" => playlist
                    .trailing_parts
                    .push(tag_err("EXT-X-PART", Part::from_attributes(attributes))?),
                "X-PRELOAD-HINT" => {
                    let hint = tag_err(
                        "EXT-X-PRELOAD-HINT",
                        PreloadHint::from_attributes(attributes),
                    )?;
                    let part_hint_known = playlist
                        .preload_hint
                        .as_ref()
                        .is_some_and(|h| h.hint_type == PreloadHintType::Part);
                    if hint.hint_type == PreloadHintType::Map && part_hint_known {
                        playlist.preload_map_hint = Some(hint);
                    } else if hint.hint_type == PreloadHintType::Part {
                        // A MAP hint seen first moves to its own field.
                        if let Some(map) = playlist.preload_hint.replace(hint) {
                            playlist.preload_map_hint = Some(map);
                        }
                    } else {
                        playlist.preload_hint = Some(hint);
                    }
                }
                "X-RENDITION-REPORT" => playlist.rendition_reports.push(tag_err(
                    "EXT-X-RENDITION-REPORT",
                    RenditionReport::from_attributes(attributes),
                )?),
                "X-ENDLIST" => playlist.ended = true,
                "X-MAP" if playlist.map_uri.is_empty() => {
                    let a = tag_err("EXT-X-MAP", super::parse_attributes(attributes))?;
                    if let Some(uri) = a.get("URI") {
                        playlist.map_uri = uri.as_str().to_string();
                    }
                }
                other => playlist.apply_playlist_tag(other, attributes)?,
            }
        }
        Ok(playlist)
    }

    /// Playlist-level low-latency tags, wherever they stand.
    fn apply_playlist_tag(&mut self, tag: &str, attributes: &str) -> Result<(), PlaylistError> {
        match tag {
            "X-SERVER-CONTROL" => {
                self.server_control = Some(tag_err(
                    "EXT-X-SERVER-CONTROL",
                    ServerControl::from_attributes(attributes),
                )?)
            }
            "X-PART-INF" => {
                self.part_target = Some(tag_err(
                    "EXT-X-PART-INF",
                    part_inf_from_attributes(attributes),
                )?)
            }
            "X-SKIP" => {
                self.skipped_segments = tag_err("EXT-X-SKIP", skip_from_attributes(attributes))?
            }
            _ => {}
        }
        Ok(())
    }

    /// Media sequence number of the last complete segment, if any.
    pub fn last_msn(&self) -> Option<u64> {
        let listed = self.skipped_segments + self.segments.len() as u64;
        listed.checked_sub(1).map(|n| self.media_sequence + n)
    }
}

fn tag_err<T>(tag: &'static str, r: Result<T, String>) -> Result<T, PlaylistError> {
    r.map_err(|reason| PlaylistError::Tag { tag, reason })
}
