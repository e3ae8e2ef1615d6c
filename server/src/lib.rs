//! # onair-server
//!
//! OnAir's origin: the HTTP server between the browser broadcaster and the players.
//!
//! What it owns:
//! - the streams API (create, list, look up, end) ([`routes::api`]) and stream keys ([`stream_key`],
//!   checked by [`routes::credential`]);
//! - uploads from the broadcaster under `/api/streams/{id}/renditions/...` ([`routes::upload`]) and from
//!   standard encoders that push HLS over HTTP PUT (`ffmpeg -f hls -method PUT`) under
//!   `/ingest/{stream_key}/...` ([`routes::push`]), both validated the same way: every init segment,
//!   segment and part is parsed with `onair-media` and checked against its rendition's rules before
//!   anything is stored ([`live::rendition`], refusing with [`refused::UploadRefused`]);
//! - storage: stream metadata in SQLite and media files on disk, written atomically, and the segments
//!   viewers ask for in memory ([`store`]);
//! - the in-memory live state ([`live`]) and the playlists rendered from it as pure functions
//!   ([`playlist`]), served under `/live/...` with CORS, cache lifetimes, validators ([`digest`]), ranges
//!   and gzip that let any HTTP cache or CDN sit in front ([`routes::playback`], [`cache`]);
//! - limits as tower layers: body size, concurrency, time, the upload rate per key ([`routes`]);
//! - serving the built web app with an SPA fallback ([`routes::web`]).
//!
//! What it leaves to others: all byte-level MP4 and playlist text handling (`onair-media`), the wire
//! contract's types, paths and names (`onair-protocol`), capture and encoding (the broadcaster), playback
//! (the player), the pages (the web app).
//!
//! Layout: [`serve`] opens an [`AppState`] and serves [`app`], the router of [`routes`] (one module per
//! surface: `api`, `upload`, `push`, `playback`, `web`, with `credential`, `body` and `rate` for the
//! uploads). Handlers call the [`origin::Origin`] (one file per job: settings, start-up recovery,
//! streams, uploads, playback, waiting), which joins [`store`] and [`live`]. Errors are [`AppError`],
//! the one place domain errors meet HTTP statuses, answered as JSON.
#![warn(missing_docs)]

pub mod audience;
pub mod cache;
pub mod digest;
pub mod error;
pub mod live;
pub mod metrics;
pub mod names;
pub mod origin;
pub mod owner_token;
pub mod playlist;
pub mod refused;
pub mod routes;
pub mod secret;
pub mod store;
pub mod stream_key;
pub mod thumbnails;
pub mod time;
pub mod transcode;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;

use audience::{Countries, TrustedProxies};
pub use error::{AppError, AppResult};
use metrics::Metrics;
pub use origin::{Origin, Settings, UploadRate};

/// Where to listen and where the files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Address to listen on (`--listen`, `ONAIR_LISTEN`, default `127.0.0.1:8080`).
    pub listen: SocketAddr,
    /// Directory of `onair.db` and `streams/` (`--data-dir`, `ONAIR_DATA_DIR`, default `data`).
    pub data_dir: PathBuf,
    /// The built web app (`--web-dir`, `ONAIR_WEB_DIR`, default `dist`).
    pub web_dir: PathBuf,
    /// An IP-to-country MMDB file for where viewers watch from (`--geoip-db`, `ONAIR_GEOIP_DB`; none:
    /// countries unknown).
    pub geoip_db: Option<PathBuf>,
    /// Whose `X-Forwarded-For` is believed (`--trusted-proxies`, `ONAIR_TRUSTED_PROXIES`, default
    /// loopback and the private ranges).
    pub trusted_proxies: TrustedProxies,
    /// Days a recording is kept after its stream ended (`--retention-days`, `ONAIR_RETENTION_DAYS`;
    /// none: until its owner deletes it).
    pub retention_days: Option<u64>,
    /// The ffmpeg that decodes thumbnails for streams without snapshots (`--ffmpeg`, `ONAIR_FFMPEG`,
    /// default `ffmpeg` from `PATH`; `none`: off).
    pub ffmpeg: Option<PathBuf>,
    /// Lower rungs for streams with one video rendition, made with that ffmpeg (`--transcode-ladder`,
    /// `--max-transcodes`; [`transcode`]). `None` (the default here; the binary's is on): off.
    pub transcode: Option<transcode::TranscodeSettings>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            web_dir: PathBuf::from("dist"),
            geoip_db: None,
            trusted_proxies: TrustedProxies::default(),
            retention_days: None,
            ffmpeg: Some(PathBuf::from("ffmpeg")),
            transcode: None,
        }
    }
}

/// What every handler can reach. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    origin: Arc<Origin>,
    web_dir: PathBuf,
    countries: Arc<Countries>,
    trusted_proxies: TrustedProxies,
    metrics: Arc<Metrics>,
}

impl AppState {
    /// Opens the data directory with the default [`Settings`] and the config's retention (see
    /// [`Origin::open`]).
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        let settings = Settings {
            recording_retention: config
                .retention_days
                .map(|days| Duration::from_secs(days.saturating_mul(24 * 3600))),
            ffmpeg: config.ffmpeg.clone(),
            transcode: config.transcode.clone(),
            ..Settings::default()
        };
        Self::open_with(config, settings).await
    }

    /// Opens the data directory with the given settings.
    pub async fn open_with(config: &Config, settings: Settings) -> anyhow::Result<Self> {
        let data_dir = config.data_dir.clone();
        let origin = tokio::task::spawn_blocking(move || Origin::open(&data_dir, settings))
            .await
            .context("opening the data directory panicked")??;
        let countries = match config.geoip_db.clone() {
            Some(path) => tokio::task::spawn_blocking(move || {
                Countries::open(&path).with_context(|| format!("reading {}", path.display()))
            })
            .await
            .context("reading the GeoIP database panicked")??,
            None => Countries::none(),
        };
        Ok(Self {
            origin: Arc::new(origin),
            web_dir: config.web_dir.clone(),
            countries: Arc::new(countries),
            trusted_proxies: config.trusted_proxies.clone(),
            metrics: Arc::new(Metrics::default()),
        })
    }

    /// Countries of viewers' addresses.
    pub fn countries(&self) -> &Countries {
        &self.countries
    }

    /// Whose `X-Forwarded-For` is believed.
    pub fn trusted_proxies(&self) -> &TrustedProxies {
        &self.trusted_proxies
    }

    /// The request counters of `/metrics`.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The origin.
    pub fn origin(&self) -> &Arc<Origin> {
        &self.origin
    }

    /// The web app's directory.
    pub fn web_dir(&self) -> &Path {
        &self.web_dir
    }
}

/// The whole HTTP application, without a socket (tests call it with `oneshot`).
pub fn app(state: AppState) -> Router {
    routes::router(state)
}

/// Serves until ctrl-c (or SIGTERM), then finishes the requests in flight.
pub async fn serve(listener: tokio::net::TcpListener, config: Config) -> anyhow::Result<()> {
    serve_with_shutdown(listener, config, shutdown_signal()).await
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve_with_shutdown(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = AppState::open(&config).await?;
    tracing::info!(
        data_dir = %config.data_dir.display(),
        web_dir = %config.web_dir.display(),
        "onair opened its data"
    );
    let router = app(state.clone());
    serve_app(listener, state, router, shutdown).await
}

/// How long a shutdown waits for requests in flight (an encoder's PUT lasts as long as a segment).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `router` (normally [`app`] of `state`, perhaps wrapped in more layers, as the end-to-end tests
/// do to count requests) with the idle reaper of `state`, until `shutdown` completes; then finishes the
/// requests in flight, for at most [`SHUTDOWN_GRACE`].
///
/// HTTP/1 and HTTP/2 (prior knowledge) as `axum::serve` does, plus HTTP/1 half-close: ffmpeg's HTTP
/// client (`-method PUT`) sends a request's headers when it opens a file, the body when it closes it, and
/// then shuts down its side of the connection before it reads the answer. Without half-close support the
/// server takes that end-of-stream for a client that went away and drops the request unanswered, which
/// is why an ffmpeg push used to lose its uploads.
pub async fn serve_app(
    listener: tokio::net::TcpListener,
    state: AppState,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;

    let reaper = state.origin().spawn_idle_reaper();
    let recorder = audience::recorder::spawn(Arc::clone(state.origin()));
    let (stop_transcoding, transcoding_stopped) = tokio::sync::oneshot::channel::<()>();
    let transcoder = tokio::spawn(transcode::supervisor::start_requested(
        Arc::clone(state.origin()),
        async move {
            let _ = transcoding_stopped.await;
        },
    ));
    let address = listener
        .local_addr()
        .context("reading the listening address")?;
    tracing::info!(%address, "onair listening");

    let max_connections = state.origin().settings().max_connections;
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .half_close(true)
        .timer(TokioTimer::new())
        .header_read_timeout(state.origin().settings().request_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        // Forget finished connections.
        while connections.try_join_next().is_some() {}
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if connections.len() >= max_connections {
            // Closing at once tells the client to go elsewhere (or retry) instead of queueing it.
            tracing::warn!(%peer, max_connections, "connection limit reached: closing a new connection");
            drop(stream);
            continue;
        }
        // Small playlist answers should not wait for Nagle.
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(%peer, error = %err, "cannot set TCP_NODELAY");
        }
        // The peer's address for the handlers (`ConnectInfo`): where a viewer watches from.
        let service = TowerToHyperService::new(tower::ServiceExt::map_request(
            router.clone(),
            move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                request
            },
        ));
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        connections.spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%peer, error = %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tracing::info!("stopped accepting; finishing requests in flight");
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still in flight after {} s: closing them",
            SHUTDOWN_GRACE.as_secs()
        );
    }
    connections.shutdown().await;
    reaper.abort();
    recorder.abort();
    // Its transcodes with it: ended, their ffmpegs killed, before this returns.
    let _ = stop_transcoding.send(());
    if tokio::time::timeout(Duration::from_secs(5), transcoder)
        .await
        .is_err()
    {
        tracing::warn!("transcodes still ending after 5 s");
    }
    // What the audience did since the last tick.
    audience::recorder::record_once(state.origin(), tokio::time::Instant::now()).await;
    tracing::info!("onair stopped");
    Ok(())
}

/// Completes on ctrl-c, or on SIGTERM on unix.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
