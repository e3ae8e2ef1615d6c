//! Limits per client address (behind trusted proxies, its `X-Forwarded-For`), by `governor`'s keyed
//! GCRA limiter: a burst at once, then one per period; 429 with `Retry-After` past it. An IPv6 address
//! counts by its /64 (one subscriber's network hands out as many addresses of it as it likes), and
//! addresses not heard from for long are forgotten, so memory stays bounded. Used by stream creation
//! ([`super::api`]) and the contact form ([`super::contact`]).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

/// Addresses held before the ones not heard from for long are forgotten.
const FORGET_PAST: usize = 10_000;

/// One limit per client address. Cheap to clone: the counts are shared.
#[derive(Clone)]
pub struct AddressLimit {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    what: &'static str,
}

impl std::fmt::Debug for AddressLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddressLimit")
            .field("what", &self.what)
            .finish_non_exhaustive()
    }
}

impl AddressLimit {
    /// `burst` requests at once per address, then one per `period`; `what` names them in the 429
    /// ("messages from this address").
    pub fn new(burst: u32, period: Duration, what: &'static str) -> Self {
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_hour(NonZeroU32::MIN))
            .allow_burst(burst);
        Self {
            limiter: Arc::new(RateLimiter::keyed(quota)),
            what,
        }
    }

    /// Counts one request from `client`: 429 (with the wait) when it is over the limit.
    pub fn check(&self, client: IpAddr) -> Result<(), AppError> {
        if self.limiter.len() > FORGET_PAST {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&sender_key(client))
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                AppError::TooManyRequests {
                    reason: self.what.into(),
                    retry_after_secs: wait.as_secs().max(1),
                }
            })
    }
}

/// Whom a limit counts: an IPv4 address, or an IPv6 address's /64.
pub fn sender_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::V6(segments.into())
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn senders() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(sender_key(a), sender_key(b));
        assert_ne!(
            sender_key(a),
            sender_key("2001:db8:1:3::1".parse().unwrap())
        );
        let v4: IpAddr = "203.0.113.1".parse().unwrap();
        assert_eq!(sender_key(v4), v4);
    }

    #[test]
    fn a_burst_then_refused_with_the_wait() {
        let limit = AddressLimit::new(2, Duration::from_secs(60), "tries");
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        assert!(limit.check(a).is_ok());
        assert!(limit.check(a).is_ok());
        match limit.check(a) {
            Err(AppError::TooManyRequests {
                reason,
                retry_after_secs,
            }) => {
                assert_eq!(reason, "tries");
                assert!((1..=60).contains(&retry_after_secs), "{retry_after_secs}");
            }
            other => panic!("{other:?}"),
        }
        assert!(limit.check(b).is_ok(), "another address has its own");
    }
}
