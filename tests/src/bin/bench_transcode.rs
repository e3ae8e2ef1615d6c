//! `bench-transcode`: what the origin's transcoder costs on this machine, next to ffmpeg doing the same
//! transcode alone.
//!
//! ```sh
//! cargo run --release -p onair-tests --bin bench-transcode [-- --seconds 30]
//! ```
//!
//! It makes a 1280x720 25 fps H.264 input and AAC (libx264 `veryfast`, 2 Mbit/s, a keyframe every 2 s)
//! as ffmpeg's fMP4 HLS files, once with 2 B-frames and once without, then for each:
//!
//! - **ffmpeg alone** (the baseline): the origin's own ffmpeg command (`transcode::command`) reading the
//!   whole input from a file as fast as it can, for each rung alone and for the ladder, with
//!   `-benchmark` (user + system CPU, wall time);
//! - **the origin's transcoder**: a real server with transcoding on; the input's files are PUT to
//!   `/ingest/{key}/` at their real-time pace, as an encoder pushes them; the transcoder's ffmpeg's CPU
//!   is read from `/proc`, and each segment's appearance in the source's and in each rung's live
//!   playlist is timed from outside, as a viewer polling every 20 ms would see it.
//!
//! It prints CPU per second of media, the real-time factor (media seconds per wall second, and per CPU
//! second), each figure beside the baseline's as a ratio, and the added latency per rung (a rung segment
//! listed after the source's segment of the same msn). It asserts nothing and is not part of
//! `scripts/test.sh`.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use onair_media::ladder::lower_rungs;
use onair_server::transcode::command::ffmpeg_args;
use onair_tests::{create_stream, ffmpeg, hlsjs_web_dir, pids_with_argument, TestServer};

const HEIGHTS: [u16; 2] = [480, 240];
const FPS: f64 = 25.0;
/// The input's video timescale (ffmpeg's HLS muxer at 25 fps).
const TIMESCALE: u32 = 12_800;

struct Cpu {
    cpu_secs: f64,
    wall_secs: f64,
}

/// The origin's command on the whole input file, with `-benchmark`.
fn ffmpeg_alone(input: &Path, heights: &[u16]) -> Result<Cpu> {
    let rungs = lower_rungs(1280, 720, FPS, heights);
    let mut args = ffmpeg_args(&rungs, TIMESCALE, "bench");
    let at = args
        .iter()
        .position(|a| a == "pipe:0")
        .context("no input argument")?;
    args[at] = input.to_string_lossy().into_owned();
    let loglevel = args
        .iter()
        .position(|a| a == "-loglevel")
        .context("no loglevel")?;
    args[loglevel + 1] = "info".into();
    let out = args.len() - 1;
    args[out] = "/dev/null".into();
    args.insert(0, "-benchmark".into());
    args.insert(0, "-y".into());
    let output = Command::new("ffmpeg").args(&args).output()?;
    let log = String::from_utf8_lossy(&output.stderr);
    let line = log
        .lines()
        .find(|l| l.starts_with("bench: utime="))
        .with_context(|| format!("no bench line: {log}"))?;
    let value = |key: &str| -> Result<f64> {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .and_then(|v| v.trim_end_matches('s').parse().ok())
            .with_context(|| format!("{key} in {line}"))
    };
    Ok(Cpu {
        cpu_secs: value("utime=")? + value("stime=")?,
        wall_secs: value("rtime=")?,
    })
}

/// User + system CPU seconds of a process so far, from `/proc/PID/stat`.
fn process_cpu(pid: u32, ticks_per_sec: f64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / ticks_per_sec)
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let at = ((values.len() as f64 - 1.0) * p).round() as usize;
    values.get(at).copied().unwrap_or(f64::NAN)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u32 = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    for b_frames in [2, 0] {
        run(seconds, b_frames).await?;
        println!();
    }
    Ok(())
}

/// One input (with `b_frames` B-frames), the baseline and the origin's transcoder on it.
async fn run(seconds: u32, b_frames: u32) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hls = dir.path().join("index.m3u8");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=1280x720:rate=25",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        &seconds.to_string(),
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-b:v",
        "2000k",
        "-maxrate",
        "2000k",
        "-bufsize",
        "2000k",
        "-bf",
        "2",
        "-pix_fmt",
        "yuv420p",
        "-g",
        "50",
        "-keyint_min",
        "50",
        "-sc_threshold",
        "0",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        "-ac",
        "2",
        "-f",
        "hls",
        "-hls_segment_type",
        "fmp4",
        "-hls_time",
        "2",
        "-hls_playlist_type",
        "vod",
        &hls.to_string_lossy(),
    ])?;
    let mut segments = Vec::new();
    while dir
        .path()
        .join(format!("index{}.m4s", segments.len()))
        .is_file()
    {
        segments.push(std::fs::read(
            dir.path().join(format!("index{}.m4s", segments.len())),
        )?);
    }
    let init = std::fs::read(dir.path().join("init.mp4"))?;
    let whole = dir.path().join("whole.mp4");
    std::fs::write(&whole, [init.clone(), segments.concat()].concat())?;
    let media_secs = f64::from(seconds);
    println!(
        "bench-transcode: {seconds} s of 1280x720 {FPS} fps H.264 ({b_frames} B-frames, 2 Mbit/s) + AAC, \
         {} segments; rungs {HEIGHTS:?} (libx264 veryfast zerolatency)",
        segments.len()
    );

    // The baseline: ffmpeg alone, as fast as it goes.
    let mut alone = Vec::new();
    for heights in [&HEIGHTS[..1], &HEIGHTS[1..], &HEIGHTS[..]] {
        let cpu = ffmpeg_alone(&whole, heights)?;
        alone.push((format!("{heights:?}"), cpu));
    }

    // The origin's transcoder, fed at the input's pace.
    let web = hlsjs_web_dir()?;
    let server = TestServer::start_transcoding(web.path().to_path_buf(), &HEIGHTS).await?;
    let stream = create_stream(&server, "bench").await?;
    let ingest = server.ingest_url(&stream);
    let http = reqwest::Client::new();
    let put = |name: String, body: Vec<u8>| {
        let request = http.put(format!("{ingest}/{name}")).body(body).send();
        async move {
            let response = request.await?;
            if !response.status().is_success() {
                bail!("PUT {name}: {}", response.status());
            }
            Ok(())
        }
    };
    let ticks: f64 = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0);
    let label = onair_server::transcode::process_label(
        &onair_server::names::StreamId::parse(&stream.id).map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    let renditions = ["r0", "auto-480p", "auto-240p"];
    let base = server.url(&format!("/live/{}", stream.id));
    let listed: std::sync::Arc<std::sync::Mutex<HashMap<(usize, u64), Instant>>> =
        Default::default();
    let watcher = {
        let listed = std::sync::Arc::clone(&listed);
        let base = base.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            loop {
                for (i, r) in renditions.iter().enumerate() {
                    let Ok(response) = http.get(format!("{base}/{r}/index.m3u8")).send().await
                    else {
                        continue;
                    };
                    let Ok(text) = response.text().await else {
                        continue;
                    };
                    let Ok(playlist) = onair_media::MediaPlaylist::parse(&text) else {
                        continue;
                    };
                    let now = Instant::now();
                    let mut listed = listed.lock().unwrap_or_else(|e| e.into_inner());
                    for n in 0..playlist.segments.len() as u64 {
                        listed
                            .entry((i, playlist.media_sequence + n))
                            .or_insert(now);
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    put("init.mp4".into(), init).await?;
    let started = Instant::now();
    let mut cpu = 0.0;
    let mut pid = None;
    for (n, segment) in segments.iter().enumerate() {
        // Each segment goes out once it has been "recorded": 2 s after the one before.
        let due = started + Duration::from_secs(2 * n as u64 + 2);
        tokio::time::sleep_until(due.into()).await;
        put(format!("index{n}.m4s"), segment.clone()).await?;
        if pid.is_none() {
            pid = pids_with_argument(&label).first().copied();
        }
        if let Some(p) = pid {
            cpu = process_cpu(p, ticks).unwrap_or(cpu);
        }
    }
    // Until the rungs hold the last segment (the transcoder flushes once the source is quiet).
    let last = segments.len() as u64 - 1;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(p) = pid {
            cpu = process_cpu(p, ticks).unwrap_or(cpu);
        }
        let done = {
            let listed = listed.lock().unwrap_or_else(|e| e.into_inner());
            (1..renditions.len()).all(|i| listed.contains_key(&(i, last)))
        };
        if done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    watcher.abort();

    println!();
    println!("| | CPU s | CPU s per media s | wall s | real-time factor (media s / wall s) |");
    println!("|---|---|---|---|---|");
    for (heights, c) in &alone {
        println!(
            "| ffmpeg alone, rungs {heights} | {:.2} | {:.3} | {:.2} | {:.1}x |",
            c.cpu_secs,
            c.cpu_secs / media_secs,
            c.wall_secs,
            media_secs / c.wall_secs
        );
    }
    let baseline = &alone[2].1;
    println!(
        "| origin's transcoder, rungs {HEIGHTS:?}, fed live | {cpu:.2} | {:.3} | live | 1x (as fed); {:.1}x of one core |",
        cpu / media_secs,
        media_secs / cpu.max(1e-9)
    );
    println!();
    println!(
        "CPU of the origin's transcoder / ffmpeg alone on the same ladder: {:.2} \
         (the difference: live pacing, a fragment a frame on a pipe)",
        cpu / baseline.cpu_secs.max(1e-9)
    );
    println!(
        "CPU per rung, ffmpeg alone: 480p {:.3}, 240p {:.3} CPU s per media s; both {:.3} \
         (a 2-core machine carries about {:.0} such ladders)",
        alone[0].1.cpu_secs / media_secs,
        alone[1].1.cpu_secs / media_secs,
        baseline.cpu_secs / media_secs,
        2.0 / (cpu / media_secs).max(1e-9)
    );
    let listed = listed.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for (i, name) in renditions.iter().enumerate().skip(1) {
        let mut added: Vec<f64> = (0..=last)
            .filter_map(|msn| {
                let source = listed.get(&(0, msn))?;
                let rung = listed.get(&(i, msn))?;
                Some(rung.saturating_duration_since(*source).as_secs_f64())
            })
            .collect();
        let count = added.len();
        let p50 = percentile(&mut added, 0.5);
        let max = percentile(&mut added, 1.0);
        println!(
            "added latency of {name} (listed after the source's segment): p50 {p50:.2} s, max {max:.2} s \
             over {count} segments; p50 / segment duration (2 s) {:.2}",
            p50 / 2.0
        );
    }
    Ok(())
}
