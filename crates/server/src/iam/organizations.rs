//! The operations that need AWS Organizations or AWS's partner programme, answered as IAM
//! answers them for a standalone account — one that is not in an organization and is not an
//! onboarded delegation partner, which is what a Portcullis account is:
//!
//! - ListOrganizationsFeatures, Enable/DisableOrganizationsRootCredentialsManagement,
//!   Enable/DisableOrganizationsRootSessions and GenerateOrganizationsAccessReport fail with
//!   OrganizationNotFoundException ("no organization is associated with your account");
//! - GetOrganizationsAccessReport fails with NoSuchEntity, as no report job can exist;
//! - CreateDelegationRequest is refused (AccessDenied): "not available for general use"
//!   without partner onboarding;
//! - the delegation requests an account receives come from partners; none can exist here,
//!   so ListDelegationRequests lists none and GetDelegationRequest, Accept-, Reject-,
//!   Update- and AssociateDelegationRequest and SendDelegationToken fail with NoSuchEntity.

use super::Ctx;
use crate::error::Error;
use serde_json::{Value, json};

/// IAM's OrganizationNotFoundException.
fn no_organization() -> Error {
    Error::aws(
        "OrganizationNotFoundException",
        "The request was rejected because no organization is associated with your account.",
    )
}

/// The organization operations: the account is in no organization.
pub fn not_in_organization(_ctx: &Ctx<'_>) -> Result<Value, Error> {
    Err(no_organization())
}

/// GetOrganizationsAccessReport: no report job can exist without an organization.
pub fn get_access_report(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let job = ctx.input.str("JobId")?;
    Err(Error::no_such_entity(format!(
        "The report with job ID {job} cannot be found."
    )))
}

/// CreateDelegationRequest: only onboarded partners may call it.
pub fn create_delegation_request(ctx: &Ctx<'_>) -> Result<Value, Error> {
    Err(Error::aws(
        "AccessDenied",
        format!(
            "User: {} is not authorized to perform: iam:CreateDelegationRequest because this API is not available for general use; partners must complete onboarding first",
            ctx.caller.principal.arn
        ),
    ))
}

/// The operations on one delegation request: none exists in a standalone account.
pub fn delegation_request(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let id = ctx.input.str("DelegationRequestId")?;
    Err(Error::no_such_entity(format!(
        "The delegation request with ID {id} cannot be found."
    )))
}

/// ListDelegationRequests: none.
pub fn list_delegation_requests(_ctx: &Ctx<'_>) -> Result<Value, Error> {
    Ok(json!({ "DelegationRequests": [], "isTruncated": false }))
}
