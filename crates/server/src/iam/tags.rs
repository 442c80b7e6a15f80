//! Tag, Untag and List…Tags for roles, users, managed policies and instance profiles.

use super::rules::merge_tags;
use super::views;
use crate::call::Ctx;
use crate::call::input::paged;
use crate::error::Error;
use portcullis_store::{Change, Entities, Tag};
use serde_json::{Value, json};

const TAG_OUTSIDE: &str = "Cannot tag policies outside your own account.";

/// The kind of entity a tag operation works on.
#[derive(Clone, Copy)]
pub(super) enum Target {
    /// A role (`RoleName`).
    Role,
    /// A user (`UserName`).
    User,
    /// A customer managed policy (`PolicyArn`).
    Policy,
    /// An instance profile (`InstanceProfileName`).
    InstanceProfile,
}

impl Target {
    fn member(self) -> &'static str {
        match self {
            Target::Role => "RoleName",
            Target::User => "UserName",
            Target::Policy => "PolicyArn",
            Target::InstanceProfile => "InstanceProfileName",
        }
    }

    fn quota_name(self) -> &'static str {
        match self {
            Target::Role => "TagsPerRole",
            Target::User => "TagsPerUser",
            Target::Policy => "TagsPerPolicy",
            Target::InstanceProfile => "TagsPerInstanceProfile",
        }
    }

    fn tags(self, e: &Entities, id: &str) -> Result<Vec<Tag>, Error> {
        Ok(match self {
            Target::Role => super::roles::find(e, id)?.tags.clone(),
            Target::User => super::users::find(e, id)?.tags.clone(),
            Target::Policy => super::policies::find_customer(e, id, TAG_OUTSIDE)?
                .tags
                .clone(),
            Target::InstanceProfile => super::instance_profiles::find(e, id)?.tags.clone(),
        })
    }

    fn store(self, e: &Entities, account: &str, id: &str, tags: Vec<Tag>) -> Result<Change, Error> {
        Ok(match self {
            Target::Role => {
                let mut r = super::roles::find(e, id)?.clone();
                r.tags = tags;
                Change::put(account, &r)
            }
            Target::User => {
                let mut u = super::users::find(e, id)?.clone();
                u.tags = tags;
                Change::put(account, &u)
            }
            Target::Policy => {
                let mut p = super::policies::find_customer(e, id, TAG_OUTSIDE)?.clone();
                p.tags = tags;
                Change::put(account, &p)
            }
            Target::InstanceProfile => {
                let mut p = super::instance_profiles::find(e, id)?.clone();
                p.tags = tags;
                Change::put(account, &p)
            }
        })
    }
}

/// Tag…: adds tags, replacing the values of keys already present.
pub(super) async fn tag(ctx: &Ctx<'_>, target: Target) -> Result<Value, Error> {
    let id = ctx.input.str(target.member())?;
    let new = ctx.input.tags("Tags");
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let merged = merge_tags(
                &target.tags(e, id)?,
                &new,
                target.quota_name(),
                !matches!(target, Target::Policy),
            )?;
            Ok((vec![target.store(e, account, id, merged)?], json!({})))
        })
        .await
}

/// Untag…: removes tags by key (keys compare without regard to case).
pub(super) async fn untag(ctx: &Ctx<'_>, target: Target) -> Result<Value, Error> {
    let id = ctx.input.str(target.member())?;
    let keys = ctx.input.str_list("TagKeys");
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut tags = target.tags(e, id)?;
            tags.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
            Ok((vec![target.store(e, account, id, tags)?], json!({})))
        })
        .await
}

/// List…Tags.
pub(super) fn list(ctx: &Ctx<'_>, target: Target) -> Result<Value, Error> {
    let id = ctx.input.str(target.member())?;
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let mut tags = target.tags(e, id)?;
        if matches!(target, Target::Policy) {
            tags.sort_by(|a, b| {
                a.key
                    .len()
                    .cmp(&b.key.len())
                    .then_with(|| a.key.cmp(&b.key))
            });
        }
        let keys: Vec<String> = (0..tags.len()).map(|i| format!("{i:08}")).collect();
        let (items, next) = page.take(keys.iter().map(String::as_str).zip(tags.iter()));
        let items: Vec<Tag> = items.into_iter().cloned().collect();
        Ok(paged(json!({ "Tags": views::tags(&items) }), next))
    })
}
