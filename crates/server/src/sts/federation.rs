//! GetSessionToken and GetFederationToken: temporary credentials of an IAM user (or the
//! root), and of a federated user on its behalf.

use super::credentials::{SessionRequest, issue, packed_size};
use crate::account::find_policy;
use crate::auth::session::{SessionPrincipal, SessionTag};
use crate::call::Ctx;
use crate::error::Error;
use crate::iam::rules::check_policy;
use portcullis_policy::PolicyKind;
use serde_json::{Value, json};

/// Root sessions last at most an hour; longer requests are shortened (STS API reference).
const ROOT_MAX_SECONDS: i64 = 3600;
/// Default duration of GetSessionToken and GetFederationToken sessions: 12 hours.
const DEFAULT_SECONDS: i64 = 43_200;

fn no_session_credentials(ctx: &Ctx<'_>, op: &str) -> Result<(), Error> {
    if ctx.caller.session.is_some() {
        return Err(Error::aws(
            "AccessDenied",
            format!("Cannot call {op} with session credentials"),
        ));
    }
    Ok(())
}

fn duration(ctx: &Ctx<'_>) -> i64 {
    let asked = ctx
        .input
        .opt_i64("DurationSeconds")
        .unwrap_or(DEFAULT_SECONDS);
    if ctx.caller.is_root() {
        asked.min(ROOT_MAX_SECONDS)
    } else {
        asked
    }
}

/// Checks the session policies of a request (inline `Policy` and `PolicyArns`) and the
/// session tags, returning them.
pub(super) fn session_policies(ctx: &Ctx<'_>) -> Result<(Vec<String>, Vec<String>), Error> {
    let mut policies = Vec::new();
    if let Some(p) = ctx.input.opt_str("Policy") {
        check_policy(p, PolicyKind::Session, None)?;
        policies.push(p.to_string());
    }
    let arns: Vec<String> = match ctx.input.0.get("PolicyArns") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.get("arn").and_then(Value::as_str))
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    ctx.app.read(|e| {
        for arn in &arns {
            if find_policy(e, arn).is_none() {
                return Err(Error::aws(
                    "MalformedPolicyDocument",
                    format!("Policy {arn} does not exist or is not attachable."),
                ));
            }
        }
        Ok(())
    })?;
    Ok((policies, arns))
}

/// The session tags of a request.
pub(super) fn session_tags(ctx: &Ctx<'_>) -> Result<Vec<SessionTag>, Error> {
    let tags: Vec<SessionTag> = ctx
        .input
        .tags("Tags")
        .into_iter()
        .map(|t| SessionTag {
            key: t.key,
            value: t.value,
        })
        .collect();
    for (i, t) in tags.iter().enumerate() {
        if tags[..i].iter().any(|o| o.key.eq_ignore_ascii_case(&t.key)) {
            return Err(Error::aws(
                "InvalidParameterValue",
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    Ok(tags)
}

/// GetSessionToken: a session of the calling IAM user (or root), optionally with MFA.
pub(super) async fn session_token(ctx: &Ctx<'_>) -> Result<Value, Error> {
    no_session_credentials(ctx, "GetSessionToken")?;
    let seconds = duration(ctx);
    let mfa = super::assume_role::check_mfa(ctx).await?;
    let principal = match &ctx.caller.user_id {
        Some(user_id) => SessionPrincipal::User {
            user_id: user_id.clone(),
        },
        None => SessionPrincipal::Root,
    };
    let (_, credentials) = issue(
        ctx.app,
        SessionRequest {
            principal,
            duration_seconds: seconds,
            policies: Vec::new(),
            policy_arns: Vec::new(),
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            mfa_authenticated_at: mfa,
            chain_depth: 0,
            provider_keys: Vec::new(),
        },
    );
    Ok(json!({ "Credentials": credentials }))
}

/// GetFederationToken: a federated-user session on behalf of the calling IAM user, whose
/// permissions are what both the user's policies and the session policies allow.
pub(super) fn federation_token(ctx: &Ctx<'_>) -> Result<Value, Error> {
    no_session_credentials(ctx, "GetFederationToken")?;
    let name = ctx.input.str("Name")?;
    let seconds = duration(ctx);
    let (policies, policy_arns) = session_policies(ctx)?;
    let tags = session_tags(ctx)?;
    let packed = packed_size(&policies, &policy_arns, &tags)?.unwrap_or(0);
    let account = ctx.app.account_id();
    let (_, credentials) = issue(
        ctx.app,
        SessionRequest {
            principal: SessionPrincipal::FederatedUser {
                name: name.to_string(),
                user_id: ctx.caller.user_id.clone(),
            },
            duration_seconds: seconds,
            policies,
            policy_arns,
            tags,
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            mfa_authenticated_at: None,
            chain_depth: 0,
            provider_keys: Vec::new(),
        },
    );
    Ok(json!({
        "Credentials": credentials,
        "FederatedUser": {
            "FederatedUserId": format!("{account}:{name}"),
            "Arn": format!("arn:aws:sts::{account}:federated-user/{name}"),
        },
        "PackedPolicySize": packed,
    }))
}
