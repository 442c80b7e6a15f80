//! The audit trail: every request, allowed or denied, read or write, and every failed
//! authentication, becomes a CloudTrail record ([`record`]), kept by [`crate::trail`]
//! (append-only in the store, durable before the answer; see its durability contract).
//! [`lookup`] answers CloudTrail's LookupEvents; [`review`] turns the trail into
//! least-privilege policies and lists of unused permissions.

pub(crate) mod lookup;
pub(crate) mod record;
pub(crate) mod review;
