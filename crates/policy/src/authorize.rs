//! The whole AWS authorization chain for one request (IAM User Guide, "Policy evaluation
//! logic" and "Cross-account policy evaluation logic"):
//!
//! 1. an explicit `Deny` in any applicable policy denies;
//! 2. resource control policies (deny-only in effect: `RCPFullAWSAccess` is attached at
//!    every level and cannot be detached);
//! 3. service control policies: every level from the root down needs an `Allow`;
//! 4. the resource-based policy: a grant to the caller itself is final in the same account;
//!    a grant to a role is still limited by the boundary and session policies; a grant to
//!    the account delegates to the account's own policies. Role trust policies and KMS key
//!    policies must allow explicitly; across accounts both sides must allow;
//! 5. identity-based policies, 6. the permissions boundary, 7. session policies.
//!
//! `sts:GetCallerIdentity` is always allowed.

use crate::compile::CompiledPolicy;
use crate::document::Effect;
use crate::principal::{Grant, PrincipalKind};
use crate::request::Request;
use portcullis_catalog::catalog;
use smallvec::SmallVec;
use std::sync::Arc;

/// The policies that apply to a request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policies<'a> {
    /// Identity-based policies of the caller (a user's own and its groups', or a role's).
    pub identity: &'a [Arc<CompiledPolicy>],
    /// The resource-based policy of the target (a bucket policy, a role trust policy, …).
    pub resource: Option<&'a CompiledPolicy>,
    /// The caller's permissions boundary.
    pub boundary: Option<&'a CompiledPolicy>,
    /// Session policies passed when the session was created; `None` when none were.
    pub session: Option<&'a [Arc<CompiledPolicy>]>,
    /// Service control policies of the caller's account, one list per level from the
    /// organization root down to the account. Empty when the account is not governed.
    pub scps: &'a [Vec<Arc<CompiledPolicy>>],
    /// Resource control policies of the resource's account, one list per level.
    pub rcps: &'a [Vec<Arc<CompiledPolicy>>],
}

/// The kind of policy a statement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// A service control policy.
    Scp,
    /// A resource control policy.
    Rcp,
    /// The resource-based policy.
    Resource,
    /// An identity-based policy.
    Identity,
    /// The permissions boundary.
    Boundary,
    /// A session policy.
    Session,
}

/// A statement that decided (part of) a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementRef {
    /// Which kind of policy.
    pub layer: Layer,
    /// For SCPs and RCPs: the level (0 = organization root).
    pub level: u16,
    /// Index of the policy within its layer (and level).
    pub policy: u16,
    /// Index of the statement within the policy.
    pub statement: u32,
    /// The statement's effect.
    pub effect: Effect,
}

/// The final answer, in the AWS policy simulator's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// `allowed`
    Allowed,
    /// `explicitDeny`
    ExplicitDeny,
    /// `implicitDeny`
    ImplicitDeny,
}

impl Outcome {
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::ExplicitDeny => "explicitDeny",
            Outcome::ImplicitDeny => "implicitDeny",
        }
    }
}

/// Why the outcome is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// `sts:GetCallerIdentity` needs no permission and cannot be denied.
    AlwaysAllowed,
    /// The root user may do anything in its own account that nothing denies.
    RootUser,
    /// Allowed by the resource-based policy, naming the caller this way.
    ResourcePolicy(Grant),
    /// Allowed by the caller's identity-based policies (within boundary and session policy).
    IdentityPolicies,
    /// Allowed by both sides of a cross-account request.
    CrossAccount,
    /// A `Deny` statement in this kind of policy matched.
    ExplicitDeny(Layer),
    /// No service control policy at this level (0 = root) allows the action.
    NoScpAllow(u16),
    /// The resource-based policy does not allow the caller (and it must: cross-account
    /// requests, role trust policies, key policies, service and anonymous callers).
    NoResourcePolicyAllow,
    /// No identity-based policy allows the action.
    NoIdentityPolicyAllow,
    /// The permissions boundary does not allow the action.
    NoBoundaryAllow,
    /// No session policy allows the action (or a federated-user session has none).
    NoSessionPolicyAllow,
    /// The root user called AssumeRole: "Roles may not be assumed by root accounts"
    /// (STS API reference, AssumeRole).
    RootCannotAssumeRoles,
}

/// An authorization decision with the statements that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The outcome.
    pub outcome: Outcome,
    /// Why.
    pub reason: Reason,
    /// The decisive statements: the matching deny; the allows that made the request pass
    /// each layer; or, for an implicit deny, the allows that were found but not enough.
    pub statements: SmallVec<[StatementRef; 4]>,
}

impl Decision {
    /// True when the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.outcome == Outcome::Allowed
    }
}

#[derive(Default, Clone, Copy)]
struct LayerResult {
    deny: Option<StatementRef>,
    allow: Option<StatementRef>,
    grant: Option<Grant>,
}

fn evaluate_layer<'p>(
    policies: impl Iterator<Item = &'p CompiledPolicy>,
    layer: Layer,
    level: u16,
    request: &Request,
    has_boundary: bool,
) -> LayerResult {
    let mut out = LayerResult::default();
    for (i, policy) in policies.enumerate() {
        if out.allow.is_some() && !policy.has_deny && layer != Layer::Resource {
            continue;
        }
        let m = policy.evaluate(request, has_boundary);
        let at = |statement: u32, effect: Effect| StatementRef {
            layer,
            level,
            policy: i as u16,
            statement,
            effect,
        };
        if let Some(d) = m.deny {
            out.deny = Some(at(d, Effect::Deny));
            return out;
        }
        if let Some(a) = m.allow
            && (out.allow.is_none() || m.grant > out.grant)
        {
            out.allow = Some(at(a, Effect::Allow));
            out.grant = m.grant;
        }
    }
    out
}

/// True for actions authorized against a role trust policy.
fn is_trust_action(action: &str) -> bool {
    matches!(
        action,
        "sts:assumerole"
            | "sts:assumerolewithsaml"
            | "sts:assumerolewithwebidentity"
            | "sts:tagsession"
            | "sts:setsourceidentity"
            | "sts:setcontext"
    )
}

/// Authorizes a request against its policies.
pub fn authorize(request: &Request, policies: &Policies<'_>) -> Decision {
    let mut statements: SmallVec<[StatementRef; 4]> = SmallVec::new();
    let decide = |outcome, reason, statements| Decision {
        outcome,
        reason,
        statements,
    };
    if request.action_lower == "sts:getcalleridentity" {
        return decide(Outcome::Allowed, Reason::AlwaysAllowed, statements);
    }
    let principal = &request.principal;
    let has_boundary = policies.boundary.is_some();
    let deny = |r: StatementRef, statements: &mut SmallVec<[StatementRef; 4]>| {
        statements.clear();
        statements.push(r);
        Decision {
            outcome: Outcome::ExplicitDeny,
            reason: Reason::ExplicitDeny(r.layer),
            statements: std::mem::take(statements),
        }
    };

    let organizations_apply = principal.has_identity() && !principal.is_service_linked_role();
    let mut scp_gap = None;
    if organizations_apply {
        for (level, policies_at) in policies.scps.iter().enumerate() {
            let r = evaluate_layer(
                policies_at.iter().map(|p| &**p),
                Layer::Scp,
                level as u16,
                request,
                has_boundary,
            );
            if let Some(d) = r.deny {
                return deny(d, &mut statements);
            }
            match r.allow {
                Some(a) => statements.push(a),
                None => {
                    scp_gap.get_or_insert(level as u16);
                }
            }
        }
    }
    let rcps_apply =
        !principal.is_service_linked_role() && catalog().rcp_supported(request.service());
    if rcps_apply {
        for (level, policies_at) in policies.rcps.iter().enumerate() {
            let r = evaluate_layer(
                policies_at.iter().map(|p| &**p),
                Layer::Rcp,
                level as u16,
                request,
                has_boundary,
            );
            if let Some(d) = r.deny {
                return deny(d, &mut statements);
            }
        }
    }
    let resource = match policies.resource {
        Some(p) => evaluate_layer(
            std::iter::once(p),
            Layer::Resource,
            0,
            request,
            has_boundary,
        ),
        None => LayerResult::default(),
    };
    if let Some(d) = resource.deny {
        return deny(d, &mut statements);
    }
    let identity = evaluate_layer(
        policies.identity.iter().map(|p| &**p),
        Layer::Identity,
        0,
        request,
        has_boundary,
    );
    if let Some(d) = identity.deny {
        return deny(d, &mut statements);
    }
    let boundary = match policies.boundary {
        Some(p) => evaluate_layer(
            std::iter::once(p),
            Layer::Boundary,
            0,
            request,
            has_boundary,
        ),
        None => LayerResult::default(),
    };
    if let Some(d) = boundary.deny {
        return deny(d, &mut statements);
    }
    let session = match policies.session {
        Some(ps) => evaluate_layer(
            ps.iter().map(|p| &**p),
            Layer::Session,
            0,
            request,
            has_boundary,
        ),
        None => LayerResult::default(),
    };
    if let Some(d) = session.deny {
        return deny(d, &mut statements);
    }

    if let Some(level) = scp_gap {
        statements.clear();
        return decide(Outcome::ImplicitDeny, Reason::NoScpAllow(level), statements);
    }
    let partial: SmallVec<[StatementRef; 4]> = [
        resource.allow,
        identity.allow,
        boundary.allow,
        session.allow,
    ]
    .into_iter()
    .flatten()
    .collect();
    let implicit = |reason| decide(Outcome::ImplicitDeny, reason, partial.clone());

    if !principal.has_identity() {
        return match resource.allow {
            Some(a) => {
                statements.push(a);
                decide(
                    Outcome::Allowed,
                    Reason::ResourcePolicy(Grant::Direct),
                    statements,
                )
            }
            None => implicit(Reason::NoResourcePolicyAllow),
        };
    }

    let is_root = principal.kind == PrincipalKind::Root;
    if is_root && request.action_lower.starts_with("sts:assumerole") {
        return implicit(Reason::RootCannotAssumeRoles);
    }
    let boundary_ok = policies.boundary.is_none() || boundary.allow.is_some();
    let session_ok = match policies.session {
        _ if is_root => true,
        None => principal.kind != PrincipalKind::FederatedUser,
        Some(_) => session.allow.is_some(),
    };
    let chain = if is_root {
        Ok(())
    } else if identity.allow.is_none() {
        Err(Reason::NoIdentityPolicyAllow)
    } else if !boundary_ok {
        Err(Reason::NoBoundaryAllow)
    } else if !session_ok {
        Err(Reason::NoSessionPolicyAllow)
    } else {
        Ok(())
    };
    let push_chain = |statements: &mut SmallVec<[StatementRef; 4]>| {
        statements.extend(
            [identity.allow, boundary.allow, session.allow]
                .into_iter()
                .flatten(),
        );
    };
    let trust = is_trust_action(&request.action_lower) && policies.resource.is_some();
    let strict = trust || request.service() == "kms";
    let cross_account = match (&principal.account, &request.resource_account) {
        (Some(p), Some(r)) => p != r,
        _ => false,
    };

    if cross_account {
        let Some(a) = resource.allow else {
            return implicit(Reason::NoResourcePolicyAllow);
        };
        if let Err(reason) = chain {
            return implicit(reason);
        }
        statements.push(a);
        push_chain(&mut statements);
        return decide(Outcome::Allowed, Reason::CrossAccount, statements);
    }

    match (resource.grant, resource.allow) {
        (Some(Grant::Direct), Some(a)) if !trust || boundary_ok => {
            statements.push(a);
            return decide(
                Outcome::Allowed,
                Reason::ResourcePolicy(Grant::Direct),
                statements,
            );
        }
        (Some(Grant::Role), Some(a)) if boundary_ok && session_ok => {
            statements.push(a);
            statements.extend([boundary.allow, session.allow].into_iter().flatten());
            return decide(
                Outcome::Allowed,
                Reason::ResourcePolicy(Grant::Role),
                statements,
            );
        }
        (Some(Grant::Direct | Grant::Role), Some(_)) if !boundary_ok => {
            return implicit(Reason::NoBoundaryAllow);
        }
        _ => {}
    }
    if strict && resource.allow.is_none() {
        return implicit(Reason::NoResourcePolicyAllow);
    }
    match chain {
        Ok(()) => {
            statements.extend(resource.allow);
            push_chain(&mut statements);
            let reason = if is_root {
                Reason::RootUser
            } else {
                Reason::IdentityPolicies
            };
            decide(Outcome::Allowed, reason, statements)
        }
        Err(reason) => implicit(reason),
    }
}
