//! The checks: pure functions from what was parsed and measured to [`Violation`]s. No I/O here; the
//! walker ([`super::walk`]) fetches, parses and calls these.
//!
//! - [`playlist`]: a media playlist's text and tags on their own;
//! - [`media`]: what was measured in segments and parts against what the playlist declares;
//! - [`variant`]: a multivariant playlist against its groups and the measured renditions;
//! - [`file`]: a whole fragmented MP4 file's layout and random access box.
//!
//! [`Violation`]: super::report::Violation

pub mod file;
pub mod media;
pub mod playlist;
pub mod variant;

/// Slack for comparing durations written with a few decimals.
pub(crate) const EPSILON_SECS: f64 = 1e-6;
/// Slack for hold-back comparisons: playlists write seconds to the millisecond, so 1.0 is "three times"
/// a part target of 0.33334.
pub(crate) const SLACK_SECS: f64 = 1e-3;
