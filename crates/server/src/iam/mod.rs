//! The IAM operations, one module per resource family. Each operation reads its decoded
//! input, checks AWS's rules against the account's entities, commits its changes and
//! returns its output as a JSON object keyed by the botocore output members.

mod access_keys;
mod account;
pub(crate) mod account_settings;
mod api;
mod attachments;
pub(crate) mod context_provider;
mod credential_report;
mod groups;
mod instance_profiles;
pub(crate) mod last_accessed;
pub(crate) mod mfa;
pub(crate) mod oidc;
mod organizations;
pub(crate) mod passwords;
mod policies;
mod role_templates;
mod roles;
pub(crate) mod rules;
pub(crate) mod saml_providers;
pub(crate) mod server_certificates;
mod service_access;
pub(crate) mod service_credentials;
pub(crate) mod service_linked_roles;
mod signing_certificates;
mod simulate;
pub(crate) mod ssh_keys;
mod tags;
mod users;
pub(crate) mod views;
pub(crate) mod workload_identity;

/// Runs an IAM operation by name on a decoded input, as the request pipeline does (for
/// tests); `None` for a name that is no IAM operation.
#[cfg(test)]
pub(crate) async fn call(
    op: &str,
    ctx: &crate::call::Ctx<'_>,
    input: &serde_json::Value,
) -> Option<Result<serde_json::Value, crate::error::Error>> {
    let operation = portcullis_protocol::iam::IamOperation::from_name(op)?;
    Some(
        match portcullis_protocol::iam::IamRequest::decode(operation, input) {
            Ok(request) => portcullis_protocol::iam::dispatch(ctx, request).await,
            Err(e) => Err(e.into()),
        },
    )
}
