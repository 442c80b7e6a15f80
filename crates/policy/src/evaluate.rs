//! One policy against one request: which statements apply.
//!
//! A statement applies when its principal element names the caller (resource policies),
//! its action element matches the action, its resource element matches the resource, and
//! every condition holds (IAM User Guide, "Policy evaluation logic").

use crate::compile::{CompiledPolicy, CompiledStatement, ResourceMatcher};
use crate::document::Effect;
use crate::principal::Grant;
use crate::request::Request;

/// The statements of one policy that apply to a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PolicyMatch {
    /// The first `Deny` statement that applies.
    pub deny: Option<u32>,
    /// The first `Allow` statement that applies (the strongest grant's, for resource
    /// policies).
    pub allow: Option<u32>,
    /// For resource policies: how the strongest applicable `Allow` names the caller.
    pub grant: Option<Grant>,
}

impl CompiledPolicy {
    /// Evaluates this policy against a request. `has_boundary` says whether the caller has
    /// a permissions boundary (a `NotPrincipal` deny always applies to such callers).
    pub fn evaluate(&self, request: &Request, has_boundary: bool) -> PolicyMatch {
        let mut result = PolicyMatch::default();
        let entries = self
            .by_service
            .get(request.service())
            .map_or(&[][..], |e| &e[..]);
        let unindexed = &self.unindexed[..];
        let name = request.action_name();
        let split = request.resource_split();
        let (mut i, mut j) = (0, 0);
        loop {
            let next_entry = entries.get(i).map(|e| e.statement);
            let next_unindexed = unindexed.get(j).copied();
            let index = match (next_entry, next_unindexed) {
                (None, None) => break,
                (Some(e), Some(u)) if u < e => {
                    j += 1;
                    let s = &self.statements[u as usize];
                    if !actions_match(s, &request.action_lower) {
                        continue;
                    }
                    u
                }
                (Some(e), _) => {
                    let entry = &entries[i];
                    i += 1;
                    if !entry.names.iter().any(|n| n.matches(name)) {
                        continue;
                    }
                    e
                }
                (None, Some(u)) => {
                    j += 1;
                    let s = &self.statements[u as usize];
                    if !actions_match(s, &request.action_lower) {
                        continue;
                    }
                    u
                }
            };
            let s = &self.statements[index as usize];
            if s.effect == Effect::Allow
                && result.allow.is_some()
                && (s.principal.is_none() || result.grant == Some(Grant::Direct))
            {
                continue;
            }
            let Some(grant) = principal_applies(s, request, has_boundary) else {
                continue;
            };
            if !resource_matches(s, request, split.as_ref())
                || !s.conditions.iter().all(|c| c.evaluate(&request.context))
            {
                continue;
            }
            match s.effect {
                Effect::Deny => {
                    result.deny = Some(index);
                    return result;
                }
                Effect::Allow => {
                    if result.allow.is_none() || grant > result.grant {
                        result.allow = Some(index);
                        result.grant = grant;
                    }
                }
            }
        }
        result
    }
}

fn actions_match(s: &CompiledStatement, action: &str) -> bool {
    s.actions.iter().any(|p| p.matches(action)) != s.not_action
}

/// `None` when the statement's principal element does not name the caller; otherwise the
/// grant it makes (`Some(None)` for statements without a principal element).
fn principal_applies(
    s: &CompiledStatement,
    request: &Request,
    has_boundary: bool,
) -> Option<Option<Grant>> {
    let Some(m) = &s.principal else {
        return Some(None);
    };
    let uid = request.unique_id.as_deref();
    if m.negated {
        m.not_principal_applies(&request.principal, uid, has_boundary)
            .then_some(Some(Grant::Direct))
    } else {
        m.grant(&request.principal, uid).map(Some)
    }
}

fn resource_matches(s: &CompiledStatement, request: &Request, split: Option<&[&str; 6]>) -> bool {
    let ResourceMatcher::List { negated, patterns } = &s.resources else {
        return true;
    };
    let any = if request.resource_is_star() {
        patterns.iter().any(|p| p.is_star())
    } else {
        patterns
            .iter()
            .any(|p| p.matches(&request.resource, split, &request.context) == Some(true))
    };
    any != *negated
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::principal::Principal;

    fn req(action: &str, resource: &str) -> Request {
        let p = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
        Request::builder(p, action, resource).build().unwrap()
    }

    fn eval(policy: &str, action: &str, resource: &str) -> PolicyMatch {
        CompiledPolicy::parse(policy)
            .unwrap()
            .evaluate(&req(action, resource), false)
    }

    #[test]
    fn indexed_and_unindexed_statements() {
        let policy = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["s3:Get*","ec2:Describe*"],"Resource":"*"},
            {"Effect":"Deny","NotAction":"s3:*","Resource":"*"},
            {"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/*"}]}"#;
        let m = eval(policy, "s3:GetObject", "arn:aws:s3:::b/k");
        assert_eq!((m.allow, m.deny), (Some(0), None));
        let m = eval(policy, "ec2:DescribeInstances", "*");
        assert_eq!(m.deny, Some(1));
        let m = eval(policy, "s3:PutObject", "arn:aws:s3:::b/k");
        assert_eq!((m.allow, m.deny), (Some(2), None));
        let m = eval(policy, "s3:PutObject", "arn:aws:s3:::other/k");
        assert_eq!((m.allow, m.deny), (None, None));
    }

    #[test]
    fn wildcard_only_actions_need_resource_star() {
        let arn_policy = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"}}"#;
        assert_eq!(eval(arn_policy, "s3:ListAllMyBuckets", "*").allow, None);
        let star = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
        assert_eq!(eval(star, "s3:ListAllMyBuckets", "*").allow, Some(0));
    }

    #[test]
    fn actions_ignore_case_resources_do_not() {
        let policy = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"IAM:listaccesskeys","Resource":"arn:aws:iam::111122223333:user/Alice"}}"#;
        assert_eq!(
            eval(
                policy,
                "iam:ListAccessKeys",
                "arn:aws:iam::111122223333:user/Alice"
            )
            .allow,
            Some(0)
        );
        assert_eq!(
            eval(
                policy,
                "iam:ListAccessKeys",
                "arn:aws:iam::111122223333:user/alice"
            )
            .allow,
            None
        );
    }
}
