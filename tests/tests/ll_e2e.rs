//! Low-Latency HLS end to end, as the origin issue asks: headless Chromium goes live on /go-live with the
//! fake camera (the broadcaster uploads LL-HLS parts); in a second window hls.js from npm, with
//! `lowLatencyMode: true`, plays the stream, and the server's request log shows it used blocking playlist
//! reloads and parts; our own Wasm player plays it on /watch/{id}; `onair inspect` walks the live stream
//! and reports no violation; once the stream ends, ffprobe decodes the recording.
//!
//! Figures (counts, latencies) are printed and written to `tests/artifacts/ll-e2e-figures.txt`;
//! screenshots land in `tests/artifacts/ll-*.png`.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use fantoccini::Locator;
use onair_media::MediaPlaylist;
use onair_tests::{
    artifacts_dir, ffprobe_json, hlsjs_web_dir, onair_inspect, wait_for_ok, wait_for_segments,
    web_dir, AnsweredRequest, Browser, TestServer,
};
use serde_json::{json, Value};

/// The fake camera's frame rate (see FACTS.md).
const CAMERA_FPS: f64 = 20.0;

/// How long hls.js is watched once it plays, sampling its latency once a second.
const HLSJS_SAMPLES: usize = 12;

/// What hls.js reports about low-latency playback, read from the test page's `window.hls`.
/// `pdtLatency` is wall clock minus the PROGRAM-DATE-TIME of the frame on screen (the producer's clock:
/// the broadcaster runs in the same browser, on the same machine).
const HLSJS_LL_STATE: &str = "const h = window.hls; const v = document.getElementById('video');
    const level = h.levels[h.currentLevel] || h.levels[0]; const d = level && level.details;
    const date = h.playingDate;
    return { t: v.currentTime, paused: v.paused, width: v.videoWidth, height: v.videoHeight,
             error: v.error && v.error.message, fatal: window.onair.fatal, errors: window.onair.errors,
             lowLatencyMode: h.lowLatencyMode, latency: h.latency, targetLatency: h.targetLatency,
             pdtLatency: date ? (Date.now() - date.getTime()) / 1000 : null,
             canBlockReload: !!(d && d.canBlockReload), partTarget: d ? d.partTarget : null,
             partHoldBack: d ? d.partHoldBack : null, targetDuration: d ? d.targetduration : null,
             partList: d && d.partList ? d.partList.length : 0,
             parts: window.onair.parts, segments: window.onair.segments, version: window.onair.version };";

/// What our player on /watch/{id} reports.
const PLAYER_STATE: &str = "const v = document.querySelector('#player');
    return v ? { t: v.currentTime, width: v.videoWidth, height: v.videoHeight, paused: v.paused,
                 error: v.error && v.error.message,
                 dropped: v.getVideoPlaybackQuality().droppedVideoFrames,
                 frames: v.getVideoPlaybackQuality().totalVideoFrames } : null;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hlsjs_plays_low_latency_with_blocking_reloads_and_parts() -> Result<()> {
    let server = TestServer::start_serving(web_app_with_hlsjs()?).await?;
    Browser::run("ll-failure", async |browser| run(&server, browser).await).await
}

/// The built web app with the hls.js test page (`hls.html`, `hls.min.js`) beside it, so one origin
/// serves /go-live, /watch/{id} and the hls.js page.
fn web_app_with_hlsjs() -> Result<tempfile::TempDir> {
    let dir = hlsjs_web_dir()?;
    copy_tree(&web_dir()?, dir.path())?;
    Ok(dir)
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

async fn run(server: &TestServer, browser: &Browser) -> Result<()> {
    let c = &browser.client;
    let mut figures = Vec::new();

    // 1. Go live with the fake camera.
    let started = Instant::now();
    let id = browser
        .go_live(&server.url(""), "Low-latency test stream", "ll-go-live")
        .await?;
    let live_since = Instant::now();
    let broadcaster_window = c.window().await?;
    let media_url = server.url(&format!("/live/{id}/r0/index.m3u8"));
    let first = wait_for_segments(&media_url, 2, Duration::from_secs(40)).await?;
    ensure!(
        first.part_target.is_some() && first.server_control.is_some(),
        "the broadcaster's stream is not low-latency: {first:?}"
    );
    browser.screenshot("ll-go-live-on-air").await?;
    let stats = c.find(Locator::Css("#stats")).await?.text().await?;
    println!("broadcaster stats: {stats}");

    // 2. hls.js with lowLatencyMode in a second window.
    let viewer = c.new_window(false).await?;
    c.switch_to_window(viewer.handle).await?;
    let before_hlsjs = server.requests().answered().len();
    let played = browser
        .play_with_hlsjs_config(
            &server.url("/hls.html"),
            &server.url(&format!("/live/{id}/index.m3u8")),
            &json!({ "lowLatencyMode": true }),
            4.0,
            Duration::from_secs(60),
        )
        .await?;
    println!("hls.js {} plays: {played}", played["version"]);
    let mut samples = Vec::new();
    for _ in 0..HLSJS_SAMPLES {
        // Not a wait for a condition: the samples are the measurement (latency over a 12 s window).
        tokio::time::sleep(Duration::from_secs(1)).await;
        let sample = browser.js(HLSJS_LL_STATE).await?;
        ensure!(sample["fatal"].is_null(), "hls.js fatal error: {sample}");
        samples.push(sample);
    }
    // What hls.js reported, on the page beside the video, for the screenshot.
    browser
        .js(&format!(
            "const p = document.createElement('pre'); p.textContent = {}; document.body.append(p);",
            Value::String(serde_json::to_string_pretty(
                samples.last().unwrap_or(&Value::Null)
            )?)
        ))
        .await?;
    browser.screenshot("ll-hlsjs-playing").await?;
    let hlsjs_log: Vec<AnsweredRequest> = server
        .requests()
        .answered()
        .into_iter()
        .skip(before_hlsjs)
        .collect();
    let (first_sample, last) = (&samples[0], &samples[samples.len() - 1]);
    println!("hls.js first sample: {first_sample}");
    println!("hls.js last sample:  {last}");

    // hls.js's own view: low-latency mode, a playlist with parts it can block on, parts loaded.
    ensure!(last["lowLatencyMode"] == true, "{last}");
    ensure!(last["canBlockReload"] == true, "{last}");
    ensure!(
        last["partList"].as_u64().unwrap_or(0) > 0,
        "no parts in hls.js's level details: {last}"
    );
    let (parts_then, parts_now) = (number(first_sample, "parts")?, number(last, "parts")?);
    ensure!(
        parts_now > parts_then,
        "hls.js loaded no part while it was watched: {first_sample} then {last}"
    );
    let (t_then, t_now) = (number(first_sample, "t")?, number(last, "t")?);
    ensure!(
        t_now > t_then + 0.5 * HLSJS_SAMPLES as f64,
        "hls.js's currentTime did not advance: {first_sample} then {last}"
    );
    ensure!(
        (last["width"].as_u64(), last["height"].as_u64()) == (Some(1280), Some(720)),
        "{last}"
    );
    // Latency. hls.js aims at PART-HOLD-BACK when it plays parts (three part targets, about 1 s here),
    // plus a second for each stall it recovered from; without parts it aims at HOLD-BACK, three target
    // durations (6 s), and starts that far behind the newest segment, so neither bound below can be met
    // by segment-based playback.
    let target_duration = number(last, "targetDuration")?;
    let segment_based = 3.0 * target_duration;
    let target_latency = number(last, "targetLatency")?;
    let part_hold_back = number(last, "partHoldBack")?;
    let stalls = last["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e.as_str().is_some_and(|e| e.contains("bufferStalledError")))
        .count();
    ensure!(
        target_latency < segment_based,
        "hls.js's target latency {target_latency} s is not below segment-based playback's {segment_based} s: {last}"
    );
    let latency = median(&samples, "latency")?;
    let pdt_latency = median(&samples, "pdtLatency")?;
    let best_pdt_latency = minimum(&samples, "pdtLatency")?;
    ensure!(
        best_pdt_latency < 2.0 * target_duration,
        "glass-to-glass latency never went below {best_pdt_latency:.2} s (segment-based playback: {segment_based} s or more)"
    );
    let line = format!(
        "hls.js {}: lowLatencyMode, part target {} s, PART-HOLD-BACK {part_hold_back} s; \
         hls.latency median {latency:.2} s, hls.targetLatency {target_latency:.2} s ({stalls} stalls), \
         PROGRAM-DATE-TIME latency median {pdt_latency:.2} s, best {best_pdt_latency:.2} s \
         (segment-based playback: {segment_based} s or more); {} parts and {} whole segments loaded",
        last["version"],
        last["partTarget"],
        parts_now,
        number(last, "segments")?,
    );
    println!("{line}");
    figures.push(line);

    // 3. What the origin saw from hls.js: blocking reloads and part GETs, answered.
    let r0 = format!("/live/{id}/r0/");
    let playlist_path = format!("{r0}index.m3u8");
    let blocking: Vec<&AnsweredRequest> = hlsjs_log
        .iter()
        .filter(|r| {
            r.path == playlist_path && has_directive(r, "_HLS_msn") && has_directive(r, "_HLS_part")
        })
        .collect();
    let deltas = blocking
        .iter()
        .filter(|r| has_directive(r, "_HLS_skip"))
        .count();
    let plain_reloads = hlsjs_log
        .iter()
        .filter(|r| r.path == playlist_path && r.query.is_none())
        .count();
    let parts: Vec<&AnsweredRequest> = hlsjs_log
        .iter()
        .filter(|r| r.path.strip_prefix(&r0).is_some_and(is_part_name))
        .collect();
    let segments = hlsjs_log
        .iter()
        .filter(|r| r.path.strip_prefix(&r0).is_some_and(is_segment_name))
        .count();
    let mut held: Vec<f64> = blocking.iter().map(|r| r.elapsed.as_secs_f64()).collect();
    held.sort_by(f64::total_cmp);
    let line = format!(
        "origin, from hls.js: {} blocking playlist reloads (_HLS_msn + _HLS_part; {deltas} with _HLS_skip=YES; \
         held median {:.3} s, max {:.3} s), {plain_reloads} plain playlist loads, {} part GETs, \
         {segments} segment GETs",
        blocking.len(),
        held.get(held.len() / 2).copied().unwrap_or(0.0),
        held.last().copied().unwrap_or(0.0),
        parts.len(),
    );
    println!("{line}");
    figures.push(line);
    ensure!(
        blocking.len() >= 5,
        "hls.js made {} blocking playlist requests",
        blocking.len()
    );
    ensure!(
        parts.len() >= 5,
        "hls.js made {} part requests",
        parts.len()
    );
    let failed: Vec<String> = blocking
        .iter()
        .chain(&parts)
        .filter(|r| !(200..300).contains(&r.status))
        .map(|r| {
            format!(
                "{} {}?{}",
                r.status,
                r.path,
                r.query.as_deref().unwrap_or("")
            )
        })
        .collect();
    ensure!(
        failed.is_empty(),
        "blocking reloads or parts not answered 2xx: {failed:?}"
    );

    // 4. Our own Wasm player on the watch page (in the same window: the hls.js page goes away).
    c.goto(&server.url(&format!("/watch/{id}"))).await?;
    browser
        .wait_for(
            "our player to play past 3 seconds",
            "const v = document.querySelector('#player'); return !!(v && v.currentTime > 3);",
            Duration::from_secs(60),
        )
        .await?;
    let before = browser.js(PLAYER_STATE).await?;
    let t_before = number(&before, "t")?;
    let after = browser
        .wait_for_state(
            &format!("our player's currentTime to pass {:.2} s", t_before + 1.0),
            PLAYER_STATE,
            Duration::from_secs(20),
            |s| s["t"].as_f64().is_some_and(|t| t > t_before + 1.0),
        )
        .await?;
    browser.screenshot("ll-watch-playing").await?;
    let line = format!("our player on /watch: {before} then {after}");
    println!("{line}");
    figures.push(line);
    ensure!(
        number(&after, "t")? > number(&before, "t")? + 1.0,
        "our player's currentTime did not advance: {before} then {after}"
    );
    ensure!(after["width"] == 1280 && after["height"] == 720, "{after}");
    ensure!(
        after["error"].is_null() && after["paused"] == false,
        "{after}"
    );

    // 5. The inspector walks the live stream: multivariant, media playlist, init, segments, last parts.
    let stream_url = server.url(&format!("/live/{id}/index.m3u8"));
    let (code, report) = onair_inspect(&stream_url).await?;
    let violations = report["violations"]
        .as_array()
        .context("violations in the inspect report")?;
    let line = format!(
        "onair inspect {stream_url}: exit {code}, {} errors, {} warnings, {}",
        report["errors"],
        report["warnings"],
        inspected_summary(&report),
    );
    println!("{line}");
    figures.push(line);
    // A violation fails the test, but only at the end, so that the recording is checked too.
    let inspect_failure = if !violations.is_empty() || code != 0 {
        let playlist = reqwest::get(&media_url).await?.text().await?;
        println!("the media playlist just after onair inspect:\n{playlist}");
        // What a part the inspector complained about holds, per track.
        for location in violations.iter().map(|v| &v["location"]) {
            let (Some(msn), Some(index)) = (location["msn"].as_u64(), location["part"].as_u64())
            else {
                continue;
            };
            let part_url = server.url(&format!("/live/{id}/r0/{msn}.{index}.m4s"));
            let (_, part) = onair_inspect(&part_url).await?;
            for track in part["segment"]["tracks"].as_array().into_iter().flatten() {
                println!(
                    "{msn}.{index}.m4s {}: {} samples, {} keyframes, {} s",
                    track["kind"], track["samples"], track["keyframes"], track["duration_secs"]
                );
            }
        }
        Some(format!(
            "onair inspect exited {code} with violations on the live stream: {}",
            Value::Array(violations.clone())
        ))
    } else {
        None
    };

    // 6. End the stream from the broadcaster's page; the recording plays whole.
    c.switch_to_window(broadcaster_window).await?;
    let live_for = live_since.elapsed().as_secs_f64();
    browser.end_stream_on_page("ll-go-live-ended").await?;
    let at_most = started.elapsed().as_secs_f64();
    let recording_url = server.url(&format!("/live/{id}/r0/recording.m3u8"));
    let text = wait_for_ok(&recording_url, Duration::from_secs(10)).await?;
    let recording = MediaPlaylist::parse(&text).context("parsing the recording playlist")?;
    ensure!(recording.ended && recording.media_sequence == 0, "{text}");
    let duration: f64 = recording.segments.iter().map(|s| s.duration_secs).sum();
    let probe = ffprobe_json(&[
        "-count_frames",
        "-show_streams",
        "-select_streams",
        "v",
        &server.url(&format!("/live/{id}/recording.m3u8")),
    ])?;
    let video = &probe["streams"][0];
    let frames: f64 = video["nb_read_frames"]
        .as_str()
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("ffprobe's frame count: {probe}"))?;
    let expected = duration * CAMERA_FPS;
    let line = format!(
        "recording: {} segments, {duration:.2} s (live for {live_for:.1} s by the test's clock), \
         ffprobe decoded {frames} video frames of {expected:.0} at {CAMERA_FPS} fps ({}x{})",
        recording.segments.len(),
        video["width"],
        video["height"],
    );
    println!("{line}");
    figures.push(line);
    ensure!(
        video["codec_name"] == "h264" && video["width"] == 1280 && video["height"] == 720,
        "{video}"
    );
    ensure!(
        duration > 0.5 * live_for && duration < at_most,
        "the recording lasts {duration:.2} s of {live_for:.1} s live"
    );
    ensure!(
        frames >= 0.75 * expected && frames <= expected * 1.05 + 1.0,
        "{frames} frames in {duration:.2} s of recording"
    );

    std::fs::write(
        artifacts_dir().join("ll-e2e-figures.txt"),
        format!("ll_e2e\n  {}\n", figures.join("\n  ")),
    )?;
    if let Some(failure) = inspect_failure {
        bail!(failure);
    }
    Ok(())
}

/// Whether the request's query carries `name` (`name=...`).
fn has_directive(request: &AnsweredRequest, name: &str) -> bool {
    request.query.as_deref().is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.split('=').next() == Some(name))
    })
}

/// `{msn}.{index}.m4s`, a part's name.
fn is_part_name(name: &str) -> bool {
    name.strip_suffix(".m4s")
        .and_then(|stem| stem.split_once('.'))
        .is_some_and(|(msn, index)| all_digits(msn) && all_digits(index))
}

/// `{msn}.m4s`, a segment's name.
fn is_segment_name(name: &str) -> bool {
    name.strip_suffix(".m4s").is_some_and(all_digits)
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn number(value: &Value, key: &str) -> Result<f64> {
    value[key]
        .as_f64()
        .with_context(|| format!("no number {key} in {value}"))
}

/// The median of `key` over the samples.
fn median(samples: &[Value], key: &str) -> Result<f64> {
    let values = sorted(samples, key)?;
    values.get(values.len() / 2).copied().context("no samples")
}

/// The smallest `key` over the samples.
fn minimum(samples: &[Value], key: &str) -> Result<f64> {
    sorted(samples, key)?.first().copied().context("no samples")
}

/// `key` of every sample, in increasing order.
fn sorted(samples: &[Value], key: &str) -> Result<Vec<f64>> {
    let mut values = samples
        .iter()
        .map(|s| number(s, key))
        .collect::<Result<Vec<f64>>>()?;
    values.sort_by(f64::total_cmp);
    Ok(values)
}

/// How much of the stream the inspector fetched and measured.
fn inspected_summary(report: &Value) -> String {
    let playlists = report["media_playlists"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let measured = |rows: &Value| {
        rows.as_array()
            .into_iter()
            .flatten()
            .filter(|row| row["media"].is_object())
            .count()
    };
    let (mut segments, mut parts) = (0, 0);
    for playlist in &playlists {
        segments += measured(&playlist["segments"]);
        for segment in playlist["segments"].as_array().into_iter().flatten() {
            parts += measured(&segment["parts"]);
        }
        parts += measured(&playlist["trailing_parts"]);
    }
    format!(
        "{} media playlists, {segments} segments and {parts} parts measured",
        playlists.len()
    )
}
