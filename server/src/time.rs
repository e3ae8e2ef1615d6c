//! Wall-clock helpers: unix seconds for the API and RFC 3339 for `EXT-X-PROGRAM-DATE-TIME`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the unix epoch (0 for a clock set before 1970).
pub fn unix_secs(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Now, in seconds since the unix epoch.
pub fn now_unix_secs() -> i64 {
    unix_secs(SystemTime::now())
}

/// Formats a time as RFC 3339 in UTC with milliseconds, e.g. `2024-05-01T12:00:00.250Z` (the media
/// crate's `EXT-X-PROGRAM-DATE-TIME` form, which its parser reads back).
///
/// Times before 1970 are clamped to the epoch.
pub fn rfc3339_millis(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    onair_media::playlist::date::format_millis(i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        let cases = [
            (0, 0, "1970-01-01T00:00:00.000Z"),
            (951_782_400, 5, "2000-02-29T00:00:00.005Z"),
            (1_714_564_800, 250, "2024-05-01T12:00:00.250Z"),
            (4_102_444_799, 999, "2099-12-31T23:59:59.999Z"),
        ];
        for (secs, millis, expected) in cases {
            let at = UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis);
            assert_eq!(rfc3339_millis(at), expected);
        }
    }

    #[test]
    fn unix_seconds() {
        assert_eq!(unix_secs(UNIX_EPOCH + Duration::from_secs(42)), 42);
        assert_eq!(unix_secs(UNIX_EPOCH - Duration::from_secs(42)), 0);
    }
}
