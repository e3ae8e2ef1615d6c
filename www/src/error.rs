//! The app's error type; shown by [`crate::components::error_view::ErrorView`].

/// What can go wrong in a page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The stream or page does not exist.
    #[error("not found")]
    NotFound,
    /// The server answered with an error status.
    #[error("the server answered {status}: {message}")]
    Http {
        /// HTTP status code.
        status: u16,
        /// The server's `error` text.
        message: String,
    },
    /// The request did not reach the server.
    #[error("network error: {0}")]
    Network(String),
    /// The server's answer was not what the contract says.
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
    /// The camera or microphone could not be opened.
    #[error("camera: {0}")]
    Camera(String),
    /// Broadcasting failed.
    #[error("broadcast: {0}")]
    Broadcast(String),
}

impl AppError {
    /// The HTTP status code this error corresponds to (500 for client-side failures).
    pub fn status_code(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::Http { status, .. } => *status,
            Self::Network(_) => 503,
            Self::Decode(_) | Self::Camera(_) | Self::Broadcast(_) => 500,
        }
    }

    /// A short heading for the error box.
    pub fn title(&self) -> &'static str {
        match self {
            Self::NotFound => "Not found",
            Self::Http { .. } | Self::Network(_) | Self::Decode(_) => "Could not reach OnAir",
            Self::Camera(_) => "Camera unavailable",
            Self::Broadcast(_) => "Broadcast problem",
        }
    }
}
