//! Entities as IAM answers show them (member names of the botocore output shapes).

use portcullis_catalog::ManagedPolicy as AwsManagedPolicy;
use portcullis_protocol::Timestamp;
use portcullis_protocol::iam;
use portcullis_store::{
    AccessKey, Entities, Group, InstanceProfile, ManagedPolicy, PolicyUsage, Role, Tag, User,
};

/// Tags as a `Tags` list.
pub(crate) fn tags(tags: &[Tag]) -> Vec<iam::Tag> {
    tags.iter()
        .map(|t| iam::Tag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect()
}

/// Tags of a request (`Tags`, absent when none) as the store keeps them.
pub(crate) fn stored_tags(tags: Option<Vec<iam::Tag>>) -> Vec<Tag> {
    tags.unwrap_or_default()
        .into_iter()
        .map(|t| Tag {
            key: t.key,
            value: t.value,
        })
        .collect()
}

/// A `PermissionsBoundary`. Its type is `Policy`, as AWS answers (botocore's enum says
/// `PermissionsBoundaryPolicy`, which AWS never sends: awsdocs/iam-user-guide#82).
pub(crate) fn boundary(arn: &Option<String>) -> Option<iam::AttachedPermissionsBoundary> {
    arn.as_ref().map(|a| iam::AttachedPermissionsBoundary {
        permissions_boundary_type: Some("Policy".into()),
        permissions_boundary_arn: Some(a.clone()),
    })
}

/// How much of a user to show.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    /// Everything (Get*, Create*).
    Full,
    /// What List* operations show (no tags, boundary or last use).
    Listed,
}

/// A `User`.
pub(crate) fn user(u: &User, detail: Detail) -> iam::User {
    let full = detail == Detail::Full;
    iam::User {
        path: u.path.clone(),
        user_name: u.name.clone(),
        user_id: u.id.clone(),
        arn: u.arn.clone(),
        create_date: Timestamp::from_millis(u.create_date),
        password_last_used: u.password_last_used.map(Timestamp::from_millis),
        permissions_boundary: boundary(&u.permissions_boundary).filter(|_| full),
        tags: (full && !u.tags.is_empty()).then(|| tags(&u.tags)),
    }
}

/// A `Group`.
pub(crate) fn group(g: &Group) -> iam::Group {
    iam::Group {
        path: g.path.clone(),
        group_name: g.name.clone(),
        group_id: g.id.clone(),
        arn: g.arn.clone(),
        create_date: Timestamp::from_millis(g.create_date),
    }
}

/// A `Role`. `MaxSigninSessionDuration` is shown, in every detail, only once set: the
/// model documents the role without one as having no such setting ("if this setting is not
/// set, the existing session duration behavior applies").
pub(crate) fn role(r: &Role, detail: Detail) -> iam::Role {
    let full = detail == Detail::Full;
    iam::Role {
        path: r.path.clone(),
        role_name: r.name.clone(),
        role_id: r.id.clone(),
        arn: r.arn.clone(),
        create_date: Timestamp::from_millis(r.create_date),
        assume_role_policy_document: Some(r.assume_role_policy_document.clone()),
        description: r.description.clone(),
        max_session_duration: Some(r.max_session_duration),
        max_signin_session_duration: r.max_signin_session_duration,
        permissions_boundary: boundary(&r.permissions_boundary).filter(|_| full),
        tags: (full && !r.tags.is_empty()).then(|| tags(&r.tags)),
        role_last_used: full.then(|| iam::RoleLastUsed {
            last_used_date: r.last_used.as_ref().map(|u| Timestamp::from_millis(u.date)),
            region: r.last_used.as_ref().map(|u| u.region.clone()),
        }),
        source_role_template: None,
    }
}

/// A customer managed policy (`Policy`); `with_details` (description, tags) for
/// GetPolicy and CreatePolicy.
pub(crate) fn policy(p: &ManagedPolicy, usage: PolicyUsage, with_details: bool) -> iam::Policy {
    iam::Policy {
        policy_name: Some(p.name.clone()),
        policy_id: Some(p.id.clone()),
        arn: Some(p.arn.clone()),
        path: Some(p.path.clone()),
        default_version_id: Some(p.default_version_id.clone()),
        attachment_count: Some(usage.attachments as i64),
        permissions_boundary_usage_count: Some(usage.boundaries as i64),
        is_attachable: Some(true),
        description: p.description.clone().filter(|_| with_details),
        create_date: Some(Timestamp::from_millis(p.create_date)),
        update_date: Some(Timestamp::from_millis(p.update_date)),
        tags: with_details.then(|| tags(&p.tags)),
    }
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
pub(crate) fn aws_policy(p: &AwsManagedPolicy, usage: PolicyUsage) -> iam::Policy {
    iam::Policy {
        policy_name: Some(p.name.clone()),
        policy_id: Some(aws_policy_id(&p.arn)),
        arn: Some(p.arn.clone()),
        path: Some(p.path.clone()),
        default_version_id: Some(p.default_version_id.clone()),
        attachment_count: Some(usage.attachments as i64),
        permissions_boundary_usage_count: Some(usage.boundaries as i64),
        is_attachable: Some(true),
        description: None,
        create_date: Some(Timestamp::from_millis(date_millis(&p.create_date))),
        update_date: Some(Timestamp::from_millis(date_millis(&p.update_date))),
        tags: None,
    }
}

/// Milliseconds of an ISO 8601 date from the managed-policy data.
pub(crate) fn date_millis(text: &str) -> i64 {
    portcullis_policy::condition::parse_date(text)
        .map(|n| (n / 1_000_000) as i64)
        .unwrap_or_default()
}

/// An `InstanceProfile` with its roles.
pub(crate) fn instance_profile(
    p: &InstanceProfile,
    e: &Entities,
    with_tags: bool,
) -> iam::InstanceProfile {
    iam::InstanceProfile {
        path: p.path.clone(),
        instance_profile_name: p.name.clone(),
        instance_profile_id: p.id.clone(),
        arn: p.arn.clone(),
        create_date: Timestamp::from_millis(p.create_date),
        roles: p
            .roles
            .iter()
            .filter_map(|n| e.role(n))
            .map(|r| role(r, Detail::Listed))
            .collect(),
        tags: with_tags.then(|| tags(&p.tags)),
    }
}

/// `AccessKeyMetadata`.
pub(crate) fn access_key_metadata(k: &AccessKey, user_name: &str) -> iam::AccessKeyMetadata {
    iam::AccessKeyMetadata {
        user_name: Some(user_name.to_string()),
        access_key_id: Some(k.id.clone()),
        status: Some(k.status.as_str().to_string()),
        create_date: Some(Timestamp::from_millis(k.create_date)),
    }
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
            let v = serde_json::to_value(role(&sample_role(Some(86400)), detail)).unwrap();
            assert_eq!(v["MaxSigninSessionDuration"], 86400);
            assert_eq!(v["MaxSessionDuration"], 3600);
            let v = serde_json::to_value(role(&sample_role(None), detail)).unwrap();
            assert!(v.get("MaxSigninSessionDuration").is_none());
        }
    }
}
