//! From `m3u8-rs` playlists to the list of segments to load.

use m3u8_rs::Playlist;

use crate::config::PlayerConfig;
use crate::error::PlayerError;
use crate::live::{start_index, start_index_at_distance};
use crate::rendition::{select, Selection};
use crate::url::resolve;

/// What a playlist URL turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Manifest {
    /// A multivariant playlist: the chosen variant, its codecs and its separate audio rendition, if any.
    Multivariant(Selection),
    /// A media playlist.
    Media(MediaView),
}

/// One segment of a media playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRef {
    /// Media sequence number.
    pub msn: u64,
    /// Resolved URL.
    pub url: String,
    /// `EXTINF` duration, seconds.
    pub duration: f64,
    /// Resolved URL of the `EXT-X-MAP` in force for this segment.
    pub map_url: Option<String>,
    /// `EXT-X-DISCONTINUITY` before this segment.
    pub discontinuity: bool,
}

/// The parts of a media playlist the player uses.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaView {
    /// `EXT-X-TARGETDURATION`, seconds.
    pub target_duration: f64,
    /// `EXT-X-MEDIA-SEQUENCE`.
    pub media_sequence: u64,
    /// The segments, in order.
    pub segments: Vec<SegmentRef>,
    /// `EXT-X-ENDLIST` present.
    pub ended: bool,
}

impl MediaView {
    /// Reads a parsed media playlist fetched from `url`.
    pub fn new(playlist: &m3u8_rs::MediaPlaylist, url: &str) -> Self {
        let mut map_url: Option<String> = None;
        let segments = playlist
            .segments
            .iter()
            .enumerate()
            .map(|(i, s)| {
                if let Some(map) = &s.map {
                    map_url = Some(resolve(url, &map.uri));
                }
                SegmentRef {
                    msn: playlist.media_sequence.saturating_add(i as u64),
                    url: resolve(url, &s.uri),
                    duration: f64::from(s.duration),
                    map_url: map_url.clone(),
                    discontinuity: s.discontinuity,
                }
            })
            .collect();
        Self {
            target_duration: playlist.target_duration as f64,
            media_sequence: playlist.media_sequence,
            segments,
            ended: playlist.end_list,
        }
    }

    /// The MSN after the last segment.
    pub fn next_msn(&self) -> u64 {
        self.media_sequence
            .saturating_add(self.segments.len() as u64)
    }

    /// Seconds of media from the start of segment `msn` to the end of the playlist (0 when it is not
    /// listed).
    pub fn duration_from(&self, msn: u64) -> f64 {
        self.segments
            .iter()
            .filter(|s| s.msn >= msn && s.duration.is_finite())
            .map(|s| s.duration.max(0.0))
            .sum()
    }

    /// A fingerprint for "has the playlist changed" (RFC 8216 section 6.3.4).
    pub fn fingerprint(&self) -> (u64, usize, bool) {
        (self.media_sequence, self.segments.len(), self.ended)
    }
}

/// Parses a playlist fetched from `url`. For a multivariant playlist the first variant that is not an
/// I-frame playlist is chosen, with its audio rendition ([`select`]).
pub fn parse(bytes: &[u8], url: &str) -> Result<Manifest, PlayerError> {
    let bad = |reason: String| PlayerError::Playlist {
        url: url.to_owned(),
        reason,
    };
    if !bytes.starts_with(b"#EXTM3U") && !bytes.starts_with(b"\xEF\xBB\xBF#EXTM3U") {
        return Err(bad("does not start with #EXTM3U".to_owned()));
    }
    match m3u8_rs::parse_playlist_res(bytes) {
        Ok(Playlist::MasterPlaylist(master)) => select(&master, url)
            .map(Manifest::Multivariant)
            .ok_or_else(|| bad("multivariant playlist without variants".to_owned())),
        Ok(Playlist::MediaPlaylist(media)) => Ok(Manifest::Media(MediaView::new(&media, url))),
        Err(e) => Err(bad(format!("parse error: {e:?}")
            .chars()
            .take(200)
            .collect())),
    }
}

/// Parses a media playlist (the URL a variant pointed to).
pub fn parse_media(bytes: &[u8], url: &str) -> Result<MediaView, PlayerError> {
    match parse(bytes, url)? {
        Manifest::Media(view) => Ok(view),
        Manifest::Multivariant(_) => Err(PlayerError::Playlist {
            url: url.to_owned(),
            reason: "expected a media playlist, got a multivariant one".to_owned(),
        }),
    }
}

/// Keeps track of which segments have been handed to the loader.
#[derive(Debug, Clone, Default)]
pub struct SegmentTracker {
    next_msn: Option<u64>,
    last_fingerprint: Option<(u64, usize, bool)>,
    /// Where a live playlist starts, in seconds of media from its end; `None`: the configured live start.
    start_distance: Option<f64>,
}

/// The outcome of looking at a fresh copy of the playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// Segments not handed out before, in order.
    pub new_segments: Vec<SegmentRef>,
    /// Whether the playlist changed since the previous look.
    pub changed: bool,
    /// Whether the player fell out of the live window and skipped ahead.
    pub skipped: bool,
}

impl SegmentTracker {
    /// A tracker that starts a live playlist at the latest segment beginning at least `distance`
    /// seconds of media before its end ([`start_index_at_distance`]), rather than at the configured
    /// live start: how a second track (an alternate audio rendition) starts with the first one. An ended
    /// playlist still starts at its beginning.
    pub fn starting_at_distance(distance: f64) -> Self {
        Self {
            start_distance: Some(distance),
            ..Self::default()
        }
    }

    /// Returns the segments to load from this copy of the playlist. The first call starts near the live
    /// edge ([`start_index`]); later calls return whatever follows the last segment handed out. If the
    /// window has moved past it (the player fell behind), it restarts near the live edge.
    pub fn update(&mut self, view: &MediaView, config: &PlayerConfig) -> Update {
        let fingerprint = view.fingerprint();
        let changed = self.last_fingerprint != Some(fingerprint);
        self.last_fingerprint = Some(fingerprint);
        let durations: Vec<f64> = view.segments.iter().map(|s| s.duration).collect();
        let live_start = || {
            let index = start_index(&durations, view.target_duration, view.ended, config);
            view.media_sequence.saturating_add(index as u64)
        };
        let first_start = || match self.start_distance {
            Some(distance) if !view.ended => view
                .media_sequence
                .saturating_add(start_index_at_distance(&durations, distance) as u64),
            _ => live_start(),
        };
        let mut skipped = false;
        let from = match self.next_msn {
            None => first_start(),
            Some(next) if next < view.media_sequence => {
                skipped = true;
                live_start()
            }
            Some(next) => next,
        };
        let new_segments: Vec<SegmentRef> = view
            .segments
            .iter()
            .filter(|s| s.msn >= from)
            .cloned()
            .collect();
        self.next_msn = Some(
            new_segments
                .last()
                .map_or(from, |s| s.msn.saturating_add(1)),
        );
        Update {
            new_segments,
            changed,
            skipped,
        }
    }

    /// The next MSN to hand out, once started.
    pub fn next_msn(&self) -> Option<u64> {
        self.next_msn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MULTIVARIANT: &str = "#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-STREAM-INF:BANDWIDTH=2628000,CODECS=\"avc1.42e01f,opus\",RESOLUTION=1280x720
r0/index.m3u8
";

    const ONAIR_LIVE: &str = "#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:5
#EXT-X-MAP:URI=\"init.mp4\"
#EXTINF:2.000,
5.m4s
#EXTINF:2.000,
6.m4s
#EXTINF:2.000,
7.m4s
#EXTINF:2.000,
8.m4s
#EXTINF:2.000,
9.m4s
";

    // As written by ffmpeg 5.1 `-f hls -hls_segment_type fmp4`.
    const FFMPEG_VOD: &str = "#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI=\"init.mp4\"
#EXTINF:4.000000,
stream0.m4s
#EXTINF:4.000000,
stream1.m4s
#EXTINF:1.500000,
stream2.m4s
#EXT-X-ENDLIST
";

    #[test]
    fn multivariant_picks_first_variant_with_codecs() {
        let m = parse(MULTIVARIANT.as_bytes(), "http://h/live/abc/index.m3u8").unwrap();
        assert_eq!(
            m,
            Manifest::Multivariant(Selection {
                media_url: "http://h/live/abc/r0/index.m3u8".into(),
                codecs: Some("avc1.42e01f,opus".into()),
                audio: None,
            })
        );
    }

    #[test]
    fn media_playlist_segments_and_map() {
        let v = parse_media(ONAIR_LIVE.as_bytes(), "/live/abc/r0/index.m3u8").unwrap();
        assert_eq!(v.target_duration, 2.0);
        assert_eq!(v.media_sequence, 5);
        assert!(!v.ended);
        assert_eq!(v.segments.len(), 5);
        let first = &v.segments[0];
        assert_eq!(first.msn, 5);
        assert_eq!(first.url, "/live/abc/r0/5.m4s");
        assert_eq!(first.map_url.as_deref(), Some("/live/abc/r0/init.mp4"));
        // The map stays in force for later segments.
        assert_eq!(
            v.segments[4].map_url.as_deref(),
            Some("/live/abc/r0/init.mp4")
        );
        assert_eq!(v.next_msn(), 10);
    }

    #[test]
    fn ffmpeg_vod_playlist() {
        let v = parse_media(FFMPEG_VOD.as_bytes(), "http://h/vod/index.m3u8").unwrap();
        assert!(v.ended);
        assert_eq!(v.segments.len(), 3);
        assert_eq!(v.segments[2].duration, 1.5);
        assert_eq!(v.segments[1].url, "http://h/vod/stream1.m4s");
        let mut t = SegmentTracker::default();
        let u = t.update(&v, &PlayerConfig::default());
        // Ended: from the start.
        assert_eq!(u.new_segments.len(), 3);
    }

    #[test]
    fn rejects_garbage() {
        assert!(matches!(
            parse(b"<html>", "u"),
            Err(PlayerError::Playlist { .. })
        ));
        assert!(matches!(
            parse_media(MULTIVARIANT.as_bytes(), "u"),
            Err(PlayerError::Playlist { .. })
        ));
    }

    fn live(media_sequence: u64, count: usize, ended: bool) -> MediaView {
        MediaView {
            target_duration: 2.0,
            media_sequence,
            segments: (0..count as u64)
                .map(|i| SegmentRef {
                    msn: media_sequence + i,
                    url: format!("{}.m4s", media_sequence + i),
                    duration: 2.0,
                    map_url: Some("init.mp4".into()),
                    discontinuity: false,
                })
                .collect(),
            ended,
        }
    }

    #[test]
    fn tracker_starts_near_live_edge_then_follows() {
        let c = PlayerConfig::default();
        let mut t = SegmentTracker::default();
        let u = t.update(&live(5, 5, false), &c);
        let msns: Vec<u64> = u.new_segments.iter().map(|s| s.msn).collect();
        assert_eq!(msns, [7, 8, 9]);
        assert!(u.changed);
        // Same playlist again: nothing new, unchanged.
        let u = t.update(&live(5, 5, false), &c);
        assert!(u.new_segments.is_empty());
        assert!(!u.changed);
        // Window slid by one.
        let u = t.update(&live(6, 5, false), &c);
        assert_eq!(
            u.new_segments.iter().map(|s| s.msn).collect::<Vec<_>>(),
            [10]
        );
        // Ended with the same segments: changed, nothing new.
        let u = t.update(&live(6, 5, true), &c);
        assert!(u.changed);
        assert!(u.new_segments.is_empty());
    }

    #[test]
    fn tracker_skips_ahead_when_it_fell_out_of_the_window() {
        let c = PlayerConfig::default();
        let mut t = SegmentTracker::default();
        t.update(&live(0, 5, false), &c);
        assert_eq!(t.next_msn(), Some(5));
        let u = t.update(&live(20, 10, false), &c);
        assert!(u.skipped);
        assert_eq!(u.new_segments.first().map(|s| s.msn), Some(27));
    }

    #[test]
    fn a_second_track_starts_at_the_first_ones_distance() {
        let c = PlayerConfig::default();
        let video = live(5, 5, false);
        let mut t = SegmentTracker::default();
        let first = t.update(&video, &c).new_segments[0].msn;
        assert_eq!(first, 7);
        let distance = video.duration_from(first);
        assert_eq!(distance, 6.0);
        // The audio playlist numbers its segments differently and already has one more.
        let audio = live(100, 6, false);
        let mut a = SegmentTracker::starting_at_distance(distance);
        let u = a.update(&audio, &c);
        assert_eq!(
            u.new_segments.iter().map(|s| s.msn).collect::<Vec<_>>(),
            [103, 104, 105]
        );
        // With one target duration of margin it covers the video's start even so.
        let mut a = SegmentTracker::starting_at_distance(distance + 2.0);
        assert_eq!(a.update(&audio, &c).new_segments[0].msn, 102);
        // Ended: from the beginning, like the first track.
        let mut a = SegmentTracker::starting_at_distance(distance);
        assert_eq!(a.update(&live(100, 6, true), &c).new_segments[0].msn, 100);
        // An unknown msn is no media; NaN durations count as none.
        assert_eq!(video.duration_from(99), 0.0);
    }

    #[test]
    fn tracker_waits_on_empty_playlist() {
        let c = PlayerConfig::default();
        let mut t = SegmentTracker::default();
        let u = t.update(&live(0, 0, false), &c);
        assert!(u.new_segments.is_empty());
        let u = t.update(&live(0, 2, false), &c);
        assert_eq!(u.new_segments.len(), 2);
    }
}
