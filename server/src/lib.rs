//! # onair-server
//!
//! OnAir's origin: the HTTP server between the browser broadcaster and the players.
//!
//! What it owns:
//! - the streams API (create, list, look up, end) and stream keys ([`routes::api`], [`routes::ingest`]);
//! - upload validation: every init segment and media segment is parsed with `onair-media` and checked
//!   against the stream's rules before anything is stored ([`live::rendition`]);
//! - storage: stream metadata in SQLite and media files on disk, written atomically ([`store`]);
//! - the in-memory live state and the playlists rendered from it as pure functions ([`live`],
//!   [`playlist`]), served under `/live/...` with CORS and cache headers ([`routes::playback`]);
//! - serving the built web app with an SPA fallback ([`routes::web`]).
//!
//! What it leaves to others: all byte-level MP4 and playlist text handling (`onair-media`), capture and
//! encoding (the broadcaster), playback (the player), the pages (the web app).
//!
//! Layout: [`serve`] opens an [`AppState`] and serves [`app`]; handlers call the [`origin::Origin`], which
//! joins [`store`] and [`live`]. Errors are [`AppError`], answered as JSON.
#![warn(missing_docs)]

pub mod error;
pub mod live;
pub mod names;
pub mod origin;
pub mod playlist;
pub mod routes;
pub mod store;
pub mod time;

#[cfg(test)]
#[path = "../tests/common/media.rs"]
#[allow(dead_code)]
mod test_media;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;

pub use error::{AppError, AppResult};
pub use origin::{Origin, Settings};

/// Where to listen and where the files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Address to listen on (`--listen`, `ONAIR_LISTEN`, default `127.0.0.1:8080`).
    pub listen: SocketAddr,
    /// Directory of `onair.db` and `streams/` (`--data-dir`, `ONAIR_DATA_DIR`, default `data`).
    pub data_dir: PathBuf,
    /// The built web app (`--web-dir`, `ONAIR_WEB_DIR`, default `dist`).
    pub web_dir: PathBuf,
}

/// What every handler can reach. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    origin: Arc<Origin>,
    web_dir: PathBuf,
}

impl AppState {
    /// Opens the data directory with the default [`Settings`] (see [`Origin::open`]).
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        Self::open_with(config, Settings::default()).await
    }

    /// Opens the data directory with the given settings.
    pub async fn open_with(config: &Config, settings: Settings) -> anyhow::Result<Self> {
        let data_dir = config.data_dir.clone();
        let origin = tokio::task::spawn_blocking(move || Origin::open(&data_dir, settings))
            .await
            .context("opening the data directory panicked")??;
        Ok(Self {
            origin: Arc::new(origin),
            web_dir: config.web_dir.clone(),
        })
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
    let reaper = state.origin().spawn_idle_reaper();
    let address = listener
        .local_addr()
        .context("reading the listening address")?;
    tracing::info!(
        %address,
        data_dir = %config.data_dir.display(),
        web_dir = %config.web_dir.display(),
        "onair listening"
    );
    let served = axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP");
    reaper.abort();
    tracing::info!("onair stopped");
    served
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
