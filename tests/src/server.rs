//! The real OnAir server in this process ([`TestServer`], counting the requests it answers), and the
//! streams API calls every test starts with.

use anyhow::{bail, Context, Result};
use onair_protocol::{paths, CreateStreamRequest};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

pub use onair_protocol::CreatedStream;

use crate::paths::web_dir;

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
    /// A temporary web directory to keep as long as the server ([`TestServer::start_serving`]).
    web_kept: Option<Arc<tempfile::TempDir>>,
    requests: RequestCounter,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// Transcoding, when on (it is off in every other test: their streams keep their renditions).
    transcode: Option<onair_server::transcode::TranscodeSettings>,
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

    /// Starts the server serving the temporary directory `web` (e.g. [`crate::hlsjs_web_dir`]), which
    /// is kept as long as the server and its restarts.
    pub async fn start_serving(web: tempfile::TempDir) -> Result<TestServer> {
        let mut server = Self::start_with(web.path().to_path_buf()).await?;
        server.web_kept = Some(Arc::new(web));
        Ok(server)
    }

    /// Starts the server serving `web_dir`, transcoding streams of one video rendition to these rung
    /// heights ([`onair_server::transcode`]), one stream at a time.
    pub async fn start_transcoding(web_dir: PathBuf, heights: &[u16]) -> Result<TestServer> {
        let transcode = onair_server::transcode::TranscodeSettings {
            heights: heights.to_vec(),
            max_running: 1,
        };
        Self::start_at_with(
            "127.0.0.1:0".parse()?,
            Arc::new(tempfile::tempdir()?),
            web_dir,
            Some(transcode),
        )
        .await
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
        Self::start_at_with(addr, data_dir, web_dir, None).await
    }

    async fn start_at_with(
        addr: SocketAddr,
        data_dir: Arc<tempfile::TempDir>,
        web_dir: PathBuf,
        transcode: Option<onair_server::transcode::TranscodeSettings>,
    ) -> Result<TestServer> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening on {addr}"))?;
        let addr = listener.local_addr()?;
        let config = onair_server::Config {
            listen: addr,
            data_dir: data_dir.path().to_path_buf(),
            web_dir: web_dir.clone(),
            geoip_db: Some(crate::paths::geoip_db()).filter(|path| path.is_file()),
            transcode: transcode.clone(),
            ..Default::default()
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
            web_kept: None,
            requests,
            shutdown: Some(shutdown),
            task: Some(task),
            transcode,
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
        let mut server = Self::start_at_with(
            "127.0.0.1:0".parse()?,
            Arc::clone(&self.data_dir),
            self.web_dir.clone(),
            self.transcode.clone(),
        )
        .await?;
        server.web_kept = self.web_kept.take();
        Ok(server)
    }

    /// Stops this server, waits `down` (the origin unreachable, as in a crash and restart), and starts a
    /// new one on the same address and data directory: clients that knew the old one (a broadcaster's
    /// page) reach the new one.
    pub async fn restart_in_place(mut self, down: Duration) -> Result<TestServer> {
        self.stop().await?;
        // The thing tested, not a wait: the origin is unreachable for `down`.
        tokio::time::sleep(down).await;
        let mut server = Self::start_at_with(
            self.addr,
            Arc::clone(&self.data_dir),
            self.web_dir.clone(),
            self.transcode.clone(),
        )
        .await?;
        server.web_kept = self.web_kept.take();
        Ok(server)
    }

    /// The GET/HEAD requests this server answered, per path.
    pub fn requests(&self) -> &RequestCounter {
        &self.requests
    }

    /// `http://127.0.0.1:PORT` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `http://127.0.0.1:PORT/ingest/{stream_key}`: where a standard encoder pushes the stream's files
    /// (the `base` of [`crate::FfmpegPush`]).
    pub fn ingest_url(&self, stream: &CreatedStream) -> String {
        let folder = paths::ingest(&stream.stream_key, "");
        self.url(folder.trim_end_matches('/'))
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

/// `POST /api/streams`.
pub async fn create_stream(server: &TestServer, title: &str) -> Result<CreatedStream> {
    create_stream_at(&server.url(""), title).await
}

/// `POST {base}/api/streams`, where `base` is `http://HOST:PORT` (a server in another process).
pub async fn create_stream_at(base: &str, title: &str) -> Result<CreatedStream> {
    let response = reqwest::Client::new()
        .post(format!("{base}{}", paths::STREAMS))
        .json(&CreateStreamRequest {
            title: Some(title.to_owned()),
            ..CreateStreamRequest::default()
        })
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
        .post(server.url(&paths::end(&stream.id)))
        .bearer_auth(&stream.stream_key)
        .send()
        .await?;
    if response.status() != reqwest::StatusCode::NO_CONTENT {
        bail!("end stream: {}", response.status());
    }
    Ok(())
}
