//! A request to authorize: who, which action, on which resource, in which context.
//!
//! What AWS derives by itself is derived here too, unless the context already gives it:
//! `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:username`,
//! `aws:userid`, `aws:PrincipalTag/*`, `aws:PrincipalIsAWSService`,
//! `aws:PrincipalServiceName` and `aws:ResourceAccount`.

use crate::arn::split_arn;
use crate::context::Context;
use crate::error::PolicyError;
use crate::principal::{Principal, PrincipalKind};
use portcullis_catalog::catalog;

/// A request, ready to be authorized any number of times.
#[derive(Debug, Clone)]
pub struct Request {
    pub(crate) principal: Principal,
    /// The action as given (`s3:GetObject`).
    pub(crate) action: String,
    /// The action lower-cased (`s3:getobject`).
    pub(crate) action_lower: String,
    /// Length of the service prefix in `action`.
    pub(crate) service_len: usize,
    /// True when the action cannot be scoped to a resource: only `"Resource": "*"` grants it.
    pub(crate) wildcard_only: bool,
    pub(crate) resource: String,
    resource_parts: Option<[(u32, u32); 6]>,
    pub(crate) resource_account: Option<String>,
    pub(crate) context: Context,
    pub(crate) unique_id: Option<String>,
}

/// Builds a [`Request`].
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    principal: Principal,
    action: String,
    resource: String,
    resource_account: Option<String>,
    context: Context,
    principal_tags: Vec<(String, String)>,
    scoped: bool,
}

impl Request {
    /// Starts a request by `principal` to perform `action` (`service:Action`) on `resource`
    /// (an ARN, or `*`).
    pub fn builder(principal: Principal, action: &str, resource: &str) -> RequestBuilder {
        RequestBuilder {
            principal,
            action: action.to_string(),
            resource: resource.to_string(),
            resource_account: None,
            context: Context::new(),
            principal_tags: Vec::new(),
            scoped: false,
        }
    }

    /// The principal.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The action as given.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The resource as given.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The request context, including the keys derived from the principal.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The account that owns the resource (given, or read from the resource ARN); `None`
    /// when neither says.
    pub fn resource_account(&self) -> Option<&str> {
        self.resource_account.as_deref()
    }

    /// The lower-cased service prefix of the action.
    pub(crate) fn service(&self) -> &str {
        &self.action_lower[..self.service_len]
    }

    /// The lower-cased action name after the colon.
    pub(crate) fn action_name(&self) -> &str {
        self.action_lower
            .get(self.service_len + 1..)
            .unwrap_or_default()
    }

    /// The six components of the resource ARN, when it has them.
    pub(crate) fn resource_split(&self) -> Option<[&str; 6]> {
        let parts = self.resource_parts?;
        Some(parts.map(|(a, b)| &self.resource[a as usize..b as usize]))
    }

    /// True when resource matching must treat the resource as `*`.
    pub(crate) fn resource_is_star(&self) -> bool {
        self.wildcard_only || self.resource == "*"
    }
}

impl RequestBuilder {
    /// Sets the context keys of the request (replacing any set before).
    pub fn context(mut self, context: Context) -> RequestBuilder {
        self.context = context;
        self
    }

    /// Sets the account that owns the resource.
    pub fn resource_account(mut self, account: Option<&str>) -> RequestBuilder {
        self.resource_account = account.map(str::to_string);
        self
    }

    /// Treats the resource as one the action is scoped to even when the service
    /// authorization reference lists no resource type for the action. IAM's List operations
    /// are such a case: AWS checks `iam:ListRoles` against `arn:aws:iam::ACCOUNT:role/PATH`.
    pub fn scoped_to_resource(mut self) -> RequestBuilder {
        self.scoped = true;
        self
    }

    /// Adds a tag of the principal (`aws:PrincipalTag/KEY`).
    pub fn principal_tag(mut self, key: &str, value: &str) -> RequestBuilder {
        self.principal_tags
            .push((key.to_string(), value.to_string()));
        self
    }

    /// Finishes the request: checks the action and derives the principal's context keys.
    pub fn build(self) -> Result<Request, PolicyError> {
        let RequestBuilder {
            principal,
            action,
            resource,
            resource_account,
            mut context,
            principal_tags,
            scoped,
        } = self;
        let Some((service, name)) = action.split_once(':') else {
            return Err(PolicyError::Request(format!(
                "action {action:?} must be service:Action"
            )));
        };
        if service.is_empty() || name.is_empty() {
            return Err(PolicyError::Request(format!(
                "action {action:?} must be service:Action"
            )));
        }
        let lower = action.to_ascii_lowercase();
        let wildcard_only = !scoped
            && catalog()
                .action(&lower)
                .is_some_and(|a| a.is_wildcard_only());
        let split = split_arn(&resource);
        let resource_parts = split.map(|parts| {
            let mut offset = 0u32;
            parts.map(|p| {
                let start = offset;
                let end = start + p.len() as u32;
                offset = end + 1;
                (start, end)
            })
        });
        let resource_account = resource_account.or_else(|| {
            split
                .map(|p| p[4])
                .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
                .map(str::to_string)
        });
        derive_principal_keys(&mut context, &principal, &principal_tags);
        if let Some(account) = &resource_account {
            context.insert_default("aws:ResourceAccount", account);
        }
        let unique_id = match context.get("aws:userid").map(|v| v.values()) {
            Some([one]) => Some(one.to_string()),
            _ => None,
        };
        Ok(Request {
            principal,
            service_len: service.len(),
            action,
            action_lower: lower,
            wildcard_only,
            resource,
            resource_parts,
            resource_account,
            context,
            unique_id,
        })
    }
}

fn derive_principal_keys(context: &mut Context, p: &Principal, tags: &[(String, String)]) {
    if let Some(arn) = p.principal_arn() {
        context.insert_default("aws:PrincipalArn", arn);
    }
    if let Some(account) = &p.account {
        context.insert_default("aws:PrincipalAccount", account);
    }
    context.insert_default("aws:PrincipalType", p.principal_type());
    match p.kind {
        PrincipalKind::User => {
            if let Some(name) = &p.name {
                context.insert_default("aws:username", name);
            }
        }
        PrincipalKind::Root => {
            if let Some(account) = &p.account {
                context.insert_default("aws:userid", account);
            }
        }
        PrincipalKind::FederatedUser => {
            if let (Some(account), Some(name)) = (&p.account, &p.name) {
                context.insert_default("aws:userid", &format!("{account}:{name}"));
            }
        }
        PrincipalKind::Anonymous => context.insert_default("aws:userid", "anonymous"),
        _ => {}
    }
    match p.kind {
        PrincipalKind::Service => {
            context.insert_default("aws:PrincipalIsAWSService", "true");
            context.insert_default("aws:PrincipalServiceName", &p.arn);
        }
        PrincipalKind::Anonymous => {}
        _ => context.insert_default("aws:PrincipalIsAWSService", "false"),
    }
    for (key, value) in tags {
        context.insert_default(&format!("aws:PrincipalTag/{key}"), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_principal_keys() {
        let p = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
        let r = Request::builder(p, "S3:GetObject", "arn:aws:s3:::b/k")
            .principal_tag("Team", "ml")
            .build()
            .unwrap();
        assert_eq!(r.service(), "s3");
        assert_eq!(r.action_name(), "getobject");
        assert!(!r.wildcard_only);
        let c = r.context();
        assert_eq!(c.variable("aws:username"), Some("alice"));
        assert_eq!(c.variable("aws:principaltype"), Some("User"));
        assert_eq!(c.variable("aws:principaltag/team"), Some("ml"));
        assert_eq!(c.variable("aws:principalaccount"), Some("111122223333"));
        assert_eq!(r.resource_split().unwrap()[5], "b/k");
        assert_eq!(r.resource_account(), None);
    }

    #[test]
    fn reads_resource_account_and_scope() {
        let p = Principal::parse("arn:aws:sts::111122223333:assumed-role/R/s").unwrap();
        let r = Request::builder(p, "s3:ListAllMyBuckets", "*")
            .build()
            .unwrap();
        assert!(r.wildcard_only);
        let p = Principal::parse("arn:aws:iam::111122223333:root").unwrap();
        let r = Request::builder(p, "iam:GetRole", "arn:aws:iam::444455556666:role/x")
            .build()
            .unwrap();
        assert_eq!(r.resource_account(), Some("444455556666"));
        assert_eq!(r.context().variable("aws:userid"), Some("111122223333"));
        let p = Principal::parse("*").unwrap();
        assert!(Request::builder(p, "nocolon", "*").build().is_err());
    }
}
