//! Every tunable of the player, with its default, in one place.

use onair_browser::Backoff;

/// Player settings. [`PlayerConfig::default`] suits OnAir's 2 s segments.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerConfig {
    /// How far behind the live edge to start, in target durations. It defaults to 3 (the distance
    /// RFC 8216 section 6.3.3 asks for: "the client SHOULD NOT choose a segment that starts less than
    /// three target durations from the end of the Playlist file").
    pub live_start_target_durations: f64,
    /// If playback falls further than this behind the end of the buffer on a live stream, in seconds,
    /// it jumps forward to the live start distance. It defaults to 30.
    pub max_live_latency_secs: f64,
    /// Seconds of already-played media kept in the buffer. It defaults to 30.
    pub back_buffer_secs: f64,
    /// Extra played seconds tolerated before trimming, so removals happen in batches. It defaults to 10.
    pub trim_slack_secs: f64,
    /// Stop loading segments while this many seconds are buffered ahead of the playhead. It defaults
    /// to 30.
    pub max_buffer_ahead_secs: f64,
    /// Playback not advancing for this long, in milliseconds, with media buffered ahead, counts as a
    /// stall and is nudged. It defaults to 2000.
    pub stall_timeout_ms: f64,
    /// Gaps in the buffer up to this size, in seconds, are jumped over. It defaults to 2.
    pub max_gap_secs: f64,
    /// Shortest interval between two playlist requests, in milliseconds. It defaults to 500.
    pub min_reload_ms: f64,
    /// Delays between retries of a failed request (the shared policy, [`onair_browser::retry`]). It
    /// defaults to 500 ms after the first failure, doubling up to 8000 ms.
    pub retry: Backoff,
    /// Attempts per segment or init request before giving up on it. It defaults to 6.
    pub segment_attempts: u32,
    /// Appends waiting in the operation queue before loading pauses. It defaults to 3.
    pub max_queued_appends: usize,
}

impl Default for PlayerConfig {
    fn default() -> Self {
        Self {
            live_start_target_durations: 3.0,
            max_live_latency_secs: 30.0,
            back_buffer_secs: 30.0,
            trim_slack_secs: 10.0,
            max_buffer_ahead_secs: 30.0,
            stall_timeout_ms: 2_000.0,
            max_gap_secs: 2.0,
            min_reload_ms: 500.0,
            retry: Backoff::new(500, 8_000),
            segment_attempts: 6,
            max_queued_appends: 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_and_cap() {
        let c = PlayerConfig::default();
        let d: Vec<u64> = (1..=7).map(|a| c.retry.delay_ms(a)).collect();
        assert_eq!(d, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(c.retry.delay_ms(0), 500);
        assert_eq!(c.retry.delay_ms(u32::MAX), 8000);
    }
}
