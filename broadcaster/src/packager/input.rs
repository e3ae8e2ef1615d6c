//! What the packager is given: encoded chunks as WebCodecs reports them, and the audio encoder's
//! configuration.

use crate::codec::AudioCodec;

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

impl AudioConfig {
    /// The configuration of an encoder set up for `codec` whose first `decoderConfig` gave `channels`,
    /// `sample_rate` and `description`. AAC cannot be packaged without its AudioSpecificConfig (the
    /// description): `None`. Opus can (the dOps is then made from defaults).
    pub fn from_encoder(
        codec: AudioCodec,
        channels: u16,
        sample_rate: u32,
        description: Option<Vec<u8>>,
    ) -> Option<Self> {
        match codec {
            AudioCodec::Opus => Some(Self::Opus {
                channels,
                sample_rate,
                opus_head: description,
            }),
            AudioCodec::Aac => description.map(|asc| Self::Aac {
                channels,
                sample_rate,
                asc,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_config_from_the_encoder() {
        assert_eq!(
            AudioConfig::from_encoder(AudioCodec::Opus, 2, 48_000, None),
            Some(AudioConfig::Opus {
                channels: 2,
                sample_rate: 48_000,
                opus_head: None
            })
        );
        assert_eq!(
            AudioConfig::from_encoder(AudioCodec::Aac, 1, 44_100, Some(vec![0x12, 0x08])),
            Some(AudioConfig::Aac {
                channels: 1,
                sample_rate: 44_100,
                asc: vec![0x12, 0x08]
            })
        );
        assert_eq!(
            AudioConfig::from_encoder(AudioCodec::Aac, 2, 48_000, None),
            None
        );
    }
}
