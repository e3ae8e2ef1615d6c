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

use onair_media::{
    opus_dops, opus_dops_from_opus_head, write_init, Chunk, Codec, Frame, InitSegment, MediaParams,
    PartChunk, Segmenter, SegmenterConfig, TrackInfo,
};

use crate::error::BroadcastError;
use crate::interleave::{Interleaver, DEFAULT_MAX_PENDING};
use crate::timeline::{Timeline, VIDEO_TIMESCALE};

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

/// Low-Latency HLS part target, in seconds (`EXT-X-PART-INF:PART-TARGET`, and the `OnAir-Part-Target`
/// header of every part upload).
///
/// "The duration of a Partial Segment MUST be less than or equal to the Part Target Duration" and, except
/// for the last part of a segment, "at least 85% of the Part Target Duration" (RFC 8216bis 4.4.4.9). A
/// part holds whole video frames, so that window, 0.284 s to 0.334 s (50.1 ms), must hold at least one
/// frame boundary whatever the frame rate: it does for the fake camera's 20 fps (50 ms frames: parts of
/// 6 frames, 0.300 s) and for 30 fps cameras (33.3 ms frames: 9 or 10 frames, 0.300 s or 0.333 s).
/// It is 0.334 rather than a round 0.333 so that ten 30 fps frames (0.3333 s) stay under the target.
pub const PART_TARGET_SECS: f64 = 0.334;

/// The segmenter configuration of a live broadcast: [`SEGMENT_TARGET_SECS`] segments cut into
/// [`PART_TARGET_SECS`] parts.
pub fn live_config() -> SegmenterConfig {
    SegmenterConfig {
        target_duration_secs: SEGMENT_TARGET_SECS,
        part_target_secs: Some(PART_TARGET_SECS),
    }
}

/// Two clocks further apart than this (microseconds) are taken to be different clocks.
const CLOCK_MISMATCH_US: i64 = 10_000_000;

/// Which encoder a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackKind {
    /// The video encoder.
    Video,
    /// The audio encoder.
    Audio,
}

/// An encoded chunk as WebCodecs reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedChunk {
    /// Which encoder produced it.
    pub kind: TrackKind,
    /// Capture timestamp, microseconds.
    pub timestamp_us: i64,
    /// Duration in microseconds, when the encoder gave one.
    pub duration_us: Option<i64>,
    /// Whether it is a key chunk.
    pub keyframe: bool,
    /// The encoded bytes (AVC in length-prefixed form, Opus packets, raw AAC).
    pub data: Vec<u8>,
}

/// The audio encoder's configuration, from its first output's `decoderConfig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioConfig {
    /// Opus with its OpusHead `description`, if any.
    Opus {
        /// Channel count.
        channels: u16,
        /// Sample rate in Hz; also the track timescale.
        sample_rate: u32,
        /// The WebCodecs `description` (an `OpusHead`), if given.
        opus_head: Option<Vec<u8>>,
    },
    /// AAC with its AudioSpecificConfig.
    Aac {
        /// Channel count.
        channels: u16,
        /// Sample rate in Hz; also the track timescale.
        sample_rate: u32,
        /// AudioSpecificConfig (the WebCodecs `description`).
        asc: Vec<u8>,
    },
}

/// What the packager produced, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// The init segment (`ftyp` + `moov`), produced once; to upload.
    Init(Vec<u8>),
    /// A Low-Latency HLS part (one CMAF fragment, `prft` + `moof` + `mdat`); to upload.
    Part(PartChunk),
    /// A segment is complete: its last part came just before. Not uploaded (the server joins the parts);
    /// for the counters.
    Segment(SegmentInfo),
}

/// A completed segment, without its bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentInfo {
    /// Media sequence number.
    pub sequence: u64,
    /// Start time on the broadcast timeline, in seconds.
    pub start_secs: f64,
    /// Duration in seconds.
    pub duration_secs: f64,
    /// Size in bytes (its parts together).
    pub bytes: usize,
}

impl Output {
    fn from_chunk(chunk: Chunk) -> Self {
        match chunk {
            Chunk::Part(part) => Output::Part(part),
            Chunk::Segment(segment) => Output::Segment(SegmentInfo {
                sequence: segment.sequence,
                start_secs: segment.start_secs,
                duration_secs: segment.duration_secs,
                bytes: segment.data.len(),
            }),
        }
    }
}

/// Everything the segmenter produced, as outputs.
fn outputs(chunks: Vec<Chunk>) -> impl Iterator<Item = Output> {
    chunks.into_iter().map(Output::from_chunk)
}

struct Held {
    frame: Frame,
    key_us: i64,
    duration_us: Option<i64>,
}

/// Turns encoded chunks into an init segment and parts.
pub struct Packager {
    expect_audio: bool,
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
            wall_clock_set: false,
            dropped: 0,
            last_durations: [None, None],
        }
    }

    /// Records the video configuration (`decoderConfig.description` = avcC). Only the first call counts.
    pub fn set_video_config(
        &mut self,
        width: u16,
        height: u16,
        avcc: Vec<u8>,
    ) -> Result<Vec<Output>, BroadcastError> {
        if self.video.is_none() {
            self.video = Some(TrackInfo {
                id: VIDEO_TRACK_ID,
                timescale: VIDEO_TIMESCALE,
                codec: Codec::Avc { avcc },
                params: MediaParams::Video { width, height },
            });
        }
        self.try_start()
    }

    /// Records the audio configuration. Only the first call counts.
    pub fn set_audio_config(&mut self, config: AudioConfig) -> Result<Vec<Output>, BroadcastError> {
        if self.audio.is_none() && self.segmenter.is_none() {
            let (codec, channels, sample_rate) = match config {
                AudioConfig::Opus {
                    channels,
                    sample_rate,
                    opus_head,
                } => {
                    let dops = match opus_head {
                        Some(head) if !head.is_empty() => opus_dops_from_opus_head(&head)?,
                        _ => opus_dops(
                            u8::try_from(channels).unwrap_or(2),
                            DEFAULT_OPUS_PRE_SKIP,
                            sample_rate,
                        ),
                    };
                    (Codec::Opus { dops }, channels, sample_rate)
                }
                AudioConfig::Aac {
                    channels,
                    sample_rate,
                    asc,
                } => (Codec::Aac { asc }, channels, sample_rate),
            };
            if sample_rate == 0 {
                return Err(BroadcastError::Unsupported {
                    what: "audio with a sample rate of 0".to_owned(),
                });
            }
            self.audio = Some(TrackInfo {
                id: AUDIO_TRACK_ID,
                timescale: sample_rate,
                codec,
                params: MediaParams::Audio {
                    channels,
                    sample_rate,
                },
            });
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
        Some(InitSegment {
            tracks: self
                .video
                .iter()
                .chain(self.audio.iter())
                .cloned()
                .collect(),
        })
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

    /// Whether [`Self::set_wall_clock`] has been called.
    pub fn has_wall_clock(&self) -> bool {
        self.wall_clock.is_some()
    }

    /// Hands the anchor to the segmenter, once, as the wall clock of decode time 0 (the first video
    /// keyframe) of the video track.
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
            segmenter.set_wall_clock(VIDEO_TRACK_ID, 0, at_origin);
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
        let init = InitSegment {
            tracks: self
                .video
                .iter()
                .chain(self.audio.iter())
                .cloned()
                .collect(),
        };
        let bytes = write_init(&init)?;
        if self.audio.is_none() {
            self.interleaver.close_lane(1);
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
                // Two capture clocks with different bases: line audio up with video.
                self.audio_shift_us = Some(if gap.abs() > CLOCK_MISMATCH_US {
                    gap
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
        if self.timeline.is_none() {
            if chunk.kind == TrackKind::Video && chunk.keyframe {
                self.timeline = Some(Timeline::new(timestamp_us));
                self.apply_wall_clock();
            } else {
                self.dropped += 1;
                return Ok(Vec::new());
            }
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
mod tests {
    use super::*;
    use crate::keyframe::KeyframeSchedule;
    use onair_media::{parse_init, parse_segment, Limits};

    /// An avcC for constrained baseline level 3.1 with a short SPS and PPS.
    fn avcc() -> Vec<u8> {
        let sps = [0x67, 0x42, 0xE0, 0x1F, 0xDA, 0x01, 0x40, 0x16, 0xE8, 0x40];
        let pps = [0x68, 0xCE, 0x3C, 0x80];
        let mut v = vec![1, 0x42, 0xE0, 0x1F, 0xFF, 0xE1, 0, sps.len() as u8];
        v.extend_from_slice(&sps);
        v.extend_from_slice(&[1, 0, pps.len() as u8]);
        v.extend_from_slice(&pps);
        v
    }

    /// The 19-byte OpusHead Chromium gives as the Opus `description`.
    fn opus_head() -> Vec<u8> {
        let mut v = b"OpusHead".to_vec();
        v.push(1); // version
        v.push(2); // channels
        v.extend_from_slice(&312_u16.to_le_bytes());
        v.extend_from_slice(&48_000_u32.to_le_bytes());
        v.extend_from_slice(&0_i16.to_le_bytes());
        v.push(0); // mapping family
        v
    }

    fn video(ts: i64, key: bool) -> EncodedChunk {
        EncodedChunk {
            kind: TrackKind::Video,
            timestamp_us: ts,
            duration_us: None,
            keyframe: key,
            data: vec![0, 0, 0, 2, if key { 0x65 } else { 0x41 }, 0x88],
        }
    }

    fn audio(ts: i64) -> EncodedChunk {
        EncodedChunk {
            kind: TrackKind::Audio,
            timestamp_us: ts,
            duration_us: Some(20_000),
            keyframe: true,
            data: vec![0xFC, 0xFF, 0xFE],
        }
    }

    fn opus_config() -> AudioConfig {
        AudioConfig::Opus {
            channels: 2,
            sample_rate: 48_000,
            opus_head: Some(opus_head()),
        }
    }

    /// What a broadcast produced, by kind.
    #[derive(Default)]
    struct Produced {
        inits: Vec<Vec<u8>>,
        parts: Vec<PartChunk>,
        segments: Vec<SegmentInfo>,
    }

    impl Produced {
        /// The media segments, each its parts concatenated (as the server builds them).
        fn segment_bytes(&self) -> Vec<Vec<u8>> {
            let mut out: Vec<Vec<u8>> = Vec::new();
            for part in &self.parts {
                if part.index == 0 {
                    out.push(Vec::new());
                }
                if let Some(last) = out.last_mut() {
                    last.extend_from_slice(&part.data);
                }
            }
            out
        }
    }

    /// Sorts outputs by kind, checking that each segment's end comes right after its last part.
    fn split(outputs: Vec<Output>) -> Produced {
        let mut p = Produced::default();
        for o in outputs {
            match o {
                Output::Init(b) => p.inits.push(b),
                Output::Part(part) => p.parts.push(part),
                Output::Segment(s) => {
                    let last = p.parts.last().map(|part| part.sequence);
                    assert_eq!(last, Some(s.sequence), "segment end after its parts");
                    p.segments.push(s);
                }
            }
        }
        p
    }

    /// 6 s of 20 fps video and 20 ms audio starting 100 ms before the video, delivered the way two
    /// encoders do: audio lagging up to 60 ms behind video.
    fn broadcast(p: &mut Packager, start_us: i64, audio_offset_us: i64) -> Vec<Output> {
        let mut out = Vec::new();
        let mut schedule = KeyframeSchedule::default();
        let mut next_audio = start_us - 100_000;
        for i in 0..120_i64 {
            let ts = start_us + i * 50_000;
            let key = schedule.should_force(ts);
            if i == 0 {
                out.extend(p.set_video_config(1280, 720, avcc()).unwrap());
            }
            out.extend(p.push(video(ts, key)).unwrap());
            while next_audio + 60_000 <= ts {
                if next_audio == start_us - 100_000 {
                    out.extend(p.set_audio_config(opus_config()).unwrap());
                }
                out.extend(p.push(audio(next_audio + audio_offset_us)).unwrap());
                next_audio += 20_000;
            }
        }
        out.extend(p.finish().unwrap());
        out
    }

    #[test]
    fn packages_video_and_audio_into_valid_cmaf_parts() {
        let mut p = Packager::new(true, live_config());
        let out = split(broadcast(&mut p, 7_000_000, 0));
        assert_eq!(out.inits.len(), 1);
        let init = parse_init(&out.inits[0]).unwrap();
        assert_eq!(init.tracks.len(), 2);
        assert_eq!(init.video().map(|t| t.timescale), Some(90_000));
        assert_eq!(init.audio().map(|t| t.timescale), Some(48_000));
        assert_eq!(init.codecs(), "avc1.42e01f,opus");
        // 6 s in 2 s segments, each in parts numbered from 0.
        assert_eq!(out.segments.len(), 3);
        let mut expected = (0, 0);
        for part in &out.parts {
            if part.sequence != expected.0 {
                expected = (expected.0 + 1, 0);
            }
            assert_eq!((part.sequence, part.index), expected);
            expected.1 += 1;
            let parsed = parse_segment(&init, &part.data, &Limits::default()).unwrap();
            assert_eq!(
                part.independent,
                parsed.starts_with_keyframe(&init),
                "part {}.{}",
                part.sequence,
                part.index
            );
            assert_eq!(part.index == 0, part.independent);
            // Parts never run past the part target; all but a segment's last fill 85% of it.
            assert!(part.duration_secs <= PART_TARGET_SECS + 1e-9, "{part:?}");
        }
        for pair in out.parts.windows(2) {
            if pair[0].sequence == pair[1].sequence {
                assert!(pair[0].duration_secs >= 0.85 * PART_TARGET_SECS - 1e-9);
            }
        }
        let mut video_samples = 0;
        let mut next_video_dts = 0;
        let segments = out.segment_bytes();
        assert_eq!(segments.len(), 3);
        for (n, (bytes, info)) in segments.iter().zip(&out.segments).enumerate() {
            assert_eq!(info.sequence, n as u64);
            assert_eq!(info.bytes, bytes.len());
            let parsed = parse_segment(&init, bytes, &Limits::default()).unwrap();
            assert!(parsed.starts_with_keyframe(&init), "segment {n}");
            let v = parsed.track(VIDEO_TRACK_ID).unwrap();
            // Continuous timeline starting at 0.
            assert_eq!(v.base_decode_time, next_video_dts, "segment {n}");
            next_video_dts = v.end_decode_time();
            video_samples += v.samples.len();
            assert!(v.samples.iter().all(|s| s.duration == 4_500));
            let a = parsed.track(AUDIO_TRACK_ID).unwrap();
            assert!(a.samples.iter().all(|s| s.duration == 960), "segment {n}");
        }
        assert_eq!(video_samples, 120);
        assert!((out.segments[0].start_secs - 0.0).abs() < 1e-9);
        // Without a wall clock, no prft.
        let first = parse_segment(&init, &out.parts[0].data, &Limits::default()).unwrap();
        assert!(first.producer_times.is_empty());
        // The five audio chunks captured before the first video frame were dropped.
        assert_eq!(p.dropped(), 5);
    }

    #[test]
    fn every_part_carries_the_capture_wall_clock() {
        const UNIX_US: u64 = 1_800_000_000_000_000;
        let start_us = 7_000_000;
        let mut p = Packager::new(true, live_config());
        // Anchored on a frame read 30 ms before the first keyframe was captured.
        p.set_wall_clock(start_us - 30_000, UNIX_US);
        // Later calls do not move the anchor.
        p.set_wall_clock(start_us, 1);
        let out = split(broadcast(&mut p, start_us, 0));
        let init = parse_init(&out.inits[0]).unwrap();
        assert!(out.parts.len() > 10);
        for part in &out.parts {
            let parsed = parse_segment(&init, &part.data, &Limits::default()).unwrap();
            let prft = parsed.producer_times.first().expect("prft");
            assert_eq!(prft.track_id, VIDEO_TRACK_ID);
            let v = parsed.track(VIDEO_TRACK_ID).unwrap();
            assert_eq!(prft.media_time, v.base_decode_time);
            let expected = UNIX_US + 30_000 + v.base_decode_time * 100 / 9;
            assert!(
                prft.unix_micros().abs_diff(expected) <= 1,
                "part {}.{}: {} vs {expected}",
                part.sequence,
                part.index,
                prft.unix_micros()
            );
        }
    }

    #[test]
    fn a_wall_clock_given_after_the_start_still_applies() {
        let mut p = Packager::new(false, live_config());
        let mut out = p.set_video_config(320, 240, avcc()).unwrap();
        out.extend(p.push(video(1_000_000, true)).unwrap());
        p.set_wall_clock(1_000_000, 5_000_000);
        for i in 1..20 {
            out.extend(p.push(video(1_000_000 + i * 50_000, false)).unwrap());
        }
        out.extend(p.finish().unwrap());
        let out = split(out);
        let init = parse_init(&out.inits[0]).unwrap();
        let parsed = parse_segment(&init, &out.parts[0].data, &Limits::default()).unwrap();
        assert_eq!(
            parsed.producer_times.first().map(|t| t.unix_micros()),
            Some(5_000_000)
        );
    }

    #[test]
    fn a_wall_clock_before_1970_is_ignored() {
        let mut p = Packager::new(false, live_config());
        p.set_wall_clock(10_000_000, 0);
        let mut out = p.set_video_config(320, 240, avcc()).unwrap();
        out.extend(p.push(video(0, true)).unwrap());
        out.extend(p.push(video(50_000, false)).unwrap());
        out.extend(p.finish().unwrap());
        let out = split(out);
        let init = parse_init(&out.inits[0]).unwrap();
        let parsed = parse_segment(&init, &out.parts[0].data, &Limits::default()).unwrap();
        assert!(parsed.producer_times.is_empty());
    }

    #[test]
    fn audio_on_another_clock_is_lined_up() {
        let mut p = Packager::new(true, live_config());
        // Audio timestamps 1000 s ahead of video.
        let out = split(broadcast(&mut p, 7_000_000, 1_000_000_000));
        let init = parse_init(&out.inits[0]).unwrap();
        let segments = out.segment_bytes();
        let first = parse_segment(&init, &segments[0], &Limits::default()).unwrap();
        let a = first.track(AUDIO_TRACK_ID).unwrap();
        assert!(a.samples.len() > 90, "audio kept: {}", a.samples.len());
    }

    #[test]
    fn goes_video_only_when_audio_never_configures() {
        let mut p = Packager::new(true, live_config());
        let mut out = p.set_video_config(1280, 720, avcc()).unwrap();
        for i in 0..=(MAX_WAIT_FOR_AUDIO_CHUNKS as i64) {
            out.extend(p.push(video(i * 50_000, i % 40 == 0)).unwrap());
        }
        let out = split(out);
        assert_eq!(out.inits.len(), 1);
        let init = parse_init(&out.inits[0]).unwrap();
        assert_eq!(init.tracks.len(), 1);
        // Late audio is ignored.
        assert!(p.set_audio_config(opus_config()).unwrap().is_empty());
        assert!(p.push(audio(3_100_000)).unwrap().is_empty());
        let out = split(p.finish().unwrap());
        assert!(!out.segments.is_empty());
    }

    #[test]
    fn give_up_audio_starts_immediately() {
        let mut p = Packager::new(true, live_config());
        assert!(p.set_video_config(640, 480, avcc()).unwrap().is_empty());
        assert!(p.push(video(0, true)).unwrap().is_empty());
        let out = split(p.give_up_audio().unwrap());
        assert_eq!(out.inits.len(), 1);
        assert!(p.init().is_some());
    }

    #[test]
    fn leading_delta_frames_and_repeated_timestamps_are_dropped() {
        let mut p = Packager::new(false, live_config());
        p.set_video_config(320, 240, avcc()).unwrap();
        p.push(video(0, false)).unwrap();
        p.push(video(50_000, true)).unwrap();
        p.push(video(50_000, false)).unwrap();
        p.push(video(100_000, false)).unwrap();
        let out = split(p.finish().unwrap());
        assert!(out.inits.is_empty());
        assert_eq!(out.segments.len(), 1);
        assert_eq!(p.dropped(), 2);
    }

    #[test]
    fn aac_config_is_accepted() {
        let mut p = Packager::new(true, live_config());
        p.set_video_config(1280, 720, avcc()).unwrap();
        let out = p
            .set_audio_config(AudioConfig::Aac {
                channels: 2,
                sample_rate: 44_100,
                asc: vec![0x12, 0x10],
            })
            .unwrap();
        let out = split(out);
        let init = parse_init(&out.inits[0]).unwrap();
        assert_eq!(init.codecs(), "avc1.42e01f,mp4a.40.2");
    }

    #[test]
    fn finish_without_any_video_produces_nothing() {
        let mut p = Packager::new(true, live_config());
        p.push(audio(0)).unwrap();
        assert!(p.finish().unwrap().is_empty());
    }
}
