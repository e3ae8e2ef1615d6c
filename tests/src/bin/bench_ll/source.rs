//! The stream the feeder uploads: a source made by ffmpeg, cut by `onair-media`'s [`Segmenter`] into
//! parts and segments as the broadcaster cuts its camera.

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use onair_media::{write_init, Chunk, Limits, Segmenter, SegmenterConfig};
use onair_tests::{demux_fmp4_file, ffmpeg, fmp4_test_encode_args};
use std::path::Path;
use std::sync::Arc;

/// What the segmenter is asked for: 2 s segments of parts of at most 0.334 s.
const CONFIG: SegmenterConfig = SegmenterConfig {
    target_duration_secs: 2.0,
    part_target_secs: Some(PART_TARGET),
};
/// The part target, in seconds: `OnAir-Part-Target` on every part upload.
pub const PART_TARGET: f64 = 0.334;
/// The source: frames per second, keyframe interval in frames (2 s), bit rates.
pub const FPS: u32 = 25;
const GOP: u32 = 2 * FPS;
pub const VIDEO_KBPS: u32 = 450;
pub const AUDIO_KBPS: u32 = 48;

/// Makes the source file with ffmpeg (not timed).
pub fn make_source(dir: &Path, seconds: u64) -> Result<Vec<u8>> {
    let path = dir.join("source.mp4");
    let video = format!("testsrc2=size=640x360:rate={FPS}:duration={seconds}");
    let audio = format!("sine=frequency=440:sample_rate=48000:duration={seconds}");
    let secs = seconds.to_string();
    let mut args: Vec<String> = [
        "-f", "lavfi", "-i", &video, "-f", "lavfi", "-i", &audio, "-map", "0:v", "-map", "1:a",
        "-t", &secs,
    ]
    .map(String::from)
    .to_vec();
    args.extend(fmp4_test_encode_args(VIDEO_KBPS, GOP, AUDIO_KBPS));
    args.push(
        path.to_str()
            .context("temporary path is not UTF-8")?
            .to_owned(),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ffmpeg(&args)?;
    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
}

/// A part: its place in the stream (the order of parts is the order of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartId {
    pub msn: u64,
    pub index: u32,
}

/// One part to upload.
#[derive(Debug, Clone)]
pub struct FeedPart {
    pub id: PartId,
    /// When it is complete, in seconds from the start of the stream: its end.
    pub due_secs: f64,
    pub duration_secs: f64,
    pub data: Bytes,
}

/// The source, cut as the broadcaster cuts it.
pub struct Media {
    pub init: Bytes,
    pub parts: Arc<Vec<FeedPart>>,
    /// Every segment: `(msn, bytes)`, the bytes being its parts concatenated.
    pub segments: Vec<(u64, Bytes)>,
    pub media_bytes: u64,
    pub media_secs: f64,
}

/// Demuxes the source and runs it through the segmenter.
pub fn cut_source(source: &[u8], clock_micros: u64) -> Result<Media> {
    let limits = Limits {
        max_bytes: 1 << 30,
        max_samples: 10_000_000,
    };
    let (init, frames) = demux_fmp4_file(source, &limits).context("demuxing the source")?;
    let init_bytes = write_init(&init).context("writing the init segment")?;
    let media_bytes = frames.iter().map(|f| f.data.len() as u64).sum();
    let mut segmenter = Segmenter::new(&init, CONFIG);
    if let Some(first) = frames.iter().find(|f| f.keyframe) {
        segmenter.set_wall_clock(first.track_id, first.dts, clock_micros);
    }
    let mut chunks = Vec::new();
    for frame in frames {
        chunks.extend(
            segmenter
                .push_chunks(frame)
                .context("segmenting the source")?,
        );
    }
    chunks.extend(segmenter.finish_chunks().context("segmenting the source")?);
    let mut parts = Vec::new();
    let mut segments = Vec::new();
    let mut origin_secs = None;
    for chunk in chunks {
        match chunk {
            Chunk::Part(p) => {
                let start = *origin_secs.get_or_insert(p.start_secs);
                parts.push(FeedPart {
                    id: PartId {
                        msn: p.sequence,
                        index: p.index,
                    },
                    due_secs: p.start_secs + p.duration_secs - start,
                    duration_secs: p.duration_secs,
                    data: Bytes::from(p.data),
                });
            }
            Chunk::Segment(s) => segments.push((s.sequence, Bytes::from(s.data))),
        }
    }
    let media_secs = parts.last().map_or(0.0, |p| p.due_secs);
    if parts.is_empty() {
        bail!("the segmenter made no parts of the source");
    }
    Ok(Media {
        init: Bytes::from(init_bytes),
        parts: Arc::new(parts),
        segments,
        media_bytes,
        media_secs,
    })
}

/// Prints what the segmenter made of the source.
pub fn print_media(media: &Media) {
    let durations: Vec<f64> = media.parts.iter().map(|p| p.duration_secs).collect();
    let min = durations.iter().copied().fold(f64::INFINITY, f64::min);
    let max = durations.iter().copied().fold(0.0, f64::max);
    let mean = durations.iter().sum::<f64>() / durations.len().max(1) as f64;
    println!(
        "cut by onair-media's Segmenter: {} parts ({:.3} s mean, {:.3}..{:.3} s, PART-TARGET {PART_TARGET}) in {} segments of 2 s, {:.0} kbit/s of samples",
        media.parts.len(),
        mean,
        min,
        max,
        media.segments.len(),
        media.media_bytes as f64 * 8.0 / 1e3 / media.media_secs.max(1e-9)
    );
}
