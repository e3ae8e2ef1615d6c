//! `EXT-X-PROGRAM-DATE-TIME` values: "an ISO/IEC 8601:2004 date/time representation, such as
//! YYYY-MM-DDThh:mm:ss.SSSZ", read into milliseconds since the Unix epoch and written back in that one
//! form (UTC, milliseconds). Read leniently, as players meet them: `Z` or a `±hh:mm`/`±hhmm` offset
//! (ffmpeg writes `+0000`), any number of fraction digits, a space for the `T`.

/// Milliseconds since 1970-01-01T00:00:00Z, or `None` when `text` is not such a date/time.
pub fn parse_millis(text: &str) -> Option<i64> {
    let t = text.trim().as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = t.get(range)?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(
            digits
                .iter()
                .fold(0i64, |n, d| n * 10 + i64::from(d - b'0')),
        )
    };
    let year = num(0..4)?;
    let month = num(5..7)?;
    let day = num(8..10)?;
    let hour = num(11..13)?;
    let minute = num(14..16)?;
    let second = num(17..19)?;
    let separators_ok = t.get(4) == Some(&b'-')
        && t.get(7) == Some(&b'-')
        && matches!(t.get(10), Some(b'T' | b't' | b' '))
        && t.get(13) == Some(&b':')
        && t.get(16) == Some(&b':');
    if !separators_ok
        || !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut millis = 0i64;
    if t.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(d) = t.get(i).filter(|d| d.is_ascii_digit()) {
            if i - start < 3 {
                millis = millis * 10 + i64::from(d - b'0');
            }
            i += 1;
        }
        let digits = i - start;
        if digits == 0 {
            return None;
        }
        for _ in digits..3 {
            millis *= 10;
        }
    }
    let offset_minutes = match t.get(i..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => ([*h1, *h2], [*m1, *m2]),
                [h1, h2] => ([*h1, *h2], [b'0', b'0']),
                _ => return None,
            };
            let two = |d: [u8; 2]| -> Option<i64> {
                d.iter()
                    .all(u8::is_ascii_digit)
                    .then(|| i64::from(d[0] - b'0') * 10 + i64::from(d[1] - b'0'))
            };
            let minutes = two(h)? * 60 + two(m)?;
            if *sign == b'-' {
                -minutes
            } else {
                minutes
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(secs * 1_000 + millis)
}

/// `YYYY-MM-DDThh:mm:ss.SSSZ` for milliseconds since the Unix epoch.
pub fn format_millis(millis: i64) -> String {
    let secs = millis.div_euclid(1_000);
    let ms = millis.rem_euclid(1_000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        of_day / 3_600,
        of_day / 60 % 60,
        of_day % 60
    )
}

fn leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_encoders_write() {
        assert_eq!(parse_millis("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_millis("1970-01-01T00:00:01.5Z"), Some(1_500));
        let spec = parse_millis("2019-02-14T02:13:36.106Z").unwrap();
        assert_eq!(spec, 1_550_110_416_106);
        assert_eq!(parse_millis("2019-02-14T02:13:36.106+00:00"), Some(spec));
        assert_eq!(parse_millis("2019-02-14T03:13:36.106+0100"), Some(spec));
        assert_eq!(parse_millis("2019-02-13T21:13:36.106-05:00"), Some(spec));
        assert_eq!(parse_millis("2019-02-14T02:13:36.1061234Z"), Some(spec));
        assert_eq!(
            parse_millis("2024-02-29T00:00:00Z"),
            Some(1_709_164_800_000)
        );
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for bad in [
            "",
            "2019-02-14",
            "2019-02-14T02:13:36",
            "2019-13-14T02:13:36Z",
            "2023-02-29T02:13:36Z",
            "2019-02-14T24:13:36Z",
            "2019-02-14T02:13:36.Z",
            "2019-02-14T02:13:36+1",
            "2019-02-14T02:13:36Zjunk",
            "2019-02-14T02:13:3xZ",
            "２０19-02-14T02:13:36Z",
        ] {
            assert_eq!(parse_millis(bad), None, "{bad}");
        }
    }

    #[test]
    fn writes_utc_milliseconds_and_reads_them_back() {
        for ms in [
            0,
            1_550_110_416_106,
            1_709_164_800_000,
            -1,
            253_402_300_799_999,
        ] {
            let text = format_millis(ms);
            assert_eq!(parse_millis(&text), Some(ms), "{text}");
        }
        assert_eq!(format_millis(1_550_110_416_106), "2019-02-14T02:13:36.106Z");
    }
}
