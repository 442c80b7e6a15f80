//! Clock readings and the timestamp format of AWS responses, from `portcullis_time` (the one
//! place that reads the clock and does calendar arithmetic).

pub(crate) use portcullis_time::{iso8601, now_millis, now_seconds};
