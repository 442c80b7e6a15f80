//! GetSessionToken and GetFederationToken: temporary credentials of an IAM user (or the
//! root), and of a federated user on its behalf.

use super::credentials::{SessionRequest, issue_credentials, packed_size};
use crate::account::find_policy;
use crate::app::App;
use crate::auth::session::{SessionPrincipal, SessionTag};
use crate::call::Ctx;
use crate::error::Error;
use crate::iam::rules::check_policy;
use portcullis_policy::PolicyKind;
use portcullis_protocol::CommonErrorCode;
use portcullis_protocol::iam::IamErrorCode;
use portcullis_protocol::sts::{
    FederatedUser, GetFederationTokenInput, GetFederationTokenOutput, GetSessionTokenInput,
    GetSessionTokenOutput, PolicyDescriptorType, Tag,
};

/// Root sessions last at most an hour; longer requests are shortened (STS API reference).
const ROOT_MAX_SECONDS: i64 = 3600;
/// Default duration of GetSessionToken and GetFederationToken sessions: 12 hours.
const DEFAULT_SECONDS: i64 = 43_200;

fn no_session_credentials(ctx: &Ctx<'_>, op: &str) -> Result<(), Error> {
    if ctx.caller.session.is_some() {
        return Err(Error::denied(format!(
            "Cannot call {op} with session credentials"
        )));
    }
    Ok(())
}

fn duration(ctx: &Ctx<'_>, duration_seconds: Option<i64>) -> i64 {
    let asked = duration_seconds.unwrap_or(DEFAULT_SECONDS);
    if ctx.caller.is_root() {
        asked.min(ROOT_MAX_SECONDS)
    } else {
        asked
    }
}

/// Checks the session policies of a request (inline `Policy` and `PolicyArns`) and the
/// session tags, returning them.
pub(super) fn session_policies(
    app: &App,
    policy: Option<&str>,
    policy_arns: Option<&[PolicyDescriptorType]>,
) -> Result<(Vec<String>, Vec<String>), Error> {
    let mut policies = Vec::new();
    if let Some(p) = policy {
        check_policy(p, PolicyKind::Session, None)?;
        policies.push(p.to_string());
    }
    let arns: Vec<String> = policy_arns
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.arn.clone())
        .collect();
    app.read(|e| {
        for arn in &arns {
            if find_policy(e, arn).is_none() {
                return Err(Error::aws(
                    IamErrorCode::MalformedPolicyDocument,
                    format!("Policy {arn} does not exist or is not attachable."),
                ));
            }
        }
        Ok(())
    })?;
    Ok((policies, arns))
}

/// The session tags of a request.
pub(super) fn session_tags(tags: Option<&[Tag]>) -> Result<Vec<SessionTag>, Error> {
    let tags: Vec<SessionTag> = tags
        .unwrap_or_default()
        .iter()
        .map(|t| SessionTag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect();
    for (i, t) in tags.iter().enumerate() {
        if tags[..i].iter().any(|o| o.key.eq_ignore_ascii_case(&t.key)) {
            return Err(Error::aws(
                CommonErrorCode::InvalidParameterValue,
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    Ok(tags)
}

/// GetSessionToken: a session of the calling IAM user (or root), optionally with MFA.
pub(crate) async fn get_session_token(
    ctx: &Ctx<'_>,
    input: GetSessionTokenInput,
) -> Result<GetSessionTokenOutput, Error> {
    no_session_credentials(ctx, "GetSessionToken")?;
    let seconds = duration(ctx, input.duration_seconds);
    let mfa = super::assume_role::check_mfa(
        ctx,
        input.serial_number.as_deref(),
        input.token_code.as_deref(),
    )
    .await?;
    let principal = match &ctx.caller.user_id {
        Some(user_id) => SessionPrincipal::User {
            user_id: user_id.clone(),
        },
        None => SessionPrincipal::Root,
    };
    let (_, credentials) = issue_credentials(
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
    Ok(GetSessionTokenOutput {
        credentials: Some(credentials),
        ..Default::default()
    })
}

/// GetFederationToken: a federated-user session on behalf of the calling IAM user, whose
/// permissions are what both the user's policies and the session policies allow.
pub(crate) fn get_federation_token(
    ctx: &Ctx<'_>,
    input: GetFederationTokenInput,
) -> Result<GetFederationTokenOutput, Error> {
    no_session_credentials(ctx, "GetFederationToken")?;
    let name = input.name.as_str();
    let seconds = duration(ctx, input.duration_seconds);
    let (policies, policy_arns) = session_policies(
        ctx.app,
        input.policy.as_deref(),
        input.policy_arns.as_deref(),
    )?;
    let tags = session_tags(input.tags.as_deref())?;
    let packed = packed_size(&policies, &policy_arns, &tags)?.unwrap_or(0);
    let account = ctx.app.account_id();
    let (_, credentials) = issue_credentials(
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
    Ok(GetFederationTokenOutput {
        credentials: Some(credentials),
        federated_user: Some(FederatedUser {
            federated_user_id: format!("{account}:{name}"),
            arn: format!("arn:aws:sts::{account}:federated-user/{name}"),
        }),
        packed_policy_size: Some(packed),
        ..Default::default()
    })
}
