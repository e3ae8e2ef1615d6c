//! Uploads per stream key: a token bucket per key for their rate, and a cap on how many one key has in
//! flight at once, as a middleware layer on the upload routes.
//!
//! The cap keeps the upload slots fair: the upload routes take [`crate::Settings::max_concurrent_uploads`]
//! at once, all streams together, and one key sending slow bodies (an attacker holding a leaked key, a
//! broken encoder) would otherwise hold every slot and starve every other broadcaster; past
//! [`crate::Settings::max_uploads_per_key`] in flight, its next upload is refused at once (429).
//!
//! A broadcaster sends about three parts a second per rendition and an encoder one segment every couple
//! of seconds; a key that sends far more (a runaway retry loop, a leaked key) is refused with 429 and
//! `Retry-After` before its body is read, and other streams never notice. The key is the one the handlers
//! check ([`PresentedKey`]: the `/ingest/{stream_key}/` path segment, else the bearer token of the
//! broadcaster's API); requests without one pass on to the handlers, which refuse them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use crate::error::AppError;
use crate::origin::UploadRate;
use crate::routes::credential::PresentedKey;
use crate::stream_key::StreamKey;

/// Token buckets by stream key, each of [`UploadRate::burst`] tokens refilled at
/// [`UploadRate::per_second`]. Cheap to clone: the buckets are shared.
#[derive(Debug, Clone)]
pub struct KeyBuckets {
    rate: UploadRate,
    buckets: Arc<Mutex<HashMap<StreamKey, (f64, Instant)>>>,
    max_in_flight: usize,
    in_flight: Arc<Mutex<HashMap<StreamKey, usize>>>,
}

/// One upload in flight for a key; dropping it (the upload answered) frees its place.
#[derive(Debug)]
pub struct InFlight {
    key: StreamKey,
    counts: Arc<Mutex<HashMap<StreamKey, usize>>>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

impl KeyBuckets {
    /// Full buckets of `rate` for every key, and at most `max_in_flight` uploads at once per key.
    pub fn new(rate: UploadRate, max_in_flight: usize) -> Self {
        Self {
            rate,
            buckets: Arc::default(),
            max_in_flight,
            in_flight: Arc::default(),
        }
    }

    /// A place for one more upload of `key`, unless it has [`KeyBuckets::new`]'s most in flight.
    pub fn enter(&self, key: &StreamKey) -> Option<InFlight> {
        let mut counts = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(key.clone()).or_insert(0);
        if *count >= self.max_in_flight {
            return None;
        }
        *count += 1;
        Some(InFlight {
            key: key.clone(),
            counts: Arc::clone(&self.in_flight),
        })
    }

    /// Takes one token for `key` at `now`; `Err(seconds to wait)` when there is none.
    pub fn take(&self, key: &StreamKey, now: Instant) -> Result<(), f64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        // Keys idle long enough to be full again are forgotten, so the map stays small.
        let UploadRate { per_second, burst } = self.rate;
        if buckets.len() > 10_000 {
            let full_after = burst / per_second;
            buckets.retain(|_, (_, at)| now.duration_since(*at).as_secs_f64() < full_after);
        }
        let (tokens, at) = buckets.entry(key.clone()).or_insert((burst, now));
        let refill = now.duration_since(*at).as_secs_f64() * per_second;
        *tokens = (*tokens + refill).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err((1.0 - *tokens) / per_second)
        }
    }
}

/// The middleware: 429 with `Retry-After` for a key over its rate or with too many uploads in flight.
pub async fn limit_upload_rate(
    State(rate): State<KeyBuckets>,
    key: Option<PresentedKey>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(PresentedKey(key)) = key {
        if let Err(wait) = rate.take(&key, Instant::now()) {
            return AppError::TooManyRequests {
                reason: format!(
                    "more than {} uploads a second for this stream key",
                    rate.rate.per_second
                ),
                retry_after_secs: wait.ceil().max(1.0) as u64,
            }
            .into_response();
        }
        let Some(_place) = rate.enter(&key) else {
            return AppError::TooManyRequests {
                reason: format!(
                    "{} uploads at once for this stream key, the most one stream may have in flight",
                    rate.max_in_flight
                ),
                retry_after_secs: 1,
            }
            .into_response();
        };
        // The place is held until the upload is answered, its body read.
        return next.run(request).await;
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn buckets_refill_per_key() {
        let rate = KeyBuckets::new(
            UploadRate {
                per_second: 2.0,
                burst: 3.0,
            },
            2,
        );
        let (a, b) = (StreamKey::new("a"), StreamKey::new("b"));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(rate.take(&a, t0).is_ok());
        }
        let wait = rate.take(&a, t0).unwrap_err();
        assert!((wait - 0.5).abs() < 1e-9, "{wait}");
        assert!(rate.take(&b, t0).is_ok(), "another key is not affected");
        assert!(rate.take(&a, t0 + Duration::from_millis(500)).is_ok());
        assert!(rate.take(&a, t0 + Duration::from_millis(500)).is_err());
    }

    #[test]
    fn a_key_has_a_few_uploads_in_flight_at_most() {
        let rate = KeyBuckets::new(UploadRate::DEFAULT, 2);
        let (a, b) = (StreamKey::new("a"), StreamKey::new("b"));
        let first = rate.enter(&a).expect("one");
        let second = rate.enter(&a).expect("two");
        assert!(rate.enter(&a).is_none());
        assert!(rate.enter(&b).is_some(), "another key has its own places");
        drop(first);
        let third = rate.enter(&a).expect("a place again");
        drop((second, third));
        assert!(
            rate.in_flight.lock().unwrap().is_empty(),
            "forgotten when idle"
        );
    }
}
