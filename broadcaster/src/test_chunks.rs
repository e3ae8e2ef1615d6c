//! Encoded chunks and decoder configurations the packager's and the renditions' tests share.

use crate::packager::{AudioConfig, EncodedChunk, TrackKind};

/// An avcC for constrained baseline level 3.1 with a short SPS and PPS.
pub(crate) fn avcc() -> Vec<u8> {
    let sps = [0x67, 0x42, 0xE0, 0x1F, 0xDA, 0x01, 0x40, 0x16, 0xE8, 0x40];
    let pps = [0x68, 0xCE, 0x3C, 0x80];
    let mut v = vec![1, 0x42, 0xE0, 0x1F, 0xFF, 0xE1, 0, sps.len() as u8];
    v.extend_from_slice(&sps);
    v.extend_from_slice(&[1, 0, pps.len() as u8]);
    v.extend_from_slice(&pps);
    v
}

/// The 19-byte OpusHead Chromium gives as the Opus `description`.
pub(crate) fn opus_head() -> Vec<u8> {
    let mut v = b"OpusHead".to_vec();
    v.push(1); // version
    v.push(2); // channels
    v.extend_from_slice(&312_u16.to_le_bytes());
    v.extend_from_slice(&48_000_u32.to_le_bytes());
    v.extend_from_slice(&0_i16.to_le_bytes());
    v.push(0); // mapping family
    v
}

pub(crate) fn video(ts: i64, key: bool) -> EncodedChunk {
    EncodedChunk {
        kind: TrackKind::Video,
        timestamp_us: ts,
        duration_us: None,
        keyframe: key,
        data: vec![0, 0, 0, 2, if key { 0x65 } else { 0x41 }, 0x88],
    }
}

pub(crate) fn audio(ts: i64) -> EncodedChunk {
    EncodedChunk {
        kind: TrackKind::Audio,
        timestamp_us: ts,
        duration_us: Some(20_000),
        keyframe: true,
        data: vec![0xFC, 0xFF, 0xFE],
    }
}

pub(crate) fn opus_config() -> AudioConfig {
    AudioConfig::Opus {
        channels: 2,
        sample_rate: 48_000,
        opus_head: Some(opus_head()),
    }
}
