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
use portcullis_protocol::iam::{
    AcceptDelegationRequestInput, AssociateDelegationRequestInput, CreateDelegationRequestInput,
    CreateDelegationRequestOutput, DisableOrganizationLevelResourcesInput,
    DisableOrganizationLevelResourcesOutput, DisableOrganizationsRootCredentialsManagementInput,
    DisableOrganizationsRootCredentialsManagementOutput, DisableOrganizationsRootSessionsInput,
    DisableOrganizationsRootSessionsOutput, EnableOrganizationLevelResourcesInput,
    EnableOrganizationLevelResourcesOutput, EnableOrganizationsRootCredentialsManagementInput,
    EnableOrganizationsRootCredentialsManagementOutput, EnableOrganizationsRootSessionsInput,
    EnableOrganizationsRootSessionsOutput, GenerateOrganizationsAccessReportInput,
    GenerateOrganizationsAccessReportOutput, GetDelegationRequestInput, GetDelegationRequestOutput,
    GetHumanReadableSummaryInput, GetHumanReadableSummaryOutput, GetOrganizationsAccessReportInput,
    GetOrganizationsAccessReportOutput, IamErrorCode, ListDelegationRequestsInput,
    ListDelegationRequestsOutput, ListOrganizationsFeaturesInput, ListOrganizationsFeaturesOutput,
    RejectDelegationRequestInput, SendDelegationTokenInput, UpdateDelegationRequestInput,
};
use portcullis_protocol::{Model, ShapeKind};

/// IAM's OrganizationNotFoundException.
fn no_organization() -> Error {
    Error::aws(
        IamErrorCode::OrganizationNotFoundException,
        "The request was rejected because no organization is associated with your account.",
    )
}

/// The organization operations: the account is in no organization.
fn not_in_organization<T>() -> Result<T, Error> {
    Err(no_organization())
}

/// ListOrganizationsFeatures: the account is in no organization.
pub(crate) fn list_organizations_features(
    _ctx: &Ctx<'_>,
    _input: ListOrganizationsFeaturesInput,
) -> Result<ListOrganizationsFeaturesOutput, Error> {
    not_in_organization()
}

/// EnableOrganizationsRootCredentialsManagement: the account is in no organization.
pub(crate) fn enable_organizations_root_credentials_management(
    _ctx: &Ctx<'_>,
    _input: EnableOrganizationsRootCredentialsManagementInput,
) -> Result<EnableOrganizationsRootCredentialsManagementOutput, Error> {
    not_in_organization()
}

/// DisableOrganizationsRootCredentialsManagement: the account is in no organization.
pub(crate) fn disable_organizations_root_credentials_management(
    _ctx: &Ctx<'_>,
    _input: DisableOrganizationsRootCredentialsManagementInput,
) -> Result<DisableOrganizationsRootCredentialsManagementOutput, Error> {
    not_in_organization()
}

/// EnableOrganizationsRootSessions: the account is in no organization.
pub(crate) fn enable_organizations_root_sessions(
    _ctx: &Ctx<'_>,
    _input: EnableOrganizationsRootSessionsInput,
) -> Result<EnableOrganizationsRootSessionsOutput, Error> {
    not_in_organization()
}

/// DisableOrganizationsRootSessions: the account is in no organization.
pub(crate) fn disable_organizations_root_sessions(
    _ctx: &Ctx<'_>,
    _input: DisableOrganizationsRootSessionsInput,
) -> Result<DisableOrganizationsRootSessionsOutput, Error> {
    not_in_organization()
}

/// EnableOrganizationLevelResources: the account is in no organization.
pub(crate) fn enable_organization_level_resources(
    _ctx: &Ctx<'_>,
    _input: EnableOrganizationLevelResourcesInput,
) -> Result<EnableOrganizationLevelResourcesOutput, Error> {
    not_in_organization()
}

/// DisableOrganizationLevelResources: the account is in no organization.
pub(crate) fn disable_organization_level_resources(
    _ctx: &Ctx<'_>,
    _input: DisableOrganizationLevelResourcesInput,
) -> Result<DisableOrganizationLevelResourcesOutput, Error> {
    not_in_organization()
}

/// GenerateOrganizationsAccessReport: the account is in no organization.
pub(crate) fn generate_organizations_access_report(
    _ctx: &Ctx<'_>,
    _input: GenerateOrganizationsAccessReportInput,
) -> Result<GenerateOrganizationsAccessReportOutput, Error> {
    not_in_organization()
}

/// GetOrganizationsAccessReport: no report job can exist without an organization.
pub(crate) fn get_organizations_access_report(
    _ctx: &Ctx<'_>,
    input: GetOrganizationsAccessReportInput,
) -> Result<GetOrganizationsAccessReportOutput, Error> {
    Err(Error::no_such_entity(format!(
        "The report with job ID {} cannot be found.",
        input.job_id
    )))
}

/// CreateDelegationRequest: only onboarded partners may call it.
pub(crate) fn create_delegation_request(
    ctx: &Ctx<'_>,
    _input: CreateDelegationRequestInput,
) -> Result<CreateDelegationRequestOutput, Error> {
    Err(Error::denied(format!(
        "User: {} is not authorized to perform: iam:CreateDelegationRequest because this API is not available for general use; partners must complete onboarding first",
        ctx.caller.principal.arn
    )))
}

/// NoSuchEntity for a delegation request.
fn no_delegation_request(id: &str) -> Error {
    Error::no_such_entity(format!(
        "The delegation request with ID {id} cannot be found."
    ))
}

/// The operations on one delegation request: none exists in a standalone account.
fn delegation_request<T>(id: &str) -> Result<T, Error> {
    Err(no_delegation_request(id))
}

/// GetDelegationRequest: no delegation request exists in a standalone account.
pub(crate) fn get_delegation_request(
    _ctx: &Ctx<'_>,
    input: GetDelegationRequestInput,
) -> Result<GetDelegationRequestOutput, Error> {
    delegation_request(&input.delegation_request_id)
}

/// AcceptDelegationRequest: no delegation request exists in a standalone account.
pub(crate) fn accept_delegation_request(
    _ctx: &Ctx<'_>,
    input: AcceptDelegationRequestInput,
) -> Result<(), Error> {
    delegation_request(&input.delegation_request_id)
}

/// RejectDelegationRequest: no delegation request exists in a standalone account.
pub(crate) fn reject_delegation_request(
    _ctx: &Ctx<'_>,
    input: RejectDelegationRequestInput,
) -> Result<(), Error> {
    delegation_request(&input.delegation_request_id)
}

/// UpdateDelegationRequest: no delegation request exists in a standalone account.
pub(crate) fn update_delegation_request(
    _ctx: &Ctx<'_>,
    input: UpdateDelegationRequestInput,
) -> Result<(), Error> {
    delegation_request(&input.delegation_request_id)
}

/// AssociateDelegationRequest: no delegation request exists in a standalone account.
pub(crate) fn associate_delegation_request(
    _ctx: &Ctx<'_>,
    input: AssociateDelegationRequestInput,
) -> Result<(), Error> {
    delegation_request(&input.delegation_request_id)
}

/// SendDelegationToken: no delegation request exists in a standalone account.
pub(crate) fn send_delegation_token(
    _ctx: &Ctx<'_>,
    input: SendDelegationTokenInput,
) -> Result<(), Error> {
    delegation_request(&input.delegation_request_id)
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
pub(crate) fn get_human_readable_summary(
    _ctx: &Ctx<'_>,
    input: GetHumanReadableSummaryInput,
) -> Result<GetHumanReadableSummaryOutput, Error> {
    let arn = &input.entity_arn;
    match delegation_request_id(arn) {
        Some(id) => Err(no_delegation_request(id)),
        None => Err(Error::invalid_input(format!(
            "ARN {arn} is not valid. The only supported entity type is delegation-request."
        ))),
    }
}

/// ListDelegationRequests: none.
pub(crate) fn list_delegation_requests(
    _ctx: &Ctx<'_>,
    _input: ListDelegationRequestsInput,
) -> Result<ListDelegationRequestsOutput, Error> {
    Ok(ListDelegationRequestsOutput {
        delegation_requests: Some(Vec::new()),
        is_truncated: Some(false),
        marker: None,
    })
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
