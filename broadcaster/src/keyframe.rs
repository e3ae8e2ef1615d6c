//! When to ask the video encoder for a keyframe.
//!
//! Segments can only start on a keyframe, so the keyframe interval bounds the segment duration. The
//! encoder is asked for one whenever at least [`KEYFRAME_INTERVAL_US`] of capture time has passed since
//! the last one, measured on frame timestamps (not wall-clock time), so a stalled tab does not produce a
//! burst of keyframes.

/// Default keyframe interval: 2 s, in microseconds (the unit of WebCodecs timestamps).
pub const KEYFRAME_INTERVAL_US: i64 = 2_000_000;

/// Decides, frame by frame, whether to force a keyframe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyframeSchedule {
    interval_us: i64,
    last_keyframe_us: Option<i64>,
}

impl Default for KeyframeSchedule {
    fn default() -> Self {
        Self::new(KEYFRAME_INTERVAL_US)
    }
}

impl KeyframeSchedule {
    /// A schedule forcing a keyframe every `interval_us` microseconds (at least 1).
    pub fn new(interval_us: i64) -> Self {
        Self {
            interval_us: interval_us.max(1),
            last_keyframe_us: None,
        }
    }

    /// Returns whether the frame with this timestamp (microseconds) must be encoded as a keyframe, and
    /// if so remembers it as the last keyframe. The first frame is always a keyframe.
    ///
    /// A timestamp going backwards (a new capture clock) also forces a keyframe.
    pub fn should_force(&mut self, timestamp_us: i64) -> bool {
        let force = match self.last_keyframe_us {
            None => true,
            Some(last) => {
                timestamp_us < last || timestamp_us.saturating_sub(last) >= self.interval_us
            }
        };
        if force {
            self.last_keyframe_us = Some(timestamp_us);
        }
        force
    }

    /// Records a keyframe the encoder produced on its own, so the interval restarts from it.
    pub fn record_keyframe(&mut self, timestamp_us: i64) {
        match self.last_keyframe_us {
            Some(last) if last >= timestamp_us => {}
            _ => self.last_keyframe_us = Some(timestamp_us),
        }
    }

    /// The timestamp of the last keyframe, if any.
    pub fn last_keyframe_us(&self) -> Option<i64> {
        self.last_keyframe_us
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_frame_is_key_then_every_two_seconds() {
        let mut s = KeyframeSchedule::default();
        // 20 fps: one frame every 50 ms, starting at an arbitrary capture time.
        let start = 123_456_789;
        let forced: Vec<i64> = (0..200)
            .map(|i| start + i * 50_000)
            .filter(|&ts| s.should_force(ts))
            .map(|ts| ts - start)
            .collect();
        assert_eq!(forced, vec![0, 2_000_000, 4_000_000, 6_000_000, 8_000_000]);
    }

    #[test]
    fn irregular_frames_force_at_first_frame_past_interval() {
        let mut s = KeyframeSchedule::new(2_000_000);
        assert!(s.should_force(0));
        assert!(!s.should_force(1_999_999));
        assert!(s.should_force(2_100_000));
        assert!(!s.should_force(4_000_000));
        assert!(s.should_force(4_100_000));
    }

    #[test]
    fn encoder_keyframe_restarts_interval() {
        let mut s = KeyframeSchedule::new(2_000_000);
        assert!(s.should_force(0));
        s.record_keyframe(1_000_000);
        assert!(!s.should_force(2_500_000));
        assert!(s.should_force(3_000_000));
        // An older keyframe does not move the mark back.
        s.record_keyframe(10);
        assert_eq!(s.last_keyframe_us(), Some(3_000_000));
    }

    #[test]
    fn backwards_timestamp_forces() {
        let mut s = KeyframeSchedule::default();
        assert!(s.should_force(5_000_000));
        assert!(s.should_force(1_000));
    }
}
