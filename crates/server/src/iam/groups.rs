//! Groups and their members.

use super::rules::{self, over_quota, quota};
use super::users;
use super::views::{self, Detail};
use crate::call::Ctx;
use crate::call::input::Page;
use crate::error::Error;
use crate::secrets::unique_id;
use crate::time::now_millis;
use portcullis_protocol::iam::{
    AddUserToGroupInput, CreateGroupInput, CreateGroupOutput, DeleteGroupInput, GetGroupInput,
    GetGroupOutput, ListGroupsForUserInput, ListGroupsForUserOutput, ListGroupsInput,
    ListGroupsOutput, RemoveUserFromGroupInput, UpdateGroupInput,
};
use portcullis_store::{Change, Entities, Group};
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
pub(crate) async fn create_group(
    ctx: &Ctx<'_>,
    input: CreateGroupInput,
) -> Result<CreateGroupOutput, Error> {
    let name = input.group_name.as_str();
    let path = input.path.as_deref().unwrap_or("/");
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
            let out = CreateGroupOutput {
                group: views::group(&group),
            };
            Ok((vec![Change::put(account, &group)], out))
        })
        .await
}

/// GetGroup: the group and its members.
pub(crate) fn get_group(ctx: &Ctx<'_>, input: GetGroupInput) -> Result<GetGroupOutput, Error> {
    let name = input.group_name.as_str();
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let group = find(e, name)?;
        let (members, next) = page.take(
            e.group_members(&group.id)
                .map(|(k, u)| (k, views::user(u, Detail::Listed))),
        );
        Ok(GetGroupOutput {
            group: views::group(group),
            is_truncated: Some(next.is_some()),
            marker: next,
            users: members,
        })
    })
}

/// ListGroups.
pub(crate) fn list_groups(
    ctx: &Ctx<'_>,
    input: ListGroupsInput,
) -> Result<ListGroupsOutput, Error> {
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let (groups, next) = page.take(
            e.groups
                .iter()
                .filter(|(_, g)| g.path.starts_with(prefix))
                .map(|(k, g)| (k.as_str(), views::group(g))),
        );
        Ok(ListGroupsOutput {
            groups,
            is_truncated: Some(next.is_some()),
            marker: next,
        })
    })
}

/// UpdateGroup: new name and/or path.
pub(crate) async fn update_group(ctx: &Ctx<'_>, input: UpdateGroupInput) -> Result<(), Error> {
    let name = input.group_name.as_str();
    let new_name = input.new_group_name.as_deref();
    let new_path = input.new_path.as_deref();
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
                (),
            ))
        })
        .await
}

/// DeleteGroup: only once it has no members and no policies.
pub(crate) async fn delete_group(ctx: &Ctx<'_>, input: DeleteGroupInput) -> Result<(), Error> {
    let name = input.group_name.as_str();
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
            Ok((vec![Change::delete(account, group)], ()))
        })
        .await
}

/// AddUserToGroup.
pub(crate) async fn add_user_to_group(
    ctx: &Ctx<'_>,
    input: AddUserToGroupInput,
) -> Result<(), Error> {
    let group_name = input.group_name.as_str();
    let user_name = input.user_name.as_str();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut user = users::find(e, user_name)?.clone();
            let group = find(e, group_name)?;
            if user.groups.contains(&group.id) {
                return Ok((vec![], ()));
            }
            if user.groups.len() >= quota::GROUPS_PER_USER {
                return Err(over_quota("GroupsPerUser", quota::GROUPS_PER_USER));
            }
            user.groups.push(group.id.clone());
            Ok((vec![Change::put(account, &user)], ()))
        })
        .await
}

/// RemoveUserFromGroup.
pub(crate) async fn remove_user_from_group(
    ctx: &Ctx<'_>,
    input: RemoveUserFromGroupInput,
) -> Result<(), Error> {
    let group_name = input.group_name.as_str();
    let user_name = input.user_name.as_str();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut user = users::find(e, user_name)?.clone();
            let group = find(e, group_name)?;
            let before = user.groups.len();
            user.groups.retain(|g| g != &group.id);
            if user.groups.len() == before {
                return Ok((vec![], ()));
            }
            Ok((vec![Change::put(account, &user)], ()))
        })
        .await
}

/// ListGroupsForUser.
pub(crate) fn list_groups_for_user(
    ctx: &Ctx<'_>,
    input: ListGroupsForUserInput,
) -> Result<ListGroupsForUserOutput, Error> {
    let user_name = input.user_name.as_str();
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
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
        Ok(ListGroupsForUserOutput {
            groups: items,
            is_truncated: Some(next.is_some()),
            marker: next,
        })
    })
}
