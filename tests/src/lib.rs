//! # onair-tests
//!
//! Shared helpers for OnAir's end-to-end tests: the real server on an ephemeral loopback port (counting
//! the requests it answers, stoppable and restartable on the same data), headless Chromium driven over
//! WebDriver (chromedriver), ffmpeg pushing a live test source, ffprobe as an independent client, hls.js
//! from npm as the reference player, and nginx as a caching reverse proxy. Nothing here is a mock: each
//! helper starts or calls the real program, and fails loudly when it is missing.
#![warn(missing_docs)]

use anyhow::{bail, Context, Result};
use fantoccini::{Client, ClientBuilder};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The workspace root (the folder with the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Where tests put what a person should look at: screenshots and logs (`tests/artifacts/`).
pub fn artifacts_dir() -> PathBuf {
    let dir = workspace_root().join("tests").join("artifacts");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// The built web app: `ONAIR_WEB_DIR`, else `dist/` at the workspace root. The README's test command
/// builds it first with `trunk build`.
pub fn web_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("ONAIR_WEB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("dist"));
    if !dir.join("index.html").is_file() {
        bail!(
            "the web app is not built: {} has no index.html (run `trunk build --release` or the README's test command)",
            dir.display()
        );
    }
    Ok(dir)
}

/// How many GET/HEAD requests the server answered, per path: what the origin saw, for cache tests.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
    answered: Arc<Mutex<Vec<AnsweredRequest>>>,
}

/// One GET/HEAD request the server answered (one whose client went away before the answer is not
/// listed), in the order of the answers.
#[derive(Debug, Clone)]
pub struct AnsweredRequest {
    /// The path, e.g. `/live/ID/r0/index.m3u8`.
    pub path: String,
    /// The query string without `?`, e.g. `_HLS_msn=4&_HLS_part=2`.
    pub query: Option<String>,
    /// The status of the answer.
    pub status: u16,
    /// From the request's arrival to its answer's head (how long a blocking request was held).
    pub elapsed: Duration,
}

impl RequestCounter {
    fn record(&self, path: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        *counts.entry(path.to_owned()).or_default() += 1;
    }

    fn record_answer(&self, answer: AnsweredRequest) {
        self.answered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(answer);
    }

    /// Every GET/HEAD request answered so far, with its query, status and time to answer.
    pub fn answered(&self) -> Vec<AnsweredRequest> {
        self.answered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Requests per path so far.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Requests for one path so far.
    pub fn count(&self, path: &str) -> u64 {
        self.snapshot().get(path).copied().unwrap_or(0)
    }
}

/// The real OnAir server, running in this process on 127.0.0.1 with an ephemeral port and a fresh data
/// directory. It counts the GET/HEAD requests it answers ([`TestServer::requests`]).
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its data directory (removed when the last server using it is dropped).
    pub data_dir: Arc<tempfile::TempDir>,
    /// The server's state (its origin), as the handlers see it.
    pub state: onair_server::AppState,
    web_dir: PathBuf,
    requests: RequestCounter,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    /// Starts the server with the built web app.
    pub async fn start() -> Result<TestServer> {
        let web_dir = web_dir()?;
        Self::start_with(web_dir).await
    }

    /// Starts the server serving `web_dir`.
    pub async fn start_with(web_dir: PathBuf) -> Result<TestServer> {
        Self::start_on(Arc::new(tempfile::tempdir()?), web_dir).await
    }

    /// Starts the server on an existing data directory (a restart), serving `web_dir`.
    pub async fn start_on(
        data_dir: Arc<tempfile::TempDir>,
        web_dir: PathBuf,
    ) -> Result<TestServer> {
        Self::start_at("127.0.0.1:0".parse()?, data_dir, web_dir).await
    }

    /// Starts the server listening on `addr` on an existing data directory, serving `web_dir`.
    pub async fn start_at(
        addr: SocketAddr,
        data_dir: Arc<tempfile::TempDir>,
        web_dir: PathBuf,
    ) -> Result<TestServer> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening on {addr}"))?;
        let addr = listener.local_addr()?;
        let config = onair_server::Config {
            listen: addr,
            data_dir: data_dir.path().to_path_buf(),
            web_dir: web_dir.clone(),
        };
        let state = onair_server::AppState::open(&config).await?;
        let requests = RequestCounter::default();
        let counter = requests.clone();
        let router = onair_server::app(state.clone()).layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let counter = counter.clone();
                async move {
                    let method = request.method();
                    if method != axum::http::Method::GET && method != axum::http::Method::HEAD {
                        return next.run(request).await;
                    }
                    let (path, query) = (request.uri().path(), request.uri().query());
                    counter.record(path);
                    let (path, query) = (path.to_owned(), query.map(str::to_owned));
                    let arrived = Instant::now();
                    let response = next.run(request).await;
                    counter.record_answer(AnsweredRequest {
                        path,
                        query,
                        status: response.status().as_u16(),
                        elapsed: arrived.elapsed(),
                    });
                    response
                }
            },
        ));
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = state.clone();
        let task = tokio::spawn(async move {
            let stop = async move {
                let _ = stopped.await;
            };
            if let Err(e) = onair_server::serve_app(listener, served, router, stop).await {
                eprintln!("server stopped: {e:#}");
            }
        });
        Ok(TestServer {
            addr,
            data_dir,
            state,
            web_dir,
            requests,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    /// Stops the server as a SIGTERM would (graceful shutdown: no new connections, requests in flight
    /// finish) and waits until it has stopped.
    pub async fn stop(&mut self) -> Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .context("the server did not stop within 20 s")??;
        }
        Ok(())
    }

    /// Stops this server and starts a new one (on a new port) on the same data directory.
    pub async fn restart(mut self) -> Result<TestServer> {
        self.stop().await?;
        Self::start_on(Arc::clone(&self.data_dir), self.web_dir.clone()).await
    }

    /// Stops this server, waits `down` (the origin unreachable, as in a crash and restart), and starts a
    /// new one on the same address and data directory: clients that knew the old one (a broadcaster's
    /// page) reach the new one.
    pub async fn restart_in_place(mut self, down: Duration) -> Result<TestServer> {
        self.stop().await?;
        tokio::time::sleep(down).await;
        Self::start_at(self.addr, Arc::clone(&self.data_dir), self.web_dir.clone()).await
    }

    /// The GET/HEAD requests this server answered, per path.
    pub fn requests(&self) -> &RequestCounter {
        &self.requests
    }

    /// `http://127.0.0.1:PORT` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A stream created through the API.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct CreatedStream {
    /// Stream id.
    pub id: String,
    /// Secret stream key.
    pub stream_key: String,
}

/// `POST /api/streams`.
pub async fn create_stream(server: &TestServer, title: &str) -> Result<CreatedStream> {
    create_stream_at(&server.url(""), title).await
}

/// `POST {base}/api/streams`, where `base` is `http://HOST:PORT` (a server in another process).
pub async fn create_stream_at(base: &str, title: &str) -> Result<CreatedStream> {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/streams"))
        .json(&serde_json::json!({ "title": title }))
        .send()
        .await?;
    if response.status() != reqwest::StatusCode::CREATED {
        bail!("create stream: {}", response.status());
    }
    Ok(response.json().await?)
}

/// `POST /api/streams/{id}/end` with the stream key: the stream ends and its playlists become final.
pub async fn end_stream(server: &TestServer, stream: &CreatedStream) -> Result<()> {
    let response = reqwest::Client::new()
        .post(server.url(&format!("/api/streams/{}/end", stream.id)))
        .bearer_auth(&stream.stream_key)
        .send()
        .await?;
    if response.status() != reqwest::StatusCode::NO_CONTENT {
        bail!("end stream: {}", response.status());
    }
    Ok(())
}

/// A free TCP port on 127.0.0.1 (for programs that need a port number up front).
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Headless Chromium behind its own chromedriver, with a fresh profile, fake camera and microphone.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

/// Chromium's binary: `CHROME_BIN` or Debian's.
fn chromium_binary() -> String {
    std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

impl Browser {
    /// Starts chromedriver and opens a session.
    pub async fn start() -> Result<Browser> {
        let port = free_port()?;
        let driver_bin =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let log = std::fs::File::create(artifacts_dir().join(format!("chromedriver-{port}.log")))?;
        let mut driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {driver_bin} (apt-get install chromium-driver)"))?;
        let profile = tempfile::tempdir()?;
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--use-fake-device-for-media-stream".into(),
            "--use-fake-ui-for-media-stream".into(),
            "--autoplay-policy=no-user-gesture-required".into(),
            "--disable-background-timer-throttling".into(),
            "--disable-renderer-backgrounding".into(),
            "--disable-backgrounding-occluded-windows".into(),
            "--window-size=1280,900".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": chromium_binary(), "args": args }),
        );
        caps.insert(
            "goog:loggingPrefs".into(),
            serde_json::json!({ "browser": "ALL" }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => {
                    let _ = driver.kill();
                    bail!("chromedriver did not start a session: {e}");
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        Ok(Browser {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Runs a script and returns its value.
    pub async fn js(&self, script: &str) -> Result<serde_json::Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// Waits until `script` returns true, or fails after `timeout` with the last value seen.
    pub async fn wait_for(&self, what: &str, script: &str, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.js(script).await?;
            if value == serde_json::Value::Bool(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("timed out waiting for {what} (last value: {value})");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Saves a PNG screenshot of the current window to `tests/artifacts/NAME.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self.client.screenshot().await?;
        let path = artifacts_dir().join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Ends the session and chromedriver.
    pub async fn close(mut self) -> Result<()> {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// Runs ffprobe with these arguments and parses its JSON output.
pub fn ffprobe_json(args: &[&str]) -> Result<serde_json::Value> {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json"])
        .args(args)
        .output()
        .context("running ffprobe (apt-get install ffmpeg)")?;
    if !output.status.success() {
        bail!(
            "ffprobe {:?} failed: {}",
            args,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// Inspects URL (or a file) with `onair-inspect`'s library in-process, as `onair inspect --json URL` does,
/// and answers the exit code that command answers and its JSON report.
pub async fn onair_inspect(url: &str) -> Result<(i32, serde_json::Value)> {
    let result = onair_inspect::inspect(url, &onair_inspect::Options::default()).await;
    Ok((
        i32::from(onair_inspect::exit_status(&result)),
        onair_inspect::to_json(url, &result),
    ))
}

/// Runs ffmpeg with these arguments (quiet, overwrite) and fails with its stderr if it fails.
pub fn ffmpeg(args: &[&str]) -> Result<()> {
    let output = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .context("running ffmpeg (apt-get install ffmpeg)")?;
    if !output.status.success() {
        bail!(
            "ffmpeg {:?} failed: {}",
            args,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

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

/// A web directory with `hls.html` ([`HLSJS_PAGE`]) and `hls.min.js`, for [`TestServer::start_with`].
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

impl Browser {
    /// The broadcaster's side, as a person does it: opens `{base}/go-live` (`base` is `http://HOST:PORT`),
    /// waits for the fake camera's preview and an enabled **Go live** button (screenshot
    /// `{screenshot}-camera-ready`), enters `title`, presses **Go live**, and answers the stream id from
    /// the watch link that appears once the stream is live.
    pub async fn go_live(&self, base: &str, title: &str, screenshot: &str) -> Result<String> {
        use fantoccini::Locator;
        let c = &self.client;
        c.goto(&format!("{base}/go-live")).await?;
        self.wait_for(
            "the camera preview and an enabled Go live button",
            "const v = document.querySelector('#preview'); const b = document.querySelector('#go-live');
             return !!(v && b && v.readyState >= 2 && v.videoWidth > 0 && !b.disabled);",
            Duration::from_secs(30),
        )
        .await?;
        self.screenshot(&format!("{screenshot}-camera-ready"))
            .await?;
        let field = c.find(Locator::Css("#title")).await?;
        field.clear().await?;
        field.send_keys(title).await?;
        c.find(Locator::Css("#go-live")).await?.click().await?;
        let link = c
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css("#watch-link"))
            .await
            .context("the watch link appears once live")?;
        let href = link.attr("href").await?.context("watch link has an href")?;
        let id = href
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty())
            .with_context(|| format!("a stream id at the end of the watch link {href}"))?;
        Ok(id.to_owned())
    }

    /// On the /go-live page of a live stream: presses **End stream**, waits until the page says it has
    /// ended, and saves the screenshot `screenshot`.
    pub async fn end_stream_on_page(&self, screenshot: &str) -> Result<()> {
        let end = fantoccini::Locator::Css("#end-stream");
        self.client.find(end).await?.click().await?;
        self.wait_for(
            "the stream to end",
            "return (document.querySelector('#status')?.textContent || '').includes('Ended');",
            Duration::from_secs(20),
        )
        .await?;
        self.screenshot(screenshot).await?;
        Ok(())
    }
}

/// The live test source every push uses: 25 fps test pattern (`testsrc2`) and a 440 Hz tone, H.264
/// (libx264, a keyframe every 2 s so that every 2 s segment starts with one) and AAC.
pub const TEST_SOURCE_FPS: u32 = 25;

/// ffmpeg pushing a live test source as HLS (fMP4) over HTTP PUT, as a broadcaster's encoder would.
/// Killed when dropped; its log goes to `tests/artifacts/ffmpeg-NAME.log`.
pub struct FfmpegPush {
    child: Child,
    log: PathBuf,
}

impl FfmpegPush {
    /// Pushes `seconds` of the test source in real time (`-re`) as one rendition (640x360) to
    /// `{base}/index.m3u8`, where `base` is `http://HOST/ingest/KEY`.
    pub fn single(name: &str, base: &str, seconds: u32) -> Result<FfmpegPush> {
        let duration = seconds.to_string();
        let url = format!("{base}/index.m3u8");
        let mut args = source_args(&duration);
        args.extend(
            [
                "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast", "-b:v",
                "600k",
            ]
            .map(String::from),
        );
        args.extend(encoder_args());
        args.extend(hls_args());
        args.push(url);
        Self::spawn(name, &args)
    }

    /// Pushes `seconds` of the test source in real time as a two-rendition ladder (640x360 at 600 kbps
    /// and 320x180 at 150 kbps, each with audio) with `-var_stream_map` to
    /// `{base}/stream_%v/index.m3u8` and `{base}/master.m3u8`.
    pub fn ladder(name: &str, base: &str, seconds: u32) -> Result<FfmpegPush> {
        Self::ladder_with(name, base, seconds, 2, "v:0,a:0 v:1,a:1")
    }

    /// Like [`FfmpegPush::ladder`], but the audio is encoded once, as a rendition of its own in an audio
    /// group (`-var_stream_map "v:0,agroup:aud v:1,agroup:aud a:0,agroup:aud"`): video-only renditions
    /// `stream_0` and `stream_1`, the audio-only `stream_2`, and ffmpeg's own `master.m3u8` with an
    /// `EXT-X-MEDIA`.
    pub fn ladder_separate_audio(name: &str, base: &str, seconds: u32) -> Result<FfmpegPush> {
        Self::ladder_with(
            name,
            base,
            seconds,
            1,
            "v:0,agroup:aud v:1,agroup:aud a:0,agroup:aud",
        )
    }

    /// The two-rendition video ladder with the audio mapped `audio_maps` times and this
    /// `-var_stream_map`.
    fn ladder_with(
        name: &str,
        base: &str,
        seconds: u32,
        audio_maps: usize,
        var_stream_map: &str,
    ) -> Result<FfmpegPush> {
        let duration = seconds.to_string();
        let url = format!("{base}/stream_%v/index.m3u8");
        let mut args = source_args(&duration);
        args.extend(
            [
                "-filter_complex",
                "[0:v]split=2[hi][lo0];[lo0]scale=320:180[lo]",
                "-map",
                "[hi]",
                "-map",
                "[lo]",
            ]
            .map(String::from),
        );
        for _ in 0..audio_maps {
            args.extend(["-map", "1:a"].map(String::from));
        }
        args.extend(
            [
                "-c:v", "libx264", "-preset", "veryfast", "-b:v:0", "600k", "-b:v:1", "150k",
            ]
            .map(String::from),
        );
        args.extend(encoder_args());
        args.extend(hls_args());
        args.extend(
            [
                "-var_stream_map",
                var_stream_map,
                "-master_pl_name",
                "master.m3u8",
            ]
            .map(String::from),
        );
        args.push(url);
        Self::spawn(name, &args)
    }

    fn spawn(name: &str, args: &[String]) -> Result<FfmpegPush> {
        let log = artifacts_dir().join(format!("ffmpeg-{name}.log"));
        let file = std::fs::File::create(&log)?;
        let child = Command::new("ffmpeg")
            .args(["-hide_banner", "-nostdin", "-loglevel", "warning"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .context("starting ffmpeg (apt-get install ffmpeg)")?;
        Ok(FfmpegPush { child, log })
    }

    /// Waits for ffmpeg to finish (at most `timeout`) and fails unless it exited successfully.
    pub async fn finish(mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                if !status.success() {
                    bail!("ffmpeg failed ({status}): {}", self.log_text());
                }
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "ffmpeg still running after {timeout:?}: {}",
                    self.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills ffmpeg now (an encoder that goes away mid-stream).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// What ffmpeg logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for FfmpegPush {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn source_args(duration: &str) -> Vec<String> {
    [
        "-re",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=640x360:rate=25",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        duration,
    ]
    .map(String::from)
    .to_vec()
}

fn encoder_args() -> Vec<String> {
    [
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
    ]
    .map(String::from)
    .to_vec()
}

fn hls_args() -> Vec<String> {
    [
        "-f",
        "hls",
        "-hls_segment_type",
        "fmp4",
        "-hls_time",
        "2",
        "-method",
        "PUT",
    ]
    .map(String::from)
    .to_vec()
}

/// nginx from Debian as a caching reverse proxy (`proxy_cache`) in front of an origin, run as
/// `nginx -p TMP -c TMP/nginx.conf -g 'daemon off;'` on an ephemeral loopback port with its pid, logs and
/// cache in TMP. Stopped (SIGTERM) when dropped.
pub struct NginxCache {
    /// Where it listens.
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

/// The nginx configuration of [`NginxCache`]: `{dir}`, `{port}` and `{origin}` are filled in.
///
/// The cache follows the origin's `Cache-Control` (no `proxy_cache_valid`), collapses concurrent misses
/// into one origin request (`proxy_cache_lock`), and serves a stale playlist while one request refreshes
/// it (`proxy_cache_use_stale updating`, `proxy_cache_background_update`).
pub const NGINX_CONF: &str = r#"worker_processes 1;
error_log {dir}/error.log warn;
pid {dir}/nginx.pid;
events { worker_connections 1024; }
http {
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy_temp;
    fastcgi_temp_path {dir}/fastcgi_temp;
    uwsgi_temp_path {dir}/uwsgi_temp;
    scgi_temp_path {dir}/scgi_temp;
    proxy_cache_path {dir}/cache levels=1:2 keys_zone=onair:10m max_size=512m inactive=10m use_temp_path=off;
    upstream origin {
        server {origin};
        keepalive 16;
    }
    server {
        listen 127.0.0.1:{port};
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache onair;
            proxy_cache_lock on;
            proxy_cache_lock_timeout 10s;
            proxy_cache_lock_age 10s;
            proxy_cache_use_stale updating error timeout;
            proxy_cache_background_update on;
            proxy_cache_revalidate on;
            add_header X-Cache-Status $upstream_cache_status always;
        }
    }
}
"#;

impl NginxCache {
    /// Starts nginx in front of `origin` and waits until it answers.
    pub async fn start(origin: SocketAddr) -> Result<NginxCache> {
        Self::start_conf(&NGINX_CONF.replace("{origin}", &origin.to_string())).await
    }

    /// Starts nginx the same way with another configuration (e.g. a static file server over
    /// `{dir}/www`), `{dir}` (its temporary directory, see [`NginxCache::dir`]) and `{port}` filled in,
    /// and waits until it answers.
    pub async fn start_conf(conf_template: &str) -> Result<NginxCache> {
        let dir = tempfile::tempdir()?;
        // nginx's workers drop root for `nobody`: let them into the directory.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        }
        let port = free_port()?;
        let conf = conf_template
            .replace("{dir}", &dir.path().display().to_string())
            .replace("{port}", &port.to_string());
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf)?;
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting nginx (apt-get install nginx)")?;
        let mut nginx = NginxCache { port, dir, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = nginx.child.try_wait()? {
                bail!("nginx exited ({status}): {}", nginx.error_log());
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(nginx);
            }
            if Instant::now() > deadline {
                bail!("nginx did not listen within 10 s: {}", nginx.error_log());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `http://127.0.0.1:PORT` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// Its temporary directory (`{dir}` in the configuration).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The master process's id (its workers are its children).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// nginx's error log so far.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// nginx's access log so far.
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }
}

impl Drop for NginxCache {
    fn drop(&mut self) {
        // SIGTERM lets the master take its workers down with it (a SIGKILL would orphan them).
        terminate(&mut self.child, Duration::from_secs(5));
    }
}

/// Stops a child process as a service manager would: SIGTERM, then SIGKILL if it has not exited within
/// `grace`; waits for it either way.
pub fn terminate(child: &mut Child, grace: Duration) {
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// GETs `url` until it answers 2xx (at most `timeout`), and returns the body.
pub async fn wait_for_ok(url: &str, timeout: Duration) -> Result<String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(response) = reqwest::get(url).await {
            if response.status().is_success() {
                return Ok(response.text().await?);
            }
        }
        if Instant::now() > deadline {
            bail!("{url} did not answer 2xx within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits (at most 30 s) until the stream's multivariant playlist at `{base}/live/{id}/index.m3u8` answers
/// (it does once a rendition has a segment), and returns the URI of its first variant, relative to
/// `{base}/live/{id}/` (e.g. `r0/index.m3u8`).
pub async fn first_variant(base: &str, id: &str) -> Result<String> {
    let multivariant = wait_for_ok(
        &format!("{base}/live/{id}/index.m3u8"),
        Duration::from_secs(30),
    )
    .await?;
    multivariant
        .lines()
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .with_context(|| format!("a variant in the multivariant playlist:\n{multivariant}"))
}

/// GETs a media playlist at `url` until it lists at least `segments` segments, and returns it parsed.
pub async fn wait_for_segments(
    url: &str,
    segments: usize,
    timeout: Duration,
) -> Result<onair_media::MediaPlaylist> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(response) = reqwest::get(url).await {
            if response.status().is_success() {
                let text = response.text().await?;
                let playlist = onair_media::MediaPlaylist::parse(&text)
                    .with_context(|| format!("parsing {url}: {text}"))?;
                if playlist.segments.len() >= segments {
                    return Ok(playlist);
                }
            }
        }
        if Instant::now() > deadline {
            bail!("{url} did not list {segments} segments within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// ffmpeg output options for a test encode to fragmented MP4, as the benchmarks make their inputs:
/// libx264 `ultrafast` at a capped `video_kbps` (two seconds of VBV buffer), a keyframe exactly every
/// `gop` frames and no B-frames (every segment can start on one), AAC stereo at `audio_kbps`, then
/// `-movflags +frag_keyframe+empty_moov+default_base_moof -f mp4`. The output path goes after them.
pub fn fmp4_test_encode_args(video_kbps: u32, gop: u32, audio_kbps: u32) -> Vec<String> {
    let (video, buffer, gop, audio) = (
        format!("{video_kbps}k"),
        format!("{}k", 2 * video_kbps),
        gop.to_string(),
        format!("{audio_kbps}k"),
    );
    [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-b:v",
        &video,
        "-maxrate",
        &video,
        "-bufsize",
        &buffer,
        "-g",
        &gop,
        "-keyint_min",
        &gop,
        "-sc_threshold",
        "0",
        "-bf",
        "0",
        "-c:a",
        "aac",
        "-b:a",
        &audio,
        "-ac",
        "2",
        "-movflags",
        "+frag_keyframe+empty_moov+default_base_moof",
        "-f",
        "mp4",
    ]
    .map(String::from)
    .to_vec()
}

/// Offset of the first top-level `moof` in a fragmented MP4 file (where the fragments after an ffmpeg
/// header begin).
pub fn first_moof(data: &[u8]) -> Option<usize> {
    let mut pos = 0usize;
    while pos.checked_add(8)? <= data.len() {
        let size = u32::from_be_bytes(data.get(pos..pos + 4)?.try_into().ok()?) as usize;
        if data.get(pos + 4..pos + 8)? == b"moof" {
            return Some(pos);
        }
        if size < 8 {
            return None;
        }
        pos = pos.checked_add(size)?;
    }
    None
}

/// Every sample of a fragmented MP4 file (an ffmpeg output: header, then `moof` + `mdat` pairs), read by
/// OnAir's demuxer within `limits`, as frames in decode-time order across tracks.
pub fn demux_fmp4_file(
    data: &[u8],
    limits: &onair_media::Limits,
) -> Result<(onair_media::InitSegment, Vec<onair_media::Frame>)> {
    let init = onair_media::parse_init(data).context("parse_init")?;
    let moof = first_moof(data).context("no moof in the file")?;
    let body = data.get(moof..).context("moof offset")?;
    let segment = onair_media::parse_segment(&init, body, limits).context("parse_segment")?;
    let mut frames = Vec::new();
    for track in &segment.tracks {
        for s in &track.samples {
            let bytes = body
                .get(s.offset..s.offset + s.size as usize)
                .context("sample inside the file")?;
            frames.push(onair_media::Frame {
                track_id: track.track_id,
                dts: s.dts,
                cts_offset: s.cts_offset,
                duration: Some(s.duration),
                keyframe: s.keyframe,
                data: bytes.to_vec(),
            });
        }
    }
    let timescale = |id: u32| f64::from(init.track(id).map_or(1, |t| t.timescale));
    frames.sort_by(|a, b| {
        let ta = a.dts as f64 / timescale(a.track_id);
        let tb = b.dts as f64 / timescale(b.track_id);
        ta.total_cmp(&tb)
    });
    Ok((init, frames))
}
