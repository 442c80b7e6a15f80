//! AssumeRole: the role's trust policy evaluated through the whole authorization chain,
//! with the caller's own policies where AWS requires them, MFA, ExternalId, session
//! policies, session tags, source identity and role chaining.

use super::credentials::{SessionRequest, issue_with_workload, packed_size};
use super::federation::{session_policies, session_tags};
use crate::auth::session::{SessionPrincipal, SessionTag};
use crate::authz::{Ask, caller_auth, caller_context, decide};
use crate::call::Ctx;
use crate::error::Error;
use crate::time::{now_millis, now_seconds};
use portcullis_policy::{CompiledPolicy, PrincipalKind};
use portcullis_protocol::CommonErrorCode;
use portcullis_protocol::sts::{AssumeRoleInput, AssumeRoleOutput, AssumedRoleUser};
use portcullis_store::Role;

/// Role chaining caps a session at one hour (STS API reference, AssumeRole).
const CHAINED_MAX_SECONDS: i64 = 3600;

/// Checks the MFA of a request (SerialNumber and TokenCode) against the calling user's
/// device. Returns when the caller authenticated with MFA: now, when this request carries
/// a valid code; the time of the caller's own session MFA, when it has one.
pub(super) async fn check_mfa(
    ctx: &Ctx<'_>,
    serial: Option<&str>,
    code: Option<&str>,
) -> Result<Option<i64>, Error> {
    match (serial, code) {
        (None, None) => Ok(ctx
            .caller
            .session
            .as_ref()
            .and_then(|s| s.mfa_authenticated_at)),
        (Some(serial), Some(code)) => {
            let now = now_seconds();
            let Some(user_id) = ctx.caller.user_id.as_deref() else {
                return Err(crate::iam::mfa::unable_to_validate());
            };
            crate::iam::mfa::check_code(ctx.app, user_id, serial, code, now).await?;
            Ok(Some(now))
        }
        _ => Err(crate::iam::mfa::unable_to_validate()),
    }
}

/// AccessDenied for an assumption, in AWS's words: the bare sentence, without the reason,
/// so that a role that does not trust the caller cannot be told from one that does not
/// exist. The encoded authorization message, when there is one, still explains.
fn not_authorized(ctx: &Ctx<'_>, action: &str, role_arn: &str, encoded: Option<String>) -> Error {
    let error = portcullis_protocol::AwsError::of(
        CommonErrorCode::AccessDenied,
        format!(
            "User: {} is not authorized to perform: {action} on resource: {role_arn}",
            ctx.caller.principal.arn
        ),
    );
    Error::Denied {
        error,
        encoded: encoded.unwrap_or_default(),
    }
}

/// AssumeRole.
pub(crate) async fn assume_role(
    ctx: &Ctx<'_>,
    input: AssumeRoleInput,
) -> Result<AssumeRoleOutput, Error> {
    let role_arn = input.role_arn.as_str();
    let session_name = input.role_session_name.as_str();
    crate::iam::rules::check_role_arn(role_arn)?;
    let authorizes = ctx.app.config.authorizes();
    if authorizes && ctx.caller.principal.kind == PrincipalKind::Root {
        return Err(Error::denied("Roles may not be assumed by root accounts."));
    }
    let role: Role = ctx
        .app
        .read(|e| e.roles.values().find(|r| r.arn == role_arn).cloned())
        .ok_or_else(|| not_authorized(ctx, "sts:AssumeRole", role_arn, None))?;
    let caller_session = ctx.caller.session.as_deref();
    let chained = matches!(
        caller_session.map(|s| &s.principal),
        Some(SessionPrincipal::AssumedRole { .. })
    );
    let seconds = input.duration_seconds.unwrap_or(3600);
    // Credentials from GetSessionToken are capped like role chaining (AWS answers the same
    // ValidationError to them).
    if caller_session.is_some() && seconds > CHAINED_MAX_SECONDS {
        return Err(Error::validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
    if seconds > role.max_session_duration {
        return Err(Error::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    let (policies, policy_arns) = session_policies(
        ctx.app,
        input.policy.as_deref(),
        input.policy_arns.as_deref(),
    )?;
    let mut tags = session_tags(input.tags.as_deref())?;
    let transitive: Vec<String> = input.transitive_tag_keys.unwrap_or_default();
    // A tag may not override one the calling session passes on as transitive.
    if let Some(parent) = caller_session.filter(|_| chained)
        && tags.iter().any(|t| {
            parent
                .transitive_tag_keys
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&t.key))
        })
    {
        return Err(Error::aws(
            CommonErrorCode::InvalidParameterValue,
            "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.",
        ));
    }
    for key in &transitive {
        if !tags.iter().any(|t| t.key.eq_ignore_ascii_case(key)) {
            return Err(Error::aws(
                CommonErrorCode::InvalidParameterValue,
                "The specified transitive tag key must be included in the requested tags.",
            ));
        }
    }
    let mut transitive_keys = transitive.clone();
    if let Some(parent) = caller_session.filter(|_| chained) {
        for key in &parent.transitive_tag_keys {
            if let Some(t) = parent.tags.iter().find(|t| t.key.eq_ignore_ascii_case(key)) {
                tags.push(SessionTag {
                    key: t.key.clone(),
                    value: t.value.clone(),
                });
                transitive_keys.push(t.key.clone());
            }
        }
    }
    let packed = packed_size(&policies, &policy_arns, &tags)?;
    let asked_source_identity = input.source_identity.as_deref();
    let source_identity = asked_source_identity.map(str::to_string);
    if let (Some(asked), Some(parent)) = (
        &source_identity,
        caller_session.and_then(|s| s.source_identity.as_ref()),
    ) && asked != parent
    {
        return Err(Error::aws(
            CommonErrorCode::InvalidParameterValue,
            "The source identity cannot be changed once set.",
        ));
    }
    let source_identity =
        source_identity.or_else(|| caller_session.and_then(|s| s.source_identity.clone()));
    let mfa = check_mfa(
        ctx,
        input.serial_number.as_deref(),
        input.token_code.as_deref(),
    )
    .await?;
    if authorizes {
        authorize(
            ctx,
            &role,
            &Session {
                name: session_name,
                tags: &tags,
                transitive: &transitive,
                external_id: input.external_id.as_deref(),
                source_identity: asked_source_identity,
                mfa,
            },
        )?;
    }
    // A workload identity context gives the session its workload identity and may end it
    // sooner.
    let workload =
        super::workload::redeem(ctx, input.provided_contexts.as_deref(), &role.arn, || {
            not_authorized(ctx, "sts:AssumeRole", &role.arn, None)
        })?;
    let seconds = workload
        .as_ref()
        .map_or(seconds, |w| w.cap_seconds(seconds, now_millis()));
    let (_, credentials) = issue_with_workload(
        ctx.app,
        SessionRequest {
            principal: SessionPrincipal::AssumedRole {
                role_id: role.id.clone(),
                role_arn: role.arn.clone(),
                role_name: role.name.clone(),
                session_name: session_name.to_string(),
            },
            duration_seconds: seconds,
            policies,
            policy_arns,
            tags,
            transitive_tag_keys: transitive_keys,
            source_identity: source_identity.clone(),
            mfa_authenticated_at: mfa,
            chain_depth: caller_session
                .map_or(0, |s| s.chain_depth.saturating_add(u8::from(chained))),
            provider_keys: Vec::new(),
        },
        workload.map(|w| w.identity),
    );
    if let Err(e) = ctx
        .app
        .record_role_use(&role.name, &ctx.caller.region)
        .await
    {
        tracing::warn!(error = %e, role = %role.name, "could not record the use of a role");
    }
    let account = ctx.app.account_id();
    Ok(AssumeRoleOutput {
        credentials: Some(credentials),
        assumed_role_user: Some(AssumedRoleUser {
            assumed_role_id: format!("{}:{session_name}", role.id),
            arn: format!(
                "arn:aws:sts::{account}:assumed-role/{}/{session_name}",
                role.name
            ),
        }),
        packed_policy_size: packed,
        source_identity,
        ..Default::default()
    })
}

/// What the assumption asks for the session, as its authorization sees it.
struct Session<'a> {
    /// The session's name.
    name: &'a str,
    /// The session tags (those passed, and those passed on by the calling session).
    tags: &'a [SessionTag],
    /// The transitive tag keys passed.
    transitive: &'a [String],
    /// The `ExternalId` passed.
    external_id: Option<&'a str>,
    /// The `SourceIdentity` passed.
    source_identity: Option<&'a str>,
    /// When the caller authenticated with MFA.
    mfa: Option<i64>,
}

/// Authorizes the assumption: `sts:AssumeRole` against the trust policy and the caller's
/// policies, and `sts:TagSession` when tags are passed.
fn authorize(ctx: &Ctx<'_>, role: &Role, session: &Session<'_>) -> Result<(), Error> {
    let trust = CompiledPolicy::parse(&role.assume_role_policy_document)?;
    let tags = session.tags;
    let mut actions = vec!["sts:AssumeRole"];
    if !tags.is_empty() {
        actions.push("sts:TagSession");
    }
    if session.source_identity.is_some() {
        actions.push("sts:SetSourceIdentity");
    }
    ctx.app.read(|e| {
        let auth = caller_auth(ctx.app, e, ctx.caller)?;
        for action in actions {
            let mut c = caller_context(ctx.caller, "sts", &auth);
            c.insert("sts:RoleSessionName", session.name);
            if let Some(x) = session.external_id {
                c.insert("sts:ExternalId", x);
            }
            if let Some(s) = session.source_identity {
                c.insert("sts:SourceIdentity", s);
            }
            if let Some(at) = session.mfa {
                c.insert("aws:MultiFactorAuthPresent", "true");
                c.insert(
                    "aws:MultiFactorAuthAge",
                    &(now_seconds() - at).max(0).to_string(),
                );
            }
            if !tags.is_empty() {
                for t in tags {
                    c.insert(&format!("aws:RequestTag/{}", t.key), &t.value);
                }
                c.insert_multi("aws:TagKeys", tags.iter().map(|t| t.key.as_str()));
                c.insert_multi("sts:TransitiveTagKeys", session.transitive.iter());
            }
            for t in &role.tags {
                c.insert(&format!("aws:ResourceTag/{}", t.key), &t.value);
            }
            let verdict = decide(
                ctx.app,
                ctx.caller,
                &auth,
                Ask {
                    action,
                    resource: &role.arn,
                    context: c,
                    resource_policy: Some(&trust),
                    scoped: false,
                },
            )?;
            if !verdict.decision.is_allowed() {
                return Err(not_authorized(ctx, action, &role.arn, verdict.encoded));
            }
        }
        Ok(())
    })
}
