//! What the packager is given: encoded chunks as WebCodecs reports them, and the audio encoder's
//! configuration.

/// Which encoder a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackKind {
    /// The video encoder.
    Video,
    /// The audio encoder.
    Audio,
}

/// An encoded chunk as WebCodecs reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedChunk {
    /// Which encoder produced it.
    pub kind: TrackKind,
    /// Capture timestamp, microseconds.
    pub timestamp_us: i64,
    /// Duration in microseconds, when the encoder gave one.
    pub duration_us: Option<i64>,
    /// Whether it is a key chunk.
    pub keyframe: bool,
    /// The encoded bytes (AVC in length-prefixed form, Opus packets, raw AAC).
    pub data: Vec<u8>,
}

/// The audio encoder's configuration, from its first output's `decoderConfig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioConfig {
    /// Opus with its OpusHead `description`, if any.
    Opus {
        /// Channel count.
        channels: u16,
        /// Sample rate in Hz; also the track timescale.
        sample_rate: u32,
        /// The WebCodecs `description` (an `OpusHead`), if given.
        opus_head: Option<Vec<u8>>,
    },
    /// AAC with its AudioSpecificConfig.
    Aac {
        /// Channel count.
        channels: u16,
        /// Sample rate in Hz; also the track timescale.
        sample_rate: u32,
        /// AudioSpecificConfig (the WebCodecs `description`).
        asc: Vec<u8>,
    },
}
