//! The dates of SigV4: the `x-amz-date` header (ISO 8601 basic format) and the HTTP `Date`
//! header (IMF-fixdate).

use crate::calendar::{SECONDS_PER_DAY, civil_from_days, epoch_seconds};

/// Parses an ISO 8601 basic-format UTC time (`20150830T123600Z`) into epoch seconds.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = &b[range];
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(
            part.iter()
                .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')),
        )
    };
    epoch_seconds(
        num(0..4)?,
        num(4..6)?,
        num(6..8)?,
        num(9..11)?,
        num(11..13)?,
        num(13..15)?,
    )
}

/// Parses an HTTP `Date` header in IMF-fixdate (RFC 1123) form,
/// `Sun, 30 Aug 2015 12:36:00 GMT`, into epoch seconds.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let (_weekday, rest) = s.trim().split_once(',')?;
    let mut parts = rest.split_ascii_whitespace();
    let day: i64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut time = parts.next()?.split(':');
    let hour: i64 = time.next()?.parse().ok()?;
    let minute: i64 = time.next()?.parse().ok()?;
    let second: i64 = time.next()?.parse().ok()?;
    if time.next().is_some() || parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    epoch_seconds(year, month, day, hour, minute, second)
}

/// Formats epoch seconds as an ISO 8601 basic-format UTC time (`20150830T123600Z`).
pub fn format_amz_date(epoch_seconds: i64) -> String {
    let days = epoch_seconds.div_euclid(SECONDS_PER_DAY);
    let secs = epoch_seconds.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The time of the AWS SigV4 test suite's requests.
    const T0: i64 = 1_440_938_160;

    // From crates/protocol/src/sigv4.rs.
    #[test]
    fn dates_round_trip() {
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(T0));
        assert_eq!(format_amz_date(T0), "20150830T123600Z");
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"), Some(T0));
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(format_amz_date(0), "19700101T000000Z");
        assert_eq!(parse_amz_date("20000229T235959Z"), Some(951_868_799));
        assert_eq!(parse_amz_date("21000229T000000Z"), None);
        assert_eq!(parse_amz_date("20150830T123600"), None);
        assert_eq!(parse_amz_date("2015-08-30T12:36:00Z"), None);
        assert_eq!(parse_amz_date("20151330T123600Z"), None);
        for ts in [
            0,
            951_868_799,
            T0,
            1_795_439_199,
            4_102_444_800,
            253_402_300_799,
        ] {
            assert_eq!(parse_amz_date(&format_amz_date(ts)), Some(ts));
        }
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2000 23:59:59 GMT"),
            Some(951_868_799)
        );
        assert_eq!(parse_http_date("Mon, 29 Feb 2100 00:00:00 GMT"), None);
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36:00 UTC"), None);
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36 GMT"), None);
        assert_eq!(parse_http_date("30 Aug 2015 12:36:00 GMT"), None);
    }

    proptest! {
        /// Every second from year 0 to 9999 is written and read back exactly.
        #[test]
        fn amz_dates_round_trip(t in -62_167_219_200i64..253_402_300_800) {
            let text = format_amz_date(t);
            prop_assert_eq!(text.len(), 16);
            prop_assert_eq!(parse_amz_date(&text), Some(t));
        }
    }
}
