//! Reading the decimal numbers of playlists and WebVTT (`[+-]digits[.digits]`, RFC 8216bis 4.2's
//! decimal-floating-point and signed-decimal-floating-point) without `core`'s general float parser,
//! which is about 6 KB of a player's wasm bundle for syntax (exponents, `inf`, `NaN`) no playlist has.

/// Exact powers of ten an `f64` holds.
const POWERS: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Most significant digits kept: 10^19 fits a `u64`.
const MAX_DIGITS: u32 = 19;

/// `text` as a number: an optional sign, digits, and an optional `.` followed by digits (at least
/// one digit in all); `None` for anything else (exponents, `inf`, spaces). Correctly rounded, as
/// `str::parse::<f64>` is, for up to 15 significant digits; digits past the 19th are dropped.
pub fn parse_decimal(text: &str) -> Option<f64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..)?),
        Some(b'+') => (false, text.get(1..)?),
        _ => (false, text),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut kept: u32 = 0;
    // Power of ten applied to the mantissa: + for integer digits past the kept ones, - per
    // fraction digit kept.
    let mut exponent: i32 = 0;
    for (b, fraction) in int
        .bytes()
        .map(|b| (b, false))
        .chain(frac.bytes().map(|b| (b, true)))
    {
        if !b.is_ascii_digit() {
            return None;
        }
        if kept < MAX_DIGITS {
            mantissa = mantissa * 10 + u64::from(b - b'0');
            if mantissa > 0 {
                kept += 1;
            }
            if fraction {
                exponent -= 1;
            }
        } else if !fraction {
            exponent += 1;
        }
    }
    let value = scale(mantissa as f64, exponent);
    Some(if negative { -value } else { value })
}

/// `m × 10^exponent`: one exact power and one rounding where the power is exact.
fn scale(mut m: f64, mut exponent: i32) -> f64 {
    while exponent > 0 {
        let step = exponent.min(22);
        m *= POWERS.get(step as usize).copied().unwrap_or(1.0);
        exponent -= step;
    }
    while exponent < 0 {
        let step = (-exponent).min(22);
        m /= POWERS.get(step as usize).copied().unwrap_or(1.0);
        exponent += step;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_playlist_numbers() {
        for text in [
            "0",
            "6",
            "2.000",
            "0.33334",
            "0.21",
            "1.5",
            "-2.5",
            "+3",
            "10.",
            ".5",
            "00012.500",
            "123456789.123456",
        ] {
            assert_eq!(parse_decimal(text), text.parse::<f64>().ok(), "{text}");
        }
        for bad in [
            "", ".", "-", "+", "1e5", "inf", "NaN", " 1", "1 ", "1.2.3", "0x10", "--1",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
        // Past 19 digits, the rest only scale: close, not always the nearest double.
        let long = parse_decimal("123456789012345678901234").unwrap_or_default();
        assert!((long / 1.2345678901234568e23 - 1.0).abs() < 1e-15, "{long}");
    }

    proptest! {
        #[test]
        fn agrees_with_the_standard_parser(int in 0u64..1_000_000_000, frac in "[0-9]{0,6}") {
            let text = if frac.is_empty() { int.to_string() } else { format!("{int}.{frac}") };
            prop_assert_eq!(parse_decimal(&text), text.parse::<f64>().ok());
        }

        #[test]
        fn any_text_is_a_number_or_none(text in "[-+.0-9a-z ]{0,40}") {
            if let Some(x) = parse_decimal(&text) {
                prop_assert!(!x.is_nan());
                prop_assert!(text.parse::<f64>().is_ok(), "{text:?} read as {x}");
            }
        }
    }
}
