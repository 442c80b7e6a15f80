//! STS operations. This server answers GetCallerIdentity; the other STS operations are
//! not implemented yet.

use crate::caller::Caller;
use crate::error::Error;
use portcullis_policy::PrincipalKind;
use serde_json::{Value, json};

/// Runs an STS operation. `None` when this server does not implement it.
pub fn call(op: &str, caller: &Caller) -> Option<Result<Value, Error>> {
    match op {
        "GetCallerIdentity" => Some(Ok(caller_identity(caller))),
        _ => None,
    }
}

/// GetCallerIdentity: the account, the caller's ARN and its unique ID.
fn caller_identity(caller: &Caller) -> Value {
    let user_id = match (caller.principal.kind, &caller.user_id) {
        (PrincipalKind::Root, _) => caller.account.clone(),
        (_, Some(id)) => id.clone(),
        _ => caller.account.clone(),
    };
    json!({
        "UserId": user_id,
        "Account": caller.account,
        "Arn": caller.principal.arn,
    })
}
