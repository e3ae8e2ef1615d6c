//! Where the engine meets the ABR and latency controllers ([`crate::abr`], [`crate::latency`]).

pub use crate::abr::{AbrConfig, AbrController, AbrInput, BandwidthEstimator, Level, Transfer};
pub use crate::latency::{LatencyAction, LatencyConfig, LatencyController, LatencyInput};
