//! Instance profiles: the role an EC2 instance runs as.

use super::rules::{self, check_tags, over_quota, quota};
use super::{roles, views};
use crate::call::Ctx;
use crate::call::input::Page;
use crate::error::Error;
use crate::secrets::unique_id;
use crate::time::now_millis;
use portcullis_protocol::iam::{
    AddRoleToInstanceProfileInput, CreateInstanceProfileInput, CreateInstanceProfileOutput,
    DeleteInstanceProfileInput, GetInstanceProfileInput, GetInstanceProfileOutput,
    ListInstanceProfilesForRoleInput, ListInstanceProfilesForRoleOutput, ListInstanceProfilesInput,
    ListInstanceProfilesOutput, RemoveRoleFromInstanceProfileInput,
};
use portcullis_store::{Change, Entities, InstanceProfile};

/// The instance profile with this name, or IAM's NoSuchEntity.
pub(super) fn find<'e>(e: &'e Entities, name: &str) -> Result<&'e InstanceProfile, Error> {
    e.instance_profile(name)
        .ok_or_else(|| Error::no_such_entity(format!("Instance Profile {name} cannot be found.")))
}

/// CreateInstanceProfile.
pub(crate) async fn create_instance_profile(
    ctx: &Ctx<'_>,
    input: CreateInstanceProfileInput,
) -> Result<CreateInstanceProfileOutput, Error> {
    let name = input.instance_profile_name.as_str();
    let path = input.path.as_deref().unwrap_or("/");
    let tags = views::stored_tags(input.tags);
    check_tags(&tags, true)?;
    let account = ctx.account();
    let profile = InstanceProfile {
        id: unique_id("AIPA", 17),
        name: name.to_string(),
        path: path.to_string(),
        arn: rules::arn(account, "instance-profile", path, name),
        create_date: now_millis(),
        roles: Vec::new(),
        tags,
    };
    ctx.app
        .write(|e| {
            if e.instance_profile(name).is_some() {
                return Err(Error::already_exists(format!(
                    "Instance Profile {name} already exists."
                )));
            }
            if e.instance_profiles.len() >= quota::INSTANCE_PROFILES {
                return Err(over_quota(
                    "InstanceProfilesPerAccount",
                    quota::INSTANCE_PROFILES,
                ));
            }
            let out = CreateInstanceProfileOutput {
                instance_profile: views::instance_profile(&profile, e, true),
            };
            Ok((vec![Change::put(account, &profile)], out))
        })
        .await
}

/// GetInstanceProfile.
pub(crate) fn get_instance_profile(
    ctx: &Ctx<'_>,
    input: GetInstanceProfileInput,
) -> Result<GetInstanceProfileOutput, Error> {
    ctx.app.read(|e| {
        let p = find(e, &input.instance_profile_name)?;
        Ok(GetInstanceProfileOutput {
            instance_profile: views::instance_profile(p, e, true),
        })
    })
}

/// DeleteInstanceProfile: only once it has no role.
pub(crate) async fn delete_instance_profile(
    ctx: &Ctx<'_>,
    input: DeleteInstanceProfileInput,
) -> Result<(), Error> {
    let name = input.instance_profile_name.as_str();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let p = find(e, name)?;
            if !p.roles.is_empty() {
                return Err(Error::delete_conflict(
                    "Cannot delete entity, must remove roles from instance profile first.",
                ));
            }
            Ok((vec![Change::delete(account, p)], ()))
        })
        .await
}

/// ListInstanceProfiles.
pub(crate) fn list_instance_profiles(
    ctx: &Ctx<'_>,
    input: ListInstanceProfilesInput,
) -> Result<ListInstanceProfilesOutput, Error> {
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let (items, next) = page.take(
            e.instance_profiles
                .iter()
                .filter(|(_, p)| p.path.starts_with(prefix))
                .map(|(k, p)| (k.as_str(), views::instance_profile(p, e, false))),
        );
        Ok(ListInstanceProfilesOutput {
            instance_profiles: items,
            is_truncated: Some(next.is_some()),
            marker: next,
        })
    })
}

/// AddRoleToInstanceProfile: one role per instance profile.
pub(crate) async fn add_role_to_instance_profile(
    ctx: &Ctx<'_>,
    input: AddRoleToInstanceProfileInput,
) -> Result<(), Error> {
    let name = input.instance_profile_name.as_str();
    let role_name = input.role_name.as_str();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut p = find(e, name)?.clone();
            let role = roles::find(e, role_name)?;
            if p.roles.len() >= quota::ROLES_PER_INSTANCE_PROFILE {
                return Err(over_quota(
                    "InstanceSessionsPerInstanceProfile",
                    quota::ROLES_PER_INSTANCE_PROFILE,
                ));
            }
            p.roles.push(role.name.clone());
            Ok((vec![Change::put(account, &p)], ()))
        })
        .await
}

/// RemoveRoleFromInstanceProfile.
pub(crate) async fn remove_role_from_instance_profile(
    ctx: &Ctx<'_>,
    input: RemoveRoleFromInstanceProfileInput,
) -> Result<(), Error> {
    let name = input.instance_profile_name.as_str();
    let role_name = input.role_name.as_str();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut p = find(e, name)?.clone();
            roles::find(e, role_name)?;
            let before = p.roles.len();
            p.roles.retain(|r| !r.eq_ignore_ascii_case(role_name));
            if p.roles.len() == before {
                return Err(Error::no_such_entity(format!(
                    "Role {role_name} in Instance Profile {name} cannot be found."
                )));
            }
            Ok((vec![Change::put(account, &p)], ()))
        })
        .await
}

/// ListInstanceProfilesForRole.
pub(crate) fn list_instance_profiles_for_role(
    ctx: &Ctx<'_>,
    input: ListInstanceProfilesForRoleInput,
) -> Result<ListInstanceProfilesForRoleOutput, Error> {
    let role_name = input.role_name.as_str();
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        roles::find(e, role_name)?;
        let (items, next) = page.take(
            e.instance_profiles
                .iter()
                .filter(|(_, p)| p.roles.iter().any(|r| r.eq_ignore_ascii_case(role_name)))
                .map(|(k, p)| (k.as_str(), views::instance_profile(p, e, false))),
        );
        Ok(ListInstanceProfilesForRoleOutput {
            instance_profiles: items,
            is_truncated: Some(next.is_some()),
            marker: next,
        })
    })
}
