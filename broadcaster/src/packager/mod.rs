//! From encoded chunks to CMAF: the browser-free heart of the broadcaster.
//!
//! The encoders report their decoder configuration (avcC, OpusHead) with their first output. The
//! packager holds chunks until it knows every track's configuration, then writes the init segment, puts
//! every chunk on the broadcast timeline (zero = the first video keyframe), merges the tracks in time
//! order and feeds them to [`Segmenter`], returning what must be uploaded: the init segment and every
//! Low-Latency HLS part as soon as it is complete ([`Output::Part`]). The end of each segment is
//! reported too ([`Output::Segment`]), for the counters only: the server builds segments from parts.
//!
//! With a wall clock anchor ([`Packager::set_wall_clock`]) every part carries a `prft` box with the
//! capture wall clock of its first video frame, so latency can be measured end to end.
//!
//! This file holds the [`Packager`] state machine and the broadcast's segmenting settings; `input.rs`
//! what it is given ([`EncodedChunk`], [`AudioConfig`]), `output.rs` what it produces ([`Output`]),
//! `tracks.rs` the init segment's tracks built from the encoders' configurations, and `tests.rs` its
//! tests against the media crate's demuxer.

mod input;
mod output;
mod tracks;

use onair_media::{write_init, Frame, InitSegment, Segmenter, SegmenterConfig, TrackInfo};

pub use input::{AudioConfig, EncodedChunk, TrackKind};
pub use output::{Output, SegmentInfo};

use crate::error::BroadcastError;
use crate::interleave::{Interleaver, DEFAULT_MAX_PENDING};
use crate::timeline::{Timeline, VIDEO_TIMESCALE};
use output::outputs;
use tracks::{audio_track, video_track};

/// Track id of the video track in the init segment.
pub const VIDEO_TRACK_ID: u32 = 1;
/// Track id of the audio track in the init segment.
pub const AUDIO_TRACK_ID: u32 = 2;

/// Video chunks held while waiting for the audio configuration before giving up on audio (3 s at 20 fps).
pub const MAX_WAIT_FOR_AUDIO_CHUNKS: usize = 60;

/// Opus pre-skip, in 48 kHz samples, used when the encoder gives no OpusHead: libopus' usual
/// encoder delay.
pub const DEFAULT_OPUS_PRE_SKIP: u16 = 312;

/// Target segment duration, in seconds (`EXT-X-TARGETDURATION` rounds it up to 2). Segments start on the
/// keyframes the encoder is asked for every 2 s ([`crate::keyframe::KEYFRAME_INTERVAL_US`]).
pub const SEGMENT_TARGET_SECS: f64 = 2.0;

/// Low-Latency HLS part target, in seconds, when the camera's frame rate is unknown
/// (`EXT-X-PART-INF:PART-TARGET`, and the `OnAir-Part-Target` header of every part upload); a camera
/// with a frame rate gets [`part_target_for`] instead.
pub const PART_TARGET_SECS: f64 = 0.21;

/// What [`part_target_for`] aims a part at, in seconds.
pub const PART_AIM_SECS: f64 = 0.2;

/// Headroom of the part target over the frames a part holds: camera timestamps jitter, and a part a
/// little longer than its target would be cut a frame short.
const PART_HEADROOM: f64 = 1.05;

/// The part target for a camera at `frame_rate` frames per second: the fewest whole frames that last
/// [`PART_AIM_SECS`], plus 5 % headroom; [`PART_TARGET_SECS`] for a rate that is not a positive number.
///
/// "The duration of a Partial Segment MUST be less than or equal to the Part Target Duration" and, except
/// for the last part of a segment, "at least 85% of the Part Target Duration" (RFC 8216bis 4.4.4.9): a
/// part of whole frames fits that window at any frame rate only when the target is made from it. At 30,
/// 25, 15 and 60 fps parts are 0.2 s (target 0.21 s, `PART-HOLD-BACK` 0.63 s); at 24 fps 0.208 s
/// (target 0.219 s).
///
/// Parts of 0.1 s were measured too (`bench-latency`, from the pixels): they save about 0.05 s of
/// waiting for a part to fill and would let `PART-HOLD-BACK` drop to 0.315 s, but on a shared 2-core
/// machine a player that close to the edge stalled several times a minute (so does the player's
/// latency floor, `LatencyConfig::min_target_secs`), and they double the part uploads, part requests
/// and blocking reloads (about 10 per second per rendition and viewer instead of 5).
pub fn part_target_for(frame_rate: f64) -> f64 {
    if !(frame_rate.is_finite() && frame_rate > 0.0) {
        return PART_TARGET_SECS;
    }
    let frames = (PART_AIM_SECS * frame_rate - 1e-9).ceil().max(1.0);
    let target = frames / frame_rate * PART_HEADROOM;
    // Thousandths, as the header carries it; never below what the origin takes.
    ((target * 1000.0).round() / 1000.0).clamp(
        onair_protocol::MIN_PART_TARGET_SECS,
        onair_protocol::MAX_PART_TARGET_SECS,
    )
}

/// The segmenter configuration of a live broadcast: [`SEGMENT_TARGET_SECS`] segments cut into
/// [`PART_TARGET_SECS`] parts (until [`Packager::set_part_target`] says otherwise).
pub fn live_config() -> SegmenterConfig {
    SegmenterConfig {
        target_duration_secs: SEGMENT_TARGET_SECS,
        part_target_secs: Some(PART_TARGET_SECS),
    }
}

/// Two clocks further apart than this (microseconds) are taken to be different clocks.
const CLOCK_MISMATCH_US: i64 = 10_000_000;

struct Held {
    frame: Frame,
    key_us: i64,
    duration_us: Option<i64>,
}

/// Audio chunks an audio-only packager holds while it waits for the timeline's origin (5 s of 20 ms
/// Opus frames); older ones are dropped.
pub const MAX_WAIT_FOR_ORIGIN_CHUNKS: usize = 250;

/// Turns encoded chunks into an init segment and parts.
pub struct Packager {
    expect_audio: bool,
    /// An audio rendition of a ladder: no video track; its timeline's origin comes from the video
    /// renditions ([`Packager::set_origin`]).
    audio_only: bool,
    /// Whether a video keyframe was placed: a video rendition starts on its own keyframe even when its
    /// timeline came from another rendition.
    video_started: bool,
    video: Option<TrackInfo>,
    audio: Option<TrackInfo>,
    /// Chunks received before the init segment could be written.
    waiting: Vec<EncodedChunk>,
    first_video_us: Option<i64>,
    first_audio_us: Option<i64>,
    /// Added to audio timestamps when the audio clock has another base; decided on the first audio
    /// chunk placed after the timeline exists.
    audio_shift_us: Option<i64>,
    timeline: Option<Timeline>,
    /// Per track, the last chunk, held until the next one gives its duration.
    last_video: Option<Held>,
    last_audio: Option<Held>,
    interleaver: Interleaver<Frame>,
    segmenter: Option<Segmenter>,
    config: SegmenterConfig,
    /// The wall clock anchor: (capture timestamp in microseconds, Unix microseconds at that moment).
    wall_clock: Option<(i64, u64)>,
    /// The same for the audio capture clock, which may have another base.
    audio_wall_clock: Option<(i64, u64)>,
    /// Whether the anchor has been handed to the segmenter.
    wall_clock_set: bool,
    dropped: u64,
    /// Per track (video, audio), the last duration computed, for the final chunk.
    last_durations: [Option<u32>; 2],
}

/// A chunk whose decode time does not move forward is dropped: the segmenter would refuse it.
fn not_after(held: Option<&Held>, dts: u64) -> bool {
    held.is_some_and(|h| dts <= h.frame.dts)
}

impl std::fmt::Debug for Packager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Packager")
            .field("expect_audio", &self.expect_audio)
            .field("audio_only", &self.audio_only)
            .field("video", &self.video)
            .field("audio", &self.audio)
            .field("waiting", &self.waiting.len())
            .field("timeline", &self.timeline)
            .field("dropped", &self.dropped)
            .finish_non_exhaustive()
    }
}

impl Packager {
    /// A packager; with `expect_audio` it waits for the audio configuration before writing the init
    /// segment (for at most [`MAX_WAIT_FOR_AUDIO_CHUNKS`] video chunks). A live broadcast uses
    /// [`live_config`].
    pub fn new(expect_audio: bool, config: SegmenterConfig) -> Self {
        Self {
            expect_audio,
            audio_only: false,
            video_started: false,
            video: None,
            audio: None,
            waiting: Vec::new(),
            first_video_us: None,
            first_audio_us: None,
            audio_shift_us: None,
            timeline: None,
            last_video: None,
            last_audio: None,
            interleaver: Interleaver::new(2, DEFAULT_MAX_PENDING),
            segmenter: None,
            config,
            wall_clock: None,
            audio_wall_clock: None,
            wall_clock_set: false,
            dropped: 0,
            last_durations: [None, None],
        }
    }

    /// A packager of audio alone, the audio rendition of a ladder: it writes its init segment once it
    /// has the audio configuration and the timeline's origin, which the video renditions decide
    /// ([`Packager::set_origin`]); until then it holds the newest [`MAX_WAIT_FOR_ORIGIN_CHUNKS`]
    /// chunks.
    pub fn audio_only(config: SegmenterConfig) -> Self {
        Self {
            audio_only: true,
            ..Self::new(true, config)
        }
    }

    /// Puts zero of the timeline at capture time `origin_us` (the first video keyframe of another
    /// rendition of the same broadcast), so every rendition of a ladder shares one timeline; only
    /// counts before this packager has a timeline of its own. Chunks captured before it are dropped.
    pub fn set_origin(&mut self, origin_us: i64) -> Result<Vec<Output>, BroadcastError> {
        if self.timeline.is_none() {
            self.timeline = Some(Timeline::new(origin_us));
            self.apply_wall_clock();
        }
        self.try_start()
    }

    /// Capture time of zero on the timeline, once there is one.
    pub fn origin_us(&self) -> Option<i64> {
        self.timeline.map(|t| t.origin_us())
    }

    /// Records the video configuration (`decoderConfig.description` = avcC). Only the first call counts.
    pub fn set_video_config(
        &mut self,
        width: u16,
        height: u16,
        avcc: Vec<u8>,
    ) -> Result<Vec<Output>, BroadcastError> {
        if self.video.is_none() && !self.audio_only {
            self.video = Some(video_track(width, height, avcc));
        }
        self.try_start()
    }

    /// Records the audio configuration. Only the first call counts.
    pub fn set_audio_config(&mut self, config: AudioConfig) -> Result<Vec<Output>, BroadcastError> {
        if self.audio.is_none() && self.segmenter.is_none() {
            self.audio = Some(audio_track(config)?);
        }
        self.try_start()
    }

    /// Stops waiting for audio (its encoder failed or the camera has no microphone).
    pub fn give_up_audio(&mut self) -> Result<Vec<Output>, BroadcastError> {
        self.expect_audio = false;
        let mut out = self.try_start()?;
        let frames = self.interleaver.close_lane(1);
        if let Some(segmenter) = self.segmenter.as_mut() {
            for frame in frames {
                out.extend(outputs(segmenter.push_chunks(frame)?));
            }
        }
        Ok(out)
    }

    /// The init segment's track list, once written.
    pub fn init(&self) -> Option<InitSegment> {
        self.segmenter.as_ref()?;
        Some(self.init_segment())
    }

    /// The init segment of the tracks configured so far: video, then audio.
    fn init_segment(&self) -> InitSegment {
        InitSegment {
            tracks: self
                .video
                .iter()
                .chain(self.audio.iter())
                .cloned()
                .collect(),
        }
    }

    /// Anchors the capture clock to the wall clock: the frame captured at `capture_us` (the clock of
    /// [`EncodedChunk::timestamp_us`]) was taken at `unix_micros` (microseconds since 1970, e.g.
    /// `performance.timeOrigin + performance.now()` when the camera frame was read). Only the first call
    /// counts. From the first video keyframe on, every part carries a `prft` box derived from it.
    pub fn set_wall_clock(&mut self, capture_us: i64, unix_micros: u64) {
        if self.wall_clock.is_none() {
            self.wall_clock = Some((capture_us, unix_micros));
        }
        self.apply_wall_clock();
    }

    /// Sets the part target (seconds, e.g. [`part_target_for`] the camera's frame rate); it counts only
    /// before the first part is cut, and answers whether it did.
    pub fn set_part_target(&mut self, secs: f64) -> bool {
        if self.segmenter.is_some() || !(secs.is_finite() && secs > 0.0) {
            return false;
        }
        self.config.part_target_secs = Some(secs);
        true
    }

    /// Anchors the audio capture clock to the wall clock, as [`Self::set_wall_clock`] does the video's
    /// (only the first call counts): the audio data captured at `capture_us` was read at
    /// `unix_micros`. When the two capture clocks have different bases, audio is lined up with video by
    /// these two anchors, so a sound and the frame captured with it keep the same time however late
    /// the first audio arrives; without it, the first audio chunk is taken to be captured with the
    /// first video keyframe.
    pub fn set_audio_wall_clock(&mut self, capture_us: i64, unix_micros: u64) {
        if self.audio_wall_clock.is_none() {
            self.audio_wall_clock = Some((capture_us, unix_micros));
        }
    }

    /// Whether [`Self::set_wall_clock`] has been called.
    pub fn has_wall_clock(&self) -> bool {
        self.wall_clock.is_some()
    }

    /// Hands the anchor to the segmenter, once, as the wall clock of decode time 0 (the first video
    /// keyframe) of the video track (of the audio track in an audio-only packager).
    fn apply_wall_clock(&mut self) {
        if self.wall_clock_set {
            return;
        }
        let (Some((capture_us, unix_micros)), Some(timeline), Some(segmenter)) =
            (self.wall_clock, self.timeline, self.segmenter.as_mut())
        else {
            return;
        };
        let at_origin =
            i128::from(unix_micros) + i128::from(timeline.origin_us()) - i128::from(capture_us);
        if let Ok(at_origin) = u64::try_from(at_origin) {
            let track = if self.audio_only {
                AUDIO_TRACK_ID
            } else {
                VIDEO_TRACK_ID
            };
            segmenter.set_wall_clock(track, 0, at_origin);
            self.wall_clock_set = true;
        }
    }

    /// Chunks dropped so far: audio before the first video keyframe, video before it.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Adds an encoded chunk.
    pub fn push(&mut self, chunk: EncodedChunk) -> Result<Vec<Output>, BroadcastError> {
        match chunk.kind {
            TrackKind::Video => {
                self.first_video_us.get_or_insert(chunk.timestamp_us);
            }
            TrackKind::Audio => {
                self.first_audio_us.get_or_insert(chunk.timestamp_us);
            }
        }
        if self.segmenter.is_none() {
            self.waiting.push(chunk);
            if self.audio_only && self.waiting.len() > MAX_WAIT_FOR_ORIGIN_CHUNKS {
                self.waiting.remove(0);
                self.dropped += 1;
            }
            return self.try_start();
        }
        self.place(chunk)
    }

    /// Flushes everything held: the last part and the last, possibly short, segment.
    pub fn finish(&mut self) -> Result<Vec<Output>, BroadcastError> {
        let mut out = Vec::new();
        if self.segmenter.is_none() {
            // Never started: start with whatever configuration exists (video-only if audio never came).
            self.expect_audio = false;
            out.extend(self.try_start()?);
        }
        let Some(segmenter) = self.segmenter.as_mut() else {
            return Ok(out);
        };
        let mut frames = Vec::new();
        for held in [self.last_video.take(), self.last_audio.take()]
            .into_iter()
            .flatten()
        {
            let lane = lane_of(held.frame.track_id);
            let mut frame = held.frame;
            let timescale = if lane == 0 {
                VIDEO_TIMESCALE
            } else {
                self.audio.as_ref().map_or(VIDEO_TIMESCALE, |a| a.timescale)
            };
            frame.duration = held
                .duration_us
                .and_then(|d| duration_units(d, timescale))
                .or(self.last_durations.get(lane).copied().flatten());
            frames.extend(self.interleaver.push(lane, held.key_us, frame));
        }
        frames.extend(self.interleaver.drain());
        for frame in frames {
            out.extend(outputs(segmenter.push_chunks(frame)?));
        }
        out.extend(outputs(segmenter.finish_chunks()?));
        Ok(out)
    }

    fn ready_to_start(&self) -> bool {
        if self.audio_only {
            return self.segmenter.is_none() && self.audio.is_some() && self.timeline.is_some();
        }
        if self.segmenter.is_some() || self.video.is_none() {
            return false;
        }
        if !self.expect_audio || self.audio.is_some() {
            return true;
        }
        let video_waiting = self
            .waiting
            .iter()
            .filter(|c| c.kind == TrackKind::Video)
            .count();
        video_waiting > MAX_WAIT_FOR_AUDIO_CHUNKS
    }

    fn try_start(&mut self) -> Result<Vec<Output>, BroadcastError> {
        if !self.ready_to_start() {
            return Ok(Vec::new());
        }
        let init = self.init_segment();
        let bytes = write_init(&init)?;
        if self.audio.is_none() {
            self.interleaver.close_lane(1);
        }
        if self.video.is_none() {
            self.interleaver.close_lane(0);
        }
        self.segmenter = Some(Segmenter::new(&init, self.config));
        let mut out = vec![Output::Init(bytes)];
        for chunk in std::mem::take(&mut self.waiting) {
            out.extend(self.place(chunk)?);
        }
        Ok(out)
    }

    /// Puts a chunk on the timeline and passes the previous chunk of its track on, now that its duration
    /// is known.
    fn place(&mut self, chunk: EncodedChunk) -> Result<Vec<Output>, BroadcastError> {
        if chunk.kind == TrackKind::Audio && self.audio_shift_us.is_none() {
            if let (Some(timeline), Some(first_audio)) = (self.timeline, self.first_audio_us) {
                let gap = timeline.origin_us().saturating_sub(first_audio);
                // Two capture clocks with different bases: line audio up with video, by the wall
                // clock when both are anchored to it, else at the first audio chunk.
                let by_wall_clock = match (self.wall_clock, self.audio_wall_clock) {
                    (Some((video_us, video_unix)), Some((audio_us, audio_unix))) => {
                        let shift =
                            i128::from(video_us) - i128::from(video_unix) - i128::from(audio_us)
                                + i128::from(audio_unix);
                        i64::try_from(shift).ok()
                    }
                    _ => None,
                };
                self.audio_shift_us = Some(if gap.abs() > CLOCK_MISMATCH_US {
                    by_wall_clock.unwrap_or(gap)
                } else {
                    0
                });
            }
        }
        let (track, timestamp_us) = match chunk.kind {
            TrackKind::Video => (self.video.as_ref(), chunk.timestamp_us),
            TrackKind::Audio => (
                self.audio.as_ref(),
                chunk
                    .timestamp_us
                    .saturating_add(self.audio_shift_us.unwrap_or(0)),
            ),
        };
        let Some(track) = track else {
            // Audio that arrived after we gave up on it.
            self.dropped += 1;
            return Ok(Vec::new());
        };
        let (track_id, timescale) = (track.id, track.timescale);
        if chunk.kind == TrackKind::Video && !self.video_started {
            if !chunk.keyframe {
                self.dropped += 1;
                return Ok(Vec::new());
            }
            if self.timeline.is_none() {
                self.timeline = Some(Timeline::new(timestamp_us));
                self.apply_wall_clock();
            }
        }
        if self.timeline.is_none() {
            self.dropped += 1;
            return Ok(Vec::new());
        }
        let Some(timeline) = self.timeline else {
            return Ok(Vec::new());
        };
        let Some(placed) = timeline.place(timestamp_us, None, timescale) else {
            // Before the first video keyframe.
            self.dropped += 1;
            return Ok(Vec::new());
        };
        let previous_held = match chunk.kind {
            TrackKind::Video => self.last_video.as_ref(),
            TrackKind::Audio => self.last_audio.as_ref(),
        };
        if not_after(previous_held, placed.dts) {
            self.dropped += 1;
            return Ok(Vec::new());
        }
        if chunk.kind == TrackKind::Video {
            self.video_started = true;
        }
        let held = Held {
            frame: Frame {
                track_id,
                dts: placed.dts,
                cts_offset: 0,
                duration: None,
                keyframe: chunk.keyframe,
                data: chunk.data,
            },
            key_us: timestamp_us - timeline.origin_us(),
            duration_us: chunk.duration_us,
        };
        let slot = match chunk.kind {
            TrackKind::Video => &mut self.last_video,
            TrackKind::Audio => &mut self.last_audio,
        };
        let Some(mut previous) = slot.replace(held) else {
            return Ok(Vec::new());
        };
        // The previous chunk lasts until this one starts.
        let gap = placed.dts.saturating_sub(previous.frame.dts);
        previous.frame.duration = match u32::try_from(gap) {
            Ok(d) if d > 0 => Some(d),
            _ => previous
                .duration_us
                .and_then(|d| duration_units(d, timescale)),
        };
        let lane = lane_of(track_id);
        if let Some(slot) = self.last_durations.get_mut(lane) {
            if previous.frame.duration.is_some() {
                *slot = previous.frame.duration;
            }
        }
        let frames = self.interleaver.push(lane, previous.key_us, previous.frame);
        let mut out = Vec::new();
        if let Some(segmenter) = self.segmenter.as_mut() {
            for frame in frames {
                out.extend(outputs(segmenter.push_chunks(frame)?));
            }
        }
        Ok(out)
    }
}

fn duration_units(duration_us: i64, timescale: u32) -> Option<u32> {
    crate::timeline::us_to_timescale(duration_us, timescale)
        .and_then(|d| u32::try_from(d).ok())
        .filter(|d| *d > 0)
}

fn lane_of(track_id: u32) -> usize {
    if track_id == VIDEO_TRACK_ID {
        0
    } else {
        1
    }
}

#[cfg(test)]
mod tests;
