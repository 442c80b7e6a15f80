//! Time for Portcullis, in one place: the clock, the proleptic Gregorian calendar, and the
//! date formats AWS uses. No other Portcullis crate does calendar arithmetic; they call this
//! one.
//!
//! - the clock: [`now_millis`], [`now_seconds`];
//! - the calendar: [`days_from_civil`], [`civil_from_days`], [`is_leap`],
//!   [`days_in_month`], [`epoch_seconds`];
//! - ISO 8601 / RFC 3339 timestamps as AWS writes them in responses, in audit records and in
//!   `aws:CurrentTime` ([`format_timestamp`], [`write_timestamp`], [`iso8601`]);
//! - the dates of IAM policies, lenient as IAM is ([`parse_date`]);
//! - the dates of SigV4: `x-amz-date` ([`format_amz_date`], [`parse_amz_date`]) and the HTTP
//!   `Date` header ([`parse_http_date`]).
//!
//! ```
//! use portcullis_time::{format_amz_date, iso8601, parse_amz_date, parse_date};
//!
//! assert_eq!(iso8601(1_795_435_200_999), "2026-11-23T12:00:00Z");
//! assert_eq!(format_amz_date(1_440_938_160), "20150830T123600Z");
//! assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
//! // Nanoseconds; IAM also takes reduced dates, zones and epoch seconds.
//! assert_eq!(parse_date("2015-08-30T13:36:00+01:00"), Some(1_440_938_160_000_000_000));
//! assert_eq!(parse_date("1440938160"), parse_date("2015-08-30T12:36Z"));
//! ```
//!
//! # Why our own module and not `jiff`
//!
//! The functions here were written three times (in SigV4, in the XML encoder and in the policy
//! engine's condition values) and are gathered here unchanged, so that behaviour stays
//! byte for byte what it was, which `jiff` could not give:
//! - timestamps are formatted for any `i64` of seconds: years past 9999 (`10000-01-01T…`) and
//!   before 0 (`-001-…`) are written, where `jiff` stops at ±9999;
//! - [`parse_date`] accepts what IAM accepts, which is not RFC 3339: reduced precision
//!   (`2020`, `2020-01`, `01T`), one-digit fields, hour 24, second 60, zones `±hh`, `±hhmm`,
//!   nine-digit years, and epoch seconds;
//! - the hot paths (a timestamp for every audited request) stay allocation-light and
//!   dependency-free.
//!
//! The crate depends on nothing (not even on another Portcullis crate), so the lowest layers
//! (`portcullis-policy`, the engine, and `portcullis-protocol`, the wire protocol) can use it
//! and stay free of the rest of Portcullis.

mod amz;
mod calendar;
mod clock;
mod iso8601;

pub use amz::{format_amz_date, parse_amz_date, parse_http_date};
pub use calendar::{
    MILLIS_PER_DAY, SECONDS_PER_DAY, civil_from_days, days_from_civil, days_in_month,
    epoch_seconds, is_leap,
};
pub use clock::{now_millis, now_seconds};
pub use iso8601::{format_timestamp, iso8601, parse_date, write_timestamp};
