//! Our player on the HLS that exists, served by a plain static server on another origin: ffmpeg's HLS
//! muxer writes MPEG-TS (its default segment type; H.264 with B-frames + AAC) as a VOD, the same
//! encrypted with AES-128 (IV from the media sequence number), the same as byte ranges of one file, and a
//! live TS stream (`-re`, a sliding window); nginx serves them with CORS. Headless Chromium opens our
//! `/play?src=...` page on the origin for each, then Firefox ESR does, and each must play it (no media error, the playhead moving,
//! the picture the source's size), seek in the VODs, and go on playing the live one; hls.js plays each
//! in Chromium on the same machine, and the time to the first frame of both is printed as a figure.
//! Screenshots `player-formats-{chromium,firefox}-*.png` in tests/artifacts/.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use onair_tests::{
    artifacts_dir, ffmpeg, hlsjs_script, write_subtitled_vod, Browser, NginxCache, TestServer,
    HLSJS_PAGE,
};
use serde_json::{json, Value};

/// Set before the page's scripts by CDP: when the page's `<video>` presents its first frame (ms since
/// navigation), in `window.__firstFrame`.
const FIRST_FRAME_JS: &str = r#"(() => {
  const watch = (v) => v.requestVideoFrameCallback(() => { window.__firstFrame = performance.now(); });
  const find = () => { const v = document.querySelector('video'); if (v) { watch(v); return true; } return false; };
  const start = () => {
    if (find()) return;
    const o = new MutationObserver(() => { if (find()) o.disconnect(); });
    o.observe(document.documentElement, { childList: true, subtree: true });
  };
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
})();"#;

/// The page's `<video>` and our player's status line.
const STATE: &str = "const v = document.querySelector('video')
        || { currentTime: 0, videoWidth: 0, videoHeight: 0, paused: true, error: null, buffered: { length: 0 } };
    const r = v.buffered;
    return { t: v.currentTime, w: v.videoWidth, h: v.videoHeight, paused: v.paused,
             error: v.error && v.error.message, first: window.__firstFrame || null,
             buffered: Array.from({ length: r.length }, (_, i) => [r.start(i), r.end(i)]),
             status: (document.querySelector('#player-status') || {}).textContent || '',
             fatal: window.onair ? window.onair.fatal : null };";

const SOURCE: [&str; 4] = ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25"];
const TONE: [&str; 4] = ["-f", "lavfi", "-i", "sine=frequency=440"];
/// H.264 High with B-frames (libx264's default), a keyframe every second, and AAC.
const ENCODE: [&str; 10] = [
    "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-c:a", "aac", "-b:a", "64k",
];

/// ffmpeg's HLS muxer writing 8 s of TS into `dir` with these extra muxer options.
fn write_vod(dir: &Path, extra: &[&str]) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let playlist = dir.join("index.m3u8");
    let playlist = playlist.to_str().context("path")?;
    let mut args: Vec<&str> = vec!["-hide_banner", "-loglevel", "error", "-y"];
    args.extend(SOURCE);
    args.extend(TONE);
    args.extend(["-t", "8"]);
    args.extend(ENCODE);
    args.extend(["-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod"]);
    args.extend(extra);
    args.push(playlist);
    ffmpeg(&args)
}

/// The page's first text track: its mode, its cues' texts, and the texts of the active ones.
const CAPTIONS: &str = "const v = document.querySelector('video');
    const t = v && v.textTracks[0];
    if (!t || !t.cues) return { tracks: v ? v.textTracks.length : 0, cues: [], active: [] };
    return { tracks: v.textTracks.length, mode: t.mode, label: t.label, language: t.language,
             cues: Array.from(t.cues).map(c => c.text), t: v.currentTime,
             active: Array.from(t.activeCues || []).map(c => c.text) };";

/// ffmpeg writing a live TS stream in real time into `dir`: 1 s segments, a 6-segment window.
fn start_live(dir: &Path) -> Result<Child> {
    std::fs::create_dir_all(dir)?;
    let child = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-re"])
        .args(SOURCE)
        .args(TONE)
        .args(["-t", "90"])
        .args(ENCODE)
        .args([
            "-f",
            "hls",
            "-hls_time",
            "1",
            "-hls_list_size",
            "6",
            "-hls_flags",
            "delete_segments+temp_file",
        ])
        .arg(dir.join("index.m3u8"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting ffmpeg")?;
    Ok(child)
}

/// Opens `url` and waits until its video has played past `secs` (failing at a media error, our player's
/// fatal status or hls.js's fatal error); the last state.
async fn play(browser: &Browser, url: &str, secs: f64, what: &str) -> Result<Value> {
    browser.client.goto(url).await?;
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let state = browser.js(STATE).await?;
        let status = state["status"].as_str().unwrap_or("");
        if !state["error"].is_null() || status.starts_with("Error") || !state["fatal"].is_null() {
            bail!("{what}: playback failed: {state}");
        }
        if state["t"].as_f64().unwrap_or(0.0) > secs && state["paused"] == false {
            return Ok(state);
        }
        if Instant::now() > deadline {
            bail!("{what}: did not play past {secs} s in 40 s: {state}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Seeks the page's video to `to` and waits until it plays on from there.
async fn seek_and_play(browser: &Browser, to: f64, what: &str) -> Result<Value> {
    browser
        .js(&format!(
            "document.querySelector('video').currentTime = {to}; return true;"
        ))
        .await?;
    browser
        .wait_for_state(
            &format!("{what}: playing past {to} + 1 s after the seek"),
            STATE,
            Duration::from_secs(20),
            |s| !s["error"].is_null() || s["t"].as_f64().unwrap_or(0.0) > to + 1.0,
        )
        .await
}

struct Figure {
    name: &'static str,
    ours: Option<f64>,
    theirs: Option<f64>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plays_ts_encrypted_and_byte_range_streams_from_another_origin() -> Result<()> {
    let server = TestServer::start().await?;
    let nginx = NginxCache::start_static_cors().await?;
    let www = nginx.www();
    std::fs::create_dir_all(&www)?;
    std::fs::write(www.join("hls.html"), HLSJS_PAGE)?;
    std::fs::copy(hlsjs_script()?, www.join("hls.min.js"))?;
    let mut live = start_live(&www.join("live"))?;

    write_vod(&www.join("ts"), &[])?;
    let aes = www.join("aes");
    std::fs::create_dir_all(&aes)?;
    std::fs::write(aes.join("enc.key"), *b"OnAir test key!!")?;
    // The key info file: the key's URI in the playlist, where ffmpeg reads it; no IV line, so each
    // segment's IV is its media sequence number (which ffmpeg also writes out as IV=).
    let key_info = nginx.dir().join("keyinfo");
    std::fs::write(
        &key_info,
        format!("enc.key\n{}\n", aes.join("enc.key").display()),
    )?;
    write_vod(
        &aes,
        &["-hls_key_info_file", key_info.to_str().context("path")?],
    )?;
    write_vod(&www.join("br"), &["-hls_flags", "single_file"])?;
    write_subtitled_vod(&www.join("subs"))?;
    let aes_playlist = std::fs::read_to_string(aes.join("index.m3u8"))?;
    ensure!(aes_playlist.contains("METHOD=AES-128"), "{aes_playlist}");
    let br_playlist = std::fs::read_to_string(www.join("br/index.m3u8"))?;
    ensure!(br_playlist.contains("#EXT-X-BYTERANGE"), "{br_playlist}");

    let result = async {
        let chromium = Browser::start().await?;
        chromium
            .cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": FIRST_FRAME_JS }),
            )
            .await?;
        let figures = in_browser(&chromium, "chromium", &server, &nginx, true).await;
        let figures = chromium
            .screenshot_on_error("player-formats-chromium-failure", figures)
            .await;
        chromium.close().await?;
        let figures = figures?;
        let mut text = String::from(
            "player_formats_e2e\n  time to the first frame in Chromium, from navigation (s): stream, ours, hls.js, ours/hls.js\n",
        );
        for f in &figures {
            let secs = |ms: Option<f64>| ms.map_or("-".to_owned(), |m| format!("{:.2}", m / 1000.0));
            let ratio = match (f.ours, f.theirs) {
                (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
                _ => "-".into(),
            };
            text.push_str(&format!(
                "    {:<11} {:>6} {:>6} {:>6}\n",
                f.name,
                secs(f.ours),
                secs(f.theirs),
                ratio
            ));
        }
        text.push_str("    (the first row of each player includes the first load of its code)\n");
        print!("{text}");
        std::fs::write(artifacts_dir().join("player-formats-figures.txt"), &text)?;
        let firefox = Browser::start_firefox().await?;
        let played = in_browser(&firefox, "firefox", &server, &nginx, false).await;
        let played = firefox
            .screenshot_on_error("player-formats-firefox-failure", played)
            .await;
        firefox.close().await?;
        played.map(|_| ())
    }
    .await;
    let _ = live.kill();
    let _ = live.wait();
    result
}

/// Every stream on our `/play` page in `browser` (screenshots `player-formats-{label}-*`), and in
/// hls.js too when `hlsjs`; the time to the first frame of each (where the page recorded it).
async fn in_browser(
    browser: &Browser,
    label: &str,
    server: &TestServer,
    nginx: &NginxCache,
    hlsjs: bool,
) -> Result<Vec<Figure>> {
    let mut figures = Vec::new();
    for (name, path) in [
        ("ts", "/ts/index.m3u8"),
        ("aes-128", "/aes/index.m3u8"),
        ("byte-range", "/br/index.m3u8"),
        ("subtitles", "/subs/master.m3u8"),
    ] {
        let what = format!("{name} in {label}");
        let src = nginx.url(path);
        let page = reqwest::Url::parse_with_params(&server.url("/play"), [("src", &src)])?;
        let state = play(browser, page.as_str(), 2.5, &what).await?;
        println!("{what}, ours: {state}");
        ensure!(
            (state["w"].as_u64(), state["h"].as_u64()) == (Some(640), Some(360)),
            "{what}: the picture is the source's size: {state}"
        );
        let ours = state["first"].as_f64();
        let after = seek_and_play(browser, 5.0, &what).await?;
        ensure!(after["error"].is_null(), "{what}: {after}");
        if name == "subtitles" {
            // Paused at 7.5 s: every cue in the text track, shown, and the third one active: its SRT time
            // (5.5 s) counted from the first frame (1.48 s, ffmpeg's TS start).
            browser
                .js("const v = document.querySelector('video'); v.pause(); v.currentTime = 7.5; return true;")
                .await?;
            let captions = browser
                .wait_for_state(
                    &format!("{what}: three cues, the third active at 7.5 s"),
                    CAPTIONS,
                    Duration::from_secs(20),
                    |c| {
                        c["cues"].as_array().map_or(0, Vec::len) == 3
                            && c["active"] == json!(["Third caption"])
                    },
                )
                .await?;
            println!("{what}: {captions}");
            ensure!(
                captions["cues"] == json!(["First caption", "Second caption", "Third caption"])
                    && captions["mode"] == "showing"
                    && captions["tracks"] == 1,
                "{what}: {captions}"
            );
            browser
                .js("document.querySelector('video').play(); return true;")
                .await?;
        }
        browser
            .screenshot(&format!("player-formats-{label}-{name}"))
            .await?;
        let theirs = if hlsjs {
            let url = format!("{}?src={src}", nginx.url("/hls.html"));
            play(browser, &url, 2.5, &format!("{what}, hls.js")).await?["first"].as_f64()
        } else {
            None
        };
        figures.push(Figure { name, ours, theirs });
    }

    // The live TS stream: at least 4 segments listed, then it plays and keeps playing.
    let playlist = nginx.url("/live/index.m3u8");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = reqwest::get(&playlist)
            .await?
            .text()
            .await
            .unwrap_or_default();
        if text.matches("#EXTINF").count() >= 4 {
            break;
        }
        ensure!(Instant::now() < deadline, "the live playlist: {text}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let what = format!("live ts in {label}");
    let page = reqwest::Url::parse_with_params(&server.url("/play"), [("src", &playlist)])?;
    let first = play(browser, page.as_str(), 0.5, &what).await?;
    let t0 = first["t"].as_f64().unwrap_or(0.0);
    let later = browser
        .wait_for_state(
            &format!("{what}: 6 s further"),
            STATE,
            Duration::from_secs(30),
            |s| !s["error"].is_null() || s["t"].as_f64().unwrap_or(0.0) > t0 + 6.0,
        )
        .await?;
    println!("{what}, ours: {first} then {later}");
    ensure!(later["error"].is_null(), "{later}");
    ensure!(
        !later["status"].as_str().unwrap_or("").starts_with("Error"),
        "{later}"
    );
    browser
        .screenshot(&format!("player-formats-{label}-live-ts"))
        .await?;
    let ours = later["first"].as_f64().or(first["first"].as_f64());
    let theirs = if hlsjs {
        let url = format!("{}?src={playlist}", nginx.url("/hls.html"));
        play(browser, &url, 0.5, &format!("{what}, hls.js")).await?["first"].as_f64()
    } else {
        None
    };
    figures.push(Figure {
        name: "live ts",
        ours,
        theirs,
    });
    Ok(figures)
}
