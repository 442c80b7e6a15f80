//! GetCallerIdentity, GetAccessKeyInfo and DecodeAuthorizationMessage.

use crate::auth::session::SessionPrincipal;
use crate::call::Ctx;
use crate::error::Error;
use portcullis_policy::PrincipalKind;
use portcullis_protocol::CommonErrorCode;
use portcullis_protocol::sts::{
    DecodeAuthorizationMessageInput, DecodeAuthorizationMessageOutput, GetAccessKeyInfoInput,
    GetAccessKeyInfoOutput, GetCallerIdentityInput, GetCallerIdentityOutput, StsErrorCode,
};

/// GetCallerIdentity: the account, the caller's ARN and its unique ID, for every kind of
/// principal (STS API reference).
pub(crate) fn get_caller_identity(
    ctx: &Ctx<'_>,
    _input: GetCallerIdentityInput,
) -> Result<GetCallerIdentityOutput, Error> {
    let caller = ctx.caller;
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
    Ok(GetCallerIdentityOutput {
        user_id: Some(user_id),
        account: Some(caller.account.clone()),
        arn: Some(caller.principal.arn.clone()),
    })
}

/// GetAccessKeyInfo: the account an access key belongs to. Keys of this server's account
/// (long-term or temporary) answer with it.
pub(crate) fn get_access_key_info(
    ctx: &Ctx<'_>,
    input: GetAccessKeyInfoInput,
) -> Result<GetAccessKeyInfoOutput, Error> {
    let id = input.access_key_id.as_str();
    let known = ctx.app.read(|e| e.access_keys.contains_key(id))
        || ctx.caller.access_key_id.as_deref() == Some(id)
        || id.starts_with("ASIA");
    if !known {
        return Err(Error::aws(
            CommonErrorCode::InvalidParameterValue,
            format!("The access key {id} does not belong to an account this server knows."),
        ));
    }
    Ok(GetAccessKeyInfoOutput {
        account: Some(ctx.app.account_id().to_string()),
    })
}

/// DecodeAuthorizationMessage: decodes the authorization failure messages this server
/// attaches to its AccessDenied answers (the `x-portcullis-authorization-message` header).
pub(crate) fn decode_authorization_message(
    ctx: &Ctx<'_>,
    input: DecodeAuthorizationMessageInput,
) -> Result<DecodeAuthorizationMessageOutput, Error> {
    let decoded = crate::denial::decode(ctx.app, &input.encoded_message).ok_or_else(|| {
        Error::aws(
            StsErrorCode::InvalidAuthorizationMessageException,
            "The error message could not be decoded.",
        )
    })?;
    Ok(DecodeAuthorizationMessageOutput {
        decoded_message: Some(decoded),
    })
}
