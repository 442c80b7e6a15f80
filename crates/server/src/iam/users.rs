//! Users: create, read, list, rename, delete, permissions boundaries.

use super::rules::{self, check_boundary, check_tags, over_quota, quota};
use super::views::{self, Detail};
use crate::call::Ctx;
use crate::call::input::Page;
use crate::error::Error;
use crate::secrets::unique_id;
use crate::time::now_millis;
use portcullis_protocol::Timestamp;
use portcullis_protocol::iam::{
    self, CreateUserInput, CreateUserOutput, DeleteUserInput, DeleteUserPermissionsBoundaryInput,
    GetUserInput, GetUserOutput, ListUsersInput, ListUsersOutput, PutUserPermissionsBoundaryInput,
    UpdateUserInput,
};
use portcullis_store::{Change, Entities, User};
use std::collections::BTreeMap;

/// IAM's NoSuchEntity for a user.
pub(super) fn not_found(name: &str) -> Error {
    Error::no_such_entity(format!("The user with name {name} cannot be found."))
}

/// The user with this name, or IAM's NoSuchEntity.
pub(super) fn find<'e>(e: &'e Entities, name: &str) -> Result<&'e User, Error> {
    e.user(name).ok_or_else(|| not_found(name))
}

/// The user an operation works on: `user_name` (its `UserName`) when given, else the
/// calling user.
pub(super) fn target_user<'a>(
    ctx: &'a Ctx<'_>,
    user_name: Option<&'a str>,
) -> Result<&'a str, Error> {
    match user_name {
        Some(n) => Ok(n),
        None => ctx.caller.user_name.as_deref().ok_or_else(|| {
            Error::validation("Must specify userName when calling with non-User credentials")
        }),
    }
}

/// CreateUser.
pub(crate) async fn create_user(
    ctx: &Ctx<'_>,
    input: CreateUserInput,
) -> Result<CreateUserOutput, Error> {
    let name = input.user_name.as_str();
    let path = input.path.as_deref().unwrap_or("/");
    let tags = views::stored_tags(input.tags);
    check_tags(&tags, true)?;
    let boundary = input.permissions_boundary.as_deref();
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
            let out = CreateUserOutput {
                user: Some(views::user(&user, Detail::Full)),
            };
            Ok((vec![Change::put(account, &user)], out))
        })
        .await
}

/// GetUser: the named user, or the caller (the root answers with the account's identity).
pub(crate) fn get_user(ctx: &Ctx<'_>, input: GetUserInput) -> Result<GetUserOutput, Error> {
    if input.user_name.is_none() && ctx.caller.is_root() {
        let account = ctx.account();
        let created = ctx
            .app
            .read(|e| e.account.as_ref().map(|a| a.create_date))
            .unwrap_or_default();
        return Ok(GetUserOutput {
            user: iam::User {
                path: "/".to_string(),
                user_name: "root".to_string(),
                user_id: account.to_string(),
                arn: format!("arn:aws:iam::{account}:root"),
                create_date: Timestamp::from_millis(created),
                password_last_used: None,
                permissions_boundary: None,
                tags: None,
            },
        });
    }
    let name = target_user(ctx, input.user_name.as_deref())?;
    ctx.app.read(|e| {
        let user = find(e, name)?;
        Ok(GetUserOutput {
            user: views::user(user, Detail::Full),
        })
    })
}

/// ListUsers.
pub(crate) fn list_users(ctx: &Ctx<'_>, input: ListUsersInput) -> Result<ListUsersOutput, Error> {
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let (users, next) = page.take(
            e.users
                .iter()
                .filter(|(_, u)| u.path.starts_with(prefix))
                .map(|(k, u)| (k.as_str(), views::user(u, Detail::Listed))),
        );
        Ok(ListUsersOutput {
            is_truncated: Some(next.is_some()),
            marker: next,
            users,
        })
    })
}

/// UpdateUser: new name and/or path.
pub(crate) async fn update_user(ctx: &Ctx<'_>, input: UpdateUserInput) -> Result<(), Error> {
    let name = input.user_name.as_str();
    let new_name = input.new_user_name.as_deref();
    let new_path = input.new_path.as_deref();
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
                (),
            ))
        })
        .await
}

/// DeleteUser: only once nothing is attached to the user.
pub(crate) async fn delete_user(ctx: &Ctx<'_>, input: DeleteUserInput) -> Result<(), Error> {
    let name = input.user_name.as_str();
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
            Ok((changes, ()))
        })
        .await
}

/// PutUserPermissionsBoundary.
pub(crate) async fn put_user_permissions_boundary(
    ctx: &Ctx<'_>,
    input: PutUserPermissionsBoundaryInput,
) -> Result<(), Error> {
    let name = input.user_name.as_str();
    let arn = input.permissions_boundary.as_str();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut user = find(e, name)?.clone();
            check_boundary(e, arn)?;
            user.permissions_boundary = Some(arn.to_string());
            Ok((vec![Change::put(account, &user)], ()))
        })
        .await
}

/// DeleteUserPermissionsBoundary.
pub(crate) async fn delete_user_permissions_boundary(
    ctx: &Ctx<'_>,
    input: DeleteUserPermissionsBoundaryInput,
) -> Result<(), Error> {
    let name = input.user_name.as_str();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut user = find(e, name)?.clone();
            if user.permissions_boundary.take().is_none() {
                return Err(Error::no_such_entity(format!(
                    "User {name} does not have a permissions boundary."
                )));
            }
            Ok((vec![Change::put(account, &user)], ()))
        })
        .await
}
