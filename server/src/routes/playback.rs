//! Playback, open to any origin (CORS `*`) and without authentication:
//!
//! - `GET /live/{id}/index.m3u8`: multivariant playlist of the live playlists (404 until a rendition has
//!   a segment)
//! - `GET /live/{id}/{rendition}/index.m3u8`: live media playlist (the last segments; final with
//!   `EXT-X-ENDLIST` once the stream ends)
//! - `GET /live/{id}/recording.m3u8` and `/live/{id}/{rendition}/recording.m3u8`: the whole recording
//!   (VOD), once the stream has ended (404 before)
//! - `GET /live/{id}/recording.mp4`: the whole recording as one MP4 file to download, once ended
//! - `GET /live/{id}/thumbnail.jpg`: the stream's picture ([`crate::thumbnails`]), 404 until it has one
//! - `GET /live/{id}/{rendition}/init.mp4` and `/{msn}.m4s`: media
//! - `GET /live/{id}/{rendition}/{msn}.{index}.m4s`: a Low-Latency HLS part; the preload-hinted one is
//!   held until its upload starts, then streamed (chunked) while its bytes arrive
//! - a live media playlist takes the delivery directives `_HLS_msn`, `_HLS_part` (blocking reload) and
//!   `_HLS_skip` (delta update) of RFC 8216bis 6.2.5; a blocking answer is cacheable for six target
//!   durations under its own URL
//!
//! Every answer carries `Cache-Control` for its kind ([`crate::cache::cache_control`]), `ETag` and
//! `Last-Modified`, and honours `If-None-Match` / `If-Modified-Since` with 304. Media honours `Range`
//! (206, 416) and `If-Range`. Playlists are gzip-compressed for clients that accept it (a layer in
//! [`router`], for playlists only: media is already compressed). Refusals are JSON, cacheable for one
//! second when they are 404s and never when they are server errors.

use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::StreamExt as _;
use onair_protocol::{
    paths, ErrorBody, INIT_FILE, LIVE_PLAYLIST_FILE, RECORDING_DOWNLOAD_FILE,
    RECORDING_PLAYLIST_FILE, THUMBNAIL_FILE,
};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};

use crate::cache::{byte_range, cache_control, RangeAnswer, Resource, Validators};
use crate::error::{AppError, AppResult};
use crate::live::Arrival;
use crate::names::{parse_part_file_name, parse_segment_file_name, RenditionName, StreamId};
use crate::origin::{
    Directives, DownloadBody, PartMedia, PlaylistKind, RenderedPlaylist, StoredMedia,
};
use crate::thumbnails::Thumbnail;
use crate::AppState;

/// `Content-Type` of playlists.
pub const PLAYLIST_CONTENT_TYPE: &str = "application/vnd.apple.mpegurl";
/// `Content-Type` of init segments.
pub const INIT_CONTENT_TYPE: &str = "video/mp4";
/// `Content-Type` of media segments.
pub const SEGMENT_CONTENT_TYPE: &str = "video/iso.segment";
/// `Content-Type` of thumbnails.
pub const THUMBNAIL_CONTENT_TYPE: &str = "image/jpeg";
/// Where [`router`] is nested.
pub const PREFIX: &str = paths::LIVE;

/// Response headers a page on another origin may read: `Age` lets a player (hls.js, Appendix C of
/// RFC 8216bis) tell how stale a cached playlist is; the validators and ranges let it reason about
/// caching.
const EXPOSED_HEADERS: [HeaderName; 8] = [
    header::AGE,
    header::CACHE_CONTROL,
    header::CONTENT_LENGTH,
    header::CONTENT_RANGE,
    header::DATE,
    header::ETAG,
    header::LAST_MODIFIED,
    header::ACCEPT_RANGES,
];

/// The playback routes, relative to [`PREFIX`]: CORS open to every origin, gzip for playlists, and a
/// JSON 404 for every other path under it.
///
/// The CORS answer is the same for every origin, so no `Vary: Origin`: a shared cache keeps one copy.
pub fn router() -> Router<AppState> {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers(Any)
        .expose_headers(EXPOSED_HEADERS)
        .vary([]);
    // Only gzip is compiled in (the `compression-gzip` feature).
    let gzip_playlists = CompressionLayer::new().compress_when(is_playlist);
    Router::new()
        .route(paths::ROUTE_LIVE_STREAM_FILE, get(stream_file))
        .route(paths::ROUTE_LIVE_RENDITION_FILE, get(rendition_file))
        .fallback(unknown)
        .layer(gzip_playlists)
        .layer(axum::middleware::map_response(cacheable_not_found))
        .layer(cors)
}

/// Compress exactly the responses that are playlists.
fn is_playlist(
    _status: StatusCode,
    _version: axum::http::Version,
    headers: &HeaderMap,
    _extensions: &axum::http::Extensions,
) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PLAYLIST_CONTENT_TYPE.as_bytes())
}

/// A 404 under `/live` (a stream not started, a recording not ready) may be cached for a second, so
/// that a crowd waiting for a stream reaches the origin once a second. Other errors stay `no-store`.
async fn cacheable_not_found(mut response: Response) -> Response {
    if response.status() == StatusCode::NOT_FOUND {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, cache_control(Resource::Error));
    }
    response
}

async fn stream_file(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
    request: HeaderMap,
) -> AppResult<Response> {
    let id = StreamId::parse(&id)?;
    if file == RECORDING_DOWNLOAD_FILE {
        return download(state, id);
    }
    if file == THUMBNAIL_FILE {
        let (picture, ended) = state.origin().thumbnail(&id)?;
        return Ok(thumbnail_response(picture, ended, &request));
    }
    let kind = playlist_kind(&file)?;
    let playlist = state.origin().multivariant_playlist(&id, kind)?;
    Ok(playlist_response(playlist, false, &request))
}

async fn rendition_file(
    State(state): State<AppState>,
    Path((id, rendition, file)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    request: HeaderMap,
) -> AppResult<Response> {
    let id = StreamId::parse(&id)?;
    let rendition = RenditionName::parse(&rendition)
        .map_err(|_| AppError::not_found(format!("rendition {rendition:?}")))?;
    let origin = state.origin();
    if file == INIT_FILE {
        let init = origin.init_segment(&id, &rendition)?;
        return Ok(media_response(INIT_CONTENT_TYPE, init, &request));
    }
    if let Some(msn) = parse_segment_file_name(&file) {
        let segment = origin.media_segment(&id, &rendition, msn).await?;
        return Ok(media_response(SEGMENT_CONTENT_TYPE, segment, &request));
    }
    if let Some((msn, index)) = parse_part_file_name(&file) {
        // A plain GET may take an arriving part as it arrives; a range or a revalidation waits for it
        // whole.
        let progressive = [
            header::RANGE,
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
        ]
        .iter()
        .all(|h| !request.contains_key(h));
        return Ok(
            match origin
                .media_part(&id, &rendition, msn, index, progressive)
                .await?
            {
                PartMedia::Stored(part) => media_response(SEGMENT_CONTENT_TYPE, part, &request),
                PartMedia::Arriving(arrival) => arriving_part_response(&arrival),
            },
        );
    }
    let kind = playlist_kind(&file)?;
    let directives = directives(query.as_deref().unwrap_or_default())?;
    let playlist = origin
        .media_playlist(&id, &rendition, kind, directives)
        .await?;
    let blocking = directives.msn.is_some() && kind == PlaylistKind::Live;
    Ok(playlist_response(playlist, blocking, &request))
}

/// `recording.mp4` ([`crate::origin::Download`]): streamed from disk segment by segment, with a file
/// name to save it under; with its length when it is the files as stored. A segment that cannot be read
/// or joined ends the body early (the client sees a short download, as with any broken transfer).
fn download(state: AppState, id: StreamId) -> AppResult<Response> {
    let download = state.origin().download(&id)?;
    let name = crate::origin::download_file_name(&download.title, &id);
    let (body, length) = match download.body {
        DownloadBody::AsStored {
            rendition,
            init,
            msns,
            bytes,
        } => {
            let segments = futures_util::stream::iter(msns).then(move |msn| {
                let (state, id, rendition) = (state.clone(), id.clone(), rendition.clone());
                async move { read_for_download(&state, &id, &rendition, msn).await }
            });
            let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(init) })
                .chain(segments);
            (Body::from_stream(body), Some(bytes))
        }
        DownloadBody::Joined {
            renditions,
            inits,
            order,
        } => {
            let limits = onair_media::Limits {
                max_bytes: state.origin().settings().max_upload_bytes,
                ..onair_media::Limits::default()
            };
            let mut joiner = onair_media::Joiner::new(inits, limits).map_err(internal)?;
            let init = Bytes::from(joiner.init_bytes().map_err(internal)?);
            let fragments = futures_util::stream::iter(order).then(move |(source, msn, period)| {
                let (state, id) = (state.clone(), id.clone());
                let rendition = renditions.get(source).cloned();
                async move {
                    let rendition =
                        rendition.ok_or_else(|| std::io::Error::other("no rendition"))?;
                    read_for_download(&state, &id, &rendition, msn)
                        .await
                        .map(|data| (source, period, data))
                }
            });
            let fragments = fragments.map(move |read| {
                let (source, period, data) = read?;
                joiner
                    .fragment(source, period, &data)
                    .map(Bytes::from)
                    .map_err(std::io::Error::other)
            });
            let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(init) })
                .chain(fragments);
            (Body::from_stream(body), None)
        }
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(INIT_CONTENT_TYPE),
    );
    if let Some(bytes) = length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes));
    }
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        cache_control(Resource::EndedPlaylist),
    );
    Ok(response)
}

/// One segment of a download, from disk, as a body chunk.
async fn read_for_download(
    state: &AppState,
    id: &StreamId,
    rendition: &RenditionName,
    msn: u64,
) -> std::io::Result<Bytes> {
    state
        .origin()
        .download_segment(id, rendition, msn)
        .await
        .map_err(|err| std::io::Error::other(err.to_string()))
}

fn internal(err: onair_media::JoinError) -> AppError {
    AppError::Internal(format!("joining the recording: {err}"))
}

/// The delivery directives of a playlist URL's query (RFC 8216bis 6.2.5); other parameters are ignored.
/// `_HLS_part` without `_HLS_msn`, or a value that is not a number, is a 400.
pub fn directives(query: &str) -> AppResult<Directives> {
    let mut directives = Directives::default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let number = |what: &str| {
            value.parse::<u64>().map_err(|_| {
                AppError::bad_request(format!("{what}={value:?} is not a decimal integer"))
            })
        };
        match name {
            "_HLS_msn" => directives.msn = Some(number(name)?),
            "_HLS_part" => {
                let part = u32::try_from(number(name)?).map_err(|_| {
                    AppError::bad_request(format!("_HLS_part={value} is too large"))
                })?;
                directives.part = Some(part);
            }
            "_HLS_skip" => directives.skip = matches!(value, "YES" | "v2"),
            _ => {}
        }
    }
    if directives.part.is_some() && directives.msn.is_none() {
        return Err(AppError::bad_request(
            "_HLS_part without _HLS_msn (RFC 8216bis 6.2.5.2)",
        ));
    }
    Ok(directives)
}

fn playlist_kind(file: &str) -> AppResult<PlaylistKind> {
    match file {
        LIVE_PLAYLIST_FILE => Ok(PlaylistKind::Live),
        RECORDING_PLAYLIST_FILE => Ok(PlaylistKind::Recording),
        _ => Err(AppError::not_found(format!("file {file:?}"))),
    }
}

async fn unknown() -> AppError {
    AppError::not_found("playback resource")
}

/// A playlist: its lifetime, a weak tag (the compression layer may re-encode it), 304 when current.
/// `blocking`: the answer to a blocking reload, cacheable for longer under its own URL.
fn playlist_response(playlist: RenderedPlaylist, blocking: bool, request: &HeaderMap) -> Response {
    let target_duration = playlist.target_duration;
    let resource = if playlist.ended {
        Resource::EndedPlaylist
    } else if blocking {
        Resource::BlockingPlaylist { target_duration }
    } else {
        Resource::LivePlaylist { target_duration }
    };
    let validators = Validators::weak(playlist.digest, playlist.modified);
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, cache_control(resource));
    // Whether gzip or not, the answer depends on Accept-Encoding; say so on 304s too.
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    validators.insert_into(&mut headers);
    if validators.is_not_modified(request) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PLAYLIST_CONTENT_TYPE),
    );
    (headers, playlist.text).into_response()
}

/// A thumbnail: short-lived while live ([`Resource::Thumbnail`]), a strong tag, 304 when current.
fn thumbnail_response(picture: Thumbnail, ended: bool, request: &HeaderMap) -> Response {
    let validators = Validators::strong(picture.digest, picture.modified);
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CACHE_CONTROL,
        cache_control(Resource::Thumbnail { ended }),
    );
    validators.insert_into(&mut headers);
    if validators.is_not_modified(request) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(THUMBNAIL_CONTENT_TYPE),
    );
    (headers, picture.bytes).into_response()
}

/// Media: immutable, a strong tag, 304 when current, one byte range on request.
fn media_response(content_type: &'static str, media: StoredMedia, request: &HeaderMap) -> Response {
    let validators = Validators::strong(media.digest, media.modified);
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, cache_control(Resource::Media));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    validators.insert_into(&mut headers);
    if validators.is_not_modified(request) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let len = u64::try_from(media.bytes.len()).unwrap_or(u64::MAX);
    let range = request
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| {
            request
                .get(header::IF_RANGE)
                .and_then(|v| v.to_str().ok())
                .is_none_or(|if_range| validators.if_range_matches(if_range, SystemTime::now()))
        })
        .map_or(RangeAnswer::Full, |value| byte_range(value, len));
    match range {
        RangeAnswer::Full => (headers, media.bytes).into_response(),
        RangeAnswer::Partial { start, end } => {
            let part = slice(&media.bytes, start, end);
            insert_content_range(&mut headers, &format!("bytes {start}-{}/{len}", end - 1));
            (StatusCode::PARTIAL_CONTENT, headers, Body::from(part)).into_response()
        }
        RangeAnswer::Unsatisfiable => {
            insert_content_range(&mut headers, &format!("bytes */{len}"));
            headers.insert(header::CACHE_CONTROL, cache_control(Resource::Error));
            let body = ErrorBody {
                error: format!("range not satisfiable: the resource has {len} bytes"),
            };
            (StatusCode::RANGE_NOT_SATISFIABLE, headers, Json(body)).into_response()
        }
    }
}

/// A part whose upload is arriving, streamed (chunked) as its bytes come in: immutable like any part
/// once complete. If the upload is refused the body ends with an error, without its last chunk, so
/// neither a player nor a cache takes it for a part ([`crate::live::arrival`]).
fn arriving_part_response(arrival: &std::sync::Arc<Arrival>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, cache_control(Resource::Media));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(SEGMENT_CONTENT_TYPE),
    );
    (headers, Body::from_stream(arrival.reader())).into_response()
}

/// Bytes `start..end` of `bytes` (both within its length, as [`byte_range`] guarantees).
fn slice(bytes: &Bytes, start: u64, end: u64) -> Bytes {
    let start = usize::try_from(start)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    let end = usize::try_from(end).unwrap_or(usize::MAX).min(bytes.len());
    bytes.slice(start..end.max(start))
}

fn insert_content_range(headers: &mut HeaderMap, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(header::CONTENT_RANGE, value);
    }
}
