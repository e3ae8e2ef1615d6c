//! What a track is: its codec configuration, timescale and picture size or channel layout, plus the
//! RFC 6381 codec strings (`CODECS` in a playlist, the MIME type given to Media Source Extensions).

use crate::error::MuxError;

/// A codec and its decoder configuration, exactly as the bitstream describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Codec {
    /// H.264. `avcc` is the whole AVCDecoderConfigurationRecord (ISO/IEC 14496-15), which is what
    /// WebCodecs gives as `decoderConfig.description` with `avc: {format: "avc"}`.
    Avc {
        /// The `avcC` box body.
        avcc: Vec<u8>,
    },
    /// H.265. `hvcc` is the HEVCDecoderConfigurationRecord (ISO/IEC 14496-15), the `hvcC` box body.
    Hevc {
        /// The `hvcC` box body.
        hvcc: Vec<u8>,
    },
    /// VP9. `vpcc` is the whole `vpcC` box body (version and flags included).
    Vp9 {
        /// The `vpcC` box body.
        vpcc: Vec<u8>,
    },
    /// AV1. `av1c` is the AV1CodecConfigurationRecord, the `av1C` box body.
    Av1 {
        /// The `av1C` box body.
        av1c: Vec<u8>,
    },
    /// Opus. `dops` is the body of the `dOps` box (Opus in ISOBMFF, section 4.3.2).
    Opus {
        /// The `dOps` box body.
        dops: Vec<u8>,
    },
    /// AAC. `asc` is the AudioSpecificConfig (ISO/IEC 14496-3) carried in `esds`.
    Aac {
        /// The AudioSpecificConfig.
        asc: Vec<u8>,
    },
    /// MP3 (MPEG-1/2 Audio Layer III), in an `mp4a` sample entry whose `esds` names objectTypeIndication
    /// 0x6B (ISO/IEC 11172-3 audio) and carries no decoder configuration: each frame header says it all.
    Mp3,
}

/// Picture size or channel layout, depending on the track's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaParams {
    /// A video track.
    Video {
        /// Coded width in pixels.
        width: u16,
        /// Coded height in pixels.
        height: u16,
    },
    /// An audio track.
    Audio {
        /// Number of channels.
        channels: u16,
        /// Sample rate in Hz.
        sample_rate: u32,
    },
}

/// One track of an init segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackInfo {
    /// `track_ID` of `tkhd`, `tfhd` and `trex`; 1 or more.
    pub id: u32,
    /// Units per second of every time in this track (`mdhd` timescale).
    pub timescale: u32,
    /// The codec and its configuration.
    pub codec: Codec,
    /// Size or channels.
    pub params: MediaParams,
}

impl TrackInfo {
    /// True for a video track.
    pub fn is_video(&self) -> bool {
        matches!(self.params, MediaParams::Video { .. })
    }

    /// The RFC 6381 codec string derived from the configuration record, e.g. `avc1.64001f`, `opus`,
    /// `mp4a.40.2`.
    pub fn codec_string(&self) -> String {
        match &self.codec {
            Codec::Avc { avcc } => match avcc.get(1..4) {
                Some([profile, compat, level]) => {
                    format!("avc1.{profile:02x}{compat:02x}{level:02x}")
                }
                _ => "avc1".to_string(),
            },
            Codec::Hevc { hvcc } => hevc_codec_string(hvcc),
            Codec::Vp9 { vpcc } => vp9_codec_string(vpcc),
            Codec::Av1 { av1c } => av1_codec_string(av1c),
            Codec::Opus { .. } => "opus".to_string(),
            Codec::Aac { asc } => format!("mp4a.40.{}", aac_object_type(asc).unwrap_or(2)),
            Codec::Mp3 => MP3_CODEC_STRING.to_string(),
        }
    }
}

/// The codec string of MP3 in MP4: `mp3`, the one Media Source Extensions take. RFC 6381's form would be
/// `mp4a.6B` (objectTypeIndication in hexadecimal) and Apple's HLS authoring spec names `mp4a.40.34`, but
/// measured with `MediaSource.isTypeSupported("audio/mp4; codecs=...")`, Firefox ESR 153 says true for `mp3`
/// only, and Chromium 156 false for all three (it takes MP3 only as `audio/mpeg`).
pub const MP3_CODEC_STRING: &str = "mp3";

/// `hvc1.<profile space><profile idc>.<compatibility flags, bit-reversed, hex>.<tier><level>.<constraint
/// bytes>` (ISO/IEC 14496-15 annex E), from the `hvcC` record.
fn hevc_codec_string(hvcc: &[u8]) -> String {
    let (Some(&b1), Some(compat), Some(constraints), Some(&level)) =
        (hvcc.get(1), hvcc.get(2..6), hvcc.get(6..12), hvcc.get(12))
    else {
        return "hvc1".to_string();
    };
    let space = match b1 >> 6 {
        1 => "A",
        2 => "B",
        3 => "C",
        _ => "",
    };
    let tier = if b1 & 0x20 != 0 { 'H' } else { 'L' };
    let profile = b1 & 0x1f;
    let flags = u32::from_be_bytes([compat[0], compat[1], compat[2], compat[3]]).reverse_bits();
    let mut s = format!("hvc1.{space}{profile}.{flags:X}.{tier}{level}");
    let last = constraints.iter().rposition(|&b| b != 0);
    if let Some(last) = last {
        for b in &constraints[..=last] {
            s.push_str(&format!(".{b:X}"));
        }
    }
    s
}

/// `vp09.PP.LL.DD.CC.cp.tc.mc.FF` (VP Codec ISO Media File Format Binding, "Codecs Parameter String"),
/// from the `vpcC` body (version 1).
fn vp9_codec_string(vpcc: &[u8]) -> String {
    let Some(f) = vpcc.get(4..12) else {
        return "vp09".to_string();
    };
    let (profile, level, bits) = (f[0], f[1], f[2]);
    let bit_depth = bits >> 4;
    let chroma = (bits >> 1) & 0x07;
    let full_range = bits & 0x01;
    let (primaries, transfer, matrix) = (f[3], f[4], f[5]);
    format!(
        "vp09.{profile:02}.{level:02}.{bit_depth:02}.{chroma:02}.{primaries:02}.{transfer:02}.{matrix:02}.{full_range:02}"
    )
}

/// `av01.P.LLT.DD` (AV1 Codec ISO Media File Format Binding, "Codecs Parameter String"), from `av1C`.
fn av1_codec_string(av1c: &[u8]) -> String {
    let (Some(&b1), Some(&b2)) = (av1c.get(1), av1c.get(2)) else {
        return "av01".to_string();
    };
    let profile = b1 >> 5;
    let level = b1 & 0x1f;
    let tier = if b2 & 0x80 != 0 { 'H' } else { 'M' };
    let bit_depth = match (b2 & 0x40 != 0, b2 & 0x20 != 0) {
        (true, true) => 12,
        (true, false) => 10,
        _ => 8,
    };
    format!("av01.{profile}.{level:02}{tier}.{bit_depth:02}")
}

/// The AAC audio object type of an AudioSpecificConfig (5 bits, with the escape to 32 + 6 bits).
fn aac_object_type(asc: &[u8]) -> Option<u8> {
    let first = *asc.first()?;
    let object_type = first >> 3;
    if object_type == 31 {
        let second = *asc.get(1)?;
        Some(32 + (((first & 0x07) << 3) | (second >> 5)))
    } else {
        Some(object_type)
    }
}

/// The tracks of one init segment (one CMAF header).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InitSegment {
    /// Tracks in `moov` order.
    pub tracks: Vec<TrackInfo>,
}

impl InitSegment {
    /// The first video track.
    pub fn video(&self) -> Option<&TrackInfo> {
        self.tracks.iter().find(|t| t.is_video())
    }

    /// The first audio track.
    pub fn audio(&self) -> Option<&TrackInfo> {
        self.tracks.iter().find(|t| !t.is_video())
    }

    /// The track with this id.
    pub fn track(&self, id: u32) -> Option<&TrackInfo> {
        self.tracks.iter().find(|t| t.id == id)
    }

    /// Every track's codec string, comma-separated, video first: the `CODECS` attribute.
    pub fn codecs(&self) -> String {
        // Video, then the rest, each in order (a partition: a sort costs the player's bundle ~4 KB).
        let video = self.tracks.iter().filter(|t| t.is_video());
        video
            .chain(self.tracks.iter().filter(|t| !t.is_video()))
            .map(|t| t.codec_string())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Converts the `OpusHead` that WebCodecs gives as an Opus encoder's `description` (RFC 7845 section 5.1,
/// little-endian) into the body of a `dOps` box (big-endian, without the magic).
pub fn opus_dops_from_opus_head(opus_head: &[u8]) -> Result<Vec<u8>, MuxError> {
    let bad = |why: &str| MuxError::InvalidConfig(format!("OpusHead: {why}"));
    if opus_head.len() < 19 || !opus_head.starts_with(b"OpusHead") {
        return Err(bad("shorter than 19 bytes or without the 'OpusHead' magic"));
    }
    let field = |range: std::ops::Range<usize>| opus_head.get(range).ok_or_else(|| bad("short"));
    let channels = opus_head[9];
    let pre_skip = u16::from_le_bytes([opus_head[10], opus_head[11]]);
    let rate = field(12..16)?;
    let input_sample_rate = u32::from_le_bytes([rate[0], rate[1], rate[2], rate[3]]);
    let output_gain = i16::from_le_bytes([opus_head[16], opus_head[17]]);
    let family = opus_head[18];
    let mut dops = Vec::with_capacity(11 + 2 + channels as usize);
    dops.push(0); // Version
    dops.push(channels);
    dops.extend_from_slice(&pre_skip.to_be_bytes());
    dops.extend_from_slice(&input_sample_rate.to_be_bytes());
    dops.extend_from_slice(&output_gain.to_be_bytes());
    dops.push(family);
    if family != 0 {
        let table = field(19..21 + channels as usize)?;
        dops.extend_from_slice(table);
    }
    Ok(dops)
}

/// A `dOps` body for mapping family 0 (mono or stereo), for when an encoder gives no description.
pub fn opus_dops(channels: u8, pre_skip: u16, input_sample_rate: u32) -> Vec<u8> {
    let mut dops = vec![0, channels];
    dops.extend_from_slice(&pre_skip.to_be_bytes());
    dops.extend_from_slice(&input_sample_rate.to_be_bytes());
    dops.extend_from_slice(&0i16.to_be_bytes());
    dops.push(0);
    dops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avc_codec_string_comes_from_avcc() {
        let track = TrackInfo {
            id: 1,
            timescale: 90_000,
            codec: Codec::Avc {
                avcc: vec![1, 0x64, 0x00, 0x1f, 0xff],
            },
            params: MediaParams::Video {
                width: 1280,
                height: 720,
            },
        };
        assert_eq!(track.codec_string(), "avc1.64001f");
    }

    #[test]
    fn video_codec_strings() {
        // Main profile, level 3.1, main tier, progressive/frame-only constraints (as x265 writes them).
        let mut hvcc = vec![1, 0x01, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 93];
        hvcc.extend_from_slice(&[0; 10]);
        assert_eq!(hevc_codec_string(&hvcc), "hvc1.1.6.L93.90");
        let vpcc = [1, 0, 0, 0, 0, 31, 0x82, 1, 1, 1, 0, 0];
        assert_eq!(vp9_codec_string(&vpcc), "vp09.00.31.08.01.01.01.01.00");
        assert_eq!(av1_codec_string(&[0x81, 0x08, 0x0c, 0]), "av01.0.08M.08");
        assert_eq!(
            av1_codec_string(&[0x81, 0x08 | 0x20, 0xc0, 0]),
            "av01.1.08H.10"
        );
        assert_eq!(av1_codec_string(&[0x81]), "av01");
    }

    #[test]
    fn aac_object_types() {
        assert_eq!(aac_object_type(&[0x12, 0x10]), Some(2)); // AAC-LC 44.1 kHz stereo
        assert_eq!(aac_object_type(&[0x2b, 0x92]), Some(5)); // HE-AAC
        assert_eq!(aac_object_type(&[0xf8, 0x40]), Some(34)); // escaped
        assert_eq!(aac_object_type(&[]), None);
    }

    #[test]
    fn opus_head_to_dops() {
        let mut head = b"OpusHead".to_vec();
        head.extend_from_slice(&[1, 2]);
        head.extend_from_slice(&312u16.to_le_bytes());
        head.extend_from_slice(&48_000u32.to_le_bytes());
        head.extend_from_slice(&0i16.to_le_bytes());
        head.push(0);
        let dops = opus_dops_from_opus_head(&head).unwrap();
        assert_eq!(dops, opus_dops(2, 312, 48_000));
        assert_eq!(dops.len(), 11);
        assert!(opus_dops_from_opus_head(b"OpusHead").is_err());
        assert!(opus_dops_from_opus_head(&[0; 19]).is_err());
    }

    #[test]
    fn codecs_lists_video_first() {
        let init = InitSegment {
            tracks: vec![
                TrackInfo {
                    id: 2,
                    timescale: 48_000,
                    codec: Codec::Opus {
                        dops: opus_dops(2, 0, 48_000),
                    },
                    params: MediaParams::Audio {
                        channels: 2,
                        sample_rate: 48_000,
                    },
                },
                TrackInfo {
                    id: 1,
                    timescale: 90_000,
                    codec: Codec::Avc {
                        avcc: vec![1, 0x42, 0xe0, 0x1f],
                    },
                    params: MediaParams::Video {
                        width: 640,
                        height: 360,
                    },
                },
            ],
        };
        assert_eq!(init.codecs(), "avc1.42e01f,opus");
        assert_eq!(init.video().map(|t| t.id), Some(1));
        assert_eq!(init.audio().map(|t| t.id), Some(2));
    }
}
