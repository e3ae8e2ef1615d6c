//! The level choice: [`AbrController::choose`], asked before each part or segment request.
//!
//! Rules, in order:
//! 1. A [manual](AbrController::set_manual) level (the JavaScript API's choice) wins when it is an
//!    index of `levels` and playable.
//! 2. Candidates are the levels that are `playable`, not in the penalty box, and not larger than the
//!    element ([`AbrConfig::cap_to_element`]). Levels are ranked by `BANDWIDTH` (ties by index), in
//!    whatever order the caller lists them. No candidate: the current level is returned unchanged.
//! 3. The first choice (start-up) is the highest candidate whose `BANDWIDTH` fits the estimate times
//!    [`AbrConfig::up_factor`], or the lowest.
//! 4. The current level no longer a candidate (penalized, capped, unplayable, out of range): the highest
//!    candidate that fits the estimate times [`AbrConfig::down_factor`], or the lowest.
//! 5. Down: the current level no longer fits the estimate times the down factor: as 4, at once, however
//!    many steps that is.
//! 6. Emergency: the buffer ahead below [`AbrConfig::emergency_buffer_fraction`] of the target and the
//!    current level's `BANDWIDTH` above the estimate times the up factor (it has no margin left): at
//!    once, the highest lower candidate that fits the estimate times the up factor, or the lowest. (A
//!    level above the estimate itself already fails rule 5, so the buffer's part in this rule is to ask
//!    for the up switch's margin while there is no buffer to absorb a part that loads slower than real
//!    time.)
//! 7. Up: one step (the next candidate with a higher `BANDWIDTH`), only if it fits the estimate times
//!    the up factor, [`AbrConfig::min_up_interval_ms`] after the last switch, and with at least
//!    [`AbrConfig::min_up_buffer_fraction`] of the target buffer ahead.
//! 8. Otherwise the current level.
//!
//! The gap between the up factor (0.7) and the down factor (0.9) is the hysteresis: on a steady link
//! whose estimate sits between two levels, the lower one is reached and kept.
//!
//! Inputs that are not numbers are made safe: an estimate that is `None`, NaN, infinite or negative is
//! [`AbrConfig::default_estimate_bps`]; a buffer that is NaN or negative is 0 (so: no up switch, and
//! the emergency rule may apply); a target that is NaN or not positive disables both buffer rules
//! (no emergency, no up switch); a `now_ms` that is not finite allows no up switch.

use super::AbrConfig;

/// One variant of the multivariant playlist (`EXT-X-STREAM-INF`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    /// `BANDWIDTH`, in bits per second.
    pub bandwidth: u64,
    /// `RESOLUTION` width, in pixels, when given.
    pub width: Option<u32>,
    /// `RESOLUTION` height, in pixels, when given.
    pub height: Option<u32>,
    /// Its `CODECS` are accepted by `MediaSource.isTypeSupported` (decided by the glue).
    pub playable: bool,
}

/// What [`AbrController::choose`] decides from, besides the bandwidth estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AbrInput<'a> {
    /// Now, on the transfers' monotonic clock, in milliseconds.
    pub now_ms: f64,
    /// The variants, in any order.
    pub levels: &'a [Level],
    /// Index in `levels` of the level loading now.
    pub current: usize,
    /// Seconds buffered ahead of the playhead.
    pub buffer_ahead_secs: f64,
    /// The buffer the player aims for, in seconds: the latency target distance (in low latency the
    /// forward buffer is only about 0.5–1 s).
    pub target_buffer_secs: f64,
    /// The element's size in device pixels (CSS pixels × `devicePixelRatio`), width × height, when
    /// known.
    pub element_size: Option<(u32, u32)>,
    /// Indices in `levels` of the levels in the penalty box.
    pub penalized: &'a [usize],
}

/// Chooses the level to load next; see the [module docs](self) for the rules.
#[derive(Debug, Clone, PartialEq)]
pub struct AbrController {
    config: AbrConfig,
    manual: Option<usize>,
    /// When the level last changed (a switch chosen here, or `current` changing under us), in ms.
    last_switch_ms: Option<f64>,
    /// The `current` of the last call, `None` before the first choice.
    last_current: Option<usize>,
}

impl AbrController {
    /// A controller that has chosen nothing yet, in automatic mode.
    pub fn new(config: AbrConfig) -> Self {
        Self {
            config,
            manual: None,
            last_switch_ms: None,
            last_current: None,
        }
    }

    /// Its settings.
    pub fn config(&self) -> &AbrConfig {
        &self.config
    }

    /// Sets (`Some(index into levels)`) or clears (`None`, automatic) the manual level.
    pub fn set_manual(&mut self, level: Option<usize>) {
        self.manual = level;
    }

    /// The manual level, `None` in automatic mode.
    pub fn manual(&self) -> Option<usize> {
        self.manual
    }

    /// The index in `input.levels` of the level to load next (`input.current` when `levels` is empty
    /// or no level is a candidate). `estimate_bps` is [`super::BandwidthEstimator::estimate_bps`].
    pub fn choose(&mut self, input: &AbrInput<'_>, estimate_bps: Option<f64>) -> usize {
        let now = input.now_ms;
        if self.last_current.is_some_and(|c| c != input.current) && now.is_finite() {
            self.last_switch_ms = Some(now);
        }
        let choice = self.decide(input, estimate_bps);
        if self.last_current.is_none() || choice != input.current {
            self.last_switch_ms = now.is_finite().then_some(now);
        }
        self.last_current = Some(choice);
        choice
    }

    fn decide(&self, input: &AbrInput<'_>, estimate_bps: Option<f64>) -> usize {
        let levels = input.levels;
        if let Some(m) = self.manual {
            if levels.get(m).is_some_and(|l| l.playable) {
                return m;
            }
        }
        let candidates = self.candidates(input);
        let (Some(&lowest), Some(&highest)) = (candidates.first(), candidates.last()) else {
            return input.current;
        };
        let estimate = estimate_bps
            .filter(|e| e.is_finite() && *e >= 0.0)
            .unwrap_or(self.config.default_estimate_bps);
        let estimate = if estimate.is_finite() {
            estimate.max(0.0)
        } else {
            0.0
        };
        let bandwidth = |i: usize| levels.get(i).map_or(0.0, |l| l.bandwidth as f64);
        // The highest candidate under `below` that fits the estimate times `factor`, or the lowest.
        let highest_fitting = |factor: f64, below: f64| {
            candidates
                .iter()
                .rev()
                .copied()
                .find(|&i| bandwidth(i) <= estimate * factor && bandwidth(i) < below)
                .unwrap_or(lowest)
        };
        let up = self.config.up_factor;
        let down = self.config.down_factor;

        if self.last_current.is_none() {
            return highest_fitting(up, f64::INFINITY);
        }
        let Some(pos) = candidates.iter().position(|&i| i == input.current) else {
            return highest_fitting(down, f64::INFINITY);
        };
        let current_bw = bandwidth(input.current);
        let buffer = if input.buffer_ahead_secs.is_finite() {
            input.buffer_ahead_secs.max(0.0)
        } else {
            0.0
        };
        let target = input.target_buffer_secs;
        let target = (target.is_finite() && target > 0.0).then_some(target);

        if current_bw > estimate * down {
            return highest_fitting(down, f64::INFINITY);
        }
        let emergency = target.is_some_and(|t| buffer < self.config.emergency_buffer_fraction * t)
            && current_bw > estimate * up;
        if emergency {
            return highest_fitting(up, current_bw);
        }

        let interval_done = match self.last_switch_ms {
            Some(last) => input.now_ms - last >= self.config.min_up_interval_ms,
            None => input.now_ms.is_finite(),
        };
        let buffer_ok = target.is_some_and(|t| buffer >= self.config.min_up_buffer_fraction * t);
        if interval_done && buffer_ok && input.current != highest {
            let next = candidates
                .iter()
                .skip(pos + 1)
                .copied()
                .find(|&i| bandwidth(i) > current_bw);
            if let Some(next) = next {
                if bandwidth(next) <= estimate * up {
                    return next;
                }
            }
        }
        input.current
    }

    /// Candidate indices, sorted by `BANDWIDTH` then index.
    fn candidates(&self, input: &AbrInput<'_>) -> Vec<usize> {
        let levels = input.levels;
        let mut usable: Vec<usize> = (0..levels.len())
            .filter(|i| levels.get(*i).is_some_and(|l| l.playable) && !input.penalized.contains(i))
            .collect();
        crate::small_map::sort_small_by_key(&mut usable, |&i| {
            (levels.get(i).map_or(0, |l| l.bandwidth), i)
        });
        if !self.config.cap_to_element {
            return usable;
        }
        let Some(element_height) = input.element_size.map(|(_, h)| h).filter(|h| *h > 0) else {
            return usable;
        };
        let height = |i: usize| levels.get(i).and_then(|l| l.height);
        // The smallest candidate height that covers the element; none covers it: no cap.
        let Some(cap) = usable
            .iter()
            .filter_map(|&i| height(i))
            .filter(|h| *h >= element_height)
            .min()
        else {
            return usable;
        };
        // Levels without a RESOLUTION cannot be judged and stay.
        usable.retain(|&i| height(i).is_none_or(|h| h <= cap));
        usable
    }
}
