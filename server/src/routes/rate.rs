//! Upload rate per stream key: a token bucket per key, as a middleware layer on the upload routes.
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
}

impl KeyBuckets {
    /// Full buckets of `rate` for every key.
    pub fn new(rate: UploadRate) -> Self {
        Self {
            rate,
            buckets: Arc::default(),
        }
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

/// The middleware: 429 with `Retry-After` for a key over its rate.
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
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn buckets_refill_per_key() {
        let rate = KeyBuckets::new(UploadRate {
            per_second: 2.0,
            burst: 3.0,
        });
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
}
