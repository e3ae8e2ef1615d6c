//! H.264: the sequence parameter set fields the `avcC` record and the picture size need (ITU-T H.264
//! 7.3.2.1.1), and the AVCDecoderConfigurationRecord built from the SPS and PPS (ISO/IEC 14496-15 5.3.3.1).

use super::annexb::unescape;
use super::bits::BitReader;

/// nal_unit_type of an IDR picture's slice.
pub(crate) const NAL_IDR: u8 = 5;
/// nal_unit_type of a sequence parameter set.
pub(crate) const NAL_SPS: u8 = 7;
/// nal_unit_type of a picture parameter set.
pub(crate) const NAL_PPS: u8 = 8;
/// nal_unit_type of an access unit delimiter.
pub(crate) const NAL_AUD: u8 = 9;
/// nal_unit_type of filler data.
pub(crate) const NAL_FILLER: u8 = 12;

/// The SPS fields used here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AvcSps {
    pub(crate) profile_idc: u8,
    pub(crate) constraint_flags: u8,
    pub(crate) level_idc: u8,
    pub(crate) chroma_format_idc: u32,
    pub(crate) bit_depth_luma_minus8: u32,
    pub(crate) bit_depth_chroma_minus8: u32,
    /// Width in pixels after cropping.
    pub(crate) width: u32,
    /// Height in pixels after cropping.
    pub(crate) height: u32,
}

/// profile_idc values whose SPS carries chroma_format_idc and bit depths (7.3.2.1.1).
fn has_chroma_info(profile_idc: u8) -> bool {
    matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    )
}

/// Skips a scaling_list( ) of `size` entries (7.3.2.1.1.1).
fn skip_scaling_list(r: &mut BitReader<'_>, size: usize) -> Option<()> {
    let (mut last, mut next) = (8i32, 8i32);
    for _ in 0..size {
        if next != 0 {
            let delta = r.se()?;
            next = (last + delta + 256).rem_euclid(256);
        }
        if next != 0 {
            last = next;
        }
    }
    Some(())
}

/// Reads an SPS NAL unit (header byte included, emulation prevention bytes in place).
pub(crate) fn parse_sps(nal: &[u8]) -> Result<AvcSps, String> {
    let rbsp = unescape(nal);
    read_sps(&rbsp).ok_or_else(|| format!("SPS of {} bytes ends early", nal.len()))
}

fn read_sps(rbsp: &[u8]) -> Option<AvcSps> {
    let mut r = BitReader::new(rbsp.get(1..)?);
    let profile_idc = r.bits(8)? as u8;
    let constraint_flags = r.bits(8)? as u8;
    let level_idc = r.bits(8)? as u8;
    r.ue()?; // seq_parameter_set_id
    let (mut chroma_format_idc, mut separate_colour_plane) = (1, false);
    let (mut bit_depth_luma_minus8, mut bit_depth_chroma_minus8) = (0, 0);
    if has_chroma_info(profile_idc) {
        chroma_format_idc = r.ue()?;
        if chroma_format_idc == 3 {
            separate_colour_plane = r.bit()?;
        }
        bit_depth_luma_minus8 = r.ue()?;
        bit_depth_chroma_minus8 = r.ue()?;
        r.bit()?; // qpprime_y_zero_transform_bypass_flag
        if r.bit()? {
            // seq_scaling_matrix_present_flag
            let lists = if chroma_format_idc != 3 { 8 } else { 12 };
            for i in 0..lists {
                if r.bit()? {
                    skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    r.ue()?; // log2_max_frame_num_minus4
    match r.ue()? {
        0 => {
            r.ue()?; // log2_max_pic_order_cnt_lsb_minus4
        }
        1 => {
            r.bit()?; // delta_pic_order_always_zero_flag
            r.se()?; // offset_for_non_ref_pic
            r.se()?; // offset_for_top_to_bottom_field
            let cycle = r.ue()?;
            if cycle > 255 {
                return None;
            }
            for _ in 0..cycle {
                r.se()?;
            }
        }
        _ => {}
    }
    r.ue()?; // max_num_ref_frames
    r.bit()?; // gaps_in_frame_num_value_allowed_flag
    let width_mbs = u64::from(r.ue()?) + 1;
    let height_map_units = u64::from(r.ue()?) + 1;
    let frame_mbs_only = r.bit()?;
    if !frame_mbs_only {
        r.bit()?; // mb_adaptive_frame_field_flag
    }
    r.bit()?; // direct_8x8_inference_flag
    let mut crop = [0u64; 4]; // left, right, top, bottom
    if r.bit()? {
        for c in &mut crop {
            *c = u64::from(r.ue()?);
        }
    }
    // 7.4.2.1.1: CropUnitX/Y from ChromaArrayType (0 for monochrome or separate colour planes).
    let frame_height_factor = if frame_mbs_only { 1 } else { 2 };
    let chroma_array_type = if separate_colour_plane {
        0
    } else {
        chroma_format_idc
    };
    let (crop_x, crop_y) = match chroma_array_type {
        0 => (1, frame_height_factor),
        1 => (2, 2 * frame_height_factor),
        2 => (2, frame_height_factor),
        _ => (1, frame_height_factor),
    };
    let width = (width_mbs * 16).checked_sub(crop_x * (crop[0] + crop[1]))?;
    let height =
        (frame_height_factor * height_map_units * 16).checked_sub(crop_y * (crop[2] + crop[3]))?;
    Some(AvcSps {
        profile_idc,
        constraint_flags,
        level_idc,
        chroma_format_idc,
        bit_depth_luma_minus8,
        bit_depth_chroma_minus8,
        width: u32::try_from(width).ok()?,
        height: u32::try_from(height).ok()?,
    })
}

/// Appends a 16-bit length and the NAL unit.
pub(crate) fn put_nal(out: &mut Vec<u8>, nal: &[u8]) -> Result<(), String> {
    let len =
        u16::try_from(nal.len()).map_err(|_| format!("parameter set of {} bytes", nal.len()))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(nal);
    Ok(())
}

/// The AVCDecoderConfigurationRecord for these SPS and PPS NAL units (the first SPS gives the profile),
/// with 4-byte NAL unit lengths. The High profile fields ("if( profile_idc == 100 || ... )") follow the
/// PPS list.
pub(crate) fn avcc(sps_list: &[Vec<u8>], pps_list: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    let first = sps_list.first().ok_or("no SPS")?;
    let sps = parse_sps(first)?;
    if pps_list.is_empty() {
        return Err("no PPS".into());
    }
    if sps_list.len() > 31 || pps_list.len() > 255 {
        return Err("too many parameter sets".into());
    }
    let mut out = vec![
        1, // configurationVersion
        sps.profile_idc,
        sps.constraint_flags,
        sps.level_idc,
        0xfc | 3,                    // reserved '111111', lengthSizeMinusOne 3
        0xe0 | sps_list.len() as u8, // reserved '111', numOfSequenceParameterSets
    ];
    for s in sps_list {
        put_nal(&mut out, s)?;
    }
    out.push(pps_list.len() as u8);
    for p in pps_list {
        put_nal(&mut out, p)?;
    }
    if has_chroma_info(sps.profile_idc) {
        out.push(0xfc | (sps.chroma_format_idc & 0x03) as u8);
        out.push(0xf8 | (sps.bit_depth_luma_minus8 & 0x07) as u8);
        out.push(0xf8 | (sps.bit_depth_chroma_minus8 & 0x07) as u8);
        out.push(0); // numOfSequenceParameterSetExt
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The SPS x264 writes for 160x90 High profile 4:2:0 (10x6 macroblocks, 6 rows of luma cropped).
    pub(crate) const SPS_160X90: [u8; 25] = [
        0x67, 0x64, 0x00, 0x0b, 0xac, 0xd9, 0x42, 0x8d, 0xf9, 0x30, 0x11, 0x00, 0x00, 0x03, 0x00,
        0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0f, 0x14, 0x29, 0x96,
    ];
    /// Its PPS.
    pub(crate) const PPS_160X90: [u8; 6] = [0x68, 0xeb, 0xe0, 0x65, 0x2c, 0x8b];

    #[test]
    fn sps_picture_size_with_cropping() {
        let sps = parse_sps(&SPS_160X90).unwrap();
        assert_eq!((sps.width, sps.height), (160, 90));
        assert_eq!((sps.profile_idc, sps.level_idc), (100, 11));
        assert_eq!(sps.chroma_format_idc, 1);
        // Cut short anywhere: an error once the picture size is cut, never a panic.
        for n in 0..SPS_160X90.len() {
            let cut = parse_sps(&SPS_160X90[..n]);
            assert!(n > 6 || cut.is_err(), "{n} bytes");
        }
    }

    #[test]
    fn baseline_sps_without_cropping() {
        // profile 66, level 30, sps id 0, log2_max_frame_num 4, poc type 2, 1 ref frame,
        // 40x30 macroblocks (640x480), frame_mbs_only, direct_8x8, no cropping, no VUI.
        let mut bits = String::new();
        let ue = |v: u32| {
            let code = v + 1;
            let n = 32 - code.leading_zeros();
            format!(
                "{}{:0w$b}",
                "0".repeat(n as usize - 1),
                code,
                w = n as usize
            )
        };
        for f in [ue(0), ue(0), ue(2), ue(1), "0".into(), ue(39), ue(29)] {
            bits.push_str(&f);
        }
        bits.push_str("1100"); // frame_mbs_only, direct_8x8, no cropping, no VUI
        bits.push('1'); // rbsp_stop_one_bit
        while !bits.len().is_multiple_of(8) {
            bits.push('0');
        }
        let mut nal = vec![0x67, 66, 0xc0, 30];
        nal.extend(
            bits.as_bytes()
                .chunks(8)
                .map(|b| u8::from_str_radix(std::str::from_utf8(b).unwrap(), 2).unwrap()),
        );
        let sps = parse_sps(&nal).unwrap();
        assert_eq!((sps.width, sps.height, sps.profile_idc), (640, 480, 66));
        let record = avcc(&[nal.clone()], &[vec![0x68, 0xce, 0x38, 0x80]]).unwrap();
        // No High profile extension for Baseline.
        assert_eq!(record.len(), 6 + 2 + nal.len() + 1 + 2 + 4);
        assert_eq!(&record[..6], &[1, 66, 0xc0, 30, 0xff, 0xe1]);
    }

    #[test]
    fn avcc_record_layout() {
        let pps = PPS_160X90.to_vec();
        let record = avcc(&[SPS_160X90.to_vec()], std::slice::from_ref(&pps)).unwrap();
        assert_eq!(&record[..6], &[1, 0x64, 0x00, 0x0b, 0xff, 0xe1]);
        assert_eq!(&record[6..8], &[0, 25]);
        assert_eq!(record[8 + 25], 1);
        assert_eq!(&record[8 + 25 + 1..8 + 25 + 3], &[0, 6]);
        // High profile: chroma_format 1, 8-bit luma and chroma, no SPS extensions.
        assert_eq!(&record[record.len() - 4..], &[0xfd, 0xf8, 0xf8, 0]);
        assert!(avcc(&[], &[pps]).is_err());
        assert!(avcc(&[SPS_160X90.to_vec()], &[]).is_err());
    }
}
