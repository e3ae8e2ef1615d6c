//! The transcoded rungs' muxer, pure: from what was fed to ffmpeg (the source's fragments, parsed) and
//! what ffmpeg wrote back (one video track per rung), the rungs' init segments, parts and segments, cut
//! at exactly the source's segment boundaries and numbered with the source's msns.
//!
//! - **Time.** ffmpeg keeps the source's timescale (`-video_track_timescale`) and every frame
//!   (`-fps_mode passthrough`) but may move the whole timeline (its muxer starts at zero). The first frame
//!   out is the first keyframe fed, so one shift, measured on it, puts every output frame back on the
//!   source's timeline.
//! - **Cuts.** Every source segment starts on a keyframe, and `-force_key_frames source` makes the rungs'
//!   keyframes fall on the same frames. A rung's frame belongs to the source segment whose first frame's
//!   presentation time it has reached; a segment is complete once the rung holds as many frames as the
//!   source's (known once the source segment is), or at the rung's first frame of the next one.
//! - **Audio** that the source carries in the same rendition is copied into each rung untouched (its
//!   samples, not re-encoded); separate audio stays the audio group it is.
//! - **Parts**, when the source has them: the rung's own, cut by [`onair_media::Segmenter`] at the
//!   source's part target.

use std::collections::{BTreeMap, VecDeque};

use onair_media::{
    mux::write_init, parse_init, parse_segment, Chunk, Frame, InitSegment, Limits, MediaSegment,
    Segmenter, SegmenterConfig, TrackInfo,
};

use super::TranscodeError;
use onair_media::demux::stream::Piece;

/// Track id of a rung's video.
pub const RUNG_VIDEO_TRACK: u32 = 1;
/// Track id of a rung's copied audio.
pub const RUNG_AUDIO_TRACK: u32 = 2;

/// The source's tracks, as a run starts.
#[derive(Debug, Clone)]
pub struct SourceTracks {
    /// The video track transcoded.
    pub video: TrackInfo,
    /// An audio track in the same rendition, copied into every rung.
    pub audio: Option<TrackInfo>,
    /// The source's part target: the rungs are cut into parts of it too.
    pub part_target: Option<f64>,
}

/// A source fragment fed to ffmpeg, or the end of a source segment.
#[derive(Debug, Clone)]
pub enum SourceEvent {
    /// A fragment of segment `msn` (a part, or the whole segment) went to ffmpeg.
    Fed {
        /// Its segment.
        msn: u64,
        /// It is the segment's first fragment.
        starts_segment: bool,
        /// It, parsed against the source's init.
        segment: MediaSegment,
        /// Its bytes (for the audio samples).
        bytes: bytes::Bytes,
    },
    /// Every fragment of segment `msn` has been fed.
    Closed {
        /// The segment.
        msn: u64,
    },
}

/// What to upload for a rung (by its index in the plan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RungUpload {
    /// The rung's init segment.
    Init {
        /// The rung.
        rung: usize,
        /// `ftyp` + `moov`.
        bytes: Vec<u8>,
    },
    /// Part `index` of segment `msn` (sources with parts).
    Part {
        /// The rung.
        rung: usize,
        /// The segment.
        msn: u64,
        /// The part.
        index: u32,
        /// `moof` + `mdat`.
        bytes: Vec<u8>,
    },
    /// Segment `msn` whole (sources without parts).
    Segment {
        /// The rung.
        rung: usize,
        /// The segment.
        msn: u64,
        /// Its fragments.
        bytes: Vec<u8>,
    },
}

/// A source segment as fed.
#[derive(Debug, Clone)]
struct Boundary {
    msn: u64,
    /// Presentation time of its first video frame, in the source video's timescale.
    start_pts: i64,
    /// Its video frames fed so far.
    frames: usize,
    /// All of it was fed.
    closed: bool,
}

#[derive(Debug)]
struct RungState {
    segmenter: Segmenter,
    /// The segment it is in, and its frames so far.
    current: Option<(u64, usize)>,
    /// The msn it must enter next (`None` before its first frame).
    next: Option<u64>,
    /// Audio frames of the current segment already given to the segmenter.
    audio_pushed: usize,
}

/// See the module documentation.
#[derive(Debug)]
pub struct RungMuxer {
    source: SourceTracks,
    rungs: usize,
    limits: Limits,
    boundaries: VecDeque<Boundary>,
    /// Copied audio by source msn.
    audio: BTreeMap<u64, Vec<Frame>>,
    /// ffmpeg's init, once read, and the rungs built from it.
    output_init: Option<InitSegment>,
    states: Vec<RungState>,
    /// Output time + shift = source time (source video timescale).
    shift: Option<i64>,
    /// Producer wall clock of the source: (source video decode time, Unix microseconds).
    clock: Option<(u64, u64)>,
}

impl RungMuxer {
    /// A muxer for `rungs` rungs of this source.
    pub fn new(source: SourceTracks, rungs: usize, limits: Limits) -> Self {
        Self {
            source,
            rungs,
            limits,
            boundaries: VecDeque::new(),
            audio: BTreeMap::new(),
            output_init: None,
            states: Vec::new(),
            shift: None,
            clock: None,
        }
    }

    /// Notes what was fed (call it before the bytes go to ffmpeg).
    pub fn source(&mut self, event: SourceEvent) -> Result<Vec<RungUpload>, TranscodeError> {
        let mut out = Vec::new();
        match event {
            SourceEvent::Fed {
                msn,
                starts_segment,
                segment,
                bytes,
            } => {
                let video_id = self.source.video.id;
                let video = segment.track(video_id);
                if starts_segment {
                    let first =
                        video
                            .and_then(|t| t.samples.first())
                            .ok_or(TranscodeError::Source {
                                msn,
                                reason: "its first fragment has no video".into(),
                            })?;
                    let start_pts = pts(first.dts, first.cts_offset);
                    if let Some(last) = self.boundaries.back() {
                        if msn != last.msn + 1 || start_pts <= last.start_pts {
                            return Err(TranscodeError::Source {
                                msn,
                                reason: format!("it does not follow segment {}", last.msn),
                            });
                        }
                    }
                    self.boundaries.push_back(Boundary {
                        msn,
                        start_pts,
                        frames: 0,
                        closed: false,
                    });
                }
                let boundary = self
                    .boundaries
                    .back_mut()
                    .filter(|b| b.msn == msn)
                    .ok_or_else(|| TranscodeError::Source {
                        msn,
                        reason: "a fragment of a segment whose start was not fed".into(),
                    })?;
                boundary.frames += video.map_or(0, |t| t.samples.len());
                if let Some(prft) = segment
                    .producer_times
                    .iter()
                    .find(|p| p.track_id == video_id)
                {
                    self.clock = Some((prft.media_time, prft.unix_micros()));
                }
                if let Some(audio) = &self.source.audio {
                    let frames = self.audio.entry(msn).or_default();
                    for s in segment
                        .track(audio.id)
                        .map_or(&[][..], |t| t.samples.as_slice())
                    {
                        let data = s.data_in(&bytes).ok_or(TranscodeError::Source {
                            msn,
                            reason: "an audio sample outside its bytes".into(),
                        })?;
                        frames.push(Frame {
                            track_id: RUNG_AUDIO_TRACK,
                            dts: s.dts,
                            cts_offset: s.cts_offset,
                            duration: Some(s.duration),
                            keyframe: true,
                            data: data.to_vec(),
                        });
                    }
                    for rung in 0..self.states.len() {
                        self.push_audio(rung, &mut out)?;
                    }
                }
            }
            SourceEvent::Closed { msn } => {
                if let Some(b) = self.boundaries.iter_mut().find(|b| b.msn == msn) {
                    b.closed = true;
                }
                for rung in 0..self.states.len() {
                    self.close_if_complete(rung, &mut out)?;
                }
            }
        }
        Ok(out)
    }

    /// Takes a piece of ffmpeg's output; returns what is ready to upload.
    pub fn output(&mut self, piece: Piece) -> Result<Vec<RungUpload>, TranscodeError> {
        match piece {
            Piece::Init(bytes) => self.output_init(&bytes),
            Piece::Fragment(bytes) => self.output_fragment(&bytes),
        }
    }

    /// ffmpeg ended its output: every rung's segment in progress is complete.
    pub fn finish(&mut self) -> Result<Vec<RungUpload>, TranscodeError> {
        let mut out = Vec::new();
        for rung in 0..self.states.len() {
            self.end_segment(rung, &mut out)?;
        }
        Ok(out)
    }

    fn output_init(&mut self, bytes: &[u8]) -> Result<Vec<RungUpload>, TranscodeError> {
        if self.output_init.is_some() {
            return Err(TranscodeError::Output("a second init segment".into()));
        }
        let parsed = parse_init(bytes).map_err(|e| TranscodeError::Output(e.to_string()))?;
        let videos: Vec<&TrackInfo> = parsed.tracks.iter().filter(|t| t.is_video()).collect();
        if videos.len() != self.rungs {
            return Err(TranscodeError::Output(format!(
                "{} video tracks for {} rungs",
                videos.len(),
                self.rungs
            )));
        }
        let mut out = Vec::new();
        for (rung, video) in videos.into_iter().enumerate() {
            let mut tracks = vec![TrackInfo {
                id: RUNG_VIDEO_TRACK,
                timescale: self.source.video.timescale,
                codec: video.codec.clone(),
                params: video.params,
            }];
            if let Some(audio) = &self.source.audio {
                tracks.push(TrackInfo {
                    id: RUNG_AUDIO_TRACK,
                    ..audio.clone()
                });
            }
            let init = InitSegment { tracks };
            let bytes = write_init(&init).map_err(|e| TranscodeError::Output(e.to_string()))?;
            let segmenter = Segmenter::new(
                &init,
                SegmenterConfig {
                    target_duration_secs: f64::INFINITY,
                    part_target_secs: self.source.part_target,
                },
            );
            self.states.push(RungState {
                segmenter,
                current: None,
                next: None,
                audio_pushed: 0,
            });
            out.push(RungUpload::Init { rung, bytes });
        }
        self.output_init = Some(parsed);
        Ok(out)
    }

    fn output_fragment(&mut self, bytes: &[u8]) -> Result<Vec<RungUpload>, TranscodeError> {
        let Some(init) = &self.output_init else {
            return Err(TranscodeError::Output("a fragment before the init".into()));
        };
        let segment = parse_segment(init, bytes, &self.limits)
            .map_err(|e| TranscodeError::Output(e.to_string()))?;
        let video_ids: Vec<u32> = init
            .tracks
            .iter()
            .filter(|t| t.is_video())
            .map(|t| t.id)
            .collect();
        let source_timescale = self.source.video.timescale;
        let mut frames: Vec<(usize, Frame)> = Vec::new();
        for track in &segment.tracks {
            let Some(rung) = video_ids.iter().position(|&id| id == track.track_id) else {
                continue;
            };
            let timescale = init.track(track.track_id).map_or(1, |t| t.timescale);
            for s in &track.samples {
                let data = s
                    .data_in(bytes)
                    .ok_or_else(|| TranscodeError::Output("a sample outside its bytes".into()))?;
                let dts = rescale(s.dts, timescale, source_timescale);
                let cts = rescale_signed(s.cts_offset, timescale, source_timescale);
                let shift = match self.shift {
                    Some(shift) => shift,
                    None => {
                        let first = self.boundaries.front().ok_or_else(|| {
                            TranscodeError::Output("output before any input".into())
                        })?;
                        let shift = first.start_pts - pts(dts, cts);
                        self.shift = Some(shift);
                        shift
                    }
                };
                let dts = u64::try_from(i128::from(dts) + i128::from(shift)).map_err(|_| {
                    TranscodeError::Output("a frame before the source's start".into())
                })?;
                frames.push((
                    rung,
                    Frame {
                        track_id: RUNG_VIDEO_TRACK,
                        dts,
                        cts_offset: cts,
                        duration: Some(
                            u32::try_from(rescale(
                                u64::from(s.duration),
                                timescale,
                                source_timescale,
                            ))
                            .unwrap_or(u32::MAX),
                        ),
                        keyframe: s.keyframe,
                        data: data.to_vec(),
                    },
                ));
            }
        }
        let mut out = Vec::new();
        for (rung, frame) in frames {
            self.video_frame(rung, frame, &mut out)?;
        }
        self.prune();
        Ok(out)
    }

    /// Places one frame of a rung in its segment.
    fn video_frame(
        &mut self,
        rung: usize,
        frame: Frame,
        out: &mut Vec<RungUpload>,
    ) -> Result<(), TranscodeError> {
        let p = pts(frame.dts, frame.cts_offset);
        let tolerance = i64::from(self.source.video.timescale / 200);
        let target = self
            .boundaries
            .iter()
            .rev()
            .find(|b| b.start_pts <= p + tolerance)
            .map(|b| b.msn)
            .ok_or_else(|| {
                TranscodeError::Output(format!("a frame at {p} before the first segment"))
            })?;
        let state = self.state(rung)?;
        let current = state.current.map(|(msn, _)| msn);
        if current != Some(target) {
            if current.is_some_and(|c| target < c) {
                return Err(TranscodeError::Output(format!(
                    "rung {rung}: a frame of segment {target} after segment {}",
                    current.unwrap_or_default()
                )));
            }
            self.end_segment(rung, out)?;
            let state = self.state(rung)?;
            if let Some(next) = state.next.filter(|&n| n != target) {
                return Err(TranscodeError::Output(format!(
                    "rung {rung}: segment {target} came where segment {next} was due"
                )));
            }
            if !frame.keyframe {
                return Err(TranscodeError::Output(format!(
                    "rung {rung}: segment {target} does not start on a keyframe"
                )));
            }
            let clock = self.clock;
            let state = self.state_mut(rung)?;
            state.current = Some((target, 0));
            state.audio_pushed = 0;
            if let Some((media_time, micros)) = clock {
                state
                    .segmenter
                    .set_wall_clock(RUNG_VIDEO_TRACK, media_time, micros);
            }
        }
        let chunks = self
            .state_mut(rung)?
            .segmenter
            .push_chunks(frame)
            .map_err(|e| TranscodeError::Output(e.to_string()))?;
        self.emit(rung, target, chunks, out);
        if let Some((_, count)) = self.state_mut(rung)?.current.as_mut() {
            *count += 1;
        }
        self.push_audio(rung, out)?;
        self.close_if_complete(rung, out)
    }

    /// Gives a rung's segmenter the copied audio of its segment that it does not have yet.
    fn push_audio(&mut self, rung: usize, out: &mut Vec<RungUpload>) -> Result<(), TranscodeError> {
        let state = self.state(rung)?;
        let Some((msn, _)) = state.current else {
            return Ok(());
        };
        let from = state.audio_pushed;
        let frames: Vec<Frame> = self
            .audio
            .get(&msn)
            .map(|f| f.get(from..).unwrap_or_default().to_vec())
            .unwrap_or_default();
        let mut chunks = Vec::new();
        let state = self.state_mut(rung)?;
        state.audio_pushed += frames.len();
        for frame in frames {
            chunks.extend(
                state
                    .segmenter
                    .push_chunks(frame)
                    .map_err(|e| TranscodeError::Output(e.to_string()))?,
            );
        }
        self.emit(rung, msn, chunks, out);
        Ok(())
    }

    /// Ends a rung's segment once it holds as many frames as the source's complete segment.
    fn close_if_complete(
        &mut self,
        rung: usize,
        out: &mut Vec<RungUpload>,
    ) -> Result<(), TranscodeError> {
        let Some((msn, count)) = self.state(rung)?.current else {
            return Ok(());
        };
        let complete = self
            .boundaries
            .iter()
            .find(|b| b.msn == msn)
            .is_some_and(|b| b.closed && count >= b.frames);
        if complete {
            self.end_segment(rung, out)?;
        }
        Ok(())
    }

    /// Ends a rung's segment in progress, if any.
    fn end_segment(
        &mut self,
        rung: usize,
        out: &mut Vec<RungUpload>,
    ) -> Result<(), TranscodeError> {
        let Some((msn, _)) = self.state(rung)?.current else {
            return Ok(());
        };
        self.push_audio(rung, out)?;
        let state = self.state_mut(rung)?;
        let chunks = state
            .segmenter
            .finish_chunks()
            .map_err(|e| TranscodeError::Output(e.to_string()))?;
        state.current = None;
        state.next = Some(msn + 1);
        self.emit(rung, msn, chunks, out);
        Ok(())
    }

    fn emit(&self, rung: usize, msn: u64, chunks: Vec<Chunk>, out: &mut Vec<RungUpload>) {
        let parts = self.source.part_target.is_some();
        for chunk in chunks {
            match chunk {
                Chunk::Part(part) if parts => out.push(RungUpload::Part {
                    rung,
                    msn,
                    index: part.index,
                    bytes: part.data,
                }),
                Chunk::Segment(segment) if !parts => out.push(RungUpload::Segment {
                    rung,
                    msn,
                    bytes: segment.data,
                }),
                Chunk::Part(_) | Chunk::Segment(_) => {}
            }
        }
    }

    /// Forgets the source segments every rung is past.
    fn prune(&mut self) {
        let oldest = self
            .states
            .iter()
            .map(|s| s.current.map(|(msn, _)| msn).or(s.next).unwrap_or(0))
            .min()
            .unwrap_or(0);
        while self.boundaries.len() > 1 && self.boundaries.front().is_some_and(|b| b.msn < oldest) {
            self.boundaries.pop_front();
        }
        self.audio.retain(|&msn, _| msn >= oldest);
    }

    fn state(&self, rung: usize) -> Result<&RungState, TranscodeError> {
        self.states
            .get(rung)
            .ok_or_else(|| TranscodeError::Output(format!("no rung {rung}")))
    }

    fn state_mut(&mut self, rung: usize) -> Result<&mut RungState, TranscodeError> {
        self.states
            .get_mut(rung)
            .ok_or_else(|| TranscodeError::Output(format!("no rung {rung}")))
    }
}

fn pts(dts: u64, cts_offset: i32) -> i64 {
    i64::try_from(dts)
        .unwrap_or(i64::MAX)
        .saturating_add(i64::from(cts_offset))
}

/// `value` in timescale `from`, in timescale `to` (rounded down).
fn rescale(value: u64, from: u32, to: u32) -> u64 {
    if from == to || from == 0 {
        return value;
    }
    u64::try_from(u128::from(value) * u128::from(to) / u128::from(from)).unwrap_or(u64::MAX)
}

fn rescale_signed(value: i32, from: u32, to: u32) -> i32 {
    if from == to || from == 0 {
        return value;
    }
    let scaled = i128::from(value) * i128::from(to) / i128::from(from);
    i32::try_from(scaled).unwrap_or(0)
}

#[cfg(test)]
mod tests;
