//! STS operations: temporary credentials (AssumeRole, AssumeRoleWithWebIdentity,
//! AssumeRoleWithSAML, GetSessionToken, GetFederationToken),
//! who the caller is (GetCallerIdentity, GetAccessKeyInfo), and authorization messages.

mod api;
mod assume_role;
pub(crate) mod credentials;
mod delegated;
mod federated_trust;
mod federation;
mod identity;
mod propagation;
mod root;
mod saml;
mod scoped;
mod web_identity;
mod web_identity_token;
mod workload;

pub(crate) use web_identity_token::outbound_key_set;

/// Runs an STS operation by name on a decoded input, as the request pipeline does (for
/// tests); `None` for a name that is no STS operation.
#[cfg(test)]
pub(crate) async fn call(
    op: &str,
    ctx: &crate::call::Ctx<'_>,
    input: &serde_json::Value,
) -> Option<Result<serde_json::Value, crate::error::Error>> {
    let operation = portcullis_protocol::sts::StsOperation::from_name(op)?;
    Some(
        match portcullis_protocol::sts::StsRequest::decode(operation, input) {
            Ok(request) => portcullis_protocol::sts::dispatch(ctx, request).await,
            Err(e) => Err(e.into()),
        },
    )
}
