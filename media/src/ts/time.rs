//! Timestamps: 33-bit PTS/DTS unwrapped into one growing timeline, the PCR, and the conversion of 90 kHz
//! times to a track's timescale.
//!
//! "The Presentation Time Stamp is a 33-bit number coded in three separate fields. It indicates the time of
//! presentation ... in units of the period of the system clock frequency divided by 300 (yielding 90 kHz)"
//! (ISO/IEC 13818-1 2.4.3.7). A 33-bit count of 90 kHz ticks wraps every 2^33 / 90 000 s (26.5 hours), so a
//! long live stream crosses it; the timeline here goes on past it instead.

/// Timestamps wrap at 2^33.
pub const TIMESTAMP_WRAP: u64 = 1 << 33;
/// PTS and DTS count 90 kHz ticks.
pub const TIMESTAMP_HZ: u32 = 90_000;
/// The PCR counts 27 MHz ticks (the system clock).
pub const PCR_HZ: u64 = 27_000_000;

/// Unwraps 33-bit timestamps: each is placed in the 2^33 period that puts it nearest the one before, so
/// small steps back (B-frames, audio against video) and the wrap itself both come out right. The first
/// timestamp is taken as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unwrapper {
    last: Option<i64>,
}

impl Unwrapper {
    /// The unwrapped value of a 33-bit timestamp (higher bits are ignored). Negative only when the very
    /// first timestamps straddle a wrap (a DTS just before it, the first PTS just after).
    pub fn unwrap(&mut self, raw: u64) -> i64 {
        const WRAP: i64 = TIMESTAMP_WRAP as i64;
        let raw = (raw % TIMESTAMP_WRAP) as i64;
        let value = match self.last {
            None => raw,
            Some(last) => {
                let base = last - last.rem_euclid(WRAP) + raw;
                [base - WRAP, base, base + WRAP]
                    .into_iter()
                    .min_by_key(|v| (v - last).unsigned_abs())
                    .unwrap_or(base)
            }
        };
        self.last = Some(value);
        value
    }

    /// Forgets the timeline: the next timestamp is taken as it is (after a discontinuity).
    pub fn reset(&mut self) {
        self.last = None;
    }
}

/// A program clock reference value in 27 MHz ticks, in 90 kHz ticks (its 33-bit base).
pub fn pcr_to_90khz(pcr: u64) -> u64 {
    pcr / 300
}

/// `t` in 90 kHz ticks, in ticks of `timescale` per second, rounded to the nearest.
pub fn rescale_90khz(t: u64, timescale: u32) -> u64 {
    let wide = u128::from(t) * u128::from(timescale) + u128::from(TIMESTAMP_HZ / 2);
    u64::try_from(wide / u128::from(TIMESTAMP_HZ)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_across_the_33_bit_wrap() {
        let mut u = Unwrapper::default();
        let near_end = TIMESTAMP_WRAP - 3000;
        assert_eq!(u.unwrap(near_end), near_end as i64);
        // B-frames: a little back, then forward across the wrap.
        assert_eq!(u.unwrap(near_end - 3600), (near_end - 3600) as i64);
        assert_eq!(u.unwrap(600), (TIMESTAMP_WRAP + 600) as i64);
        assert_eq!(u.unwrap(near_end), near_end as i64); // back again, before the wrap
        assert_eq!(u.unwrap(90_000), (TIMESTAMP_WRAP + 90_000) as i64);
        // A second wrap, a day later, in steps of an hour.
        let mut t = TIMESTAMP_WRAP + 90_000;
        for _ in 0..30 {
            t += 3600 * 90_000;
            assert_eq!(u.unwrap(t % TIMESTAMP_WRAP), t as i64);
        }
        assert!(t > 2 * TIMESTAMP_WRAP);
        // A first DTS just before the wrap after a first PTS just after it: negative.
        let mut u = Unwrapper::default();
        u.unwrap(100);
        assert_eq!(u.unwrap(TIMESTAMP_WRAP - 100), -100);
        u.reset();
        assert_eq!(
            u.unwrap(TIMESTAMP_WRAP - 100),
            (TIMESTAMP_WRAP - 100) as i64
        );
    }

    #[test]
    fn clock_conversions() {
        assert_eq!(pcr_to_90khz(27_000_000), 90_000);
        assert_eq!(rescale_90khz(90_000, 44_100), 44_100);
        assert_eq!(rescale_90khz(131_110, 44_100), 64_244); // 64 243.9
        assert_eq!(rescale_90khz(u64::MAX, 90_000), u64::MAX);
    }
}
