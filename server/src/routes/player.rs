//! The embeddable player under [`onair_protocol::paths::PLAYER`], from the web directory's `player/` (written by
//! `scripts/build-player.sh`): open to every origin (a site fetches the wasm cross-origin), its
//! gzip siblings sent as they are, and cache lifetimes by name. The scripts have stable names (the
//! snippet points at `onair-player.js`; the player starts `onair-transmux.js`, the TS transmuxer's
//! worker), so caches keep them for minutes; the wasm is named by its content, so caches keep it for
//! a year. A missing file is a 404, not the web app's page.

use std::path::Path;

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, Request, Response, StatusCode};
use axum::middleware::Next;
use axum::Router;
use tower_http::cors::{Any, CorsLayer};
use tower_http::services::ServeDir;

use crate::AppState;

/// `Cache-Control` of the script: a new release reaches pages within five minutes.
pub const SCRIPT_CACHE_CONTROL: &str = "public, max-age=300";
/// `Cache-Control` of the content-named files.
pub const IMMUTABLE_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// The player's routes, to nest at [`onair_protocol::paths::PLAYER`].
pub fn router(web_dir: &Path) -> Router<AppState> {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .vary([]);
    Router::new()
        .fallback_service(ServeDir::new(web_dir.join("player")).precompressed_gzip())
        .layer(axum::middleware::from_fn(cache_headers))
        .layer(cors)
}

async fn cache_headers(request: Request<Body>, next: Next) -> Response<Body> {
    // The scripts keep stable names (the snippet's, the transmuxer worker's); the wasm they load is
    // named by its content.
    let script = request.uri().path().ends_with(".js");
    let mut response = next.run(request).await;
    if !response.status().is_success() && response.status() != StatusCode::NOT_MODIFIED {
        return response;
    }
    let value = if script {
        SCRIPT_CACHE_CONTROL
    } else {
        IMMUTABLE_CACHE_CONTROL
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    // Pages that isolate themselves (COEP) may load it too.
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    response
}
