//! The streams API: `POST /api/streams`, `GET /api/streams`, `GET /api/streams/{id}`, and JSON 404s for
//! every other `/api/...` path. The bodies are the wire contract's ([`onair_protocol::api`]).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{any, get};
use axum::{Json, Router};
use onair_protocol::{paths, CreateStreamRequest, CreatedStream, StreamList, StreamView};

use crate::error::{AppError, AppResult};
use crate::names::StreamId;
use crate::store::StreamRecord;
use crate::AppState;

/// The streams API routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::STREAMS, get(list_streams).post(create_stream))
        .route(paths::ROUTE_STREAM, get(get_stream))
        .route("/api/{*rest}", any(unknown_api))
}

/// A stream as the public sees it (no key).
pub fn stream_view(record: &StreamRecord) -> StreamView {
    StreamView {
        id: record.id.to_string(),
        title: record.title.clone(),
        status: record.status,
        created_at: record.created_at,
        started_at: record.started_at,
        ended_at: record.ended_at,
        playback_url: paths::playback(record.id.as_str()),
        watch_url: paths::watch_page(record.id.as_str()),
    }
}

async fn create_stream(
    State(state): State<AppState>,
    body: Bytes,
) -> AppResult<(StatusCode, Json<CreatedStream>)> {
    let request: CreateStreamRequest = if body.iter().all(u8::is_ascii_whitespace) {
        CreateStreamRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|err| AppError::bad_request(format!("invalid JSON body: {err}")))?
    };
    let (record, key) = state.origin().create_stream(request.title).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedStream {
            id: record.id.to_string(),
            stream_key: key.expose().to_owned(),
            title: record.title.clone(),
            watch_url: paths::watch_page(record.id.as_str()),
            playback_url: paths::playback(record.id.as_str()),
        }),
    ))
}

async fn list_streams(State(state): State<AppState>) -> Json<StreamList> {
    let streams = state
        .origin()
        .live_streams()
        .iter()
        .map(stream_view)
        .collect();
    Json(StreamList { streams })
}

async fn get_stream(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<StreamView>> {
    let id = StreamId::parse(&id)?;
    let record = state.origin().stream_record(&id)?;
    Ok(Json(stream_view(&record)))
}

async fn unknown_api() -> AppError {
    AppError::not_found("API route")
}
