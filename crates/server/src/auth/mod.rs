//! Authentication of requests.

pub mod sigv4;
