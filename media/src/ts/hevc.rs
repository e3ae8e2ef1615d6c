//! H.265: the sequence parameter set fields the `hvcC` record and the picture size need (ITU-T H.265
//! 7.3.2.2 and profile_tier_level 7.3.3), and the HEVCDecoderConfigurationRecord built from the VPS, SPS
//! and PPS (ISO/IEC 14496-15 8.3.3.1).

use super::annexb::unescape;
use super::avc::put_nal;
use super::bits::BitReader;

/// nal_unit_type of a video parameter set.
pub(crate) const NAL_VPS: u8 = 32;
/// nal_unit_type of a sequence parameter set.
pub(crate) const NAL_SPS: u8 = 33;
/// nal_unit_type of a picture parameter set.
pub(crate) const NAL_PPS: u8 = 34;
/// nal_unit_type of an access unit delimiter.
pub(crate) const NAL_AUD: u8 = 35;
/// nal_unit_type of filler data.
pub(crate) const NAL_FILLER: u8 = 38;
/// nal_unit_types of IRAP pictures (BLA, IDR, CRA and the reserved IRAP types): "16 to 23".
pub(crate) const IRAP: std::ops::RangeInclusive<u8> = 16..=23;

/// The nal_unit_type of an H.265 NAL unit (the 6 bits after forbidden_zero_bit).
pub(crate) fn nal_type(nal: &[u8]) -> Option<u8> {
    nal.first().map(|b| (b >> 1) & 0x3f)
}

/// The SPS fields used here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HevcSps {
    /// The 12 bytes of general_profile_space … general_level_idc, as the record stores them.
    pub(crate) general: [u8; 12],
    pub(crate) max_sub_layers_minus1: u8,
    pub(crate) temporal_id_nesting: bool,
    pub(crate) chroma_format_idc: u32,
    pub(crate) bit_depth_luma_minus8: u32,
    pub(crate) bit_depth_chroma_minus8: u32,
    /// Width in pixels after the conformance window.
    pub(crate) width: u32,
    /// Height in pixels after the conformance window.
    pub(crate) height: u32,
}

/// Reads an SPS NAL unit (2-byte header included, emulation prevention bytes in place).
pub(crate) fn parse_sps(nal: &[u8]) -> Result<HevcSps, String> {
    let rbsp = unescape(nal);
    read_sps(&rbsp).ok_or_else(|| format!("SPS of {} bytes ends early", nal.len()))
}

fn read_sps(rbsp: &[u8]) -> Option<HevcSps> {
    let first = *rbsp.get(2)?;
    let max_sub_layers_minus1 = (first >> 1) & 0x07;
    let temporal_id_nesting = first & 0x01 != 0;
    let general: [u8; 12] = rbsp.get(3..15)?.try_into().ok()?;
    let mut r = BitReader::new(rbsp.get(15..)?);
    // The rest of profile_tier_level( 1, sps_max_sub_layers_minus1 ).
    let n = usize::from(max_sub_layers_minus1);
    let mut present = [(false, false); 8];
    for p in present.iter_mut().take(n) {
        *p = (r.bit()?, r.bit()?);
    }
    if n > 0 {
        r.skip(2 * (8 - n))?; // reserved_zero_2bits
    }
    for &(profile, level) in present.iter().take(n) {
        if profile {
            r.skip(88)?;
        }
        if level {
            r.skip(8)?;
        }
    }
    r.ue()?; // sps_seq_parameter_set_id
    let chroma_format_idc = r.ue()?;
    let separate_colour_plane = chroma_format_idc == 3 && r.bit()?;
    let width = u64::from(r.ue()?);
    let height = u64::from(r.ue()?);
    let mut window = [0u64; 4]; // left, right, top, bottom
    if r.bit()? {
        for w in &mut window {
            *w = u64::from(r.ue()?);
        }
    }
    let bit_depth_luma_minus8 = r.ue()?;
    let bit_depth_chroma_minus8 = r.ue()?;
    // Table 6-1: SubWidthC and SubHeightC (1 and 1 when ChromaArrayType is 0).
    let (sub_w, sub_h) = match (chroma_format_idc, separate_colour_plane) {
        (1, _) => (2, 2),
        (2, _) => (2, 1),
        _ => (1, 1),
    };
    let width = width.checked_sub(sub_w * (window[0] + window[1]))?;
    let height = height.checked_sub(sub_h * (window[2] + window[3]))?;
    Some(HevcSps {
        general,
        max_sub_layers_minus1,
        temporal_id_nesting,
        chroma_format_idc,
        bit_depth_luma_minus8,
        bit_depth_chroma_minus8,
        width: u32::try_from(width).ok()?,
        height: u32::try_from(height).ok()?,
    })
}

/// The HEVCDecoderConfigurationRecord for these parameter sets (the first SPS gives the profile), with
/// 4-byte NAL unit lengths and every array complete ("array_completeness ... when equal to 1 indicates
/// that all NAL units of the given type are in the following array and none are in the stream"): the
/// transmuxer takes parameter sets out of the samples, which is what the `hvc1` sample entry asks.
pub(crate) fn hvcc(vps: &[Vec<u8>], sps: &[Vec<u8>], pps: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    let first = sps.first().ok_or("no SPS")?;
    let s = parse_sps(first)?;
    if vps.is_empty() || pps.is_empty() {
        return Err("no VPS or no PPS".into());
    }
    let mut out = vec![1]; // configurationVersion
    out.extend_from_slice(&s.general);
    out.extend_from_slice(&[
        0xf0,
        0x00, // reserved '1111', min_spatial_segmentation_idc 0
        0xfc, // reserved '111111', parallelismType 0 (unknown)
        0xfc | (s.chroma_format_idc & 0x03) as u8,
        0xf8 | (s.bit_depth_luma_minus8 & 0x07) as u8,
        0xf8 | (s.bit_depth_chroma_minus8 & 0x07) as u8,
        0x00,
        0x00, // avgFrameRate unknown
        // constantFrameRate 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne 3
        ((s.max_sub_layers_minus1 + 1) << 3) | (u8::from(s.temporal_id_nesting) << 2) | 3,
        3, // numOfArrays
    ]);
    for (nal_type, list) in [(NAL_VPS, vps), (NAL_SPS, sps), (NAL_PPS, pps)] {
        out.push(0x80 | nal_type); // array_completeness 1, reserved 0, NAL_unit_type
        let count = u16::try_from(list.len()).map_err(|_| "too many parameter sets")?;
        out.extend_from_slice(&count.to_be_bytes());
        for nal in list {
            put_nal(&mut out, nal)?;
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::track::{Codec, MediaParams, TrackInfo};

    /// The VPS, SPS and PPS x265 writes for 160x90 Main profile (the tests' fixture).
    pub(crate) const VPS: [u8; 24] = [
        0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00,
        0x03, 0x00, 0x00, 0x03, 0x00, 0x1e, 0x95, 0x90, 0x09,
    ];
    pub(crate) const SPS: [u8; 42] = [
        0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00,
        0x03, 0x00, 0x1e, 0xa0, 0x14, 0x20, 0x61, 0xf2, 0x65, 0x95, 0x92, 0x49, 0x32, 0xbc, 0x05,
        0xa0, 0x20, 0x00, 0x00, 0x03, 0x00, 0x20, 0x00, 0x00, 0x03, 0x03, 0x21,
    ];
    pub(crate) const PPS: [u8; 7] = [0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40];

    #[test]
    fn sps_picture_size_and_profile() {
        let s = parse_sps(&SPS).unwrap();
        assert_eq!((s.width, s.height), (160, 90));
        assert_eq!(s.chroma_format_idc, 1);
        assert_eq!(s.general[0], 0x01); // Main profile, main tier
        for n in 0..20 {
            assert!(parse_sps(&SPS[..n]).is_err(), "{n} bytes");
        }
    }

    #[test]
    fn hvcc_record_gives_the_codec_string() {
        let record = hvcc(&[VPS.to_vec()], &[SPS.to_vec()], &[PPS.to_vec()]).unwrap();
        assert_eq!(record.len(), 23 + 3 * 5 + VPS.len() + SPS.len() + PPS.len());
        assert_eq!(record[22], 3);
        let track = TrackInfo {
            id: 1,
            timescale: 90_000,
            codec: Codec::Hevc { hvcc: record },
            params: MediaParams::Video {
                width: 160,
                height: 90,
            },
        };
        assert_eq!(track.codec_string(), "hvc1.1.6.L30.90");
        assert!(hvcc(&[], &[SPS.to_vec()], &[PPS.to_vec()]).is_err());
    }
}
