//! Decisions explained: the AWS-format AccessDenied sentence and the statements that
//! decided, named by where their policy sits.

use crate::authorize::{Decision, Layer, Outcome, Policies, Reason, StatementRef};
use crate::compile::CompiledPolicy;
use crate::principal::Grant;
use crate::request::Request;
use std::fmt::Write;

/// A statement that decided a request, described for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementDescription {
    /// Where its policy sits: `identity_policies[1]`, `scps[0][2]`, `resource_policy`, …
    pub policy: String,
    /// The policy's name, when it has one (an ARN, an `Id`…).
    pub policy_name: Option<String>,
    /// Index of the statement in the policy.
    pub statement: u32,
    /// Its `Sid`.
    pub sid: Option<String>,
    /// `Allow` or `Deny`.
    pub effect: &'static str,
}

/// A decision in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// One sentence in AWS's format, then what decided it.
    pub message: String,
    /// The decisive statements.
    pub statements: Vec<StatementDescription>,
}

impl Layer {
    /// The indefinite article AWS puts before [`Layer::aws_name`].
    pub fn article(self) -> &'static str {
        match self {
            Layer::Identity => "an",
            _ => "a",
        }
    }

    /// How AWS names this kind of policy in AccessDenied messages.
    pub fn aws_name(self) -> &'static str {
        match self {
            Layer::Scp => "service control policy",
            Layer::Rcp => "resource control policy",
            Layer::Resource => "resource-based policy",
            Layer::Identity => "identity-based policy",
            Layer::Boundary => "permissions boundary",
            Layer::Session => "session policy",
        }
    }
}

fn locate<'a>(r: &StatementRef, policies: &Policies<'a>) -> (String, Option<&'a CompiledPolicy>) {
    let i = r.policy as usize;
    let level = r.level as usize;
    match r.layer {
        Layer::Scp => (
            format!("scps[{level}][{i}]"),
            policies
                .scps
                .get(level)
                .and_then(|l| l.get(i))
                .map(|p| &**p),
        ),
        Layer::Rcp => (
            format!("rcps[{level}][{i}]"),
            policies
                .rcps
                .get(level)
                .and_then(|l| l.get(i))
                .map(|p| &**p),
        ),
        Layer::Resource => ("resource_policy".to_string(), policies.resource),
        Layer::Identity => (
            format!("identity_policies[{i}]"),
            policies.identity.get(i).map(|p| &**p),
        ),
        Layer::Boundary => ("permissions_boundary".to_string(), policies.boundary),
        Layer::Session => (
            if policies.session.is_some_and(|s| s.len() == 1) {
                "session_policy".to_string()
            } else {
                format!("session_policies[{i}]")
            },
            policies.session.and_then(|s| s.get(i)).map(|p| &**p),
        ),
    }
}

impl Decision {
    /// The decision as AWS words it, without the statements: for a denial, the message of
    /// its AccessDenied error ("User: … is not authorized to perform: … on resource: …
    /// because no identity-based policy allows the … action").
    pub fn sentence(&self, request: &Request) -> String {
        let who = request.principal().display();
        let action = request.action();
        let resource = request.resource();
        match self.outcome {
            Outcome::Allowed => format!(
                "User: {who} is allowed to perform: {action} on resource: {resource} {}",
                self.because(action)
            ),
            _ => format!(
                "User: {who} is not authorized to perform: {action} on resource: {resource} {}",
                self.because(action)
            ),
        }
    }

    /// The reason clause of [`Decision::sentence`] ("because no identity-based policy allows
    /// the iam:CreateRole action", "with an explicit deny in a permissions boundary", …), for
    /// callers that name the resource their own way.
    pub fn because(&self, action: &str) -> String {
        match self.outcome {
            Outcome::Allowed => allowed_because(self.reason),
            _ => denied_because(self.reason, action),
        }
    }

    /// Describes the decision: the AWS-format sentence and the decisive statements.
    pub fn explain(&self, request: &Request, policies: &Policies<'_>) -> Explanation {
        let statements: Vec<StatementDescription> = self
            .statements
            .iter()
            .map(|r| {
                let (policy, compiled) = locate(r, policies);
                StatementDescription {
                    policy,
                    policy_name: compiled.and_then(|p| p.name()).map(str::to_string),
                    statement: r.statement,
                    sid: compiled
                        .and_then(|p| p.sid(r.statement as usize))
                        .map(str::to_string),
                    effect: r.effect.as_str(),
                }
            })
            .collect();
        let mut message = self.sentence(request);
        if !statements.is_empty() {
            message.push_str(" (");
            for (i, s) in statements.iter().enumerate() {
                if i > 0 {
                    message.push_str("; ");
                }
                let _ = write!(message, "{} statement {}", s.effect, s.statement);
                if let Some(sid) = &s.sid {
                    let _ = write!(message, " \"{sid}\"");
                }
                let _ = write!(message, " of {}", s.policy);
                if let Some(name) = &s.policy_name {
                    let _ = write!(message, " {name}");
                }
            }
            message.push(')');
        }
        Explanation {
            message,
            statements,
        }
    }
}

fn allowed_because(reason: Reason) -> String {
    match reason {
        Reason::AlwaysAllowed => "because sts:GetCallerIdentity needs no permission".into(),
        Reason::RootUser => "as the account's root user".into(),
        Reason::ResourcePolicy(Grant::Direct) => {
            "because a resource-based policy allows the caller".into()
        }
        Reason::ResourcePolicy(Grant::Role) => {
            "because a resource-based policy allows the caller's role, within its permissions boundary and session policy".into()
        }
        Reason::ResourcePolicy(Grant::Account) | Reason::IdentityPolicies => {
            "because an identity-based policy allows it".into()
        }
        Reason::CrossAccount => {
            "because both the resource-based policy and the caller's identity-based policy allow it".into()
        }
        _ => String::new(),
    }
}

fn denied_because(reason: Reason, action: &str) -> String {
    let no = |what: &str| format!("because no {what} allows the {action} action");
    match reason {
        Reason::ExplicitDeny(layer) => format!(
            "with an explicit deny in {} {}",
            layer.article(),
            layer.aws_name()
        ),
        Reason::RootCannotAssumeRoles => "because roles may not be assumed by root accounts".into(),
        Reason::NoScpAllow(level) => format!(
            "{} at level {level} of the organization",
            no(Layer::Scp.aws_name())
        ),
        Reason::NoResourcePolicyAllow => no(Layer::Resource.aws_name()),
        Reason::NoIdentityPolicyAllow => no(Layer::Identity.aws_name()),
        Reason::NoBoundaryAllow => no(Layer::Boundary.aws_name()),
        Reason::NoSessionPolicyAllow => no(Layer::Session.aws_name()),
        _ => String::new(),
    }
}
