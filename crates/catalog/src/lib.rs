//! AWS facts that Portcullis needs, embedded from data files copied into `data/`
//! (origins, versions and licenses in `data/SOURCES.json`):
//!
//! - the service authorization reference: every service prefix, its actions with their
//!   access level, the resource types each action can be scoped to, and condition keys,
//!   completed by `data/iam-sts-supplement.json` with the IAM and STS actions of botocore
//!   1.44.18 that the reference copy does not list yet;
//! - the global condition keys (`aws:*`) with their types;
//! - the AWS managed policies (current default version of each).
//!
//! The data is parsed once, on first use, and kept for the life of the process.

mod managed;
mod service;

pub use managed::{ManagedPolicy, managed_policies, managed_policy};
pub use service::{AccessLevel, ActionInfo, ConditionKeyType, GlobalConditionKey, ServiceInfo};

use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::OnceLock;

/// The service authorization reference, indexed for lookups by lower-cased names.
pub struct Catalog {
    services: FxHashMap<String, ServiceInfo>,
    rcp_supported: FxHashSet<String>,
    global_keys: Vec<GlobalConditionKey>,
}

static CATALOG: OnceLock<Catalog> = OnceLock::new();

/// The process-wide catalog, parsed from the embedded data on first use.
pub fn catalog() -> &'static Catalog {
    CATALOG.get_or_init(|| {
        service::load(
            include_str!("../data/aws-service-authorization.json"),
            include_str!("../data/iam-sts-supplement.json"),
            include_str!("../data/aws-global-condition-keys.json"),
        )
    })
}

impl Catalog {
    /// The service with this prefix (`s3`, `iam`, …), compared case-insensitively.
    pub fn service(&self, prefix: &str) -> Option<&ServiceInfo> {
        if prefix.bytes().any(|b| b.is_ascii_uppercase()) {
            self.services.get(&prefix.to_ascii_lowercase())
        } else {
            self.services.get(prefix)
        }
    }

    /// The action `service:Name`, compared case-insensitively.
    pub fn action(&self, action: &str) -> Option<&ActionInfo> {
        let (prefix, name) = action.split_once(':')?;
        self.service(prefix)?.action(name)
    }

    /// Whether resource control policies apply to this service prefix.
    pub fn rcp_supported(&self, prefix: &str) -> bool {
        if prefix.bytes().any(|b| b.is_ascii_uppercase()) {
            self.rcp_supported.contains(&prefix.to_ascii_lowercase())
        } else {
            self.rcp_supported.contains(prefix)
        }
    }

    /// Number of services in the reference.
    pub fn service_count(&self) -> usize {
        self.services.len()
    }

    /// Every service in the reference, in no particular order.
    pub fn services(&self) -> impl Iterator<Item = &ServiceInfo> {
        self.services.values()
    }

    /// The global condition keys (`aws:SourceIp`, `aws:PrincipalTag/tag-key`, …).
    pub fn global_condition_keys(&self) -> &[GlobalConditionKey] {
        &self.global_keys
    }

    /// The global condition key that `key` names, compared case-insensitively; tag keys
    /// such as `aws:PrincipalTag/team` resolve to their `…/tag-key` pattern.
    pub fn global_condition_key(&self, key: &str) -> Option<&GlobalConditionKey> {
        let lower = key.to_ascii_lowercase();
        self.global_keys.iter().find(|k| {
            let pattern = k.key.to_ascii_lowercase();
            match pattern.strip_suffix("tag-key") {
                Some(prefix) if pattern.ends_with("/tag-key") => {
                    lower.starts_with(prefix) && lower.len() > prefix.len()
                }
                _ => pattern == lower,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_reference_has_every_service() {
        let c = catalog();
        assert_eq!(c.service_count(), 456);
        let actions: usize = c.services().map(|s| s.action_count()).sum();
        // The reference's 22,091 and the supplement's 36.
        assert_eq!(actions, 22_091 + 36);
        let provider = c.action("iam:CreateWorkloadIdentityProvider").unwrap();
        assert_eq!(provider.resource_types, ["workload-identity-provider"]);
        assert!(c.action("sts:GetTrustBundles").unwrap().is_wildcard_only());
        assert_eq!(c.rcp_supported.len(), 62);
    }

    #[test]
    fn lookups_ignore_case() {
        let c = catalog();
        let a = c.action("S3:getobject").expect("s3:GetObject");
        assert_eq!(a.name, "GetObject");
        assert!(!a.is_wildcard_only());
        assert!(c.action("s3:ListAllMyBuckets").unwrap().is_wildcard_only());
        assert!(c.action("iam:CreateRole").unwrap().access_level == AccessLevel::Write);
        assert!(c.action("nosuch:Thing").is_none());
        assert!(c.rcp_supported("S3"));
        assert!(!c.rcp_supported("iam"));
    }

    #[test]
    fn global_keys_resolve_tag_patterns() {
        let c = catalog();
        let k = c.global_condition_key("AWS:PrincipalTag/team").unwrap();
        assert_eq!(k.key, "aws:PrincipalTag/tag-key");
        assert_eq!(
            c.global_condition_key("aws:TagKeys").unwrap().kind,
            ConditionKeyType::ArrayOfString
        );
        assert!(c.global_condition_key("aws:NoSuchKey").is_none());
    }
}
