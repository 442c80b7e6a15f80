//! The trust check of the federated assumptions (AssumeRoleWithWebIdentity and
//! AssumeRoleWithSAML): the role's trust policy alone decides, for the provider as the
//! federated principal, each action the call needs (the assumption, and sts:TagSession and
//! sts:SetSourceIdentity when it passes tags or a source identity).

use crate::auth::session::SessionTag;
use crate::authz::{Ask, CallerAuth, caller_context, decide};
use crate::call::Ctx;
use crate::caller::Caller;
use crate::error::Error;
use portcullis_policy::{CompiledPolicy, Context, Principal};
use portcullis_store::Role;

/// What a federated assumption asks of the role's trust policy.
pub(super) struct FederatedAssumption<'a> {
    /// The assumption's action, e.g. `sts:AssumeRoleWithSAML`.
    pub action: &'static str,
    /// The ARN of the OIDC or SAML provider.
    pub provider_arn: &'a str,
    /// The role to assume.
    pub role: &'a Role,
    /// The session's name.
    pub session_name: &'a str,
    /// The session tags passed.
    pub tags: &'a [SessionTag],
    /// The keys of the tags that pass on to chained sessions.
    pub transitive: &'a [String],
    /// The source identity passed, if any.
    pub source_identity: Option<&'a str>,
}

/// The AWS error for an assumption the trust policy does not allow.
pub(super) fn not_authorized(action: &str) -> Error {
    Error::denied(format!("Not authorized to perform {action}"))
}

/// Authorizes `ask` with the role's trust policy; `provider_keys` adds the provider's
/// condition keys (`saml:*`, or the OIDC provider's `aud`, `sub`, …) to each request.
pub(super) fn authorize(
    ctx: &Ctx<'_>,
    ask: &FederatedAssumption<'_>,
    provider_keys: impl Fn(&mut Context),
) -> Result<(), Error> {
    let role = ask.role;
    let trust = CompiledPolicy::parse(&role.assume_role_policy_document)?;
    let caller = Caller {
        principal: Principal::parse(ask.provider_arn)?,
        account: ctx.app.account_id().to_string(),
        user_id: None,
        user_name: None,
        access_key_id: None,
        session: None,
        source_ip: ctx.caller.source_ip.clone(),
        region: ctx.caller.region.clone(),
    };
    let auth = CallerAuth {
        policies: None,
        session: None,
        principal_tags: Vec::new(),
        user_id: None,
    };
    let mut actions = vec![ask.action];
    if !ask.tags.is_empty() {
        actions.push("sts:TagSession");
    }
    if ask.source_identity.is_some() {
        actions.push("sts:SetSourceIdentity");
    }
    for action in actions {
        let mut c = caller_context(&caller, "sts", &auth);
        provider_keys(&mut c);
        c.insert("sts:RoleSessionName", ask.session_name);
        if let Some(s) = ask.source_identity {
            c.insert("sts:SourceIdentity", s);
        }
        if !ask.tags.is_empty() {
            for t in ask.tags {
                c.insert(&format!("aws:RequestTag/{}", t.key), &t.value);
            }
            c.insert_multi("aws:TagKeys", ask.tags.iter().map(|t| t.key.as_str()));
            c.insert_multi("sts:TransitiveTagKeys", ask.transitive.iter());
        }
        for t in &role.tags {
            c.insert(&format!("aws:ResourceTag/{}", t.key), &t.value);
        }
        let verdict = decide(
            ctx.app,
            &caller,
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
            return Err(not_authorized(action));
        }
    }
    Ok(())
}
