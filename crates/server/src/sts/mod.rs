//! STS operations: temporary credentials (AssumeRole, AssumeRoleWithWebIdentity,
//! AssumeRoleWithSAML, GetSessionToken, GetFederationToken),
//! who the caller is (GetCallerIdentity, GetAccessKeyInfo), and authorization messages.

mod assume_role;
#[cfg(test)]
mod coverage;
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

use crate::call::Ctx;
use crate::error::Error;
use serde_json::Value;

pub(crate) use web_identity_token::outbound_key_set;

/// Runs an STS operation. `None` when this server does not implement it.
pub(crate) async fn call(op: &str, ctx: &Ctx<'_>) -> Option<Result<Value, Error>> {
    Some(match op {
        "GetCallerIdentity" => Ok(identity::caller_identity(ctx.caller)),
        "GetAccessKeyInfo" => identity::access_key_info(ctx),
        "AssumeRole" => assume_role::assume_role(ctx).await,
        "GetSessionToken" => federation::session_token(ctx).await,
        "GetFederationToken" => federation::federation_token(ctx),
        "DecodeAuthorizationMessage" => identity::decode_authorization_message(ctx),
        "AssumeRoleWithWebIdentity" => web_identity::assume_role_with_web_identity(ctx).await,
        "AssumeRoleWithSAML" => saml::assume_role_with_saml(ctx).await,
        "GetScopedCredentials" => scoped::get_scoped_credentials(ctx).await,
        "AssumeRoot" => root::assume_root(ctx).await,
        "GetDelegatedAccessToken" => delegated::get_delegated_access_token(ctx).await,
        "GetWebIdentityToken" => web_identity_token::get_web_identity_token(ctx).await,
        "GetCertificate" => workload::get_certificate(ctx).await,
        "GetTrustBundles" => workload::get_trust_bundles(ctx).await,
        "IssueWorkloadIdentityContext" => workload::issue_workload_identity_context(ctx).await,
        _ => return None,
    })
}
