//! The player's error type and the one place that decides what is worth retrying (the statuses that
//! are come from the shared policy, [`onair_browser::retry`]).

use onair_browser::{status_retryable, JsError};

/// Everything that can go wrong while loading or playing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PlayerError {
    /// A browser API threw or rejected.
    #[error("{context}: {error}")]
    Js {
        /// What the player was doing.
        context: &'static str,
        /// The JavaScript error, with its name and message.
        #[source]
        error: JsError,
    },
    /// A request got an HTTP error status.
    #[error("HTTP {status} for {url}")]
    Http {
        /// The URL requested.
        url: String,
        /// The status code.
        status: u16,
    },
    /// A request failed without a response (network down, CORS, aborted).
    #[error("request for {url} failed: {message}")]
    Network {
        /// The URL requested.
        url: String,
        /// What the browser said.
        message: String,
    },
    /// A playlist could not be used.
    #[error("bad playlist {url}: {reason}")]
    Playlist {
        /// The playlist URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The stream needs something this browser or player cannot do.
    #[error("unsupported: {what}")]
    Unsupported {
        /// What is missing.
        what: String,
    },
    /// The init segment could not be read.
    #[error("bad init segment: {0}")]
    Media(String),
    /// The player was destroyed.
    #[error("player destroyed")]
    Destroyed,
}

/// What kind of trouble an error is, as the JS API reports it (`error` events' `type`, named as hls.js
/// names its error types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Loading failed: HTTP errors, the network, playlists.
    Network,
    /// The media could not be used: bad or unsupported segments, decoder errors, buffers.
    Media,
    /// Anything else (a browser API that threw).
    Other,
}

impl ErrorKind {
    /// The name in the JS API: `networkError`, `mediaError` or `otherError`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Network => "networkError",
            Self::Media => "mediaError",
            Self::Other => "otherError",
        }
    }
}

/// What a failed request means for the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Try again after a backoff.
    Yes,
    /// Give up on this resource.
    No,
}

impl PlayerError {
    /// A browser API called while `context` threw or rejected `error` (a `JsValue` on wasm32).
    pub fn js(context: &'static str, error: impl Into<JsError>) -> Self {
        Self::Js {
            context,
            error: error.into(),
        }
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Http { .. } | Self::Network { .. } | Self::Playlist { .. } => ErrorKind::Network,
            Self::Unsupported { .. } | Self::Media(_) => ErrorKind::Media,
            Self::Js { .. } | Self::Destroyed => ErrorKind::Other,
        }
    }

    /// Whether retrying the request that failed this way can help. Network errors, timeouts, rate
    /// limiting and server errors can; a 404 can too for playlists of a live stream that has not
    /// produced its first segment yet (`playlist` is true).
    pub fn retry(&self, playlist: bool) -> Retry {
        match self {
            Self::Network { .. } => Retry::Yes,
            Self::Http { status, .. } => {
                if status_retryable(*status) || (playlist && *status == 404) {
                    Retry::Yes
                } else {
                    Retry::No
                }
            }
            _ => Retry::No,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_decisions() {
        let http = |status| PlayerError::Http {
            url: "u".into(),
            status,
        };
        assert_eq!(http(503).retry(false), Retry::Yes);
        assert_eq!(http(404).retry(true), Retry::Yes);
        assert_eq!(http(404).retry(false), Retry::No);
        assert_eq!(http(403).retry(true), Retry::No);
        let net = PlayerError::Network {
            url: "u".into(),
            message: "offline".into(),
        };
        assert_eq!(net.retry(false), Retry::Yes);
        assert_eq!(PlayerError::Destroyed.retry(true), Retry::No);
        assert_eq!(http(404).to_string(), "HTTP 404 for u");
        assert_eq!(http(500).kind().as_str(), "networkError");
        assert_eq!(PlayerError::Media("x".into()).kind(), ErrorKind::Media);
    }
}
