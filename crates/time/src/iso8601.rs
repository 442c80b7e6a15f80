//! ISO 8601 / RFC 3339: timestamps as AWS writes them, and the dates IAM policies accept.

use crate::calendar::{SECONDS_PER_DAY, civil_from_days, days_from_civil, days_in_month};
use std::fmt::Write as _;

/// Formats seconds since the Unix epoch as an ISO 8601 UTC timestamp
/// (`2024-06-01T12:00:00Z`), the form of `aws:CurrentTime`. Years outside 0 to 9999 are
/// written as they are (`10000-01-01T00:00:00Z`).
pub fn format_timestamp(epoch_seconds: i64) -> String {
    let mut out = String::with_capacity(20);
    write_timestamp(&mut out, epoch_seconds, None);
    out
}

/// A timestamp in milliseconds as AWS writes it in responses (`2026-11-23T12:00:00Z`):
/// [`format_timestamp`] of the second it falls in.
pub fn iso8601(millis: i64) -> String {
    format_timestamp(millis.div_euclid(1000))
}

/// Writes epoch seconds as `YYYY-MM-DDTHH:MM:SSZ`, or `…SS.mmmZ` with `millis`, UTC.
pub fn write_timestamp(out: &mut String, epoch_seconds: i64, millis: Option<u32>) {
    let days = epoch_seconds.div_euclid(SECONDS_PER_DAY);
    let secs = epoch_seconds.rem_euclid(SECONDS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let (hour, minute, second) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if (0..=9999).contains(&y) {
        // Digit by digit: this runs for every audited request.
        let two = |n: i64| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
        let [y1, y2] = two(y / 100);
        let [y3, y4] = two(y % 100);
        let [m1, m2] = two(i64::from(m));
        let [d1, d2] = two(i64::from(d));
        let [h1, h2] = two(hour);
        let [n1, n2] = two(minute);
        let [s1, s2] = two(second);
        let text = [
            y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2, b'T', h1, h2, b':', n1, n2, b':', s1, s2,
        ];
        out.extend(text.iter().map(|b| char::from(*b)));
    } else {
        let _ = write!(
            out,
            "{y:04}-{m:02}-{d:02}T{hour:02}:{minute:02}:{second:02}"
        );
    }
    if let Some(ms) = millis {
        let _ = write!(out, ".{ms:03}");
    }
    out.push('Z');
}

/// Parses an IAM date: epoch seconds, or a (lenient) W3C ISO 8601 date and time such as
/// `2020-01-01`, `2020-01-01T00:00:01Z`, `2016-12-13T21:20:37.593194+00:00`.
/// Returns nanoseconds since the Unix epoch.
pub fn parse_date(text: &str) -> Option<i128> {
    let t = text.trim();
    let unsigned = t.strip_prefix('-').unwrap_or(t);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i64 = t.parse().ok()?;
        return Some(i128::from(seconds) * 1_000_000_000);
    }
    let (date, time) = match t.find(['T', 't']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let mut fields = date.split('-');
    let year: i64 = digits(fields.next()?, 1, 9)?;
    let month: u32 = fields.next().map_or(Some(1), |m| digits(m, 1, 2))?;
    let day: u32 = fields.next().map_or(Some(1), |d| digits(d, 1, 2))?;
    if fields.next().is_some()
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
    {
        return None;
    }
    let mut nanos =
        i128::from(days_from_civil(year, month, day)) * i128::from(SECONDS_PER_DAY) * 1_000_000_000;
    if let Some(time) = time {
        nanos += parse_time(time)?;
    }
    Some(nanos)
}

/// Parses `hh[:mm[:ss[.fraction]]]` and an optional zone (`Z`, `±hh`, `±hh:mm`, `±hhmm`),
/// returning nanoseconds to add to midnight UTC. An empty time is midnight.
fn parse_time(text: &str) -> Option<i128> {
    let (clock, zone) = match text.find(['Z', 'z', '+', '-']) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    let mut nanos: i128 = 0;
    if !clock.is_empty() {
        let (hms, fraction) = match clock.split_once('.') {
            Some((hms, f)) => (hms, Some(f)),
            None => (clock, None),
        };
        let mut parts = hms.split(':');
        let h: i128 = digits(parts.next()?, 1, 2)?;
        let m: i128 = parts.next().map_or(Some(0), |m| digits(m, 1, 2))?;
        let s: i128 = parts.next().map_or(Some(0), |s| digits(s, 1, 2))?;
        if parts.next().is_some() || h > 24 || m > 59 || s > 60 {
            return None;
        }
        nanos = ((h * 60 + m) * 60 + s) * 1_000_000_000;
        if let Some(f) = fraction {
            if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let value: i128 = f.parse().ok()?;
            nanos += value * 10i128.pow(9 - f.len() as u32);
        }
    }
    let offset = match zone {
        "" | "Z" | "z" => 0,
        _ => {
            let sign: i128 = if zone.starts_with('-') { -1 } else { 1 };
            let z = &zone[1..];
            let (h, m) = match (z.len(), z.split_once(':')) {
                (_, Some((h, m))) => (digits::<i128>(h, 2, 2)?, digits::<i128>(m, 2, 2)?),
                (2, None) => (digits::<i128>(z, 2, 2)?, 0),
                (4, None) => (
                    digits::<i128>(&z[..2], 2, 2)?,
                    digits::<i128>(&z[2..], 2, 2)?,
                ),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 60 + m) * 60 * 1_000_000_000
        }
    };
    Some(nanos - offset)
}

fn digits<T: std::str::FromStr>(text: &str, min: usize, max: usize) -> Option<T> {
    if text.len() < min || text.len() > max || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECOND: i128 = 1_000_000_000;

    // From crates/policy/src/condition/value.rs.
    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date("1970-01-02"), Some(86_400 * SECOND));
        assert_eq!(parse_date("86400"), Some(86_400 * SECOND));
        assert_eq!(parse_date("-292275054"), Some(-292_275_054 * SECOND));
        assert_eq!(
            parse_date("2020-01-01T00:00:01Z"),
            Some(1_577_836_801 * SECOND)
        );
        assert_eq!(
            parse_date("2020-01-01T01:00:01+01:00"),
            parse_date("2020-01-01T00:00:01Z")
        );
        assert_eq!(
            parse_date("2016-12-13T21:20:37.593194+00:00"),
            Some(1_481_664_037 * SECOND + 593_194_000)
        );
        assert!(parse_date("2016-12-13t2:00:00.593194+23").is_some());
        assert!(parse_date("01T").is_some());
        assert!(parse_date("sdfdsf").is_none());
        assert!(parse_date("234-13").is_none());
        assert!(parse_date("2016-12-13t2:00:00.593194+1").is_none());
        assert!(parse_date("2016-12-13t2:00:00.1999999999+10:59").is_none());
        assert!(parse_date("9223372036854775808").is_none());
        assert!(parse_date("2021-02-29").is_none());
        assert!(parse_date("2024-02-29").is_some());
    }

    // From crates/policy/src/condition/value.rs.
    #[test]
    fn timestamps_round_trip() {
        for t in [0i64, 951_782_400, 1_717_243_200, -86_400, 4_102_444_799] {
            let text = format_timestamp(t);
            assert_eq!(parse_date(&text), Some(i128::from(t) * SECOND), "{text}");
        }
        assert_eq!(format_timestamp(1_717_243_200), "2024-06-01T12:00:00Z");
    }

    // From crates/server/src/time.rs.
    #[test]
    fn timestamps_are_formatted_to_the_second() {
        assert_eq!(iso8601(1_764_806_400_000), "2025-12-04T00:00:00Z");
        assert_eq!(iso8601(1_764_806_400_999), "2025-12-04T00:00:00Z");
        assert_eq!(iso8601(1_764_806_401_000), "2025-12-04T00:00:01Z");
        assert_eq!(iso8601(-1), "1969-12-31T23:59:59Z");
        assert_eq!(iso8601(253_402_300_799_000), "9999-12-31T23:59:59Z");
        assert_eq!(iso8601(253_402_300_800_000), "10000-01-01T00:00:00Z");
        assert_eq!(iso8601(-62_167_219_200_000), "0000-01-01T00:00:00Z");
    }

    // From crates/protocol/src/encode.rs.
    #[test]
    fn timestamps() {
        let mut s = String::new();
        write_timestamp(&mut s, 0, None);
        assert_eq!(s, "1970-01-01T00:00:00Z");
        s.clear();
        write_timestamp(&mut s, 1_795_435_200, None);
        assert_eq!(s, "2026-11-23T12:00:00Z");
        s.clear();
        write_timestamp(&mut s, 951_782_400, Some(359)); // 2000-02-29, a leap day
        assert_eq!(s, "2000-02-29T00:00:00.359Z");
        s.clear();
        write_timestamp(&mut s, -1, None);
        assert_eq!(s, "1969-12-31T23:59:59Z");
        s.clear();
        write_timestamp(&mut s, 4_102_444_800, None);
        assert_eq!(s, "2100-01-01T00:00:00Z");
    }

    #[test]
    fn years_outside_four_digits() {
        assert_eq!(format_timestamp(-62_167_219_201), "-001-12-31T23:59:59Z");
        assert_eq!(format_timestamp(253_402_300_800), "10000-01-01T00:00:00Z");
        let mut s = String::new();
        write_timestamp(&mut s, 253_402_300_800, Some(7));
        assert_eq!(s, "10000-01-01T00:00:00.007Z");
    }

    #[test]
    fn reduced_and_lenient_dates() {
        assert_eq!(parse_date("1970"), Some(1970 * SECOND)); // epoch seconds
        assert_eq!(parse_date("1970T"), Some(0));
        assert_eq!(parse_date("1970-02"), Some(31 * 86_400 * SECOND));
        assert_eq!(parse_date(" 1970-01-01T24 "), Some(86_400 * SECOND));
        assert_eq!(parse_date("1970-01-01T00:00:60"), Some(60 * SECOND));
        assert_eq!(parse_date("1970-01-01T01-0100"), Some(2 * 3600 * SECOND));
        assert_eq!(parse_date("1970-01-01T00z"), Some(0));
        assert_eq!(parse_date("1970-01-01T"), Some(0));
        assert_eq!(parse_date("1970-01-01T00:00:00.5Z"), Some(SECOND / 2));
        assert_eq!(parse_date("1970-01-01T00+24"), None);
        assert_eq!(parse_date("1970-01-01T00+0160"), None);
        assert_eq!(parse_date("1970-01-01T00+010"), None);
        assert_eq!(parse_date("1970-01-01T00:00:00."), None);
        assert_eq!(parse_date("1970-01-01T25"), None);
        assert_eq!(parse_date("1970-01-01-01"), None);
        assert_eq!(parse_date("1234567890-01-01"), None);
        assert_eq!(parse_date(""), None);
        assert_eq!(parse_date("-"), None);
    }

    proptest! {
        /// Every second from year 0 to 9999 is written and read back exactly.
        #[test]
        fn formatted_timestamps_parse_back(t in -62_167_219_200i64..253_402_300_800) {
            let text = format_timestamp(t);
            prop_assert_eq!(text.len(), 20);
            prop_assert_eq!(parse_date(&text), Some(i128::from(t) * SECOND));
            let mut with_millis = String::new();
            write_timestamp(&mut with_millis, t, Some(42));
            prop_assert_eq!(&with_millis[..19], &text[..19]);
            prop_assert_eq!(&with_millis[19..], ".042Z");
        }

        /// The digit-by-digit path writes what `format!` would.
        #[test]
        fn fast_path_matches_format(t in -62_167_219_200i64..253_402_300_800) {
            let (y, m, d) = civil_from_days(t.div_euclid(SECONDS_PER_DAY));
            let s = t.rem_euclid(SECONDS_PER_DAY);
            let expected = format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
                s / 3600,
                s % 3600 / 60,
                s % 60
            );
            prop_assert_eq!(format_timestamp(t), expected);
        }
    }
}
