//! One fragmented MP4 file from the renditions of a recording: a video rendition and the audio
//! rendition of its group joined into one file with both tracks, and the periods of a stream (an encoder
//! restarted, its clock back at zero) laid end to end so that time never goes back in the file.
//!
//! [`Joiner`] takes the renditions' init segments, writes one init segment with every track (renumbered
//! 1, 2, ...), then turns each media segment it is given, in the order they should play, into one
//! fragment of the file: the same samples, under the new track ids, with decode times shifted. A period's
//! shift is decided by its first segment (of any rendition) and kept for all of them, so the renditions
//! stay in sync: the period starts where the file's latest track ended. Pure: bytes in, bytes out.

use std::collections::BTreeMap;

use crate::demux::{parse_segment, Limits};
use crate::error::{DemuxError, MuxError};
use crate::mux::{write_fragment, write_init, Sample, TrackFragment};
use crate::track::InitSegment;

/// Why a file could not be joined.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// No rendition was given.
    #[error("nothing to join: no rendition")]
    Empty,
    /// A segment names a rendition that was not given.
    #[error("no rendition {0} to join")]
    UnknownSource(usize),
    /// A segment does not parse against its rendition's init segment.
    #[error(transparent)]
    Demux(#[from] DemuxError),
    /// The joined boxes could not be written.
    #[error(transparent)]
    Mux(#[from] MuxError),
}

/// One rendition joined: its init segment and where its tracks went.
#[derive(Debug, Clone)]
struct Source {
    init: InitSegment,
    /// `(track id in the rendition, index of the track in the joined file)`.
    tracks: Vec<(u32, usize)>,
}

/// What the file has of one track so far.
#[derive(Debug, Clone, Copy)]
struct TrackState {
    timescale: u32,
    /// Decode time after the track's last sample in the file.
    end: Option<u64>,
}

/// Joins the segments of several renditions into one fragmented MP4 file.
#[derive(Debug, Clone)]
pub struct Joiner {
    sources: Vec<Source>,
    joined: InitSegment,
    tracks: Vec<TrackState>,
    /// Seconds added to the decode times of each period, once its first segment came.
    shifts: BTreeMap<u32, f64>,
    sequence: u32,
    limits: Limits,
}

impl Joiner {
    /// A file of these renditions' tracks, in order; segments up to `limits` are read.
    pub fn new(inits: Vec<InitSegment>, limits: Limits) -> Result<Self, JoinError> {
        if inits.is_empty() {
            return Err(JoinError::Empty);
        }
        let mut joined = InitSegment { tracks: Vec::new() };
        let mut sources = Vec::new();
        for init in inits {
            let mut tracks = Vec::new();
            for track in &init.tracks {
                let index = joined.tracks.len();
                let mut renumbered = track.clone();
                renumbered.id = u32::try_from(index + 1).unwrap_or(u32::MAX);
                joined.tracks.push(renumbered);
                tracks.push((track.id, index));
            }
            sources.push(Source { init, tracks });
        }
        let tracks = joined
            .tracks
            .iter()
            .map(|t| TrackState {
                timescale: t.timescale.max(1),
                end: None,
            })
            .collect();
        Ok(Self {
            sources,
            joined,
            tracks,
            shifts: BTreeMap::new(),
            sequence: 0,
            limits,
        })
    }

    /// The joined file's init segment (what it says).
    pub fn init(&self) -> &InitSegment {
        &self.joined
    }

    /// The bytes of the joined init segment: the file's start.
    pub fn init_bytes(&self) -> Result<Vec<u8>, JoinError> {
        Ok(write_init(&self.joined)?)
    }

    /// The next fragment of the file: media segment `data` of rendition `source` (an index into the
    /// inits given to [`Joiner::new`]), which belongs to the stream's period `period` (0, 1, ...).
    /// Segments come in the order they play; within a rendition, in order.
    pub fn fragment(
        &mut self,
        source: usize,
        period: u32,
        data: &[u8],
    ) -> Result<Vec<u8>, JoinError> {
        let Source { init, tracks } = self
            .sources
            .get(source)
            .ok_or(JoinError::UnknownSource(source))?;
        let parsed = parse_segment(init, data, &self.limits)?;
        let mut fragments = Vec::new();
        for samples in &parsed.tracks {
            let Some(&(_, index)) = tracks.iter().find(|(id, _)| *id == samples.track_id) else {
                continue;
            };
            let Some(first) = samples.samples.first() else {
                continue;
            };
            let mut out = Vec::with_capacity(samples.samples.len());
            for (i, entry) in samples.samples.iter().enumerate() {
                let bytes = entry.data_in(data).ok_or_else(|| DemuxError::Invalid {
                    fourcc: "mdat",
                    offset: entry.offset,
                    reason: "sample outside the segment".into(),
                })?;
                // Durations from the decode times, so that gaps between a segment's fragments stay.
                let duration = samples
                    .samples
                    .get(i + 1)
                    .and_then(|next| u32::try_from(next.dts.saturating_sub(entry.dts)).ok())
                    .unwrap_or(entry.duration);
                out.push(Sample {
                    duration,
                    cts_offset: entry.cts_offset,
                    keyframe: entry.keyframe,
                    data: bytes.to_vec(),
                });
            }
            fragments.push((index, first.dts, out));
        }
        let shift = self.shift_for(period, &fragments);
        let mut joined = Vec::new();
        for (index, dts, samples) in fragments {
            let Some(state) = self.tracks.get_mut(index) else {
                continue;
            };
            let shifted = shift_ticks(dts, shift, state.timescale);
            // Never back in time on a track, whatever the segments say.
            let base = state.end.map_or(shifted, |end| shifted.max(end));
            let length: u64 = samples.iter().map(|s| u64::from(s.duration)).sum();
            state.end = Some(base.saturating_add(length));
            joined.push(TrackFragment {
                track_id: u32::try_from(index + 1).unwrap_or(u32::MAX),
                base_decode_time: base,
                samples,
            });
        }
        if joined.is_empty() {
            return Ok(Vec::new());
        }
        self.sequence = self.sequence.saturating_add(1);
        Ok(write_fragment(self.sequence, &joined)?)
    }

    /// The shift of `period`, in seconds: none for the first period seen; a later one starts where the
    /// file's latest track ends.
    fn shift_for(&mut self, period: u32, fragments: &[(usize, u64, Vec<Sample>)]) -> f64 {
        if let Some(&shift) = self.shifts.get(&period) {
            return shift;
        }
        let secs = |ticks: u64, timescale: u32| ticks as f64 / f64::from(timescale);
        let file_end = self
            .tracks
            .iter()
            .filter_map(|t| t.end.map(|end| secs(end, t.timescale)))
            .fold(None, |max: Option<f64>, e| {
                Some(max.map_or(e, |m| m.max(e)))
            });
        let start = fragments
            .iter()
            .filter_map(|(index, dts, _)| self.tracks.get(*index).map(|t| secs(*dts, t.timescale)))
            .fold(None, |min: Option<f64>, s| {
                Some(min.map_or(s, |m| m.min(s)))
            });
        let shift = match (file_end, start) {
            (Some(end), Some(start)) => end - start,
            _ => 0.0,
        };
        self.shifts.insert(period, shift);
        shift
    }
}

/// `dts` moved by `shift` seconds in a track of `timescale`, at least 0.
fn shift_ticks(dts: u64, shift: f64, timescale: u32) -> u64 {
    let moved = dts as f64 + shift * f64::from(timescale);
    if moved <= 0.0 {
        0
    } else {
        moved.round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demux::parse_init;
    use crate::testing::{
        audio_fragment, audio_track, fragment, init_bytes, video_fragment, video_track,
        AUDIO_FRAMES, AUDIO_FRAME_TICKS, AUDIO_TIMESCALE, VIDEO_FRAMES, VIDEO_FRAME_TICKS,
        VIDEO_TIMESCALE,
    };

    const VIDEO_SEGMENT: u64 = (VIDEO_FRAMES * VIDEO_FRAME_TICKS) as u64;
    const AUDIO_SEGMENT: u64 = (AUDIO_FRAMES * AUDIO_FRAME_TICKS) as u64;

    fn video_only() -> InitSegment {
        InitSegment {
            tracks: vec![video_track()],
        }
    }

    /// An audio-only rendition whose track id is 1, as ffmpeg numbers it.
    fn audio_only() -> InitSegment {
        let mut track = audio_track();
        track.id = 1;
        InitSegment {
            tracks: vec![track],
        }
    }

    fn audio_segment(base: u64) -> Vec<u8> {
        let mut f = audio_fragment(base);
        f.track_id = 1;
        fragment(0, &[f])
    }

    /// Every fragment of `file` after its init: (track id, base decode time, samples).
    fn read_file(joiner: &Joiner, fragments: &[Vec<u8>]) -> Vec<(u32, u64, usize)> {
        let init = joiner.init();
        fragments
            .iter()
            .flat_map(|f| {
                parse_segment(init, f, &Limits::default())
                    .expect("a joined fragment parses")
                    .tracks
                    .into_iter()
                    .map(|t| (t.track_id, t.base_decode_time, t.samples.len()))
            })
            .collect()
    }

    #[test]
    fn video_and_separate_audio_become_one_file() {
        let mut joiner = Joiner::new(vec![video_only(), audio_only()], Limits::default()).unwrap();
        let init = parse_init(&joiner.init_bytes().unwrap()).unwrap();
        assert_eq!(init.tracks.len(), 2);
        assert_eq!((init.tracks[0].id, init.tracks[1].id), (1, 2));
        assert!(init.tracks[0].is_video() && !init.tracks[1].is_video());

        let mut out = Vec::new();
        for n in 0..3 {
            let v = video_fragment(n * VIDEO_SEGMENT, true);
            out.push(joiner.fragment(0, 0, &fragment(n, &[v])).unwrap());
            out.push(
                joiner
                    .fragment(1, 0, &audio_segment(n * AUDIO_SEGMENT))
                    .unwrap(),
            );
        }
        assert_eq!(
            read_file(&joiner, &out),
            (0..3)
                .flat_map(|n| [
                    (1, n * VIDEO_SEGMENT, VIDEO_FRAMES as usize),
                    (2, n * AUDIO_SEGMENT, AUDIO_FRAMES as usize)
                ])
                .collect::<Vec<_>>()
        );
        // The samples' bytes are the rendition's.
        let first = parse_segment(joiner.init(), &out[0], &Limits::default()).unwrap();
        let entry = first.tracks[0].samples[0];
        let original = video_fragment(0, true).samples[0].data.clone();
        assert_eq!(
            &out[0][entry.offset..entry.offset + entry.size as usize],
            &original[..]
        );
    }

    #[test]
    fn a_new_period_starts_where_the_file_ends_on_every_track() {
        let mut joiner = Joiner::new(vec![video_only(), audio_only()], Limits::default()).unwrap();
        let mut out = Vec::new();
        // Period 0: two segments from 100 s.
        let (v0, a0) = (
            100 * u64::from(VIDEO_TIMESCALE),
            100 * u64::from(AUDIO_TIMESCALE),
        );
        for n in 0..2 {
            let v = video_fragment(v0 + n * VIDEO_SEGMENT, true);
            out.push(joiner.fragment(0, 0, &fragment(n, &[v])).unwrap());
            out.push(
                joiner
                    .fragment(1, 0, &audio_segment(a0 + n * AUDIO_SEGMENT))
                    .unwrap(),
            );
        }
        // Period 1: the encoder restarted, its clock at 0 (audio 0.5 s behind video's start).
        let v = video_fragment(0, true);
        out.push(joiner.fragment(0, 1, &fragment(0, &[v])).unwrap());
        out.push(
            joiner
                .fragment(1, 1, &audio_segment(u64::from(AUDIO_TIMESCALE) / 2))
                .unwrap(),
        );
        let read = read_file(&joiner, &out);
        // Period 0 untouched.
        assert_eq!(read[0].1, v0);
        assert_eq!(read[1].1, a0);
        // Period 1 at 104 s for video, and audio still 0.5 s after it.
        assert_eq!(read[4].1, v0 + 2 * VIDEO_SEGMENT);
        assert_eq!(
            read[5].1,
            a0 + 2 * AUDIO_SEGMENT + u64::from(AUDIO_TIMESCALE) / 2
        );
    }

    #[test]
    fn one_rendition_across_a_restart_never_goes_back() {
        let init = crate::testing::av_init();
        let mut joiner = Joiner::new(vec![init], Limits::default()).unwrap();
        let a = joiner
            .fragment(0, 0, &crate::testing::av_segment(5))
            .unwrap();
        let b = joiner
            .fragment(0, 1, &crate::testing::av_segment(0))
            .unwrap();
        let read = read_file(&joiner, &[a, b]);
        assert_eq!(read[2].1, 6 * VIDEO_SEGMENT);
        assert_eq!(read[3].1, 6 * AUDIO_SEGMENT);
        assert_eq!(init_bytes(joiner.init()), joiner.init_bytes().unwrap());
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(matches!(
            Joiner::new(Vec::new(), Limits::default()),
            Err(JoinError::Empty)
        ));
        let mut joiner = Joiner::new(vec![video_only()], Limits::default()).unwrap();
        assert!(matches!(
            joiner.fragment(3, 0, b""),
            Err(JoinError::UnknownSource(3))
        ));
        assert!(matches!(
            joiner.fragment(0, 0, b"\0\0\0\x08moof"),
            Err(JoinError::Demux(_))
        ));
    }
}
