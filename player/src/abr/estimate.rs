//! The link's throughput and time to first byte, from finished transfers.
//!
//! [`BandwidthEstimator`] keeps two exponentially weighted moving averages of throughput, a fast and
//! a slow one, and answers with the lower (hls.js's `EwmaBandWidthEstimator`): a drop shows within the
//! fast half-life, a recovery only once the slow one agrees. Unlike hls.js the averages are of seconds
//! per bit (a harmonic mean of rates), so one slow transfer after a run of very fast ones shows at once.
//!
//! How a [`Transfer`] becomes a sample:
//! - Throughput is bytes over the body's time, `end_ms − first_byte_ms`, for every transfer. Time to
//!   first byte is left out: it is the round trip, or the server holding the request, not the link's
//!   capacity. It is averaged separately ([`BandwidthEstimator::ttfb_ms`]), from transfers that were
//!   not held only.
//! - A sample weighs the seconds its body took or the seconds of media it carried, whichever is
//!   longer ([`Transfer::media_secs`]), so the half-lives are seconds of transfer or media time: a
//!   long download says more about the link than a short one.
//! - Transfers under [`AbrConfig::min_sample_bytes`] give no throughput sample. A body that arrives in
//!   one burst (a 60 KB part on loopback takes well under a millisecond) counts as if it took
//!   [`AbrConfig::min_sample_duration_ms`], and no sample claims more than
//!   [`AbrConfig::max_sample_bps`]; such a burst weighs its media's seconds, and the harmonic mean
//!   keeps it from outvoting a slow transfer.
//! - A held transfer (a blocking playlist reload, or a preload-hinted part asked for before it
//!   existed) counts as a lower bound only: it is sampled when it measures faster than the current
//!   estimate, or when there is none yet, and ignored otherwise. The origin streams a held part as
//!   the broadcaster's upload arrives, and the broadcaster uploads each part once, at its uplink's
//!   pace, so the body's throughput is min(link, broadcaster's uplink): never more than the link, often
//!   less. Faster than the estimate proves the link is at least that fast; slower proves nothing
//!   about this link. A link that really drops is still seen: parts then take longer than real time,
//!   the player falls behind the preload hint and loads parts that already exist, which are not held
//!   and are sampled in full (and a draining buffer triggers
//!   [`AbrController`](super::AbrController)'s emergency rule once they have).
//!
//! Non-finite or backwards times and zero-byte transfers are ignored.

use super::AbrConfig;

/// One finished request, timed on a monotonic clock in milliseconds (`performance.now()`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transfer {
    /// Bytes of the body.
    pub bytes: u64,
    /// When the request was made, in milliseconds.
    pub request_ms: f64,
    /// When the first byte of the body (or the response headers) arrived, in milliseconds.
    pub first_byte_ms: f64,
    /// When the last byte arrived, in milliseconds.
    pub end_ms: f64,
    /// The request was made before the resource existed (a blocking playlist reload `_HLS_msn=…`, or
    /// an LL-HLS preload-hinted part fetched before the server had it): its time to first byte is the
    /// encoder's pace and its body may arrive at the broadcaster's upload pace, not the link's.
    pub held: bool,
    /// Seconds of media it carried (a part's or segment's duration; 0 for anything else). A sample
    /// weighs the longer of this and its transfer time, so fast transfers on a fast link still move
    /// the estimate within a few fragments (weighted by transfer time alone, a 2 s segment fetched in
    /// 5 ms would weigh almost nothing and an up-switch would wait for hundreds of them).
    pub media_secs: f64,
}

/// An exponentially weighted moving average whose weights are in the unit of its half-life, with
/// hls.js's zero-bias correction (the average starts from 0, so it is divided by the weight so far).
#[derive(Debug, Clone, PartialEq)]
struct Ewma {
    /// Halvings per unit of weight (1 / half-life); infinite keeps only the last sample. The decay
    /// `0.5^(weight / half_life)` is one `exp2` (`powf` costs the bundle 2 KB more).
    rate: f64,
    estimate: f64,
    total_weight: f64,
}

impl Ewma {
    fn new(half_life: f64) -> Self {
        let rate = if half_life.is_finite() && half_life > 0.0 {
            1.0 / half_life
        } else {
            f64::INFINITY
        };
        Self {
            rate,
            estimate: 0.0,
            total_weight: 0.0,
        }
    }

    /// Adds `value` with `weight` (> 0 and finite, checked by the callers).
    fn sample(&mut self, weight: f64, value: f64) {
        let keep = self.keep(weight);
        self.estimate = value * (1.0 - keep) + keep * self.estimate;
        self.total_weight += weight;
    }

    /// What is left of the past after `weight` more: `0.5^(weight / half_life)`.
    fn keep(&self, weight: f64) -> f64 {
        (-weight * self.rate).exp2()
    }

    fn get(&self) -> Option<f64> {
        if self.total_weight <= 0.0 {
            return None;
        }
        let zero_factor = 1.0 - self.keep(self.total_weight);
        if zero_factor > 0.0 {
            Some(self.estimate / zero_factor)
        } else {
            Some(self.estimate)
        }
    }
}

/// Throughput and time-to-first-byte estimate of the link; see the [module docs](self) for how
/// transfers are sampled.
#[derive(Debug, Clone, PartialEq)]
pub struct BandwidthEstimator {
    fast: Ewma,
    slow: Ewma,
    ttfb: Ewma,
    min_weight_secs: f64,
    min_bytes: u64,
    min_duration_ms: f64,
    max_bps: f64,
}

impl BandwidthEstimator {
    /// An estimator with no samples, with the half-lives and floors of `config`.
    pub fn new(config: &AbrConfig) -> Self {
        let positive = |v: f64, fallback: f64| {
            if v.is_finite() && v > 0.0 {
                v
            } else {
                fallback
            }
        };
        Self {
            fast: Ewma::new(config.fast_half_life_secs),
            slow: Ewma::new(config.slow_half_life_secs),
            ttfb: Ewma::new(config.ttfb_half_life_samples),
            min_weight_secs: if config.min_estimate_weight_secs.is_finite() {
                config.min_estimate_weight_secs.max(0.0)
            } else {
                0.0
            },
            min_bytes: config.min_sample_bytes.max(1),
            min_duration_ms: positive(config.min_sample_duration_ms, 1.0),
            max_bps: positive(config.max_sample_bps, f64::MAX),
        }
    }

    /// Takes one finished transfer into the estimate (see the [module docs](self)).
    pub fn sample(&mut self, t: &Transfer) {
        let times_ok = t.first_byte_ms.is_finite() && t.end_ms.is_finite();
        if !t.held && times_ok && t.request_ms.is_finite() && t.first_byte_ms >= t.request_ms {
            self.ttfb.sample(1.0, t.first_byte_ms - t.request_ms);
        }
        if !times_ok || t.end_ms < t.first_byte_ms || t.bytes < self.min_bytes {
            return;
        }
        let duration_ms = (t.end_ms - t.first_byte_ms).max(self.min_duration_ms);
        // u64 → f64 rounds above 2^53 bytes, far past anything a part or segment holds.
        let bps = (t.bytes as f64 * 8.0 * 1000.0 / duration_ms).min(self.max_bps);
        if !bps.is_finite() {
            return;
        }
        if t.held {
            if let Some(current) = self.current() {
                if bps <= current {
                    return;
                }
            }
        }
        let media = if t.media_secs.is_finite() {
            t.media_secs.max(0.0)
        } else {
            0.0
        };
        let weight = (duration_ms / 1000.0).max(media);
        if bps <= 0.0 {
            return;
        }
        // Averaged as seconds per bit (a harmonic mean of rates): one slow transfer after many fast
        // ones pulls the estimate down at once, where an arithmetic mean of 100 Mbit/s loopback
        // samples would hide a link that just dropped to 450 kbit/s for several fragments.
        self.fast.sample(weight, 1.0 / bps);
        self.slow.sample(weight, 1.0 / bps);
    }

    /// The lower of the fast and slow averages, in bits per second, once samples weighing at least
    /// [`AbrConfig::min_estimate_weight_secs`] were taken; `None` before (use
    /// [`AbrConfig::default_estimate_bps`]).
    pub fn estimate_bps(&self) -> Option<f64> {
        if self.slow.total_weight < self.min_weight_secs {
            return None;
        }
        self.current()
    }

    /// Average time to first byte of the transfers that were not held, in milliseconds; `None`
    /// before the first.
    pub fn ttfb_ms(&self) -> Option<f64> {
        self.ttfb.get()
    }

    /// Seconds of transfer time sampled so far.
    pub fn total_weight_secs(&self) -> f64 {
        self.slow.total_weight
    }

    /// The estimate whatever the weight so far, `None` before any sample.
    fn current(&self) -> Option<f64> {
        match (self.fast.get(), self.slow.get()) {
            (Some(f), Some(s)) if f.max(s) > 0.0 => Some(1.0 / f.max(s)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer(bytes: u64, first_byte_ms: f64, end_ms: f64, held: bool) -> Transfer {
        Transfer {
            bytes,
            request_ms: 0.0,
            first_byte_ms,
            end_ms,
            held,
            media_secs: 0.0,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= b.abs() * 1e-9 + 1e-9
    }

    #[test]
    fn no_estimate_before_samples() {
        let e = BandwidthEstimator::new(&AbrConfig::default());
        assert_eq!(e.estimate_bps(), None);
        assert_eq!(e.ttfb_ms(), None);
        assert_eq!(e.total_weight_secs(), 0.0);
    }

    #[test]
    fn throughput_excludes_time_to_first_byte() {
        let mut e = BandwidthEstimator::new(&AbrConfig::default());
        // 125 000 bytes = 1 Mbit; 900 ms waiting, 500 ms of body: 2 Mbit/s, not 1/1.4.
        e.sample(&transfer(125_000, 900.0, 1_400.0, false));
        let est = e.estimate_bps().unwrap_or_default();
        assert!(close(est, 2_000_000.0), "{est}");
        assert!(close(e.ttfb_ms().unwrap_or_default(), 900.0));
    }

    #[test]
    fn steady_samples_give_that_throughput() {
        let mut e = BandwidthEstimator::new(&AbrConfig::default());
        for i in 0..20 {
            let t0 = i as f64 * 1000.0;
            e.sample(&Transfer {
                bytes: 250_000,
                request_ms: t0,
                first_byte_ms: t0 + 40.0,
                end_ms: t0 + 540.0,
                held: false,
                media_secs: 0.0,
            });
        }
        assert!(close(e.estimate_bps().unwrap_or_default(), 4_000_000.0));
        assert!(close(e.ttfb_ms().unwrap_or_default(), 40.0));
    }

    #[test]
    fn fast_average_follows_a_drop_and_slow_one_holds_a_rise() {
        let mut e = BandwidthEstimator::new(&AbrConfig::default());
        let mut t = 0.0;
        let mut feed = |e: &mut BandwidthEstimator, bps: f64, secs: f64| {
            let bytes = (bps * secs / 8.0) as u64;
            e.sample(&transfer(bytes, t, t + secs * 1000.0, false));
            t += secs * 1000.0;
        };
        for _ in 0..20 {
            feed(&mut e, 4e6, 0.5);
        }
        // 2 s of transfer at 1 Mbit/s: one fast half-life, so the fast average (of seconds per bit) is
        // half way: 1 / (0.5 / 4 Mbit/s + 0.5 / 1 Mbit/s) = 1.6 Mbit/s.
        for _ in 0..4 {
            feed(&mut e, 1e6, 0.5);
        }
        let dropped = e.estimate_bps().unwrap_or_default();
        assert!((1.5e6..1.7e6).contains(&dropped), "{dropped}");
        // Back to 4 Mbit/s for 2 s: both averages climb, neither is back.
        for _ in 0..4 {
            feed(&mut e, 4e6, 0.5);
        }
        let rising = e.estimate_bps().unwrap_or_default();
        assert!(rising > dropped && rising < 3.5e6, "{rising}");
    }

    #[test]
    fn rejected_transfers() {
        let cases: &[(&str, Transfer)] = &[
            ("below the byte floor", transfer(2047, 0.0, 100.0, false)),
            ("zero bytes", transfer(0, 0.0, 100.0, false)),
            (
                "ends before first byte",
                transfer(100_000, 100.0, 50.0, false),
            ),
            ("NaN end", transfer(100_000, 0.0, f64::NAN, false)),
            ("infinite end", transfer(100_000, 0.0, f64::INFINITY, false)),
            ("NaN first byte", transfer(100_000, f64::NAN, 100.0, false)),
            (
                "-infinite first byte",
                transfer(100_000, f64::NEG_INFINITY, 100.0, false),
            ),
        ];
        for (name, t) in cases {
            let mut e = BandwidthEstimator::new(&AbrConfig::default());
            e.sample(t);
            assert_eq!(e.total_weight_secs(), 0.0, "{name}");
            assert_eq!(e.estimate_bps(), None, "{name}");
        }
    }

    #[test]
    fn ttfb_rules() {
        // (transfer, TTFB sampled)
        let cases = [
            (transfer(100, 30.0, 31.0, false), Some(30.0)), // small transfers still time the RTT
            (transfer(100_000, 30.0, 60.0, true), None),    // held: the server's wait
            (
                Transfer {
                    request_ms: 50.0,
                    ..transfer(100_000, 30.0, 60.0, false)
                },
                None,
            ), // first byte before the request
            (
                Transfer {
                    request_ms: f64::NAN,
                    ..transfer(100_000, 30.0, 60.0, false)
                },
                None,
            ),
        ];
        for (t, want) in cases {
            let mut e = BandwidthEstimator::new(&AbrConfig::default());
            e.sample(&t);
            assert_eq!(e.ttfb_ms(), want, "{t:?}");
        }
    }

    #[test]
    fn burst_is_floored_capped_and_light() {
        let config = AbrConfig::default();
        let mut e = BandwidthEstimator::new(&config);
        // A 300 ms part of 60 KB arriving in one burst on loopback: 0 ms of body.
        e.sample(&transfer(60_000, 3.0, 3.0, false));
        // Floored to 5 ms: 96 Mbit/s, under the 100 Mbit/s cap; it weighs 5 ms only.
        assert!(close(e.total_weight_secs(), 0.005));
        assert_eq!(
            e.estimate_bps(),
            None,
            "5 ms is below the 50 ms minimum weight"
        );
        e.sample(&transfer(1_000_000, 0.0, 0.0, false));
        let est = e.estimate_bps();
        assert_eq!(est, None);
        for _ in 0..10 {
            e.sample(&transfer(1_000_000, 0.0, 0.0, false));
        }
        let est = e.estimate_bps().unwrap_or_default();
        assert!(est <= config.max_sample_bps, "{est}");
        assert!(est > 90e6, "{est}");
    }

    #[test]
    fn one_real_transfer_outweighs_many_bursts() {
        let mut e = BandwidthEstimator::new(&AbrConfig::default());
        for _ in 0..10 {
            e.sample(&transfer(60_000, 0.0, 0.0, false));
        }
        // 1 s at 2 Mbit/s weighs 1 s against 10 × 5 ms.
        e.sample(&transfer(250_000, 0.0, 1_000.0, false));
        let est = e.estimate_bps().unwrap_or_default();
        assert!(est < 20e6, "{est}");
    }

    #[test]
    fn held_transfers_are_lower_bounds() {
        let mut e = BandwidthEstimator::new(&AbrConfig::default());
        for _ in 0..10 {
            e.sample(&transfer(250_000, 0.0, 500.0, false)); // 4 Mbit/s
        }
        let before = e.estimate_bps().unwrap_or_default();
        // Held, 1 Mbit/s: the broadcaster's pace, says nothing.
        e.sample(&transfer(62_500, 0.0, 500.0, true));
        assert_eq!(e.estimate_bps(), Some(before));
        // Held, 8 Mbit/s: the link is at least that fast.
        for _ in 0..10 {
            e.sample(&transfer(500_000, 0.0, 500.0, true));
        }
        let after = e.estimate_bps().unwrap_or_default();
        assert!(after > before * 1.5, "{before} → {after}");
        // Not held, 1 Mbit/s: taken.
        for _ in 0..10 {
            e.sample(&transfer(62_500, 0.0, 500.0, false));
        }
        assert!(e.estimate_bps().unwrap_or_default() < before);
    }

    #[test]
    fn first_held_transfer_counts() {
        let mut e = BandwidthEstimator::new(&AbrConfig::default());
        e.sample(&transfer(125_000, 400.0, 900.0, true));
        assert!(close(e.estimate_bps().unwrap_or_default(), 2_000_000.0));
        assert_eq!(e.ttfb_ms(), None);
    }

    #[test]
    fn degenerate_config_does_not_panic() {
        let config = AbrConfig {
            fast_half_life_secs: 0.0,
            slow_half_life_secs: f64::NAN,
            ttfb_half_life_samples: -1.0,
            min_estimate_weight_secs: f64::NAN,
            min_sample_bytes: 0,
            min_sample_duration_ms: f64::NAN,
            max_sample_bps: -5.0,
            ..AbrConfig::default()
        };
        let mut e = BandwidthEstimator::new(&config);
        e.sample(&transfer(1, 0.0, 0.0, false));
        e.sample(&transfer(125_000, 0.0, 1_000.0, false));
        // Half-lives of zero keep the last sample only.
        assert!(close(e.estimate_bps().unwrap_or_default(), 1_000_000.0));
        e.sample(&transfer(u64::MAX, 0.0, 0.0, false));
        assert!(e.estimate_bps().is_some_and(f64::is_finite));
    }
}
