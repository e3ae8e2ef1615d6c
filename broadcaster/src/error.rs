//! The one error type of the broadcaster.
//!
//! JavaScript exceptions are converted to [`BroadcastError::Js`] exactly once, at the boundary where a
//! browser API is called, together with a short description of what was being done.

use onair_media::{MuxError, SegmentError};

/// Everything that can go wrong while capturing, encoding, packaging or uploading.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BroadcastError {
    /// A browser API threw or rejected.
    #[error("{context}: {message}")]
    Js {
        /// What the broadcaster was doing, e.g. "getUserMedia".
        context: &'static str,
        /// The JavaScript error's name and message.
        message: String,
    },
    /// The browser lacks something the broadcaster needs.
    #[error("not supported by this browser: {what}")]
    Unsupported {
        /// The missing API or codec.
        what: String,
    },
    /// Writing the init segment failed.
    #[error("packaging failed: {0}")]
    Mux(String),
    /// Cutting segments failed.
    #[error("segmenting failed: {0}")]
    Segment(String),
    /// The server refused an upload for a reason that retrying cannot fix.
    #[error("upload of {what} refused with HTTP {status}: {reason}")]
    Rejected {
        /// The resource, e.g. "segment 3".
        what: String,
        /// HTTP status code.
        status: u16,
        /// The server's `error` text, or the raw body.
        reason: String,
    },
    /// The broadcast stopped because of an earlier fatal error.
    #[error("the broadcast failed: {0}")]
    Failed(String),
    /// The operation needs a state the broadcast is not in.
    #[error("invalid state: {0}")]
    State(&'static str),
}

impl From<MuxError> for BroadcastError {
    fn from(e: MuxError) -> Self {
        Self::Mux(e.to_string())
    }
}

impl From<SegmentError> for BroadcastError {
    fn from(e: SegmentError) -> Self {
        Self::Segment(e.to_string())
    }
}

/// Whether an HTTP status is worth retrying: timeouts, rate limiting and server errors.
///
/// Everything else (400 malformed, 401/403 wrong key, 409 out of order, 413 too large) would fail again
/// the same way. What follows is decided by [`crate::upload::verdict`]: a part refused with 409 is
/// dropped, anything else stops the broadcast, which says why.
pub fn status_retryable(status: u16) -> bool {
    matches!(status, 408 | 425 | 429) || (500..=599).contains(&status)
}

/// Extracts the `error` field of the server's JSON error body, or returns the trimmed body itself.
pub fn server_reason(body: &str) -> String {
    let trimmed = body.trim();
    // The contract's error body is `{"error":"human readable reason"}`; parse just that field without
    // pulling in a JSON crate for one string.
    if let Some(rest) = trimmed.strip_prefix('{') {
        if let Some(idx) = rest.find("\"error\"") {
            let after = &rest[idx + "\"error\"".len()..];
            if let Some(colon) = after.find(':') {
                let value = after[colon + 1..].trim_start();
                if let Some(s) = value.strip_prefix('"') {
                    let mut out = String::new();
                    let mut chars = s.chars();
                    while let Some(c) = chars.next() {
                        match c {
                            '"' => return out,
                            '\\' => match chars.next() {
                                Some('n') => out.push('\n'),
                                Some('t') => out.push('\t'),
                                Some(other) => out.push(other),
                                None => break,
                            },
                            c => out.push(c),
                        }
                    }
                }
            }
        }
    }
    let mut short: String = trimmed.chars().take(200).collect();
    if short.is_empty() {
        short = "no reason given".to_owned();
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(status_retryable(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 409, 413] {
            assert!(!status_retryable(s), "{s}");
        }
    }

    #[test]
    fn reason_from_json_body() {
        assert_eq!(
            server_reason(r#"{"error":"msn 4 is not the next expected (3)"}"#),
            "msn 4 is not the next expected (3)"
        );
        assert_eq!(
            server_reason(r#"{ "error" : "a \"quoted\" word" }"#),
            "a \"quoted\" word"
        );
        assert_eq!(server_reason("plain text\n"), "plain text");
        assert_eq!(server_reason(""), "no reason given");
    }

    #[test]
    fn display_is_lowercase_without_period() {
        let e = BroadcastError::Rejected {
            what: "segment 3".into(),
            status: 409,
            reason: "out of order".into(),
        };
        assert_eq!(
            e.to_string(),
            "upload of segment 3 refused with HTTP 409: out of order"
        );
    }
}
