//! The audience's routes: `POST /api/streams/{id}/beacons` (any player; 204) and
//! `GET /api/streams/{id}/analytics` (owner only), and `GET /metrics`.
//!
//! Beacons come from every viewer's page, often another site's (the embed), as `text/plain` bodies
//! (`navigator.sendBeacon`), so they need no CORS preflight; the answer still carries
//! `Access-Control-Allow-Origin: *` for players that use `fetch`. A beacon body is at most
//! [`MAX_BEACON_BYTES`]; a beacon for a stream that is not live is taken and ignored (a player of a
//! recording is no live viewer).

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use onair_protocol::{paths, PlaybackBeacon, StreamAnalytics, StreamStatus};
use tokio::time::Instant;

use crate::audience::report;
use crate::error::{AppError, AppResult};
use crate::names::StreamId;
use crate::routes::api::parse_json;
use crate::routes::credential::{ClientAddress, OwnedStream};
use crate::time::now_unix_secs;
use crate::AppState;

/// Largest beacon body.
pub const MAX_BEACON_BYTES: usize = 4096;

/// The audience's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            paths::ROUTE_BEACONS,
            post(beacon)
                .options(preflight)
                .layer(DefaultBodyLimit::max(MAX_BEACON_BYTES)),
        )
        .route(paths::ROUTE_ANALYTICS, get(analytics))
        .route(paths::METRICS, get(metrics))
}

async fn beacon(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ClientAddress(client): ClientAddress,
    body: Bytes,
) -> AppResult<Response> {
    let id = StreamId::parse(&id)?;
    let record = state.origin().stream_record(&id)?;
    let beacon: PlaybackBeacon = parse_json(&body, "beacon")?;
    if record.status == StreamStatus::Live {
        let country = state.countries().country(client);
        state
            .origin()
            .audience()
            .record(
                &id,
                &beacon,
                (Some(client), country),
                Instant::now(),
                now_unix_secs(),
            )
            .map_err(|refused| AppError::bad_request(refused.to_string()))?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
    )
        .into_response())
}

/// CORS preflight of a `fetch` beacon with a JSON content type.
async fn preflight() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::ACCESS_CONTROL_ALLOW_METHODS, "POST"),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, "content-type"),
            (header::ACCESS_CONTROL_MAX_AGE, "86400"),
        ],
    )
        .into_response()
}

async fn analytics(
    State(state): State<AppState>,
    owned: OwnedStream,
) -> AppResult<Json<StreamAnalytics>> {
    let origin = state.origin();
    // What memory holds but the recorder has not written yet is written first.
    crate::audience::recorder::record_once(origin, Instant::now()).await;
    let sessions = origin.db().sessions(&owned.id).await?;
    let samples = origin.db().samples(&owned.id).await?;
    let now = origin.audience().viewers(&owned.id, Instant::now());
    Ok(Json(report::analytics(&sessions, &samples, now)))
}

async fn metrics(State(state): State<AppState>) -> Response {
    crate::metrics::answer(state.metrics(), state.origin())
}
