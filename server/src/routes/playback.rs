//! Playback, open to any origin (CORS `*`) and without authentication:
//!
//! - `GET /live/{id}/index.m3u8`: multivariant playlist (404 until a rendition has a segment)
//! - `GET /live/{id}/{rendition}/index.m3u8`: media playlist
//! - `GET /live/{id}/{rendition}/init.mp4` and `/{msn}.m4s`: media
//!
//! Cache lifetimes are set per kind of resource in [`cache_control`].

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::cors::{Any, CorsLayer};

use crate::error::{AppError, AppResult};
use crate::names::{parse_segment_file_name, RenditionName, StreamId};
use crate::origin::RenderedPlaylist;
use crate::store::files::INIT_FILE_NAME;
use crate::AppState;

/// `Content-Type` of playlists.
pub const PLAYLIST_CONTENT_TYPE: &str = "application/vnd.apple.mpegurl";
/// `Content-Type` of init segments.
pub const INIT_CONTENT_TYPE: &str = "video/mp4";
/// `Content-Type` of media segments.
pub const SEGMENT_CONTENT_TYPE: &str = "video/iso.segment";
/// File name of every playlist.
pub const PLAYLIST_FILE_NAME: &str = "index.m3u8";

/// The kinds of playback resources, for their cache lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// A playlist of a stream that is not over: it changes with every segment.
    LivePlaylist,
    /// A playlist of an ended stream: final.
    EndedPlaylist,
    /// An init or media segment: its URL never names other bytes.
    Media,
}

/// `Cache-Control` for a kind of resource.
///
/// Live playlists change every segment, so a CDN may keep them only for a second (a blocking-reload
/// aware lifetime comes with LL-HLS). Ended playlists and media never change.
pub fn cache_control(resource: Resource) -> HeaderValue {
    HeaderValue::from_static(match resource {
        Resource::LivePlaylist => "public, max-age=1",
        Resource::EndedPlaylist => "public, max-age=3600",
        Resource::Media => "public, max-age=31536000, immutable",
    })
}

/// Where [`router`] is nested.
pub const PREFIX: &str = "/live";

/// The playback routes, relative to [`PREFIX`], with CORS open to every origin and a JSON 404 for every
/// other path under it.
pub fn router() -> Router<AppState> {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers(Any);
    Router::new()
        .route("/{id}/index.m3u8", get(multivariant))
        .route("/{id}/{rendition}/{file}", get(rendition_file))
        .fallback(unknown)
        .layer(cors)
}

async fn multivariant(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = StreamId::parse(&id)?;
    let playlist = state.origin().multivariant_playlist(&id)?;
    Ok(playlist_response(playlist))
}

async fn rendition_file(
    State(state): State<AppState>,
    Path((id, rendition, file)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let id = StreamId::parse(&id)?;
    let rendition = RenditionName::parse(&rendition)
        .map_err(|_| AppError::not_found(format!("rendition {rendition:?}")))?;
    let origin = state.origin();
    if file == PLAYLIST_FILE_NAME {
        let playlist = origin.media_playlist(&id, &rendition)?;
        return Ok(playlist_response(playlist));
    }
    if file == INIT_FILE_NAME {
        let init = origin.init_segment(&id, &rendition)?;
        return Ok(media_response(INIT_CONTENT_TYPE, init));
    }
    let msn = parse_segment_file_name(&file)
        .ok_or_else(|| AppError::not_found(format!("file {file:?}")))?;
    let segment = origin.media_segment(&id, &rendition, msn).await?;
    Ok(media_response(SEGMENT_CONTENT_TYPE, segment))
}

async fn unknown() -> AppError {
    AppError::not_found("playback resource")
}

fn playlist_response(playlist: RenderedPlaylist) -> Response {
    let resource = if playlist.ended {
        Resource::EndedPlaylist
    } else {
        Resource::LivePlaylist
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(PLAYLIST_CONTENT_TYPE),
            ),
            (header::CACHE_CONTROL, cache_control(resource)),
        ],
        playlist.text,
    )
        .into_response()
}

fn media_response(content_type: &'static str, body: Bytes) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, cache_control(Resource::Media)),
        ],
        body,
    )
        .into_response()
}
