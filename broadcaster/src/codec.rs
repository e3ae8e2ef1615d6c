//! Codec choices: the H.264 codec string for a frame size and the audio codec candidates.

/// One row of the H.264 level limits (ITU-T H.264 Table A-1).
#[derive(Debug, Clone, Copy)]
struct AvcLevel {
    /// `level_idc`: level times ten (3.1 -> 31).
    idc: u8,
    /// MaxFS: maximum frame size in macroblocks.
    max_frame_mbs: u32,
    /// MaxMBPS: maximum macroblocks per second.
    max_mbs_per_sec: u32,
    /// MaxBR for Baseline/Main, in 1000 bit/s.
    max_kbps: u32,
}

const AVC_LEVELS: &[AvcLevel] = &[
    AvcLevel {
        idc: 30,
        max_frame_mbs: 1_620,
        max_mbs_per_sec: 40_500,
        max_kbps: 10_000,
    },
    AvcLevel {
        idc: 31,
        max_frame_mbs: 3_600,
        max_mbs_per_sec: 108_000,
        max_kbps: 14_000,
    },
    AvcLevel {
        idc: 32,
        max_frame_mbs: 5_120,
        max_mbs_per_sec: 216_000,
        max_kbps: 20_000,
    },
    AvcLevel {
        idc: 40,
        max_frame_mbs: 8_192,
        max_mbs_per_sec: 245_760,
        max_kbps: 20_000,
    },
    AvcLevel {
        idc: 41,
        max_frame_mbs: 8_192,
        max_mbs_per_sec: 245_760,
        max_kbps: 50_000,
    },
    AvcLevel {
        idc: 42,
        max_frame_mbs: 8_704,
        max_mbs_per_sec: 522_240,
        max_kbps: 50_000,
    },
    AvcLevel {
        idc: 50,
        max_frame_mbs: 22_080,
        max_mbs_per_sec: 589_824,
        max_kbps: 135_000,
    },
    AvcLevel {
        idc: 51,
        max_frame_mbs: 36_864,
        max_mbs_per_sec: 983_040,
        max_kbps: 240_000,
    },
    AvcLevel {
        idc: 52,
        max_frame_mbs: 36_864,
        max_mbs_per_sec: 2_073_600,
        max_kbps: 240_000,
    },
];

/// The smallest H.264 `level_idc` (3.0 at least) that allows this frame size, frame rate and bit rate.
///
/// Sizes beyond level 5.2 get 5.2: the encoder will refuse the configuration and say so.
pub fn avc_level_idc(width: u32, height: u32, fps: f64, bitrate: u32) -> u8 {
    let mbs = u64::from(width.div_ceil(16)) * u64::from(height.div_ceil(16));
    let fps = if fps.is_finite() && fps > 0.0 {
        fps
    } else {
        30.0
    };
    // Macroblocks per second, rounded up.
    let mbps = (mbs as f64 * fps).ceil();
    let kbps = u64::from(bitrate).div_ceil(1000);
    AVC_LEVELS
        .iter()
        .find(|l| {
            mbs <= u64::from(l.max_frame_mbs)
                && mbps <= f64::from(l.max_mbs_per_sec)
                && kbps <= u64::from(l.max_kbps)
        })
        .or(AVC_LEVELS.last())
        .map_or(52, |l| l.idc)
}

/// The WebCodecs / RFC 6381 codec string for constrained-baseline H.264 at the level the size needs,
/// e.g. `avc1.42E01F` for 1280x720 at 30 fps.
pub fn avc_codec_string(width: u32, height: u32, fps: f64, bitrate: u32) -> String {
    // profile_idc 0x42 (Baseline), constraint flags 0xE0 (constrained baseline).
    format!(
        "avc1.42E0{:02X}",
        avc_level_idc(width, height, fps, bitrate)
    )
}

/// Video bit rate used by the broadcaster, in bit/s.
pub const VIDEO_BITRATE: u32 = 2_500_000;

/// Audio bit rate used by the broadcaster, in bit/s.
pub const AUDIO_BITRATE: u32 = 128_000;

/// The audio codec the broadcaster can package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioCodec {
    /// AAC-LC, `mp4a.40.2`.
    Aac,
    /// Opus, `opus`.
    Opus,
}

impl AudioCodec {
    /// The WebCodecs codec string.
    pub fn webcodecs_name(self) -> &'static str {
        match self {
            Self::Aac => "mp4a.40.2",
            Self::Opus => "opus",
        }
    }
}

/// Audio codecs in order of preference: AAC plays everywhere HLS does, but Chromium cannot encode it,
/// so Opus is the fallback that is actually used there.
pub const AUDIO_CANDIDATES: [AudioCodec; 2] = [AudioCodec::Aac, AudioCodec::Opus];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_for_common_sizes() {
        // (width, height, frame rate, bitrate, codec string)
        let cases = [
            (1280, 720, 30.0, VIDEO_BITRATE, "avc1.42E01F"),
            (1280, 720, 20.0, VIDEO_BITRATE, "avc1.42E01F"),
            (640, 480, 30.0, VIDEO_BITRATE, "avc1.42E01E"),
            (320, 240, 15.0, 500_000, "avc1.42E01E"),
            (1280, 720, 60.0, VIDEO_BITRATE, "avc1.42E020"),
            (1920, 1080, 30.0, VIDEO_BITRATE, "avc1.42E028"),
            (1920, 1080, 60.0, VIDEO_BITRATE, "avc1.42E02A"),
            (3840, 2160, 30.0, VIDEO_BITRATE, "avc1.42E033"),
        ];
        for (width, height, fps, bitrate, codec) in cases {
            assert_eq!(
                avc_codec_string(width, height, fps, bitrate),
                codec,
                "{width}x{height} @ {fps} fps, {bitrate} bit/s"
            );
        }
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        assert_eq!(avc_level_idc(0, 0, f64::NAN, 0), 30);
        assert_eq!(
            avc_level_idc(u32::MAX, u32::MAX, f64::INFINITY, u32::MAX),
            52
        );
        assert_eq!(avc_level_idc(1280, 720, -1.0, 1), 31);
    }

    #[test]
    fn audio_preference() {
        let names: Vec<_> = AUDIO_CANDIDATES
            .iter()
            .map(|c| c.webcodecs_name())
            .collect();
        assert_eq!(names, ["mp4a.40.2", "opus"]);
    }
}
