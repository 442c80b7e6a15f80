//! The clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 if the clock reads before 1970).
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Seconds since the Unix epoch (0 if the clock reads before 1970).
pub fn now_seconds() -> i64 {
    now_millis() / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_agrees_with_itself() {
        let (ms, s) = (now_millis(), now_seconds());
        assert!(ms > 1_700_000_000_000, "{ms}");
        assert!((s - ms / 1000).abs() <= 1);
    }
}
