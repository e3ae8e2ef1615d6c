//! A property test of the TS transmuxer against ffmpeg and ffprobe: for any H.264/AAC MPEG-TS that
//! ffmpeg writes (picture size, frame rate, GOP, B-frames, audio rate and channels, length, one file or
//! HLS segments, timestamps from 0 or across the 33-bit wrap), our transmux into CMAF (the player's path
//! for TS streams) is a file in which ffprobe sees the same packets as in the TS: per stream the same
//! count, the same keyframes and the same PTS and DTS (to the tick of the coarser clock; modulo 2^33 at 90
//! kHz, since ffprobe wraps TS times and ours grow across the wrap).

use std::path::Path;

use anyhow::{ensure, Context, Result};
use onair_media::ts::{CmafChunk, TsTransmuxer};
use onair_tests::{ffmpeg, ffprobe_json};
use proptest::prelude::*;

/// One packet as ffprobe reports it, times in seconds.
#[derive(Debug, Clone, Copy)]
struct Packet {
    pts: f64,
    dts: f64,
    key: bool,
}

/// ffprobe's packets of `path`, video then audio.
fn probe(path: &Path) -> Result<(Vec<Packet>, Vec<Packet>)> {
    let json = ffprobe_json(&[
        "-show_packets",
        "-show_entries",
        "packet=codec_type,pts_time,dts_time,flags",
        path.to_str().context("path")?,
    ])?;
    let (mut video, mut audio) = (Vec::new(), Vec::new());
    for p in json["packets"].as_array().context("no packets")? {
        let time = |k: &str| -> Result<f64> {
            p[k].as_str()
                .and_then(|s| s.parse().ok())
                .with_context(|| format!("{k} in {p}"))
        };
        let packet = Packet {
            pts: time("pts_time")?,
            dts: time("dts_time")?,
            key: p["flags"].as_str().is_some_and(|f| f.starts_with('K')),
        };
        match p["codec_type"].as_str() {
            Some("video") => video.push(packet),
            Some("audio") => audio.push(packet),
            _ => {}
        }
    }
    Ok((video, audio))
}

/// The shapes of stream drawn for each case.
#[derive(Debug, Clone)]
struct Shape {
    width: u32,
    height: u32,
    fps: u32,
    gop: u32,
    b_frames: u32,
    sample_rate: u32,
    channels: u32,
    tenths: u32,
    segmented: bool,
    near_wrap: bool,
}

prop_compose! {
    fn shapes()(
        width in prop::sample::select(vec![64u32, 160, 320]),
        height in prop::sample::select(vec![48u32, 90, 180]),
        fps in prop::sample::select(vec![24u32, 25, 30, 50]),
        gop in 1u32..40,
        b_frames in 0u32..4,
        sample_rate in prop::sample::select(vec![22_050u32, 44_100, 48_000]),
        channels in 1u32..3,
        tenths in 10u32..30,
        segmented in any::<bool>(),
        near_wrap in any::<bool>(),
    ) -> Shape {
        Shape { width, height, fps, gop, b_frames, sample_rate, channels, tenths, segmented, near_wrap }
    }
}

/// ffmpeg writes the TS of `shape` into `dir`: the segment files, in order.
fn write_ts(dir: &Path, shape: &Shape) -> Result<Vec<std::path::PathBuf>> {
    let video = format!(
        "testsrc2=size={}x{}:rate={}",
        shape.width, shape.height, shape.fps
    );
    let audio = format!("sine=frequency=440:sample_rate={}", shape.sample_rate);
    let secs = format!("{:.1}", f64::from(shape.tenths) / 10.0);
    let (gop, bf, channels) = (
        shape.gop.to_string(),
        shape.b_frames.to_string(),
        shape.channels.to_string(),
    );
    let mut args: Vec<&str> = vec![
        "-f",
        "lavfi",
        "-i",
        &video,
        "-f",
        "lavfi",
        "-i",
        &audio,
        "-t",
        &secs,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        &gop,
        "-bf",
        &bf,
        "-c:a",
        "aac",
        "-b:a",
        "32k",
        "-ac",
        &channels,
    ];
    // A fixed B-frame pattern, so the B-frames asked for are there.
    if shape.b_frames > 0 {
        args.extend(["-x264-params", "b-adapt=0"]);
    }
    if shape.near_wrap {
        // 2^33 / 90 kHz = 95443.7 s: the stream crosses the wrap about half a second in.
        args.extend(["-output_ts_offset", "95443.2"]);
    }
    let playlist = dir.join("index.m3u8");
    let single = dir.join("all.ts");
    if shape.segmented {
        args.extend(["-f", "hls", "-hls_time", "1", "-hls_list_size", "0"]);
        args.push(playlist.to_str().context("path")?);
    } else {
        args.extend(["-f", "mpegts"]);
        args.push(single.to_str().context("path")?);
    }
    ffmpeg(&args)?;
    if !shape.segmented {
        return Ok(vec![single]);
    }
    let text = std::fs::read_to_string(&playlist)?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| dir.join(l))
        .collect())
}

/// Our transmux of `segments` into one fragmented MP4 file (the init, then every fragment).
fn transmux(segments: &[std::path::PathBuf], out: &Path) -> Result<()> {
    let mut t = TsTransmuxer::new();
    let mut file = Vec::new();
    let mut inits = 0;
    for path in segments {
        let result = t
            .push_segment(&std::fs::read(path)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        ensure!(result.warnings.is_empty(), "{:?}", result.warnings);
        for chunk in result.chunks {
            match chunk {
                CmafChunk::Init { bytes, .. } => {
                    inits += 1;
                    file.extend_from_slice(&bytes);
                }
                CmafChunk::Fragment { bytes, .. } => file.extend_from_slice(&bytes),
            }
        }
    }
    ensure!(inits == 1, "one init segment, not {inits}");
    std::fs::write(out, file)?;
    Ok(())
}

/// The same packets: count, keyframes, and times within `tolerance` seconds modulo the TS wrap.
fn compare(what: &str, ours: &[Packet], theirs: &[Packet], tolerance: f64) -> Result<()> {
    ensure!(
        ours.len() == theirs.len(),
        "{what}: {} packets in ours, {} in the TS",
        ours.len(),
        theirs.len()
    );
    let wrap = (1u64 << 33) as f64 / 90_000.0;
    let near = |a: f64, b: f64| {
        let d = (a - b).rem_euclid(wrap);
        d.min(wrap - d) <= tolerance
    };
    for (i, (o, t)) in ours.iter().zip(theirs).enumerate() {
        ensure!(
            o.key == t.key && near(o.pts, t.pts) && near(o.dts, t.dts),
            "{what} packet {i}: ours {o:?}, the TS's {t:?}"
        );
    }
    Ok(())
}

fn check(shape: &Shape) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let segments = write_ts(dir.path(), shape)?;
    let out = dir.path().join("ours.mp4");
    transmux(&segments, &out)?;
    let (mut ts_video, mut ts_audio) = (Vec::new(), Vec::new());
    for s in &segments {
        let (v, a) = probe(s)?;
        ts_video.extend(v);
        ts_audio.extend(a);
    }
    let (video, audio) = probe(&out)?;
    ensure!(!ts_video.is_empty() && !ts_audio.is_empty(), "{shape:?}");
    // Video in 90 kHz both sides; audio in samples in ours.
    compare("video", &video, &ts_video, 1.5 / 90_000.0)?;
    compare(
        "audio",
        &audio,
        &ts_audio,
        1.5 / 90_000.0 + 1.0 / f64::from(shape.sample_rate),
    )?;
    Ok(())
}

proptest! {
    // Each case runs ffmpeg and three ffprobes: a dozen shapes keep it to seconds.
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn ffprobe_sees_the_packets_of_any_ffmpeg_ts_in_our_transmux(shape in shapes()) {
        if let Err(e) = check(&shape) {
            prop_assert!(false, "{shape:?}: {e:#}");
        }
    }
}
