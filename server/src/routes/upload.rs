//! Uploads from the broadcaster under `/api/streams/{id}/...`, all authenticated with
//! `Authorization: Bearer {stream_key}`:
//!
//! - `PUT /api/streams/{id}/renditions/{rendition}/init.mp4` → 204
//! - `PUT /api/streams/{id}/renditions/{rendition}/segments/{msn}.m4s` → 201 new, 200 identical retry
//! - `PUT /api/streams/{id}/renditions/{rendition}/parts/{msn}.{index}.m4s` with
//!   `OnAir-Part-Target: {seconds}` → 201 new, 200 identical retry (Low-Latency HLS parts)
//! - `PUT /api/streams/{id}/thumbnail.jpg` → 204: a snapshot of the picture as the stream's thumbnail
//!   (a JPEG that decodes whole, at most [`MAX_THUMBNAIL_BYTES`]: 400, 413; [`crate::thumbnails`])
//! - `POST /api/streams/{id}/end` → 204 (the stream key or the owner token)
//!
//! Extractors run in argument order, and the body comes last: the key is checked (401/403,
//! [`AuthorizedStream`]), then the
//! names in the path and the part target (400), and only then is the body read, up to the upload limit
//! (413, [`crate::routes::body`]). The limit is a `DefaultBodyLimit` layer on the upload routes only
//! ([`crate::routes::router`]).

use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{post, put};
use axum::Router;
use onair_protocol::{paths, PART_TARGET_HEADER};
use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::live::Outcome;
use crate::names::{parse_part_file_name, parse_segment_file_name, RenditionName};
use crate::origin::InitSource;
use crate::routes::body::{read_upload, UploadBody};
use crate::routes::created_or_ok;
use crate::routes::credential::{AuthorizedStream, KeyOrOwner};
use crate::thumbnails::MAX_THUMBNAIL_BYTES;
use crate::AppState;

/// The upload routes. The caller adds the body limit.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::ROUTE_INIT_UPLOAD, put(put_init))
        .route(paths::ROUTE_SEGMENT_UPLOAD, put(put_segment))
        .route(paths::ROUTE_PART_UPLOAD, put(put_part))
        .route(paths::ROUTE_THUMBNAIL_UPLOAD, put(put_thumbnail))
        .route(paths::ROUTE_END, post(end_stream))
}

/// The `{rendition}` and `{file}` of an upload path.
#[derive(Debug, Deserialize)]
struct UploadParams {
    rendition: String,
    #[serde(default)]
    file: Option<String>,
}

impl UploadParams {
    /// The path's rendition (400 for a bad name) and file name.
    async fn from_parts(parts: &mut Parts, state: &AppState) -> AppResult<(RenditionName, String)> {
        let Path(params) = Path::<Self>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| AppError::bad_request(rejection.body_text()))?;
        let rendition = RenditionName::parse(&params.rendition)?;
        rendition.refuse_transcoded()?;
        Ok((rendition, params.file.unwrap_or_default()))
    }
}

/// The rendition of an init segment upload (`.../renditions/{rendition}/init.mp4`), checked before the
/// body is read.
#[derive(Debug)]
pub struct RenditionPath(pub RenditionName);

impl FromRequestParts<AppState> for RenditionPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let (rendition, _) = UploadParams::from_parts(parts, state).await?;
        Ok(Self(rendition))
    }
}

/// The rendition and msn of a segment upload (`.../renditions/{rendition}/segments/{msn}.m4s`), checked
/// before the body is read.
#[derive(Debug)]
pub struct SegmentPath {
    /// The rendition.
    pub rendition: RenditionName,
    /// The segment's msn.
    pub msn: u64,
}

impl FromRequestParts<AppState> for SegmentPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let (rendition, file) = UploadParams::from_parts(parts, state).await?;
        let msn = parse_segment_file_name(&file).ok_or_else(|| {
            AppError::bad_request(format!(
                "invalid segment name {file:?}: expected {{msn}}.m4s with a decimal msn"
            ))
        })?;
        Ok(Self { rendition, msn })
    }
}

/// Where a part upload goes (`.../renditions/{rendition}/parts/{msn}.{index}.m4s`), checked before the
/// body is read.
#[derive(Debug)]
pub struct PartPath {
    /// The rendition.
    pub rendition: RenditionName,
    /// The msn of the part's segment.
    pub msn: u64,
    /// The part's index in it.
    pub index: u32,
}

impl FromRequestParts<AppState> for PartPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let (rendition, file) = UploadParams::from_parts(parts, state).await?;
        let (msn, index) = parse_part_file_name(&file).ok_or_else(|| {
            AppError::bad_request(format!(
                "invalid part name {file:?}: expected {{msn}}.{{index}}.m4s with decimal numbers"
            ))
        })?;
        Ok(Self {
            rendition,
            msn,
            index,
        })
    }
}

/// A part upload's [`PART_TARGET_HEADER`], the rendition's `PART-TARGET` in seconds (400 when missing or
/// not a finite number; its range is a rule of the rendition).
#[derive(Debug, Clone, Copy)]
pub struct PartTargetHeader(pub f64);

impl<S: Send + Sync> FromRequestParts<S> for PartTargetHeader {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AppError> {
        parts
            .headers
            .get(PART_TARGET_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|t| t.is_finite())
            .map(Self)
            .ok_or_else(|| {
                AppError::bad_request(format!(
                    "missing or invalid {PART_TARGET_HEADER} header: the part target in seconds, \
                     e.g. 0.334"
                ))
            })
    }
}

async fn put_init(
    State(state): State<AppState>,
    owner: AuthorizedStream,
    RenditionPath(rendition): RenditionPath,
    UploadBody(body): UploadBody,
) -> AppResult<StatusCode> {
    state
        .origin()
        .put_init(&owner.stream, &rendition, body, InitSource::Broadcaster)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn put_segment(
    State(state): State<AppState>,
    owner: AuthorizedStream,
    target: SegmentPath,
    UploadBody(body): UploadBody,
) -> AppResult<StatusCode> {
    let stored = state
        .origin()
        .put_segment(&owner.stream, &target.rendition, target.msn, body)
        .await?;
    Ok(created_or_ok(stored))
}

/// A part upload. When it is the part viewers are waiting for (the preload hint), its bytes go to them
/// while they arrive ([`crate::live::arrival`]); they learn at the end whether it was accepted.
async fn put_part(
    State(state): State<AppState>,
    owner: AuthorizedStream,
    target: PartPath,
    PartTargetHeader(part_target): PartTargetHeader,
    request: Request,
) -> AppResult<StatusCode> {
    let origin = state.origin();
    let arrival =
        origin.begin_part_arrival(&owner.stream, &target.rendition, target.msn, target.index);
    let limit = origin.settings().max_upload_bytes;
    // On any early return the guard tells the readers the part is not coming.
    let body = read_upload(request, limit, |chunk| {
        if let Some(arrival) = &arrival {
            arrival.push(chunk);
        }
    })
    .await?;
    let stored = origin
        .put_part(
            &owner.stream,
            &target.rendition,
            target.msn,
            target.index,
            part_target,
            body,
        )
        .await?;
    if let Some(arrival) = arrival {
        arrival.finish(Outcome::Accepted);
    }
    Ok(created_or_ok(stored))
}

async fn put_thumbnail(
    State(state): State<AppState>,
    owner: AuthorizedStream,
    request: Request,
) -> AppResult<StatusCode> {
    let body = read_upload(request, MAX_THUMBNAIL_BYTES, |_| {}).await?;
    state.origin().put_thumbnail(&owner.stream, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn end_stream(State(state): State<AppState>, allowed: KeyOrOwner) -> AppResult<StatusCode> {
    state.origin().end_stream(&allowed.stream).await?;
    Ok(StatusCode::NO_CONTENT)
}
