//! The segmenter: takes encoded frames of every track, in arrival order, and cuts CMAF segments that each
//! start on a video keyframe once at least the target duration has passed, keeping audio aligned to the
//! same cut points and every track's timeline continuous (each sample lasts until the next one starts).
//!
//! With a part target it also cuts Low-Latency HLS parts: each part is one CMAF fragment (`moof` + `mdat`)
//! of at most about the part target, emitted as soon as it is complete; a segment is the concatenation of
//! its parts. A part is INDEPENDENT when it starts on a video keyframe (the first part of every segment).
//!
//! Audio and video arrive from separate encoders, so a segment is closed only once every audio track has
//! delivered a frame at or past the cut point (or has been silent for [`AUDIO_STALL_SECS`] of video, or
//! for one part target when parts are cut: a live part is not held longer than a part for late audio,
//! which then starts the next part).

use crate::error::SegmentError;
use crate::mux::{write_fragment_with, FragmentOptions, ProducerTime, Sample, TrackFragment};
use crate::track::InitSegment;
use std::collections::VecDeque;

/// Video may run this far past a cut point without audio before the segment is closed without it.
pub const AUDIO_STALL_SECS: f64 = 1.0;
/// A part ends once it lasts this fraction of the part target ("each Partial Segment ... MUST be at
/// least 85% of the Part Target Duration", except the last of a segment, RFC 8216bis 4.4.4.9).
pub const MIN_PART_FRACTION: f64 = 0.85;
/// Slack for comparing durations computed from integer ticks with targets given in seconds.
const CUT_EPSILON_SECS: f64 = 1e-6;
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
    /// Low-Latency HLS part target in seconds (`EXT-X-PART-INF:PART-TARGET`), e.g. 0.2–0.5; `None` (the
    /// default) for one part per segment.
    pub part_target_secs: Option<f64>,
}

impl Default for SegmenterConfig {
    fn default() -> Self {
        SegmenterConfig {
            target_duration_secs: 2.0,
            part_target_secs: None,
        }
    }
}

/// A finished part: one CMAF fragment of the segment being produced.
#[derive(Debug, Clone, PartialEq)]
pub struct PartChunk {
    /// Media sequence number of the segment it belongs to.
    pub sequence: u64,
    /// Its index within that segment: 0, 1, 2, ...
    pub index: u32,
    /// `INDEPENDENT=YES`: it starts on a video keyframe (or has no video).
    pub independent: bool,
    /// Start time in seconds.
    pub start_secs: f64,
    /// Duration in seconds.
    pub duration_secs: f64,
    /// `moof` + `mdat`.
    pub data: Vec<u8>,
}

/// What the segmenter produces, in order: parts, and after the last part of a segment, the segment.
#[derive(Debug, Clone, PartialEq)]
pub enum Chunk {
    /// A part is complete.
    Part(PartChunk),
    /// A segment is complete (its data is its parts, concatenated).
    Segment(Segment),
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
    /// Fragment sequence number (`mfhd`) of the next part.
    next_fragment: u32,
    /// The segment being produced: its parts so far.
    current: Vec<PartChunk>,
    /// Decode time of the current segment's first video sample (first track without video).
    segment_start_dts: Option<u64>,
    /// Wall clock anchor: (track, decode time, Unix microseconds) for `prft` boxes.
    clock: Option<(u32, u64, u64)>,
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
            next_fragment: 1,
            current: Vec::new(),
            segment_start_dts: None,
            clock: None,
        }
    }

    /// Anchors media time to the producer's wall clock: the frame of `track_id` at decode time `dts` was
    /// captured at `unix_micros`. From then on every part starts with a `prft` box for that track, the
    /// basis for measuring latency end to end.
    pub fn set_wall_clock(&mut self, track_id: u32, dts: u64, unix_micros: u64) {
        self.clock = Some((track_id, dts, unix_micros));
    }

    /// Adds a frame; returns the segments it completes (usually none or one).
    pub fn push(&mut self, frame: Frame) -> Result<Vec<Segment>, SegmentError> {
        Ok(segments_of(self.push_chunks(frame)?))
    }

    /// Writes whatever is left as a last segment.
    pub fn finish(&mut self) -> Result<Option<Segment>, SegmentError> {
        Ok(segments_of(self.finish_chunks()?).pop())
    }

    /// Adds a frame; returns the parts and segments it completes, in order.
    pub fn push_chunks(&mut self, frame: Frame) -> Result<Vec<Chunk>, SegmentError> {
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
        while self.try_cut(&mut out)? {}
        Ok(out)
    }

    /// Writes whatever is left as a last part and segment.
    pub fn finish_chunks(&mut self) -> Result<Vec<Chunk>, SegmentError> {
        let mut out = Vec::new();
        if !self.started {
            return Ok(out);
        }
        let cut: Vec<(usize, usize)> = self
            .tracks
            .iter()
            .enumerate()
            .map(|(i, t)| (i, t.frames.len()))
            .collect();
        self.emit(&cut, true, &mut out)?;
        Ok(out)
    }

    /// How much video may pass a cut point while an audio track has not reached it:
    /// [`AUDIO_STALL_SECS`], or one part target when that is less.
    fn audio_wait_secs(&self) -> f64 {
        self.config
            .part_target_secs
            .map_or(AUDIO_STALL_SECS, |p| p.min(AUDIO_STALL_SECS))
    }

    /// Where the next part of the queue `q` ends: `(index, ends the segment)`. A segment ends at a video
    /// keyframe (any sample without video) once the segment is long enough. A part ends once it lasts
    /// [`MIN_PART_FRACTION`] of the part target and another frame (expected one frame interval later)
    /// would not fit, and it never runs past the target: when a frame arrives late enough to take it
    /// over, the part ends before that frame ("The duration of a Partial Segment MUST be
    /// less than or equal to the Part Target Duration", RFC 8216bis 4.4.4.9), or, when that would
    /// leave it under [`MIN_PART_FRACTION`] of the target, the frame before stays in it, cut short to
    /// end at the target. Only a single frame longer than the target makes a longer part.
    fn next_cut(&self, q: &TrackQueue) -> Option<(usize, bool)> {
        let first = q.frames.front()?;
        let segment_start = self.segment_start_dts.unwrap_or(first.dts);
        let target = self.config.target_duration_secs;
        let part_target = self.config.part_target_secs;
        q.frames.iter().enumerate().skip(1).find_map(|(i, f)| {
            let part_secs = q.secs(f.dts.saturating_sub(first.dts));
            if let Some(p) = part_target.filter(|p| part_secs > p + CUT_EPSILON_SECS && i >= 2) {
                // Frame `i` is late enough that the frames before it would outlast the target. Ending
                // before frame `i - 1` instead may leave a part too short for the 85 % rule (at 4
                // frames a part, always): then frame `i - 1` stays, cut short to end at the target
                // (`emit`), and a hole of the lateness follows it.
                let without = q.secs(
                    q.frames
                        .get(i - 1)
                        .map_or(0, |g| g.dts.saturating_sub(first.dts)),
                );
                let too_short = without + CUT_EPSILON_SECS < p * MIN_PART_FRACTION;
                return Some((if q.is_video && too_short { i } else { i - 1 }, false));
            }
            let segment_long =
                q.secs(f.dts.saturating_sub(segment_start)) + CUT_EPSILON_SECS >= target;
            if (f.keyframe || !q.is_video) && segment_long {
                return Some((i, true));
            }
            // Long enough, and the next frame (expected one frame interval later) would not fit.
            let interval = q.secs(
                f.dts
                    .saturating_sub(q.frames.get(i - 1).map_or(f.dts, |p| p.dts)),
            );
            let part_long = part_target.is_some_and(|p| {
                part_secs + CUT_EPSILON_SECS >= p * MIN_PART_FRACTION
                    && part_secs + interval > p + CUT_EPSILON_SECS
            });
            part_long.then_some((i, false))
        })
    }

    fn try_cut(&mut self, out: &mut Vec<Chunk>) -> Result<bool, SegmentError> {
        let mut cut: Vec<(usize, usize)> = Vec::new();
        let segment_end;
        match self.video {
            Some(v) => {
                let video = &self.tracks[v];
                let Some((c, ends)) = self.next_cut(video) else {
                    return Ok(false);
                };
                segment_end = ends;
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
                    if !reached && video_past_cut < self.audio_wait_secs() {
                        return Ok(false); // wait for this track to pass the cut point
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
                    return Ok(false);
                };
                let Some((c, ends)) = self.next_cut(first) else {
                    return Ok(false);
                };
                segment_end = ends;
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
        self.emit(&cut, segment_end, out)?;
        Ok(true)
    }

    /// Takes `n` frames from each listed track and writes them as one part; when `segment_end`, the part
    /// closes its segment.
    fn emit(
        &mut self,
        cut: &[(usize, usize)],
        segment_end: bool,
        out: &mut Vec<Chunk>,
    ) -> Result<(), SegmentError> {
        let mut fragments = Vec::new();
        let mut start_secs = None;
        let mut duration_secs = 0.0f64;
        let mut independent = self.video.is_none();
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
            // A frame so late that the part would outlast the part target (a capture or encoder stall)
            // is shown for less: the part ends at the target and the next starts after a gap, rather
            // than breaking PART-TARGET for every player.
            if let Some(p) = self
                .config
                .part_target_secs
                .filter(|_| Some(i) == self.video)
            {
                let limit = (p * f64::from(track.timescale)).floor() as u64;
                let total: u64 = samples.iter().map(|s| u64::from(s.duration)).sum();
                if let Some(last) = samples.last_mut().filter(|_| total > limit) {
                    let excess = total - limit;
                    let shortened = u64::from(last.duration).saturating_sub(excess).max(1);
                    last.duration = u32::try_from(shortened).unwrap_or(1);
                }
            }
            let total: u64 = samples.iter().map(|s| u64::from(s.duration)).sum();
            // The segment's time is the video track's; without video, the first track's.
            let primary = Some(i) == self.video || (self.video.is_none() && start_secs.is_none());
            if primary || start_secs.is_none() {
                start_secs = Some(track.secs(base));
                duration_secs = track.secs(total);
            }
            if Some(i) == self.video {
                independent = taken.first().is_some_and(|f| f.keyframe);
            }
            if primary && self.segment_start_dts.is_none() {
                self.segment_start_dts = Some(base);
            }
            fragments.push(TrackFragment {
                track_id: track.id,
                base_decode_time: base,
                samples,
            });
        }
        if !fragments.is_empty() {
            let producer_time = self.clock.and_then(|(track_id, anchor_dts, anchor_us)| {
                let track = self.tracks.iter().find(|t| t.id == track_id)?;
                let fragment = fragments.iter().find(|f| f.track_id == track_id)?;
                let delta = fragment.base_decode_time as i128 - anchor_dts as i128;
                let micros = anchor_us as i128 + delta * 1_000_000 / i128::from(track.timescale);
                Some(ProducerTime::from_unix_micros(
                    track_id,
                    u64::try_from(micros).ok()?,
                    fragment.base_decode_time,
                ))
            });
            let options = FragmentOptions {
                styp: false,
                producer_time,
            };
            let data = write_fragment_with(self.next_fragment, &fragments, &options)?;
            self.next_fragment = self.next_fragment.wrapping_add(1);
            let part = PartChunk {
                sequence: self.next_sequence,
                index: self.current.len() as u32,
                independent,
                start_secs: start_secs.unwrap_or(0.0),
                duration_secs,
                data,
            };
            self.current.push(part.clone());
            out.push(Chunk::Part(part));
        }
        if segment_end && !self.current.is_empty() {
            let parts = std::mem::take(&mut self.current);
            let segment = Segment {
                sequence: self.next_sequence,
                start_secs: parts.first().map_or(0.0, |p| p.start_secs),
                duration_secs: parts.iter().map(|p| p.duration_secs).sum(),
                data: parts.iter().flat_map(|p| p.data.iter().copied()).collect(),
            };
            self.next_sequence += 1;
            self.segment_start_dts = None;
            out.push(Chunk::Segment(segment));
        }
        Ok(())
    }
}

fn segments_of(chunks: Vec<Chunk>) -> Vec<Segment> {
    chunks
        .into_iter()
        .filter_map(|c| match c {
            Chunk::Segment(s) => Some(s),
            Chunk::Part(_) => None,
        })
        .collect()
}
