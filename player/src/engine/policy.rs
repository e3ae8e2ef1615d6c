//! Where the engine meets the ABR and latency controllers. Until those land this holds minimal
//! stand-ins with their interfaces.

/// ABR tunables (stand-in).
#[derive(Debug, Clone, PartialEq)]
pub struct AbrConfig {
    /// Estimate before any transfer was measured, bits per second.
    pub default_estimate_bps: f64,
}

impl Default for AbrConfig {
    fn default() -> Self {
        Self {
            default_estimate_bps: 5_000_000.0,
        }
    }
}

/// A completed transfer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transfer {
    /// Bytes.
    pub bytes: u64,
    /// When asked for, ms.
    pub request_ms: f64,
    /// First byte, ms.
    pub first_byte_ms: f64,
    /// Last byte, ms.
    pub end_ms: f64,
    /// Asked for before it existed.
    pub held: bool,
}

/// Bandwidth estimate (stand-in: one EWMA).
#[derive(Debug, Clone, Default)]
pub struct BandwidthEstimator {
    estimate: Option<f64>,
}

impl BandwidthEstimator {
    /// A new estimator.
    pub fn new(_config: &AbrConfig) -> Self {
        Self::default()
    }
    /// Adds a sample.
    pub fn sample(&mut self, t: &Transfer) {
        let secs = ((t.end_ms - t.first_byte_ms) / 1000.0).max(0.002);
        if t.bytes < 2_000 || !secs.is_finite() {
            return;
        }
        let bps = t.bytes as f64 * 8.0 / secs;
        self.estimate = Some(self.estimate.map_or(bps, |e| e * 0.7 + bps * 0.3));
    }
    /// The estimate, bps.
    pub fn estimate_bps(&self) -> Option<f64> {
        self.estimate
    }
}

/// A level as ABR sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    /// bps.
    pub bandwidth: u64,
    /// px.
    pub width: Option<u32>,
    /// px.
    pub height: Option<u32>,
    /// Decodable here.
    pub playable: bool,
}

/// ABR's inputs.
#[derive(Debug, Clone)]
pub struct AbrInput<'a> {
    /// ms.
    pub now_ms: f64,
    /// Levels.
    pub levels: &'a [Level],
    /// Current.
    pub current: usize,
    /// s.
    pub buffer_ahead_secs: f64,
    /// s.
    pub target_buffer_secs: f64,
    /// px.
    pub element_size: Option<(u32, u32)>,
    /// Penalized.
    pub penalized: &'a [usize],
}

/// Level choice (stand-in: the best level that fits 0.8 of the estimate).
#[derive(Debug, Clone, Default)]
pub struct AbrController {
    manual: Option<usize>,
}

impl AbrController {
    /// A new controller.
    pub fn new(_config: &AbrConfig) -> Self {
        Self::default()
    }
    /// A manual choice.
    pub fn set_manual(&mut self, level: Option<usize>) {
        self.manual = level;
    }
    /// The level to load next.
    pub fn choose(&mut self, input: &AbrInput, estimate_bps: Option<f64>) -> usize {
        if let Some(m) = self.manual.filter(|m| *m < input.levels.len()) {
            return m;
        }
        let estimate = estimate_bps.unwrap_or(5_000_000.0);
        let mut best: Option<(usize, u64)> = None;
        let mut lowest: Option<(usize, u64)> = None;
        for (i, l) in input.levels.iter().enumerate() {
            if !l.playable || input.penalized.contains(&i) {
                continue;
            }
            if lowest.is_none_or(|(_, b)| l.bandwidth < b) {
                lowest = Some((i, l.bandwidth));
            }
            if (l.bandwidth as f64) <= estimate * 0.8 && best.is_none_or(|(_, b)| l.bandwidth > b) {
                best = Some((i, l.bandwidth));
            }
        }
        best.or(lowest).map_or(input.current, |(i, _)| i)
    }
}

/// Latency tunables (stand-in).
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyConfig {
    /// On.
    pub enabled: bool,
    /// Target override, s.
    pub target_override_secs: Option<f64>,
}

impl Default for LatencyConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            target_override_secs: None,
        }
    }
}

/// Latency controller input.
#[derive(Debug, Clone, Copy)]
pub struct LatencyInput {
    /// ms.
    pub now_ms: f64,
    /// s.
    pub distance_secs: f64,
    /// s.
    pub buffer_ahead_secs: f64,
    /// Playing.
    pub playing: bool,
    /// Live.
    pub live: bool,
}

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LatencyAction {
    /// Nothing.
    None,
    /// playbackRate.
    Rate(f64),
    /// Seek forward.
    Seek {
        /// s.
        forward_secs: f64,
    },
}

/// Latency controller (stand-in: rate 1.05 when behind).
#[derive(Debug, Clone)]
pub struct LatencyController {
    target: f64,
    rate: f64,
    enabled: bool,
}

impl LatencyController {
    /// A new controller.
    pub fn new(config: LatencyConfig, hold_back_secs: f64) -> Self {
        Self {
            target: config.target_override_secs.unwrap_or(hold_back_secs),
            rate: 1.0,
            enabled: config.enabled,
        }
    }
    /// The target, s.
    pub fn target_secs(&self) -> f64 {
        self.target
    }
    /// Current rate.
    pub fn current_rate(&self) -> f64 {
        self.rate
    }
    /// A stall.
    pub fn on_stall(&mut self, _now_ms: f64) {}
    /// A tick.
    pub fn tick(&mut self, i: &LatencyInput) -> LatencyAction {
        if !self.enabled || !i.live || !i.playing {
            return LatencyAction::None;
        }
        if i.distance_secs > self.target + 3.0 {
            return LatencyAction::Seek {
                forward_secs: i.distance_secs - self.target,
            };
        }
        let rate = if i.buffer_ahead_secs < 0.3 {
            0.95
        } else if i.distance_secs > self.target + 0.15 {
            1.05
        } else {
            1.0
        };
        if rate == self.rate {
            return LatencyAction::None;
        }
        self.rate = rate;
        LatencyAction::Rate(rate)
    }
}
