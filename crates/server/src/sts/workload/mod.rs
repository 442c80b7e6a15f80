//! STS workload identity: IssueWorkloadIdentityContext (a workload identity context for a
//! role), the redemption of that context by AssumeRole (`ProvidedContexts`), and what a
//! role session with a workload identity can get: X509-SVIDs (GetCertificate) and
//! JWT-SVIDs (GetWebIdentityToken with `TokenType=JWT_SVID`); and the trust bundles that
//! verify them (GetTrustBundles).
//!
//! Who may issue a context: in AWS, a service principal running the workload. Portcullis
//! has no service principals calling in, so any authenticated caller that its own policies
//! allow `sts:IssueWorkloadIdentityContext` may ask, and the template's attestation policy
//! decides with the caller's own principal (its ARN as an `AWS` principal: a statement
//! naming a `Service` principal never matches a Portcullis caller). The account the caller
//! acts for (`aws:SourceAccount`) is the caller's own account; a Portcullis request has no
//! way to name a source ARN, so `aws:SourceArn` is never present. The context's audience is
//! the caller's ARN: only that principal can redeem it.
//!
//! The sentences of the messages are Portcullis's where AWS's are not documented.

use portcullis_protocol::sts::StsErrorCode;
mod assertion;
mod attestation;
mod bundle;
mod context;
mod csr;
mod redeem;
mod svid;

pub(super) use bundle::get_trust_bundles;
pub(super) use context::issue_workload_identity_context;
pub(super) use redeem::redeem;
pub(super) use svid::get_certificate;
pub(super) use svid::jwt_svid;

use crate::auth::session::{SessionPrincipal, WorkloadIdentity};
use crate::call::Ctx;
use crate::error::Error;
use portcullis_store::{WorkloadIdentityProvider, WorkloadIdentityTemplate};

/// AccessDenied for `action`, with why.
fn denied(ctx: &Ctx<'_>, action: &str, why: &str) -> Error {
    Error::denied(format!(
        "User: {} is not authorized to perform: {action} because {why}",
        ctx.caller.principal.arn
    ))
}

/// The workload identity of the calling role session; AccessDenied for any other caller.
fn session_identity(ctx: &Ctx<'_>, action: &str) -> Result<WorkloadIdentity, Error> {
    ctx.caller
        .session
        .as_deref()
        .filter(|s| matches!(s.principal, SessionPrincipal::AssumedRole { .. }))
        .and_then(|s| s.workload_identity.clone())
        .ok_or_else(|| denied(ctx, action, "the calling session has no workload identity"))
}

/// The provider and template of a session's workload identity, as they are now: both must
/// still exist and the provider must use the SPIFFE naming scheme (AccessDenied otherwise).
fn live_spiffe_identity(
    ctx: &Ctx<'_>,
    identity: &WorkloadIdentity,
    action: &str,
) -> Result<(WorkloadIdentityProvider, WorkloadIdentityTemplate), Error> {
    let found = ctx.app.read(|e| {
        let provider = e.workload_providers.get(&identity.provider_arn)?.clone();
        let template = e.workload_templates.get(&identity.template_arn)?.clone();
        Some((provider, template))
    });
    let (provider, template) = found.ok_or_else(|| {
        denied(
            ctx,
            action,
            "the workload identity provider or template of the calling session no longer exists",
        )
    })?;
    if !provider.scheme.eq_ignore_ascii_case("SPIFFE") {
        return Err(denied(
            ctx,
            action,
            "the workload identity provider of the calling session does not use the SPIFFE naming scheme",
        ));
    }
    Ok((provider, template))
}

/// `SignerNotConfiguredException` for a credential type.
fn signer_not_configured(provider: &WorkloadIdentityProvider, kind: &str) -> Error {
    Error::aws(
        StsErrorCode::SignerNotConfiguredException,
        format!(
            "The workload identity provider {} has no {kind} signer.",
            provider.arn
        ),
    )
}

#[cfg(test)]
mod tests;
