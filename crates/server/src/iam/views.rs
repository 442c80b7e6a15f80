//! Entities as IAM answers show them (member names of the botocore output shapes).

use crate::time::iso8601;
use portcullis_catalog::ManagedPolicy as AwsManagedPolicy;
use portcullis_store::{
    AccessKey, Entities, Group, InstanceProfile, ManagedPolicy, PolicyUsage, Role, Tag, User,
};
use serde_json::{Map, Value, json};

/// Tags as a `Tags` list.
pub(crate) fn tags(tags: &[Tag]) -> Value {
    Value::Array(
        tags.iter()
            .map(|t| json!({"Key": t.key, "Value": t.value}))
            .collect(),
    )
}

/// A `PermissionsBoundary`. Its type is `Policy`, as AWS answers (botocore's enum says
/// `PermissionsBoundaryPolicy`, which AWS never sends: awsdocs/iam-user-guide#82).
pub(crate) fn boundary(arn: &Option<String>) -> Option<Value> {
    arn.as_ref()
        .map(|a| json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": a}))
}

/// How much of a user to show.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    /// Everything (Get*, Create*).
    Full,
    /// What List* operations show (no tags, boundary or last use).
    Listed,
}

/// The members every view of a user begins with: path, name, ID, ARN and creation date.
pub(crate) fn user_head(u: &User) -> Map<String, Value> {
    let mut v = Map::new();
    v.insert("Path".into(), json!(u.path));
    v.insert("UserName".into(), json!(u.name));
    v.insert("UserId".into(), json!(u.id));
    v.insert("Arn".into(), json!(u.arn));
    v.insert("CreateDate".into(), json!(iso8601(u.create_date)));
    v
}

/// A `User`.
pub(crate) fn user(u: &User, detail: Detail) -> Value {
    let mut v = user_head(u);
    if let Some(t) = u.password_last_used {
        v.insert("PasswordLastUsed".into(), json!(iso8601(t)));
    }
    if detail == Detail::Full {
        if let Some(b) = boundary(&u.permissions_boundary) {
            v.insert("PermissionsBoundary".into(), b);
        }
        if !u.tags.is_empty() {
            v.insert("Tags".into(), tags(&u.tags));
        }
    }
    Value::Object(v)
}

/// A `Group`.
pub(crate) fn group(g: &Group) -> Value {
    json!({
        "Path": g.path,
        "GroupName": g.name,
        "GroupId": g.id,
        "Arn": g.arn,
        "CreateDate": iso8601(g.create_date),
    })
}

/// The members every view of a role begins with: path, name, ID, ARN, creation date and
/// trust policy.
pub(crate) fn role_head(r: &Role) -> Map<String, Value> {
    let mut v = Map::new();
    v.insert("Path".into(), json!(r.path));
    v.insert("RoleName".into(), json!(r.name));
    v.insert("RoleId".into(), json!(r.id));
    v.insert("Arn".into(), json!(r.arn));
    v.insert("CreateDate".into(), json!(iso8601(r.create_date)));
    v.insert(
        "AssumeRolePolicyDocument".into(),
        json!(r.assume_role_policy_document),
    );
    v
}

/// A `Role`. `MaxSigninSessionDuration` is shown, in every detail, only once set: the
/// model documents the role without one as having no such setting ("if this setting is not
/// set, the existing session duration behavior applies").
pub(crate) fn role(r: &Role, detail: Detail) -> Value {
    let mut v = role_head(r);
    if let Some(d) = &r.description {
        v.insert("Description".into(), json!(d));
    }
    v.insert("MaxSessionDuration".into(), json!(r.max_session_duration));
    if let Some(s) = r.max_signin_session_duration {
        v.insert("MaxSigninSessionDuration".into(), json!(s));
    }
    if detail == Detail::Full {
        if let Some(b) = boundary(&r.permissions_boundary) {
            v.insert("PermissionsBoundary".into(), b);
        }
        if !r.tags.is_empty() {
            v.insert("Tags".into(), tags(&r.tags));
        }
        let mut last = Map::new();
        if let Some(u) = &r.last_used {
            last.insert("LastUsedDate".into(), json!(iso8601(u.date)));
            last.insert("Region".into(), json!(u.region));
        }
        v.insert("RoleLastUsed".into(), Value::Object(last));
    }
    Value::Object(v)
}

/// A customer managed policy (`Policy`); `with_details` (description, tags) for
/// GetPolicy and CreatePolicy.
pub(crate) fn policy(p: &ManagedPolicy, usage: PolicyUsage, with_details: bool) -> Value {
    let mut v = Map::new();
    v.insert("PolicyName".into(), json!(p.name));
    v.insert("PolicyId".into(), json!(p.id));
    v.insert("Arn".into(), json!(p.arn));
    v.insert("Path".into(), json!(p.path));
    v.insert("DefaultVersionId".into(), json!(p.default_version_id));
    v.insert("AttachmentCount".into(), json!(usage.attachments));
    v.insert(
        "PermissionsBoundaryUsageCount".into(),
        json!(usage.boundaries),
    );
    v.insert("IsAttachable".into(), json!(true));
    if with_details && let Some(d) = &p.description {
        v.insert("Description".into(), json!(d));
    }
    v.insert("CreateDate".into(), json!(iso8601(p.create_date)));
    v.insert("UpdateDate".into(), json!(iso8601(p.update_date)));
    if with_details {
        v.insert("Tags".into(), tags(&p.tags));
    }
    Value::Object(v)
}

/// A stable policy ID for an AWS managed policy, derived from its ARN.
pub(crate) fn aws_policy_id(arn: &str) -> String {
    const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut id = String::from("ANPA");
    for round in 0..17u64 {
        for b in arn.bytes().chain(round.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        id.push(BASE32[(h >> 59) as usize] as char);
    }
    id
}

/// An AWS managed policy (`Policy`).
pub(crate) fn aws_policy(p: &AwsManagedPolicy, usage: PolicyUsage) -> Value {
    let created = date_millis(&p.create_date);
    let updated = date_millis(&p.update_date);
    let mut v = Map::new();
    v.insert("PolicyName".into(), json!(p.name));
    v.insert("PolicyId".into(), json!(aws_policy_id(&p.arn)));
    v.insert("Arn".into(), json!(p.arn));
    v.insert("Path".into(), json!(p.path));
    v.insert("DefaultVersionId".into(), json!(p.default_version_id));
    v.insert("AttachmentCount".into(), json!(usage.attachments));
    v.insert(
        "PermissionsBoundaryUsageCount".into(),
        json!(usage.boundaries),
    );
    v.insert("IsAttachable".into(), json!(true));
    v.insert("CreateDate".into(), json!(iso8601(created)));
    v.insert("UpdateDate".into(), json!(iso8601(updated)));
    Value::Object(v)
}

/// Milliseconds of an ISO 8601 date from the managed-policy data.
pub(crate) fn date_millis(text: &str) -> i64 {
    portcullis_policy::condition::parse_date(text)
        .map(|n| (n / 1_000_000) as i64)
        .unwrap_or_default()
}

/// An `InstanceProfile` with its roles.
pub(crate) fn instance_profile(p: &InstanceProfile, e: &Entities, with_tags: bool) -> Value {
    let roles: Vec<Value> = p
        .roles
        .iter()
        .filter_map(|n| e.role(n))
        .map(|r| role(r, Detail::Listed))
        .collect();
    let mut v = Map::new();
    v.insert("Path".into(), json!(p.path));
    v.insert("InstanceProfileName".into(), json!(p.name));
    v.insert("InstanceProfileId".into(), json!(p.id));
    v.insert("Arn".into(), json!(p.arn));
    v.insert("CreateDate".into(), json!(iso8601(p.create_date)));
    v.insert("Roles".into(), Value::Array(roles));
    if with_tags {
        v.insert("Tags".into(), tags(&p.tags));
    }
    Value::Object(v)
}

/// `AccessKeyMetadata`.
pub(crate) fn access_key_metadata(k: &AccessKey, user_name: &str) -> Value {
    json!({
        "UserName": user_name,
        "AccessKeyId": k.id,
        "Status": k.status.as_str(),
        "CreateDate": iso8601(k.create_date),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn sample_role(signin: Option<i64>) -> Role {
        Role {
            id: "AROAEXAMPLE".into(),
            name: "cli".into(),
            path: "/".into(),
            arn: "arn:aws:iam::123456789012:role/cli".into(),
            create_date: 0,
            assume_role_policy_document: "{}".into(),
            description: None,
            max_session_duration: 3600,
            max_signin_session_duration: signin,
            permissions_boundary: None,
            tags: Vec::new(),
            attached_policies: Vec::new(),
            inline_policies: BTreeMap::new(),
            last_used: None,
        }
    }

    #[test]
    fn roles_show_the_signin_duration_only_once_set() {
        for detail in [Detail::Full, Detail::Listed] {
            let v = role(&sample_role(Some(86400)), detail);
            assert_eq!(v["MaxSigninSessionDuration"], 86400);
            assert_eq!(v["MaxSessionDuration"], 3600);
            let v = role(&sample_role(None), detail);
            assert!(v.get("MaxSigninSessionDuration").is_none());
        }
    }
}
