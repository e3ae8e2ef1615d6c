//! The streams API: `POST /api/streams` (create; [`crate::Settings::creation_burst`] per client
//! address, then one per period: 429), `GET /api/streams` (the live directory),
//! `GET /api/recordings` (ended streams that still have media),
//! `GET /api/streams/{id}`, `PATCH` and `DELETE /api/streams/{id}` (owner), `POST
//! /api/streams/{id}/key` (owner: a new stream key), and JSON 404s for every
//! other `/api/...` path. The audience's routes (beacons, analytics) are in [`super::audience`]. The
//! bodies are the wire contract's ([`onair_protocol::api`]).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{any, get, post};
use axum::{Extension, Json, Router};
use onair_protocol::{
    paths, CreateStreamRequest, CreatedStream, RotatedKey, StreamList, StreamView,
    UpdateStreamRequest,
};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::error::{AppError, AppResult};
use crate::names::StreamId;
use crate::origin::{Origin, Settings};
use crate::routes::credential::{ClientAddress, OwnedStream};
use crate::routes::per_address::AddressLimit;
use crate::routes::security::require_json;
use crate::store::StreamRecord;
use crate::AppState;

/// Stream creations allowed per client address ([`crate::Settings::creation_burst`]).
#[derive(Debug, Clone)]
pub struct CreationLimit(pub AddressLimit);

/// The streams API routes.
pub fn router(settings: &Settings) -> Router<AppState> {
    let creations = CreationLimit(AddressLimit::new(
        settings.creation_burst,
        settings.creation_period,
        "streams created from this address",
    ));
    Router::new()
        .route(paths::STREAMS, get(list_streams).post(create_stream))
        .route(paths::RECORDINGS, get(list_recordings))
        .route(
            paths::ROUTE_STREAM,
            get(get_stream).patch(update_stream).delete(delete_stream),
        )
        .route(paths::ROUTE_KEY, post(rotate_key))
        .route("/api/{*rest}", any(unknown_api))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_JSON_BYTES))
        .layer(Extension(creations))
}

/// Largest JSON body of the streams API (a creation or an edit is a few hundred bytes).
pub const MAX_JSON_BYTES: usize = 16 * 1024;

/// A stream as the public sees it (no secrets), with its viewers now.
pub fn stream_view(origin: &Origin, record: &StreamRecord) -> StreamView {
    StreamView {
        id: record.id.to_string(),
        title: record.title.clone(),
        description: record.description.clone(),
        tags: record.tags.clone(),
        category: record.category.clone(),
        viewers: origin.audience().viewers(&record.id, Instant::now()),
        status: record.status,
        created_at: record.created_at,
        started_at: record.started_at,
        ended_at: record.ended_at,
        playback_url: paths::playback(record.id.as_str()),
        watch_url: paths::watch_page(record.id.as_str()),
        thumbnail_url: origin
            .thumbnail_version(&record.id)
            .map(|v| format!("{}?v={v}", paths::thumbnail(record.id.as_str()))),
    }
}

/// A JSON body; an empty one is the default value. 400 for anything else that does not parse.
pub fn json_body<T: DeserializeOwned + Default>(body: &[u8]) -> AppResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse_json(body, "JSON body")
}

/// A JSON body that must be there: 400 `invalid {what}: ...` when it does not parse.
pub fn parse_json<T: DeserializeOwned>(body: &[u8], what: &str) -> AppResult<T> {
    serde_json::from_slice(body)
        .map_err(|err| AppError::bad_request(format!("invalid {what}: {err}")))
}

async fn create_stream(
    State(state): State<AppState>,
    Extension(limit): Extension<CreationLimit>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<(StatusCode, Json<CreatedStream>)> {
    require_json(&headers, &body)?;
    let request: CreateStreamRequest = json_body(&body)?;
    limit.0.check(client)?;
    let created = state.origin().create_stream(request).await?;
    let id = created.record.id.as_str();
    Ok((
        StatusCode::CREATED,
        Json(CreatedStream {
            id: id.to_owned(),
            stream_key: created.key.expose().to_owned(),
            owner_token: created.owner.expose().to_owned(),
            title: created.record.title.clone(),
            watch_url: paths::watch_page(id),
            playback_url: paths::playback(id),
        }),
    ))
}

async fn list_streams(State(state): State<AppState>) -> Json<StreamList> {
    let origin = state.origin();
    let streams = origin
        .live_streams()
        .iter()
        .map(|record| stream_view(origin, record))
        .collect();
    Json(StreamList { streams })
}

async fn list_recordings(State(state): State<AppState>) -> Json<StreamList> {
    let origin = state.origin();
    let streams = origin
        .recordings()
        .iter()
        .map(|record| stream_view(origin, record))
        .collect();
    Json(StreamList { streams })
}

async fn get_stream(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<StreamView>> {
    let id = StreamId::parse(&id)?;
    let record = state.origin().stream_record(&id)?;
    Ok(Json(stream_view(state.origin(), &record)))
}

async fn update_stream(
    State(state): State<AppState>,
    owned: OwnedStream,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Json<StreamView>> {
    require_json(&headers, &body)?;
    let request: UpdateStreamRequest = json_body(&body)?;
    let record = state.origin().update_stream(&owned.stream, request).await?;
    Ok(Json(stream_view(state.origin(), &record)))
}

async fn rotate_key(
    State(state): State<AppState>,
    owned: OwnedStream,
) -> AppResult<Json<RotatedKey>> {
    let key = state.origin().rotate_key(&owned.stream).await?;
    Ok(Json(RotatedKey {
        stream_key: key.expose().to_owned(),
    }))
}

async fn delete_stream(State(state): State<AppState>, owned: OwnedStream) -> AppResult<StatusCode> {
    state.origin().delete_stream(&owned.stream).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn unknown_api() -> AppError {
    AppError::not_found("API route")
}
