//! hls.js from npm as the reference player: its test page ([`HLSJS_PAGE`]), a web directory that serves
//! it, what it reports ([`HLSJS_STATE`]), and [`Browser`] methods that play a stream with it.

use anyhow::{bail, Result};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::browser::Browser;
use crate::paths::workspace_root;

/// Where `scripts/setup.sh` installs hls.js (pinned, from npm).
pub fn hlsjs_script() -> Result<PathBuf> {
    let path = workspace_root().join("tests/js/node_modules/hls.js/dist/hls.min.js");
    if !path.is_file() {
        bail!(
            "hls.js is not installed: {} is missing (run scripts/setup.sh, which installs hls.js from npm)",
            path.display()
        );
    }
    Ok(path)
}

/// The test page of [`hlsjs_web_dir`]: `hls.html?src=PLAYLIST_URL` plays the playlist with hls.js in a
/// muted `<video id="video">` and records in `window.onair` what a test asserts: every hls.js error
/// (`errors`, with `fatal` set by a fatal one), the variants it parsed (`levels`), and how many
/// Low-Latency HLS parts and whole segments it loaded (`parts`, `segments`). An optional `config` parameter
/// (JSON) is merged into hls.js's configuration, e.g. `{"lowLatencyMode": true}`.
pub const HLSJS_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>hls.js test page</title></head>
<body>
<video id="video" muted autoplay playsinline style="width:640px;height:360px;background:#000"></video>
<script src="hls.min.js"></script>
<script>
  window.onair = { errors: [], fatal: null, levels: null, version: Hls.version, parts: 0, segments: 0 };
  const params = new URLSearchParams(location.search);
  const src = params.get('src');
  const video = document.getElementById('video');
  const hls = new Hls(Object.assign({ debug: false }, JSON.parse(params.get('config') || '{}')));
  hls.on(Hls.Events.FRAG_LOADED, (_event, data) => {
    if (data.part) { window.onair.parts += 1; } else { window.onair.segments += 1; }
  });
  hls.on(Hls.Events.ERROR, (_event, data) => {
    window.onair.errors.push(data.type + ':' + data.details + (data.fatal ? ' (fatal)' : ''));
    if (data.fatal) { window.onair.fatal = data.details; }
  });
  hls.on(Hls.Events.MANIFEST_PARSED, (_event, data) => {
    window.onair.levels = data.levels.map(l => ({ width: l.width, height: l.height, bitrate: l.bitrate,
      codecs: [l.videoCodec, l.audioCodec].filter(Boolean).join(','), frameRate: l.frameRate }));
  });
  hls.loadSource(src);
  hls.attachMedia(video);
  video.play().catch(() => {});
  window.hls = hls;
</script>
</body></html>
"#;

/// A web directory with `hls.html` ([`HLSJS_PAGE`]) and `hls.min.js`, for [`crate::TestServer::start_with`].
pub fn hlsjs_web_dir() -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("hls.html"), HLSJS_PAGE)?;
    std::fs::copy(hlsjs_script()?, dir.path().join("hls.min.js"))?;
    // The SPA fallback needs an index; a page that says what this server is.
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>OnAir test origin</title>",
    )?;
    Ok(dir)
}

/// What the hls.js test page reports: `{t, paused, width, height, fatal, errors, levels, version, parts,
/// segments}`.
pub const HLSJS_STATE: &str = "const v = document.getElementById('video');
    return { t: v.currentTime, paused: v.paused, width: v.videoWidth, height: v.videoHeight,
             error: v.error && v.error.message, fatal: window.onair.fatal, errors: window.onair.errors,
             levels: window.onair.levels, version: window.onair.version, parts: window.onair.parts,
             segments: window.onair.segments };";

impl Browser {
    /// Opens the hls.js test page at `page_url` (`.../hls.html`) playing `playlist_url`, and waits until
    /// the video has played past `seconds` with no fatal hls.js error. Returns the page's final report
    /// ([`HLSJS_STATE`]).
    pub async fn play_with_hlsjs(
        &self,
        page_url: &str,
        playlist_url: &str,
        seconds: f64,
        timeout: Duration,
    ) -> Result<serde_json::Value> {
        self.client
            .goto(&format!("{page_url}?src={playlist_url}"))
            .await?;
        self.wait_for_hlsjs(seconds, timeout).await
    }

    /// [`Browser::play_with_hlsjs`] with `config` merged into hls.js's configuration (e.g.
    /// `{"lowLatencyMode": true}`).
    pub async fn play_with_hlsjs_config(
        &self,
        page_url: &str,
        playlist_url: &str,
        config: &serde_json::Value,
        seconds: f64,
        timeout: Duration,
    ) -> Result<serde_json::Value> {
        let config = config.to_string();
        let url = reqwest::Url::parse_with_params(
            page_url,
            [("src", playlist_url), ("config", config.as_str())],
        )?;
        self.client.goto(url.as_str()).await?;
        self.wait_for_hlsjs(seconds, timeout).await
    }

    /// Waits until the hls.js test page has played past `seconds` with no fatal error.
    async fn wait_for_hlsjs(&self, seconds: f64, timeout: Duration) -> Result<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let state = self.js(HLSJS_STATE).await?;
            if !state["fatal"].is_null() {
                bail!("hls.js fatal error: {state}");
            }
            if state["t"].as_f64().unwrap_or(0.0) > seconds {
                return Ok(state);
            }
            if Instant::now() > deadline {
                bail!("hls.js did not play past {seconds} s within {timeout:?}: {state}");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}
