//! The HLS playlist model: media playlists and multivariant playlists as plain structs, rendered as a
//! pure function of a snapshot with `m3u8-rs`.

use m3u8_rs::{MasterPlaylist, Resolution, VariantStream};

/// Protocol version written: 7 covers fMP4 segments with EXT-X-MAP in a media playlist (RFC 8216bis 8).
const VERSION: usize = 7;

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
}

/// A media playlist snapshot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MediaPlaylist {
    /// `EXT-X-TARGETDURATION`, in whole seconds: at least every segment's duration rounded.
    pub target_duration: u64,
    /// `EXT-X-MEDIA-SEQUENCE`: the sequence number of the first segment listed.
    pub media_sequence: u64,
    /// `EXT-X-DISCONTINUITY-SEQUENCE`.
    pub discontinuity_sequence: u64,
    /// `EXT-X-MAP` URI of the init segment.
    pub map_uri: String,
    /// Segments in order.
    pub segments: Vec<PlaylistSegment>,
    /// `EXT-X-ENDLIST`: no more segments will be added.
    pub ended: bool,
}

impl MediaPlaylist {
    /// The playlist text.
    pub fn render(&self) -> String {
        let map = m3u8_rs::Map {
            uri: self.map_uri.clone(),
            ..Default::default()
        };
        let segments = self
            .segments
            .iter()
            .enumerate()
            .map(|(i, s)| m3u8_rs::MediaSegment {
                uri: s.uri.clone(),
                duration: s.duration_secs as f32,
                discontinuity: s.discontinuity,
                map: (i == 0 || s.discontinuity).then(|| map.clone()),
                program_date_time: s
                    .program_date_time
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()),
                ..Default::default()
            })
            .collect();
        let playlist = m3u8_rs::MediaPlaylist {
            version: Some(VERSION),
            target_duration: self.target_duration.max(1),
            media_sequence: self.media_sequence,
            discontinuity_sequence: self.discontinuity_sequence,
            segments,
            end_list: self.ended,
            independent_segments: true,
            ..Default::default()
        };
        let mut out = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = playlist.write_to(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// One variant of a multivariant playlist.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Variant {
    /// URI of the media playlist, relative to the multivariant playlist.
    pub uri: String,
    /// `BANDWIDTH`: peak bits per second.
    pub bandwidth: u64,
    /// `AVERAGE-BANDWIDTH`: average bits per second.
    pub average_bandwidth: Option<u64>,
    /// `CODECS`, RFC 6381.
    pub codecs: String,
    /// `RESOLUTION`, width and height.
    pub resolution: Option<(u16, u16)>,
    /// `FRAME-RATE`.
    pub frame_rate: Option<f64>,
}

/// The multivariant playlist text for these variants.
pub fn render_multivariant(variants: &[Variant]) -> String {
    let playlist = MasterPlaylist {
        version: Some(VERSION),
        independent_segments: true,
        variants: variants
            .iter()
            .map(|v| VariantStream {
                uri: v.uri.clone(),
                bandwidth: v.bandwidth.max(1),
                average_bandwidth: v.average_bandwidth,
                codecs: Some(v.codecs.clone()),
                resolution: v.resolution.map(|(w, h)| Resolution {
                    width: u64::from(w),
                    height: u64::from(h),
                }),
                frame_rate: v.frame_rate,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let mut out = Vec::new();
    let _ = playlist.write_to(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> MediaPlaylist {
        MediaPlaylist {
            target_duration: 2,
            media_sequence: 5,
            discontinuity_sequence: 0,
            map_uri: "init.mp4".into(),
            segments: (5..8)
                .map(|n| PlaylistSegment {
                    uri: format!("{n}.m4s"),
                    duration_secs: 2.0,
                    discontinuity: false,
                    program_date_time: None,
                })
                .collect(),
            ended: false,
        }
    }

    #[test]
    fn media_playlist_renders_and_parses_back() {
        let text = live().render();
        assert!(text.starts_with("#EXTM3U\n"), "{text}");
        assert!(text.contains("#EXT-X-TARGETDURATION:2"), "{text}");
        assert!(text.contains("#EXT-X-MEDIA-SEQUENCE:5"), "{text}");
        assert!(text.contains("#EXT-X-MAP:URI=\"init.mp4\""), "{text}");
        assert!(!text.contains("#EXT-X-ENDLIST"), "{text}");
        let parsed = m3u8_rs::parse_media_playlist_res(text.as_bytes()).unwrap();
        assert_eq!(parsed.segments.len(), 3);
        assert_eq!(parsed.segments[2].uri, "7.m4s");
        assert_eq!(parsed.media_sequence, 5);
    }

    #[test]
    fn ended_playlist_has_endlist_and_dates() {
        let mut p = live();
        p.ended = true;
        p.segments[0].program_date_time = Some("2026-11-23T10:00:00.000Z".into());
        let text = p.render();
        assert!(text.contains("#EXT-X-ENDLIST"), "{text}");
        assert!(
            text.contains("#EXT-X-PROGRAM-DATE-TIME:2026-11-23T10:00:00"),
            "{text}"
        );
    }

    #[test]
    fn multivariant_lists_variants() {
        let text = render_multivariant(&[Variant {
            uri: "r0/index.m3u8".into(),
            bandwidth: 2_500_000,
            average_bandwidth: Some(2_000_000),
            codecs: "avc1.42e01f,opus".into(),
            resolution: Some((1280, 720)),
            frame_rate: Some(30.0),
        }]);
        let parsed = m3u8_rs::parse_master_playlist_res(text.as_bytes()).unwrap();
        let v = &parsed.variants[0];
        assert_eq!(v.uri, "r0/index.m3u8");
        assert_eq!(v.bandwidth, 2_500_000);
        assert_eq!(v.codecs.as_deref(), Some("avc1.42e01f,opus"));
        assert_eq!(v.resolution.map(|r| (r.width, r.height)), Some((1280, 720)));
    }
}
