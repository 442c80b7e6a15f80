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
