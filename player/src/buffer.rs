//! Decisions about the media buffer: what to trim, and how to get unstuck.
//!
//! All inputs are plain numbers read from the `<video>` element (`currentTime`, `buffered`, `paused`),
//! so the rules are tested without a browser.

use crate::config::PlayerConfig;

/// A buffered time range, in seconds.
pub type Range = (f64, f64);

/// The range of already-played media to remove, if the back buffer has grown past
/// `back_buffer_secs + trim_slack_secs`. Keeps `back_buffer_secs` behind the playhead.
pub fn trim_range(current_time: f64, buffered: &[Range], config: &PlayerConfig) -> Option<Range> {
    let start = buffered.first()?.0;
    if !current_time.is_finite() || !start.is_finite() {
        return None;
    }
    let keep_from = current_time - config.back_buffer_secs;
    if current_time - start > config.back_buffer_secs + config.trim_slack_secs && keep_from > start
    {
        Some((start, keep_from))
    } else {
        None
    }
}

/// Seconds buffered ahead of the playhead, counting only the range that contains it.
pub fn buffered_ahead(current_time: f64, buffered: &[Range]) -> f64 {
    buffered
        .iter()
        .find(|(s, e)| *s <= current_time + 0.001 && current_time < *e)
        .map_or(0.0, |(_, e)| e - current_time)
}

/// What the watchdog wants done.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Recovery {
    /// Nothing: playing, paused or waiting for data.
    None,
    /// Set `currentTime` to this.
    Seek(f64),
}

/// What the watchdog reads from the `<video>` element on each tick.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// `currentTime`, seconds.
    pub current_time: f64,
    /// `buffered`, as (start, end) pairs in order.
    pub buffered: Vec<Range>,
    /// `paused`.
    pub paused: bool,
    /// `seeking`.
    pub seeking: bool,
    /// Whether the stream is live (no `EXT-X-ENDLIST` yet).
    pub live: bool,
    /// The live start distance, seconds (target duration times `live_start_target_durations`).
    pub live_start_secs: f64,
}

/// Watches playback progress and decides when to seek.
///
/// - The playhead before the first buffered range (a live stream starts at its segments' decode time,
///   not 0) or in a gap of at most `max_gap_secs`: jump to the start of the next range.
/// - The playhead not moving for `stall_timeout_ms` while media is buffered ahead: nudge it forward.
/// - A live stream played more than `max_live_latency_secs` behind the buffered end: jump closer.
#[derive(Debug, Clone, Default)]
pub struct StallWatchdog {
    last_time: Option<f64>,
    stuck_since_ms: Option<f64>,
}

/// How far past a range start a jump lands, seconds: just inside, so the decoder finds a frame.
const JUMP_INSIDE_SECS: f64 = 0.05;
/// How far a stall nudge moves the playhead, seconds.
const NUDGE_SECS: f64 = 0.1;

impl StallWatchdog {
    /// Examines one snapshot taken at `now_ms`.
    pub fn check(&mut self, snap: &Snapshot, now_ms: f64, config: &PlayerConfig) -> Recovery {
        let t = snap.current_time;
        let Some(&(first_start, _)) = snap.buffered.first() else {
            self.reset(t);
            return Recovery::None;
        };
        let Some(&(_, last_end)) = snap.buffered.last() else {
            self.reset(t);
            return Recovery::None;
        };
        if snap.seeking || !t.is_finite() {
            self.reset(t);
            return Recovery::None;
        }
        // Before everything buffered: jump to the start.
        if t < first_start - 0.001 {
            self.reset(t);
            return Recovery::Seek(
                first_start + JUMP_INSIDE_SECS.min((last_end - first_start) / 2.0),
            );
        }
        // Too far behind a live edge.
        if snap.live && last_end - t > config.max_live_latency_secs {
            self.reset(t);
            let target = (last_end - snap.live_start_secs).max(first_start);
            return Recovery::Seek(target);
        }
        let inside = snap
            .buffered
            .iter()
            .any(|(s, e)| *s <= t + 0.001 && t < *e - 0.001);
        if !inside {
            // In a gap (or past the end, waiting for data): jump to the next range if the gap is small.
            self.reset(t);
            return match snap.buffered.iter().find(|(s, _)| *s > t) {
                Some((s, e)) if s - t <= config.max_gap_secs => {
                    Recovery::Seek(s + JUMP_INSIDE_SECS.min((e - s) / 2.0))
                }
                _ => Recovery::None,
            };
        }
        if snap.paused {
            self.reset(t);
            return Recovery::None;
        }
        let moved = self.last_time.is_none_or(|last| (t - last).abs() > 0.001);
        if moved {
            self.reset(t);
            return Recovery::None;
        }
        let since = *self.stuck_since_ms.get_or_insert(now_ms);
        if now_ms - since >= config.stall_timeout_ms
            && buffered_ahead(t, &snap.buffered) > NUDGE_SECS * 2.0
        {
            self.stuck_since_ms = None;
            return Recovery::Seek(t + NUDGE_SECS);
        }
        Recovery::None
    }

    fn reset(&mut self, t: f64) {
        self.last_time = Some(t);
        self.stuck_since_ms = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(t: f64, buffered: &[Range]) -> Snapshot {
        Snapshot {
            current_time: t,
            buffered: buffered.to_vec(),
            paused: false,
            seeking: false,
            live: true,
            live_start_secs: 6.0,
        }
    }

    #[test]
    fn trims_in_batches_keeping_the_back_buffer() {
        let c = PlayerConfig::default();
        assert_eq!(trim_range(35.0, &[(0.0, 40.0)], &c), None);
        assert_eq!(trim_range(40.0, &[(0.0, 45.0)], &c), None);
        assert_eq!(trim_range(41.0, &[(0.0, 45.0)], &c), Some((0.0, 11.0)));
        assert_eq!(
            trim_range(141.0, &[(100.0, 150.0), (151.0, 152.0)], &c),
            Some((100.0, 111.0))
        );
        assert_eq!(trim_range(10.0, &[], &c), None);
        assert_eq!(trim_range(f64::NAN, &[(0.0, 1.0)], &c), None);
    }

    #[test]
    fn ahead() {
        assert_eq!(buffered_ahead(5.0, &[(0.0, 8.0)]), 3.0);
        assert_eq!(buffered_ahead(9.0, &[(0.0, 8.0), (10.0, 12.0)]), 0.0);
    }

    #[test]
    fn jumps_from_zero_to_the_live_start() {
        let c = PlayerConfig::default();
        let mut w = StallWatchdog::default();
        // A live stream's first segment decodes at 120 s; the element starts at 0.
        assert_eq!(
            w.check(&snap(0.0, &[(120.0, 126.0)]), 0.0, &c),
            Recovery::Seek(120.05)
        );
        assert_eq!(w.check(&snap(0.0, &[]), 0.0, &c), Recovery::None);
    }

    #[test]
    fn jumps_small_gaps_only() {
        let c = PlayerConfig::default();
        let mut w = StallWatchdog::default();
        assert_eq!(
            w.check(&snap(10.0, &[(0.0, 10.0), (10.5, 14.0)]), 0.0, &c),
            Recovery::Seek(10.55)
        );
        // Past the end of the buffer: waiting for data, nothing to do.
        assert_eq!(
            w.check(&snap(14.0, &[(0.0, 14.0)]), 0.0, &c),
            Recovery::None
        );
        // A big gap is not jumped.
        assert_eq!(
            w.check(&snap(10.0, &[(0.0, 10.0), (20.0, 24.0)]), 0.0, &c),
            Recovery::None
        );
    }

    #[test]
    fn nudges_a_stuck_playhead_after_the_timeout() {
        let c = PlayerConfig {
            stall_timeout_ms: 2_000.0,
            ..PlayerConfig::default()
        };
        let mut w = StallWatchdog::default();
        let s = snap(5.0, &[(0.0, 10.0)]);
        assert_eq!(w.check(&s, 0.0, &c), Recovery::None);
        assert_eq!(w.check(&s, 1000.0, &c), Recovery::None);
        assert_eq!(w.check(&s, 2999.0, &c), Recovery::None);
        assert_eq!(w.check(&s, 3000.0, &c), Recovery::Seek(5.1));
        // Moving again resets.
        assert_eq!(
            w.check(&snap(5.2, &[(0.0, 10.0)]), 3100.0, &c),
            Recovery::None
        );
        // Paused is not stuck.
        let mut paused = snap(5.2, &[(0.0, 10.0)]);
        paused.paused = true;
        assert_eq!(w.check(&paused, 9000.0, &c), Recovery::None);
    }

    #[test]
    fn catches_up_when_far_behind_live() {
        let c = PlayerConfig::default();
        let mut w = StallWatchdog::default();
        assert_eq!(
            w.check(&snap(10.0, &[(0.0, 50.0)]), 0.0, &c),
            Recovery::Seek(44.0)
        );
        let mut vod = snap(10.0, &[(0.0, 50.0)]);
        vod.live = false;
        assert_eq!(w.check(&vod, 0.0, &c), Recovery::None);
    }

    #[test]
    fn seeking_is_left_alone() {
        let c = PlayerConfig::default();
        let mut w = StallWatchdog::default();
        let mut s = snap(0.0, &[(120.0, 126.0)]);
        s.seeking = true;
        assert_eq!(w.check(&s, 0.0, &c), Recovery::None);
    }
}
