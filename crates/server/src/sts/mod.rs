//! STS operations: temporary credentials (AssumeRole, AssumeRoleWithWebIdentity,
//! AssumeRoleWithSAML, GetSessionToken, GetFederationToken),
//! who the caller is (GetCallerIdentity, GetAccessKeyInfo), and authorization messages.

mod assume_role;
pub(crate) mod credentials;
mod federated_trust;
mod federation;
mod identity;
mod saml;
mod web_identity;

use crate::app::App;
use crate::caller::Caller;
use crate::error::Error;
use crate::iam::input::Input;
use serde_json::Value;

pub use credentials::{SessionRequest, issue};

/// What an STS operation handler gets.
pub struct Ctx<'a> {
    /// The server state.
    pub app: &'a App,
    /// Who is calling.
    pub caller: &'a Caller,
    /// The decoded input.
    pub input: Input<'a>,
}

/// Runs an STS operation. `None` when this server does not implement it.
pub async fn call(op: &str, ctx: &Ctx<'_>) -> Option<Result<Value, Error>> {
    Some(match op {
        "GetCallerIdentity" => Ok(identity::caller_identity(ctx.caller)),
        "GetAccessKeyInfo" => identity::access_key_info(ctx),
        "AssumeRole" => assume_role::assume_role(ctx).await,
        "GetSessionToken" => federation::session_token(ctx).await,
        "GetFederationToken" => federation::federation_token(ctx),
        "DecodeAuthorizationMessage" => identity::decode_authorization_message(ctx),
        "AssumeRoleWithWebIdentity" => web_identity::assume_role_with_web_identity(ctx).await,
        "AssumeRoleWithSAML" => saml::assume_role_with_saml(ctx).await,
        _ => return None,
    })
}
