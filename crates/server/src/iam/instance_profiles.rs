//! Instance profiles: the role an EC2 instance runs as.

use super::rules::{self, check_tags, over_quota, quota};
use super::{roles, views};
use crate::call::Ctx;
use crate::call::input::paged;
use crate::error::Error;
use crate::secrets::unique_id;
use crate::time::now_millis;
use portcullis_store::{Change, Entities, InstanceProfile};
use serde_json::{Value, json};

/// The instance profile with this name, or IAM's NoSuchEntity.
pub(super) fn find<'e>(e: &'e Entities, name: &str) -> Result<&'e InstanceProfile, Error> {
    e.instance_profile(name)
        .ok_or_else(|| Error::no_such_entity(format!("Instance Profile {name} cannot be found.")))
}

/// CreateInstanceProfile.
pub(super) async fn create(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("InstanceProfileName")?;
    let path = ctx.input.opt_str("Path").unwrap_or("/");
    let tags = ctx.input.tags("Tags");
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
            let out = json!({ "InstanceProfile": views::instance_profile(&profile, e, true) });
            Ok((vec![Change::put(account, &profile)], out))
        })
        .await
}

/// GetInstanceProfile.
pub(super) fn get(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("InstanceProfileName")?;
    ctx.app.read(|e| {
        let p = find(e, name)?;
        Ok(json!({ "InstanceProfile": views::instance_profile(p, e, true) }))
    })
}

/// DeleteInstanceProfile: only once it has no role.
pub(super) async fn delete(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("InstanceProfileName")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let p = find(e, name)?;
            if !p.roles.is_empty() {
                return Err(Error::delete_conflict(
                    "Cannot delete entity, must remove roles from instance profile first.",
                ));
            }
            Ok((vec![Change::delete(account, p)], json!({})))
        })
        .await
}

/// ListInstanceProfiles.
pub(super) fn list(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let prefix = ctx.input.opt_str("PathPrefix").unwrap_or("/");
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let (items, next) = page.take(
            e.instance_profiles
                .iter()
                .filter(|(_, p)| p.path.starts_with(prefix))
                .map(|(k, p)| (k.as_str(), views::instance_profile(p, e, false))),
        );
        Ok(paged(json!({ "InstanceProfiles": items }), next))
    })
}

/// AddRoleToInstanceProfile: one role per instance profile.
pub(super) async fn add_role(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("InstanceProfileName")?;
    let role_name = ctx.input.str("RoleName")?;
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
            Ok((vec![Change::put(account, &p)], json!({})))
        })
        .await
}

/// RemoveRoleFromInstanceProfile.
pub(super) async fn remove_role(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("InstanceProfileName")?;
    let role_name = ctx.input.str("RoleName")?;
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
            Ok((vec![Change::put(account, &p)], json!({})))
        })
        .await
}

/// ListInstanceProfilesForRole.
pub(super) fn list_for_role(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let role_name = ctx.input.str("RoleName")?;
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        roles::find(e, role_name)?;
        let (items, next) = page.take(
            e.instance_profiles
                .iter()
                .filter(|(_, p)| p.roles.iter().any(|r| r.eq_ignore_ascii_case(role_name)))
                .map(|(k, p)| (k.as_str(), views::instance_profile(p, e, false))),
        );
        Ok(paged(json!({ "InstanceProfiles": items }), next))
    })
}
