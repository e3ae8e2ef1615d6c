//! AAC in ADTS (ISO/IEC 13818-7 6.2 / ISO/IEC 14496-3 1.A.2.2, `adts_fixed_header` and
//! `adts_variable_header`): frame headers, the raw frames behind them, and the AudioSpecificConfig they
//! imply (ISO/IEC 14496-3 1.6.2.1).
//!
//! "syncword: The bit string '1111 1111 1111'"; "frame_length: Length of the frame including headers and
//! error_check in bytes"; "protection_absent: Indicates whether error_check() data is present or not";
//! "profile_ObjectType ... the MPEG-4 Audio Object Type minus 1".

use super::audio::FrameHeader;
use crate::track::Codec;

/// Sample rates by sampling_frequency_index (ISO/IEC 14496-3 table 1.18).
pub(crate) const AAC_SAMPLE_RATES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];
/// PCM samples per AAC frame (one raw_data_block).
pub(crate) const AAC_FRAME_SAMPLES: u32 = 1024;

/// Reads an ADTS header at the start of `b`.
pub(crate) fn parse_adts(b: &[u8]) -> Result<FrameHeader, String> {
    let h = b.get(..7).ok_or("shorter than an ADTS header")?;
    if h[0] != 0xff || h[1] & 0xf6 != 0xf0 {
        return Err("no ADTS syncword (or layer is not '00')".into());
    }
    let protection_absent = h[1] & 0x01 != 0;
    let object_type = (h[2] >> 6) + 1;
    let frequency_index = (h[2] >> 2) & 0x0f;
    let channel_config = ((h[2] & 0x01) << 2) | (h[3] >> 6);
    let frame_length =
        (usize::from(h[3] & 0x03) << 11) | (usize::from(h[4]) << 3) | usize::from(h[5] >> 5);
    let raw_blocks = h[6] & 0x03;
    let header_len = if protection_absent { 7 } else { 9 };
    let sample_rate = *AAC_SAMPLE_RATES
        .get(usize::from(frequency_index))
        .ok_or_else(|| format!("sampling_frequency_index {frequency_index}"))?;
    if frame_length <= header_len {
        return Err(format!("frame_length {frame_length}"));
    }
    if raw_blocks != 0 {
        // Several raw_data_blocks make one ADTS frame but must be separate samples in MP4; encoders
        // for HLS write one.
        return Err(format!("{} raw_data_blocks in one frame", raw_blocks + 1));
    }
    if channel_config == 0 {
        return Err("channel_configuration 0 (a program_config_element)".into());
    }
    // AudioSpecificConfig: audioObjectType (5), samplingFrequencyIndex (4), channelConfiguration (4),
    // GASpecificConfig: frameLengthFlag, dependsOnCoreCoder, extensionFlag all 0.
    let asc = vec![
        (object_type << 3) | (frequency_index >> 1),
        ((frequency_index & 0x01) << 7) | (channel_config << 3),
    ];
    Ok(FrameHeader {
        frame_len: frame_length,
        payload_start: header_len,
        samples: AAC_FRAME_SAMPLES,
        sample_rate,
        channels: if channel_config == 7 {
            8
        } else {
            u16::from(channel_config)
        },
        codec: Codec::Aac { asc },
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An ADTS header for AAC-LC with this frequency index, channels and frame length (no CRC).
    pub(crate) fn adts_header(frequency_index: u8, channels: u8, frame_len: usize) -> [u8; 7] {
        [
            0xff,
            0xf1,
            (1 << 6) | (frequency_index << 2) | (channels >> 2),
            ((channels & 0x03) << 6) | ((frame_len >> 11) as u8 & 0x03),
            (frame_len >> 3) as u8,
            ((frame_len as u8 & 0x07) << 5) | 0x1f,
            0xfc,
        ]
    }

    #[test]
    fn header_fields_and_audio_specific_config() {
        let h = parse_adts(&adts_header(4, 2, 100)).unwrap();
        assert_eq!((h.frame_len, h.payload_start), (100, 7));
        assert_eq!((h.sample_rate, h.channels, h.samples), (44_100, 2, 1024));
        assert_eq!(
            h.codec,
            Codec::Aac {
                asc: vec![0x12, 0x10]
            }
        );
        let mono_48k = parse_adts(&adts_header(3, 1, 9)).unwrap();
        assert_eq!(
            mono_48k.codec,
            Codec::Aac {
                asc: vec![0x11, 0x88]
            }
        );
        // With a CRC the header is 9 bytes.
        let mut crc = adts_header(4, 2, 100);
        crc[1] = 0xf0;
        assert_eq!(parse_adts(&crc).unwrap().payload_start, 9);
    }

    #[test]
    fn bad_headers() {
        assert!(parse_adts(&[0xff, 0xf1, 0x50]).is_err());
        assert!(parse_adts(&[0; 7]).is_err());
        assert!(parse_adts(&adts_header(13, 2, 100)).is_err()); // reserved index
        assert!(parse_adts(&adts_header(4, 2, 7)).is_err()); // no payload
        assert!(parse_adts(&adts_header(4, 0, 100)).is_err());
        let mut two_blocks = adts_header(4, 2, 100);
        two_blocks[6] |= 1;
        assert!(parse_adts(&two_blocks).is_err());
    }
}
