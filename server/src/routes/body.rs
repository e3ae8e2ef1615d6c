//! Reading upload bodies (the broadcaster's and the encoders'): whole, chunked or not, up to the upload
//! limit, with 413 JSON past it (answered cleanly, see [`DRAIN_BYTES`]).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use bytes::BytesMut;
use futures_util::StreamExt as _;

use crate::error::{AppError, AppResult};
use crate::AppState;

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
