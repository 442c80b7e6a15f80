//! GetCallerIdentity, GetAccessKeyInfo and DecodeAuthorizationMessage.

use crate::auth::session::SessionPrincipal;
use crate::call::Ctx;
use crate::caller::Caller;
use crate::error::Error;
use portcullis_policy::PrincipalKind;
use serde_json::{Value, json};

/// GetCallerIdentity: the account, the caller's ARN and its unique ID, for every kind of
/// principal (STS API reference).
pub(super) fn caller_identity(caller: &Caller) -> Value {
    let session = caller.session.as_deref().map(|s| &s.principal);
    let user_id = match (caller.principal.kind, session) {
        (PrincipalKind::Root, _) => caller.account.clone(),
        (
            _,
            Some(SessionPrincipal::AssumedRole {
                role_id,
                session_name,
                ..
            }),
        ) => {
            format!("{role_id}:{session_name}")
        }
        (_, Some(SessionPrincipal::FederatedUser { name, .. })) => {
            format!("{}:{name}", caller.account)
        }
        _ => caller
            .user_id
            .clone()
            .unwrap_or_else(|| caller.account.clone()),
    };
    json!({
        "UserId": user_id,
        "Account": caller.account,
        "Arn": caller.principal.arn,
    })
}

/// GetAccessKeyInfo: the account an access key belongs to. Keys of this server's account
/// (long-term or temporary) answer with it.
pub(super) fn access_key_info(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let id = ctx.input.str("AccessKeyId")?;
    let known = ctx.app.read(|e| e.access_keys.contains_key(id))
        || ctx.caller.access_key_id.as_deref() == Some(id)
        || id.starts_with("ASIA");
    if !known {
        return Err(Error::aws(
            "InvalidParameterValue",
            format!("The access key {id} does not belong to an account this server knows."),
        ));
    }
    Ok(json!({ "Account": ctx.app.account_id() }))
}

/// DecodeAuthorizationMessage: decodes the authorization failure messages this server
/// attaches to its AccessDenied answers (the `x-portcullis-authorization-message` header).
pub(super) fn decode_authorization_message(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let encoded = ctx.input.str("EncodedMessage")?;
    let decoded = crate::denial::decode(ctx.app, encoded).ok_or_else(|| {
        Error::aws(
            "InvalidAuthorizationMessageException",
            "The error message could not be decoded.",
        )
    })?;
    Ok(json!({ "DecodedMessage": decoded }))
}
