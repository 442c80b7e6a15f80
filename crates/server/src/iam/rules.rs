//! AWS rules shared by the IAM operations: ARNs, policy documents, attachable policies
//! and the default quotas of an account.

use crate::account::{PolicyRef, find_policy};
use crate::error::Error;
use portcullis_policy::{InlineOwner, PolicyKind, ValidationOptions, validate};
use portcullis_store::{Entities, Tag};

/// Default quotas of an AWS account (IAM User Guide, "IAM and AWS STS quotas").
pub(crate) mod quota {
    /// Users per account.
    pub(crate) const USERS: usize = 5000;
    /// Groups per account.
    pub(crate) const GROUPS: usize = 300;
    /// Roles per account.
    pub(crate) const ROLES: usize = 1000;
    /// Customer managed policies per account.
    pub(crate) const POLICIES: usize = 1500;
    /// Instance profiles per account.
    pub(crate) const INSTANCE_PROFILES: usize = 1000;
    /// Managed policies attached to one user, group or role.
    pub(crate) const ATTACHED_POLICIES: usize = 10;
    /// Versions of one managed policy.
    pub(crate) const POLICY_VERSIONS: usize = 5;
    /// Groups one user belongs to.
    pub(crate) const GROUPS_PER_USER: usize = 10;
    /// Access keys of one user.
    pub(crate) const ACCESS_KEYS_PER_USER: usize = 2;
    /// Roles in one instance profile.
    pub(crate) const ROLES_PER_INSTANCE_PROFILE: usize = 1;
    /// Tags on one entity.
    pub(crate) const TAGS: usize = 50;
}

/// The ARN of an IAM entity: `arn:aws:iam::ACCOUNT:KIND/PATH…NAME`.
pub(crate) fn arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}

/// `LimitExceeded` for an account or entity quota.
pub(crate) fn over_quota(what: &str, limit: usize) -> Error {
    Error::limit_exceeded(format!("Cannot exceed quota for {what}: {limit}"))
}

/// Validates a policy document for where it goes, with IAM's error when it does not.
pub(crate) fn check_policy(
    document: &str,
    kind: PolicyKind,
    inline: Option<(InlineOwner, &str)>,
) -> Result<(), Error> {
    let options = ValidationOptions {
        inline: inline.map(|(o, _)| o),
        owner_name: inline.map(|(_, n)| n.to_string()),
        warnings: false,
        ..ValidationOptions::new(kind)
    };
    match validate(document, &options).error() {
        Some(f) => Err(Error::policy(f.code, f.message.clone())),
        None => Ok(()),
    }
}

/// Characters of a policy as IAM counts them against quotas (whitespace does not count).
pub(crate) fn policy_size(document: &str) -> usize {
    document
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\r'))
        .count()
}

/// The managed policy to attach, or IAM's NoSuchEntity.
pub(crate) fn attachable_policy<'a>(e: &'a Entities, arn: &str) -> Result<PolicyRef<'a>, Error> {
    find_policy(e, arn).ok_or_else(|| {
        Error::no_such_entity(format!("Policy {arn} does not exist or is not attachable."))
    })
}

/// Whether `text` has the form of an ARN: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`
/// with a partition, a service and a resource.
pub(crate) fn is_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[5].is_empty()
}

/// A managed policy ARN to attach must at least be an ARN: AWS answers `ValidationError`
/// "Invalid ARN:  Could not be parsed!" (two spaces) before it looks the policy up, and
/// before it authorizes the call.
pub(crate) fn check_policy_arn(arn: &str) -> Result<(), Error> {
    if is_arn(arn) {
        Ok(())
    } else {
        Err(Error::validation("Invalid ARN:  Could not be parsed!"))
    }
}

/// AssumeRole's `RoleArn` must be an ARN: AWS refuses anything else before it authorizes
/// (`ValidationError: nothing-valid-in-here is invalid`, not AccessDenied).
pub(crate) fn check_role_arn(arn: &str) -> Result<(), Error> {
    if is_arn(arn) {
        Ok(())
    } else {
        Err(Error::validation(format!("{arn} is invalid")))
    }
}

/// Checks that a permissions boundary names an existing managed policy: InvalidInput for
/// what is not an ARN, NoSuchEntity for the ARN of a policy that does not exist.
pub(crate) fn check_boundary(e: &Entities, arn: &str) -> Result<(), Error> {
    if !is_arn(arn) {
        return Err(Error::invalid_input(format!("ARN {arn} is not valid.")));
    }
    if find_policy(e, arn).is_none() {
        return Err(Error::no_such_entity(format!(
            "Scope ARN: {arn} does not exist or is not attachable."
        )));
    }
    Ok(())
}

/// Checks tags given to a create or tag operation: no repeated key (for users, roles and
/// instance profiles keys compare without regard to case; for policies they do not), no
/// reserved `aws:` prefix. (At most 50 is checked against the model.)
pub(crate) fn check_tags(tags: &[Tag], case_insensitive: bool) -> Result<(), Error> {
    for (i, t) in tags.iter().enumerate() {
        let same = |o: &Tag| {
            if case_insensitive {
                o.key.eq_ignore_ascii_case(&t.key)
            } else {
                o.key == t.key
            }
        };
        if tags[..i].iter().any(same) {
            return Err(Error::invalid_input(if case_insensitive {
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
            } else {
                "Duplicate tag keys found."
            }));
        }
        if t.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(Error::invalid_input(
                "Tag keys beginning with aws: are reserved for system use.",
            ));
        }
    }
    Ok(())
}

/// Merges new tags into existing ones (a key already present, in any case, takes the new
/// value) and enforces the per-entity quota.
pub(crate) fn merge_tags(
    existing: &[Tag],
    new: &[Tag],
    quota_name: &str,
    case_insensitive: bool,
) -> Result<Vec<Tag>, Error> {
    check_tags(new, case_insensitive)?;
    let mut out = existing.to_vec();
    for t in new {
        let same = |o: &&mut Tag| {
            if case_insensitive {
                o.key.eq_ignore_ascii_case(&t.key)
            } else {
                o.key == t.key
            }
        };
        match out.iter_mut().find(same) {
            Some(o) => o.value = t.value.clone(),
            None => out.push(t.clone()),
        }
    }
    if out.len() > quota::TAGS {
        return Err(over_quota(quota_name, quota::TAGS));
    }
    Ok(out)
}
