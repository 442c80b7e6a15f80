//! The operations that need AWS Organizations or AWS's partner programme, answered as IAM
//! answers them for a standalone account — one that is not in an organization and is not an
//! onboarded delegation partner, which is what a Portcullis account is:
//!
//! - ListOrganizationsFeatures, Enable/DisableOrganizationsRootCredentialsManagement,
//!   Enable/DisableOrganizationsRootSessions, Enable/DisableOrganizationLevelResources and
//!   GenerateOrganizationsAccessReport fail with OrganizationNotFoundException ("no
//!   organization is associated with your account");
//! - GetOrganizationsAccessReport fails with NoSuchEntity, as no report job can exist;
//! - CreateDelegationRequest is refused (AccessDenied): "not available for general use"
//!   without partner onboarding;
//! - the delegation requests an account receives come from partners; none can exist here,
//!   so ListDelegationRequests lists none and GetDelegationRequest, Accept-, Reject-,
//!   Update- and AssociateDelegationRequest and SendDelegationToken fail with NoSuchEntity;
//! - GetHumanReadableSummary summarizes a delegation request (the only entity type it
//!   supports), so for a well-formed delegation request ARN it fails with NoSuchEntity too,
//!   and for any other ARN with InvalidInput.

use crate::call::Ctx;
use crate::error::Error;
use portcullis_protocol::{Model, ShapeKind};
use serde_json::{Value, json};

/// IAM's OrganizationNotFoundException.
fn no_organization() -> Error {
    Error::aws(
        "OrganizationNotFoundException",
        "The request was rejected because no organization is associated with your account.",
    )
}

/// The organization operations: the account is in no organization.
pub(super) fn not_in_organization(_ctx: &Ctx<'_>) -> Result<Value, Error> {
    Err(no_organization())
}

/// GetOrganizationsAccessReport: no report job can exist without an organization.
pub(super) fn get_access_report(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let job = ctx.input.str("JobId")?;
    Err(Error::no_such_entity(format!(
        "The report with job ID {job} cannot be found."
    )))
}

/// CreateDelegationRequest: only onboarded partners may call it.
pub(super) fn create_delegation_request(ctx: &Ctx<'_>) -> Result<Value, Error> {
    Err(Error::aws(
        "AccessDenied",
        format!(
            "User: {} is not authorized to perform: iam:CreateDelegationRequest because this API is not available for general use; partners must complete onboarding first",
            ctx.caller.principal.arn
        ),
    ))
}

/// NoSuchEntity for a delegation request.
fn no_delegation_request(id: &str) -> Error {
    Error::no_such_entity(format!(
        "The delegation request with ID {id} cannot be found."
    ))
}

/// The operations on one delegation request: none exists in a standalone account.
pub(super) fn delegation_request(ctx: &Ctx<'_>) -> Result<Value, Error> {
    Err(no_delegation_request(ctx.input.str("DelegationRequestId")?))
}

/// The ID in a delegation request ARN (`arn:aws:iam::ACCOUNT:delegation-request/ID`, the
/// service authorization reference's resource type), checked against the model's
/// `delegationRequestIdType`.
fn delegation_request_id(arn: &str) -> Option<&str> {
    let (account, id) = arn
        .strip_prefix("arn:aws:iam::")?
        .split_once(":delegation-request/")?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (_, shape) = Model::iam().shape_by_name("delegationRequestIdType")?;
    let ShapeKind::String(s) = &shape.kind else {
        return None;
    };
    let len = id.chars().count() as u64;
    let fits = s.min.is_none_or(|m| len >= m)
        && s.max.is_none_or(|m| len <= m)
        && s.pattern.as_ref().is_none_or(|p| p.is_match(id));
    fits.then_some(id)
}

/// GetHumanReadableSummary: only delegation requests are summarized, and none exists here.
pub(super) fn human_readable_summary(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("EntityArn")?;
    match delegation_request_id(arn) {
        Some(id) => Err(no_delegation_request(id)),
        None => Err(Error::invalid_input(format!(
            "ARN {arn} is not valid. The only supported entity type is delegation-request."
        ))),
    }
}

/// ListDelegationRequests: none.
pub(super) fn list_delegation_requests(_ctx: &Ctx<'_>) -> Result<Value, Error> {
    Ok(json!({ "DelegationRequests": [], "isTruncated": false }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delegation_request_arns() {
        assert_eq!(
            delegation_request_id(
                "arn:aws:iam::123456789012:delegation-request/d-1234567890abcdef"
            ),
            Some("d-1234567890abcdef")
        );
        for bad in [
            "arn:aws:iam::123456789012:delegation-request/short",
            "arn:aws:iam::123456789012:delegation-request/has space 1234567",
            "arn:aws:iam::1234:delegation-request/d-1234567890abcdef",
            "arn:aws:iam::123456789012:role/d-1234567890abcdef",
            "not an arn at all",
        ] {
            assert_eq!(delegation_request_id(bad), None, "{bad}");
        }
    }
}
