//! Live timing: where to start and when to reload the playlist.

use crate::config::PlayerConfig;

/// Index of the segment to start with in a media playlist whose segments have these durations
/// (seconds).
///
/// A finished (`ended`) playlist starts at the beginning. A live one starts at the latest segment that
/// still leaves at least `live_start_target_durations` target durations of media up to the end, so the
/// player has a few segments of cushion against late uploads.
pub fn start_index(
    durations: &[f64],
    target_duration: f64,
    ended: bool,
    config: &PlayerConfig,
) -> usize {
    if ended {
        return 0;
    }
    let distance = config.live_start_target_durations * target_duration.max(0.0);
    start_index_at_distance(durations, distance)
}

/// Index of the latest segment that starts at least `distance` seconds of media before the end of a
/// playlist whose segments have these durations (seconds); 0 when the playlist is shorter. A second
/// track (an alternate audio rendition) starts with this at the distance the first one started at, so
/// both begin near the same media time.
pub fn start_index_at_distance(durations: &[f64], distance: f64) -> usize {
    let distance = if distance.is_finite() {
        distance.max(0.0)
    } else {
        0.0
    };
    let mut total = 0.0;
    for (i, d) in durations.iter().enumerate().rev() {
        if d.is_finite() {
            total += d.max(0.0);
        }
        if total >= distance {
            return i;
        }
    }
    0
}

/// How long to wait before reloading a live media playlist, in milliseconds.
///
/// RFC 8216 section 6.3.4: "When a client loads a Playlist file for the first time or reloads a
/// Playlist file and finds that it has changed since the last time it was loaded, the client MUST wait
/// for at least the target duration before attempting to reload the Playlist file again, measured from
/// the last time the client began loading the Playlist file." and "If the client reloads a Playlist
/// file and finds that it has not changed, then it MUST wait for a period of one-half the target
/// duration before retrying."
///
/// `elapsed_ms` is the time since the request began; the result never drops below `min_reload_ms`.
pub fn reload_delay_ms(
    target_duration: f64,
    changed: bool,
    elapsed_ms: f64,
    config: &PlayerConfig,
) -> f64 {
    let target_ms = if target_duration.is_finite() && target_duration > 0.0 {
        target_duration * 1000.0
    } else {
        2000.0
    };
    let wait = if changed { target_ms } else { target_ms / 2.0 };
    (wait - elapsed_ms.max(0.0)).max(config.min_reload_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_three_target_durations_back() {
        let c = PlayerConfig::default();
        let d = [2.0; 10];
        // 3 * 2 s = 6 s = the last three segments.
        assert_eq!(start_index(&d, 2.0, false, &c), 7);
        // Uneven durations: accumulate from the end until >= 6 s.
        assert_eq!(start_index(&[2.0, 2.0, 2.5, 2.5, 1.5], 2.0, false, &c), 2);
        // Short playlist: from the start.
        assert_eq!(start_index(&[2.0, 2.0], 2.0, false, &c), 0);
        assert_eq!(start_index(&[], 2.0, false, &c), 0);
        // Ended: from the beginning.
        assert_eq!(start_index(&d, 2.0, true, &c), 0);
    }

    #[test]
    fn start_at_a_given_distance() {
        let d = [2.0; 10];
        assert_eq!(start_index_at_distance(&d, 6.0), 7);
        // Not a whole number of segments: the segment that contains that point.
        assert_eq!(start_index_at_distance(&d, 5.0), 7);
        assert_eq!(start_index_at_distance(&d, 8.0), 6);
        assert_eq!(start_index_at_distance(&d, 100.0), 0);
        assert_eq!(start_index_at_distance(&d, 0.0), 9);
        assert_eq!(start_index_at_distance(&d, f64::NAN), 9);
        assert_eq!(start_index_at_distance(&d, -1.0), 9);
        assert_eq!(start_index_at_distance(&[], 6.0), 0);
        assert_eq!(
            start_index_at_distance(&[f64::NAN, 2.0, f64::INFINITY], 1.0),
            1
        );
    }

    #[test]
    fn start_distance_is_configurable() {
        let c = PlayerConfig {
            live_start_target_durations: 1.0,
            ..Default::default()
        };
        assert_eq!(start_index(&[2.0; 5], 2.0, false, &c), 4);
    }

    #[test]
    fn reload_follows_rfc_8216() {
        let c = PlayerConfig::default();
        assert_eq!(reload_delay_ms(2.0, true, 0.0, &c), 2000.0);
        assert_eq!(reload_delay_ms(2.0, false, 0.0, &c), 1000.0);
        // Measured from when the request began.
        assert_eq!(reload_delay_ms(2.0, true, 300.0, &c), 1700.0);
        // Never below the floor.
        assert_eq!(reload_delay_ms(2.0, false, 5000.0, &c), 500.0);
        assert_eq!(reload_delay_ms(f64::NAN, true, 0.0, &c), 2000.0);
        assert_eq!(reload_delay_ms(0.0, false, 0.0, &c), 1000.0);
    }
}
