//! Facts measured from parsed media for the playlists: the video frame rate, the producer's wall clock
//! of a segment's first sample (`prft`), and a short account of an init segment's tracks for errors.

use std::time::{Duration, SystemTime};

use onair_media::{InitSegment, MediaSegment};

/// Sample durations of the video track of a segment (none without video).
pub(super) fn video_durations(init: &InitSegment, segment: &MediaSegment) -> Vec<u32> {
    init.video()
        .and_then(|video| segment.track(video.id))
        .map(|t| t.samples.iter().map(|s| s.duration).collect())
        .unwrap_or_default()
}

/// The video frame rate from sample `durations`: the video track's timescale over the median sample
/// duration, rounded to three decimals as `FRAME-RATE` is. The median ignores the odd longer or shorter
/// frame of a capture clock; `None` without a video track or samples.
pub(super) fn frame_rate(init: &InitSegment, durations: &[u32]) -> Option<f64> {
    let video = init.video()?;
    let mut durations: Vec<u32> = durations.iter().copied().filter(|&d| d > 0).collect();
    if durations.is_empty() {
        return None;
    }
    durations.sort_unstable();
    let median = *durations.get(durations.len() / 2)?;
    let rate = f64::from(video.timescale) / f64::from(median);
    Some((rate * 1000.0).round() / 1000.0)
}

/// When the first sample of a segment was captured, from its `prft` for the video track (else any
/// track): the producer's wall clock at the `prft`'s media time, moved to the track's base decode time.
pub(super) fn producer_time(init: &InitSegment, segment: &MediaSegment) -> Option<SystemTime> {
    let prft = init
        .video()
        .and_then(|v| segment.producer_times.iter().find(|p| p.track_id == v.id))
        .or_else(|| segment.producer_times.first())?;
    let track = init.track(prft.track_id)?;
    let base = segment.track(prft.track_id)?.base_decode_time;
    let timescale = f64::from(track.timescale);
    if timescale <= 0.0 {
        return None;
    }
    let offset_secs = (prft.media_time as f64 - base as f64) / timescale;
    let at = SystemTime::UNIX_EPOCH + Duration::from_micros(prft.unix_micros());
    if offset_secs >= 0.0 {
        at.checked_sub(Duration::try_from_secs_f64(offset_secs).ok()?)
    } else {
        at.checked_add(Duration::try_from_secs_f64(-offset_secs).ok()?)
    }
}

/// A short account of an init segment's tracks for error messages, e.g. `avc1.64001f 640x360, mp4a.40.2`.
pub(super) fn describe(init: &InitSegment) -> String {
    init.tracks
        .iter()
        .map(|t| match t.params {
            onair_media::MediaParams::Video { width, height } => {
                format!("{} {width}x{height}", t.codec_string())
            }
            onair_media::MediaParams::Audio { .. } => t.codec_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
