//! Workload identity: providers (the issuers of workload identities, with their outbound
//! signers, resource policy and tags) and templates (how identifiers are rendered under a
//! provider, and the attestation policy that decides which workloads get one).

pub(crate) mod ca;
pub(crate) mod jwt_signers;
pub(crate) mod providers;
pub(crate) mod signers;
mod tags;
pub(crate) mod templates;

use crate::call::Ctx;
use crate::error::Error;
use serde_json::Value;

/// Runs a workload identity operation. `None` when `op` is not one.
pub(super) async fn call(op: &str, ctx: &Ctx<'_>) -> Option<Result<Value, Error>> {
    if let Some(answer) = providers::call(op, ctx).await {
        return Some(answer);
    }
    templates::call(op, ctx).await
}
