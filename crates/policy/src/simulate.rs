//! The request format of `portcullis policy simulate`: one JSON object per line in, one
//! decision per line out.
//!
//! Input line:
//! ```json
//! {"principal": "arn:aws:iam::111122223333:user/alice", "principal_tags": {"team": "ml"},
//!  "action": "s3:GetObject", "resource": "arn:aws:s3:::bucket/key",
//!  "resource_account": "111122223333", "context": {"aws:SourceIp": "10.1.2.3"},
//!  "identity_policies": [DOC], "resource_policy": DOC, "permissions_boundary": DOC,
//!  "session_policy": DOC, "scps": [[DOC]], "rcps": [[DOC]]}
//! ```
//! where a DOC is a policy as a JSON object or as a string holding one. Output line:
//! `{"decision": "allowed"|"explicitDeny"|"implicitDeny", "matched_statements": […],
//! "explanation": "…"}`, or `{"error": "…"}` for a line that cannot be read.

use crate::authorize::{Policies, authorize};
use crate::compile::CompiledPolicy;
use crate::context::Context;
use crate::error::PolicyError;
use crate::principal::Principal;
use crate::request::Request;
use crate::validate::{PolicyKind, ValidationOptions, validate};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::sync::Arc;

/// One simulation request, as read from a line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulateInput<'a> {
    /// The caller: a user, role session, root, federated user, service principal or `*`.
    pub principal: String,
    /// Tags of the caller (`aws:PrincipalTag/KEY`).
    #[serde(default)]
    pub principal_tags: FxHashMap<String, String>,
    /// The action, `service:Action`.
    pub action: String,
    /// The resource ARN; `*` when absent.
    #[serde(default)]
    pub resource: Option<String>,
    /// The account that owns the resource, when the ARN does not say.
    #[serde(default)]
    pub resource_account: Option<String>,
    /// Condition keys of the request: strings, numbers, booleans or arrays of them.
    #[serde(default)]
    pub context: serde_json::Map<String, serde_json::Value>,
    /// Identity-based policies of the caller.
    #[serde(default, borrow)]
    pub identity_policies: Vec<&'a RawValue>,
    /// The resource-based policy of the target.
    #[serde(default, borrow)]
    pub resource_policy: Option<&'a RawValue>,
    /// The caller's permissions boundary.
    #[serde(default, borrow)]
    pub permissions_boundary: Option<&'a RawValue>,
    /// The session policy the session was created with.
    #[serde(default, borrow)]
    pub session_policy: Option<&'a RawValue>,
    /// SCPs per level, from the organization root down.
    #[serde(default, borrow)]
    pub scps: Vec<Vec<&'a RawValue>>,
    /// RCPs per level, from the organization root down.
    #[serde(default, borrow)]
    pub rcps: Vec<Vec<&'a RawValue>>,
}

/// One decisive statement in the output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchedStatement {
    /// Where the policy sits in the input (`identity_policies[0]`, `scps[1][0]`, …).
    pub policy: String,
    /// The policy's `Id`, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    /// Index of the statement in the policy.
    pub statement: u32,
    /// The statement's `Sid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// `Allow` or `Deny`.
    pub effect: &'static str,
}

/// One decision, as written on a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimulateOutput {
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub decision: &'static str,
    /// The statements that decided.
    pub matched_statements: Vec<MatchedStatement>,
    /// The decision in words, starting with AWS's sentence.
    pub explanation: String,
}

#[derive(Serialize)]
struct ErrorLine<'a> {
    error: &'a str,
}

/// Simulates requests, compiling each distinct policy once.
#[derive(Default)]
pub struct Simulator {
    /// Compiled policies by kind and text.
    cache: FxHashMap<PolicyKind, FxHashMap<Box<str>, Arc<CompiledPolicy>>>,
    now: Option<i64>,
}

const CACHE_LIMIT: usize = 16_384;

impl Simulator {
    /// A simulator with no clock: `aws:CurrentTime` and `aws:EpochTime` are set only
    /// when a request gives them.
    pub fn new() -> Simulator {
        Simulator::default()
    }

    /// Sets the time (seconds since the Unix epoch) used for `aws:CurrentTime` and
    /// `aws:EpochTime` when a request does not give them.
    pub fn with_time(mut self, epoch_seconds: i64) -> Simulator {
        self.now = Some(epoch_seconds);
        self
    }

    /// Simulates one line and returns the output line (without a newline).
    pub fn simulate_line(&mut self, line: &str) -> String {
        let result = serde_json::from_str::<SimulateInput<'_>>(line)
            .map_err(|e| format!("the line is not a simulation request: {e}"))
            .and_then(|input| self.simulate(&input).map_err(|e| e.to_string()));
        let text = match result {
            Ok(out) => serde_json::to_string(&out),
            Err(e) => serde_json::to_string(&ErrorLine { error: &e }),
        };
        text.unwrap_or_else(|e| format!("{{\"error\":\"cannot write the result: {e}\"}}"))
    }

    /// Simulates one request.
    pub fn simulate(&mut self, input: &SimulateInput<'_>) -> Result<SimulateOutput, PolicyError> {
        let principal = Principal::parse(&input.principal)?;
        let mut context = Context::new();
        for (key, value) in &input.context {
            insert_context(&mut context, key, value)?;
        }
        // One moment: a request that gives one of the two keys gives the other too.
        context.complete_time(self.now);
        let mut builder = Request::builder(
            principal,
            &input.action,
            input.resource.as_deref().unwrap_or("*"),
        )
        .context(context)
        .resource_account(input.resource_account.as_deref());
        for (k, v) in &input.principal_tags {
            builder = builder.principal_tag(k, v);
        }
        let request = builder.build()?;

        let identity = self.compile_all(
            &input.identity_policies,
            PolicyKind::Identity,
            "identity_policies",
        )?;
        let resource = self.compile_opt(
            input.resource_policy,
            resource_kind(&request),
            "resource_policy",
        )?;
        let boundary = self.compile_opt(
            input.permissions_boundary,
            PolicyKind::Boundary,
            "permissions_boundary",
        )?;
        let session =
            self.compile_opt(input.session_policy, PolicyKind::Session, "session_policy")?;
        let scps = input
            .scps
            .iter()
            .enumerate()
            .map(|(i, level)| self.compile_all(level, PolicyKind::Scp, &format!("scps[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let rcps = input
            .rcps
            .iter()
            .enumerate()
            .map(|(i, level)| self.compile_all(level, PolicyKind::Rcp, &format!("rcps[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let session_list: Vec<Arc<CompiledPolicy>> = session.into_iter().collect();
        let policies = Policies {
            identity: &identity,
            resource: resource.as_deref(),
            boundary: boundary.as_deref(),
            session: if session_list.is_empty() {
                None
            } else {
                Some(&session_list)
            },
            scps: &scps,
            rcps: &rcps,
        };
        let decision = authorize(&request, &policies);
        let explanation = decision.explain(&request, &policies);
        Ok(SimulateOutput {
            decision: decision.outcome.as_str(),
            matched_statements: explanation
                .statements
                .into_iter()
                .map(|s| MatchedStatement {
                    policy: s.policy,
                    policy_id: s.policy_name,
                    statement: s.statement,
                    sid: s.sid,
                    effect: s.effect,
                })
                .collect(),
            explanation: explanation.message,
        })
    }

    fn compile_all(
        &mut self,
        docs: &[&RawValue],
        kind: PolicyKind,
        place: &str,
    ) -> Result<Vec<Arc<CompiledPolicy>>, PolicyError> {
        docs.iter()
            .enumerate()
            .map(|(i, d)| self.compile(d, kind, &format!("{place}[{i}]")))
            .collect()
    }

    fn compile_opt(
        &mut self,
        doc: Option<&RawValue>,
        kind: PolicyKind,
        place: &str,
    ) -> Result<Option<Arc<CompiledPolicy>>, PolicyError> {
        match doc {
            Some(d) if d.get() != "null" => self.compile(d, kind, place).map(Some),
            _ => Ok(None),
        }
    }

    fn compile(
        &mut self,
        doc: &RawValue,
        kind: PolicyKind,
        place: &str,
    ) -> Result<Arc<CompiledPolicy>, PolicyError> {
        let raw = doc.get();
        let text: std::borrow::Cow<'_, str> = if raw.starts_with('"') {
            serde_json::from_str::<String>(raw)
                .map_err(|e| PolicyError::Request(format!("{place}: {e}")))?
                .into()
        } else {
            raw.into()
        };
        if let Some(p) = self.cache.get(&kind).and_then(|c| c.get(&*text)) {
            return Ok(p.clone());
        }
        let options = ValidationOptions {
            check_size: false,
            warnings: false,
            ..ValidationOptions::new(kind)
        };
        let doc = validate(&text, &options)
            .into_result()
            .map_err(|e| match e {
                PolicyError::Invalid {
                    code,
                    message,
                    detail,
                } => PolicyError::Invalid {
                    code,
                    message,
                    detail: format!("{place}: {detail}"),
                },
                other => other,
            })?;
        let compiled = Arc::new(CompiledPolicy::compile(&doc));
        let cache = self.cache.entry(kind).or_default();
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(text.into(), compiled.clone());
        Ok(compiled)
    }
}

/// A resource policy of a role (a trust policy) is validated as one.
fn resource_kind(request: &Request) -> PolicyKind {
    let trust = request.action_lower.starts_with("sts:assumerole")
        || matches!(
            request.action_lower.as_str(),
            "sts:tagsession" | "sts:setsourceidentity" | "sts:setcontext"
        );
    if trust {
        PolicyKind::Trust
    } else {
        PolicyKind::Resource
    }
}

fn scalar(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn insert_context(
    context: &mut Context,
    key: &str,
    value: &serde_json::Value,
) -> Result<(), PolicyError> {
    let bad = || {
        PolicyError::Request(format!(
            "context key {key:?} must be a string, number, boolean or an array of them"
        ))
    };
    match value {
        serde_json::Value::Array(items) => {
            let values = items
                .iter()
                .map(|v| scalar(v).ok_or_else(bad))
                .collect::<Result<Vec<_>, _>>()?;
            context.insert_multi(key, values);
        }
        other => context.insert(key, &scalar(other).ok_or_else(bad)?),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulates_lines() {
        let mut sim = Simulator::new();
        let out = sim.simulate_line(
            r#"{"principal":"arn:aws:iam::111122223333:user/alice","action":"s3:GetObject","resource":"arn:aws:s3:::b/k",
            "identity_policies":[{"Version":"2012-10-17","Statement":{"Sid":"Read","Effect":"Allow","Action":"s3:Get*","Resource":"*"}}]}"#,
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["decision"], "allowed");
        assert_eq!(v["matched_statements"][0]["sid"], "Read");
        let out = sim.simulate_line(r#"{"principal":"nobody","action":"s3:GetObject"}"#);
        assert!(out.starts_with("{\"error\":"), "{out}");
        let out = sim.simulate_line("not json");
        assert!(out.starts_with("{\"error\":"), "{out}");
    }

    #[test]
    fn documents_may_be_strings_and_are_validated() {
        let mut sim = Simulator::new();
        let out = sim.simulate_line(
            r#"{"principal":"arn:aws:iam::111122223333:user/alice","action":"s3:GetObject",
            "identity_policies":["{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"}}"]}"#,
        );
        assert!(out.contains("should not specify a principal"), "{out}");
    }
}
