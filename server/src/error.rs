//! The server's one error type and how it becomes an HTTP response.
//!
//! Every failure a handler can meet is an [`AppError`]. [`AppError::status_code`] is the only place that
//! maps errors to statuses, and every error answers with the JSON body `{"error": "human readable reason"}`
//! ([`ErrorBody`], the wire contract's).
//! Server-side failures (database, disk, a panicked blocking task) are logged with their detail and
//! answered with a generic message, so internals never reach clients.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::refused::UploadRefused;
pub use onair_protocol::ErrorBody;

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The upload carries no `Authorization: Bearer <stream key>` header.
    #[error("missing stream key: send `Authorization: Bearer <stream key>`")]
    Unauthorized,
    /// The bearer token is not the stream's key.
    #[error("wrong stream key for this stream")]
    Forbidden,
    /// A page of another site sent a request that changes state (`Sec-Fetch-Site: cross-site`).
    #[error("cross-site request refused: this API takes changes only from this site's pages and from programs")]
    ForbiddenOrigin,
    /// The named resource does not exist (yet).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. "stream abc" or "segment 7".
        what: String,
    },
    /// The request itself is malformed (bad name, bad JSON, ...).
    #[error("{reason}")]
    BadRequest {
        /// Why.
        reason: String,
    },
    /// An upload breaks a rule of its rendition (malformed, out of order, a codec change, ...).
    #[error(transparent)]
    Upload(#[from] UploadRefused),
    /// What a blocking request waits for did not come in time (RFC 8216bis 6.2.5.2: 503).
    #[error("{reason}")]
    NotYet {
        /// What did not arrive, and for how long it was awaited.
        reason: String,
    },
    /// The request is well formed but does not fit the stream's current state.
    #[error("{reason}")]
    Conflict {
        /// Why, e.g. "expected segment 4, got 6".
        reason: String,
    },
    /// The request body is larger than the upload limit.
    #[error("body larger than the {limit} byte upload limit")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A kind of file the origin does not take (an MPEG-TS segment pushed to `/ingest`, ...).
    #[error("unsupported media: {reason}")]
    UnsupportedMedia {
        /// What was sent and what to send instead.
        reason: String,
    },
    /// The path exists but not for this method.
    #[error("method not allowed: {reason}")]
    MethodNotAllowed {
        /// Which methods the path takes.
        reason: String,
    },
    /// The request took longer than the time limit (body upload included).
    #[error("request took longer than the {secs} s time limit")]
    Timeout {
        /// The limit in seconds.
        secs: u64,
    },
    /// Too many requests in flight: refused at once rather than queued.
    #[error("server busy: {reason}; retry in a moment")]
    Overloaded {
        /// Which limit was reached.
        reason: String,
    },
    /// One client sends faster than its rate (uploads per stream key): 429 with `Retry-After`.
    #[error("too many requests: {reason}; retry in {retry_after_secs} s")]
    TooManyRequests {
        /// Which rate.
        reason: String,
        /// Seconds until a request would be taken.
        retry_after_secs: u64,
    },
    /// SQLite failed.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// The disk failed.
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
    /// Anything else on the server side (a blocking task that panicked, ...).
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    /// Shorthand for [`AppError::NotFound`].
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }

    /// Shorthand for [`AppError::BadRequest`].
    pub fn bad_request(reason: impl Into<String>) -> Self {
        Self::BadRequest {
            reason: reason.into(),
        }
    }

    /// Shorthand for [`AppError::Conflict`].
    pub fn conflict(reason: impl Into<String>) -> Self {
        Self::Conflict {
            reason: reason.into(),
        }
    }

    /// The HTTP status of this error: the one place where errors meet statuses.
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::ForbiddenOrigin => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Upload(refused) => upload_status(refused),
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMedia { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Timeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::Overloaded { .. } | Self::NotYet { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Database(_) | Self::Io(_) | Self::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

/// The status of a refused upload: 400 for media that is malformed or breaks a rule of the stream, 409
/// for an upload that does not fit what the rendition holds (order, an existing msn, its codecs).
fn upload_status(refused: &UploadRefused) -> StatusCode {
    match refused {
        UploadRefused::MalformedInit { .. }
        | UploadRefused::InitWithoutTracks
        | UploadRefused::ZeroTimescale { .. }
        | UploadRefused::MalformedSegment { .. }
        | UploadRefused::RejectedSegment { .. }
        | UploadRefused::PartTargetOutOfRange { .. }
        | UploadRefused::MalformedPart { .. }
        | UploadRefused::RejectedPart { .. } => StatusCode::BAD_REQUEST,
        UploadRefused::InitChanged
        | UploadRefused::CodecChange { .. }
        | UploadRefused::NoInit
        | UploadRefused::NoPushedInit { .. }
        | UploadRefused::SegmentInParts { .. }
        | UploadRefused::SegmentExists { .. }
        | UploadRefused::SegmentOutOfOrder { .. }
        | UploadRefused::PartTargetChanged { .. }
        | UploadRefused::PartExists { .. }
        | UploadRefused::PartOutOfOrder { .. } => StatusCode::CONFLICT,
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(err: tokio::task::JoinError) -> Self {
        Self::Internal(format!("blocking task failed: {err}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        // A refusal for load is no internal failure: say why, and when to come back.
        let overloaded = matches!(self, Self::Overloaded { .. } | Self::NotYet { .. });
        let retry_after = match &self {
            Self::TooManyRequests {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        };
        let message = if status.is_server_error() && !overloaded {
            tracing::error!(error = %self, "request failed");
            "internal server error".to_owned()
        } else {
            tracing::debug!(error = %self, %status, "request refused");
            self.to_string()
        };
        let mut response = (status, Json(ErrorBody { error: message })).into_response();
        // An error is about this moment (a stream not started yet, a full disk): never let a CDN keep it.
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if overloaded {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Result of a handler or of the origin's operations.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn internal_errors_are_not_leaked() {
        let response = AppError::Internal("secret path /var/x".into()).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"], "internal server error");
    }

    #[tokio::test]
    async fn client_errors_explain_themselves() {
        let response = AppError::conflict("expected segment 4, got 6").into_response();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"], "expected segment 4, got 6");
    }

    #[test]
    fn statuses() {
        assert_eq!(AppError::Unauthorized.status_code(), 401);
        assert_eq!(AppError::Forbidden.status_code(), 403);
        assert_eq!(AppError::not_found("x").status_code(), 404);
        assert_eq!(AppError::PayloadTooLarge { limit: 1 }.status_code(), 413);
        assert_eq!(
            AppError::UnsupportedMedia { reason: "x".into() }.status_code(),
            415
        );
        assert_eq!(AppError::Timeout { secs: 1 }.status_code(), 408);
    }

    #[tokio::test]
    async fn overload_explains_itself_and_asks_to_retry() {
        let response = AppError::Overloaded {
            reason: "64 uploads in flight".into(),
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(json["error"].as_str().unwrap().contains("64 uploads"));
    }
}
