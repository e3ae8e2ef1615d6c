//! `mp4a` audio sample entry with an `esds` built around the AudioSpecificConfig (ISO/IEC 14496-1 and -14).
//! The `mp4` crate's `Mp4aBox` only knows a few fixed AAC profiles, so the descriptor is written here.

use super::opus::write_audio_sample_entry_fields;
use super::writer::{write_box, write_full_box};
use crate::error::MuxError;

const ES_DESCRIPTOR_TAG: u8 = 0x03;
const DECODER_CONFIG_DESCRIPTOR_TAG: u8 = 0x04;
const DECODER_SPECIFIC_INFO_TAG: u8 = 0x05;
const SL_CONFIG_DESCRIPTOR_TAG: u8 = 0x06;
/// objectTypeIndication of MPEG-4 audio.
const OBJECT_TYPE_MPEG4_AUDIO: u8 = 0x40;
/// streamType 5 (audio) << 2, upStream 0, reserved 1.
const STREAM_TYPE_AUDIO: u8 = 0x15;

fn descriptor(out: &mut Vec<u8>, tag: u8, body: &[u8]) {
    out.push(tag);
    // Four-byte length form (7 bits a byte), accepted by every reader and simple to write.
    let len = body.len() as u32;
    out.extend_from_slice(&[
        0x80 | ((len >> 21) & 0x7f) as u8,
        0x80 | ((len >> 14) & 0x7f) as u8,
        0x80 | ((len >> 7) & 0x7f) as u8,
        (len & 0x7f) as u8,
    ]);
    out.extend_from_slice(body);
}

/// Writes `mp4a` + `esds`.
pub(crate) fn write_mp4a(
    out: &mut Vec<u8>,
    track_id: u32,
    channels: u16,
    sample_rate: u32,
    asc: &[u8],
) -> Result<(), MuxError> {
    if asc.len() < 2 {
        return Err(MuxError::InvalidConfig(
            "AudioSpecificConfig shorter than 2 bytes".into(),
        ));
    }
    let mut dsi = Vec::new();
    descriptor(&mut dsi, DECODER_SPECIFIC_INFO_TAG, asc);
    let mut dcd_body = vec![OBJECT_TYPE_MPEG4_AUDIO, STREAM_TYPE_AUDIO, 0, 0, 0];
    dcd_body.extend_from_slice(&0u32.to_be_bytes()); // maxBitrate unknown
    dcd_body.extend_from_slice(&0u32.to_be_bytes()); // avgBitrate unknown
    dcd_body.extend_from_slice(&dsi);
    let mut es_body = Vec::new();
    es_body.extend_from_slice(&(track_id as u16).to_be_bytes()); // ES_ID
    es_body.push(0); // no dependsOn, URL or OCR stream
    descriptor(&mut es_body, DECODER_CONFIG_DESCRIPTOR_TAG, &dcd_body);
    descriptor(&mut es_body, SL_CONFIG_DESCRIPTOR_TAG, &[0x02]);
    write_box(out, b"mp4a", |out| {
        write_audio_sample_entry_fields(out, channels, sample_rate);
        write_full_box(out, b"esds", 0, 0, |out| {
            descriptor(out, ES_DESCRIPTOR_TAG, &es_body);
            Ok(())
        })
    })
}
