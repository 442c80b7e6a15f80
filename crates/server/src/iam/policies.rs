//! Managed policies and their versions. AWS managed policies (all 1,582 of the catalog) are
//! readable and attachable; customer managed policies are created, versioned and deleted.

use super::rules::{self, check_policy, check_tags, over_quota, quota};
use super::views;
use crate::account::{PolicyRef, find_policy};
use crate::call::Ctx;
use crate::call::input::paged;
use crate::error::Error;
use crate::secrets::unique_id;
use crate::time::{iso8601, now_millis};
use portcullis_catalog::managed_policies;
use portcullis_policy::PolicyKind;
use portcullis_store::{Change, Entities, ManagedPolicy, PolicyUsage, PolicyVersion};
use serde_json::{Value, json};

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
        Some(PolicyRef::Aws(_)) => Err(Error::aws("AccessDenied", outside)),
        None => Err(not_found(arn)),
    }
}

const DELETE_OUTSIDE: &str = "Cannot delete policies outside your own account.";

/// CreatePolicy.
pub(super) async fn create(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let i = &ctx.input;
    let name = i.str("PolicyName")?;
    let path = i.opt_str("Path").unwrap_or("/");
    let document = i.str("PolicyDocument")?;
    check_policy(document, PolicyKind::Identity, None)?;
    let tags = i.tags("Tags");
    check_tags(&tags, false)?;
    let account = ctx.account();
    let now = now_millis();
    let policy = ManagedPolicy {
        id: unique_id("ANPA", 17),
        name: name.to_string(),
        path: path.to_string(),
        arn: rules::arn(account, "policy", path, name),
        description: i.opt_str("Description").map(str::to_string),
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
            if let Value::Object(m) = &mut shown {
                m.remove("Description");
                if policy.tags.is_empty() {
                    m.remove("Tags");
                }
            }
            let out = json!({ "Policy": shown });
            Ok((vec![Change::put(account, &policy)], out))
        })
        .await
}

/// GetPolicy.
pub(super) fn get(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("PolicyArn")?;
    ctx.app.read(|e| match find_policy(e, arn) {
        Some(PolicyRef::Customer(p)) => {
            Ok(json!({ "Policy": views::policy(p, e.usage_of(arn), true) }))
        }
        Some(PolicyRef::Aws(p)) => Ok(json!({ "Policy": views::aws_policy(p, e.usage_of(arn)) })),
        None => Err(not_found(arn)),
    })
}

/// DeletePolicy: only once it is attached nowhere and has no other version than the
/// default.
pub(super) async fn delete(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("PolicyArn")?;
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
            Ok((vec![Change::delete(account, p)], json!({})))
        })
        .await
}

/// ListPolicies: AWS managed and customer managed policies, sorted by name.
pub(super) fn list(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let i = &ctx.input;
    let scope = i.opt_str("Scope").unwrap_or("All");
    let only_attached = i.opt_bool("OnlyAttached").unwrap_or(false);
    let prefix = i.opt_str("PathPrefix").unwrap_or("/");
    let usage_filter = i.opt_str("PolicyUsageFilter");
    let page = i.page()?;
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
        let items: Vec<Value> = items
            .into_iter()
            .map(|p| match p {
                PolicyRef::Customer(p) => views::policy(p, usage_of(&p.arn), false),
                PolicyRef::Aws(p) => views::aws_policy(p, usage_of(&p.arn)),
            })
            .collect();
        Ok(paged(json!({ "Policies": items }), next))
    })
}

fn version_value(v: &PolicyVersion, default: &str, with_document: bool) -> Value {
    let mut out = json!({
        "VersionId": v.version_id,
        "IsDefaultVersion": v.version_id == default,
        "CreateDate": iso8601(v.create_date),
    });
    if with_document {
        out["Document"] = json!(v.document);
    }
    out
}

/// CreatePolicyVersion: at most five versions.
pub(super) async fn create_version(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("PolicyArn")?;
    let document = ctx.input.str("PolicyDocument")?;
    check_policy(document, PolicyKind::Identity, None)?;
    let set_default = ctx.input.opt_bool("SetAsDefault").unwrap_or(false);
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
            let out = json!({ "PolicyVersion": version_value(&version, &p.default_version_id, false) });
            p.versions.push(version);
            Ok((vec![Change::put(account, &p)], out))
        })
        .await
}

/// GetPolicyVersion.
pub(super) fn get_version(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("PolicyArn")?;
    let version_id = ctx.input.str("VersionId")?;
    let missing = || {
        Error::no_such_entity(format!(
            "Policy {arn} version {version_id} does not exist or is not attachable."
        ))
    };
    ctx.app.read(|e| match find_policy(e, arn) {
        Some(PolicyRef::Customer(p)) => {
            let v = p
                .versions
                .iter()
                .find(|v| v.version_id == version_id)
                .ok_or_else(missing)?;
            Ok(json!({ "PolicyVersion": version_value(v, &p.default_version_id, true) }))
        }
        Some(PolicyRef::Aws(p)) if p.default_version_id == version_id => Ok(json!({
            "PolicyVersion": {
                "Document": p.document,
                "VersionId": p.default_version_id,
                "IsDefaultVersion": true,
                "CreateDate": iso8601(views::date_millis(&p.update_date)),
            }
        })),
        Some(PolicyRef::Aws(_)) | None => Err(missing()),
    })
}

/// ListPolicyVersions, newest first.
pub(super) fn list_versions(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("PolicyArn")?;
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let versions: Vec<Value> = match find_policy(e, arn) {
            Some(PolicyRef::Customer(p)) => p
                .versions
                .iter()
                .rev()
                .map(|v| version_value(v, &p.default_version_id, false))
                .collect(),
            Some(PolicyRef::Aws(p)) => vec![json!({
                "VersionId": p.default_version_id,
                "IsDefaultVersion": true,
                "CreateDate": iso8601(views::date_millis(&p.update_date)),
            })],
            None => return Err(not_found(arn)),
        };
        let keys: Vec<String> = (0..versions.len()).map(|i| format!("{i:08}")).collect();
        let (items, next) = page.take(keys.iter().map(String::as_str).zip(versions));
        Ok(paged(json!({ "Versions": items }), next))
    })
}

/// DeletePolicyVersion: never the default version.
pub(super) async fn delete_version(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("PolicyArn")?;
    let version_id = ctx.input.str("VersionId")?;
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
            Ok((vec![Change::put(account, &p)], json!({})))
        })
        .await
}

/// SetDefaultPolicyVersion.
pub(super) async fn set_default_version(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("PolicyArn")?;
    let version_id = ctx.input.str("VersionId")?;
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
            Ok((vec![Change::put(account, &p)], json!({})))
        })
        .await
}

/// ListEntitiesForPolicy: the users, groups and roles a managed policy is attached to
/// (or, with `PolicyUsageFilter=PermissionsBoundary`, bounds).
pub(super) fn list_entities(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let i = &ctx.input;
    let arn = i.str("PolicyArn")?;
    let filter = i.opt_str("EntityFilter");
    let prefix = i.opt_str("PathPrefix").unwrap_or("/");
    let boundaries = i.opt_str("PolicyUsageFilter") == Some("PermissionsBoundary");
    let page = i.page()?;
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
        let mut entries: Vec<(String, &str, Value)> = Vec::new();
        if want("User") {
            for (k, u) in &e.users {
                if u.path.starts_with(prefix) && uses(&u.attached_policies, &u.permissions_boundary)
                {
                    entries.push((
                        format!("u{k}"),
                        "PolicyUsers",
                        json!({"UserName": u.name, "UserId": u.id}),
                    ));
                }
            }
        }
        if want("Group") && !boundaries {
            for (k, g) in &e.groups {
                if g.path.starts_with(prefix) && uses(&g.attached_policies, &None) {
                    entries.push((
                        format!("g{k}"),
                        "PolicyGroups",
                        json!({"GroupName": g.name, "GroupId": g.id}),
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
                        "PolicyRoles",
                        json!({"RoleName": r.name, "RoleId": r.id}),
                    ));
                }
            }
        }
        // Pages go through groups, roles and users in the order of their keys.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let keys: Vec<String> = entries.iter().map(|(k, _, _)| k.clone()).collect();
        let (items, next) = page.take(keys.iter().map(String::as_str).zip(entries.iter()));
        let mut out = json!({"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": []});
        for (_, list, value) in items {
            if let Some(a) = out[*list].as_array_mut() {
                a.push(value.clone());
            }
        }
        Ok(paged(out, next))
    })
}
