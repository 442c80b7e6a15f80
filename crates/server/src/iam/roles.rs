//! Roles: create, read, list, update, delete, trust policies, boundaries, service-linked
//! roles.

use super::Ctx;
use super::input::paged;
use super::rules::{self, check_boundary, check_policy, check_tags, over_quota, quota};
use super::service_linked_roles;
use super::views::{self, Detail};
use crate::error::Error;
use crate::secrets::unique_id;
use crate::time::now_millis;
use portcullis_policy::PolicyKind;
use portcullis_store::{Change, Entities, Role};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// IAM's NoSuchEntity for a role.
pub fn not_found(name: &str) -> Error {
    Error::no_such_entity(format!("The role with name {name} cannot be found."))
}

/// The role with this name, or IAM's NoSuchEntity.
pub fn find<'e>(e: &'e Entities, name: &str) -> Result<&'e Role, Error> {
    e.role(name).ok_or_else(|| not_found(name))
}

fn is_service_linked(role: &Role) -> bool {
    role.path.starts_with("/aws-service-role/")
}

fn unmodifiable(role: &Role) -> Error {
    Error::unmodifiable(format!(
        "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
        role.name
    ))
}

/// CreateRole.
pub async fn create(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let i = &ctx.input;
    let name = i.str("RoleName")?;
    let path = i.opt_str("Path").unwrap_or("/");
    let trust = i.str("AssumeRolePolicyDocument")?;
    check_policy(trust, PolicyKind::Trust, None)?;
    let tags = i.tags("Tags");
    check_tags(&tags, true)?;
    let boundary = i.opt_str("PermissionsBoundary");
    let account = ctx.account();
    let role = Role {
        id: unique_id("AROA", 17),
        name: name.to_string(),
        path: path.to_string(),
        arn: rules::arn(account, "role", path, name),
        create_date: now_millis(),
        assume_role_policy_document: trust.to_string(),
        description: i.opt_str("Description").map(str::to_string),
        max_session_duration: i.opt_i64("MaxSessionDuration").unwrap_or(3600),
        permissions_boundary: boundary.map(str::to_string),
        tags,
        attached_policies: Vec::new(),
        inline_policies: BTreeMap::new(),
        last_used: None,
    };
    ctx.app
        .write(|e| {
            if e.role(name).is_some() {
                return Err(Error::already_exists(format!(
                    "Role with name {name} already exists."
                )));
            }
            if e.roles.len() >= quota::ROLES {
                return Err(over_quota("RolesPerAccount", quota::ROLES));
            }
            if let Some(b) = boundary {
                check_boundary(e, b)?;
            }
            // AWS's answer leaves out the description, the maximum session duration and
            // the last use (GetRole has them).
            let mut shown = views::role(&role, Detail::Full);
            if let Value::Object(m) = &mut shown {
                m.remove("Description");
                m.remove("MaxSessionDuration");
                m.remove("RoleLastUsed");
            }
            Ok((vec![Change::put(account, &role)], json!({ "Role": shown })))
        })
        .await
}

/// GetRole.
pub fn get(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("RoleName")?;
    ctx.app.read(|e| {
        let role = find(e, name)?;
        Ok(json!({ "Role": views::role(role, Detail::Full) }))
    })
}

/// ListRoles.
pub fn list(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let prefix = ctx.input.opt_str("PathPrefix").unwrap_or("/");
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let (roles, next) = page.take(
            e.roles
                .iter()
                .filter(|(_, r)| r.path.starts_with(prefix))
                .map(|(k, r)| (k.as_str(), views::role(r, Detail::Listed))),
        );
        Ok(paged(json!({ "Roles": roles }), next))
    })
}

async fn modify(
    ctx: &Ctx<'_>,
    name: &str,
    f: impl FnOnce(&Entities, &mut Role) -> Result<(), Error>,
    answer: impl FnOnce(&Role) -> Value,
) -> Result<Value, Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut role = find(e, name)?.clone();
            f(e, &mut role)?;
            let out = answer(&role);
            Ok((vec![Change::put(account, &role)], out))
        })
        .await
}

/// UpdateRole.
pub async fn update(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("RoleName")?;
    let description = ctx.input.opt_str("Description");
    let max = ctx.input.opt_i64("MaxSessionDuration");
    modify(
        ctx,
        name,
        |_, r| {
            if is_service_linked(r) {
                return Err(unmodifiable(r));
            }
            if let Some(d) = description {
                r.description = Some(d.to_string());
            }
            if let Some(m) = max {
                r.max_session_duration = m;
            }
            Ok(())
        },
        |_| json!({}),
    )
    .await
}

/// UpdateRoleDescription.
pub async fn update_description(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("RoleName")?;
    let description = ctx.input.str("Description")?;
    modify(
        ctx,
        name,
        |_, r| {
            if is_service_linked(r) {
                return Err(unmodifiable(r));
            }
            r.description = Some(description.to_string());
            Ok(())
        },
        |r| {
            // AWS answers with the role but without its maximum session duration, last
            // use or permissions boundary.
            let mut shown = views::role(r, Detail::Full);
            if let Value::Object(m) = &mut shown {
                m.remove("MaxSessionDuration");
                m.remove("RoleLastUsed");
                m.remove("PermissionsBoundary");
            }
            json!({ "Role": shown })
        },
    )
    .await
}

/// UpdateAssumeRolePolicy.
pub async fn update_trust(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("RoleName")?;
    let document = ctx.input.str("PolicyDocument")?;
    check_policy(document, PolicyKind::Trust, None)?;
    modify(
        ctx,
        name,
        |_, r| {
            if is_service_linked(r) {
                return Err(unmodifiable(r));
            }
            r.assume_role_policy_document = document.to_string();
            Ok(())
        },
        |_| json!({}),
    )
    .await
}

/// PutRolePermissionsBoundary.
pub async fn put_boundary(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("RoleName")?;
    let arn = ctx.input.str("PermissionsBoundary")?;
    modify(
        ctx,
        name,
        |e, r| {
            if is_service_linked(r) {
                return Err(unmodifiable(r));
            }
            check_boundary(e, arn)?;
            r.permissions_boundary = Some(arn.to_string());
            Ok(())
        },
        |_| json!({}),
    )
    .await
}

/// DeleteRolePermissionsBoundary.
pub async fn delete_boundary(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("RoleName")?;
    modify(
        ctx,
        name,
        |_, r| {
            if is_service_linked(r) {
                return Err(unmodifiable(r));
            }
            if r.permissions_boundary.take().is_none() {
                return Err(Error::no_such_entity(format!(
                    "Role {name} does not have a permissions boundary."
                )));
            }
            Ok(())
        },
        |_| json!({}),
    )
    .await
}

/// Why a role cannot be deleted yet, if it cannot.
fn delete_conflict(e: &Entities, role: &Role) -> Option<Error> {
    if !role.attached_policies.is_empty() {
        return Some(Error::delete_conflict(
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    if !role.inline_policies.is_empty() {
        return Some(Error::delete_conflict(
            "Cannot delete entity, must delete policies first.",
        ));
    }
    if e.instance_profiles
        .values()
        .any(|p| p.roles.iter().any(|r| r.eq_ignore_ascii_case(&role.name)))
    {
        return Some(Error::delete_conflict(
            "Cannot delete entity, must remove roles from instance profile first.",
        ));
    }
    None
}

/// DeleteRole.
pub async fn delete(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("RoleName")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let role = find(e, name)?;
            if is_service_linked(role) {
                return Err(unmodifiable(role));
            }
            if let Some(conflict) = delete_conflict(e, role) {
                return Err(conflict);
            }
            // Its recorded service accesses go with it.
            let mut changes = vec![Change::delete(account, role)];
            changes.extend(e.accesses_of(&role.id).map(|a| Change::delete(account, a)));
            Ok((changes, json!({})))
        })
        .await
}

/// CreateServiceLinkedRole: the role AWS creates for the service (see
/// [`super::service_linked_roles`]): its name (with `_SUFFIX` when a custom suffix is given
/// and the service accepts one), path, trust policy, attached AWS managed policies and
/// default description.
pub async fn create_service_linked(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let service = ctx.input.str("AWSServiceName")?;
    if !service.ends_with(".amazonaws.com") {
        return Err(Error::invalid_input(format!(
            "Invalid ServiceName {service}"
        )));
    }
    let made = service_linked_roles::for_service(service);
    let name = match ctx.input.opt_str("CustomSuffix") {
        Some(_) if !made.custom_suffix_allowed => {
            return Err(Error::invalid_input(
                made.custom_suffix_error
                    .clone()
                    .unwrap_or_else(|| format!("Custom suffix is not allowed for {service}")),
            ));
        }
        Some(s) => format!("{}_{s}", made.role_name),
        None => made.role_name.clone(),
    };
    let account = ctx.account();
    let role = Role {
        id: unique_id("AROA", 17),
        arn: rules::arn(account, "role", &made.path, &name),
        name: name.clone(),
        path: made.path.clone(),
        create_date: now_millis(),
        assume_role_policy_document: made.assume_role_policy_document.to_string(),
        description: ctx
            .input
            .opt_str("Description")
            .map(str::to_string)
            .or(made.description.clone()),
        max_session_duration: 3600,
        permissions_boundary: None,
        tags: Vec::new(),
        // Every recorded policy but one is in the catalog; AmazonLexBotPolicy (of
        // lex.amazonaws.com) is not, and a policy this server cannot read is not attached.
        attached_policies: made
            .attached_policies
            .iter()
            .filter(|p| portcullis_catalog::managed_policy(p).is_some())
            .cloned()
            .collect(),
        inline_policies: BTreeMap::new(),
        last_used: None,
    };
    ctx.app
        .write(|e| {
            if e.role(&name).is_some() {
                return Err(Error::invalid_input(format!(
                    "Service role name {name} has been taken in this account, please try a different suffix."
                )));
            }
            let out = json!({ "Role": views::role(&role, Detail::Full) });
            Ok((vec![Change::put(account, &role)], out))
        })
        .await
}

/// DeleteServiceLinkedRole: deletes at once and answers with a task ID that
/// GetServiceLinkedRoleDeletionStatus reports as SUCCEEDED.
pub async fn delete_service_linked(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("RoleName")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let role = find(e, name)?;
            if !is_service_linked(role) {
                return Err(Error::invalid_input(format!(
                    "Role {name} is not a service-linked role."
                )));
            }
            let task = format!("task{}{}/{}", role.path, role.name, uuid::Uuid::new_v4());
            Ok((
                vec![Change::delete(account, role)],
                json!({ "DeletionTaskId": task }),
            ))
        })
        .await
}

/// GetServiceLinkedRoleDeletionStatus.
pub fn deletion_status(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let task = ctx.input.str("DeletionTaskId")?;
    let role_name = task
        .strip_prefix("task/aws-service-role/")
        .and_then(|rest| rest.split('/').nth(1))
        .ok_or_else(|| Error::invalid_input(format!("Invalid deletion task id {task}")))?;
    let exists = ctx.app.read(|e| e.role(role_name).is_some());
    Ok(json!({ "Status": if exists { "IN_PROGRESS" } else { "SUCCEEDED" } }))
}
