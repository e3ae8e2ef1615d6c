//! Video elementary streams (H.264, H.265): a PES payload (one access unit in Annex B form) becomes one
//! MP4 sample of length-prefixed NAL units, and the parameter sets it carries become the sample entry's
//! configuration record.
//!
//! ISO/IEC 14496-15: in an `avc1`/`hvc1` track "all parameter sets ... shall be in the sample entry"
//! (5.4.2.1, 8.4.1.1), so parameter sets are taken out of the samples; access unit delimiters and filler
//! data are dropped too (a sample is one access unit with no start codes).

use super::annexb::nal_units;
use super::{avc, hevc};
use crate::track::{Codec, MediaParams};

/// Which video codec a stream carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VideoKind {
    /// H.264 (stream_type 0x1B).
    Avc,
    /// H.265 (stream_type 0x24).
    Hevc,
}

impl VideoKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            VideoKind::Avc => "H.264",
            VideoKind::Hevc => "H.265",
        }
    }
}

/// The parameter sets last seen, by kind: each list is replaced by an access unit that has that kind.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ParamSets {
    vps: Vec<Vec<u8>>,
    sps: Vec<Vec<u8>>,
    pps: Vec<Vec<u8>>,
}

/// One access unit as an MP4 sample.
#[derive(Debug, Default)]
pub(crate) struct AccessUnit {
    /// Length-prefixed NAL units.
    pub(crate) sample: Vec<u8>,
    /// True for an IDR (H.264) or IRAP (H.265) picture.
    pub(crate) keyframe: bool,
    /// True when it carried parameter sets (the configuration may have changed).
    pub(crate) has_params: bool,
}

/// Converts one access unit; parameter sets found in it replace those in `sets`.
pub(crate) fn access_unit(kind: VideoKind, payload: &[u8], sets: &mut ParamSets) -> AccessUnit {
    let mut au = AccessUnit::default();
    let (mut vps, mut sps, mut pps) = (Vec::new(), Vec::new(), Vec::new());
    for nal in nal_units(payload) {
        let param_list = match kind {
            VideoKind::Avc => match nal[0] & 0x1f {
                avc::NAL_SPS => Some(&mut sps),
                avc::NAL_PPS => Some(&mut pps),
                avc::NAL_AUD | avc::NAL_FILLER => continue,
                t => {
                    au.keyframe |= t == avc::NAL_IDR;
                    None
                }
            },
            VideoKind::Hevc => match hevc::nal_type(nal).unwrap_or(0) {
                hevc::NAL_VPS => Some(&mut vps),
                hevc::NAL_SPS => Some(&mut sps),
                hevc::NAL_PPS => Some(&mut pps),
                hevc::NAL_AUD | hevc::NAL_FILLER => continue,
                t => {
                    au.keyframe |= hevc::IRAP.contains(&t);
                    None
                }
            },
        };
        match param_list {
            Some(list) => {
                if !list.iter().any(|n: &Vec<u8>| n == nal) {
                    list.push(nal.to_vec());
                }
            }
            None => {
                // A NAL unit is at most a PES's bytes (8 MiB), so its length fits in 32 bits.
                au.sample
                    .extend_from_slice(&(nal.len() as u32).to_be_bytes());
                au.sample.extend_from_slice(nal);
            }
        }
    }
    for (found, kept) in [
        (vps, &mut sets.vps),
        (sps, &mut sets.sps),
        (pps, &mut sets.pps),
    ] {
        if !found.is_empty() {
            au.has_params = true;
            *kept = found;
        }
    }
    au
}

/// The codec configuration and picture size the parameter sets give.
pub(crate) fn video_config(
    kind: VideoKind,
    sets: &ParamSets,
) -> Result<(Codec, MediaParams), String> {
    let (codec, width, height) = match kind {
        VideoKind::Avc => {
            let record = avc::avcc(&sets.sps, &sets.pps)?;
            let sps = avc::parse_sps(&sets.sps[0])?;
            (Codec::Avc { avcc: record }, sps.width, sps.height)
        }
        VideoKind::Hevc => {
            let record = hevc::hvcc(&sets.vps, &sets.sps, &sets.pps)?;
            let sps = hevc::parse_sps(&sets.sps[0])?;
            (Codec::Hevc { hvcc: record }, sps.width, sps.height)
        }
    };
    let size = |v: u32| {
        u16::try_from(v)
            .ok()
            .filter(|&v| v > 0)
            .ok_or_else(|| format!("picture size {width}x{height}"))
    };
    Ok((
        codec,
        MediaParams::Video {
            width: size(width)?,
            height: size(height)?,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ts::avc::tests::{PPS_160X90, SPS_160X90};

    fn annexb(nals: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for n in nals {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(n);
        }
        out
    }

    #[test]
    fn h264_access_unit_to_sample_and_config() {
        let idr = [0x65, 0x88, 0x84, 0x21];
        let sei = [0x06, 0x05, 0x01, 0x80];
        let payload = annexb(&[&[0x09, 0xf0], &SPS_160X90, &PPS_160X90, &sei, &idr]);
        let mut sets = ParamSets::default();
        let au = access_unit(VideoKind::Avc, &payload, &mut sets);
        assert!(au.keyframe && au.has_params);
        let mut expected = vec![0, 0, 0, 4];
        expected.extend_from_slice(&sei);
        expected.extend_from_slice(&[0, 0, 0, 4]);
        expected.extend_from_slice(&idr);
        assert_eq!(au.sample, expected);
        let (codec, params) = video_config(VideoKind::Avc, &sets).unwrap();
        assert_eq!(
            params,
            MediaParams::Video {
                width: 160,
                height: 90
            }
        );
        assert!(matches!(codec, Codec::Avc { .. }));
        // A P-frame alone keeps the sets.
        let p = access_unit(VideoKind::Avc, &annexb(&[&[0x41, 0x9a, 0x02]]), &mut sets);
        assert!(!p.keyframe && !p.has_params);
        assert!(video_config(VideoKind::Avc, &sets).is_ok());
        // No parameter sets at all: no configuration, no panic.
        assert!(video_config(VideoKind::Avc, &ParamSets::default()).is_err());
        assert!(video_config(VideoKind::Hevc, &ParamSets::default()).is_err());
    }

    #[test]
    fn h265_irap_and_parameter_sets() {
        use crate::ts::hevc::tests::{PPS, SPS, VPS};
        let cra = [0x2a, 0x01, 0xaf, 0x80]; // nal_unit_type 21
        let payload = annexb(&[&[0x46, 0x01, 0x50], &VPS, &SPS, &PPS, &cra]);
        let mut sets = ParamSets::default();
        let au = access_unit(VideoKind::Hevc, &payload, &mut sets);
        assert!(au.keyframe);
        assert_eq!(au.sample.len(), 4 + cra.len());
        let (codec, _) = video_config(VideoKind::Hevc, &sets).unwrap();
        assert!(matches!(codec, Codec::Hevc { .. }));
        let trail = access_unit(VideoKind::Hevc, &annexb(&[&[0x02, 0x01, 0xd0]]), &mut sets);
        assert!(!trail.keyframe);
    }
}
