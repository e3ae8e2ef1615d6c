//! A reverse proxy in front of the origin that answers errors on demand ([`FaultProxy`]): what a
//! misbehaving CDN or a restarting origin looks like to a player, for the recovery tests.

use anyhow::{Context, Result};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// One fault: `status` for requests whose path starts with `prefix`, until `until`.
#[derive(Debug, Clone)]
struct Fault {
    status: u16,
    prefix: String,
    until: Instant,
}

struct Shared {
    upstream: SocketAddr,
    client: Client<HttpConnector, Body>,
    fault: Mutex<Option<Fault>>,
    injected: AtomicU64,
}

/// A reverse proxy on 127.0.0.1 (ephemeral port) to `upstream`, passing every request and streaming
/// every answer through, except while a fault is set ([`FaultProxy::fail`]).
pub struct FaultProxy {
    /// Where it listens.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Starts the proxy in front of `upstream`.
    pub async fn start(upstream: SocketAddr) -> Result<FaultProxy> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream,
            client: Client::builder(TokioExecutor::new()).build_http(),
            fault: Mutex::new(None),
            injected: AtomicU64::new(0),
        });
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FaultProxy { addr, shared, task })
    }

    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answers `status` (empty body) to every request whose path starts with `prefix`, for `period`.
    pub fn fail(&self, status: u16, prefix: &str, period: Duration) {
        *self
            .shared
            .fault
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Fault {
            status,
            prefix: prefix.to_owned(),
            until: Instant::now() + period,
        });
    }

    /// How many requests got an injected error so far.
    pub fn injected(&self) -> u64 {
        self.shared.injected.load(Ordering::Relaxed)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The status to answer `path` with now, if a fault covers it.
fn fault_for(shared: &Shared, path: &str) -> Option<u16> {
    let fault = shared
        .fault
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()?;
    (Instant::now() < fault.until && path.starts_with(&fault.prefix)).then_some(fault.status)
}

async fn forward(State(shared): State<Arc<Shared>>, mut request: Request) -> Response {
    if let Some(status) = fault_for(&shared, request.uri().path()) {
        shared.injected.fetch_add(1, Ordering::Relaxed);
        let status = axum::http::StatusCode::from_u16(status)
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        return (status, "injected by the test proxy").into_response();
    }
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let uri = format!("http://{}{path}", shared.upstream);
    match uri.parse().context("proxied URI") {
        Ok(uri) => *request.uri_mut() = uri,
        Err(e) => return (axum::http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
    match shared.client.request(request).await {
        Ok(response) => {
            let mut response = response.map(Body::new);
            // Hop-by-hop: this proxy frames its own answer.
            for name in ["transfer-encoding", "connection", "keep-alive"] {
                response.headers_mut().remove(name);
            }
            response
        }
        Err(e) => (axum::http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}
