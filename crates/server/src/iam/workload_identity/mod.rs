//! Workload identity: providers (the issuers of workload identities, with their outbound
//! signers, resource policy and tags) and templates (how identifiers are rendered under a
//! provider, and the attestation policy that decides which workloads get one).

pub(crate) mod ca;
pub(crate) mod jwt_signers;
pub(crate) mod providers;
pub(crate) mod signers;
mod tags;
pub(crate) mod templates;
