//! Look-ups in an account's entities that the operations (IAM and STS), authorization and
//! the audit review share: the managed policy an ARN names, among AWS's and the account's.

use portcullis_store::{Entities, ManagedPolicy};

/// A managed policy an ARN names: an AWS managed policy or one of the account's.
pub(crate) enum PolicyRef<'a> {
    /// `arn:aws:iam::aws:policy/…`
    Aws(&'static portcullis_catalog::ManagedPolicy),
    /// A customer managed policy.
    Customer(&'a ManagedPolicy),
}

impl PolicyRef<'_> {
    /// The policy's name.
    pub(crate) fn name(&self) -> &str {
        match self {
            PolicyRef::Aws(p) => &p.name,
            PolicyRef::Customer(p) => &p.name,
        }
    }

    /// The policy's ARN.
    pub(crate) fn arn(&self) -> &str {
        match self {
            PolicyRef::Aws(p) => &p.arn,
            PolicyRef::Customer(p) => &p.arn,
        }
    }

    /// The policy's path.
    pub(crate) fn path(&self) -> &str {
        match self {
            PolicyRef::Aws(p) => &p.path,
            PolicyRef::Customer(p) => &p.path,
        }
    }

    /// The document of its default version.
    pub(crate) fn default_document(&self) -> &str {
        match self {
            PolicyRef::Aws(p) => &p.document,
            PolicyRef::Customer(p) => p
                .versions
                .iter()
                .find(|v| v.version_id == p.default_version_id)
                .map(|v| v.document.as_str())
                .unwrap_or_default(),
        }
    }
}

/// The managed policy with this ARN, if it exists.
pub(crate) fn find_policy<'a>(e: &'a Entities, arn: &str) -> Option<PolicyRef<'a>> {
    if arn.starts_with("arn:aws:iam::aws:policy/") {
        portcullis_catalog::managed_policy(arn).map(PolicyRef::Aws)
    } else {
        e.policy_by_arn(arn).map(PolicyRef::Customer)
    }
}
