//! Live latency control: keeps playback at a target distance from the live edge by nudging the
//! playback rate, and jumps forward when it has fallen far behind.
//!
//! [`LatencyController`] is a pure state machine in the manner of hls.js's `LatencyController`: the
//! glue calls [`LatencyController::tick`] on each `timeupdate` or animation tick (about 4–10 Hz) with
//! the distance it measured, and applies the [`LatencyAction`] it gets back (`playbackRate`, or a seek
//! it first checks is buffered); it calls [`LatencyController::on_stall`] when playback stalls. What it
//! leaves to others: measuring the live edge and the buffer (the glue's), deciding whether a seek
//! target is buffered (the glue's), and stall detection itself ([`crate::buffer`]).
//!
//! Rules, in order, at each tick:
//! 1. Disabled, not playing, or not live (or a distance that is not a number): rate 1.0, nothing else.
//! 2. Further behind than the target plus [`LatencyConfig::max_drift_secs`] (or twice the target, at
//!    least 1 s, when less; hls.js's
//!    `liveMaxLatencyDuration`): [`LatencyAction::Seek`] forward to the target, at most once per
//!    [`LatencyConfig::min_seek_interval_ms`].
//! 3. Less than [`LatencyConfig::low_buffer_secs`] buffered ahead (or a third of the hold-back, one
//!    part target, when that is less): [`LatencyConfig::min_rate`], at once, whatever the distance
//!    (buffer safety wins over latency).
//! 4. Behind the target but less than [`LatencyConfig::speed_up_buffer_secs`] buffered ahead: rate
//!    1.0 (what is not buffered yet does not come sooner for playing faster; it only drains the buffer).
//! 5. Within [`LatencyConfig::dead_band_secs`] of the target: rate 1.0, at once (so the approach ends
//!    without overshoot).
//! 6. Behind, but by no more than [`LatencyConfig::catch_up_start_secs`] and no catch-up under way:
//!    rate 1.0 (a catch-up starts beyond it and runs until the dead band, so rates change rarely).
//! 7. Otherwise proportional: `1 + rate_gain × (distance − target)`, between
//!    [`LatencyConfig::min_rate`] and [`LatencyConfig::max_rate`], quantised to
//!    [`LatencyConfig::rate_step`] away from 1.0, changed at most once per
//!    [`LatencyConfig::min_rate_interval_ms`].
//!    Behind speeds up, ahead (too close to the edge, or after the target grew) slows down.
//!
//! The target: `PART-HOLD-BACK` (or `HOLD-BACK`, or three target durations; the caller passes it), or
//! [`LatencyConfig::target_override_secs`] when set, never below
//! [`LatencyConfig::min_target_fraction`] of the hold-back; plus what stalls added. Each stall adds
//! [`LatencyConfig::stall_step_secs`], up to [`LatencyConfig::max_stall_growth_secs`]; unlike hls.js
//! (whose target only grows, its issue #6350), the growth decays: after
//! [`LatencyConfig::decay_after_ms`] of playback without a stall, one step comes off, then one more
//! per [`LatencyConfig::decay_interval_ms`], back to the base.
//!
//! ```
//! use onair_player::latency::{LatencyAction, LatencyConfig, LatencyController, LatencyInput};
//!
//! // PART-HOLD-BACK of 1 s; playing 2 s behind the edge: speed up, at most 1.1×.
//! let mut latency = LatencyController::new(LatencyConfig::default(), 1.0);
//! let input = LatencyInput {
//!     now_ms: 0.0,
//!     distance_secs: 2.0,
//!     buffer_ahead_secs: 1.5,
//!     playing: true,
//!     live: true,
//! };
//! assert_eq!(latency.tick(&input), LatencyAction::Rate(1.1));
//! assert_eq!(latency.tick(&LatencyInput { now_ms: 250.0, ..input }), LatencyAction::None);
//! ```

/// Target distance, in seconds, when the hold-back passed to [`LatencyController::new`] is not a
/// positive number (the caller should always pass `PART-HOLD-BACK`, `HOLD-BACK` or three target
/// durations).
pub const FALLBACK_HOLD_BACK_SECS: f64 = 3.0;

/// Settings of the latency controller. [`LatencyConfig::default`] suits OnAir's low-latency streams
/// (parts of about 0.33 s, `PART-HOLD-BACK` of about 1 s).
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyConfig {
    /// Control the rate and seek at all. It defaults to true.
    pub enabled: bool,
    /// Target distance from the live edge, in seconds, replacing the hold-back (the JavaScript API's
    /// latency target). Never below [`min_target_fraction`](Self::min_target_fraction) of the
    /// hold-back; ignored unless a positive number. It defaults to `None`.
    pub target_override_secs: Option<f64>,
    /// Lowest target without an override, in seconds, whatever the hold-back. It defaults to 0.9:
    /// measured from the pixels on a shared 2-core machine (three Chromiums, an encoder and the origin),
    /// at OnAir's `PART-HOLD-BACK` (0.63 s) Chromium's pipeline stopped several times a minute with
    /// 0.3–0.5 s buffered, on loopback and under a 4 Mbit/s throttle; at 0.9 s it did not in 30 s of
    /// either (hls.js on the same stream ran 2–3 s behind). Each stall cost more than the 0.3 s saved.
    pub min_target_secs: f64,
    /// Lowest target, as a fraction of the hold-back. It defaults to 2/3: with `PART-HOLD-BACK` at
    /// three part targets, two part targets, the least RFC 8216bis allows ("MUST be at least twice the
    /// Part Target Duration").
    pub min_target_fraction: f64,
    /// Distance from the target within which the rate is 1.0, either side, in seconds. It defaults to
    /// 0.1.
    pub dead_band_secs: f64,
    /// Rate change per second of distance from the target (1.0 + gain × error). It defaults to 0.2:
    /// 0.5 s behind or more is the full 1.1×.
    pub rate_gain: f64,
    /// Fastest playback rate. It defaults to 1.1.
    pub max_rate: f64,
    /// Slowest playback rate, also the rate while the buffer is low. It defaults to 0.95.
    pub min_rate: f64,
    /// Below this much media buffered ahead, in seconds, play at [`min_rate`](Self::min_rate); a third of
    /// the hold-back (one part target) when that is less, since parts arrive whole and a buffer a part
    /// long is a normal moment of a stream held back three parts. It defaults to 0.3.
    pub low_buffer_secs: f64,
    /// Below this much media buffered ahead, in seconds, never faster than 1.0, however far behind
    /// the target. It defaults to 0.5: measured from the pixels under a 4 Mbit/s throttle, a 1.04–1.1×
    /// catch-up with 0.4 s buffered (the distance counted a part still loading) ran into stalls.
    pub speed_up_buffer_secs: f64,
    /// Seek forward to the target once further than the target plus this behind, in seconds (hls.js's
    /// `liveMaxLatencyDuration` minus its `liveSyncDuration`), or twice the target when that is less
    /// (but at least 1 s): on a low-latency stream, 1 s behind after a stall is caught up by a seek,
    /// not by 10 s of 1.1× playback. It defaults to 3.
    pub max_drift_secs: f64,
    /// Behind the target by more than this, in seconds, before a catch-up (rate above 1.0) begins; it
    /// then goes on until the distance is inside the dead band. It defaults to 0.35, more than an
    /// OnAir part (0.21 s) plus the dead band: the distance steps up by a part each time one is listed,
    /// which is not a drift. With the coarse
    /// [`rate_step`](Self::rate_step), it keeps rate changes rare: measured from the pixels, Chromium
    /// changed rate 40–60 times in 30 s under the old proportional rule (0.1 s band, 0.01 steps), and
    /// its pipeline stopped (with data buffered) within half a second of a change 9 times out of 10.
    pub catch_up_start_secs: f64,
    /// Rates are multiples of this. It defaults to 0.05 (1.05 or 1.1 to catch up).
    pub rate_step: f64,
    /// Shortest time between two proportional rate changes, in milliseconds (changes to 1.0 and to the
    /// low-buffer rate are immediate). It defaults to 500.
    pub min_rate_interval_ms: f64,
    /// Shortest time between two seeks, in milliseconds (the glue may decline one whose target is not
    /// buffered). It defaults to 1000.
    pub min_seek_interval_ms: f64,
    /// Target growth per stall, in seconds. It defaults to 0.25 (about one OnAir part: a stall costs
    /// wall-clock time, whatever the hold-back).
    pub stall_step_secs: f64,
    /// Most the stalls may add to the target, in seconds. It defaults to 2.
    pub max_stall_growth_secs: f64,
    /// Playback without a stall, in milliseconds, before the stall growth starts to decay. It defaults
    /// to 10 000.
    pub decay_after_ms: f64,
    /// Playback between two decay steps, in milliseconds. It defaults to 5000.
    pub decay_interval_ms: f64,
}

impl Default for LatencyConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            target_override_secs: None,
            min_target_secs: 0.9,
            min_target_fraction: 2.0 / 3.0,
            dead_band_secs: 0.1,
            rate_gain: 0.2,
            max_rate: 1.1,
            min_rate: 0.95,
            low_buffer_secs: 0.3,
            speed_up_buffer_secs: 0.5,
            max_drift_secs: 3.0,
            catch_up_start_secs: 0.35,
            rate_step: 0.05,
            min_rate_interval_ms: 500.0,
            min_seek_interval_ms: 1_000.0,
            stall_step_secs: 0.25,
            max_stall_growth_secs: 2.0,
            decay_after_ms: 10_000.0,
            decay_interval_ms: 5_000.0,
        }
    }
}

/// What the glue measured at one tick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyInput {
    /// Now, on a monotonic clock, in milliseconds (`performance.now()`).
    pub now_ms: f64,
    /// Live edge minus `currentTime`, in seconds.
    pub distance_secs: f64,
    /// Seconds buffered ahead of `currentTime`.
    pub buffer_ahead_secs: f64,
    /// The element is playing (not paused, not waiting for data).
    pub playing: bool,
    /// The stream is live (its playlist has no `EXT-X-ENDLIST`).
    pub live: bool,
}

/// What the glue should do after a tick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LatencyAction {
    /// Nothing.
    None,
    /// Set `playbackRate` to this (only sent when it changes).
    Rate(f64),
    /// Seek this many seconds forward, to the target distance, if that position is buffered.
    Seek {
        /// Seconds to move `currentTime` forward.
        forward_secs: f64,
    },
}

/// Playback-rate and seek control toward a target distance from the live edge; see the
/// [module docs](self).
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyController {
    config: LatencyConfig,
    hold_back_secs: f64,
    /// What stalls added to the target, in seconds.
    stall_growth_secs: f64,
    /// Playback since the last stall, in milliseconds.
    played_since_stall_ms: f64,
    /// Decay steps taken since the last stall.
    decays: u32,
    rate: f64,
    /// A catch-up is under way (see [`LatencyConfig::catch_up_start_secs`]).
    catching_up: bool,
    last_rate_change_ms: Option<f64>,
    last_seek_ms: Option<f64>,
    last_tick_ms: Option<f64>,
}

/// `v` if finite, else `fallback`.
fn finite_or(v: f64, fallback: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        fallback
    }
}

/// `v` if finite and positive, else `None`.
fn positive(v: f64) -> Option<f64> {
    (v.is_finite() && v > 0.0).then_some(v)
}

/// Whether at least `interval` ms have passed since `last` (always true before the first).
fn elapsed(now: f64, last: Option<f64>, interval: f64) -> bool {
    match last {
        None => true,
        Some(last) => now - last >= interval,
    }
}

impl LatencyController {
    /// A controller aiming at `hold_back_secs` behind the live edge (`PART-HOLD-BACK`, else
    /// `HOLD-BACK`, else three target durations), at rate 1.0. A hold-back that is not a positive
    /// number is [`FALLBACK_HOLD_BACK_SECS`].
    pub fn new(config: LatencyConfig, hold_back_secs: f64) -> Self {
        Self {
            config,
            hold_back_secs: positive(hold_back_secs).unwrap_or(FALLBACK_HOLD_BACK_SECS),
            stall_growth_secs: 0.0,
            played_since_stall_ms: 0.0,
            decays: 0,
            rate: 1.0,
            catching_up: false,
            last_rate_change_ms: None,
            last_seek_ms: None,
            last_tick_ms: None,
        }
    }

    /// Its settings.
    pub fn config(&self) -> &LatencyConfig {
        &self.config
    }

    /// A new hold-back, in seconds (the playlist changed, or a switch to a level with another one).
    /// Ignored unless a positive number.
    pub fn set_hold_back_secs(&mut self, hold_back_secs: f64) {
        if let Some(h) = positive(hold_back_secs) {
            self.hold_back_secs = h;
        }
    }

    /// Sets or clears [`LatencyConfig::target_override_secs`].
    pub fn set_target_override(&mut self, target_secs: Option<f64>) {
        self.config.target_override_secs = target_secs;
    }

    /// Sets [`LatencyConfig::enabled`]; the next tick then asks for rate 1.0 if needed.
    pub fn set_enabled(&mut self, enabled: bool) {
        self.config.enabled = enabled;
    }

    /// The rate last asked for (1.0 before any).
    pub fn current_rate(&self) -> f64 {
        self.rate
    }

    /// The target without stall growth, in seconds: the override or the hold-back, never below the
    /// floor.
    pub fn base_target_secs(&self) -> f64 {
        let floor = self.hold_back_secs * finite_or(self.config.min_target_fraction, 0.0).max(0.0);
        let chosen = self
            .config
            .target_override_secs
            .and_then(positive)
            .unwrap_or_else(|| {
                self.hold_back_secs
                    .max(finite_or(self.config.min_target_secs, 0.0))
            });
        chosen.max(floor)
    }

    /// The target distance from the live edge now, in seconds: the base plus the stall growth.
    pub fn target_secs(&self) -> f64 {
        self.base_target_secs() + self.stall_growth_secs
    }

    /// Playback stalled at `now_ms`: the target grows by one step, up to the maximum growth, and the
    /// decay starts over.
    pub fn on_stall(&mut self, now_ms: f64) {
        let _ = now_ms; // Decay counts playback time from ticks, not wall-clock time since the stall.
        let step = finite_or(self.config.stall_step_secs, 0.0).max(0.0);
        let max = finite_or(self.config.max_stall_growth_secs, 0.0).max(0.0);
        self.stall_growth_secs = (self.stall_growth_secs + step).min(max);
        self.played_since_stall_ms = 0.0;
        self.decays = 0;
    }

    /// One tick: what to do now (see the [module docs](self) for the rules).
    pub fn tick(&mut self, input: &LatencyInput) -> LatencyAction {
        let now = input.now_ms;
        // Playback time between ticks, at most 1 s per tick (a tab in the background does not tick).
        let dt = match self.last_tick_ms {
            Some(last) if now.is_finite() && now >= last => (now - last).min(1_000.0),
            _ => 0.0,
        };
        if now.is_finite() {
            self.last_tick_ms = Some(now);
        }
        let distance = input.distance_secs;
        if !self.config.enabled || !input.playing || !input.live || !distance.is_finite() {
            return self.set_rate(1.0, now);
        }
        self.decay(dt);

        let config = &self.config;
        let target = self.target_secs();
        let error = distance - target;
        let max_drift = finite_or(config.max_drift_secs, f64::INFINITY)
            .min((2.0 * target).max(1.0))
            .max(0.0);
        if error > max_drift && elapsed(now, self.last_seek_ms, config.min_seek_interval_ms) {
            self.last_seek_ms = now.is_finite().then_some(now);
            return LatencyAction::Seek {
                forward_secs: error,
            };
        }
        let max_rate = positive(config.max_rate).unwrap_or(1.0).max(1.0);
        let min_rate = positive(config.min_rate).unwrap_or(1.0).min(1.0);
        let buffer = finite_or(input.buffer_ahead_secs, 0.0).max(0.0);
        let low_buffer = finite_or(config.low_buffer_secs, 0.0).min(self.hold_back_secs / 3.0);
        if buffer < low_buffer {
            return self.set_rate(min_rate, now);
        }
        if error > 0.0 && buffer < finite_or(config.speed_up_buffer_secs, 0.0) {
            self.catching_up = false;
            return self.set_rate(1.0, now);
        }
        // A microsecond of slack, so a distance of exactly the band's edge (1.1 − 1.0 is 0.10000000000000009
        // in floating point) is inside it.
        let dead_band = finite_or(config.dead_band_secs, 0.0).max(0.0);
        if error.abs() <= dead_band + 1e-6 {
            self.catching_up = false;
            return self.set_rate(1.0, now);
        }
        let start = finite_or(config.catch_up_start_secs, 0.0).max(dead_band);
        if error > 0.0 && !self.catching_up {
            if error <= start + 1e-6 {
                return self.set_rate(1.0, now);
            }
            self.catching_up = true;
        }
        let mut rate = 1.0 + finite_or(config.rate_gain, 0.0) * error;
        if let Some(step) = positive(config.rate_step) {
            // Away from 1.0, so a small distance outside the band still moves toward it.
            rate = if error > 0.0 {
                (rate / step - 1e-9).ceil() * step
            } else {
                (rate / step + 1e-9).floor() * step
            };
        }
        let rate = rate.min(max_rate).max(min_rate);
        if rate != self.rate
            && now.is_finite()
            && elapsed(now, self.last_rate_change_ms, config.min_rate_interval_ms)
        {
            return self.set_rate(rate, now);
        }
        LatencyAction::None
    }

    /// One decay step of the stall growth when enough playback has passed since the last stall.
    fn decay(&mut self, dt_ms: f64) {
        self.played_since_stall_ms += dt_ms;
        if self.stall_growth_secs <= 0.0 {
            return;
        }
        let after = finite_or(self.config.decay_after_ms, f64::INFINITY).max(0.0);
        let interval = finite_or(self.config.decay_interval_ms, f64::INFINITY).max(0.0);
        let due = after + interval * f64::from(self.decays);
        if self.played_since_stall_ms >= due {
            let step = finite_or(self.config.stall_step_secs, 0.0).max(0.0);
            self.stall_growth_secs = (self.stall_growth_secs - step).max(0.0);
            self.decays = self.decays.saturating_add(1);
        }
    }

    /// Asks for `rate` if it is not the current one.
    fn set_rate(&mut self, rate: f64, now: f64) -> LatencyAction {
        let rate = positive(rate).unwrap_or(1.0);
        if rate == self.rate {
            return LatencyAction::None;
        }
        self.rate = rate;
        self.last_rate_change_ms = now.is_finite().then_some(now);
        LatencyAction::Rate(rate)
    }
}

#[cfg(test)]
mod tests;
