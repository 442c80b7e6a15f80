//! Clock readings and the timestamp format of AWS responses.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Seconds since the Unix epoch.
pub fn now_seconds() -> i64 {
    now_millis() / 1000
}

/// A timestamp as AWS writes it in responses (`2026-11-23T12:00:00Z`).
pub fn iso8601(millis: i64) -> String {
    portcullis_policy::condition::format_timestamp(millis.div_euclid(1000))
}

#[cfg(test)]
mod tests {
    use super::iso8601;

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
}
