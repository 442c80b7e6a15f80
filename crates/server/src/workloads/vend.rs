//! Credentials for a role on behalf of an AWS service: the role's trust policy must allow
//! the service principal (`ec2.amazonaws.com`, `ecs-tasks.amazonaws.com`, …) to call
//! `sts:AssumeRole`, with `aws:SourceArn` and `aws:SourceAccount` naming the resource the
//! service acts for, as AWS sets them for a service that assumes a role.

use crate::app::App;
use crate::auth::session::SessionPrincipal;
use crate::authz::{Ask, CallerAuth, caller_context, decide};
use crate::caller::Caller;
use crate::sts::credentials::{SessionRequest, issue_credentials};
use portcullis_policy::{CompiledPolicy, Principal};
use portcullis_protocol::sts::Credentials;
use portcullis_store::Role;

/// The service principals that can be handed a role's credentials by Portcullis.
#[cfg(test)]
pub(crate) const SERVICE_PRINCIPALS: &[&str] = &[
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
pub(crate) struct ServiceAssumption<'a> {
    /// The service principal, one of [`SERVICE_PRINCIPALS`].
    pub service: &'a str,
    /// The role.
    pub role: &'a Role,
    /// The session name (the instance ID, the task ID, …).
    pub session_name: &'a str,
    /// The resource the service acts for (`aws:SourceArn`).
    pub source_arn: String,
    /// How long the credentials last, in seconds.
    pub duration_seconds: i64,
}

/// Why a service could not get a role's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VendError {
    /// The role's trust policy does not let the service assume it.
    NotTrusted,
    /// The role's trust policy could not be read.
    Invalid(String),
}

/// True when the role's trust policy lets `service` assume it for `source_arn` (always
/// true when the server does not authorize, in `--dev`).
pub(crate) fn trusts(app: &App, a: &ServiceAssumption<'_>) -> Result<(), VendError> {
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
    context.insert("aws:SourceArn", &a.source_arn);
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
/// expiry (seconds since the Unix epoch) and the credentials.
pub(crate) async fn assume(
    app: &App,
    a: &ServiceAssumption<'_>,
) -> Result<(i64, Credentials), VendError> {
    trusts(app, a)?;
    let (claims, credentials) = issue_credentials(
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
            provider_keys: Vec::new(),
        },
    );
    if let Err(e) = app.record_role_use(&a.role.name, "us-east-1").await {
        tracing::warn!(error = %e, role = %a.role.name, "could not record the use of a role");
    }
    Ok((claims.expires, credentials))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use portcullis_store::Change;

    async fn app(dev: bool) -> App {
        let config = Config::in_memory(dev);
        App::open(config).await.unwrap().0
    }

    fn role(trust: &str) -> Role {
        Role {
            id: "AROAEXAMPLE".into(),
            name: "worker".into(),
            path: "/".into(),
            arn: "arn:aws:iam::123456789012:role/worker".into(),
            create_date: 0,
            assume_role_policy_document: trust.into(),
            description: None,
            max_session_duration: 3600,
            max_signin_session_duration: None,
            permissions_boundary: None,
            tags: Vec::new(),
            attached_policies: Vec::new(),
            inline_policies: Default::default(),
            last_used: None,
        }
    }

    fn trust_of(service: &str, condition: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"{condition}}}]}}"#
        )
    }

    fn ask<'a>(service: &'a str, role: &'a Role, source_arn: &str) -> ServiceAssumption<'a> {
        ServiceAssumption {
            service,
            role,
            session_name: "session",
            source_arn: source_arn.to_string(),
            duration_seconds: 900,
        }
    }

    #[tokio::test]
    async fn every_service_principal_needs_the_trust_of_the_role() {
        let app = app(false).await;
        let source = "arn:aws:lambda:us-east-1:123456789012:function:f";
        for service in SERVICE_PRINCIPALS {
            let trusted = role(&trust_of(service, ""));
            assert_eq!(
                trusts(&app, &ask(service, &trusted, source)),
                Ok(()),
                "{service}"
            );
            let other = if *service == "ec2.amazonaws.com" {
                "lambda.amazonaws.com"
            } else {
                "ec2.amazonaws.com"
            };
            let untrusted = role(&trust_of(other, ""));
            assert_eq!(
                trusts(&app, &ask(service, &untrusted, source)),
                Err(VendError::NotTrusted),
                "{service}"
            );
        }
    }

    #[tokio::test]
    async fn source_arn_and_account_are_in_the_context() {
        let app = app(false).await;
        let guarded = role(&trust_of(
            "lambda.amazonaws.com",
            r#","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"},"ArnLike":{"aws:SourceArn":"arn:aws:lambda:*:123456789012:function:billing-*"}}"#,
        ));
        let billing = "arn:aws:lambda:us-east-1:123456789012:function:billing-export";
        let other = "arn:aws:lambda:us-east-1:123456789012:function:reports";
        assert_eq!(
            trusts(&app, &ask("lambda.amazonaws.com", &guarded, billing)),
            Ok(())
        );
        assert_eq!(
            trusts(&app, &ask("lambda.amazonaws.com", &guarded, other)),
            Err(VendError::NotTrusted)
        );
    }

    #[tokio::test]
    async fn sessions_act_as_the_role_for_the_named_session() {
        let app = app(false).await;
        let r = role(&trust_of("states.amazonaws.com", ""));
        app.write(|_| Ok((vec![Change::put("123456789012", &r)], ())))
            .await
            .unwrap();
        let source = "arn:aws:states:us-east-1:123456789012:stateMachine:m";
        let (expires, credentials) = assume(&app, &ask("states.amazonaws.com", &r, source))
            .await
            .unwrap();
        let claims = app.sessions.open(&credentials.session_token).unwrap();
        assert_eq!(claims.expires, expires);
        assert_eq!(expires - claims.issued, 900);
        assert!(matches!(
            claims.principal,
            SessionPrincipal::AssumedRole { ref role_name, ref session_name, .. }
                if role_name == "worker" && session_name == "session"
        ));
    }

    #[tokio::test]
    async fn dev_mode_trusts_without_asking() {
        let app = app(true).await;
        let untrusted = role(&trust_of("ec2.amazonaws.com", ""));
        assert_eq!(
            trusts(
                &app,
                &ask(
                    "glue.amazonaws.com",
                    &untrusted,
                    "arn:aws:glue:us-east-1:123456789012:job/j"
                )
            ),
            Ok(())
        );
    }
}
