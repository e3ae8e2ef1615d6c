//! The one retry policy of both ends: what is worth retrying, and how long to wait before the next try.
//!
//! The broadcaster's upload queue and the player's loaders decide *what* a failure means for them (a
//! refused part is dropped, a missing playlist of a live stream is waited for); this module answers the
//! questions they share, as pure functions:
//!
//! - [`status_retryable`]: timeouts, rate limiting and server errors are transient; every other status
//!   would fail the same way again. A request that got no answer at all (network down) is worth retrying
//!   too; that is for the caller to say, it has no status.
//! - [`Backoff`]: the delay before retry `n`, doubling from a first delay up to a cap, optionally
//!   shortened by jitter from a random number the caller draws (so the policy stays deterministic under
//!   test).
//! - [`parse_retry_after`]: the server's `Retry-After`, which a retry must not undercut.
//!
//! ```
//! use onair_browser::retry::{status_retryable, Backoff};
//!
//! let backoff = Backoff::new(250, 8_000);
//! assert!(status_retryable(503) && !status_retryable(409));
//! assert_eq!(backoff.delay_ms(3), 1_000);
//! assert_eq!(backoff.delay_ms(10), 8_000);
//! ```

/// Whether an HTTP status is worth retrying: 408 (timeout), 425 (too early), 429 (rate limited) and
/// every 5xx.
///
/// Everything else (400 malformed, 401/403 wrong key, 404, 409 out of order, 413 too large) would fail
/// again the same way; what follows from that is each caller's own decision.
pub fn status_retryable(status: u16) -> bool {
    matches!(status, 408 | 425 | 429) || (500..=599).contains(&status)
}

/// A `Retry-After` of delta-seconds (`"2"`) in milliseconds. The HTTP-date form is not used by the OnAir
/// server and gives `None` (the backoff alone then decides), and so does a value that does not fit.
pub fn parse_retry_after(value: &str) -> Option<u64> {
    let secs: u64 = value.trim().parse().ok()?;
    Some(secs.saturating_mul(1000))
}

/// Capped exponential backoff between retries of the same request.
///
/// Each end keeps its own delays in its config (the broadcaster's uploads start at 250 ms, the player's
/// requests at 500 ms; both cap at 8 s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// Delay after the first failure, in milliseconds.
    pub initial_ms: u64,
    /// Upper bound of the delay, in milliseconds.
    pub max_ms: u64,
    /// The largest share of a delay that jitter takes off, from 0 (none: every client retries on the
    /// same beat) to 1 ("full jitter": anywhere between 0 and the delay); used by
    /// [`Backoff::delay_with_jitter_ms`]. [`Backoff::new`] gives 0.
    pub jitter: f64,
}

impl Backoff {
    /// Doubling from `initial_ms`, capped at `max_ms`, without jitter.
    pub const fn new(initial_ms: u64, max_ms: u64) -> Self {
        Self {
            initial_ms,
            max_ms,
            jitter: 0.0,
        }
    }

    /// The delay after the `failures`-th consecutive failure (1-based; 0 counts as 1):
    /// `initial * 2^(failures-1)`, capped at `max_ms`.
    pub fn delay_ms(&self, failures: u32) -> u64 {
        let shift = failures.saturating_sub(1).min(32);
        self.initial_ms
            .saturating_mul(1_u64 << shift)
            .min(self.max_ms)
    }

    /// [`Backoff::delay_ms`] shortened by jitter: `unit` is a random number in `[0, 1)` the caller drew
    /// (e.g. `Math.random()`), and the delay loses `jitter * unit` of itself. With `jitter` 0 it is
    /// [`Backoff::delay_ms`].
    pub fn delay_with_jitter_ms(&self, failures: u32, unit: f64) -> u64 {
        let delay = self.delay_ms(failures);
        let share = (self.jitter * unit).clamp(0.0, 1.0);
        if share.is_nan() {
            return delay;
        }
        let cut = (delay as f64 * share).round() as u64;
        delay.saturating_sub(cut)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        for s in [408, 425, 429, 500, 502, 503, 504, 599] {
            assert!(status_retryable(s), "{s}");
        }
        for s in [200, 201, 204, 400, 401, 403, 404, 409, 413, 415, 600] {
            assert!(!status_retryable(s), "{s}");
        }
    }

    #[test]
    fn retry_after_values() {
        assert_eq!(parse_retry_after("0"), Some(0));
        assert_eq!(parse_retry_after(" 3 "), Some(3_000));
        assert_eq!(parse_retry_after("120"), Some(120_000));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after(""), None);
        assert_eq!(
            parse_retry_after("99999999999999999999"),
            None,
            "does not fit"
        );
        assert_eq!(parse_retry_after("18446744073709551615"), Some(u64::MAX));
    }

    #[test]
    fn delays_double_and_cap() {
        let b = Backoff::new(250, 8_000);
        let delays: Vec<u64> = (1..=8).map(|n| b.delay_ms(n)).collect();
        assert_eq!(delays, [250, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(b.delay_ms(0), 250);
        assert_eq!(b.delay_ms(u32::MAX), 8000);
        let b = Backoff::new(500, 8_000);
        let delays: Vec<u64> = (1..=7).map(|n| b.delay_ms(n)).collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
        let huge = Backoff::new(u64::MAX / 2, u64::MAX);
        assert_eq!(huge.delay_ms(5), u64::MAX);
    }

    #[test]
    fn jitter_shortens_within_its_share() {
        let none = Backoff::new(1_000, 8_000);
        assert_eq!(none.delay_with_jitter_ms(1, 0.99), 1_000);
        let half = Backoff {
            jitter: 0.5,
            ..none
        };
        assert_eq!(half.delay_with_jitter_ms(1, 0.0), 1_000);
        assert_eq!(half.delay_with_jitter_ms(1, 0.5), 750);
        assert_eq!(half.delay_with_jitter_ms(2, 0.999_9), 1_000);
        assert_eq!(half.delay_with_jitter_ms(9, 1.0), 4_000, "after the cap");
        let full = Backoff {
            jitter: 1.0,
            ..none
        };
        assert_eq!(full.delay_with_jitter_ms(1, 1.0), 0);
        // Out-of-range draws stay within [0, delay].
        assert_eq!(full.delay_with_jitter_ms(1, 7.0), 0);
        assert_eq!(full.delay_with_jitter_ms(1, -1.0), 1_000);
        assert_eq!(full.delay_with_jitter_ms(1, f64::NAN), 1_000);
    }
}
