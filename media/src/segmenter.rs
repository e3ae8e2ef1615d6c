//! The segmenter: takes encoded frames of every track, in arrival order, and cuts CMAF segments that each
//! start on a video keyframe once at least the target duration has passed, keeping audio aligned to the
//! same cut points and every track's timeline continuous (each sample lasts until the next one starts).
//!
//! Audio and video arrive from separate encoders, so a segment is closed only once every audio track has
//! delivered a frame at or past the cut point (or has been silent for [`AUDIO_STALL_SECS`] of video).

use crate::error::SegmentError;
use crate::mux::{write_fragment, Sample, TrackFragment};
use crate::track::InitSegment;
use std::collections::VecDeque;

/// Video may run this far past a cut point without audio before the segment is closed without it.
pub const AUDIO_STALL_SECS: f64 = 1.0;
/// Before the first video keyframe, audio older than this (relative to the newest audio) is dropped.
const MAX_PRE_ROLL_SECS: f64 = 5.0;

/// One encoded frame (access unit) of one track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The track, as in the init segment.
    pub track_id: u32,
    /// Decode time in the track's timescale.
    pub dts: u64,
    /// Presentation time minus decode time, in the track's timescale.
    pub cts_offset: i32,
    /// Duration if the encoder knows it; otherwise taken from the next frame's decode time.
    pub duration: Option<u32>,
    /// True for a sync sample.
    pub keyframe: bool,
    /// The frame's bytes.
    pub data: Vec<u8>,
}

/// How segments are cut.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmenterConfig {
    /// Shortest segment, in seconds: a segment is cut at the first video keyframe at or after it.
    /// Defaults to 2.0.
    pub target_duration_secs: f64,
}

impl Default for SegmenterConfig {
    fn default() -> Self {
        SegmenterConfig {
            target_duration_secs: 2.0,
        }
    }
}

/// A finished segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Media sequence number: 0 for the first segment, then 1, 2, ...
    pub sequence: u64,
    /// Start time in seconds (decode time of the first video sample).
    pub start_secs: f64,
    /// Duration in seconds.
    pub duration_secs: f64,
    /// `moof` + `mdat`.
    pub data: Vec<u8>,
}

#[derive(Debug)]
struct TrackQueue {
    id: u32,
    timescale: u32,
    is_video: bool,
    frames: VecDeque<Frame>,
    last_dts: Option<u64>,
    last_duration: Option<u32>,
}

impl TrackQueue {
    fn secs(&self, dts: u64) -> f64 {
        dts as f64 / f64::from(self.timescale)
    }
}

/// True when `a_dts` (timescale `a_ts`) is at or after `b_dts` (timescale `b_ts`), exactly.
fn at_or_after(a_dts: u64, a_ts: u32, b_dts: u64, b_ts: u32) -> bool {
    u128::from(a_dts) * u128::from(b_ts) >= u128::from(b_dts) * u128::from(a_ts)
}

/// Cuts frames into segments. See the module documentation.
#[derive(Debug)]
pub struct Segmenter {
    tracks: Vec<TrackQueue>,
    video: Option<usize>,
    config: SegmenterConfig,
    next_sequence: u64,
    started: bool,
}

impl Segmenter {
    /// A segmenter for the tracks of this init segment.
    pub fn new(init: &InitSegment, config: SegmenterConfig) -> Self {
        let tracks: Vec<TrackQueue> = init
            .tracks
            .iter()
            .map(|t| TrackQueue {
                id: t.id,
                timescale: t.timescale,
                is_video: t.is_video(),
                frames: VecDeque::new(),
                last_dts: None,
                last_duration: None,
            })
            .collect();
        let video = tracks.iter().position(|t| t.is_video);
        Segmenter {
            started: video.is_none(),
            tracks,
            video,
            config,
            next_sequence: 0,
        }
    }

    /// Adds a frame; returns the segments it completes (usually none or one).
    pub fn push(&mut self, frame: Frame) -> Result<Vec<Segment>, SegmentError> {
        let index = self
            .tracks
            .iter()
            .position(|t| t.id == frame.track_id)
            .ok_or(SegmentError::UnknownTrack(frame.track_id))?;
        let track = &mut self.tracks[index];
        if let Some(previous) = track.last_dts {
            if frame.dts <= previous {
                return Err(SegmentError::TimeBackwards {
                    track_id: frame.track_id,
                    dts: frame.dts,
                    previous,
                });
            }
        }
        track.last_dts = Some(frame.dts);
        if !self.started {
            if track.is_video {
                if !frame.keyframe {
                    return Ok(Vec::new()); // a stream starts on a keyframe
                }
                self.started = true;
                let (start, timescale) = (frame.dts, track.timescale);
                track.frames.push_back(frame);
                for other in self.tracks.iter_mut().filter(|t| !t.is_video) {
                    let ts = other.timescale;
                    other
                        .frames
                        .retain(|f| at_or_after(f.dts, ts, start, timescale));
                }
            } else {
                let newest = track.secs(frame.dts);
                track.frames.push_back(frame);
                while let Some(oldest) = track.frames.front() {
                    if newest - track.secs(oldest.dts) > MAX_PRE_ROLL_SECS {
                        track.frames.pop_front();
                    } else {
                        break;
                    }
                }
            }
            return Ok(Vec::new());
        }
        track.frames.push_back(frame);
        let mut out = Vec::new();
        while let Some(segment) = self.try_cut()? {
            out.push(segment);
        }
        Ok(out)
    }

    /// Writes whatever is left as a last segment.
    pub fn finish(&mut self) -> Result<Option<Segment>, SegmentError> {
        if !self.started {
            return Ok(None);
        }
        let mut cut: Vec<(usize, usize)> = Vec::new();
        for (i, t) in self.tracks.iter().enumerate() {
            cut.push((i, t.frames.len()));
        }
        self.emit(&cut)
    }

    /// The index in the video queue of the keyframe that ends the current segment, if there is one.
    fn video_cut(&self, video: &TrackQueue) -> Option<usize> {
        let first = video.frames.front()?;
        let target = self.config.target_duration_secs;
        video.frames.iter().enumerate().skip(1).find_map(|(i, f)| {
            let long_enough = video.secs(f.dts - first.dts) + 1e-6 >= target;
            (f.keyframe && long_enough).then_some(i)
        })
    }

    fn try_cut(&mut self) -> Result<Option<Segment>, SegmentError> {
        let mut cut: Vec<(usize, usize)> = Vec::new();
        match self.video {
            Some(v) => {
                let video = &self.tracks[v];
                let Some(c) = self.video_cut(video) else {
                    return Ok(None);
                };
                let cut_dts = video.frames[c].dts;
                let cut_ts = video.timescale;
                let newest_video = video.frames.back().map_or(cut_dts, |f| f.dts);
                let video_past_cut = video.secs(newest_video.saturating_sub(cut_dts));
                cut.push((v, c));
                for (i, t) in self.tracks.iter().enumerate() {
                    if i == v {
                        continue;
                    }
                    let reached = t
                        .frames
                        .back()
                        .is_some_and(|f| at_or_after(f.dts, t.timescale, cut_dts, cut_ts));
                    if !reached && video_past_cut < AUDIO_STALL_SECS {
                        return Ok(None); // wait for this track to pass the cut point
                    }
                    let n = t
                        .frames
                        .iter()
                        .take_while(|f| !at_or_after(f.dts, t.timescale, cut_dts, cut_ts))
                        .count();
                    cut.push((i, n));
                }
            }
            None => {
                // Audio only: cut the first track on time; others follow its cut point.
                let Some(first) = self.tracks.first() else {
                    return Ok(None);
                };
                let Some(start) = first.frames.front().map(|f| f.dts) else {
                    return Ok(None);
                };
                let target = self.config.target_duration_secs;
                let Some(c) = first
                    .frames
                    .iter()
                    .position(|f| first.secs(f.dts - start) + 1e-6 >= target)
                else {
                    return Ok(None);
                };
                let (cut_dts, cut_ts) = (first.frames[c].dts, first.timescale);
                cut.push((0, c));
                for (i, t) in self.tracks.iter().enumerate().skip(1) {
                    let n = t
                        .frames
                        .iter()
                        .take_while(|f| !at_or_after(f.dts, t.timescale, cut_dts, cut_ts))
                        .count();
                    cut.push((i, n));
                }
            }
        }
        self.emit(&cut)
    }

    /// Takes `n` frames from each listed track and writes them as one segment.
    fn emit(&mut self, cut: &[(usize, usize)]) -> Result<Option<Segment>, SegmentError> {
        let mut fragments = Vec::new();
        let mut start_secs = None;
        let mut duration_secs = 0.0f64;
        for &(i, n) in cut {
            let track = &mut self.tracks[i];
            if n == 0 {
                continue;
            }
            let taken: Vec<Frame> = track.frames.drain(..n).collect();
            let next_dts = track.frames.front().map(|f| f.dts);
            let mut samples = Vec::with_capacity(taken.len());
            for (k, frame) in taken.iter().enumerate() {
                let following = taken.get(k + 1).map(|f| f.dts).or(next_dts);
                let duration = match following {
                    Some(next) => u32::try_from(next - frame.dts).unwrap_or(u32::MAX),
                    None => frame
                        .duration
                        .or(track.last_duration)
                        .unwrap_or(track.timescale / 30),
                };
                track.last_duration = Some(duration);
                samples.push(Sample {
                    duration,
                    cts_offset: frame.cts_offset,
                    keyframe: frame.keyframe || !track.is_video,
                    data: frame.data.clone(),
                });
            }
            let base = taken.first().map_or(0, |f| f.dts);
            let total: u64 = samples.iter().map(|s| u64::from(s.duration)).sum();
            // The segment's time is the video track's; without video, the first track's.
            let primary = Some(i) == self.video || (self.video.is_none() && start_secs.is_none());
            if primary || start_secs.is_none() {
                start_secs = Some(track.secs(base));
                duration_secs = track.secs(total);
            }
            fragments.push(TrackFragment {
                track_id: track.id,
                base_decode_time: base,
                samples,
            });
        }
        if fragments.is_empty() {
            return Ok(None);
        }
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let data = write_fragment((sequence + 1) as u32, &fragments)?;
        Ok(Some(Segment {
            sequence,
            start_secs: start_secs.unwrap_or(0.0),
            duration_secs,
            data,
        }))
    }
}
