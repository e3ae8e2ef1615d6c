//! The media playlist: segments, their parts, and the Low-Latency HLS tags around them.

use super::access::{ByteRange, SegmentKey};
use super::format_secs;
use super::tags::{Part, PreloadHint, RenditionReport, ServerControl};
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
    /// `BYTERANGE` of that new `EXT-X-MAP`.
    pub map_byte_range: Option<ByteRange>,
    /// `EXT-X-BYTERANGE`: the segment is this sub-range of its URI.
    pub byte_range: Option<ByteRange>,
    /// The `EXT-X-KEY` in force for it (`None`: not encrypted).
    pub key: Option<SegmentKey>,
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
    /// `BYTERANGE` of that `EXT-X-MAP`: the init is this sub-range of its URI.
    pub map_byte_range: Option<ByteRange>,
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
        let mut map_in_force = (self.map_uri.clone(), self.map_byte_range);
        let mut key_in_force: Option<&SegmentKey> = None;
        let segments: Vec<m3u8_rs::MediaSegment> = self
            .segments
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let changed = match &s.map_uri {
                    Some(uri) if (uri.clone(), s.map_byte_range) != map_in_force => {
                        map_in_force = (uri.clone(), s.map_byte_range);
                        true
                    }
                    _ => false,
                };
                // A key is written where it changes (`METHOD=NONE` where encryption stops).
                let key = (s.key.as_ref() != key_in_force)
                    .then(|| s.key.as_ref().map(SegmentKey::to_m3u8).unwrap_or_default());
                key_in_force = s.key.as_ref();
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
                    byte_range: s.byte_range.map(ByteRange::to_m3u8),
                    discontinuity: s.discontinuity,
                    key,
                    map: (!map_in_force.0.is_empty() && (i == 0 || s.discontinuity || changed))
                        .then(|| m3u8_rs::Map {
                            uri: map_in_force.0.clone(),
                            byte_range: map_in_force.1.map(ByteRange::to_m3u8),
                            ..Default::default()
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

    /// Media sequence number of the last complete segment, if any.
    pub fn last_msn(&self) -> Option<u64> {
        let listed = self.skipped_segments + self.segments.len() as u64;
        listed.checked_sub(1).map(|n| self.media_sequence + n)
    }
}
