//! Credentials for a role on behalf of an AWS service: the role's trust policy must allow
//! the service principal (`ec2.amazonaws.com`, `ecs-tasks.amazonaws.com`, …) to call
//! `sts:AssumeRole`, with `aws:SourceArn` and `aws:SourceAccount` naming the resource the
//! service acts for, as AWS sets them for a service that assumes a role.

use crate::app::App;
use crate::auth::session::SessionPrincipal;
use crate::authz::{Ask, CallerAuth, caller_context, decide};
use crate::caller::Caller;
use crate::sts::credentials::{SessionRequest, issue};
use portcullis_policy::{CompiledPolicy, Principal};
use portcullis_store::Role;
use serde_json::Value;

/// The service principals that can be handed a role's credentials by Portcullis.
pub const SERVICE_PRINCIPALS: &[&str] = &[
    "ec2.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "lambda.amazonaws.com",
    "glue.amazonaws.com",
    "sagemaker.amazonaws.com",
    "states.amazonaws.com",
    "events.amazonaws.com",
    "apigateway.amazonaws.com",
];

/// What a service asks for.
pub struct ServiceAssumption<'a> {
    /// The service principal, one of [`SERVICE_PRINCIPALS`].
    pub service: &'a str,
    /// The role.
    pub role: &'a Role,
    /// The session name (the instance ID, the task ID, …).
    pub session_name: &'a str,
    /// The resource the service acts for (`aws:SourceArn`).
    pub source_arn: &'a str,
    /// How long the credentials last, in seconds.
    pub duration_seconds: i64,
}

/// Why a service could not get a role's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VendError {
    /// The role's trust policy does not let the service assume it.
    NotTrusted,
    /// The role's trust policy could not be read.
    Invalid(String),
}

/// True when the role's trust policy lets `service` assume it for `source_arn` (always
/// true when the server does not authorize, in `--dev`).
pub fn trusts(app: &App, a: &ServiceAssumption<'_>) -> Result<(), VendError> {
    if !app.config.authorizes() {
        return Ok(());
    }
    let trust = CompiledPolicy::parse(&a.role.assume_role_policy_document)
        .map_err(|e| VendError::Invalid(e.to_string()))?;
    let principal = Principal::parse(a.service).map_err(|e| VendError::Invalid(e.to_string()))?;
    let caller = Caller {
        principal,
        account: app.account_id().to_string(),
        user_id: None,
        user_name: None,
        access_key_id: None,
        session: None,
        source_ip: a.service.to_string(),
        region: "us-east-1".to_string(),
    };
    let auth = CallerAuth {
        policies: None,
        session: None,
        principal_tags: Vec::new(),
        user_id: None,
    };
    let mut context = caller_context(&caller, "sts", &auth);
    context.insert("aws:SourceArn", a.source_arn);
    context.insert("aws:SourceAccount", app.account_id());
    context.insert("aws:PrincipalServiceName", a.service);
    context.insert("sts:RoleSessionName", a.session_name);
    for t in &a.role.tags {
        context.insert(&format!("aws:ResourceTag/{}", t.key), &t.value);
    }
    let verdict = decide(
        app,
        &caller,
        &auth,
        Ask {
            action: "sts:AssumeRole",
            resource: &a.role.arn,
            context,
            resource_policy: Some(&trust),
            scoped: false,
        },
    )
    .map_err(|e| VendError::Invalid(e.to_string()))?;
    if verdict.decision.is_allowed() {
        Ok(())
    } else {
        Err(VendError::NotTrusted)
    }
}

/// Checks the trust policy, then issues a role session for the service: returns its
/// expiry (seconds since the Unix epoch) and the `Credentials` answer.
pub async fn assume(app: &App, a: &ServiceAssumption<'_>) -> Result<(i64, Value), VendError> {
    trusts(app, a)?;
    let (claims, credentials) = issue(
        app,
        SessionRequest {
            principal: SessionPrincipal::AssumedRole {
                role_id: a.role.id.clone(),
                role_arn: a.role.arn.clone(),
                role_name: a.role.name.clone(),
                session_name: a.session_name.to_string(),
            },
            duration_seconds: a.duration_seconds,
            policies: Vec::new(),
            policy_arns: Vec::new(),
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            mfa_authenticated_at: None,
            chain_depth: 0,
        },
    );
    if let Err(e) = app.record_role_use(&a.role.name, "us-east-1").await {
        tracing::warn!(error = %e, role = %a.role.name, "could not record the use of a role");
    }
    Ok((claims.expires, credentials))
}
