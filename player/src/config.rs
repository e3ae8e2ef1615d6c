//! Every tunable of the player, with its default, in one place. The ABR and latency controllers keep
//! theirs in their own config types, embedded here ([`PlayerConfig::abr`], [`PlayerConfig::latency`]).

use onair_browser::Backoff;

use crate::engine::policy::{AbrConfig, LatencyConfig};

/// [`PlayerConfig::transmux_worker_url`]'s default: the origin's `/player/onair-transmux.js`.
pub const DEFAULT_TRANSMUX_WORKER_URL: &str = "/player/onair-transmux.js";

/// Player settings. [`PlayerConfig::default`] suits OnAir's Low-Latency HLS and any standard stream.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerConfig {
    /// How far behind the live edge to start a playlist that has no `HOLD-BACK` or `PART-HOLD-BACK`, in
    /// target durations. It defaults to 3 (RFC 8216 section 6.3.3: "the client SHOULD NOT choose a
    /// segment that starts less than three target durations from the end of the Playlist file").
    pub live_start_target_durations: f64,
    /// If playback falls further than this behind the end of the buffer on a live stream, in seconds,
    /// it jumps to the latency target. It defaults to 30.
    pub max_live_latency_secs: f64,
    /// When the next fragment to load is this much further behind the live edge than the latency
    /// target (after an outage, say), loading jumps to the target and playback follows: the viewer
    /// resumes live instead of seconds behind. In seconds; it defaults to 3.
    pub resync_behind_secs: f64,
    /// Seconds of already-played media kept in the buffer. It defaults to 30.
    pub back_buffer_secs: f64,
    /// Extra played seconds tolerated before trimming, so removals happen in batches. It defaults to 10.
    pub trim_slack_secs: f64,
    /// Stop loading while this many seconds are buffered ahead of the playhead. It defaults to 30.
    pub max_buffer_ahead_secs: f64,
    /// Playback not advancing for this long, in milliseconds, with media buffered ahead, counts as a
    /// stall and is nudged. It defaults to 500: measured from the pixels under a 4 Mbit/s throttle,
    /// Chromium's pipeline sometimes stops with half a second buffered (its renderer underflowed on a
    /// busy machine) and waited up to 1.4 s before playing on; a nudge (a seek 0.1 s on) restarted
    /// it within about 0.1 s.
    pub stall_timeout_ms: f64,
    /// Gaps in the buffer up to this size, in seconds, are jumped over. It defaults to 2.
    pub max_gap_secs: f64,
    /// Shortest interval between two playlist requests that cannot block, in milliseconds. It defaults
    /// to 100.
    pub min_reload_ms: f64,
    /// Delays between retries of a failed playlist, init or manifest request. It defaults to 500 ms
    /// after the first failure, doubling up to 8000 ms, with jitter.
    pub retry: Backoff,
    /// Delays between retries of a failed segment or part: short, since the live edge moves on. It
    /// defaults to 250 ms doubling up to 2000 ms, with jitter.
    pub fragment_retry: Backoff,
    /// Attempts per segment or part answered with an HTTP error before it is skipped (network errors
    /// retry until the network is back). It defaults to 4.
    pub fragment_attempts: u32,
    /// Media fragments queued for a `SourceBuffer` before loading pauses. It defaults to 3.
    pub max_queued_appends: usize,
    /// Time limit of a playlist or init request that does not block, in milliseconds. It defaults to
    /// 10000.
    pub request_timeout_ms: f64,
    /// Time limit of a segment or part, in milliseconds (a hinted part waits for the server too: its
    /// limit is that of a blocking reload). It defaults to 10000.
    pub fragment_timeout_ms: f64,
    /// Added to three target durations, the limit of a blocking reload or hinted part, in
    /// milliseconds. It defaults to 2000.
    pub blocking_margin_ms: f64,
    /// Fragment failures on one level before it goes into the penalty box. It defaults to 3.
    pub penalty_failures: u32,
    /// How long a penalized level stays out of the ABR's choice, in milliseconds. It defaults to 30000.
    pub penalty_ms: f64,
    /// Media source rebuilds after fatal decode errors before the player gives up. It defaults to 3.
    pub max_rebuilds: u32,
    /// Right after the start, the playhead is moved forward to the latency target when it is more than
    /// this far behind it, in seconds (a stream starts at an independent frame, which may be a segment
    /// behind the target). It defaults to 0.5.
    pub startup_catch_up_secs: f64,
    /// A live stream's first frame is shown at the latency target's distance from the live edge, once
    /// this much media is buffered after that point (or the target, if less), in seconds: the
    /// fragments from the independent frame before it load first and the element decodes from there,
    /// so the first frame is where playback stays, with no catch-up seek (and no stall) after it. It
    /// defaults to 0.2 (about one OnAir part).
    pub start_ahead_secs: f64,
    /// Fragment requests per track in flight at once before playback starts (one at a time after):
    /// the parts from the independent frame before the start position load together, not one round
    /// trip each. It defaults to 4 (with a blocking playlist reload, within the six connections per
    /// host a browser opens over HTTP/1.1).
    pub start_parallel_fragments: usize,
    /// Longest wait for the start position's fragments after the first media is in, in milliseconds;
    /// then playback starts further back, where `start_ahead_secs` are buffered. It defaults to 500:
    /// at 4 Mbit/s, the up to 2 s of media from OnAir's keyframe to the target took over a second more.
    pub start_wait_ms: f64,
    /// How often the element is looked at while playing, in milliseconds (stalls fire no events). It
    /// defaults to 250.
    pub tick_ms: f64,
    /// The line captions without a `line` setting of their own are shown on (negative: counted from
    /// the bottom, as WebVTT's `line:-3`), to keep them clear of a page's controls; `None` (the
    /// default) leaves them where the browser puts them.
    pub caption_line: Option<f64>,
    /// The transmuxer worker's script (`onair-transmux.js`, beside the embeddable player), resolved
    /// against the page: started on the first MPEG-TS segment. The default is where the origin serves
    /// it, for pages of the origin itself; the embeddable player sets its own.
    pub transmux_worker_url: String,
    /// Adaptive bitrate.
    pub abr: AbrConfig,
    /// Latency control, on by default.
    pub latency: LatencyConfig,
}

impl Default for PlayerConfig {
    fn default() -> Self {
        Self {
            live_start_target_durations: 3.0,
            max_live_latency_secs: 30.0,
            resync_behind_secs: 3.0,
            back_buffer_secs: 30.0,
            trim_slack_secs: 10.0,
            max_buffer_ahead_secs: 30.0,
            stall_timeout_ms: 500.0,
            max_gap_secs: 2.0,
            min_reload_ms: 100.0,
            retry: Backoff {
                jitter: 0.3,
                ..Backoff::new(500, 8_000)
            },
            fragment_retry: Backoff {
                jitter: 0.3,
                ..Backoff::new(250, 2_000)
            },
            fragment_attempts: 4,
            max_queued_appends: 3,
            request_timeout_ms: 10_000.0,
            fragment_timeout_ms: 10_000.0,
            blocking_margin_ms: 2_000.0,
            penalty_failures: 3,
            penalty_ms: 30_000.0,
            max_rebuilds: 3,
            startup_catch_up_secs: 0.5,
            start_ahead_secs: 0.2,
            start_parallel_fragments: 4,
            start_wait_ms: 500.0,
            tick_ms: 250.0,
            caption_line: None,
            transmux_worker_url: DEFAULT_TRANSMUX_WORKER_URL.to_owned(),
            abr: AbrConfig::default(),
            latency: LatencyConfig::default(),
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
        assert_eq!(c.fragment_retry.delay_ms(10), 2000);
    }
}
