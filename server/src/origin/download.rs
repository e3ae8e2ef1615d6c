//! A recording as one MP4 file (`GET /live/{id}/recording.mp4`), from the rendition a person would want
//! (of those that hold about the whole stream, the one with video and audio and the most bits per
//! second, else the one with video, else any):
//!
//! - **as stored** when that rendition holds video and audio in one period: CMAF is fragmented MP4, so
//!   its init segment followed by its segments is itself an MP4 file that players, editors and ffprobe
//!   read whole; nothing is remuxed, the length is known, and the file is streamed from disk;
//! - **joined** ([`onair_media::Joiner`]) when its audio is a rendition of its own (a ladder pushed with
//!   an audio group: the file gets both, fragments interleaved by time) or when the stream has several
//!   periods (an encoder restarted with its clock at zero: the periods are laid end to end, so time
//!   never goes back in the file). The joined file is streamed as it is made, without a length.

use bytes::Bytes;

use onair_media::InitSegment;

use super::Origin;
use crate::error::{AppError, AppResult};
use crate::live::SegmentInfo;
use crate::names::{RenditionName, StreamId};
use crate::store::StreamStatus;

/// How much shorter than the longest rendition the downloaded one may be, seconds.
const MAX_SHORTER_SECS: f64 = 4.0;

/// What a download sends, and what it is named after.
#[derive(Debug, Clone)]
pub struct Download {
    /// The stream's title, for the file name.
    pub title: String,
    /// The file's contents.
    pub body: DownloadBody,
}

/// How the file is made.
#[derive(Debug, Clone)]
pub enum DownloadBody {
    /// One rendition's files as stored: `init`, then the segments `msns`, `bytes` in all.
    AsStored {
        /// The rendition.
        rendition: RenditionName,
        /// Its init segment.
        init: Bytes,
        /// Its segments, in order.
        msns: Vec<u64>,
        /// The file's size.
        bytes: u64,
    },
    /// Renditions joined into one file.
    Joined {
        /// The renditions, in the joined file's track order.
        renditions: Vec<RenditionName>,
        /// Their init segments.
        inits: Vec<InitSegment>,
        /// The segments in the order they play: `(index into renditions, msn, period)`.
        order: Vec<(usize, u64, u32)>,
    },
}

/// The segments of renditions in the order they play: by period, then by their time in it (the sum of
/// the durations before them since the period began), then by rendition. A segment marked
/// discontinuous starts the rendition's next period.
pub fn play_order(renditions: &[&[SegmentInfo]]) -> Vec<(usize, u64, u32)> {
    let mut order = Vec::new();
    for (source, segments) in renditions.iter().enumerate() {
        let (mut period, mut at) = (0_u32, 0.0_f64);
        for (i, segment) in segments.iter().enumerate() {
            if segment.discontinuity && i > 0 {
                period += 1;
                at = 0.0;
            }
            order.push((period, at, source, segment.msn));
            at += segment.duration_secs;
        }
    }
    order.sort_by(|a, b| {
        (a.0, a.1, a.2)
            .partial_cmp(&(b.0, b.1, b.2))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    order
        .into_iter()
        .map(|(period, _, source, msn)| (source, msn, period))
        .collect()
}

impl Origin {
    /// What `recording.mp4` of an ended stream holds: 404 while it is live or when it has no media.
    pub fn download(&self, id: &StreamId) -> AppResult<Download> {
        let stream = self.stream(id)?;
        let state = stream.read();
        if state.record.status != StreamStatus::Ended {
            return Err(AppError::not_found(format!(
                "recording of stream {id} (the stream has not ended)"
            )));
        }
        // Each rendition with media: (has video and audio, has video, seconds, bytes a second).
        let candidates: Vec<_> = state
            .renditions
            .iter()
            .filter_map(|(name, rendition)| {
                let init = rendition.init()?;
                let segments = rendition.segments();
                if segments.is_empty() {
                    return None;
                }
                let secs: f64 = segments.iter().map(|s| s.duration_secs).sum();
                let bytes: u64 = segments.iter().map(|s| s.bytes).sum();
                let has_video = init.parsed.video().is_some();
                let has_audio = init.parsed.audio().is_some();
                let rate = if secs > 0.0 { bytes as f64 / secs } else { 0.0 };
                Some((
                    (has_video && has_audio, has_video, secs, rate),
                    name,
                    rendition,
                    init,
                ))
            })
            .collect();
        // The whole stream first (a ladder's top rung may have started late or paused when the
        // broadcaster's machine or uplink could not keep it), then the best picture of those.
        let longest = candidates.iter().map(|c| c.0 .2).fold(0.0_f64, f64::max);
        let best = candidates
            .into_iter()
            .filter(|c| c.0 .2 >= longest - MAX_SHORTER_SECS)
            .max_by(|a, b| {
                let key = |c: &(bool, bool, f64, f64)| (c.0, c.1, c.3);
                key(&a.0)
                    .partial_cmp(&key(&b.0))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        let Some((_, name, rendition, init)) = best else {
            return Err(AppError::not_found(format!(
                "recording of stream {id} (no media)"
            )));
        };
        let title = state.record.title.clone();
        let segments = rendition.segments();
        // Separate audio to join: the longest audio-only rendition, when the chosen one has none.
        let audio = (init.parsed.audio().is_none())
            .then(|| {
                state
                    .renditions
                    .iter()
                    .filter(|(_, r)| {
                        r.init().is_some_and(|i| i.parsed.video().is_none())
                            && !r.segments().is_empty()
                    })
                    .max_by(|a, b| {
                        let secs = |r: &crate::live::Rendition| {
                            r.segments().iter().map(|s| s.duration_secs).sum::<f64>()
                        };
                        secs(a.1)
                            .partial_cmp(&secs(b.1))
                            .unwrap_or(std::cmp::Ordering::Equal)
                    })
            })
            .flatten();
        let periods = segments.iter().skip(1).any(|s| s.discontinuity);
        let body = match audio {
            None if !periods => DownloadBody::AsStored {
                rendition: name.clone(),
                init: init.bytes.clone(),
                msns: segments.iter().map(|s| s.msn).collect(),
                bytes: init.bytes.len() as u64 + segments.iter().map(|s| s.bytes).sum::<u64>(),
            },
            _ => {
                let mut renditions = vec![(name, rendition, init)];
                if let Some((audio_name, audio)) = audio {
                    if let Some(audio_init) = audio.init() {
                        renditions.push((audio_name, audio, audio_init));
                    }
                }
                let lists: Vec<&[SegmentInfo]> =
                    renditions.iter().map(|(_, r, _)| r.segments()).collect();
                DownloadBody::Joined {
                    order: play_order(&lists),
                    renditions: renditions.iter().map(|(n, _, _)| (*n).clone()).collect(),
                    inits: renditions
                        .iter()
                        .map(|(_, _, i)| i.parsed.clone())
                        .collect(),
                }
            }
        };
        Ok(Download { title, body })
    }

    /// One segment of a download, from disk (a download does not push live viewers' segments out of
    /// memory).
    pub async fn download_segment(
        &self,
        id: &StreamId,
        rendition: &RenditionName,
        msn: u64,
    ) -> AppResult<Bytes> {
        self.files
            .read_segment(id, rendition, msn)
            .await?
            .ok_or_else(|| AppError::not_found(format!("segment {msn} of rendition {rendition}")))
    }
}

/// A file name for a download: the title's letters and digits (others as `-`), then the id.
pub fn file_name(title: &str, id: &StreamId) -> String {
    let mut name: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    let name = name.trim_matches('-');
    let name: String = name.chars().take(60).collect();
    if name.is_empty() {
        format!("{id}.mp4")
    } else {
        format!("{name}-{id}.mp4")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(msn: u64, secs: f64, discontinuity: bool) -> SegmentInfo {
        SegmentInfo {
            msn,
            duration_secs: secs,
            bytes: 1,
            received_at: std::time::SystemTime::UNIX_EPOCH,
            discontinuity,
            digest: 0,
            frame_rate: None,
            producer_time: None,
            parts: Vec::new(),
        }
    }

    #[test]
    fn segments_play_by_period_then_time() {
        let video = [
            segment(0, 2.0, false),
            segment(1, 2.0, false),
            segment(2, 2.0, true),
        ];
        // The audio's segments are cut elsewhere (1.5 s), and its first is marked: it starts the stream.
        let audio = [
            segment(0, 1.5, true),
            segment(1, 1.5, false),
            segment(2, 1.5, false),
            segment(3, 1.5, true),
        ];
        assert_eq!(
            play_order(&[&video, &audio]),
            [
                (0, 0, 0),
                (1, 0, 0),
                (1, 1, 0),
                (0, 1, 0),
                (1, 2, 0),
                (0, 2, 1),
                (1, 3, 1),
            ]
        );
    }

    #[test]
    fn file_names() {
        let id = StreamId::parse("abcdefghij").unwrap();
        assert_eq!(
            file_name("Jazz night: 2nd set!", &id),
            "jazz-night-2nd-set-abcdefghij.mp4"
        );
        assert_eq!(file_name("日本", &id), "abcdefghij.mp4");
        assert_eq!(file_name("\"quote\"\r\n", &id), "quote-abcdefghij.mp4");
    }
}
