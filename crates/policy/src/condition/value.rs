//! Parsing of typed condition values: numbers, booleans, IP ranges and binary. Dates are
//! parsed by `portcullis_time::parse_date`.

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
