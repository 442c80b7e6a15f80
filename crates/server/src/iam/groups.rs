//! Groups and their members.

use super::rules::{self, over_quota, quota};
use super::users;
use super::views::{self, Detail};
use crate::call::Ctx;
use crate::call::input::paged;
use crate::error::Error;
use crate::secrets::unique_id;
use crate::time::now_millis;
use portcullis_store::{Change, Entities, Group};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// IAM's NoSuchEntity for a group.
pub(super) fn not_found(name: &str) -> Error {
    Error::no_such_entity(format!("The group with name {name} cannot be found."))
}

/// The group with this name, or IAM's NoSuchEntity.
pub(super) fn find<'e>(e: &'e Entities, name: &str) -> Result<&'e Group, Error> {
    e.group(name).ok_or_else(|| not_found(name))
}

/// CreateGroup.
pub(super) async fn create(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("GroupName")?;
    let path = ctx.input.opt_str("Path").unwrap_or("/");
    let account = ctx.account();
    let group = Group {
        id: unique_id("AGPA", 17),
        name: name.to_string(),
        path: path.to_string(),
        arn: rules::arn(account, "group", path, name),
        create_date: now_millis(),
        attached_policies: Vec::new(),
        inline_policies: BTreeMap::new(),
    };
    ctx.app
        .write(|e| {
            if e.group(name).is_some() {
                return Err(Error::already_exists(format!(
                    "Group with name {name} already exists."
                )));
            }
            if e.groups.len() >= quota::GROUPS {
                return Err(over_quota("GroupsPerAccount", quota::GROUPS));
            }
            let out = json!({ "Group": views::group(&group) });
            Ok((vec![Change::put(account, &group)], out))
        })
        .await
}

/// GetGroup: the group and its members.
pub(super) fn get(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("GroupName")?;
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let group = find(e, name)?;
        let (members, next) = page.take(
            e.group_members(&group.id)
                .map(|(k, u)| (k, views::user(u, Detail::Listed))),
        );
        Ok(paged(
            json!({ "Group": views::group(group), "Users": members }),
            next,
        ))
    })
}

/// ListGroups.
pub(super) fn list(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let prefix = ctx.input.opt_str("PathPrefix").unwrap_or("/");
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let (groups, next) = page.take(
            e.groups
                .iter()
                .filter(|(_, g)| g.path.starts_with(prefix))
                .map(|(k, g)| (k.as_str(), views::group(g))),
        );
        Ok(paged(json!({ "Groups": groups }), next))
    })
}

/// UpdateGroup: new name and/or path.
pub(super) async fn update(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("GroupName")?;
    let new_name = ctx.input.opt_str("NewGroupName");
    let new_path = ctx.input.opt_str("NewPath");
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let old = find(e, name)?;
            let mut group = old.clone();
            if let Some(n) = new_name {
                if !n.eq_ignore_ascii_case(name) && e.group(n).is_some() {
                    return Err(Error::already_exists(format!(
                        "Group with name {n} already exists."
                    )));
                }
                group.name = n.to_string();
            }
            if let Some(p) = new_path {
                group.path = p.to_string();
            }
            group.arn = rules::arn(account, "group", &group.path, &group.name);
            Ok((
                vec![Change::delete(account, old), Change::put(account, &group)],
                json!({}),
            ))
        })
        .await
}

/// DeleteGroup: only once it has no members and no policies.
pub(super) async fn delete(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("GroupName")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let group = find(e, name)?;
            let conflict = if e.group_members(&group.id).next().is_some() {
                Some("Cannot delete entity, must remove users from group first.")
            } else if !group.attached_policies.is_empty() {
                Some("Cannot delete entity, must detach all policies first.")
            } else if !group.inline_policies.is_empty() {
                Some("Cannot delete entity, must delete policies first.")
            } else {
                None
            };
            if let Some(message) = conflict {
                return Err(Error::delete_conflict(message));
            }
            Ok((vec![Change::delete(account, group)], json!({})))
        })
        .await
}

/// AddUserToGroup.
pub(super) async fn add_user(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let group_name = ctx.input.str("GroupName")?;
    let user_name = ctx.input.str("UserName")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut user = users::find(e, user_name)?.clone();
            let group = find(e, group_name)?;
            if user.groups.contains(&group.id) {
                return Ok((vec![], json!({})));
            }
            if user.groups.len() >= quota::GROUPS_PER_USER {
                return Err(over_quota("GroupsPerUser", quota::GROUPS_PER_USER));
            }
            user.groups.push(group.id.clone());
            Ok((vec![Change::put(account, &user)], json!({})))
        })
        .await
}

/// RemoveUserFromGroup.
pub(super) async fn remove_user(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let group_name = ctx.input.str("GroupName")?;
    let user_name = ctx.input.str("UserName")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut user = users::find(e, user_name)?.clone();
            let group = find(e, group_name)?;
            let before = user.groups.len();
            user.groups.retain(|g| g != &group.id);
            if user.groups.len() == before {
                return Ok((vec![], json!({})));
            }
            Ok((vec![Change::put(account, &user)], json!({})))
        })
        .await
}

/// ListGroupsForUser.
pub(super) fn list_for_user(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let user_name = ctx.input.str("UserName")?;
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let user = users::find(e, user_name)?;
        let mut groups: Vec<&Group> = user
            .groups
            .iter()
            .filter_map(|id| e.group_by_id(id))
            .collect();
        groups.sort_by_key(|g| g.name.to_lowercase());
        let keys: Vec<String> = groups.iter().map(|g| g.name.to_lowercase()).collect();
        let (items, next) = page.take(
            keys.iter()
                .map(String::as_str)
                .zip(groups.iter().map(|g| views::group(g))),
        );
        Ok(paged(json!({ "Groups": items }), next))
    })
}
