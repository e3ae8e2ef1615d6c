//! Seeking with our player (the JS API on a page of another origin), in Chromium and Firefox ESR:
//! - a 60 s VOD (ffmpeg's TS, 2 s segments): a seek to 50 s, past what is buffered (30 s ahead), loads
//!   from there, not the segments between (read from the page's Resource Timing), and plays on; a seek
//!   back to 10 s plays from the buffer;
//! - a live `EVENT` stream (ffmpeg `-re`, every segment kept): a seek 10 s back is DVR (the player does
//!   not catch up or jump back to live while the viewer watches there), and `seekToLive()` returns.
//!
//! Screenshots `player-seek-{chromium,firefox}-*.png` in tests/artifacts/.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use onair_tests::ffmpeg::TEST_SOURCE as SOURCE;
use onair_tests::{ffmpeg, Browser, NginxCache, TestServer};
use serde_json::Value;
/// H.264 with B-frames and a keyframe every second, AAC.
const ENCODE: [&str; 10] = [
    "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-c:a", "aac", "-b:a", "64k",
];

/// A page of the site: our player by its JS API on `#video`, playing `?src=`.
fn api_page(origin: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Seeking</title>
<script src="{origin}/player/onair-player.js"></script></head>
<body><video id="video" muted autoplay playsinline style="width:640px"></video>
<script>
window.errors = [];
window.player = new OnAirPlayer(document.querySelector('#video'));
window.player.on('error', (n, d) => window.errors.push(d));
window.player.loadSource(new URLSearchParams(location.search).get('src'));
</script></body></html>"#
    )
}

/// A page of the site with the one-snippet widget playing `src`.
fn widget_page(origin: &str, src: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>DVR</title></head>
<body style="max-width:640px"><script src="{origin}/player/onair-player.js" data-src="{src}"></script></body></html>"#
    )
}

/// The widget's seek bar and time label, and its video.
const WIDGET_STATE: &str = "const root = document.querySelector('.onair-player');
    const s = root && root.querySelector('.onair-seek');
    const v = root && root.querySelector('video');
    return { bar: !!s && !s.hidden, min: s ? +s.min : null, max: s ? +s.max : null, value: s ? +s.value : null,
             label: root ? (root.querySelector('.onair-time') || {}).textContent : null,
             t: v ? v.currentTime : 0, paused: v ? v.paused : true, seeking: v ? v.seeking : false,
             error: v && v.error && v.error.message };";

/// The video's time and state, the player's latency, fatal errors, and the TS segments the page
/// asked for (their numbers, from Resource Timing).
const STATE: &str = "const v = document.querySelector('#video');
    const segments = performance.getEntriesByType('resource')
        .map(e => (e.name.match(/index(\\d+)\\.ts/) || [])[1]).filter(n => n !== undefined).map(Number);
    return { t: v.currentTime, paused: v.paused, seeking: v.seeking, error: v.error && v.error.message,
             latency: window.player.latency, fatal: window.errors.filter(e => e.fatal), segments };";

/// ffmpeg writing a live TS `EVENT` stream in real time into `dir`: 1 s segments, all kept.
fn start_event(dir: &Path) -> Result<Child> {
    std::fs::create_dir_all(dir)?;
    Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-re"])
        .args(SOURCE)
        .args(["-t", "180"])
        .args(ENCODE)
        .args(["-f", "hls", "-hls_time", "1", "-hls_playlist_type", "event"])
        .arg(dir.join("index.m3u8"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting ffmpeg")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeks_out_of_the_buffer_in_a_vod_and_back_in_a_live_stream() -> Result<()> {
    let server = TestServer::start().await?;
    let site = NginxCache::start_static_cors().await?;
    let www = site.www();
    let mut live = start_event(&www.join("event"))?;
    let long = www.join("long");
    std::fs::create_dir_all(&long)?;
    let playlist = long.join("index.m3u8");
    let mut args: Vec<&str> = SOURCE.to_vec();
    args.extend(["-t", "60"]);
    args.extend(ENCODE);
    args.extend(["-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod"]);
    args.push(playlist.to_str().context("path")?);
    ffmpeg(&args)?;
    let origin = server.url("");
    std::fs::write(www.join("api.html"), api_page(origin.trim_end_matches('/')))?;
    std::fs::write(
        www.join("dvr.html"),
        widget_page(origin.trim_end_matches('/'), &site.url("/event/index.m3u8")),
    )?;

    let result = Browser::run_in_each("player-seek", async |browser, label| {
        in_browser(browser, label, &site).await
    })
    .await;
    let _ = live.kill();
    let _ = live.wait();
    result
}

fn playing_past(state: &Value, t: f64) -> bool {
    state["t"].as_f64().unwrap_or(0.0) > t && state["paused"] == false && state["seeking"] == false
}

fn ensure_healthy(state: &Value, what: &str) -> Result<()> {
    ensure!(
        state["error"].is_null() && state["fatal"].as_array().is_some_and(Vec::is_empty),
        "{what}: {state}"
    );
    Ok(())
}

async fn in_browser(browser: &Browser, label: &str, site: &NginxCache) -> Result<()> {
    let page = |src: &str| -> Result<String> {
        Ok(
            reqwest::Url::parse_with_params(&site.url("/api.html"), [("src", site.url(src))])?
                .into(),
        )
    };

    // The VOD: playing, then out of the buffer to 50 s.
    browser.client.goto(&page("/long/index.m3u8")?).await?;
    let what = format!("{label}: the 60 s VOD");
    let state = browser
        .wait_for_state(
            &format!("{what} playing"),
            STATE,
            Duration::from_secs(30),
            |s| playing_past(s, 1.0) || !s["error"].is_null(),
        )
        .await?;
    ensure_healthy(&state, &what)?;
    browser
        .js("document.querySelector('#video').currentTime = 50; return true;")
        .await?;
    let state = browser
        .wait_for_state(
            &format!("{what}: playing past 51 s after a seek to 50 s"),
            STATE,
            Duration::from_secs(20),
            |s| playing_past(s, 51.0) || !s["error"].is_null(),
        )
        .await?;
    ensure_healthy(&state, &what)?;
    let segments: Vec<u64> = state["segments"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    ensure!(
        segments.contains(&25) && !segments.iter().any(|n| (18..=23).contains(n)),
        "{what}: loads 50 s (segment 25) without the segments between what was buffered and it: {segments:?}"
    );
    browser
        .screenshot(&format!("player-seek-{label}-vod-50s"))
        .await?;
    browser
        .js("document.querySelector('#video').currentTime = 10; return true;")
        .await?;
    let state = browser
        .wait_for_state(
            &format!("{what}: playing past 11 s after a seek back to 10 s"),
            STATE,
            Duration::from_secs(20),
            |s| {
                (playing_past(s, 11.0) && s["t"].as_f64().unwrap_or(0.0) < 40.0)
                    || !s["error"].is_null()
            },
        )
        .await?;
    ensure_healthy(&state, &what)?;

    // The live EVENT stream: at live, then 10 s back.
    browser.client.goto(&page("/event/index.m3u8")?).await?;
    let what = format!("{label}: the live EVENT stream");
    let latency = |s: &Value| s["latency"].as_f64().unwrap_or(f64::NAN);
    let state = browser
        .wait_for_state(
            &format!("{what} playing at live"),
            STATE,
            Duration::from_secs(40),
            |s| {
                // Far enough in for a seek 10 s back.
                (playing_past(s, 13.0) && latency(s).is_finite() && latency(s) < 8.0)
                    || !s["error"].is_null()
            },
        )
        .await?;
    ensure_healthy(&state, &what)?;
    let at_live = latency(&state);
    let t = state["t"].as_f64().unwrap_or(0.0);
    ensure!(t > 12.0, "{what}: 10 s back is in the stream: {state}");
    browser
        .js(&format!(
            "document.querySelector('#video').currentTime = {}; return true;",
            t - 10.0
        ))
        .await?;
    let back = browser
        .wait_for_state(
            &format!("{what}: playing 10 s back"),
            STATE,
            Duration::from_secs(20),
            |s| playing_past(s, t - 10.0 + 1.0) || !s["error"].is_null(),
        )
        .await?;
    ensure_healthy(&back, &what)?;
    let t0 = back["t"].as_f64().unwrap_or(0.0);
    tokio::time::sleep(Duration::from_secs(6)).await;
    let later = browser.js(STATE).await?;
    ensure_healthy(&later, &what)?;
    let played = later["t"].as_f64().unwrap_or(0.0) - t0;
    ensure!(
        (4.0..8.0).contains(&played) && latency(&later) > at_live + 7.0,
        "{what}: plays on 10 s back at its own pace (no catch-up, no jump to live): {played:.2} s in 6 s, \
         {:.2} s behind (at live {at_live:.2}): {later}",
        latency(&later)
    );
    browser
        .screenshot(&format!("player-seek-{label}-dvr"))
        .await?;
    browser
        .js("window.player.seekToLive(); return true;")
        .await?;
    let state = browser
        .wait_for_state(
            &format!("{what}: back at live"),
            STATE,
            Duration::from_secs(20),
            |s| (playing_past(s, 0.0) && latency(s) < at_live + 2.0) || !s["error"].is_null(),
        )
        .await?;
    ensure_healthy(&state, &what)?;

    // The widget on the same stream: a seek bar over the window (DVR), dragged 15 s back.
    browser.client.goto(&site.url("/dvr.html")).await?;
    let what = format!("{label}: the widget's DVR seek bar");
    let bar = browser
        .wait_for_state(&what, WIDGET_STATE, Duration::from_secs(40), |s| {
            (s["bar"] == true && playing_past(s, 1.0) && s["label"] == "Live")
                || !s["error"].is_null()
        })
        .await?;
    ensure!(bar["error"].is_null(), "{what}: {bar}");
    let (min, max) = (
        bar["min"].as_f64().unwrap_or(0.0),
        bar["max"].as_f64().unwrap_or(0.0),
    );
    ensure!(max - min >= 20.0, "{what}: spans the window: {bar}");
    browser
        .js(&format!(
            "const s = document.querySelector('.onair-seek'); s.value = '{}';
             s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')); return true;",
            max - 15.0
        ))
        .await?;
    let back = browser
        .wait_for_state(
            &format!("{what}: playing 15 s behind live"),
            WIDGET_STATE,
            Duration::from_secs(20),
            |s| {
                (playing_past(s, max - 14.0)
                    && s["label"].as_str().is_some_and(|l| l.starts_with("-0:1")))
                    || !s["error"].is_null()
            },
        )
        .await?;
    ensure!(back["error"].is_null(), "{what}: {back}");
    browser
        .screenshot(&format!("player-seek-{label}-widget-dvr"))
        .await?;
    Ok(())
}
