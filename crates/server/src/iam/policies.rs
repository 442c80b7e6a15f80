//! Managed policies and their versions. AWS managed policies (all 1,582 of the catalog) are
//! readable and attachable; customer managed policies are created, versioned and deleted.

use super::rules::{self, check_policy, check_tags, over_quota, quota};
use super::views;
use crate::account::{PolicyRef, find_policy};
use crate::call::Ctx;
use crate::call::input::Page;
use crate::error::Error;
use crate::secrets::unique_id;
use crate::time::now_millis;
use portcullis_catalog::managed_policies;
use portcullis_policy::PolicyKind;
use portcullis_protocol::iam::{
    CreatePolicyInput, CreatePolicyOutput, CreatePolicyVersionInput, CreatePolicyVersionOutput,
    DeletePolicyInput, DeletePolicyVersionInput, GetPolicyInput, GetPolicyOutput,
    GetPolicyVersionInput, GetPolicyVersionOutput, ListEntitiesForPolicyInput,
    ListEntitiesForPolicyOutput, ListPoliciesInput, ListPoliciesOutput, ListPolicyVersionsInput,
    ListPolicyVersionsOutput, PolicyGroup, PolicyRole, PolicyUser, SetDefaultPolicyVersionInput,
};
use portcullis_protocol::{Timestamp, iam};
use portcullis_store::{Change, Entities, ManagedPolicy, PolicyUsage, PolicyVersion};

/// IAM's NoSuchEntity for a managed policy.
pub(super) fn not_found(arn: &str) -> Error {
    Error::no_such_entity(format!("Policy {arn} was not found."))
}

/// The customer managed policy with this ARN, or IAM's errors: NoSuchEntity, or for an
/// AWS managed policy AccessDenied with `outside` ("Cannot delete policies outside your
/// own account.").
pub(super) fn find_customer<'e>(
    e: &'e Entities,
    arn: &str,
    outside: &str,
) -> Result<&'e ManagedPolicy, Error> {
    match find_policy(e, arn) {
        Some(PolicyRef::Customer(p)) => Ok(p),
        Some(PolicyRef::Aws(_)) => Err(Error::denied(outside)),
        None => Err(not_found(arn)),
    }
}

const DELETE_OUTSIDE: &str = "Cannot delete policies outside your own account.";

/// CreatePolicy.
pub(crate) async fn create_policy(
    ctx: &Ctx<'_>,
    input: CreatePolicyInput,
) -> Result<CreatePolicyOutput, Error> {
    let name = input.policy_name.as_str();
    let path = input.path.as_deref().unwrap_or("/");
    let document = input.policy_document.as_str();
    check_policy(document, PolicyKind::Identity, None)?;
    let tags = views::stored_tags(input.tags);
    check_tags(&tags, false)?;
    let account = ctx.account();
    let now = now_millis();
    let policy = ManagedPolicy {
        id: unique_id("ANPA", 17),
        name: name.to_string(),
        path: path.to_string(),
        arn: rules::arn(account, "policy", path, name),
        description: input.description,
        create_date: now,
        update_date: now,
        default_version_id: "v1".to_string(),
        next_version: 2,
        versions: vec![PolicyVersion {
            version_id: "v1".to_string(),
            document: document.to_string(),
            create_date: now,
        }],
        tags,
    };
    ctx.app
        .write(|e| {
            if e.policies.contains_key(&name.to_lowercase()) {
                return Err(Error::already_exists(format!(
                    "A policy called {name} already exists. Duplicate names are not allowed."
                )));
            }
            if e.policies.len() >= quota::POLICIES {
                return Err(over_quota("PoliciesPerAccount", quota::POLICIES));
            }
            // AWS's answer never shows the description (GetPolicy does), and shows `Tags`
            // only when tags were given.
            let mut shown = views::policy(&policy, PolicyUsage::default(), true);
            shown.description = None;
            if policy.tags.is_empty() {
                shown.tags = None;
            }
            let out = CreatePolicyOutput {
                policy: Some(shown),
            };
            Ok((vec![Change::put(account, &policy)], out))
        })
        .await
}

/// GetPolicy.
pub(crate) fn get_policy(ctx: &Ctx<'_>, input: GetPolicyInput) -> Result<GetPolicyOutput, Error> {
    let arn = input.policy_arn.as_str();
    let policy = ctx.app.read(|e| match find_policy(e, arn) {
        Some(PolicyRef::Customer(p)) => Ok(views::policy(p, e.usage_of(arn), true)),
        Some(PolicyRef::Aws(p)) => Ok(views::aws_policy(p, e.usage_of(arn))),
        None => Err(not_found(arn)),
    })?;
    Ok(GetPolicyOutput {
        policy: Some(policy),
    })
}

/// DeletePolicy: only once it is attached nowhere and has no other version than the
/// default.
pub(crate) async fn delete_policy(ctx: &Ctx<'_>, input: DeletePolicyInput) -> Result<(), Error> {
    let arn = input.policy_arn.as_str();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let p = find_customer(e, arn, DELETE_OUTSIDE)?;
            if e.attachment_count(arn) > 0 || e.boundary_usage_count(arn) > 0 {
                return Err(Error::delete_conflict(
                    "Cannot delete a policy attached to entities.",
                ));
            }
            if p.versions.len() > 1 {
                return Err(Error::delete_conflict(
                    "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
                ));
            }
            Ok((vec![Change::delete(account, p)], ()))
        })
        .await
}

/// ListPolicies: AWS managed and customer managed policies, sorted by name.
pub(crate) fn list_policies(
    ctx: &Ctx<'_>,
    input: ListPoliciesInput,
) -> Result<ListPoliciesOutput, Error> {
    let scope = input.scope.as_deref().unwrap_or("All");
    let only_attached = input.only_attached.unwrap_or(false);
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    let usage_filter = input.policy_usage_filter.as_deref();
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let mut refs: Vec<(String, PolicyRef<'_>)> = Vec::new();
        if scope != "Local" {
            refs.extend(
                managed_policies()
                    .iter()
                    .map(|p| (p.name.to_lowercase(), PolicyRef::Aws(p))),
            );
        }
        if scope != "AWS" {
            refs.extend(
                e.policies
                    .iter()
                    .map(|(k, p)| (k.clone(), PolicyRef::Customer(p))),
            );
        }
        let usage = e.policy_usage();
        let usage_of = |arn: &str| usage.get(arn).copied().unwrap_or_default();
        refs.retain(|(_, p)| {
            let attached = usage_of(p.arn()).attachments > 0;
            let boundary = usage_of(p.arn()).boundaries > 0;
            p.path().starts_with(prefix)
                && (!only_attached || attached || boundary)
                && match usage_filter {
                    Some("PermissionsPolicy") => !only_attached || attached,
                    Some("PermissionsBoundary") => !only_attached || boundary,
                    _ => true,
                }
        });
        refs.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.arn().cmp(b.1.arn())));
        let keys: Vec<String> = refs
            .iter()
            .map(|(k, p)| format!("{k}\u{0}{}", p.arn()))
            .collect();
        let (items, next) = page.take(
            keys.iter()
                .map(String::as_str)
                .zip(refs.iter().map(|(_, p)| p)),
        );
        let policies = items
            .into_iter()
            .map(|p| match p {
                PolicyRef::Customer(p) => views::policy(p, usage_of(&p.arn), false),
                PolicyRef::Aws(p) => views::aws_policy(p, usage_of(&p.arn)),
            })
            .collect();
        Ok(ListPoliciesOutput {
            is_truncated: Some(next.is_some()),
            marker: next,
            policies: Some(policies),
        })
    })
}

/// A `PolicyVersion` of a customer managed policy whose default version is `default`.
fn version_view(v: &PolicyVersion, default: &str, with_document: bool) -> iam::PolicyVersion {
    iam::PolicyVersion {
        version_id: Some(v.version_id.clone()),
        is_default_version: Some(v.version_id == default),
        create_date: Some(Timestamp::from_millis(v.create_date)),
        document: with_document.then(|| v.document.clone()),
    }
}

/// CreatePolicyVersion: at most five versions.
pub(crate) async fn create_policy_version(
    ctx: &Ctx<'_>,
    input: CreatePolicyVersionInput,
) -> Result<CreatePolicyVersionOutput, Error> {
    let arn = input.policy_arn.as_str();
    let document = input.policy_document.as_str();
    check_policy(document, PolicyKind::Identity, None)?;
    let set_default = input.set_as_default.unwrap_or(false);
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut p = find_customer(
                e,
                arn,
                "Cannot create versions for policies outside your own account.",
            )?
            .clone();
            if p.versions.len() >= quota::POLICY_VERSIONS {
                return Err(Error::limit_exceeded(format!(
                    "A managed policy can have up to {} versions. Before you create a new version, you must delete an existing version.",
                    quota::POLICY_VERSIONS
                )));
            }
            let now = now_millis();
            let version = PolicyVersion {
                version_id: format!("v{}", p.next_version),
                document: document.to_string(),
                create_date: now,
            };
            p.next_version += 1;
            if set_default {
                p.default_version_id = version.version_id.clone();
                p.update_date = now;
            }
            let out = CreatePolicyVersionOutput {
                policy_version: Some(version_view(&version, &p.default_version_id, false)),
            };
            p.versions.push(version);
            Ok((vec![Change::put(account, &p)], out))
        })
        .await
}

/// GetPolicyVersion.
pub(crate) fn get_policy_version(
    ctx: &Ctx<'_>,
    input: GetPolicyVersionInput,
) -> Result<GetPolicyVersionOutput, Error> {
    let arn = input.policy_arn.as_str();
    let version_id = input.version_id.as_str();
    let missing = || {
        Error::no_such_entity(format!(
            "Policy {arn} version {version_id} does not exist or is not attachable."
        ))
    };
    let version = ctx.app.read(|e| match find_policy(e, arn) {
        Some(PolicyRef::Customer(p)) => {
            let v = p
                .versions
                .iter()
                .find(|v| v.version_id == version_id)
                .ok_or_else(missing)?;
            Ok(version_view(v, &p.default_version_id, true))
        }
        Some(PolicyRef::Aws(p)) if p.default_version_id == version_id => Ok(iam::PolicyVersion {
            document: Some(p.document.clone()),
            version_id: Some(p.default_version_id.clone()),
            is_default_version: Some(true),
            create_date: Some(Timestamp::from_millis(views::date_millis(&p.update_date))),
        }),
        Some(PolicyRef::Aws(_)) | None => Err(missing()),
    })?;
    Ok(GetPolicyVersionOutput {
        policy_version: Some(version),
    })
}

/// ListPolicyVersions, newest first.
pub(crate) fn list_policy_versions(
    ctx: &Ctx<'_>,
    input: ListPolicyVersionsInput,
) -> Result<ListPolicyVersionsOutput, Error> {
    let arn = input.policy_arn.as_str();
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let versions: Vec<iam::PolicyVersion> = match find_policy(e, arn) {
            Some(PolicyRef::Customer(p)) => p
                .versions
                .iter()
                .rev()
                .map(|v| version_view(v, &p.default_version_id, false))
                .collect(),
            Some(PolicyRef::Aws(p)) => vec![iam::PolicyVersion {
                version_id: Some(p.default_version_id.clone()),
                is_default_version: Some(true),
                create_date: Some(Timestamp::from_millis(views::date_millis(&p.update_date))),
                document: None,
            }],
            None => return Err(not_found(arn)),
        };
        let keys: Vec<String> = (0..versions.len()).map(|i| format!("{i:08}")).collect();
        let (items, next) = page.take(keys.iter().map(String::as_str).zip(versions));
        Ok(ListPolicyVersionsOutput {
            is_truncated: Some(next.is_some()),
            marker: next,
            versions: Some(items),
        })
    })
}

/// DeletePolicyVersion: never the default version.
pub(crate) async fn delete_policy_version(
    ctx: &Ctx<'_>,
    input: DeletePolicyVersionInput,
) -> Result<(), Error> {
    let arn = input.policy_arn.as_str();
    let version_id = input.version_id.as_str();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut p = find_customer(
                e,
                arn,
                "Cannot delete policy versions for policies outside your own account.",
            )?
            .clone();
            if p.default_version_id == version_id {
                return Err(Error::delete_conflict(
                    "Cannot delete the default version of a policy.",
                ));
            }
            let before = p.versions.len();
            p.versions.retain(|v| v.version_id != version_id);
            if p.versions.len() == before {
                return Err(Error::no_such_entity(format!(
                    "Policy {arn} version {version_id} does not exist or is not attachable."
                )));
            }
            Ok((vec![Change::put(account, &p)], ()))
        })
        .await
}

/// SetDefaultPolicyVersion.
pub(crate) async fn set_default_policy_version(
    ctx: &Ctx<'_>,
    input: SetDefaultPolicyVersionInput,
) -> Result<(), Error> {
    let arn = input.policy_arn.as_str();
    let version_id = input.version_id.as_str();
    let account = ctx.account();
    // AWS names the version whether the policy or only the version is missing.
    let missing = || {
        Error::no_such_entity(format!(
            "Policy {arn} version {version_id} does not exist or is not attachable."
        ))
    };
    ctx.app
        .write(|e| {
            if find_policy(e, arn).is_none() {
                return Err(missing());
            }
            let mut p =
                find_customer(e, arn, "Cannot update policies outside your own account.")?.clone();
            if !p.versions.iter().any(|v| v.version_id == version_id) {
                return Err(missing());
            }
            p.default_version_id = version_id.to_string();
            p.update_date = now_millis();
            Ok((vec![Change::put(account, &p)], ()))
        })
        .await
}

/// An entity a managed policy is attached to, as ListEntitiesForPolicy lists it.
enum PolicyEntity {
    /// A user (`PolicyUsers`).
    User(PolicyUser),
    /// A group (`PolicyGroups`).
    Group(PolicyGroup),
    /// A role (`PolicyRoles`).
    Role(PolicyRole),
}

/// ListEntitiesForPolicy: the users, groups and roles a managed policy is attached to
/// (or, with `PolicyUsageFilter=PermissionsBoundary`, bounds).
pub(crate) fn list_entities_for_policy(
    ctx: &Ctx<'_>,
    input: ListEntitiesForPolicyInput,
) -> Result<ListEntitiesForPolicyOutput, Error> {
    let arn = input.policy_arn.as_str();
    let filter = input.entity_filter.as_deref();
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    let boundaries = input.policy_usage_filter.as_deref() == Some("PermissionsBoundary");
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        super::rules::attachable_policy(e, arn)?;
        let want = |kind: &str| filter.is_none_or(|f| f == kind);
        let uses = |attached: &[String], boundary: &Option<String>| {
            if boundaries {
                boundary.as_deref() == Some(arn)
            } else {
                attached.iter().any(|a| a == arn)
            }
        };
        let mut entries: Vec<(String, PolicyEntity)> = Vec::new();
        if want("User") {
            for (k, u) in &e.users {
                if u.path.starts_with(prefix) && uses(&u.attached_policies, &u.permissions_boundary)
                {
                    entries.push((
                        format!("u{k}"),
                        PolicyEntity::User(PolicyUser {
                            user_name: Some(u.name.clone()),
                            user_id: Some(u.id.clone()),
                        }),
                    ));
                }
            }
        }
        if want("Group") && !boundaries {
            for (k, g) in &e.groups {
                if g.path.starts_with(prefix) && uses(&g.attached_policies, &None) {
                    entries.push((
                        format!("g{k}"),
                        PolicyEntity::Group(PolicyGroup {
                            group_name: Some(g.name.clone()),
                            group_id: Some(g.id.clone()),
                        }),
                    ));
                }
            }
        }
        if want("Role") {
            for (k, r) in &e.roles {
                if r.path.starts_with(prefix) && uses(&r.attached_policies, &r.permissions_boundary)
                {
                    entries.push((
                        format!("r{k}"),
                        PolicyEntity::Role(PolicyRole {
                            role_name: Some(r.name.clone()),
                            role_id: Some(r.id.clone()),
                        }),
                    ));
                }
            }
        }
        // Pages go through groups, roles and users in the order of their keys.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let keys: Vec<String> = entries.iter().map(|(k, _)| k.clone()).collect();
        let (items, next) = page.take(
            keys.iter()
                .map(String::as_str)
                .zip(entries.into_iter().map(|(_, entity)| entity)),
        );
        let (mut groups, mut users, mut roles) = (Vec::new(), Vec::new(), Vec::new());
        for entity in items {
            match entity {
                PolicyEntity::User(u) => users.push(u),
                PolicyEntity::Group(g) => groups.push(g),
                PolicyEntity::Role(r) => roles.push(r),
            }
        }
        Ok(ListEntitiesForPolicyOutput {
            is_truncated: Some(next.is_some()),
            marker: next,
            policy_groups: Some(groups),
            policy_users: Some(users),
            policy_roles: Some(roles),
        })
    })
}
