//! What the person going live sees about their broadcast.

/// Where the broadcast is in its life.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum BroadcastState {
    /// Encoders configured, waiting for the first segment to upload.
    #[default]
    Starting,
    /// At least the init segment and one media segment were uploaded.
    Live,
    /// `stop()` was called: flushing the encoders and the upload queue.
    Stopping,
    /// Everything was uploaded and the end of the stream was posted.
    Ended,
    /// A fatal error stopped the broadcast.
    Failed(String),
}

impl std::fmt::Display for BroadcastState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Starting => f.write_str("Starting"),
            Self::Live => f.write_str("Live"),
            Self::Stopping => f.write_str("Stopping"),
            Self::Ended => f.write_str("Ended"),
            Self::Failed(reason) => write!(f, "Error: {reason}"),
        }
    }
}

/// Counters of a running broadcast; a fresh copy is handed to the `on_stats` callback on every change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BroadcastStats {
    /// Lifecycle state.
    pub state: BroadcastState,
    /// Video frames the encoder has output.
    pub video_frames: u64,
    /// Audio chunks the encoder has output.
    pub audio_frames: u64,
    /// Video keyframes output.
    pub keyframes: u64,
    /// Media segments uploaded successfully.
    pub segments_uploaded: u64,
    /// Bytes uploaded successfully (init and segments).
    pub bytes_uploaded: u64,
    /// Failed upload attempts (each retry that failed counts).
    pub upload_errors: u64,
    /// Uploads waiting or in flight.
    pub queue_depth: usize,
    /// Whether the upload queue is above its high-water mark.
    pub backpressured: bool,
    /// The most recent error, fatal or not.
    pub last_error: Option<String>,
    /// Video codec string in use, e.g. `avc1.42E01F`.
    pub video_codec: Option<String>,
    /// Audio codec string in use, e.g. `opus`.
    pub audio_codec: Option<String>,
    /// Encoded chunks dropped by the packager (captured before the first video keyframe).
    pub dropped_chunks: u64,
    /// Raw video frames skipped because the encoder was overloaded.
    pub skipped_frames: u64,
}

impl BroadcastStats {
    /// One line for the page, e.g. `frames 120 · segments 3 · 1.2 MB · upload errors 0`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "frames encoded {} · segments uploaded {} · {} · upload errors {}",
            self.video_frames,
            self.segments_uploaded,
            format_bytes(self.bytes_uploaded),
            self.upload_errors
        );
        if self.backpressured {
            s.push_str(&format!(" · {} uploads queued", self.queue_depth));
        }
        s
    }
}

/// Human-readable byte count with one decimal (`999 B`, `1.5 kB`, `2.3 MB`).
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = UNITS[0];
    for next in UNITS.iter().skip(1) {
        if value < 1000.0 {
            break;
        }
        value /= 1000.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(999), "999 B");
        assert_eq!(format_bytes(1_500), "1.5 kB");
        assert_eq!(format_bytes(2_345_678), "2.3 MB");
        assert_eq!(format_bytes(u64::MAX), "18446744.1 TB");
    }

    #[test]
    fn summary_mentions_the_counters() {
        let mut s = BroadcastStats {
            video_frames: 120,
            segments_uploaded: 3,
            bytes_uploaded: 1_200_000,
            ..Default::default()
        };
        assert_eq!(
            s.summary(),
            "frames encoded 120 · segments uploaded 3 · 1.2 MB · upload errors 0"
        );
        s.backpressured = true;
        s.queue_depth = 4;
        assert!(s.summary().ends_with("4 uploads queued"));
    }

    #[test]
    fn state_display() {
        assert_eq!(BroadcastState::Live.to_string(), "Live");
        assert_eq!(
            BroadcastState::Failed("boom".into()).to_string(),
            "Error: boom"
        );
    }
}
