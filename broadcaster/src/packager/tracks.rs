//! The init segment's tracks: a [`TrackInfo`] from the video encoder's avcC or from the audio encoder's
//! configuration.

use onair_media::{opus_dops, opus_dops_from_opus_head, Codec, MediaParams, TrackInfo};

use super::{AudioConfig, AUDIO_TRACK_ID, DEFAULT_OPUS_PRE_SKIP, VIDEO_TRACK_ID};
use crate::error::BroadcastError;
use crate::timeline::VIDEO_TIMESCALE;

/// The H.264 video track of a `width`x`height` encoder whose `decoderConfig.description` is `avcc`.
pub(super) fn video_track(width: u16, height: u16, avcc: Vec<u8>) -> TrackInfo {
    TrackInfo {
        id: VIDEO_TRACK_ID,
        timescale: VIDEO_TIMESCALE,
        codec: Codec::Avc { avcc },
        params: MediaParams::Video { width, height },
    }
}

/// The audio track of an encoder configured as `config`: Opus with the dOps made from its OpusHead
/// (or from [`DEFAULT_OPUS_PRE_SKIP`] without one), or AAC with its AudioSpecificConfig; the sample rate
/// is the timescale.
pub(super) fn audio_track(config: AudioConfig) -> Result<TrackInfo, BroadcastError> {
    let (codec, channels, sample_rate) = match config {
        AudioConfig::Opus {
            channels,
            sample_rate,
            opus_head,
        } => {
            let dops = match opus_head {
                Some(head) if !head.is_empty() => opus_dops_from_opus_head(&head)?,
                _ => opus_dops(
                    u8::try_from(channels).unwrap_or(2),
                    DEFAULT_OPUS_PRE_SKIP,
                    sample_rate,
                ),
            };
            (Codec::Opus { dops }, channels, sample_rate)
        }
        AudioConfig::Aac {
            channels,
            sample_rate,
            asc,
        } => (Codec::Aac { asc }, channels, sample_rate),
    };
    if sample_rate == 0 {
        return Err(BroadcastError::Unsupported {
            what: "audio with a sample rate of 0".to_owned(),
        });
    }
    Ok(TrackInfo {
        id: AUDIO_TRACK_ID,
        timescale: sample_rate,
        codec,
        params: MediaParams::Audio {
            channels,
            sample_rate,
        },
    })
}
