//! MPEG audio frame headers (ISO/IEC 11172-3 2.4.1.3 and ISO/IEC 13818-3 2.4.1.3 for the low sample rates,
//! and the unofficial "MPEG 2.5" 8–12 kHz extension), for MP3 (Layer III). The whole frame, header
//! included, is one MP4 sample.
//!
//! "syncword – The bit string '1111 1111 1111'"; "padding_bit – if this bit equals '1' the frame contains an
//! additional slot"; for Layer III "N = 144 × bit_rate / sampling_frequency" slots per frame (72 for the
//! half rates of ISO/IEC 13818-3), 1152 samples a frame (576).

use super::audio::FrameHeader;
use crate::track::Codec;

/// Layer III bit rates in kbit/s by bitrate_index 1–14: MPEG-1, then MPEG-2 and 2.5.
const BIT_RATES_V1: [u32; 14] = [
    32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];
const BIT_RATES_V2: [u32; 14] = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

/// Reads an MPEG audio frame header at the start of `b`. Only Layer III is carried.
pub(crate) fn parse_mpa(b: &[u8]) -> Result<FrameHeader, String> {
    let h = b.get(..4).ok_or("shorter than an MPEG audio header")?;
    if h[0] != 0xff || h[1] & 0xe0 != 0xe0 {
        return Err("no MPEG audio syncword".into());
    }
    // version: '00' MPEG-2.5, '01' reserved, '10' MPEG-2, '11' MPEG-1.
    let version = (h[1] >> 3) & 0x03;
    let layer = (h[1] >> 1) & 0x03;
    if version == 1 {
        return Err("reserved version".into());
    }
    match layer {
        1 => {}
        0 => return Err("reserved layer".into()),
        _ => {
            return Err(format!(
                "Layer {} (only Layer III, MP3, is carried)",
                if layer == 2 { "II" } else { "I" }
            ))
        }
    }
    let bitrate_index = usize::from(h[2] >> 4);
    let rate_index = usize::from((h[2] >> 2) & 0x03);
    let padding = usize::from((h[2] >> 1) & 0x01);
    if bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 {
        return Err("free-format or reserved bit rate, or reserved sample rate".into());
    }
    let base_rate = [44_100, 48_000, 32_000][rate_index];
    let (sample_rate, kbps, slots, samples) = match version {
        3 => (base_rate, BIT_RATES_V1[bitrate_index - 1], 144, 1152),
        2 => (base_rate / 2, BIT_RATES_V2[bitrate_index - 1], 72, 576),
        _ => (base_rate / 4, BIT_RATES_V2[bitrate_index - 1], 72, 576),
    };
    let frame_len = (slots * kbps as usize * 1000) / sample_rate as usize + padding;
    let channels = if h[3] >> 6 == 3 { 1 } else { 2 };
    Ok(FrameHeader {
        frame_len,
        payload_start: 0,
        samples,
        sample_rate,
        channels,
        codec: Codec::Mp3,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_three_frames() {
        // MPEG-1 Layer III, 32 kbit/s, 44.1 kHz, no padding, joint stereo: what lame writes.
        let h = parse_mpa(&[0xff, 0xfb, 0x10, 0x64]).unwrap();
        assert_eq!(
            (h.frame_len, h.samples, h.sample_rate, h.channels),
            (104, 1152, 44_100, 2)
        );
        // Padding adds a byte.
        assert_eq!(parse_mpa(&[0xff, 0xfb, 0x12, 0x64]).unwrap().frame_len, 105);
        // MPEG-2 Layer III, 64 kbit/s, 22.05 kHz, mono.
        let h = parse_mpa(&[0xff, 0xf3, 0x80, 0xc4]).unwrap();
        assert_eq!(
            (h.frame_len, h.samples, h.sample_rate, h.channels),
            (208, 576, 22_050, 1)
        );
        // MPEG-2.5, 8 kHz.
        assert_eq!(
            parse_mpa(&[0xff, 0xe3, 0x18, 0xc4]).unwrap().sample_rate,
            8_000
        );
    }

    #[test]
    fn other_layers_and_reserved_values_are_refused() {
        assert!(parse_mpa(&[0xff, 0xfd, 0x10, 0x64]).is_err()); // Layer II
        assert!(parse_mpa(&[0xff, 0xfb, 0x00, 0x64]).is_err()); // free format
        assert!(parse_mpa(&[0xff, 0xfb, 0xf0, 0x64]).is_err()); // bitrate 15
        assert!(parse_mpa(&[0xff, 0xfb, 0x1c, 0x64]).is_err()); // rate index 3
        assert!(parse_mpa(&[0xff, 0xeb, 0x10, 0x64]).is_err()); // version '01'
        assert!(parse_mpa(&[0xff, 0xfb]).is_err());
    }
}
