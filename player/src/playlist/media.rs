//! A media playlist as the player uses it: every URI resolved, every segment and part numbered, the
//! Low-Latency HLS tags (parts, preload hint, server control, rendition reports) read through the media
//! crate's model ([`onair_media::MediaPlaylist`]), and delta updates (`EXT-X-SKIP`) merged into the
//! copy they extend.

use onair_media::playlist::{ByteRange, KeyMethod, MediaPlaylist, PreloadHintType, SegmentKey};

use crate::error::PlayerError;
use crate::url::resolve;

/// Where a fragment sits in a media playlist: its segment's media sequence number and, for a part,
/// its index in that segment (`None`: the whole segment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Media sequence number of the segment.
    pub msn: u64,
    /// Part index within the segment; 0 is its first part.
    pub part: u32,
}

impl Position {
    /// The first part (or the whole) of segment `msn`.
    pub fn segment(msn: u64) -> Self {
        Self { msn, part: 0 }
    }
}

/// One `EXT-X-PART`.
#[derive(Debug, Clone, PartialEq)]
pub struct PartRef {
    /// Resolved URL.
    pub url: String,
    /// `DURATION`, seconds.
    pub duration: f64,
    /// `INDEPENDENT=YES`: it starts with a frame that decodes alone.
    pub independent: bool,
    /// `GAP=YES`.
    pub gap: bool,
}

/// `EXT-X-KEY`: how a segment's bytes are encrypted, resolved for that segment.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRef {
    /// `METHOD`.
    pub method: KeyMethod,
    /// Whether the key file holds the raw key (`KEYFORMAT` absent or `identity`).
    pub identity: bool,
    /// Resolved URL of the key.
    pub url: String,
    /// The IV: the tag's, else the segment's media sequence number.
    pub iv: [u8; 16],
}

impl KeyRef {
    fn new(key: &SegmentKey, playlist_url: &str, msn: u64) -> Self {
        KeyRef {
            method: key.method.clone(),
            identity: key.identity(),
            url: resolve(playlist_url, &key.uri),
            iv: key.iv_for(msn),
        }
    }
}

/// One complete segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRef {
    /// Media sequence number.
    pub msn: u64,
    /// Resolved URL.
    pub url: String,
    /// `EXTINF` duration, seconds.
    pub duration: f64,
    /// Resolved URL of the `EXT-X-MAP` in force for it.
    pub map_url: Option<String>,
    /// That map's `BYTERANGE`.
    pub map_range: Option<ByteRange>,
    /// `EXT-X-BYTERANGE`: the segment is this sub-range of its URL.
    pub range: Option<ByteRange>,
    /// `EXT-X-KEY` in force for it.
    pub key: Option<KeyRef>,
    /// `EXT-X-DISCONTINUITY` before it.
    pub discontinuity: bool,
    /// Its discontinuity sequence number (`EXT-X-DISCONTINUITY-SEQUENCE` plus the discontinuities
    /// before it): segments of one number share one timeline.
    pub discontinuity_sequence: u64,
    /// `EXT-X-GAP`.
    pub gap: bool,
    /// Its parts, when the playlist still lists them (only near the live edge).
    pub parts: Vec<PartRef>,
}

/// `EXT-X-PRELOAD-HINT:TYPE=PART`: the part the server will publish next, requested before it exists
/// so its bytes flow as they are produced.
#[derive(Debug, Clone, PartialEq)]
pub struct HintRef {
    /// Where the hinted part will sit.
    pub position: Position,
    /// Resolved URL.
    pub url: String,
}

/// `EXT-X-RENDITION-REPORT`: the last segment and part of another rendition, so a switch to it needs no
/// extra round trip.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Resolved URL of that rendition's media playlist.
    pub url: String,
    /// `LAST-MSN`.
    pub last_msn: Option<u64>,
    /// `LAST-PART`.
    pub last_part: Option<u64>,
}

/// A media playlist, resolved against the URL it came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MediaView {
    /// `EXT-X-TARGETDURATION`, seconds.
    pub target_duration: f64,
    /// `EXT-X-MEDIA-SEQUENCE`.
    pub media_sequence: u64,
    /// The complete segments, in order (a delta update's skipped ones merged back in).
    pub segments: Vec<SegmentRef>,
    /// Parts of the segment being produced (the one after the last complete segment).
    pub trailing_parts: Vec<PartRef>,
    /// The part hinted next.
    pub hint: Option<HintRef>,
    /// `EXT-X-PRELOAD-HINT:TYPE=MAP`: the next init segment, resolved.
    pub map_hint: Option<String>,
    /// The `EXT-X-MAP` in force after the last segment (for the trailing parts).
    pub map_url: Option<String>,
    /// That map's `BYTERANGE`.
    pub map_range: Option<ByteRange>,
    /// The `EXT-X-KEY` in force after the last segment (for the trailing parts), as a key entry
    /// and its resolved URL.
    pub key: Option<(SegmentKey, String)>,
    /// `EXT-X-ENDLIST`.
    pub ended: bool,
    /// `EXT-X-PLAYLIST-TYPE` is `VOD` or `EVENT`: nothing is ever removed, so seeking back stays possible.
    pub fixed_start: bool,
    /// `EXT-X-PART-INF:PART-TARGET`, seconds.
    pub part_target: Option<f64>,
    /// `CAN-BLOCK-RELOAD=YES`.
    pub can_block_reload: bool,
    /// `CAN-SKIP-UNTIL`, seconds.
    pub can_skip_until: Option<f64>,
    /// `HOLD-BACK`, seconds.
    pub hold_back: Option<f64>,
    /// `PART-HOLD-BACK`, seconds.
    pub part_hold_back: Option<f64>,
    /// `EXT-X-RENDITION-REPORT`s.
    pub reports: Vec<Report>,
    /// Whether this copy was a delta update (`EXT-X-SKIP`) before merging.
    pub was_delta: bool,
}

/// A fragment to load: a whole segment or one part.
#[derive(Debug, Clone, PartialEq)]
pub struct FragmentRef {
    /// Where it sits.
    pub position: Position,
    /// Whether it is a part (else a whole segment, covering every part of it).
    pub is_part: bool,
    /// Resolved URL.
    pub url: String,
    /// Seconds of media.
    pub duration: f64,
    /// Whether it starts with an independent frame.
    pub independent: bool,
    /// The init segment it needs.
    pub map_url: Option<String>,
    /// That init's `BYTERANGE`.
    pub map_range: Option<ByteRange>,
    /// The sub-range of `url` it is (`EXT-X-BYTERANGE`).
    pub range: Option<ByteRange>,
    /// How it is encrypted.
    pub key: Option<KeyRef>,
    /// Its discontinuity sequence number.
    pub discontinuity_sequence: u64,
    /// Whether it is the preload-hinted part (requested before it exists).
    pub hinted: bool,
    /// `EXT-X-GAP` / `GAP=YES`: not available, skip it.
    pub gap: bool,
}

/// Whether a segment with this `EXT-X-MAP` is MPEG-TS: it has none (fMP4 segments always have one,
/// RFC 8216bis 3.2).
fn is_ts(map_url: Option<&String>) -> bool {
    map_url.is_none()
}

impl FragmentRef {
    /// Whether it is MPEG-TS ([`is_ts`]).
    pub fn is_ts(&self) -> bool {
        is_ts(self.map_url.as_ref())
    }
}

impl MediaView {
    /// Whether it lists MPEG-TS segments (the rule of [`FragmentRef::is_ts`]).
    pub fn lists_ts(&self) -> bool {
        self.segments.iter().any(|s| is_ts(s.map_url.as_ref()))
    }

    /// Reads `text`, a media playlist fetched from `url`. A delta update is merged into `previous` (the
    /// last copy of the same playlist); without a previous copy that covers the skipped segments it is an
    /// error, and the caller asks for the whole playlist.
    pub fn parse(text: &str, url: &str, previous: Option<&MediaView>) -> Result<Self, PlayerError> {
        let bad = |reason: String| PlayerError::Playlist {
            url: url.to_owned(),
            reason,
        };
        let text = text.trim_start_matches('\u{feff}');
        if !text.starts_with("#EXTM3U") {
            return Err(bad("does not start with #EXTM3U".to_owned()));
        }
        if text.contains("#EXT-X-STREAM-INF") {
            return Err(bad(
                "expected a media playlist, got a multivariant one".to_owned()
            ));
        }
        let p = MediaPlaylist::parse(text).map_err(|e| bad(e.to_string()))?;
        Self::from_playlist(&p, url, previous).map_err(bad)
    }

    fn from_playlist(
        p: &MediaPlaylist,
        url: &str,
        previous: Option<&MediaView>,
    ) -> Result<Self, String> {
        let part = |part: &onair_media::playlist::Part| PartRef {
            url: resolve(url, &part.uri),
            duration: finite(part.duration_secs),
            independent: part.independent,
            gap: part.gap,
        };
        let first_listed = p.media_sequence.saturating_add(p.skipped_segments);
        let mut segments: Vec<SegmentRef> = Vec::with_capacity(p.segments.len());
        let mut map_url = (!p.map_uri.is_empty()).then(|| resolve(url, &p.map_uri));
        let mut map_range = p.map_byte_range;
        let mut key: Option<SegmentKey> = None;
        let mut discontinuity_sequence = p.discontinuity_sequence;
        if p.skipped_segments > 0 {
            let previous =
                previous.ok_or("a delta update without an earlier copy to merge into")?;
            let skipped: Vec<SegmentRef> = previous
                .segments
                .iter()
                .filter(|s| s.msn >= p.media_sequence && s.msn < first_listed)
                .cloned()
                .collect();
            if skipped.len() as u64 != p.skipped_segments {
                return Err(format!(
                    "a delta update skips segments {}..{} that the earlier copy does not hold",
                    p.media_sequence, first_listed
                ));
            }
            if let Some(last) = skipped.last() {
                discontinuity_sequence = last.discontinuity_sequence;
                if map_url.is_none() {
                    map_url.clone_from(&last.map_url);
                    map_range = last.map_range;
                }
            }
            segments.extend(skipped);
        }
        for (i, s) in p.segments.iter().enumerate() {
            if let Some(uri) = &s.map_uri {
                map_url = Some(resolve(url, uri));
                map_range = s.map_byte_range;
            }
            key.clone_from(&s.key);
            let msn = first_listed.saturating_add(i as u64);
            if s.discontinuity && (i > 0 || p.skipped_segments > 0) {
                discontinuity_sequence = discontinuity_sequence.saturating_add(1);
            }
            segments.push(SegmentRef {
                msn,
                url: resolve(url, &s.uri),
                duration: finite(s.duration_secs),
                map_url: map_url.clone(),
                map_range,
                range: s.byte_range,
                key: s.key.as_ref().map(|k| KeyRef::new(k, url, msn)),
                discontinuity: s.discontinuity,
                discontinuity_sequence,
                gap: s.gap,
                parts: s.parts.iter().map(part).collect(),
            });
        }
        let trailing_parts: Vec<PartRef> = p.trailing_parts.iter().map(part).collect();
        let next_msn = first_listed.saturating_add(p.segments.len() as u64);
        let (mut hint, mut map_hint) = (None, None);
        for h in [&p.preload_hint, &p.preload_map_hint].into_iter().flatten() {
            match h.hint_type {
                PreloadHintType::Part => {
                    hint = Some(HintRef {
                        position: Position {
                            msn: next_msn,
                            part: u32::try_from(trailing_parts.len()).unwrap_or(u32::MAX),
                        },
                        url: resolve(url, &h.uri),
                    })
                }
                PreloadHintType::Map => map_hint = Some(resolve(url, &h.uri)),
            }
        }
        let sc = p.server_control.clone().unwrap_or_default();
        Ok(MediaView {
            target_duration: p.target_duration as f64,
            media_sequence: p.media_sequence,
            segments,
            trailing_parts,
            hint,
            map_hint,
            map_url,
            map_range,
            key: key.map(|k| (k, url.to_owned())),
            ended: p.ended,
            fixed_start: p.playlist_type.is_some(),
            part_target: p.part_target,
            can_block_reload: sc.can_block_reload,
            can_skip_until: sc.can_skip_until,
            hold_back: sc.hold_back,
            part_hold_back: sc.part_hold_back,
            reports: p
                .rendition_reports
                .iter()
                .map(|r| Report {
                    url: resolve(url, &r.uri),
                    last_msn: r.last_msn,
                    last_part: r.last_part,
                })
                .collect(),
            was_delta: p.skipped_segments > 0,
        })
    }

    /// The media sequence number of the segment after the last complete one: the one being produced.
    pub fn next_msn(&self) -> u64 {
        self.segments
            .last()
            .map_or(self.media_sequence, |s| s.msn.saturating_add(1))
    }

    /// Where the playlist ends: the position after its last complete part (or segment).
    pub fn end(&self) -> Position {
        Position {
            msn: self.next_msn(),
            part: u32::try_from(self.trailing_parts.len()).unwrap_or(u32::MAX),
        }
    }

    /// Whether the playlist lists parts (Low-Latency HLS).
    pub fn has_parts(&self) -> bool {
        self.part_target.is_some()
    }

    /// The segment `msn`, when listed complete.
    pub fn segment(&self, msn: u64) -> Option<&SegmentRef> {
        let index = msn.checked_sub(self.segments.first()?.msn)?;
        self.segments.get(usize::try_from(index).ok()?)
    }

    /// The parts of segment `msn` as listed (complete segment or the one being produced).
    pub fn parts_of(&self, msn: u64) -> &[PartRef] {
        if msn == self.next_msn() {
            return &self.trailing_parts;
        }
        self.segment(msn).map_or(&[], |s| &s.parts)
    }

    /// The fragment at `position`, if the playlist has it now. A whole segment answers part 0 of a
    /// complete segment unless `prefer_parts` (the part is smaller, so it arrives sooner); a later part
    /// of a complete segment whose parts are no longer listed answers with the whole segment (the overlap
    /// with the parts already appended replaces identical media). The part after the last listed one is
    /// the preload hint, if the server gave one.
    pub fn fragment(&self, position: Position, prefer_parts: bool) -> Option<FragmentRef> {
        let Position { msn, part } = position;
        let index = usize::try_from(part).ok()?;
        if let Some(segment) = self.segment(msn) {
            let listed_part = segment.parts.get(index);
            return match listed_part {
                Some(p) if prefer_parts || part > 0 => Some(FragmentRef {
                    position,
                    is_part: true,
                    url: p.url.clone(),
                    duration: p.duration,
                    independent: p.independent,
                    map_url: segment.map_url.clone(),
                    map_range: segment.map_range,
                    range: None,
                    key: segment.key.clone(),
                    discontinuity_sequence: segment.discontinuity_sequence,
                    hinted: false,
                    gap: p.gap || segment.gap,
                }),
                // Past the last part of a complete segment: nothing there.
                None if part > 0 && !segment.parts.is_empty() => None,
                _ => Some(FragmentRef {
                    position: Position::segment(msn),
                    is_part: false,
                    url: segment.url.clone(),
                    duration: segment.duration,
                    independent: true,
                    map_url: segment.map_url.clone(),
                    map_range: segment.map_range,
                    range: segment.range,
                    key: segment.key.clone(),
                    discontinuity_sequence: segment.discontinuity_sequence,
                    hinted: false,
                    gap: segment.gap,
                }),
            };
        }
        if msn != self.next_msn() {
            return None;
        }
        let discontinuity_sequence = self.segments.last().map_or(0, |s| s.discontinuity_sequence);
        let key = self
            .key
            .as_ref()
            .map(|(k, playlist_url)| KeyRef::new(k, playlist_url, msn));
        if let Some(p) = self.trailing_parts.get(index) {
            return Some(FragmentRef {
                position,
                is_part: true,
                url: p.url.clone(),
                duration: p.duration,
                independent: p.independent,
                map_url: self.map_url.clone(),
                map_range: self.map_range,
                range: None,
                key,
                discontinuity_sequence,
                hinted: false,
                gap: p.gap,
            });
        }
        let hint = self.hint.as_ref().filter(|h| h.position == position)?;
        Some(FragmentRef {
            position,
            is_part: true,
            url: hint.url.clone(),
            duration: self.part_target.unwrap_or(0.0),
            // Unknown until listed: a part that starts a segment always is (it starts on a keyframe).
            independent: part == 0,
            map_url: self.map_url.clone(),
            map_range: self.map_range,
            range: None,
            key,
            discontinuity_sequence,
            hinted: true,
            gap: false,
        })
    }

    /// The position after `fragment`.
    pub fn after(&self, fragment: &FragmentRef) -> Position {
        let next_segment = Position::segment(fragment.position.msn.saturating_add(1));
        if !fragment.is_part {
            return next_segment;
        }
        let part = fragment.position.part.saturating_add(1);
        let count = self.parts_of(fragment.position.msn).len();
        let complete = self.segment(fragment.position.msn).is_some();
        if complete && usize::try_from(part).unwrap_or(usize::MAX) >= count {
            next_segment
        } else {
            Position {
                msn: fragment.position.msn,
                part,
            }
        }
    }

    /// Every position the playlist lists, with the seconds of media from its start to the playlist's
    /// end and whether it is independent: parts where listed (segments' first parts included), whole
    /// segments elsewhere.
    pub fn positions(&self) -> Vec<(Position, f64, bool)> {
        let mut out = Vec::new();
        for s in &self.segments {
            if s.parts.is_empty() {
                out.push((Position::segment(s.msn), s.duration, true));
            } else {
                for (i, p) in s.parts.iter().enumerate() {
                    let part = u32::try_from(i).unwrap_or(u32::MAX);
                    out.push((Position { msn: s.msn, part }, p.duration, p.independent));
                }
            }
        }
        let next = self.next_msn();
        for (i, p) in self.trailing_parts.iter().enumerate() {
            let part = u32::try_from(i).unwrap_or(u32::MAX);
            out.push((Position { msn: next, part }, p.duration, p.independent));
        }
        // Turn durations into distances from the end.
        let mut total = 0.0;
        for entry in out.iter_mut().rev() {
            total += entry.1;
            entry.1 = total;
        }
        out
    }

    /// Seconds of media from `position` to the end of the playlist (0 when it is not listed).
    pub fn distance_from(&self, position: Position) -> f64 {
        self.positions()
            .iter()
            .find(|(p, _, _)| *p >= position)
            .map_or(0.0, |(_, d, _)| *d)
    }

    /// Where to start playing: the latest independent position at least `distance` seconds of media
    /// before the end, or the first listed one when the playlist is shorter; the start of an ended
    /// playlist. `None` when nothing is listed yet.
    pub fn start(&self, distance: f64) -> Option<Position> {
        let positions = self.positions();
        if self.ended {
            return positions.first().map(|(p, _, _)| *p);
        }
        let distance = if distance.is_finite() {
            distance.max(0.0)
        } else {
            0.0
        };
        positions
            .iter()
            .rev()
            .find(|(_, d, independent)| *independent && *d + 1e-3 >= distance)
            .or(positions.first())
            .map(|(p, _, _)| *p)
    }

    /// Total seconds of media listed.
    pub fn duration(&self) -> f64 {
        self.positions().first().map_or(0.0, |(_, d, _)| *d)
    }

    /// What a blocking reload asks for next: the part after the last one listed, or the segment after
    /// the last one when the playlist has no parts. RFC 8216bis 6.2.5.2: "_HLS_msn=<M> ... _HLS_part=<N>".
    pub fn next_reload(&self) -> Position {
        if self.has_parts() {
            self.end()
        } else {
            Position::segment(self.next_msn())
        }
    }

    /// Whether a delta update may be asked for: the server allows it and the playlist is long enough that
    /// skipping saves something ("_HLS_skip=YES ... CAN-SKIP-UNTIL"; it may skip segments older than
    /// that many seconds from the end).
    pub fn can_skip(&self) -> bool {
        self.can_skip_until
            .is_some_and(|until| self.duration() > until && until > 0.0)
    }
}

fn finite(secs: f64) -> f64 {
    if secs.is_finite() {
        secs.max(0.0)
    } else {
        0.0
    }
}
