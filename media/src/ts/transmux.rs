//! TS segments → CMAF: [`TsTransmuxer`] takes one transport stream segment at a time and gives back an init
//! segment (the first time, and whenever the codec configuration changes) and one fragment (`moof` +
//! `mdat`) per segment, written by this crate's own [`write_init`] and [`write_fragment`], which
//! [`parse_init`](crate::parse_init) and [`parse_segment`](crate::parse_segment) read back.
//!
//! Tracks: the program's first video stream (H.264 or H.265) is track 1, in 90 kHz units, its decode times
//! the unwrapped DTS and its composition offsets PTS − DTS (B-frames); the first audio stream (AAC in ADTS,
//! MP3) is track 2, in units of its sample rate, its decode times following one another frame by frame
//! from the first PTS and set again from a PES's PTS only when they part by more than half a frame (a gap
//! in the audio). Timestamps are unwrapped across the 33-bit wrap and across segments, so decode times only
//! grow; call [`TsTransmuxer::discontinuity`] where the playlist says `EXT-X-DISCONTINUITY`.
//!
//! A sample's duration is the next sample's decode time minus its own; the last one of a segment gets the
//! duration of the one before it (video) or its frame's length (audio), since the next segment is not here
//! yet. Video before the first keyframe is dropped (a fragment must start with one), and so is anything a
//! broken packet or PES took with it; each drop is a warning in [`Transmuxed::warnings`].

use super::adts::parse_adts;
use super::audio::{AudioFrame, AudioSplitter};
use super::demux::{TsDemuxer, TsEvent};
use super::error::TsError;
use super::mpa::parse_mpa;
use super::pes::Pes;
use super::psi::{stream_type, Program};
use super::time::{rescale_90khz, Unwrapper, TIMESTAMP_HZ};
use super::video::{access_unit, video_config, ParamSets, VideoKind};
use crate::mux::{write_fragment, write_init, Sample, TrackFragment};
use crate::track::{InitSegment, MediaParams, TrackInfo};

/// The track id of the video track.
pub const VIDEO_TRACK_ID: u32 = 1;
/// The track id of the audio track.
pub const AUDIO_TRACK_ID: u32 = 2;
/// Video sample duration used when nothing better is known (one frame at 30 fps, in 90 kHz units).
const DEFAULT_VIDEO_DURATION: u32 = 3000;

/// One piece of CMAF output, in the order a `SourceBuffer` must receive them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmafChunk {
    /// An init segment: the first, or one for a changed codec configuration.
    Init {
        /// Its tracks.
        init: InitSegment,
        /// `ftyp` + `moov`.
        bytes: Vec<u8>,
    },
    /// A fragment of every track's samples.
    Fragment {
        /// Its `mfhd` sequence number (1, 2, ... across segments).
        sequence_number: u32,
        /// What each track holds, in `traf` order.
        tracks: Vec<TrackSpan>,
        /// `moof` + `mdat`.
        bytes: Vec<u8>,
    },
}

/// The time span of one track in a fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackSpan {
    /// The track id.
    pub track_id: u32,
    /// Units per second of the times below.
    pub timescale: u32,
    /// Decode time of the first sample (`tfdt`).
    pub base_decode_time: u64,
    /// The earliest presentation time of its samples.
    pub earliest_presentation_time: u64,
    /// Sum of the sample durations.
    pub duration: u64,
    /// Number of samples.
    pub samples: usize,
}

/// What one segment gave.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Transmuxed {
    /// Init segments and fragments, in order.
    pub chunks: Vec<CmafChunk>,
    /// What was dropped or could not be used, with where it was.
    pub warnings: Vec<TsError>,
}

/// A sample waiting for its fragment.
#[derive(Debug)]
struct Pending {
    dts: u64,
    cts_offset: i32,
    keyframe: bool,
    data: Vec<u8>,
}

/// What both tracks share: their configuration and the samples of the current fragment.
#[derive(Debug)]
struct TrackState {
    pid: u16,
    config: Option<TrackInfo>,
    pending: Vec<Pending>,
    /// Decode time of the last sample of this segment (samples must move forward in a fragment).
    last_dts: Option<u64>,
    /// Duration for a last sample when nothing follows it.
    last_duration: Option<u32>,
}

impl TrackState {
    fn new(pid: u16) -> Self {
        TrackState {
            pid,
            config: None,
            pending: Vec::new(),
            last_dts: None,
            last_duration: None,
        }
    }

    fn timescale(&self) -> u32 {
        self.config.as_ref().map_or(TIMESTAMP_HZ, |c| c.timescale)
    }
}

#[derive(Debug)]
struct VideoTrack {
    kind: VideoKind,
    state: TrackState,
    sets: ParamSets,
    /// A keyframe was given since the configuration was set.
    keyframe_seen: bool,
}

#[derive(Debug)]
struct AudioTrack {
    codec_name: &'static str,
    state: TrackState,
    splitter: AudioSplitter,
    /// The decode time the next frame follows on with, in the track's timescale.
    next_dts: Option<u64>,
}

/// What to do with a sample's decode time against the previous one.
enum Order {
    /// It moves forward: append.
    Forward,
    /// It goes back by a little (a duplicate): drop it.
    Drop,
    /// It jumps (back or more than a minute ahead): a new timeline, in a new fragment.
    Jump,
}

/// Turns one transport stream segment at a time into CMAF, keeping what must carry across segments: the
/// timeline (33-bit wrap), the codec configuration, `mfhd` sequence numbers, an audio frame cut by the end
/// of a segment. Pure: no I/O, no clock.
///
/// ```
/// # fn run(segments: &[Vec<u8>]) -> Result<(), onair_media::ts::TsError> {
/// use onair_media::ts::{CmafChunk, TsTransmuxer};
/// let mut transmuxer = TsTransmuxer::new();
/// for ts in segments {
///     for chunk in transmuxer.push_segment(ts)?.chunks {
///         match chunk {
///             CmafChunk::Init { init, bytes } => { /* a SourceBuffer for init.codecs(), append bytes */ }
///             CmafChunk::Fragment { bytes, .. } => { /* append bytes */ }
///         }
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct TsTransmuxer {
    demuxer: TsDemuxer,
    clock: Unwrapper,
    program: Option<Program>,
    video: Option<VideoTrack>,
    audio: Option<AudioTrack>,
    init: Option<InitSegment>,
    sequence_number: u32,
}

impl TsTransmuxer {
    /// A transmuxer that has seen nothing yet.
    pub fn new() -> Self {
        TsTransmuxer::default()
    }

    /// The init segment of the last [`CmafChunk::Init`] given, if any.
    pub fn init(&self) -> Option<&InitSegment> {
        self.init.as_ref()
    }

    /// The timeline starts again (`EXT-X-DISCONTINUITY`): timestamps are taken as they come instead of
    /// being unwrapped against the previous segment's, and an audio frame cut by the previous segment's
    /// end is dropped. The configuration and sequence numbers carry on.
    pub fn discontinuity(&mut self) {
        self.clock.reset();
        if let Some(a) = &mut self.audio {
            a.splitter.clear();
            a.next_dts = None;
        }
    }

    /// Transmuxes one segment. Fails only when the bytes are not a transport stream at all, when no
    /// program is known (no PAT and PMT in this segment or before), or when writing fails; everything
    /// else that is wrong drops what it touches and is reported in [`Transmuxed::warnings`].
    pub fn push_segment(&mut self, ts: &[u8]) -> Result<Transmuxed, TsError> {
        let mut out = Transmuxed::default();
        let mut events = self.demuxer.start_segment();
        events.extend(self.demuxer.push(ts, true));
        if self.demuxer.packet_count() == 0 && !ts.is_empty() {
            return Err(TsError::NotTs { searched: ts.len() });
        }
        for track in [
            self.video.as_mut().map(|v| &mut v.state),
            self.audio.as_mut().map(|a| &mut a.state),
        ]
        .into_iter()
        .flatten()
        {
            track.last_dts = None;
        }
        for event in events {
            match event {
                TsEvent::Program(p) => self.program(p, &mut out.warnings),
                TsEvent::Pes(pes) => self.pes(pes, &mut out)?,
                TsEvent::Warning(w) => out.warnings.push(w),
                TsEvent::Pcr { .. } => {}
            }
        }
        if self.program.is_none() {
            return Err(TsError::NoProgram);
        }
        self.emit(&mut out)?;
        Ok(out)
    }

    /// A new PMT: picks the first video and the first audio stream; a stream whose PID or type changed
    /// starts again.
    fn program(&mut self, program: Program, warnings: &mut Vec<TsError>) {
        let (mut video, mut audio) = (None, None);
        for s in &program.streams {
            let (slot, kind) = match s.stream_type {
                stream_type::H264 | stream_type::H265 => (&mut video, "video"),
                stream_type::AAC_ADTS | stream_type::MPEG1_AUDIO | stream_type::MPEG2_AUDIO => {
                    (&mut audio, "audio")
                }
                _ => {
                    warnings.push(TsError::UnsupportedStream {
                        pid: s.pid,
                        stream_type: s.stream_type,
                        reason: "not H.264, H.265, AAC or MP3",
                    });
                    continue;
                }
            };
            if slot.is_some() {
                warnings.push(TsError::UnsupportedStream {
                    pid: s.pid,
                    stream_type: s.stream_type,
                    reason: if kind == "video" {
                        "a second video stream"
                    } else {
                        "a second audio stream"
                    },
                });
                continue;
            }
            *slot = Some(s.clone());
        }
        let video_kind = |t| {
            if t == stream_type::H264 {
                VideoKind::Avc
            } else {
                VideoKind::Hevc
            }
        };
        match video {
            Some(s)
                if self.video.as_ref().is_some_and(|v| {
                    v.state.pid == s.pid && v.kind == video_kind(s.stream_type)
                }) => {}
            Some(s) => {
                self.video = Some(VideoTrack {
                    kind: video_kind(s.stream_type),
                    state: TrackState::new(s.pid),
                    sets: ParamSets::default(),
                    keyframe_seen: false,
                })
            }
            None => self.video = None,
        }
        let audio_codec = |t| {
            if t == stream_type::AAC_ADTS {
                "AAC"
            } else {
                "MP3"
            }
        };
        match audio {
            Some(s)
                if self.audio.as_ref().is_some_and(|a| {
                    a.state.pid == s.pid && a.codec_name == audio_codec(s.stream_type)
                }) => {}
            Some(s) => {
                let aac = s.stream_type == stream_type::AAC_ADTS;
                self.audio = Some(AudioTrack {
                    codec_name: audio_codec(s.stream_type),
                    state: TrackState::new(s.pid),
                    splitter: AudioSplitter::new(if aac { parse_adts } else { parse_mpa }),
                    next_dts: None,
                })
            }
            None => self.audio = None,
        }
        self.program = Some(program);
    }

    fn pes(&mut self, pes: Pes, out: &mut Transmuxed) -> Result<(), TsError> {
        if self.video.as_ref().is_some_and(|v| v.state.pid == pes.pid) {
            self.video_pes(pes, out)
        } else if self.audio.as_ref().is_some_and(|a| a.state.pid == pes.pid) {
            self.audio_pes(pes, out)
        } else {
            Ok(())
        }
    }

    fn video_pes(&mut self, pes: Pes, out: &mut Transmuxed) -> Result<(), TsError> {
        let Some(v) = self.video.as_mut() else {
            return Ok(());
        };
        let kind = v.kind;
        let warn = |reason: String| TsError::Stream {
            codec: kind.name(),
            pid: pes.pid,
            packet: pes.packet,
            offset: pes.offset,
            reason,
        };
        let au = access_unit(kind, pes.payload(), &mut v.sets);
        let Some(pts) = pes.pts else {
            // The rest of the previous access unit.
            match v.state.pending.last_mut() {
                Some(last) if !au.sample.is_empty() => last.data.extend(au.sample),
                _ => out.warnings.push(warn(
                    "a PES without a PTS and no access unit before it".into(),
                )),
            }
            return Ok(());
        };
        if au.has_params {
            match video_config(kind, &v.sets) {
                Ok((codec, params)) => {
                    let config = TrackInfo {
                        id: VIDEO_TRACK_ID,
                        timescale: TIMESTAMP_HZ,
                        codec,
                        params,
                    };
                    if v.state.config.as_ref().is_some_and(|c| c != &config) {
                        // A new configuration: what came before goes out under the old one.
                        self.emit(out)?;
                    }
                    let Some(v) = self.video.as_mut() else {
                        return Ok(());
                    };
                    if v.state.config.as_ref() != Some(&config) {
                        v.state.config = Some(config);
                        v.keyframe_seen = false;
                    }
                }
                Err(reason) => out.warnings.push(warn(format!("parameter sets: {reason}"))),
            }
        }
        let Some(v) = self.video.as_mut() else {
            return Ok(());
        };
        if au.sample.is_empty() {
            return Ok(());
        }
        if v.state.config.is_none() || !(v.keyframe_seen || au.keyframe) {
            out.warnings.push(warn(
                "picture before the first keyframe with parameter sets: dropped".into(),
            ));
            return Ok(());
        }
        let pts = self.clock.unwrap(pts);
        let dts = pes.dts.map_or(pts, |d| self.clock.unwrap(d));
        let (Ok(dts_u), Ok(cts_offset)) = (u64::try_from(dts), i32::try_from(pts - dts)) else {
            out.warnings.push(warn(format!(
                "timestamps before the start of the timeline or far apart (PTS {pts}, DTS {dts}): dropped"
            )));
            return Ok(());
        };
        let sample = Pending {
            dts: dts_u,
            cts_offset,
            keyframe: au.keyframe,
            data: au.sample,
        };
        self.push_sample(true, sample, warn, out)
    }

    fn audio_pes(&mut self, pes: Pes, out: &mut Transmuxed) -> Result<(), TsError> {
        let Some(a) = self.audio.as_mut() else {
            return Ok(());
        };
        let codec_name = a.codec_name;
        let warn = |reason: String| TsError::Stream {
            codec: codec_name,
            pid: pes.pid,
            packet: pes.packet,
            offset: pes.offset,
            reason,
        };
        let mut frames = Vec::new();
        if let Some((skipped, reason)) = a.splitter.push(pes.payload(), &mut frames) {
            out.warnings.push(warn(format!(
                "{skipped} bytes skipped to the next frame header ({reason})"
            )));
        }
        let pts = pes.pts.map(|p| self.clock.unwrap(p));
        let mut pes_pts_used = false;
        for frame in frames {
            let AudioFrame {
                header,
                data,
                continued,
            } = frame;
            let config = TrackInfo {
                id: AUDIO_TRACK_ID,
                timescale: header.sample_rate,
                codec: header.codec.clone(),
                params: MediaParams::Audio {
                    channels: header.channels,
                    sample_rate: header.sample_rate,
                },
            };
            let Some(a) = self.audio.as_mut() else {
                return Ok(());
            };
            if a.state.config.as_ref() != Some(&config) {
                if a.state.config.is_some() {
                    self.emit(out)?;
                }
                let Some(a) = self.audio.as_mut() else {
                    return Ok(());
                };
                a.state.config = Some(config);
                a.next_dts = None;
            }
            let Some(a) = self.audio.as_mut() else {
                return Ok(());
            };
            let rate = header.sample_rate;
            let frame_pts = match pts {
                Some(p) if !continued && !pes_pts_used => {
                    pes_pts_used = true;
                    match u64::try_from(p) {
                        Ok(p) => Some(rescale_90khz(p, rate)),
                        Err(_) => {
                            out.warnings.push(warn(format!(
                                "PTS {p} before the start of the timeline: frame dropped"
                            )));
                            continue;
                        }
                    }
                }
                _ => None,
            };
            let half = u64::from(header.samples / 2);
            let dts = match (a.next_dts, frame_pts) {
                (Some(next), Some(p)) if p.abs_diff(next) <= half => next,
                (_, Some(p)) => p,
                (Some(next), None) => next,
                (None, None) => {
                    out.warnings.push(warn(
                        "audio frame with no PTS to start the timeline: dropped".into(),
                    ));
                    continue;
                }
            };
            a.next_dts = Some(dts.saturating_add(u64::from(header.samples)));
            a.state.last_duration = Some(header.samples);
            let sample = Pending {
                dts,
                cts_offset: 0,
                keyframe: true,
                data,
            };
            self.push_sample(false, sample, warn, out)?;
        }
        Ok(())
    }

    /// Appends a sample to its track, cutting a fragment first when its time jumps.
    fn push_sample(
        &mut self,
        video: bool,
        sample: Pending,
        warn: impl Fn(String) -> TsError,
        out: &mut Transmuxed,
    ) -> Result<(), TsError> {
        let order = {
            let Some(state) = self.state(video) else {
                return Ok(());
            };
            let second = u64::from(state.timescale());
            match state.last_dts {
                None => Order::Forward,
                Some(last) if sample.dts > last && sample.dts - last <= 60 * second => {
                    Order::Forward
                }
                Some(last) if sample.dts <= last && last - sample.dts < second => Order::Drop,
                Some(_) => Order::Jump,
            }
        };
        match order {
            Order::Forward => {}
            Order::Drop => {
                out.warnings.push(warn(format!(
                    "decode time {} does not move forward: sample dropped",
                    sample.dts
                )));
                return Ok(());
            }
            Order::Jump => self.emit(out)?,
        }
        if let Some(state) = self.state(video) {
            state.last_dts = Some(sample.dts);
            state.pending.push(sample);
        }
        if video {
            if let Some(v) = self.video.as_mut() {
                v.keyframe_seen = true;
            }
        }
        Ok(())
    }

    fn state(&mut self, video: bool) -> Option<&mut TrackState> {
        if video {
            self.video.as_mut().map(|v| &mut v.state)
        } else {
            self.audio.as_mut().map(|a| &mut a.state)
        }
    }

    /// Writes the pending samples as one fragment, after an init segment if the configuration is new.
    fn emit(&mut self, out: &mut Transmuxed) -> Result<(), TsError> {
        let mut states: Vec<&mut TrackState> = [
            self.video.as_mut().map(|v| &mut v.state),
            self.audio.as_mut().map(|a| &mut a.state),
        ]
        .into_iter()
        .flatten()
        .collect();
        if states.iter().all(|s| s.pending.is_empty()) {
            return Ok(());
        }
        let init = InitSegment {
            tracks: states.iter().filter_map(|s| s.config.clone()).collect(),
        };
        if self.init.as_ref() != Some(&init) {
            let bytes = write_init(&init)?;
            self.init = Some(init.clone());
            out.chunks.push(CmafChunk::Init { init, bytes });
        }
        let mut fragments = Vec::new();
        let mut spans = Vec::new();
        for state in states.iter_mut() {
            let Some(config) = &state.config else {
                state.pending.clear();
                continue;
            };
            if state.pending.is_empty() {
                continue;
            }
            let pending = std::mem::take(&mut state.pending);
            let mut samples = Vec::with_capacity(pending.len());
            let mut earliest = u64::MAX;
            let base = pending[0].dts;
            for (i, p) in pending.iter().enumerate() {
                let duration = match pending.get(i + 1) {
                    Some(next) => {
                        let d = u32::try_from(next.dts - p.dts).unwrap_or(u32::MAX);
                        if config.is_video() {
                            state.last_duration = Some(d);
                        }
                        d
                    }
                    None => state.last_duration.unwrap_or(DEFAULT_VIDEO_DURATION),
                };
                earliest = earliest.min(p.dts.saturating_add_signed(i64::from(p.cts_offset)));
                samples.push(Sample {
                    duration,
                    cts_offset: p.cts_offset,
                    keyframe: p.keyframe,
                    data: Vec::new(),
                });
            }
            for (s, p) in samples.iter_mut().zip(pending) {
                s.data = p.data;
            }
            spans.push(TrackSpan {
                track_id: config.id,
                timescale: config.timescale,
                base_decode_time: base,
                earliest_presentation_time: earliest,
                duration: samples.iter().map(|s| u64::from(s.duration)).sum(),
                samples: samples.len(),
            });
            fragments.push(TrackFragment {
                track_id: config.id,
                base_decode_time: base,
                samples,
            });
        }
        if fragments.is_empty() {
            return Ok(());
        }
        self.sequence_number = self.sequence_number.wrapping_add(1).max(1);
        let bytes = write_fragment(self.sequence_number, &fragments)?;
        out.chunks.push(CmafChunk::Fragment {
            sequence_number: self.sequence_number,
            tracks: spans,
            bytes,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ts::adts::tests::adts_header;
    use crate::ts::packet::tests::packet;
    use crate::ts::pes::tests::pes;
    use crate::ts::psi::tests::{pat, pmt};
    use crate::{parse_init, parse_segment, Limits};

    /// A segment of AAC only (44.1 kHz mono): PAT, PMT, then one PES per (PTS, frame count), each in
    /// its own packets.
    fn aac_segment(pes_list: &[(u64, usize)], cc: &mut u8) -> Vec<u8> {
        let mut ts = Vec::new();
        for (pid, section) in [(0, pat(0x1000)), (0x1000, pmt(&[(0x0f, 0x101)]))] {
            let mut payload = vec![0];
            payload.extend(section);
            ts.extend(packet(pid, 0, true, &payload));
        }
        for &(pts, frames) in pes_list {
            let mut es = Vec::new();
            for _ in 0..frames {
                es.extend(adts_header(4, 1, 20));
                es.extend([0x21; 13]);
            }
            let bytes = pes(0xc0, Some(pts), None, &es, true);
            for (i, chunk) in bytes.chunks(184).enumerate() {
                ts.extend(packet(0x101, *cc, i == 0, chunk));
                *cc = (*cc + 1) & 0x0f;
            }
        }
        ts
    }

    fn samples(t: &mut TsTransmuxer, ts: &[u8]) -> Vec<(u64, u32)> {
        let out = t.push_segment(ts).unwrap();
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        let mut init = t.init().cloned();
        let mut all = Vec::new();
        for chunk in out.chunks {
            match chunk {
                CmafChunk::Init { bytes, .. } => init = Some(parse_init(&bytes).unwrap()),
                CmafChunk::Fragment { bytes, .. } => {
                    let seg = parse_segment(init.as_ref().unwrap(), &bytes, &Limits::default());
                    for s in &seg.unwrap().tracks[0].samples {
                        all.push((s.dts, s.duration));
                    }
                }
            }
        }
        all
    }

    #[test]
    fn audio_times_follow_frames_and_jump_at_gaps() {
        // 1024 samples at 44.1 kHz = 2089.8 ticks of 90 kHz. The second PES is 1 tick off the frame
        // timeline (kept), the third starts 10 frames late (a gap: the frame before it lasts longer).
        let frame_90k = 1024.0 * 90_000.0 / 44_100.0;
        let start = 90_000u64;
        let second = start + (3.0 * frame_90k) as u64 + 1;
        let third = start + (16.0 * frame_90k) as u64;
        let mut cc = 0;
        let mut t = TsTransmuxer::new();
        let got = samples(
            &mut t,
            &aac_segment(&[(start, 3), (second, 3), (third, 2)], &mut cc),
        );
        let first = 44_100;
        let dts: Vec<u64> = got.iter().map(|s| s.0).collect();
        assert_eq!(
            dts,
            [0, 1, 2, 3, 4, 5, 16, 17]
                .map(|k| first + k * 1024)
                .to_vec()
        );
        assert_eq!(got[5].1, 11 * 1024);
        assert_eq!(got[7].1, 1024);
        // The next segment follows on; after a discontinuity its own PTS rules.
        let next = samples(&mut t, &aac_segment(&[(third + 2 * 2090, 1)], &mut cc));
        assert_eq!(next[0].0, first + 18 * 1024);
        t.discontinuity();
        let after = samples(&mut t, &aac_segment(&[(900_000, 1)], &mut cc));
        assert_eq!(after[0].0, 441_000);
    }
}
