//! Adaptive bitrate: which variant (level) to load next.
//!
//! What it owns:
//! - [`estimate`]: [`BandwidthEstimator`], the link's throughput and time to first byte, measured from
//!   finished transfers ([`Transfer`]).
//! - [`rules`]: [`AbrController`], the level choice from that estimate, the forward buffer, the element
//!   size, the codec filter and the penalty box, with a manual override.
//! - [`AbrConfig`]: every tunable of both, with its default.
//!
//! Both are pure state machines in the manner of hls.js's `EwmaBandWidthEstimator` and
//! `AbrController`: the wasm glue times the requests (`performance.now()`), tells the estimator, and
//! asks [`AbrController::choose`] before each part or segment request. What it leaves to others:
//! deciding `playable` (`MediaSource.isTypeSupported`), the penalty box itself (which levels failed and
//! for how long), the element size, and actually switching (loading the new level's playlist and init
//! segment) are the glue's and the stream controller's.
//!
//! ```
//! use onair_player::abr::{AbrConfig, AbrController, AbrInput, BandwidthEstimator, Level, Transfer};
//!
//! let config = AbrConfig::default();
//! let mut estimator = BandwidthEstimator::new(&config);
//! let mut abr = AbrController::new(config);
//! let levels = [
//!     Level { bandwidth: 800_000, width: Some(640), height: Some(360), playable: true },
//!     Level { bandwidth: 2_800_000, width: Some(1280), height: Some(720), playable: true },
//! ];
//! // A 1 MB segment whose body took 1 s after its first byte: 8 Mbit/s.
//! estimator.sample(&Transfer {
//!     bytes: 1_000_000,
//!     request_ms: 0.0,
//!     first_byte_ms: 50.0,
//!     end_ms: 1_050.0,
//!     held: false,
//!     media_secs: 0.33,
//! });
//! let input = AbrInput {
//!     now_ms: 1_050.0,
//!     levels: &levels,
//!     current: 0,
//!     buffer_ahead_secs: 1.0,
//!     target_buffer_secs: 1.0,
//!     element_size: None,
//!     penalized: &[],
//! };
//! assert_eq!(abr.choose(&input, estimator.estimate_bps()), 1);
//! ```

pub mod estimate;
pub mod rules;

#[cfg(test)]
mod tests;

pub use estimate::{BandwidthEstimator, Transfer};
pub use rules::{AbrController, AbrInput, Level};

/// Settings of the bandwidth estimator and the level choice. [`AbrConfig::default`] suits OnAir's
/// low-latency streams (parts of about 0.33 s, a forward buffer of about 1 s).
#[derive(Debug, Clone, PartialEq)]
pub struct AbrConfig {
    /// Half-life of the fast throughput average, in seconds of transfer time (each sample weighs the
    /// seconds its body took). It defaults to 2 (hls.js's `abrEwmaFastLive` is 3, for whole
    /// segments; parts are short, so a drop must show sooner).
    pub fast_half_life_secs: f64,
    /// Half-life of the slow throughput average, in seconds of transfer time. It defaults to 4
    /// (hls.js's `abrEwmaSlowLive` is 9; at a low level on a fast link parts load in a fraction of
    /// their duration, so transfer time accrues slowly and 9 s would hold a recovered link down for
    /// more than half a minute).
    pub slow_half_life_secs: f64,
    /// Half-life of the time-to-first-byte average, in samples. It defaults to 5.
    pub ttfb_half_life_samples: f64,
    /// Total sample weight, in seconds of transfer time, before
    /// [`BandwidthEstimator::estimate_bps`] answers. It defaults to 0.05.
    pub min_estimate_weight_secs: f64,
    /// Transfers smaller than this, in bytes, give no throughput sample (playlists, tiny parts: their
    /// time is all round trip and burst). It defaults to 2048.
    pub min_sample_bytes: u64,
    /// Shortest body duration a sample is measured over, in milliseconds: a part that arrives in one
    /// burst (on loopback, or already in the socket when the headers are read) counts as if it took
    /// this long. It defaults to 5.
    pub min_sample_duration_ms: f64,
    /// Largest throughput one sample may claim, in bits per second. It defaults to 100 000 000.
    pub max_sample_bps: f64,
    /// Throughput assumed before the estimator answers, in bits per second (the start-up choice).
    /// It defaults to 5 000 000.
    pub default_estimate_bps: f64,
    /// A higher level is switched up to only if its `BANDWIDTH` is at most the estimate times this.
    /// It defaults to 0.7.
    pub up_factor: f64,
    /// The current level is kept while its `BANDWIDTH` is at most the estimate times this; on a down
    /// switch, the new level is the highest that fits the estimate times this. Above
    /// [`up_factor`](Self::up_factor), so the gap between the two is the hysteresis. It defaults to 0.9.
    pub down_factor: f64,
    /// Time since the last switch before an up switch, in milliseconds. It defaults to 4000.
    pub min_up_interval_ms: f64,
    /// Up switches need at least this fraction of the target buffer ahead of the playhead (so a
    /// draining buffer never switches up). It defaults to 0.8: in low latency the buffer ahead is at
    /// most the target distance and dips by a part while the next one loads.
    pub min_up_buffer_fraction: f64,
    /// Below this fraction of the target buffer, with the current level's `BANDWIDTH` above the
    /// estimate times [`up_factor`](Self::up_factor), the choice drops at once to the highest lower
    /// level that fits the estimate times the up factor (or the lowest). It defaults to 0.5.
    pub emergency_buffer_fraction: f64,
    /// Skip levels larger than the element: the cap is the smallest level whose height is at least
    /// the element's (device pixels). It defaults to true.
    pub cap_to_element: bool,
}

impl Default for AbrConfig {
    fn default() -> Self {
        Self {
            fast_half_life_secs: 2.0,
            slow_half_life_secs: 4.0,
            ttfb_half_life_samples: 5.0,
            min_estimate_weight_secs: 0.05,
            min_sample_bytes: 2048,
            min_sample_duration_ms: 5.0,
            max_sample_bps: 100_000_000.0,
            default_estimate_bps: 5_000_000.0,
            up_factor: 0.7,
            down_factor: 0.9,
            min_up_interval_ms: 4_000.0,
            min_up_buffer_fraction: 0.8,
            emergency_buffer_fraction: 0.5,
            cap_to_element: true,
        }
    }
}
