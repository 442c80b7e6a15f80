//! Users: create, read, list, rename, delete, permissions boundaries.

use super::rules::{self, check_boundary, check_tags, over_quota, quota};
use super::views::{self, Detail};
use crate::call::Ctx;
use crate::call::input::paged;
use crate::error::Error;
use crate::secrets::unique_id;
use crate::time::now_millis;
use portcullis_store::{Change, Entities, User};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// IAM's NoSuchEntity for a user.
pub(super) fn not_found(name: &str) -> Error {
    Error::no_such_entity(format!("The user with name {name} cannot be found."))
}

/// The user with this name, or IAM's NoSuchEntity.
pub(super) fn find<'e>(e: &'e Entities, name: &str) -> Result<&'e User, Error> {
    e.user(name).ok_or_else(|| not_found(name))
}

/// The user an operation works on: `UserName` when given, else the calling user.
pub(super) fn target_name<'a>(ctx: &'a Ctx<'_>) -> Result<&'a str, Error> {
    match ctx.input.opt_str("UserName") {
        Some(n) => Ok(n),
        None => ctx.caller.user_name.as_deref().ok_or_else(|| {
            Error::validation("Must specify userName when calling with non-User credentials")
        }),
    }
}

/// CreateUser.
pub(super) async fn create(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let i = &ctx.input;
    let name = i.str("UserName")?;
    let path = i.opt_str("Path").unwrap_or("/");
    let tags = i.tags("Tags");
    check_tags(&tags, true)?;
    let boundary = i.opt_str("PermissionsBoundary");
    let account = ctx.account();
    let user = User {
        id: unique_id("AIDA", 17),
        name: name.to_string(),
        path: path.to_string(),
        arn: rules::arn(account, "user", path, name),
        create_date: now_millis(),
        permissions_boundary: boundary.map(str::to_string),
        tags,
        groups: Vec::new(),
        attached_policies: Vec::new(),
        inline_policies: BTreeMap::new(),
        password_last_used: None,
    };
    ctx.app
        .write(|e| {
            if e.user(name).is_some() {
                return Err(Error::already_exists(format!(
                    "User with name {name} already exists."
                )));
            }
            if e.users.len() >= quota::USERS {
                return Err(over_quota("UsersPerAccount", quota::USERS));
            }
            if let Some(b) = boundary {
                check_boundary(e, b)?;
            }
            let out = json!({ "User": views::user(&user, Detail::Full) });
            Ok((vec![Change::put(account, &user)], out))
        })
        .await
}

/// GetUser: the named user, or the caller (the root answers with the account's identity).
pub(super) fn get(ctx: &Ctx<'_>) -> Result<Value, Error> {
    if ctx.input.opt_str("UserName").is_none() && ctx.caller.is_root() {
        let account = ctx.account();
        let created = ctx
            .app
            .read(|e| e.account.as_ref().map(|a| a.create_date))
            .unwrap_or_default();
        return Ok(json!({ "User": {
            "Path": "/",
            "UserName": "root",
            "UserId": account,
            "Arn": format!("arn:aws:iam::{account}:root"),
            "CreateDate": crate::time::iso8601(created),
        }}));
    }
    let name = target_name(ctx)?;
    ctx.app.read(|e| {
        let user = find(e, name)?;
        Ok(json!({ "User": views::user(user, Detail::Full) }))
    })
}

/// ListUsers.
pub(super) fn list(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let prefix = ctx.input.opt_str("PathPrefix").unwrap_or("/");
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let (users, next) = page.take(
            e.users
                .iter()
                .filter(|(_, u)| u.path.starts_with(prefix))
                .map(|(k, u)| (k.as_str(), views::user(u, Detail::Listed))),
        );
        Ok(paged(json!({ "Users": users }), next))
    })
}

/// UpdateUser: new name and/or path.
pub(super) async fn update(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("UserName")?;
    let new_name = ctx.input.opt_str("NewUserName");
    let new_path = ctx.input.opt_str("NewPath");
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let old = find(e, name)?;
            let mut user = old.clone();
            if let Some(n) = new_name {
                if !n.eq_ignore_ascii_case(name) && e.user(n).is_some() {
                    return Err(Error::already_exists(format!(
                        "User with name {n} already exists."
                    )));
                }
                user.name = n.to_string();
            }
            if let Some(p) = new_path {
                user.path = p.to_string();
            }
            user.arn = rules::arn(account, "user", &user.path, &user.name);
            Ok((
                vec![Change::delete(account, old), Change::put(account, &user)],
                json!({}),
            ))
        })
        .await
}

/// DeleteUser: only once nothing is attached to the user.
pub(super) async fn delete(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("UserName")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let user = find(e, name)?;
            let conflict = if e.login_profile(&user.id).is_some() {
                Some("Cannot delete entity, must delete login profile first.")
            } else if !e.access_keys_of(Some(&user.id)).is_empty() {
                Some("Cannot delete entity, must delete access keys first.")
            } else if !e.signing_certificates_of(Some(&user.id)).is_empty() {
                Some("Cannot delete entity, must delete signing certificates first.")
            } else if !e.ssh_public_keys_of(&user.id).is_empty() {
                Some("Cannot delete entity, must delete SSH public keys first.")
            } else if !e.service_credentials_of(&user.id).is_empty() {
                // AWS's words for service-specific credentials.
                Some("Cannot delete entity, must remove referenced objects first.")
            } else if !e.mfa_devices_of(&user.id).is_empty() {
                Some("Cannot delete entity, must delete MFA device first.")
            } else if !user.groups.is_empty() {
                Some("Cannot delete entity, must remove users from group first.")
            } else if !user.attached_policies.is_empty() {
                Some("Cannot delete entity, must detach all policies first.")
            } else if !user.inline_policies.is_empty() {
                Some("Cannot delete entity, must delete policies first.")
            } else {
                None
            };
            if let Some(message) = conflict {
                return Err(Error::delete_conflict(message));
            }
            // Its recorded service accesses go with it.
            let mut changes = vec![Change::delete(account, user)];
            changes.extend(e.accesses_of(&user.id).map(|a| Change::delete(account, a)));
            Ok((changes, json!({})))
        })
        .await
}

/// PutUserPermissionsBoundary.
pub(super) async fn put_boundary(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("UserName")?;
    let arn = ctx.input.str("PermissionsBoundary")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut user = find(e, name)?.clone();
            check_boundary(e, arn)?;
            user.permissions_boundary = Some(arn.to_string());
            Ok((vec![Change::put(account, &user)], json!({})))
        })
        .await
}

/// DeleteUserPermissionsBoundary.
pub(super) async fn delete_boundary(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("UserName")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut user = find(e, name)?.clone();
            if user.permissions_boundary.take().is_none() {
                return Err(Error::no_such_entity(format!(
                    "User {name} does not have a permissions boundary."
                )));
            }
            Ok((vec![Change::put(account, &user)], json!({})))
        })
        .await
}
