//! Uploads from the broadcaster, all authenticated with `Authorization: Bearer {stream_key}`:
//!
//! - `PUT /api/streams/{id}/renditions/{rendition}/init.mp4` → 204
//! - `PUT /api/streams/{id}/renditions/{rendition}/segments/{msn}.m4s` → 201 new, 200 identical retry
//! - `PUT /api/streams/{id}/renditions/{rendition}/parts/{msn}.{index}.m4s` with
//!   `OnAir-Part-Target: {seconds}` → 201 new, 200 identical retry (Low-Latency HLS parts)
//! - `POST /api/streams/{id}/end` → 204
//!
//! Extractors run in argument order, and the body comes last: the key is checked (401/403), then the
//! names in the path (400), and only then is the body read, up to the upload limit (413). The limit is a
//! `DefaultBodyLimit` layer on the upload routes only ([`crate::routes::router`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{post, put};
use axum::Router;
use bytes::BytesMut;
use futures_util::StreamExt as _;
use onair_protocol::{paths, PART_TARGET_HEADER};
use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::live::{LiveStream, Outcome};
use crate::names::{parse_part_file_name, parse_segment_file_name, RenditionName, StreamId};
use crate::origin::{InitSource, SegmentStored};
use crate::AppState;

/// The upload routes. The caller adds the body limit.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::ROUTE_INIT_UPLOAD, put(put_init))
        .route(paths::ROUTE_SEGMENT_UPLOAD, put(put_segment))
        .route(paths::ROUTE_PART_UPLOAD, put(put_part))
        .route(paths::ROUTE_END, post(end_stream))
}

/// The stream whose key the request presents: 401 without a bearer token, 404 for an unknown stream,
/// 403 for a wrong key. Reads nothing but the header and the path.
#[derive(Debug)]
pub struct Broadcaster {
    /// The stream's id.
    pub id: StreamId,
    /// The stream.
    pub stream: Arc<LiveStream>,
}

impl FromRequestParts<AppState> for Broadcaster {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer_token(&parts.headers)
            .ok_or(AppError::Unauthorized)?
            .to_owned();
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::not_found("stream"))?;
        let raw_id = params
            .iter()
            .find_map(|(name, value)| (name == "id").then_some(value))
            .ok_or_else(|| AppError::not_found("stream"))?;
        let id = StreamId::parse(raw_id)?;
        let stream = state.origin().authorize(&id, &token)?;
        Ok(Self { id, stream })
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[derive(Debug, Deserialize)]
struct TargetParams {
    rendition: String,
    #[serde(default)]
    file: Option<String>,
}

/// The rendition (and segment) an upload is for, checked before the body is read.
#[derive(Debug)]
pub struct UploadTarget {
    /// The rendition.
    pub rendition: RenditionName,
    /// The segment's msn, for segment uploads.
    pub msn: Option<u64>,
}

impl FromRequestParts<AppState> for UploadTarget {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Path(params) = Path::<TargetParams>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| AppError::bad_request(rejection.body_text()))?;
        let rendition = RenditionName::parse(&params.rendition)?;
        let msn = params
            .file
            .map(|file| {
                parse_segment_file_name(&file).ok_or_else(|| {
                    AppError::bad_request(format!(
                        "invalid segment name {file:?}: expected {{msn}}.m4s with a decimal msn"
                    ))
                })
            })
            .transpose()?;
        Ok(Self { rendition, msn })
    }
}

/// Where a part upload goes and its part target, checked before the body is read.
#[derive(Debug)]
pub struct PartTarget {
    /// The rendition.
    pub rendition: RenditionName,
    /// The msn of the part's segment.
    pub msn: u64,
    /// The part's index in it.
    pub index: u32,
    /// `OnAir-Part-Target`.
    pub part_target: f64,
}

impl FromRequestParts<AppState> for PartTarget {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Path(params) = Path::<TargetParams>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| AppError::bad_request(rejection.body_text()))?;
        let rendition = RenditionName::parse(&params.rendition)?;
        let file = params.file.unwrap_or_default();
        let (msn, index) = parse_part_file_name(&file).ok_or_else(|| {
            AppError::bad_request(format!(
                "invalid part name {file:?}: expected {{msn}}.{{index}}.m4s with decimal numbers"
            ))
        })?;
        let part_target = parts
            .headers
            .get(PART_TARGET_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|t| t.is_finite())
            .ok_or_else(|| {
                AppError::bad_request(
                    format!("missing or invalid {PART_TARGET_HEADER} header: the part target in seconds, e.g. 0.334"),
                )
            })?;
        Ok(Self {
            rendition,
            msn,
            index,
            part_target,
        })
    }
}

/// Bytes past the upload limit that are read and thrown away before answering 413, so that a client that
/// writes its whole body before reading the answer (ffmpeg, reqwest) hears it instead of a reset
/// connection. A body declared or found larger than the limit plus this is refused at once.
pub const DRAIN_BYTES: u64 = 8 * 1024 * 1024;

/// The whole request body, at most the upload limit (413 JSON otherwise), chunked or not.
#[derive(Debug)]
pub struct UploadBody(pub Bytes);

impl FromRequest<AppState> for UploadBody {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, AppError> {
        let limit = state.origin().settings().max_upload_bytes;
        read_upload(request, limit, |_| {}).await.map(Self)
    }
}

/// Reads a whole request body, chunked or not, of at most `limit` bytes (413 JSON otherwise), handing
/// each chunk to `tee` as it arrives.
pub async fn read_upload(
    request: Request,
    limit: usize,
    mut tee: impl FnMut(&Bytes),
) -> AppResult<Bytes> {
    let too_large = || AppError::PayloadTooLarge { limit };
    let limit_u64 = u64::try_from(limit).unwrap_or(u64::MAX);
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit_u64.saturating_add(DRAIN_BYTES)) {
        return Err(too_large());
    }
    // Declared too large: read (a bounded amount, to answer cleanly) but keep nothing.
    let mut too_large_seen = declared.is_some_and(|len| len > limit_u64);
    let capacity = declared
        .filter(|_| !too_large_seen)
        .and_then(|len| usize::try_from(len).ok())
        .unwrap_or(0);
    let mut data = BytesMut::with_capacity(capacity);
    let mut received: u64 = 0;
    let mut chunks = request.into_body().into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk
            .map_err(|err| AppError::bad_request(format!("cannot read the request body: {err}")))?;
        received = received.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
        if received > limit_u64.saturating_add(DRAIN_BYTES) {
            return Err(too_large());
        }
        if received > limit_u64 {
            too_large_seen = true;
        }
        if too_large_seen {
            // Keep nothing; read on to answer cleanly.
            data = BytesMut::new();
        } else {
            tee(&chunk);
            data.extend_from_slice(&chunk);
        }
    }
    if too_large_seen {
        return Err(too_large());
    }
    Ok(data.freeze())
}

async fn put_init(
    State(state): State<AppState>,
    broadcaster: Broadcaster,
    target: UploadTarget,
    UploadBody(body): UploadBody,
) -> AppResult<StatusCode> {
    state
        .origin()
        .put_init(
            &broadcaster.stream,
            &target.rendition,
            body,
            InitSource::Broadcaster,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn put_segment(
    State(state): State<AppState>,
    broadcaster: Broadcaster,
    target: UploadTarget,
    UploadBody(body): UploadBody,
) -> AppResult<StatusCode> {
    let msn = target
        .msn
        .ok_or_else(|| AppError::bad_request("missing segment number"))?;
    let stored = state
        .origin()
        .put_segment(&broadcaster.stream, &target.rendition, msn, body)
        .await?;
    Ok(match stored {
        SegmentStored::New => StatusCode::CREATED,
        SegmentStored::Duplicate => StatusCode::OK,
    })
}

/// A part upload. When it is the part viewers are waiting for (the preload hint), its bytes go to them
/// while they arrive ([`crate::live::arrival`]); they learn at the end whether it was accepted.
async fn put_part(
    State(state): State<AppState>,
    broadcaster: Broadcaster,
    target: PartTarget,
    request: Request,
) -> AppResult<StatusCode> {
    let origin = state.origin();
    let arrival = origin.begin_part_arrival(
        &broadcaster.stream,
        &target.rendition,
        target.msn,
        target.index,
    );
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
            &broadcaster.stream,
            &target.rendition,
            target.msn,
            target.index,
            target.part_target,
            body,
        )
        .await?;
    if let Some(arrival) = arrival {
        arrival.finish(Outcome::Accepted);
    }
    Ok(match stored {
        SegmentStored::New => StatusCode::CREATED,
        SegmentStored::Duplicate => StatusCode::OK,
    })
}

async fn end_stream(
    State(state): State<AppState>,
    broadcaster: Broadcaster,
) -> AppResult<StatusCode> {
    state.origin().end_stream(&broadcaster.stream).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn bearer_tokens() {
        let cases = [
            ("Bearer sk_abc", Some("sk_abc")),
            ("bearer  sk_abc ", Some("sk_abc")),
            ("Basic sk_abc", None),
            ("Bearer", None),
            ("Bearer ", None),
            ("sk_abc", None),
        ];
        for (value, expected) in cases {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            assert_eq!(bearer_token(&headers), expected, "{value:?}");
        }
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
