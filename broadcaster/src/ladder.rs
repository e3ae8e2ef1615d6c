//! Which renditions a broadcast sends: one (the capture's size, video and audio together) or a ladder
//! encoded in the browser from the one capture (the capture's size and the lower rungs of
//! [`onair_media::ladder`], video only, beside one audio rendition all of them share).
//!
//! **Sizes and bitrates.** The top rung is the capture at [`VIDEO_BITRATE`]; the lower rungs are the
//! media crate's ladder (720p, 480p, 240p below the capture's height, its aspect ratio kept) at its
//! documented heuristic of 0.07 bit per pixel per frame, the same the origin's transcoder uses.
//!
//! **How many.** A ladder costs an encoder per rung on this device. The ladder is offered when
//! [`ladder_by_default`] says the device has the cores for it, and is capped by [`max_rungs`]; a
//! frame an encoder cannot take in time is skipped by every rung (the reader loop's bound), so
//! keyframes stay aligned however loaded the device is.
//!
//! **Names.** The rungs are `r0` (the top: the player's first variant, and the name a single
//! rendition has always had), `r1`, `r2`, …; the audio rendition is [`AUDIO_RENDITION`]. The origin
//! lists an audio-only rendition as the audio group of the video ones.

use onair_media::ladder::{lower_rungs, DEFAULT_LADDER_HEIGHTS};

use crate::codec::VIDEO_BITRATE;
use crate::upload::DEFAULT_RENDITION;

/// The audio rendition of a ladder.
pub const AUDIO_RENDITION: &str = "audio";

/// How many renditions the person asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Qualities {
    /// One rendition at the capture's size, audio inside it.
    #[default]
    One,
    /// The capture's size and the lower rungs, audio as a rendition of its own.
    Ladder,
}

impl Qualities {
    /// The value kept in the page's choice (`one`, `ladder`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::One => "one",
            Self::Ladder => "ladder",
        }
    }

    /// The choice kept as `text`; anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "one" => Some(Self::One),
            "ladder" => Some(Self::Ladder),
            _ => None,
        }
    }
}

/// One video rendition the broadcast encodes.
#[derive(Debug, Clone, PartialEq)]
pub struct RungSpec {
    /// Rendition name in the upload URLs (`r0` is the top).
    pub name: String,
    /// Encoded width in pixels (even).
    pub width: u16,
    /// Encoded height in pixels (even).
    pub height: u16,
    /// Target bitrate, bits per second.
    pub bitrate_bps: u32,
}

/// Whether a device with `cores` logical processors (`navigator.hardwareConcurrency`) gets the ladder
/// unless the person says otherwise: four or more. A 2-core machine can encode it (three software
/// H.264 encoders of 720p, 480p and 240p take about one core in Chromium) but has little left for
/// the page and the capture, so there it is a choice, not the default.
pub fn ladder_by_default(cores: u32) -> bool {
    cores >= 4
}

/// The most rungs a device with `cores` logical processors encodes: one more than its cores (the lower
/// rungs are small: 480p is a quarter of 1080p's pixels, 240p a sixteenth), at most four (the capture
/// and three lower rungs); one when the count is unknown (0).
pub fn max_rungs(cores: u32) -> usize {
    if cores == 0 {
        return 1;
    }
    usize::try_from(cores.saturating_add(1)).unwrap_or(4).min(4)
}

/// The video renditions of a `width` x `height` capture at `frame_rate`: with [`Qualities::One`] the
/// capture alone; with [`Qualities::Ladder`] the capture and its lower rungs, at most `max` in all.
pub fn rungs(
    width: u16,
    height: u16,
    frame_rate: f64,
    qualities: Qualities,
    max: usize,
) -> Vec<RungSpec> {
    let top = RungSpec {
        name: DEFAULT_RENDITION.to_owned(),
        width,
        height,
        bitrate_bps: VIDEO_BITRATE,
    };
    let mut all = vec![top];
    if qualities == Qualities::Ladder {
        let lower = lower_rungs(width, height, frame_rate, &DEFAULT_LADDER_HEIGHTS);
        for (i, rung) in lower.into_iter().enumerate() {
            all.push(RungSpec {
                name: format!("r{}", i + 1),
                width: rung.width,
                height: rung.height,
                bitrate_bps: u32::try_from(rung.bitrate_bps)
                    .unwrap_or(VIDEO_BITRATE)
                    .min(VIDEO_BITRATE),
            });
        }
    }
    all.truncate(max.max(1));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(rungs: &[RungSpec]) -> Vec<(&str, u16, u16)> {
        rungs
            .iter()
            .map(|r| (r.name.as_str(), r.width, r.height))
            .collect()
    }

    #[test]
    fn a_720p_capture_gets_480p_and_240p_below_it() {
        let ladder = rungs(1280, 720, 30.0, Qualities::Ladder, 4);
        assert_eq!(
            sizes(&ladder),
            [("r0", 1280, 720), ("r1", 854, 480), ("r2", 426, 240)]
        );
        assert_eq!(ladder[0].bitrate_bps, VIDEO_BITRATE);
        // 0.07 bit per pixel per frame.
        assert_eq!(ladder[1].bitrate_bps, 860_832);
        assert_eq!(ladder[2].bitrate_bps, 214_704);
    }

    #[test]
    fn a_1080p_capture_gets_three_rungs_below_it_and_a_small_one_none() {
        let ladder = rungs(1920, 1080, 30.0, Qualities::Ladder, 4);
        let heights: Vec<u16> = ladder.iter().map(|r| r.height).collect();
        assert_eq!(heights, [1080, 720, 480, 240]);
        assert_eq!(sizes(&rungs(320, 240, 30.0, Qualities::Ladder, 4)).len(), 1);
    }

    #[test]
    fn one_quality_is_the_capture_alone_and_the_device_caps_the_ladder() {
        assert_eq!(
            sizes(&rungs(1280, 720, 30.0, Qualities::One, 4)),
            [("r0", 1280, 720)]
        );
        assert_eq!(rungs(1920, 1080, 30.0, Qualities::Ladder, 2).len(), 2);
        assert_eq!(rungs(1920, 1080, 30.0, Qualities::Ladder, 0).len(), 1);
        assert_eq!(max_rungs(2), 3);
        assert_eq!(max_rungs(1), 2);
        assert_eq!(max_rungs(16), 4);
        assert_eq!(max_rungs(0), 1);
        assert!(ladder_by_default(8));
        assert!(!ladder_by_default(2));
    }

    #[test]
    fn the_choice_reads_back() {
        for q in [Qualities::One, Qualities::Ladder] {
            assert_eq!(Qualities::parse(q.as_str()), Some(q));
        }
        assert_eq!(Qualities::parse("many"), None);
    }
}
