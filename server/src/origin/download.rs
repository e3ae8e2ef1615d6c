//! A recording as one MP4 file (`GET /live/{id}/recording.mp4`): the init segment of the rendition a
//! person would want (of those that hold about the whole stream, the one with video and audio and the
//! most bits per second, else the one with video, else any), then its segments in order. CMAF is fragmented MP4, so that concatenation is
//! itself an MP4 file that players, editors and ffprobe read whole; nothing is remuxed and the file is
//! streamed from disk, segment by segment, however long the recording.
//!
//! A stream whose audio is a rendition of its own (a ladder pushed with separate audio) downloads its
//! best video rendition alone: putting the two in one file would need their fragments interleaved.

use bytes::Bytes;

use super::Origin;
use crate::error::{AppError, AppResult};
use crate::names::{RenditionName, StreamId};
use crate::store::StreamStatus;

/// How much shorter than the longest rendition the downloaded one may be, seconds.
const MAX_SHORTER_SECS: f64 = 4.0;

/// What a download sends: the init segment, then the segments `msns` of `rendition`, `bytes` in all.
#[derive(Debug, Clone)]
pub struct Download {
    /// The rendition downloaded.
    pub rendition: RenditionName,
    /// Its init segment.
    pub init: Bytes,
    /// Its segments, in order.
    pub msns: Vec<u64>,
    /// The file's size.
    pub bytes: u64,
    /// The stream's title, for the file name.
    pub title: String,
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
        let segments = rendition.segments();
        Ok(Download {
            rendition: name.clone(),
            init: init.bytes.clone(),
            msns: segments.iter().map(|s| s.msn).collect(),
            bytes: init.bytes.len() as u64 + segments.iter().map(|s| s.bytes).sum::<u64>(),
            title: state.record.title.clone(),
        })
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
