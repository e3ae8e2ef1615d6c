//! What the person going live sees about their broadcast.

use crate::upload::UploadCounters;

/// Where the broadcast is in its life.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum BroadcastState {
    /// Encoders configured, waiting for the first part to upload.
    #[default]
    Starting,
    /// The init segment and at least one part were uploaded.
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
    /// Low-Latency HLS parts the server took.
    pub parts_uploaded: u64,
    /// How long the last successful part upload took, request to answer, in milliseconds.
    pub last_part_latency_ms: Option<f64>,
    /// Segments complete on the server (all their parts in, and a later part or the end after them).
    pub segments_uploaded: u64,
    /// Segments the packager has finished.
    pub segments_packaged: u64,
    /// Bytes uploaded successfully (init and parts).
    pub bytes_uploaded: u64,
    /// Failed upload attempts (each retry that failed counts, and each refusal).
    pub upload_errors: u64,
    /// Parts the server refused as out of order (409), dropped.
    pub parts_rejected: u64,
    /// Whole segments dropped, unsent, because the upload fell more than 10 s behind.
    pub segments_dropped: u64,
    /// The parts of those segments.
    pub parts_dropped: u64,
    /// Uploads waiting or in flight.
    pub queue_depth: usize,
    /// Seconds of media waiting or in flight.
    pub backlog_secs: f64,
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
    /// Per rendition, what it encodes and how its uploads go (one entry for a single rendition).
    pub renditions: Vec<RenditionStats>,
}

/// One rendition's figures, for the page's table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RenditionStats {
    /// Rendition name (`r0`, `r1`, …, `audio`).
    pub name: String,
    /// Encoded size, for a video rendition.
    pub size: Option<(u16, u16)>,
    /// Target bitrate of its encoder, bits per second (video), if known.
    pub bitrate_bps: Option<u32>,
    /// The audio codec of an audio rendition (`opus`, `mp4a.40.2`).
    pub audio_codec: Option<String>,
    /// Bytes the server took.
    pub bytes_uploaded: u64,
    /// Parts the server took.
    pub parts_uploaded: u64,
    /// Seconds of media waiting or in flight.
    pub backlog_secs: f64,
    /// How long its last part upload took, in milliseconds.
    pub last_part_latency_ms: Option<f64>,
}

impl RenditionStats {
    /// What it is, for the page: `1280x720 · 2.5 Mbit/s`, or the audio codec (`opus`).
    pub fn label(&self) -> String {
        match (self.size, self.bitrate_bps) {
            (Some((w, h)), Some(bps)) => format!("{w}x{h} · {}", format_bitrate(bps)),
            (Some((w, h)), None) => format!("{w}x{h}"),
            _ => self
                .audio_codec
                .clone()
                .unwrap_or_else(|| "audio".to_owned()),
        }
    }
}

/// Bits per second for the page: `2.5 Mbit/s`, `860 kbit/s`.
pub fn format_bitrate(bps: u32) -> String {
    if bps >= 1_000_000 {
        format!("{:.1} Mbit/s", f64::from(bps) / 1e6)
    } else {
        format!("{} kbit/s", (f64::from(bps) / 1e3).round())
    }
}

impl BroadcastStats {
    /// Copies the upload queue's counters.
    pub fn record_uploads(&mut self, counters: &UploadCounters) {
        self.parts_uploaded = counters.parts_uploaded;
        self.last_part_latency_ms = counters.last_part_latency_ms;
        self.segments_uploaded = counters.segments_uploaded;
        self.bytes_uploaded = counters.bytes_uploaded;
        self.upload_errors = counters.upload_errors;
        self.parts_rejected = counters.parts_rejected;
        self.segments_dropped = counters.segments_dropped;
        self.parts_dropped = counters.parts_dropped;
    }

    /// The last part's upload time for the page: `85 ms`, or `–` before the first part.
    pub fn latency_text(&self) -> String {
        self.last_part_latency_ms
            .map_or_else(|| "–".to_owned(), |ms| format!("{} ms", ms.round()))
    }

    /// Media lost on the way, for the page: whole segments dropped while the upload fell behind, and
    /// parts the server refused, e.g. `0`, `2 segments`, `1 segment, 3 parts refused`.
    pub fn dropped_text(&self) -> String {
        let count =
            |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let segments = count(self.segments_dropped, "segment", "segments");
        let parts = count(self.parts_rejected, "part refused", "parts refused");
        match (self.segments_dropped, self.parts_rejected) {
            (0, 0) => "0".to_owned(),
            (_, 0) => segments,
            (0, _) => parts,
            _ => format!("{segments}, {parts}"),
        }
    }

    /// One line for the page, e.g.
    /// `frames encoded 120 · parts uploaded 20 · 1.2 MB · last part 85 ms · upload errors 0`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "frames encoded {} · parts uploaded {} · {} · last part {} · upload errors {}",
            self.video_frames,
            self.parts_uploaded,
            format_bytes(self.bytes_uploaded),
            self.latency_text(),
            self.upload_errors
        );
        if self.segments_dropped > 0 {
            s.push_str(&format!(" · segments dropped {}", self.segments_dropped));
        }
        if self.backpressured {
            s.push_str(&format!(
                " · {} uploads ({:.1} s) queued",
                self.queue_depth, self.backlog_secs
            ));
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
            ..Default::default()
        };
        s.record_uploads(&UploadCounters {
            parts_uploaded: 20,
            segments_uploaded: 3,
            bytes_uploaded: 1_200_000,
            last_part_latency_ms: Some(84.6),
            ..Default::default()
        });
        assert_eq!(
            s.summary(),
            "frames encoded 120 · parts uploaded 20 · 1.2 MB · last part 85 ms · upload errors 0"
        );
        assert_eq!(s.segments_uploaded, 3);
        s.record_uploads(&UploadCounters {
            segments_dropped: 2,
            upload_errors: 5,
            ..Default::default()
        });
        s.backpressured = true;
        s.queue_depth = 40;
        s.backlog_secs = 12.04;
        assert_eq!(
            s.summary(),
            "frames encoded 120 · parts uploaded 0 · 0 B · last part – · upload errors 5 \
             · segments dropped 2 · 40 uploads (12.0 s) queued"
        );
    }

    #[test]
    fn rendition_labels() {
        let video = RenditionStats {
            size: Some((854, 480)),
            bitrate_bps: Some(860_832),
            ..Default::default()
        };
        assert_eq!(video.label(), "854x480 · 861 kbit/s");
        let top = RenditionStats {
            size: Some((1280, 720)),
            bitrate_bps: Some(2_500_000),
            ..Default::default()
        };
        assert_eq!(top.label(), "1280x720 · 2.5 Mbit/s");
        assert_eq!(RenditionStats::default().label(), "audio");
        let audio = RenditionStats {
            audio_codec: Some("opus".to_owned()),
            ..Default::default()
        };
        assert_eq!(audio.label(), "opus");
    }

    #[test]
    fn dropped_text() {
        let mut s = BroadcastStats::default();
        assert_eq!(s.dropped_text(), "0");
        s.segments_dropped = 1;
        assert_eq!(s.dropped_text(), "1 segment");
        s.parts_rejected = 3;
        assert_eq!(s.dropped_text(), "1 segment, 3 parts refused");
        s.segments_dropped = 0;
        s.parts_rejected = 1;
        assert_eq!(s.dropped_text(), "1 part refused");
        s.segments_dropped = 2;
        s.parts_rejected = 0;
        assert_eq!(s.dropped_text(), "2 segments");
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
