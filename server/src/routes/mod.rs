//! HTTP routes. Each module returns its own `Router<AppState>`; [`router`] merges them and adds the
//! layers shared by all.
//!
//! Layers, outermost first (see "Ordering" in axum's middleware docs): tracing sees every request and
//! every response, including timeouts; the timeout bounds each request, body upload included. Route
//! modules add their own: the upload body limit on [`ingest`] only, CORS on [`playback`] only.

pub mod api;
pub mod ingest;
pub mod playback;
pub mod web;

use axum::http::StatusCode;
use axum::Router;
use tower::ServiceBuilder;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;

/// The application: every route module merged, the web app as the fallback, shared layers on top.
pub fn router(state: AppState) -> Router {
    let settings = state.origin().settings().clone();
    Router::new()
        .merge(api::router())
        .merge(ingest::router(settings.max_upload_bytes))
        .nest(playback::PREFIX, playback::router())
        .fallback_service(web::service(state.web_dir()))
        .layer(
            ServiceBuilder::new()
                .layer(TraceLayer::new_for_http())
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    settings.request_timeout,
                )),
        )
        .with_state(state)
}
