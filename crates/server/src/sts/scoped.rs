//! GetScopedCredentials: new temporary credentials for the calling session itself — the
//! same principal, session name, session policies, session tags, source identity, MFA
//! facts and workload identity — with fewer permissions, a shorter life, or both.
//!
//! - Only temporary credentials may call it (a role session, a federated-user session, a
//!   session from GetSessionToken); long-term keys of an IAM user or the root, and sessions
//!   of the root, are refused with `InvalidSubjectCredentials`.
//! - At least one of `Policy` and `DurationSeconds` is required.
//! - `Policy` is appended to the session's scope-down policies (at most three); each is a
//!   layer of its own that every request must pass as well (see `authz::decide`), so the
//!   new credentials can do only what the calling session could do *and* every scope-down
//!   policy allows.
//! - The credentials never outlive the calling session: without `DurationSeconds` they
//!   expire with it; a longer `DurationSeconds` fails with `InsufficientSessionLifetime`.
//! - `MinimumSessionTokenSize` pads the token up to that many bytes.
//!
//! The wording of the error messages is Portcullis's: AWS does not publish its texts for
//! this operation. The maximum session token size ([`MAX_TOKEN_BYTES`]) is Portcullis's
//! too; `SessionTokenUtilization` and `PackedPolicyTooLarge` are measured against it.

use crate::auth::session::{SessionClaims, SessionPrincipal};
use crate::call::Ctx;
use crate::error::Error;
use crate::iam::rules::check_policy;
use crate::secrets::{secret_access_key, unique_id};
use crate::time::now_seconds;
use portcullis_policy::PolicyKind;
use portcullis_protocol::Timestamp;
use portcullis_protocol::sts::{
    Credentials, GetScopedCredentialsInput, GetScopedCredentialsOutput, ScopedSession, StsErrorCode,
};

/// How many scope-down policies one session may carry (STS API reference,
/// ScopedPoliciesCount).
pub(super) const MAX_SCOPE_POLICIES: usize = 3;

/// The largest session token Portcullis issues for scoped credentials, in bytes.
pub(super) const MAX_TOKEN_BYTES: usize = 16_384;

/// GetScopedCredentials.
pub(crate) async fn get_scoped_credentials(
    ctx: &Ctx<'_>,
    input: GetScopedCredentialsInput,
) -> Result<GetScopedCredentialsOutput, Error> {
    let parent = calling_session(ctx)?;
    let policy = input.policy.as_deref();
    let duration = input.duration_seconds;
    if policy.is_none() && duration.is_none() {
        return Err(Error::validation(
            "A request must provide at least one of Policy or DurationSeconds.",
        ));
    }
    if let Some(p) = policy {
        check_policy(p, PolicyKind::Session, None)?;
        if parent.scope_policies.len() >= MAX_SCOPE_POLICIES {
            return Err(Error::denied(format!(
                "User: {} is not authorized to perform: sts:GetScopedCredentials because the session already has the maximum of {MAX_SCOPE_POLICIES} scope-down policies",
                ctx.caller.principal.arn
            )));
        }
    }
    let now = now_seconds();
    let expires = match duration {
        Some(seconds) if now + seconds > parent.expires => {
            return Err(Error::aws(
                StsErrorCode::InsufficientSessionLifetime,
                format!(
                    "The requested DurationSeconds ({seconds}) exceeds the remaining lifetime of the calling session ({} seconds).",
                    (parent.expires - now).max(0)
                ),
            ));
        }
        Some(seconds) => now + seconds,
        None => parent.expires,
    };
    let mut claims = scoped_claims(parent, now, expires, policy);
    let minimum = input
        .minimum_session_token_size
        .and_then(|m| usize::try_from(m).ok())
        .unwrap_or(0);
    let token = seal_at_least(ctx, &mut claims, minimum);
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Error::aws(
            StsErrorCode::PackedPolicyTooLarge,
            format!(
                "The session token would be {} bytes, which exceeds the maximum allowed size of {MAX_TOKEN_BYTES} bytes.",
                token.len()
            ),
        ));
    }
    let session_info = ScopedSession {
        scoped_session_id: session_id(ctx, &claims),
        arn: ctx.caller.principal.arn.clone(),
    };
    let utilization = (token.len() * 100).div_ceil(MAX_TOKEN_BYTES) as i64;
    let size = token.len() as i64;
    Ok(GetScopedCredentialsOutput {
        credentials: Some(Credentials {
            access_key_id: claims.access_key_id,
            secret_access_key: claims.secret_access_key,
            session_token: token,
            expiration: Timestamp::from_millis(claims.expires * 1000),
        }),
        session_info: Some(session_info),
        session_token_utilization: Some(utilization),
        session_token_size: Some(size),
        scoped_policies_count: Some(claims.scope_policies.len() as i64),
        source_identity: claims.source_identity,
    })
}

/// The calling session; `InvalidSubjectCredentials` for long-term credentials and for
/// sessions of the root user.
fn calling_session<'c>(ctx: &'c Ctx<'_>) -> Result<&'c SessionClaims, Error> {
    match ctx.caller.session.as_deref() {
        Some(s) if !matches!(s.principal, SessionPrincipal::Root) && !ctx.caller.is_root() => Ok(s),
        Some(_) => Err(Error::aws(
            StsErrorCode::InvalidSubjectCredentials,
            "GetScopedCredentials cannot be called with credentials of the root user.",
        )),
        None => Err(Error::aws(
            StsErrorCode::InvalidSubjectCredentials,
            "GetScopedCredentials requires temporary security credentials; it cannot be called with long-term credentials. Call GetSessionToken first, then GetScopedCredentials with its credentials.",
        )),
    }
}

/// The claims of the scoped session: the calling session's, with a new access key and
/// secret, issued `now`, expiring at `expires`, and `policy` appended to its scope-down
/// policies.
fn scoped_claims(
    parent: &SessionClaims,
    now: i64,
    expires: i64,
    policy: Option<&str>,
) -> SessionClaims {
    let mut claims = parent.clone();
    claims.access_key_id = unique_id("ASIA", 16);
    claims.secret_access_key = secret_access_key();
    claims.issued = now;
    claims.expires = expires;
    claims.padding.clear();
    if let Some(p) = policy {
        claims.scope_policies.push(p.to_string());
    }
    claims
}

/// Seals the claims into a token of at least `minimum` bytes, padding them as needed.
fn seal_at_least(ctx: &Ctx<'_>, claims: &mut SessionClaims, minimum: usize) -> String {
    let mut token = ctx.app.sessions.seal(claims);
    while token.len() < minimum {
        // Base64 makes 4 characters of 3 bytes: this many filler characters add at least
        // the missing length (the JSON member itself adds a little more).
        let missing = minimum - token.len();
        claims
            .padding
            .push_str(&"0".repeat((missing * 3).div_ceil(4).max(1)));
        token = ctx.app.sessions.seal(claims);
    }
    token
}

/// The ScopedSessionId: the calling principal's own ID (`AROA…:session` for a role
/// session, `ACCOUNT:name` for a federated user, the user's ID for a GetSessionToken
/// session of an IAM user).
fn session_id(ctx: &Ctx<'_>, claims: &SessionClaims) -> String {
    match &claims.principal {
        SessionPrincipal::AssumedRole {
            role_id,
            session_name,
            ..
        } => format!("{role_id}:{session_name}"),
        SessionPrincipal::FederatedUser { name, .. } => format!("{}:{name}", claims.account),
        SessionPrincipal::User { user_id } => user_id.clone(),
        SessionPrincipal::Root => ctx.caller.account.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::App;
    use crate::caller::Caller;
    use crate::config::Config;
    use crate::sts::credentials::{SessionRequest, issue_credentials};
    use crate::time::iso8601;
    use serde_json::{Value, json};
    use std::sync::Arc;

    /// A role session of role `reader` (whose policy allows `iam:Get*` and `iam:List*`) as
    /// a caller.
    fn role_caller(app: &App, claims: SessionClaims) -> Caller {
        let mut caller = Caller::test_root();
        caller.principal = portcullis_policy::Principal::parse(&format!(
            "arn:aws:sts::{}:assumed-role/reader/s1",
            app.account_id()
        ))
        .unwrap();
        caller.account = app.account_id().to_string();
        caller.session = Some(Arc::new(claims));
        caller
    }

    fn role_session(app: &App, seconds: i64) -> SessionClaims {
        let (claims, _) = issue_credentials(
            app,
            SessionRequest {
                principal: SessionPrincipal::AssumedRole {
                    role_id: "AROAEXAMPLE".into(),
                    role_arn: format!("arn:aws:iam::{}:role/reader", app.account_id()),
                    role_name: "reader".into(),
                    session_name: "s1".into(),
                },
                duration_seconds: seconds,
                policies: vec![],
                policy_arns: vec![],
                tags: vec![crate::auth::session::SessionTag {
                    key: "team".into(),
                    value: "ml".into(),
                }],
                transitive_tag_keys: vec![],
                source_identity: Some("alice".into()),
                mfa_authenticated_at: None,
                chain_depth: 0,
                provider_keys: vec![],
            },
        );
        claims
    }

    async fn call(app: &App, caller: &Caller, input: Value) -> Result<Value, Error> {
        let ctx = Ctx { app, caller };
        crate::sts::call("GetScopedCredentials", &ctx, &input)
            .await
            .expect("an STS operation")
    }

    fn code(e: Error) -> (String, String) {
        let e = e.into_aws();
        (e.code().to_string(), e.message().to_string())
    }

    const S3_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

    #[tokio::test]
    async fn long_term_and_root_credentials_are_refused() {
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        let (c, _) = code(
            call(&app, &Caller::test_root(), json!({"DurationSeconds": 60}))
                .await
                .unwrap_err(),
        );
        assert_eq!(c, "InvalidSubjectCredentials");
        let mut root_session = Caller::test_root();
        let mut claims = role_session(&app, 900);
        claims.principal = SessionPrincipal::Root;
        root_session.session = Some(Arc::new(claims));
        let (c, m) = code(
            call(&app, &root_session, json!({"DurationSeconds": 60}))
                .await
                .unwrap_err(),
        );
        assert_eq!(c, "InvalidSubjectCredentials");
        assert!(m.contains("root user"), "{m}");
    }

    #[tokio::test]
    async fn keeps_the_identity_and_stacks_scope_policies() {
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        let parent = role_session(&app, 900);
        let caller = role_caller(&app, parent.clone());
        let out = call(&app, &caller, json!({"Policy": S3_ONLY}))
            .await
            .unwrap();
        assert_eq!(out["ScopedPoliciesCount"], 1);
        assert_eq!(out["SourceIdentity"], "alice");
        assert_eq!(out["SessionInfo"]["ScopedSessionId"], "AROAEXAMPLE:s1");
        assert_eq!(
            out["SessionInfo"]["Arn"],
            format!("arn:aws:sts::{}:assumed-role/reader/s1", app.account_id())
        );
        assert_eq!(
            out["Credentials"]["Expiration"],
            iso8601(parent.expires * 1000),
            "inherits the calling session's expiry"
        );
        let key = out["Credentials"]["AccessKeyId"].as_str().unwrap();
        assert!(key.starts_with("ASIA") && key != parent.access_key_id);
        let token = out["Credentials"]["SessionToken"].as_str().unwrap();
        assert_eq!(out["SessionTokenSize"], token.len());
        let scoped = app.sessions.open(token).unwrap();
        assert_eq!(scoped.principal, parent.principal);
        assert_eq!(scoped.tags, parent.tags);
        assert_eq!(scoped.scope_policies, vec![S3_ONLY.to_string()]);
        assert_eq!(scoped.expires, parent.expires);

        // Scoping the scoped credentials adds a layer; a fourth is refused.
        let mut caller = role_caller(&app, scoped);
        for count in 2..=3 {
            let out = call(&app, &caller, json!({"Policy": S3_ONLY}))
                .await
                .unwrap();
            assert_eq!(out["ScopedPoliciesCount"], count);
            let token = out["Credentials"]["SessionToken"].as_str().unwrap();
            caller = role_caller(&app, app.sessions.open(token).unwrap());
        }
        let (c, _) = code(
            call(&app, &caller, json!({"Policy": S3_ONLY}))
                .await
                .unwrap_err(),
        );
        assert_eq!(c, "AccessDenied");
        // A duration alone adds no layer and is still allowed.
        let out = call(&app, &caller, json!({"DurationSeconds": 30}))
            .await
            .unwrap();
        assert_eq!(out["ScopedPoliciesCount"], 3);
    }

    #[tokio::test]
    async fn checks_input_and_lifetime() {
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        let caller = role_caller(&app, role_session(&app, 600));
        let (c, _) = code(call(&app, &caller, json!({})).await.unwrap_err());
        assert_eq!(c, "ValidationError");
        let (c, m) = code(
            call(&app, &caller, json!({"DurationSeconds": 3600}))
                .await
                .unwrap_err(),
        );
        assert_eq!(c, "InsufficientSessionLifetime");
        assert!(m.contains("(3600)"), "{m}");
        let (c, _) = code(
            call(&app, &caller, json!({"Policy": "{not json"}))
                .await
                .unwrap_err(),
        );
        assert_eq!(c, "MalformedPolicyDocument");
        let out = call(&app, &caller, json!({"DurationSeconds": 120}))
            .await
            .unwrap();
        assert_eq!(out["ScopedPoliciesCount"], 0);
        let token = out["Credentials"]["SessionToken"].as_str().unwrap();
        let scoped = app.sessions.open(token).unwrap();
        assert!((scoped.expires - now_seconds() - 120).abs() <= 1);
    }

    #[tokio::test]
    async fn every_scope_policy_narrows_what_the_session_may_do() {
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        let root = Caller::test_root();
        let iam = |op: &'static str, input: Value| {
            let app = &app;
            let root = &root;
            async move {
                let ctx = crate::call::Ctx { app, caller: root };
                crate::iam::call(op, &ctx, &input).await.unwrap().unwrap()
            }
        };
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
        iam(
            "CreateRole",
            json!({"RoleName": "reader", "AssumeRolePolicyDocument": trust}),
        )
        .await;
        let allow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListRoles","iam:ListUsers"],"Resource":"*"}]}"#;
        iam(
            "PutRolePolicy",
            json!({"RoleName": "reader", "PolicyName": "p", "PolicyDocument": allow}),
        )
        .await;
        let mut parent = role_session(&app, 900);
        if let SessionPrincipal::AssumedRole { role_id, .. } = &mut parent.principal {
            *role_id = app.read(|e| e.role("reader").unwrap().id.clone());
        }
        let allowed = |caller: &Caller, action: &str| {
            crate::authz::check_action(&app, caller, action, "*", &[]).is_ok()
        };
        let session = role_caller(&app, parent.clone());
        assert!(allowed(&session, "iam:ListRoles") && allowed(&session, "iam:ListUsers"));

        let roles_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListRoles","s3:*"],"Resource":"*"}]}"#;
        let scoped = role_caller(
            &app,
            scoped_claims(&parent, 0, parent.expires, Some(roles_only)),
        );
        assert!(allowed(&scoped, "iam:ListRoles"));
        assert!(
            !allowed(&scoped, "iam:ListUsers"),
            "the scope does not allow it"
        );
        assert!(
            !allowed(&scoped, "s3:GetObject"),
            "the role does not allow it"
        );

        let claims = scoped.session.as_deref().unwrap();
        let users_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#;
        let twice = role_caller(
            &app,
            scoped_claims(claims, 0, claims.expires, Some(users_only)),
        );
        assert!(
            !allowed(&twice, "iam:ListRoles"),
            "the second scope does not allow it"
        );
        assert!(
            !allowed(&twice, "iam:ListUsers"),
            "the first scope does not allow it"
        );
    }

    #[tokio::test]
    async fn pads_the_token_to_the_minimum_size() {
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        let caller = role_caller(&app, role_session(&app, 600));
        let out = call(
            &app,
            &caller,
            json!({"DurationSeconds": 60, "MinimumSessionTokenSize": 4096}),
        )
        .await
        .unwrap();
        let token = out["Credentials"]["SessionToken"].as_str().unwrap();
        assert!(token.len() >= 4096, "{}", token.len());
        assert!(token.len() < 4096 + 64, "{}", token.len());
        assert!(app.sessions.open(token).is_some());
        let utilization = out["SessionTokenUtilization"].as_u64().unwrap();
        assert!((25..=26).contains(&utilization), "{utilization}");
    }
}
