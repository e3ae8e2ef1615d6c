//! One rendition's state and the upload rules, as pure functions: `check_*` decides without changing
//! anything, `apply_*` records what was checked (and stored) before.
//!
//! The rules (CONTRACT.md): an init segment must parse, and may not change once the rendition has
//! segments. A segment needs an init first; its msn must be the next one (an identical retry of an
//! existing msn is accepted and stored once); it must parse against the rendition's init, name only its
//! tracks, contain samples, start its video track with a keyframe and not go back in decode time on any
//! track relative to the previous segment's end.

use std::collections::BTreeMap;
use std::time::SystemTime;

use bytes::Bytes;
use onair_media::{parse_init, parse_segment, InitSegment, Limits, MediaSegment};

use crate::error::{AppError, AppResult};

/// A rendition's accepted init segment.
#[derive(Debug, Clone)]
pub struct InitState {
    /// What it says.
    pub parsed: InitSegment,
    /// Its bytes, served as `init.mp4`.
    pub bytes: Bytes,
}

/// What the playlists need to know about one accepted segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentInfo {
    /// Media sequence number.
    pub msn: u64,
    /// Duration in seconds (`EXTINF`), from the video track if any, else the longest track.
    pub duration_secs: f64,
    /// Size of the `moof`+`mdat` in bytes.
    pub bytes: u64,
    /// When the upload was accepted (wall clock).
    pub received_at: SystemTime,
}

/// A segment that passed every check, ready to be stored and applied.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptedSegment {
    /// Playlist facts.
    pub info: SegmentInfo,
    /// End decode time of each track in the segment, in the track's timescale.
    pub track_ends: Vec<(u32, u64)>,
}

/// Outcome of [`Rendition::check_init`].
#[derive(Debug)]
pub enum InitCheck {
    /// Same bytes as the current init: nothing to do.
    Unchanged,
    /// A new init to store, then [`Rendition::apply_init`].
    Store(InitSegment),
}

/// Outcome of [`Rendition::check_segment`].
#[derive(Debug)]
pub enum SegmentCheck {
    /// The msn already exists with this length: a retry if the stored bytes are equal.
    PossibleRetry {
        /// The existing segment's msn.
        msn: u64,
    },
    /// A new segment to store, then [`Rendition::apply_segment`].
    New(AcceptedSegment),
}

/// One rendition of a stream.
#[derive(Debug, Clone, Default)]
pub struct Rendition {
    init: Option<InitState>,
    /// Accepted segments; msns are contiguous from 0, so `segments[i].msn == i`.
    segments: Vec<SegmentInfo>,
    /// End decode time per track id after the last accepted segment.
    track_ends: BTreeMap<u32, u64>,
}

impl Rendition {
    /// The accepted init segment, if any.
    pub fn init(&self) -> Option<&InitState> {
        self.init.as_ref()
    }

    /// Accepted segments in msn order.
    pub fn segments(&self) -> &[SegmentInfo] {
        &self.segments
    }

    /// The segment with this msn.
    pub fn segment(&self, msn: u64) -> Option<&SegmentInfo> {
        let index = usize::try_from(msn).ok()?;
        self.segments.get(index).filter(|s| s.msn == msn)
    }

    /// The msn the next new segment must have.
    pub fn next_msn(&self) -> u64 {
        self.segments.last().map_or(0, |s| s.msn.saturating_add(1))
    }

    /// Decides what to do with an uploaded init segment.
    pub fn check_init(&self, data: &[u8]) -> AppResult<InitCheck> {
        if let Some(current) = &self.init {
            if current.bytes == data {
                return Ok(InitCheck::Unchanged);
            }
        }
        let parsed = parse_init(data).map_err(|source| AppError::InvalidInit { source })?;
        if parsed.tracks.is_empty() {
            return Err(AppError::bad_request(
                "invalid init segment: it has no tracks",
            ));
        }
        if let Some(track) = parsed.tracks.iter().find(|t| t.timescale == 0) {
            return Err(AppError::bad_request(format!(
                "invalid init segment: track {} has timescale 0",
                track.id
            )));
        }
        if self.init.is_some() && !self.segments.is_empty() {
            return Err(AppError::conflict(
                "this rendition already has segments: a different init segment would change its codecs; \
                 use a new rendition or a new stream",
            ));
        }
        Ok(InitCheck::Store(parsed))
    }

    /// Records a checked init segment.
    pub fn apply_init(&mut self, parsed: InitSegment, bytes: Bytes) {
        self.init = Some(InitState { parsed, bytes });
    }

    /// Decides what to do with an uploaded segment `msn` received at `received_at`.
    pub fn check_segment(
        &self,
        msn: u64,
        data: &[u8],
        limits: &Limits,
        received_at: SystemTime,
    ) -> AppResult<SegmentCheck> {
        let Some(init) = &self.init else {
            return Err(AppError::conflict(
                "no init segment for this rendition yet: PUT init.mp4 first",
            ));
        };
        let next = self.next_msn();
        if msn < next {
            let same_len = self
                .segment(msn)
                .is_some_and(|s| usize::try_from(s.bytes).ok() == Some(data.len()));
            return if same_len {
                Ok(SegmentCheck::PossibleRetry { msn })
            } else {
                Err(segment_exists(msn))
            };
        }
        if msn > next {
            return Err(AppError::conflict(format!(
                "expected segment {next}, got {msn}"
            )));
        }

        let segment = parse_segment(&init.parsed, data, limits)
            .map_err(|source| AppError::InvalidSegment { msn, source })?;
        let duration_secs = self
            .validate(&init.parsed, &segment)
            .map_err(|reason| AppError::RejectedSegment { msn, reason })?;
        Ok(SegmentCheck::New(AcceptedSegment {
            info: SegmentInfo {
                msn,
                duration_secs,
                bytes: u64::try_from(data.len()).unwrap_or(u64::MAX),
                received_at,
            },
            track_ends: segment
                .tracks
                .iter()
                .map(|t| (t.track_id, t.end_decode_time()))
                .collect(),
        }))
    }

    /// Checks a parsed segment against the init and the previous segment; returns its duration.
    fn validate(&self, init: &InitSegment, segment: &MediaSegment) -> Result<f64, String> {
        if segment.tracks.iter().all(|t| t.samples.is_empty()) {
            return Err("it has no samples".into());
        }
        for track in &segment.tracks {
            if init.track(track.track_id).is_none() {
                return Err(format!(
                    "track id {} is not in the init segment",
                    track.track_id
                ));
            }
            if let Some(&end) = self.track_ends.get(&track.track_id) {
                if track.base_decode_time < end {
                    return Err(format!(
                        "decode time of track {} goes backwards: starts at {} but the previous segment ended at {}",
                        track.track_id, track.base_decode_time, end
                    ));
                }
            }
        }
        if let Some(video) = init.video() {
            let first = segment
                .track(video.id)
                .and_then(|t| t.samples.first())
                .ok_or_else(|| format!("it has no samples of video track {}", video.id))?;
            if !first.keyframe {
                return Err(format!(
                    "video track {} does not start with a keyframe",
                    video.id
                ));
            }
        }
        let duration = segment.duration_secs(init);
        if !(duration.is_finite() && duration > 0.0) {
            return Err(format!("invalid duration {duration} s"));
        }
        Ok(duration)
    }

    /// Records a checked (and stored) segment.
    pub fn apply_segment(&mut self, accepted: AcceptedSegment) {
        debug_assert_eq!(accepted.info.msn, self.next_msn());
        for (track_id, end) in accepted.track_ends {
            self.track_ends.insert(track_id, end);
        }
        self.segments.push(accepted.info);
    }
}

/// The error for an msn that exists with other content.
pub fn segment_exists(msn: u64) -> AppError {
    AppError::conflict(format!(
        "segment {msn} already exists with different content"
    ))
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;
    use crate::test_media::*;

    fn limits() -> Limits {
        Limits::default()
    }

    fn at() -> SystemTime {
        UNIX_EPOCH
    }

    fn with_init() -> Rendition {
        let mut rendition = Rendition::default();
        let bytes = av_init_bytes();
        match rendition.check_init(&bytes).unwrap() {
            InitCheck::Store(parsed) => rendition.apply_init(parsed, Bytes::from(bytes)),
            InitCheck::Unchanged => panic!("first init is new"),
        }
        rendition
    }

    fn accept(rendition: &mut Rendition, msn: u64, data: &[u8]) -> SegmentInfo {
        match rendition.check_segment(msn, data, &limits(), at()).unwrap() {
            SegmentCheck::New(accepted) => {
                let info = accepted.info.clone();
                rendition.apply_segment(accepted);
                info
            }
            SegmentCheck::PossibleRetry { .. } => panic!("segment {msn} should be new"),
        }
    }

    /// The reason of a rejection, with its status.
    fn rejection(rendition: &Rendition, msn: u64, data: &[u8]) -> (u16, String) {
        let err = rendition
            .check_segment(msn, data, &limits(), at())
            .expect_err("should be rejected");
        (err.status_code().as_u16(), err.to_string())
    }

    #[test]
    fn init_rules() {
        let mut rendition = Rendition::default();
        let err = rendition.check_init(b"garbage!").unwrap_err();
        assert_eq!(err.status_code(), 400, "{err}");

        rendition = with_init();
        assert!(matches!(
            rendition.check_init(&av_init_bytes()).unwrap(),
            InitCheck::Unchanged
        ));
        // Before any segment, another init replaces the first one.
        let video_only = init_bytes(&InitSegment {
            tracks: vec![video_track()],
        });
        assert!(matches!(
            rendition.check_init(&video_only).unwrap(),
            InitCheck::Store(_)
        ));
        // After a segment, a different init is a codec change.
        accept(&mut rendition, 0, &av_segment(0));
        assert_eq!(
            rendition.check_init(&video_only).unwrap_err().status_code(),
            409
        );
        assert!(matches!(
            rendition.check_init(&av_init_bytes()).unwrap(),
            InitCheck::Unchanged
        ));
    }

    #[test]
    fn accepts_a_continuous_stream() {
        let mut rendition = with_init();
        for msn in 0..3 {
            let data = av_segment(msn);
            let info = accept(&mut rendition, msn, &data);
            assert_eq!(info.msn, msn);
            assert!((info.duration_secs - SEGMENT_SECS).abs() < 1e-9);
            assert_eq!(info.bytes, data.len() as u64);
        }
        assert_eq!(rendition.next_msn(), 3);
        assert_eq!(rendition.segment(1).map(|s| s.msn), Some(1));
        assert!(rendition.segment(3).is_none());
    }

    #[test]
    fn segment_rules() {
        let empty = Rendition::default();
        assert_eq!(rejection(&empty, 0, &av_segment(0)).0, 409, "no init yet");

        let mut rendition = with_init();
        assert_eq!(
            rejection(&rendition, 1, &av_segment(1)).0,
            409,
            "first msn is 0"
        );
        let seg0 = av_segment(0);
        accept(&mut rendition, 0, &seg0);

        // An identical retry is possible, a different body under the same msn is not.
        assert!(matches!(
            rendition.check_segment(0, &seg0, &limits(), at()).unwrap(),
            SegmentCheck::PossibleRetry { msn: 0 }
        ));
        assert_eq!(rejection(&rendition, 0, &seg0[..seg0.len() - 1]).0, 409);
        // Gaps are refused.
        let (status, reason) = rejection(&rendition, 2, &av_segment(2));
        assert_eq!(status, 409);
        assert!(reason.contains("expected segment 1, got 2"), "{reason}");

        // Malformed bodies.
        let seg1 = av_segment(1);
        let (status, reason) = rejection(&rendition, 1, &seg1[..seg1.len() - 10]);
        assert_eq!(status, 400);
        assert!(reason.contains("segment 1"), "{reason}");
        assert_eq!(rejection(&rendition, 1, b"").0, 400);
        assert_eq!(rejection(&rendition, 1, &[0xab; 64]).0, 400);
        assert_eq!(
            rejection(&rendition, 1, &av_init_bytes()).0,
            400,
            "an init is no segment"
        );

        // No keyframe first.
        let (status, reason) = rejection(&rendition, 1, &av_segment_with(1, false));
        assert_eq!(status, 400);
        assert!(reason.contains("keyframe"), "{reason}");

        // Going back in time: segment 0's timing again under msn 1.
        let (status, reason) = rejection(&rendition, 1, &av_segment(0));
        assert_eq!(status, 400);
        assert!(reason.contains("backwards"), "{reason}");

        // Audio only in a rendition with video.
        let audio_only = fragment(1, &[audio_fragment(96_000)]);
        let (status, reason) = rejection(&rendition, 1, &audio_only);
        assert_eq!(status, 400);
        assert!(reason.contains("video track"), "{reason}");

        // Unknown track id.
        let mut stray = video_fragment(180_000, true);
        stray.track_id = 9;
        assert_eq!(rejection(&rendition, 1, &fragment(1, &[stray])).0, 400);

        // None of that changed anything.
        assert_eq!(rendition.next_msn(), 1);
        accept(&mut rendition, 1, &seg1);
    }

    #[test]
    fn audio_only_renditions_need_no_keyframe_flags() {
        let mut rendition = Rendition::default();
        let init = InitSegment {
            tracks: vec![audio_track()],
        };
        let bytes = init_bytes(&init);
        match rendition.check_init(&bytes).unwrap() {
            InitCheck::Store(parsed) => rendition.apply_init(parsed, Bytes::from(bytes)),
            InitCheck::Unchanged => unreachable!(),
        }
        let info = accept(&mut rendition, 0, &fragment(0, &[audio_fragment(0)]));
        assert!((info.duration_secs - SEGMENT_SECS).abs() < 1e-9);
    }
}
