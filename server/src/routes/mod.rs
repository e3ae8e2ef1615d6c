//! HTTP routes. Each module returns its own `Router<AppState>`; [`router`] merges them and adds the
//! layers shared by all.
//!
//! Layers, outermost first (see "Ordering" in axum's middleware docs):
//! 1. tracing sees every request and every response, refusals included (its span names the path with
//!    an ingest path's stream key redacted, [`redact_path`]);
//! 2. the refusal handler turns a layer's error into a JSON answer ([`refusal`]);
//! 3. load shedding with a concurrency limit: past [`crate::Settings::max_concurrent_requests`] requests in
//!    flight, a request is refused at once with 503 (and `Retry-After`) instead of queueing;
//! 4. the timeout bounds each request, body upload included (408);
//! 5. the metrics count each answer by route pattern ([`crate::metrics::track`]);
//! 6. the security headers and the refusal of cross-site writes ([`security`]).
//!
//! Upload routes ([`upload`] for the broadcaster under `/api/streams`, [`push`] for standard encoders under
//! `/ingest`) add their own: the
//! upload rate per stream key (429, [`rate`]), the body size limit (413) and a smaller concurrency limit
//! of their own, so that uploads cannot take every
//! slot from viewers. Playback ([`playback`]) adds CORS and gzip for playlists. Each refusal is a JSON
//! `{"error": reason}` with its status.

pub mod api;
pub mod audience;
pub mod blog;
pub mod body;
pub mod contact;
pub mod credential;
pub mod per_address;
pub mod playback;
pub mod player;
pub mod push;
pub mod rate;
pub mod security;
pub mod share;
pub mod upload;
pub mod web;

use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::{BoxError, Router};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::ServiceBuilder;
use tower_http::trace::TraceLayer;

use crate::error::AppError;
use crate::origin::SegmentStored;
use crate::AppState;

/// The application: every route module merged, the web app as the fallback, shared layers on top.
pub fn router(state: AppState) -> Router {
    let settings = state.origin().settings().clone();
    let uploads_limit = settings.max_concurrent_uploads;
    let uploads = Router::new()
        .merge(upload::router())
        .merge(push::router())
        .layer(DefaultBodyLimit::max(settings.max_upload_bytes))
        .layer(axum::middleware::from_fn_with_state(
            rate::KeyBuckets::new(settings.upload_rate, settings.max_uploads_per_key),
            rate::limit_upload_rate,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(move |err: BoxError| async move {
                    refusal(err, "uploads", uploads_limit, None)
                }))
                .load_shed()
                // Global: one semaphore shared by every upload route (a plain concurrency limit would
                // get one per route).
                .layer(GlobalConcurrencyLimitLayer::new(uploads_limit)),
        );
    let requests_limit = settings.max_concurrent_requests;
    let timeout = settings.request_timeout;
    let metrics = std::sync::Arc::clone(state.metrics());
    Router::new()
        .merge(api::router(&settings))
        .merge(audience::router())
        .merge(contact::router())
        .merge(blog::router())
        .merge(share::router())
        .merge(uploads)
        .nest(playback::PREFIX, playback::router())
        .nest(
            onair_protocol::paths::PLAYER,
            player::router(state.web_dir()),
        )
        .fallback_service(web::service(state.web_dir()))
        .layer(axum::middleware::from_fn_with_state(
            security::AppPolicy::new(state.web_dir()),
            security::protect,
        ))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            crate::metrics::track,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(TraceLayer::new_for_http().make_span_with(request_span))
                .layer(HandleErrorLayer::new(move |err: BoxError| async move {
                    refusal(err, "requests", requests_limit, Some(timeout))
                }))
                .load_shed()
                .layer(GlobalConcurrencyLimitLayer::new(requests_limit))
                .timeout(timeout),
        )
        .with_state(state)
}

/// The trace span of a request: its method and path, with the stream key of an `/ingest/{stream_key}/`
/// path replaced by `***` (the key is a credential; no log line or span may hold it). Queries are left
/// out (a playlist's delivery directives are in the access logs of any cache in front).
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::debug_span!(
        "request",
        method = %request.method(),
        path = %redact_path(request.uri().path()),
    )
}

/// `path` with the key of an ingest path (`/ingest/{stream_key}/...`) replaced by `***`.
pub fn redact_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix("/ingest/") {
        Some(rest) => {
            let after_key = rest.find('/').map_or("", |slash| &rest[slash..]);
            std::borrow::Cow::Owned(format!("/ingest/***{after_key}"))
        }
        None => std::borrow::Cow::Borrowed(path),
    }
}

/// The status of an upload that was stored ([`upload`], [`push`]): 201 for a new segment or part, 200 for
/// the same one again.
pub fn created_or_ok(stored: SegmentStored) -> axum::http::StatusCode {
    match stored {
        SegmentStored::New => axum::http::StatusCode::CREATED,
        SegmentStored::Duplicate => axum::http::StatusCode::OK,
    }
}

/// The answer for a request a layer refused: 503 when `limit` `what` are already in flight, 408 when
/// it ran past `timeout`.
pub fn refusal(err: BoxError, what: &str, limit: usize, timeout: Option<Duration>) -> AppError {
    if err.is::<tower::load_shed::error::Overloaded>() {
        AppError::Overloaded {
            reason: format!("{limit} {what} in flight, the most this server takes at once"),
        }
    } else if err.is::<tower::timeout::error::Elapsed>() {
        AppError::Timeout {
            secs: timeout.map_or(0, |t| t.as_secs()),
        }
    } else {
        AppError::Internal(format!("middleware: {err}"))
    }
}
