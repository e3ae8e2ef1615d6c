//! The one error type of the broadcaster.
//!
//! JavaScript exceptions are converted to [`BroadcastError::Js`] exactly once, at the boundary where a
//! browser API is called ([`BroadcastError::js`]), together with a short description of what was being
//! done.

use onair_browser::JsError;
use onair_media::{MuxError, SegmentError};

/// Everything that can go wrong while capturing, encoding, packaging or uploading.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BroadcastError {
    /// A browser API threw or rejected.
    #[error("{context}: {error}")]
    Js {
        /// What the broadcaster was doing, e.g. "getUserMedia".
        context: &'static str,
        /// The JavaScript error, with its name and message.
        #[source]
        error: JsError,
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

impl BroadcastError {
    /// A browser API called while `context` threw or rejected `error` (a `JsValue` on wasm32).
    pub fn js(context: &'static str, error: impl Into<JsError>) -> Self {
        Self::Js {
            context,
            error: error.into(),
        }
    }
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
