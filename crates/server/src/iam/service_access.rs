//! ListPoliciesGrantingServiceAccess: for each service namespace asked about, the
//! identity-based policies of a user (its own and its groups'), group or role with an
//! `Allow` statement for at least one action of that service (IAM API reference: other
//! policy types — boundaries, resource-based, organization and trust policies — are not
//! considered). A statement's `Action` patterns are matched against the service's actions
//! in the service authorization reference; a `NotAction` statement grants the service when
//! some action of it is left out of the list. For a namespace the reference does not know,
//! an action pattern grants it when its service part matches the namespace.

use crate::account::find_policy;
use crate::call::Ctx;
use crate::call::input::Page;
use crate::error::Error;
use portcullis_catalog::catalog;
use portcullis_policy::wildcard_match;
use portcullis_protocol::iam::{
    ListPoliciesGrantingServiceAccessEntry, ListPoliciesGrantingServiceAccessInput,
    ListPoliciesGrantingServiceAccessOutput, PolicyGrantingServiceAccess,
};
use portcullis_store::Entities;
use serde_json::Value;
use std::collections::BTreeMap;

/// A policy to look at: its output entry and its document.
struct Candidate {
    entry: PolicyGrantingServiceAccess,
    document: String,
}

/// The strings of a policy element that may be a string or a list.
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.to_lowercase()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_lowercase)
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether an action pattern (lower case) can match an action of `namespace`.
fn pattern_matches(pattern: &str, namespace: &str, actions: Option<&[String]>) -> bool {
    let service = pattern.split_once(':').map_or(pattern, |(s, _)| s);
    if pattern != "*" && !wildcard_match(service, namespace) {
        return false;
    }
    match actions {
        Some(list) => list.iter().any(|a| wildcard_match(pattern, a)),
        None => true,
    }
}

/// The Allow statements of a policy document: their `Action` and `NotAction` patterns,
/// lower-cased.
pub(super) struct Allows(Vec<(Vec<String>, Vec<String>)>);

impl Allows {
    /// Reads a document (a document that does not parse allows nothing).
    pub(super) fn of(document: &str) -> Allows {
        let Ok(doc) = serde_json::from_str::<Value>(document) else {
            return Allows(Vec::new());
        };
        let statements = match doc.get("Statement") {
            Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => Vec::new(),
        };
        Allows(
            statements
                .into_iter()
                .filter(|st| st.get("Effect").and_then(Value::as_str) == Some("Allow"))
                .map(|st| (strings(st.get("Action")), strings(st.get("NotAction"))))
                .collect(),
        )
    }

    /// Whether some statement allows some action of `namespace`.
    pub(super) fn grant(&self, namespace: &str) -> bool {
        let namespace = namespace.to_lowercase();
        let actions: Option<Vec<String>> = catalog().service(&namespace).map(|s| {
            s.lowercase_action_names()
                .map(|a| format!("{namespace}:{a}"))
                .collect()
        });
        self.0.iter().any(|(allowed, excluded)| {
            if !allowed.is_empty() {
                return allowed
                    .iter()
                    .any(|p| pattern_matches(p, &namespace, actions.as_deref()));
            }
            match &actions {
                Some(list) => list
                    .iter()
                    .any(|a| !excluded.iter().any(|p| wildcard_match(p, a))),
                None => !excluded
                    .iter()
                    .any(|p| p == "*" || p == &format!("{namespace}:*")),
            }
        })
    }
}

/// Whether a policy document has an Allow statement for some action of `namespace`.
pub(super) fn grants(document: &str, namespace: &str) -> bool {
    Allows::of(document).grant(namespace)
}

fn inline(name: &str, entity_type: &str, entity: &str, document: &str) -> Candidate {
    Candidate {
        entry: PolicyGrantingServiceAccess {
            policy_name: name.to_string(),
            policy_type: "INLINE".into(),
            policy_arn: None,
            entity_type: Some(entity_type.to_string()),
            entity_name: Some(entity.to_string()),
        },
        document: document.to_string(),
    }
}

fn managed(e: &Entities, arns: &[String]) -> Vec<Candidate> {
    arns.iter()
        .filter_map(|arn| find_policy(e, arn))
        .map(|p| Candidate {
            entry: PolicyGrantingServiceAccess {
                policy_name: p.name().to_string(),
                policy_type: "MANAGED".into(),
                policy_arn: Some(p.arn().to_string()),
                entity_type: None,
                entity_name: None,
            },
            document: p.default_document().to_string(),
        })
        .collect()
}

/// The policies of the identity an ARN names, or IAM's error.
fn candidates(e: &Entities, arn: &str) -> Result<Vec<Candidate>, Error> {
    let resource = arn
        .splitn(6, ':')
        .nth(5)
        .filter(|_| arn.starts_with("arn:aws:iam::"))
        .ok_or_else(|| Error::invalid_input(format!("ARN {arn} is not valid.")))?;
    let name = resource.rsplit('/').next().unwrap_or_default();
    let mut out = Vec::new();
    if resource.starts_with("user/") {
        let u = e
            .users
            .values()
            .find(|u| u.arn == arn)
            .ok_or_else(|| super::users::not_found(name))?;
        for (n, d) in &u.inline_policies {
            out.push(inline(n, "USER", &u.name, d));
        }
        out.extend(managed(e, &u.attached_policies));
        for g in u.groups.iter().filter_map(|id| e.group_by_id(id)) {
            for (n, d) in &g.inline_policies {
                out.push(inline(n, "GROUP", &g.name, d));
            }
            out.extend(managed(e, &g.attached_policies));
        }
    } else if resource.starts_with("group/") {
        let g = e.groups.values().find(|g| g.arn == arn).ok_or_else(|| {
            Error::no_such_entity(format!("The group with name {name} cannot be found."))
        })?;
        for (n, d) in &g.inline_policies {
            out.push(inline(n, "GROUP", &g.name, d));
        }
        out.extend(managed(e, &g.attached_policies));
    } else if resource.starts_with("role/") {
        let r = e.roles.values().find(|r| r.arn == arn).ok_or_else(|| {
            Error::no_such_entity(format!("The role with name {name} cannot be found."))
        })?;
        for (n, d) in &r.inline_policies {
            out.push(inline(n, "ROLE", &r.name, d));
        }
        out.extend(managed(e, &r.attached_policies));
    } else {
        return Err(Error::invalid_input(format!(
            "ARN {arn} is not the ARN of a user, group or role."
        )));
    }
    Ok(out)
}

/// ListPoliciesGrantingServiceAccess.
pub(crate) fn list_policies_granting_service_access(
    ctx: &Ctx<'_>,
    input: ListPoliciesGrantingServiceAccessInput,
) -> Result<ListPoliciesGrantingServiceAccessOutput, Error> {
    let arn = &input.arn;
    let namespaces = &input.service_namespaces;
    let page = Page::new(input.marker.as_deref(), None)?;
    ctx.app.read(|e| {
        let policies = candidates(e, arn)?;
        let entries: BTreeMap<String, ListPoliciesGrantingServiceAccessEntry> = namespaces
            .iter()
            .enumerate()
            .map(|(i, ns)| {
                let granting: Vec<PolicyGrantingServiceAccess> = policies
                    .iter()
                    .filter(|c| grants(&c.document, ns))
                    .map(|c| c.entry.clone())
                    .collect();
                (
                    format!("{i:04}"),
                    ListPoliciesGrantingServiceAccessEntry {
                        service_namespace: Some(ns.clone()),
                        policies: Some(granting),
                    },
                )
            })
            .collect();
        let (items, next) = page.take(entries.iter().map(|(k, v)| (k.as_str(), v)));
        Ok(ListPoliciesGrantingServiceAccessOutput {
            policies_granting_service_access: items.into_iter().cloned().collect(),
            is_truncated: Some(next.is_some()),
            marker: next,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_services_a_policy_grants() {
        let s3_read = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}"#;
        assert!(grants(s3_read, "s3"));
        assert!(grants(s3_read, "S3"));
        assert!(!grants(s3_read, "ec2"));
        let all = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        assert!(grants(all, "ec2"));
        assert!(grants(all, "made-up-service"));
        let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#;
        assert!(!grants(deny, "s3"));
        let not_iam = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#;
        assert!(grants(not_iam, "s3"));
        assert!(!grants(not_iam, "iam"));
        // A pattern that matches no action of the service grants nothing.
        let typo = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:NoSuchAction","Resource":"*"}]}"#;
        assert!(!grants(typo, "s3"));
        assert!(!grants("not json", "s3"));
    }
}
