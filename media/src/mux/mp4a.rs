//! `mp4a` audio sample entry with an `esds` built around the AudioSpecificConfig (ISO/IEC 14496-1 and -14),
//! or, for MP3, around objectTypeIndication 0x6B with no DecoderSpecificInfo (MP4RA object types; ISO/IEC
//! 14496-1 7.2.6.6: "decSpecificInfo ... may be absent"). The `mp4` crate's `Mp4aBox` only knows a few fixed
//! AAC profiles, so the descriptor is written here.

use super::opus::write_audio_sample_entry_fields;
use super::writer::{write_box, write_full_box};
use crate::error::MuxError;

const ES_DESCRIPTOR_TAG: u8 = 0x03;
const DECODER_CONFIG_DESCRIPTOR_TAG: u8 = 0x04;
const DECODER_SPECIFIC_INFO_TAG: u8 = 0x05;
const SL_CONFIG_DESCRIPTOR_TAG: u8 = 0x06;
/// objectTypeIndication of MPEG-4 audio.
pub(crate) const OBJECT_TYPE_MPEG4_AUDIO: u8 = 0x40;
/// objectTypeIndication of MPEG-1 audio (ISO/IEC 11172-3), which MP3 in MP4 uses.
pub(crate) const OBJECT_TYPE_MPEG1_AUDIO: u8 = 0x6B;
/// objectTypeIndication of MPEG-2 audio (ISO/IEC 13818-3, the low sample rates), read as MP3 too.
pub(crate) const OBJECT_TYPE_MPEG2_AUDIO: u8 = 0x69;
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

/// Writes `mp4a` + `esds` for AAC.
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
    write_mp4a_esds(
        out,
        track_id,
        channels,
        sample_rate,
        OBJECT_TYPE_MPEG4_AUDIO,
        Some(asc),
    )
}

/// Writes `mp4a` + `esds` for MP3: objectTypeIndication 0x6B, no DecoderSpecificInfo.
pub(crate) fn write_mp3(
    out: &mut Vec<u8>,
    track_id: u32,
    channels: u16,
    sample_rate: u32,
) -> Result<(), MuxError> {
    write_mp4a_esds(
        out,
        track_id,
        channels,
        sample_rate,
        OBJECT_TYPE_MPEG1_AUDIO,
        None,
    )
}

fn write_mp4a_esds(
    out: &mut Vec<u8>,
    track_id: u32,
    channels: u16,
    sample_rate: u32,
    object_type: u8,
    decoder_specific_info: Option<&[u8]>,
) -> Result<(), MuxError> {
    let mut dsi = Vec::new();
    if let Some(info) = decoder_specific_info {
        descriptor(&mut dsi, DECODER_SPECIFIC_INFO_TAG, info);
    }
    let mut dcd_body = vec![object_type, STREAM_TYPE_AUDIO, 0, 0, 0];
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

#[cfg(test)]
mod tests {
    use crate::track::{Codec, InitSegment, MediaParams, TrackInfo};
    use crate::{parse_init, write_init};

    #[test]
    fn mp3_and_aac_entries_round_trip() {
        for (codec, rate, codecs) in [
            (Codec::Mp3, 44_100, "mp3"),
            (
                Codec::Aac {
                    asc: vec![0x12, 0x10],
                },
                44_100,
                "mp4a.40.2",
            ),
        ] {
            let init = InitSegment {
                tracks: vec![TrackInfo {
                    id: 2,
                    timescale: rate,
                    codec,
                    params: MediaParams::Audio {
                        channels: 2,
                        sample_rate: rate,
                    },
                }],
            };
            let bytes = write_init(&init).unwrap();
            let oti = if codecs == "mp3" { 0x6B } else { 0x40 };
            // The DecoderConfigDescriptor (tag 4, four-byte length) starts with objectTypeIndication.
            let dcd = bytes.windows(2).position(|w| w == [0x04, 0x80]).unwrap();
            assert_eq!(bytes[dcd + 5], oti);
            assert_eq!(parse_init(&bytes).unwrap(), init);
            assert_eq!(init.codecs(), codecs);
        }
    }
}
