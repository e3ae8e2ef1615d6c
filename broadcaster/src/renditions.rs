//! The packagers of a broadcast's renditions: one [`Packager`] of video and audio together, or, for a
//! ladder, one video-only packager per rung and one audio-only packager for the audio rendition they
//! all share.
//!
//! **One timeline.** Every rendition of a ladder puts zero at the same capture time: the first video
//! keyframe any rung places decides it and is handed to the others ([`Packager::set_origin`]), so a
//! rung that starts a frame late, and the audio, start on the same timeline and their segments carry
//! the same decode times.
//!
//! **Aligned segments.** Segments start on keyframes. In a ladder only the keyframes the broadcast
//! asked every encoder for ([`Renditions::forced`]) count as keyframes: one an encoder made on its own
//! (a scene change) stays a frame of its segment, so every rung cuts its segments at the same
//! timestamps whatever its encoder decides.

use std::collections::VecDeque;

use onair_media::SegmenterConfig;

use crate::error::BroadcastError;
use crate::packager::{AudioConfig, EncodedChunk, Output, Packager};

/// Forced keyframe timestamps remembered: encoders answer within a few frames.
const FORCED_REMEMBERED: usize = 16;

/// What a rendition's packager produced: `(rendition index, output)`; the index is the rung's for video
/// renditions and [`Renditions::audio_index`] for the audio rendition.
pub type Tagged = (usize, Output);

/// The packagers of every rendition of one broadcast.
#[derive(Debug)]
pub struct Renditions {
    video: Vec<Packager>,
    /// The audio rendition of a ladder (audio of a single rendition is in `video[0]`).
    audio: Option<Packager>,
    origin_shared: bool,
    /// Timestamps of the keyframes asked for, in a ladder.
    forced: Option<VecDeque<i64>>,
}

impl Renditions {
    /// One rendition of video (and audio, with `audio`) together.
    pub fn single(audio: bool, config: SegmenterConfig) -> Self {
        Self {
            video: vec![Packager::new(audio, config)],
            audio: None,
            origin_shared: true,
            forced: None,
        }
    }

    /// A ladder of `rungs` video renditions (at least one) and, with `audio`, one audio rendition.
    pub fn ladder(rungs: usize, audio: bool, config: SegmenterConfig) -> Self {
        Self {
            video: (0..rungs.max(1))
                .map(|_| Packager::new(false, config))
                .collect(),
            audio: audio.then(|| Packager::audio_only(config)),
            origin_shared: false,
            forced: Some(VecDeque::new()),
        }
    }

    /// How many renditions upload: the video ones, and the audio one of a ladder.
    pub fn count(&self) -> usize {
        self.video.len() + usize::from(self.audio.is_some())
    }

    /// How many video renditions.
    pub fn rungs(&self) -> usize {
        self.video.len()
    }

    /// The rendition the audio goes to: its own in a ladder, else the single one (0).
    pub fn audio_index(&self) -> usize {
        if self.audio.is_some() {
            self.video.len()
        } else {
            0
        }
    }

    /// Records that every encoder was asked for a keyframe at `timestamp_us` (only a ladder keeps it).
    pub fn forced(&mut self, timestamp_us: i64) {
        if let Some(forced) = self.forced.as_mut() {
            if forced.len() == FORCED_REMEMBERED {
                forced.pop_front();
            }
            forced.push_back(timestamp_us);
        }
    }

    /// Records the video configuration of `rung`.
    pub fn set_video_config(
        &mut self,
        rung: usize,
        width: u16,
        height: u16,
        avcc: Vec<u8>,
    ) -> Result<Vec<Tagged>, BroadcastError> {
        let Some(packager) = self.video.get_mut(rung) else {
            return Ok(Vec::new());
        };
        let out = packager.set_video_config(width, height, avcc)?;
        self.after(rung, out)
    }

    /// Adds an encoded video chunk of `rung`.
    pub fn push_video(
        &mut self,
        rung: usize,
        mut chunk: EncodedChunk,
    ) -> Result<Vec<Tagged>, BroadcastError> {
        if let (Some(forced), true) = (&self.forced, chunk.keyframe) {
            chunk.keyframe = forced.contains(&chunk.timestamp_us);
        }
        let Some(packager) = self.video.get_mut(rung) else {
            return Ok(Vec::new());
        };
        let out = packager.push(chunk)?;
        self.after(rung, out)
    }

    /// Records the audio configuration.
    pub fn set_audio_config(&mut self, config: AudioConfig) -> Result<Vec<Tagged>, BroadcastError> {
        let index = self.audio_index();
        let out = match self.audio_packager() {
            Some(packager) => packager.set_audio_config(config)?,
            None => Vec::new(),
        };
        self.after(index, out)
    }

    /// Adds an encoded audio chunk.
    pub fn push_audio(&mut self, chunk: EncodedChunk) -> Result<Vec<Tagged>, BroadcastError> {
        let index = self.audio_index();
        let out = match self.audio_packager() {
            Some(packager) => packager.push(chunk)?,
            None => Vec::new(),
        };
        self.after(index, out)
    }

    /// Goes on without audio: a ladder's audio rendition is dropped (it never wrote an init segment
    /// unless its encoder had started), a single rendition stops waiting for it.
    pub fn give_up_audio(&mut self) -> Result<Vec<Tagged>, BroadcastError> {
        match self.audio.as_mut() {
            Some(_) => {
                let index = self.audio_index();
                let out = match self.audio.as_mut() {
                    Some(audio) => audio.finish()?,
                    None => Vec::new(),
                };
                Ok(out.into_iter().map(|o| (index, o)).collect())
            }
            None => {
                let out = match self.video.first_mut() {
                    Some(packager) => packager.give_up_audio()?,
                    None => Vec::new(),
                };
                Ok(out.into_iter().map(|o| (0, o)).collect())
            }
        }
    }

    /// Anchors the video capture clock to the wall clock, in every rendition (see
    /// [`Packager::set_wall_clock`]).
    pub fn set_wall_clock(&mut self, capture_us: i64, unix_micros: u64) {
        for packager in self.all_mut() {
            packager.set_wall_clock(capture_us, unix_micros);
        }
    }

    /// Anchors the audio capture clock to the wall clock, in every rendition.
    pub fn set_audio_wall_clock(&mut self, capture_us: i64, unix_micros: u64) {
        for packager in self.all_mut() {
            packager.set_audio_wall_clock(capture_us, unix_micros);
        }
    }

    /// Whether the wall clock anchor is set.
    pub fn has_wall_clock(&self) -> bool {
        self.video.first().is_some_and(Packager::has_wall_clock)
    }

    /// Sets every rendition's part target; answers whether it counted (before the first part).
    pub fn set_part_target(&mut self, secs: f64) -> bool {
        let mut counted = true;
        for packager in self.all_mut() {
            counted &= packager.set_part_target(secs);
        }
        counted
    }

    /// Flushes every rendition: its last part and last, possibly short, segment.
    pub fn finish(&mut self) -> Result<Vec<Tagged>, BroadcastError> {
        let audio_index = self.audio_index();
        let mut out = Vec::new();
        for (i, packager) in self.video.iter_mut().enumerate() {
            out.extend(packager.finish()?.into_iter().map(|o| (i, o)));
        }
        if let Some(audio) = self.audio.as_mut() {
            out.extend(audio.finish()?.into_iter().map(|o| (audio_index, o)));
        }
        Ok(out)
    }

    /// Chunks dropped by the packagers, together.
    pub fn dropped(&self) -> u64 {
        self.video
            .iter()
            .chain(self.audio.iter())
            .map(Packager::dropped)
            .sum()
    }

    /// The packager audio goes to: the ladder's audio rendition, else the single rendition.
    fn audio_packager(&mut self) -> Option<&mut Packager> {
        match self.audio.as_mut() {
            Some(audio) => Some(audio),
            None => self.video.first_mut(),
        }
    }

    fn all_mut(&mut self) -> impl Iterator<Item = &mut Packager> {
        self.video.iter_mut().chain(self.audio.iter_mut())
    }

    /// Tags what rendition `index` produced and, once a rung has placed its first keyframe, hands its
    /// timeline's origin to every other rendition (which may start them: their outputs follow).
    fn after(&mut self, index: usize, out: Vec<Output>) -> Result<Vec<Tagged>, BroadcastError> {
        let mut tagged: Vec<Tagged> = out.into_iter().map(|o| (index, o)).collect();
        if self.origin_shared {
            return Ok(tagged);
        }
        let Some(origin) = self.video.iter().find_map(Packager::origin_us) else {
            return Ok(tagged);
        };
        self.origin_shared = true;
        let audio_index = self.audio_index();
        for (i, packager) in self.video.iter_mut().enumerate() {
            tagged.extend(packager.set_origin(origin)?.into_iter().map(|o| (i, o)));
        }
        if let Some(audio) = self.audio.as_mut() {
            tagged.extend(
                audio
                    .set_origin(origin)?
                    .into_iter()
                    .map(|o| (audio_index, o)),
            );
        }
        Ok(tagged)
    }
}

#[cfg(test)]
mod tests;
