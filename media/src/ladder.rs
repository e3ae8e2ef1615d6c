//! The bitrate ladder both ends use: which lower renditions a source of a given size gets, and the
//! bitrate of each, from one documented heuristic.
//!
//! **Bitrate: 0.07 bit per pixel per frame** ([`BITS_PER_PIXEL_PER_FRAME`]), the figure moq's publisher
//! uses for H.264: 720p30 gets 1.94 Mbit/s, 480p30 860 kbit/s, 240p30 215 kbit/s. It scales with the
//! picture and the frame rate, so a 25 fps rung gets 5/6 of a 30 fps one; [`MIN_BITRATE_BPS`] keeps a
//! tiny rung watchable.
//!
//! **Sizes:** each rung keeps the source's aspect ratio at a height from the ladder's list, with an
//! even width (4:2:0 needs even sizes), and only below the source's height: a ladder never upscales.

/// Bits per pixel per frame of the bitrate heuristic (see the module documentation).
pub const BITS_PER_PIXEL_PER_FRAME: f64 = 0.07;
/// The lowest bitrate a rung gets, in bits per second.
pub const MIN_BITRATE_BPS: u64 = 100_000;
/// The frame rate assumed when a source's is not known.
pub const DEFAULT_FRAME_RATE: f64 = 30.0;
/// The lower rungs a source gets by default, as heights: 720p, 480p and 240p, those below the source.
pub const DEFAULT_LADDER_HEIGHTS: [u16; 3] = [720, 480, 240];

/// One rendition of a ladder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rung {
    /// Width in pixels (even).
    pub width: u16,
    /// Height in pixels (even).
    pub height: u16,
    /// Target bitrate in bits per second ([`bitrate_bps`]).
    pub bitrate_bps: u64,
}

/// The heuristic bitrate of a picture of `width` x `height` at `frame_rate` frames a second.
pub fn bitrate_bps(width: u16, height: u16, frame_rate: f64) -> u64 {
    let rate = if frame_rate.is_finite() && frame_rate > 0.0 {
        frame_rate.min(120.0)
    } else {
        DEFAULT_FRAME_RATE
    };
    let bits = f64::from(width) * f64::from(height) * rate * BITS_PER_PIXEL_PER_FRAME;
    (bits.round() as u64).max(MIN_BITRATE_BPS)
}

/// The rungs below a `width` x `height` source at `frame_rate`, one per height of `heights` that is
/// lower than the source's (highest first, each height once), keeping the aspect ratio.
pub fn lower_rungs(width: u16, height: u16, frame_rate: f64, heights: &[u16]) -> Vec<Rung> {
    let mut wanted: Vec<u16> = heights
        .iter()
        .copied()
        .filter(|&h| h >= 2 && h < height)
        .map(|h| h & !1)
        .collect();
    wanted.sort_unstable_by(|a, b| b.cmp(a));
    wanted.dedup();
    wanted
        .into_iter()
        .filter_map(|h| {
            let scaled = u32::from(width) * u32::from(h) / u32::from(height.max(1));
            // Round to the nearest even width, at least 2.
            let even = ((scaled + 1) & !1).max(2);
            let w = u16::try_from(even).ok()?;
            Some(Rung {
                width: w,
                height: h,
                bitrate_bps: bitrate_bps(w, h, frame_rate),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_720p_source_gets_480p_and_240p_never_a_higher_rung() {
        let rungs = lower_rungs(1280, 720, 25.0, &DEFAULT_LADDER_HEIGHTS);
        let sizes: Vec<(u16, u16)> = rungs.iter().map(|r| (r.width, r.height)).collect();
        assert_eq!(sizes, [(854, 480), (426, 240)]);
        assert_eq!(rungs[0].bitrate_bps, 717_360);
        assert_eq!(rungs[1].bitrate_bps, 178_920);
        assert!(lower_rungs(426, 240, 30.0, &DEFAULT_LADDER_HEIGHTS).is_empty());
    }

    #[test]
    fn heights_are_sorted_deduplicated_even_and_keep_the_aspect() {
        let rungs = lower_rungs(1080, 1920, 30.0, &[241, 240, 1080, 1080, 0, 1]);
        let sizes: Vec<(u16, u16)> = rungs.iter().map(|r| (r.width, r.height)).collect();
        assert_eq!(sizes, [(608, 1080), (136, 240)]);
    }

    #[test]
    fn the_bitrate_follows_pixels_and_frames_with_a_floor() {
        assert_eq!(bitrate_bps(1280, 720, 30.0), 1_935_360);
        assert_eq!(bitrate_bps(1280, 720, f64::NAN), 1_935_360);
        assert_eq!(bitrate_bps(1280, 720, 0.0), 1_935_360);
        assert_eq!(bitrate_bps(16, 16, 30.0), MIN_BITRATE_BPS);
    }
}
