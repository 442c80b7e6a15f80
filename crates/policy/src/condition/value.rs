//! Parsing of typed condition values: numbers, dates, booleans, IP ranges and binary.

use base64::Engine;
use ipnet::IpNet;
use std::net::IpAddr;

/// Parses a numeric value: an optional sign, digits, and an optional fraction.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (int, frac) = match digits.split_once('.') {
        Some((int, frac)) if !frac.is_empty() => (int, frac),
        Some(_) => return None,
        None => (digits, ""),
    };
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit());
    if ok { t.parse().ok() } else { None }
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
        || day > days_in(year, month)
    {
        return None;
    }
    let mut nanos = i128::from(days_from_civil(year, month, day)) * 86_400 * 1_000_000_000;
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

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats seconds since the Unix epoch as an ISO 8601 UTC timestamp
/// (`2024-06-01T12:00:00Z`), the form of `aws:CurrentTime`.
pub fn format_timestamp(epoch_seconds: i64) -> String {
    let days = epoch_seconds.div_euclid(86_400);
    let secs = epoch_seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        return format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        );
    }
    // Digit by digit: this runs for every audited request.
    let two = |n: i64| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
    let [y1, y2] = two(y / 100);
    let [y3, y4] = two(y % 100);
    let [m1, m2] = two(i64::from(m));
    let [d1, d2] = two(i64::from(d));
    let [h1, h2] = two(secs / 3600);
    let [n1, n2] = two(secs % 3600 / 60);
    let [s1, s2] = two(secs % 60);
    let text = [
        y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2, b'T', h1, h2, b':', n1, n2, b':', s1, s2, b'Z',
    ];
    text.iter().map(|b| char::from(*b)).collect()
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Parses a boolean condition value (`true`/`false`, any case).
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Parses an IP range: CIDR notation, or a bare address meaning /32 (IPv4) or /128 (IPv6).
/// Host bits set below the prefix are ignored, as IAM ignores them.
pub(crate) fn parse_ip_range(text: &str) -> Option<IpNet> {
    let t = text.trim();
    if let Ok(net) = t.parse::<IpNet>() {
        return Some(net.trunc());
    }
    t.parse::<IpAddr>().ok().map(IpNet::from)
}

/// Parses the IP address of a request (`aws:SourceIp`).
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    text.trim().parse().ok()
}

/// Decodes a base64 value of `BinaryEquals`.
pub(crate) fn parse_binary(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i128 = 1_000_000_000;

    #[test]
    fn numbers() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("-1.5"), Some(-1.5));
        assert_eq!(parse_number("1e3"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("1."), None);
        assert_eq!(parse_number(""), None);
    }

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

    #[test]
    fn timestamps_round_trip() {
        for t in [0i64, 951_782_400, 1_717_243_200, -86_400, 4_102_444_799] {
            let text = format_timestamp(t);
            assert_eq!(parse_date(&text), Some(i128::from(t) * SECOND), "{text}");
        }
        assert_eq!(format_timestamp(1_717_243_200), "2024-06-01T12:00:00Z");
    }

    #[test]
    fn ips() {
        let net = parse_ip_range("10.1.2.3").unwrap();
        assert!(net.contains(&parse_ip("10.1.2.3").unwrap()));
        assert!(!net.contains(&parse_ip("10.1.2.4").unwrap()));
        let host_bits = parse_ip_range("192.0.2.77/24").unwrap();
        assert!(host_bits.contains(&parse_ip("192.0.2.1").unwrap()));
        let v6 = parse_ip_range("2001:DB8:1234:5678::/64").unwrap();
        assert!(v6.contains(&parse_ip("2001:db8:1234:5678::1").unwrap()));
        assert!(!v6.contains(&parse_ip("10.0.0.1").unwrap()));
        assert!(parse_ip_range("not-an-ip").is_none());
    }

    #[test]
    fn booleans_and_binary() {
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("no"), None);
        assert_eq!(parse_binary("QmluYXJ5").unwrap(), b"Binary");
        assert!(parse_binary("***").is_none());
    }
}
