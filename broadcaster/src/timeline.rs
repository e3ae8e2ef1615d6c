//! Time conversion: WebCodecs microseconds to integer track timescale units.
//!
//! All arithmetic is done in `i128`, so no intermediate product can overflow, and the result fails
//! (returns `None`) instead of wrapping when it does not fit.

/// Microseconds per second.
pub const MICROS_PER_SEC: i64 = 1_000_000;

/// The video track's timescale (90 kHz, the MPEG convention): `dts = us * 9 / 100`.
pub const VIDEO_TIMESCALE: u32 = 90_000;

/// Converts a non-negative duration or offset in microseconds to `timescale` units, rounding down.
///
/// Returns `None` for negative input or if the result does not fit in a `u64`.
pub fn us_to_timescale(us: i64, timescale: u32) -> Option<u64> {
    if us < 0 {
        return None;
    }
    let v = i128::from(us) * i128::from(timescale) / i128::from(MICROS_PER_SEC);
    u64::try_from(v).ok()
}

/// Converts a timescale value back to microseconds (rounding down), for diagnostics and tests.
pub fn timescale_to_us(value: u64, timescale: u32) -> Option<i64> {
    if timescale == 0 {
        return None;
    }
    let v = i128::from(value) * i128::from(MICROS_PER_SEC) / i128::from(timescale);
    i64::try_from(v).ok()
}

/// The origin of the broadcast's timeline: the capture timestamp of the first video keyframe.
///
/// Every track's decode times count from this origin, so the first segment starts at 0 on both tracks.
/// Anything captured before it (audio that was encoded before the first video frame) is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    origin_us: i64,
}

/// A chunk's position on a track, in the track's timescale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackTime {
    /// Decode time relative to the origin.
    pub dts: u64,
    /// Duration, when the chunk had one; computed as `end - start` after converting both ends, so
    /// consecutive chunks tile the timeline without rounding drift.
    pub duration: Option<u32>,
}

impl Timeline {
    /// A timeline starting at the given capture timestamp (microseconds).
    pub fn new(origin_us: i64) -> Self {
        Self { origin_us }
    }

    /// The origin, in microseconds of capture time.
    pub fn origin_us(&self) -> i64 {
        self.origin_us
    }

    /// Places a chunk with a capture timestamp and optional duration (microseconds) on a track with the
    /// given timescale. `None` if the chunk starts before the origin or the values overflow.
    pub fn place(
        &self,
        timestamp_us: i64,
        duration_us: Option<i64>,
        timescale: u32,
    ) -> Option<TrackTime> {
        let rel = timestamp_us.checked_sub(self.origin_us)?;
        let dts = us_to_timescale(rel, timescale)?;
        let duration = match duration_us {
            Some(d) if d > 0 => {
                let end = us_to_timescale(rel.checked_add(d)?, timescale)?;
                u32::try_from(end.checked_sub(dts)?).ok()
            }
            _ => None,
        };
        Some(TrackTime { dts, duration })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_conversion_matches_contract() {
        // dts = us * 9 / 100
        for us in [0_i64, 1, 50_000, 1_000_000, 123_456_789, i64::MAX / 2] {
            let expected = (i128::from(us) * 9 / 100) as u64;
            assert_eq!(us_to_timescale(us, VIDEO_TIMESCALE), Some(expected), "{us}");
        }
        assert_eq!(us_to_timescale(50_000, VIDEO_TIMESCALE), Some(4_500));
    }

    #[test]
    fn audio_conversion() {
        assert_eq!(us_to_timescale(20_000, 48_000), Some(960));
        assert_eq!(us_to_timescale(10_000, 48_000), Some(480));
        assert_eq!(us_to_timescale(1_000_000, 44_100), Some(44_100));
    }

    #[test]
    fn edge_values() {
        assert_eq!(us_to_timescale(-1, 90_000), None);
        // Largest input: i64::MAX us at 90 kHz still fits in u64.
        assert!(us_to_timescale(i64::MAX, 90_000).is_some());
        // A huge timescale overflows u64 and is refused, not wrapped.
        assert_eq!(us_to_timescale(i64::MAX, u32::MAX), None);
        assert_eq!(timescale_to_us(90_000, 90_000), Some(1_000_000));
        assert_eq!(timescale_to_us(1, 0), None);
    }

    #[test]
    fn timeline_is_relative_to_origin() {
        let t = Timeline::new(5_000_000);
        assert_eq!(t.place(4_999_999, None, 90_000), None);
        assert_eq!(
            t.place(5_000_000, Some(50_000), 90_000),
            Some(TrackTime {
                dts: 0,
                duration: Some(4_500)
            })
        );
        assert_eq!(
            t.place(6_000_000, None, 48_000),
            Some(TrackTime {
                dts: 48_000,
                duration: None
            })
        );
    }

    #[test]
    fn durations_tile_without_drift() {
        // 44.1 kHz audio in 1024-sample frames: 23219.954.. us each, timestamps rounded by the browser.
        let t = Timeline::new(0);
        let mut expected_next = 0_u64;
        for i in 0..1000_i64 {
            let ts = i * 1024 * 1_000_000 / 44_100;
            let next_ts = (i + 1) * 1024 * 1_000_000 / 44_100;
            let placed = t.place(ts, Some(next_ts - ts), 44_100).unwrap();
            assert_eq!(placed.dts, expected_next, "frame {i}");
            expected_next = placed.dts + u64::from(placed.duration.unwrap());
        }
        assert!(expected_next.abs_diff(1000 * 1024) <= 1);
    }
}
