//! The streams API: `POST /api/streams`, `GET /api/streams`, `GET /api/streams/{id}`, and JSON 404s for
//! every other `/api/...` path.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{any, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::names::StreamId;
use crate::store::StreamRecord;
use crate::AppState;

/// The streams API routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/streams", get(list_streams).post(create_stream))
        .route("/api/streams/{id}", get(get_stream))
        .route("/api/{*rest}", any(unknown_api))
}

/// Body of `POST /api/streams`; an empty body is allowed too.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateStream {
    /// Title shown to viewers; defaults to "Untitled stream".
    #[serde(default)]
    pub title: Option<String>,
}

/// Answer to `POST /api/streams`: the only time the stream key is shown.
#[derive(Debug, Serialize, Deserialize)]
pub struct CreatedStream {
    /// Public id.
    pub id: String,
    /// Secret for the uploads (`Authorization: Bearer`).
    pub stream_key: String,
    /// Title.
    pub title: String,
    /// Page to watch it: `/watch/{id}`.
    pub watch_url: String,
    /// Multivariant playlist: `/live/{id}/index.m3u8`.
    pub playback_url: String,
}

/// A stream as the public sees it (no key).
#[derive(Debug, Serialize, Deserialize)]
pub struct StreamView {
    /// Public id.
    pub id: String,
    /// Title.
    pub title: String,
    /// `created`, `live` or `ended`.
    pub status: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the first segment.
    pub started_at: Option<i64>,
    /// Unix seconds of the end.
    pub ended_at: Option<i64>,
    /// Multivariant playlist.
    pub playback_url: String,
    /// Watch page.
    pub watch_url: String,
}

/// Answer to `GET /api/streams`.
#[derive(Debug, Serialize, Deserialize)]
pub struct StreamList {
    /// Live streams, newest first.
    pub streams: Vec<StreamView>,
}

fn watch_url(id: &StreamId) -> String {
    format!("/watch/{id}")
}

/// Where a stream's multivariant playlist is.
pub fn playback_url(id: &StreamId) -> String {
    format!("/live/{id}/index.m3u8")
}

impl From<&StreamRecord> for StreamView {
    fn from(record: &StreamRecord) -> Self {
        Self {
            id: record.id.to_string(),
            title: record.title.clone(),
            status: record.status.to_string(),
            created_at: record.created_at,
            started_at: record.started_at,
            ended_at: record.ended_at,
            playback_url: playback_url(&record.id),
            watch_url: watch_url(&record.id),
        }
    }
}

async fn create_stream(
    State(state): State<AppState>,
    body: Bytes,
) -> AppResult<(StatusCode, Json<CreatedStream>)> {
    let request: CreateStream = if body.iter().all(u8::is_ascii_whitespace) {
        CreateStream::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|err| AppError::bad_request(format!("invalid JSON body: {err}")))?
    };
    let record = state.origin().create_stream(request.title).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedStream {
            id: record.id.to_string(),
            stream_key: record.stream_key.clone(),
            title: record.title.clone(),
            watch_url: watch_url(&record.id),
            playback_url: playback_url(&record.id),
        }),
    ))
}

async fn list_streams(State(state): State<AppState>) -> Json<StreamList> {
    let streams = state
        .origin()
        .live_streams()
        .iter()
        .map(StreamView::from)
        .collect();
    Json(StreamList { streams })
}

async fn get_stream(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<StreamView>> {
    let id = StreamId::parse(&id)?;
    let record = state.origin().stream_record(&id)?;
    Ok(Json(StreamView::from(&record)))
}

async fn unknown_api() -> AppError {
    AppError::not_found("API route")
}
