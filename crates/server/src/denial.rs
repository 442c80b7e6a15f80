//! Encoded authorization failure messages: what a denial was about (principal, action,
//! resource, context, decisive statements), sealed so that only this server's
//! DecodeAuthorizationMessage can read it. AccessDenied answers carry it in the
//! `x-portcullis-authorization-message` header; the decoded form follows the shape of
//! AWS's decoded messages.

use crate::app::App;
use portcullis_policy::{Decision, Outcome, Policies, Request};
use serde_json::{Value, json};

/// The header that carries the encoded message of an AccessDenied answer.
pub(crate) const HEADER: &str = "x-portcullis-authorization-message";

/// Encodes what decided a denial.
pub(crate) fn encode(
    app: &App,
    request: &Request,
    decision: &Decision,
    policies: &Policies<'_>,
) -> String {
    let explanation = decision.explain(request, policies);
    let mut conditions: Vec<Value> = request
        .context()
        .iter()
        .map(|(k, v)| {
            json!({
                "key": k,
                "values": {"items": v.values().iter().map(|x| json!({"value": x})).collect::<Vec<_>>()},
            })
        })
        .collect();
    conditions.sort_by(|a, b| a["key"].as_str().cmp(&b["key"].as_str()));
    let statements: Vec<Value> = explanation
        .statements
        .iter()
        .map(|s| {
            json!({
                "statementId": s.sid,
                "effect": s.effect.to_uppercase(),
                "sourcePolicyId": s.policy_name.clone().unwrap_or_else(|| s.policy.clone()),
                "statementIndex": s.statement,
            })
        })
        .collect();
    let principal = request.principal();
    let message = json!({
        "allowed": decision.outcome == Outcome::Allowed,
        "explicitDeny": decision.outcome == Outcome::ExplicitDeny,
        "matchedStatements": {"items": statements},
        "failures": {"items": []},
        "explanation": explanation.message,
        "context": {
            "principal": {
                "id": request.context().get("aws:userid").map(|v| v.values().join(",")),
                "name": principal.name,
                "arn": principal.arn,
            },
            "action": request.action(),
            "resource": request.resource(),
            "conditions": {"items": conditions},
        },
    });
    app.sessions.seal_bytes(message.to_string().as_bytes())
}

/// Decodes an encoded message; `None` when this server did not make it.
pub(crate) fn decode(app: &App, encoded: &str) -> Option<String> {
    String::from_utf8(app.sessions.open_bytes(encoded.trim())?).ok()
}
