//! IssueWorkloadIdentityContext: the attestation document checked, the template's
//! attestation policy evaluated with the attested values as condition keys, the workload
//! identifier rendered from the template, and, for a target role, a sealed context
//! assertion that AssumeRole redeems.
//!
//! AccessDenied (as AWS answers it, without saying which) when the template does not exist,
//! belongs to another account, has no attestation policy, or its policy does not allow
//! the caller for these values, and when the target role does not exist or is in another
//! account. A stored identifier that cannot be rendered is
//! `InvalidWorkloadIdentityConfiguration` and an attested value that cannot be rendered
//! `InvalidAttestationDocument`; their `reason` ends the message (the protocol layer
//! carries no `reason` member).

use super::assertion::{self, ContextClaims};
use super::attestation::{self, condition_key};
use crate::authz::{caller_auth, caller_context};
use crate::call::Ctx;
use crate::call::input::required;
use crate::error::Error;
use crate::iam::workload_identity::templates::pattern::{RenderError, render_subject};
use crate::time::now_millis;
use portcullis_policy::{CompiledPolicy, Request};
use portcullis_protocol::Timestamp;
use portcullis_protocol::sts::{
    IssueWorkloadIdentityContextInput, IssueWorkloadIdentityContextOutput, ProvidedContext,
    StsErrorCode,
};
use std::collections::BTreeMap;

/// The action an attestation policy allows.
const ACTION: &str = "sts:IssueWorkloadIdentityContext";
/// The longest workload identifier, in characters.
const MAX_SUBJECT_CHARS: usize = 256;
/// The longest context assertion (the model's `contextAssertionType`).
const MAX_ASSERTION_CHARS: usize = 3072;
/// How long a context is accepted unless asked otherwise, in seconds.
const DEFAULT_DURATION_SECONDS: i64 = 60;

/// `InvalidWorkloadIdentityConfiguration` with its reason.
fn bad_configuration(reason: &str, message: &str) -> Error {
    Error::aws(
        StsErrorCode::InvalidWorkloadIdentityConfiguration,
        format!("{message} (reason: {reason})"),
    )
}

/// The account segment of an ARN.
fn arn_account(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or_default()
}

/// IssueWorkloadIdentityContext.
pub(crate) async fn issue_workload_identity_context(
    ctx: &Ctx<'_>,
    input: IssueWorkloadIdentityContextInput,
) -> Result<IssueWorkloadIdentityContextOutput, Error> {
    let template_arn = required(
        input.workload_identity_template_arn.as_deref(),
        "WorkloadIdentityTemplateArn",
    )?;
    let pairs = attestation::parse_document(&input.attestation_document)?;
    let attested: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (condition_key(k), v.clone()))
        .collect();
    let target = input.target_role_arn.as_deref();
    let not_authorized = |resource: &str| {
        Error::denied(format!(
            "User: {} is not authorized to perform: {ACTION} on resource: {resource}",
            ctx.caller.principal.arn
        ))
    };
    let (provider, template, role_arn) = ctx.app.read(|e| {
        let denied = || not_authorized(template_arn);
        let template = e
            .workload_templates
            .get(template_arn)
            .cloned()
            .ok_or_else(denied)?;
        // The source account (the caller's) must own an account-scoped template.
        let owner = arn_account(&template.arn);
        if owner != ctx.caller.account {
            return Err(denied());
        }
        let provider = e
            .workload_providers
            .get(&template.provider_arn)
            .cloned()
            .ok_or_else(denied)?;
        let text = template.attestation_policy.as_deref().ok_or_else(denied)?;
        let policy = CompiledPolicy::parse(text).map_err(|_| denied())?;
        let auth = caller_auth(ctx.app, e, ctx.caller)?;
        let mut context = caller_context(ctx.caller, "sts", &auth);
        context.insert("aws:SourceAccount", &ctx.caller.account);
        for (key, value) in &attested {
            context.insert(key, value);
        }
        let request = Request::builder(ctx.caller.principal.clone(), ACTION, &template.arn)
            .context(context)
            .resource_account(Some(owner))
            .build()?;
        let applies = policy.evaluate(&request, false);
        if applies.deny.is_some() || applies.allow.is_none() {
            return Err(denied());
        }
        let role_arn = match target {
            None => None,
            Some(arn) => Some(
                e.roles
                    .values()
                    .find(|r| r.arn == arn && arn_account(&r.arn) == owner)
                    .map(|r| r.arn.clone())
                    .ok_or_else(|| not_authorized(arn))?,
            ),
        };
        Ok::<_, Error>((provider, template, role_arn))
    })?;
    let subject = render_subject(&provider, &template, &attested).map_err(|e| match &e {
        RenderError::Unresolved(_) => {
            attestation::invalid("unresolvedTemplateVariable", &e.to_string())
        }
        RenderError::InvalidValue(_) => attestation::invalid("invalidValue", &e.to_string()),
        RenderError::NoDomain | RenderError::BadPattern(_) => {
            bad_configuration("unrenderableTemplate", &e.to_string())
        }
    })?;
    if subject.chars().count() > MAX_SUBJECT_CHARS {
        return Err(bad_configuration(
            "identifierTooLarge",
            "The workload identifier is longer than 256 characters.",
        ));
    }
    let Some(role_arn) = role_arn else {
        return Ok(IssueWorkloadIdentityContextOutput {
            provided_context: ProvidedContext {
                provider_arn: Some(provider.arn),
                context_assertion: None,
            },
            subject,
            ..Default::default()
        });
    };
    let now = now_millis() / 1000 * 1000;
    let expires = now + input.duration_seconds.unwrap_or(DEFAULT_DURATION_SECONDS) * 1000;
    let session_expires = input.session_duration_seconds.map(|s| now + s * 1000);
    let claims = ContextClaims {
        kind: ContextClaims::kind(),
        subject: subject.clone(),
        provider_arn: provider.arn.clone(),
        template_arn: template.arn.clone(),
        role_arn,
        audience: ctx.caller.principal.arn.clone(),
        source_account: ctx.caller.account.clone(),
        issued: now,
        expires,
        session_expires,
    };
    let sealed = assertion::seal(ctx.app, &claims);
    if sealed.len() > MAX_ASSERTION_CHARS {
        return Err(attestation::invalid(
            "tooLarge",
            "The context assertion built from the attestation document is too large to pass to AssumeRole.",
        ));
    }
    Ok(IssueWorkloadIdentityContextOutput {
        provided_context: ProvidedContext {
            provider_arn: Some(provider.arn),
            context_assertion: Some(sealed),
        },
        subject,
        audience: Some(claims.audience),
        expiration: Some(Timestamp::from_millis(expires)),
        session_expiration: session_expires.map(Timestamp::from_millis),
    })
}
