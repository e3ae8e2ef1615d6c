//! What the widget's controls show, decided from the player's status: pure, so it is tested natively;
//! `widget` (wasm32) only writes it into the page.

use onair_player::status::LevelInfo;
use onair_player::{Phase, PlayerStatus};

/// Seconds past the latency target after which the LIVE badge says the viewer is behind (and a
/// click on it jumps to live).
pub const BEHIND_SLACK_SECS: f64 = 2.0;

/// The line captions without one of their own are shown on in the widget (counted from the bottom):
/// above the control bar.
pub const CAPTION_LINE: f64 = -3.0;

/// The LIVE badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveBadge {
    /// Not a live stream (or not known yet): no badge.
    Hidden,
    /// Playing at the live edge.
    Live,
    /// Behind the live edge: the badge is a button that jumps to live.
    Behind,
}

impl LiveBadge {
    /// The badge for `status`.
    pub fn of(status: &PlayerStatus) -> Self {
        match (status.latency_secs, status.latency_target_secs) {
            (Some(latency), Some(target)) if latency > target + BEHIND_SLACK_SECS => Self::Behind,
            (Some(_), _) => Self::Live,
            _ => Self::Hidden,
        }
    }

    /// The badge's accessible label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Hidden => "",
            Self::Live => "Playing live",
            Self::Behind => "Behind live: jump to live",
        }
    }
}

/// A level's name in the quality menu: its height, else its bitrate.
pub fn level_label(level: &LevelInfo) -> String {
    match level.height {
        Some(h) => format!("{h}p"),
        None => format!("{} Mbit/s", decimal(level.bandwidth as f64 / 1e6, 1)),
    }
}

/// `value` with `places` decimals (at most 6), rounded, for the controls' labels and values: written
/// with integers, which keeps Rust's float formatting (about 15 KB of wasm) out of the bundle.
pub fn decimal(value: f64, places: u32) -> String {
    let places = places.min(6);
    let scale = 10u64.pow(places);
    let negative = value < 0.0;
    let scaled = (value.abs() * scale as f64).round();
    if !scaled.is_finite() || scaled >= u64::MAX as f64 {
        return "0".into();
    }
    let scaled = scaled as u64;
    let sign = if negative && scaled > 0 { "-" } else { "" };
    let whole = scaled / scale;
    if places == 0 {
        return format!("{sign}{whole}");
    }
    let width = places as usize;
    format!("{sign}{whole}.{:0width$}", scaled % scale)
}

/// The quality menu's entries: `(value, label)`, "Auto" first (value `-1`, naming the level ABR
/// plays now), then the playable levels from the highest. Empty when there is nothing to choose.
pub fn quality_options(status: &PlayerStatus) -> Vec<(i32, String)> {
    let playable: Vec<(usize, &LevelInfo)> = status
        .levels
        .iter()
        .enumerate()
        .filter(|(_, l)| l.playable)
        .collect();
    if playable.len() < 2 {
        return Vec::new();
    }
    let auto = match status.level.and_then(|i| status.levels.get(i)) {
        Some(level) => format!("Auto ({})", level_label(level)),
        None => "Auto".to_owned(),
    };
    let mut levels = playable;
    onair_player::small_map::sort_small_by_key(&mut levels, |(_, l)| {
        std::cmp::Reverse(l.bandwidth)
    });
    std::iter::once((-1, auto))
        .chain(
            levels
                .into_iter()
                .map(|(i, l)| (i32::try_from(i).unwrap_or(i32::MAX), level_label(l))),
        )
        .collect()
}

/// What the play button shows and says.
pub fn play_label(paused: bool) -> &'static str {
    if paused {
        "Play"
    } else {
        "Pause"
    }
}

/// The line over the video while it cannot play: loading, waiting, errors. `None` while it plays.
pub fn overlay_text(status: &PlayerStatus) -> Option<String> {
    match status.phase {
        Phase::Playing | Phase::Paused => status.detail.clone(),
        Phase::Ended => Some("The stream has ended".to_owned()),
        _ => Some(status.to_string()),
    }
}

/// Seconds the arrow keys move the playhead of a stream that can be sought.
pub const SEEK_STEP_SECS: f64 = 5.0;

/// The seek bar and the time beside it, for a stream with an end (VOD, or an `EVENT` that ended);
/// a live stream has the LIVE badge instead. Times count from where the media starts, which for an
/// MPEG-TS VOD is its first timestamp (ffmpeg's start at 1.4 s), so the clock reads 0:00 there.
#[derive(Debug, Clone, PartialEq)]
pub struct SeekBar {
    /// The range's minimum: where the media starts, element seconds.
    pub min: f64,
    /// The range's maximum: the duration in seconds.
    pub max: f64,
    /// The playhead, within `min..=max`.
    pub value: f64,
    /// "elapsed / duration", e.g. `1:05 / 4:00`.
    pub label: String,
}

impl SeekBar {
    /// The bar for an element at `current` of `duration` seconds whose media starts at `start`;
    /// `None` while `live` (the player measures a latency) or when the duration is not a finite
    /// positive number (nothing loaded yet).
    pub fn of(current: f64, start: f64, duration: f64, live: bool) -> Option<SeekBar> {
        if live || !duration.is_finite() || duration <= 0.0 {
            return None;
        }
        // Not `f64::clamp`: its check of the bounds formats floats (15 KB of wasm) into its panic.
        let min = if start.is_finite() {
            start.max(0.0).min(duration)
        } else {
            0.0
        };
        let value = if current.is_finite() {
            current.max(min).min(duration)
        } else {
            min
        };
        Some(SeekBar {
            min,
            max: duration,
            value,
            label: format!("{} / {}", clock(value - min), clock(duration - min)),
        })
    }
}

/// The shortest live window that gets a seek bar (DVR), seconds: a sliding window of a few segments
/// is live only, the LIVE badge alone.
pub const DVR_MIN_WINDOW_SECS: f64 = 20.0;

impl SeekBar {
    /// The bar for a live stream whose playlist lists `start..edge` (element seconds), the playhead at
    /// `current`: its label is how far behind the edge (`-0:12`), or `Live` within `live_within`
    /// seconds of it (where the LIVE badge says live: [`live_within`]). `None` for a window under
    /// [`DVR_MIN_WINDOW_SECS`] or unknown.
    pub fn live(current: f64, start: f64, edge: f64, live_within: f64) -> Option<SeekBar> {
        if !start.is_finite() || !edge.is_finite() || edge - start < DVR_MIN_WINDOW_SECS {
            return None;
        }
        let value = if current.is_finite() {
            current.max(start).min(edge)
        } else {
            edge
        };
        let behind = edge - value;
        Some(SeekBar {
            min: start,
            max: edge,
            value,
            label: if behind <= live_within {
                "Live".to_owned()
            } else {
                format!("-{}", clock(behind))
            },
        })
    }
}

/// How far behind the edge still counts as live for the seek bar's label, as for the LIVE badge:
/// the latency target (when known) plus the badge's slack.
pub fn live_within(status: &PlayerStatus) -> f64 {
    status.latency_target_secs.unwrap_or(3.0) + BEHIND_SLACK_SECS
}

/// Seconds as a clock: `m:ss`, or `h:mm:ss` from an hour (rounded down to the second).
pub fn clock(secs: f64) -> String {
    let total = if secs.is_finite() && secs > 0.0 {
        secs as u64
    } else {
        0
    };
    let (h, m, s) = (total / 3_600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// What a key pressed while the player has focus does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyAction {
    /// Play or pause.
    TogglePlay,
    /// Mute or unmute.
    ToggleMute,
    /// Enter or leave fullscreen.
    ToggleFullscreen,
    /// Change the volume by this much (0..1 scale).
    Volume(f64),
    /// Jump to live.
    GoLive,
    /// Move the playhead by this many seconds (where the stream can be sought).
    Seek(f64),
}

/// The shortcut for `key` (a `KeyboardEvent.key`), as YouTube-style players have them.
pub fn key_action(key: &str) -> Option<KeyAction> {
    Some(match key {
        " " | "k" | "K" => KeyAction::TogglePlay,
        "m" | "M" => KeyAction::ToggleMute,
        "f" | "F" => KeyAction::ToggleFullscreen,
        "ArrowUp" => KeyAction::Volume(0.1),
        "ArrowDown" => KeyAction::Volume(-0.1),
        "l" | "L" => KeyAction::GoLive,
        "ArrowLeft" => KeyAction::Seek(-SEEK_STEP_SECS),
        "ArrowRight" => KeyAction::Seek(SEEK_STEP_SECS),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seek_bar_is_for_streams_with_an_end() {
        assert_eq!(SeekBar::of(3.0, 0.0, f64::INFINITY, false), None);
        assert_eq!(SeekBar::of(3.0, 0.0, f64::NAN, false), None);
        assert_eq!(SeekBar::of(0.0, 0.0, 0.0, false), None);
        assert_eq!(
            SeekBar::of(3.0, 0.0, 10.0, true),
            None,
            "live: the LIVE badge instead"
        );
        let bar = SeekBar::of(65.4, 0.0, 240.0, false).unwrap();
        assert_eq!((bar.min, bar.max, bar.value), (0.0, 240.0, 65.4));
        assert_eq!(bar.label, "1:05 / 4:00");
        assert_eq!(SeekBar::of(300.0, 0.0, 240.0, false).unwrap().value, 240.0);
        assert_eq!(SeekBar::of(f64::NAN, 0.0, 240.0, false).unwrap().value, 0.0);
        // ffmpeg's TS VOD: 8 s of media from 1.48 s.
        let ts = SeekBar::of(3.48, 1.48, 9.49, false).unwrap();
        assert_eq!((ts.min, ts.label.as_str()), (1.48, "0:02 / 0:08"));
        assert_eq!(SeekBar::of(0.5, 1.48, 9.49, false).unwrap().value, 1.48);
        assert_eq!(SeekBar::of(1.0, f64::NAN, 9.49, false).unwrap().min, 0.0);
        assert_eq!(
            SeekBar::live(100.0, 90.0, 104.0, 4.0),
            None,
            "a short window"
        );
        assert_eq!(SeekBar::live(100.0, f64::NAN, 104.0, 4.0), None);
        let dvr = SeekBar::live(100.0, 60.0, 112.5, 4.0).unwrap();
        assert_eq!((dvr.min, dvr.max, dvr.value), (60.0, 112.5, 100.0));
        assert_eq!(dvr.label, "-0:12");
        assert_eq!(
            SeekBar::live(109.0, 60.0, 112.5, 4.0).unwrap().label,
            "Live"
        );
        assert_eq!(SeekBar::live(10.0, 60.0, 112.5, 4.0).unwrap().value, 60.0);
        assert_eq!(clock(3_725.9), "1:02:05");
        assert_eq!(clock(-1.0), "0:00");
        assert_eq!(
            key_action("ArrowLeft"),
            Some(KeyAction::Seek(-SEEK_STEP_SECS))
        );
    }

    #[test]
    fn decimals_are_rounded_to_their_places() {
        for (value, places, text) in [
            (0.0, 2, "0.00"),
            (1.0, 2, "1.00"),
            (0.256, 2, "0.26"),
            (2.25, 1, "2.3"),
            (12.345_678, 3, "12.346"),
            (-1.25, 1, "-1.3"),
            (-0.001, 2, "0.00"),
            (7.4, 0, "7"),
            (1.5, 9, "1.500000"),
            (f64::NAN, 2, "0"),
            (f64::INFINITY, 2, "0"),
        ] {
            assert_eq!(decimal(value, places), text, "{value} {places}");
        }
    }

    fn level(bandwidth: u64, height: Option<u32>, playable: bool) -> LevelInfo {
        LevelInfo {
            bandwidth,
            width: None,
            height,
            codecs: None,
            playable,
        }
    }

    #[test]
    fn live_badge() {
        let mut s = PlayerStatus::default();
        assert_eq!(LiveBadge::of(&s), LiveBadge::Hidden);
        s.latency_secs = Some(1.2);
        s.latency_target_secs = Some(1.0);
        assert_eq!(LiveBadge::of(&s), LiveBadge::Live);
        s.latency_secs = Some(3.5);
        assert_eq!(LiveBadge::of(&s), LiveBadge::Behind);
        assert_eq!(LiveBadge::Behind.label(), "Behind live: jump to live");
    }

    #[test]
    fn quality_menu_lists_playable_levels_from_the_top() {
        let mut s = PlayerStatus {
            levels: vec![
                level(800_000, Some(360), true),
                level(5_000_000, Some(1080), false),
                level(2_500_000, Some(720), true),
            ],
            ..Default::default()
        };
        assert_eq!(
            quality_options(&s),
            vec![(-1, "Auto".into()), (2, "720p".into()), (0, "360p".into())]
        );
        s.level = Some(2);
        assert_eq!(quality_options(&s)[0], (-1, "Auto (720p)".into()));
        s.levels.truncate(1);
        assert!(quality_options(&s).is_empty(), "one level: no menu");
        assert_eq!(level_label(&level(1_500_000, None, true)), "1.5 Mbit/s");
    }

    #[test]
    fn overlay_and_keys() {
        let mut s = PlayerStatus::default();
        assert_eq!(overlay_text(&s).as_deref(), Some("Loading"));
        s.phase = Phase::Playing;
        assert_eq!(overlay_text(&s), None);
        s.detail = Some("HTTP 500 for x; retrying".into());
        assert_eq!(
            overlay_text(&s).as_deref(),
            Some("HTTP 500 for x; retrying")
        );
        s.phase = Phase::Failed;
        assert_eq!(
            overlay_text(&s).as_deref(),
            Some("Error: HTTP 500 for x; retrying")
        );
        assert_eq!(key_action("k"), Some(KeyAction::TogglePlay));
        assert_eq!(key_action("ArrowDown"), Some(KeyAction::Volume(-0.1)));
        assert_eq!(key_action("x"), None);
        assert_eq!(play_label(true), "Play");
    }
}
