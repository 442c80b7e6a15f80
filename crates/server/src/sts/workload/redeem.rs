//! AssumeRole with a workload identity context in `ProvidedContexts`: the context must be
//! the only entry, open with this server's key, name the provider it is passed with, be
//! unexpired, and be redeemed by the caller it was issued to, for the role it names. The
//! provider and template must still exist. The role session then carries the workload
//! identity and ends no later than the context's session expiration.
//!
//! Entries whose provider is not a workload identity provider are left to AssumeRole as
//! before. A malformed, expired or foreign assertion is `InvalidContextAssertion` (STS API
//! reference: "malformed, has expired, or does not match a trusted context provider"); a
//! context of another caller or for another role is the AccessDenied of the assumption.
//! The sentences of the messages are Portcullis's.

use super::assertion;
use crate::auth::session::WorkloadIdentity;
use crate::call::Ctx;
use crate::error::Error;
use crate::time::now_millis;
use portcullis_protocol::CommonErrorCode;
use portcullis_protocol::sts::{ProvidedContext, StsErrorCode};

/// What a redeemed context gives the role session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Redeemed {
    /// The workload identity of the session.
    pub identity: WorkloadIdentity,
    /// The latest end of the session (milliseconds since the Unix epoch), if the context
    /// limits it.
    pub session_expires: Option<i64>,
}

impl Redeemed {
    /// `seconds` capped so that a session starting now ends no later than the context
    /// allows.
    pub(crate) fn cap_seconds(&self, seconds: i64, now_millis: i64) -> i64 {
        match self.session_expires {
            Some(end) => seconds.min((end - now_millis) / 1000).max(1),
            None => seconds,
        }
    }
}

/// True for the ARN of a workload identity provider.
fn is_workload_provider(arn: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    parts.next() == Some("arn")
        && parts.next().is_some()
        && parts.next() == Some("iam")
        && parts.next() == Some("")
        && parts.next().is_some()
        && parts
            .next()
            .is_some_and(|r| r.starts_with("workload-identity-provider/"))
}

/// The `ProviderArn` of a provided context.
fn provider_of(context: &ProvidedContext) -> &str {
    context.provider_arn.as_deref().unwrap_or_default()
}

fn invalid(message: &str) -> Error {
    Error::aws(StsErrorCode::InvalidContextAssertion, message)
}

/// Redeems the workload identity context of an AssumeRole request for `role_arn`, if the
/// request passes one in its `contexts` (`ProvidedContexts`); `denied` is the assumption's
/// AccessDenied.
pub(crate) fn redeem(
    ctx: &Ctx<'_>,
    contexts: Option<&[ProvidedContext]>,
    role_arn: &str,
    denied: impl Fn() -> Error,
) -> Result<Option<Redeemed>, Error> {
    let Some(contexts) = contexts else {
        return Ok(None);
    };
    let Some(entry) = contexts
        .iter()
        .find(|c| is_workload_provider(provider_of(c)))
    else {
        return Ok(None);
    };
    if contexts.len() > 1 {
        return Err(Error::aws(
            CommonErrorCode::InvalidParameterValue,
            "A workload identity context must be the only entry in ProvidedContexts.",
        ));
    }
    let provider_arn = provider_of(entry);
    let sealed = entry
        .context_assertion
        .as_deref()
        .ok_or_else(|| invalid("The provided context has no context assertion."))?;
    let claims = assertion::open(ctx.app, sealed)
        .filter(|c| c.provider_arn == provider_arn)
        .ok_or_else(|| invalid("The context assertion that was provided is invalid."))?;
    let now = now_millis();
    if claims.expires <= now || claims.session_expires.is_some_and(|end| end <= now) {
        return Err(invalid(
            "The context assertion that was provided has expired.",
        ));
    }
    if claims.audience != ctx.caller.principal.arn
        || claims.source_account != ctx.caller.account
        || claims.role_arn != role_arn
    {
        return Err(denied());
    }
    let live = ctx.app.read(|e| {
        e.workload_providers.contains_key(&claims.provider_arn)
            && e.workload_templates
                .get(&claims.template_arn)
                .is_some_and(|t| t.provider_arn == claims.provider_arn)
    });
    if !live {
        return Err(invalid(
            "The context assertion does not match a trusted context provider.",
        ));
    }
    Ok(Some(Redeemed {
        identity: WorkloadIdentity {
            subject: claims.subject,
            provider_arn: claims.provider_arn,
            template_arn: claims.template_arn,
        },
        session_expires: claims.session_expires,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_workload_provider_arns() {
        assert!(is_workload_provider(
            "arn:aws:iam::123456789012:workload-identity-provider/p"
        ));
        assert!(is_workload_provider(
            "arn:aws:iam::o-abcdefghij:workload-identity-provider/p"
        ));
        assert!(!is_workload_provider(
            "arn:aws:iam::aws:contextProvider/IdentityCenter"
        ));
        assert!(!is_workload_provider("workload-identity-provider/p"));
    }

    #[test]
    fn sessions_end_no_later_than_the_context_allows() {
        let r = Redeemed {
            identity: WorkloadIdentity {
                subject: "s".into(),
                provider_arn: "p".into(),
                template_arn: "t".into(),
            },
            session_expires: Some(1_000_000 + 900_000),
        };
        assert_eq!(r.cap_seconds(3600, 1_000_000), 900);
        assert_eq!(r.cap_seconds(600, 1_000_000), 600);
        let unlimited = Redeemed {
            session_expires: None,
            ..r
        };
        assert_eq!(unlimited.cap_seconds(3600, 1_000_000), 3600);
    }
}
