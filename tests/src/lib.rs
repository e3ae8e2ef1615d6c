//! # onair-tests
//!
//! Shared helpers for OnAir's end-to-end tests: the real server on an ephemeral loopback port, headless
//! Chromium driven over WebDriver (chromedriver), and ffmpeg/ffprobe as independent clients. Nothing here
//! is a mock: each helper starts or calls the real program, and fails loudly when it is missing.
#![warn(missing_docs)]

use anyhow::{bail, Context, Result};
use fantoccini::{Client, ClientBuilder};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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

/// The real OnAir server, running in this process on 127.0.0.1 with an ephemeral port and a fresh data
/// directory.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its data directory (removed when dropped).
    pub data_dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// Starts the server with the built web app.
    pub async fn start() -> Result<TestServer> {
        let web_dir = web_dir()?;
        Self::start_with(web_dir).await
    }

    /// Starts the server serving `web_dir`.
    pub async fn start_with(web_dir: PathBuf) -> Result<TestServer> {
        let data_dir = tempfile::tempdir()?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let config = onair_server::Config {
            listen: addr,
            data_dir: data_dir.path().to_path_buf(),
            web_dir,
        };
        let task = tokio::spawn(async move {
            if let Err(e) = onair_server::serve(listener, config).await {
                eprintln!("server stopped: {e:#}");
            }
        });
        Ok(TestServer {
            addr,
            data_dir,
            task,
        })
    }

    /// `http://127.0.0.1:PORT` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
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
    let response = reqwest::Client::new()
        .post(server.url("/api/streams"))
        .json(&serde_json::json!({ "title": title }))
        .send()
        .await?;
    if response.status() != reqwest::StatusCode::CREATED {
        bail!("create stream: {}", response.status());
    }
    Ok(response.json().await?)
}

fn free_port() -> Result<u16> {
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
