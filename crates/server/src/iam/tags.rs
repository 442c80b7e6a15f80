//! Tag, Untag and List…Tags for roles, users, managed policies and instance profiles.

use super::rules::merge_tags;
use super::views;
use crate::call::Ctx;
use crate::call::input::Page;
use crate::error::Error;
use portcullis_protocol::iam::{
    self, ListInstanceProfileTagsInput, ListInstanceProfileTagsOutput, ListPolicyTagsInput,
    ListPolicyTagsOutput, ListRoleTagsInput, ListRoleTagsOutput, ListUserTagsInput,
    ListUserTagsOutput, TagInstanceProfileInput, TagPolicyInput, TagRoleInput, TagUserInput,
    UntagInstanceProfileInput, UntagPolicyInput, UntagRoleInput, UntagUserInput,
};
use portcullis_store::{Change, Entities, Tag};

const TAG_OUTSIDE: &str = "Cannot tag policies outside your own account.";

/// The kind of entity a tag operation works on.
#[derive(Clone, Copy)]
enum Target {
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

/// Tag…: adds tags to the entity `id` names, replacing the values of keys already present.
async fn tag(ctx: &Ctx<'_>, target: Target, id: &str, new: Vec<iam::Tag>) -> Result<(), Error> {
    let new = views::stored_tags(Some(new));
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let merged = merge_tags(
                &target.tags(e, id)?,
                &new,
                target.quota_name(),
                !matches!(target, Target::Policy),
            )?;
            Ok((vec![target.store(e, account, id, merged)?], ()))
        })
        .await
}

/// Untag…: removes tags by key (keys compare without regard to case).
async fn untag(ctx: &Ctx<'_>, target: Target, id: &str, keys: &[String]) -> Result<(), Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut tags = target.tags(e, id)?;
            tags.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
            Ok((vec![target.store(e, account, id, tags)?], ()))
        })
        .await
}

/// A page of an entity's tags and the marker of the next page.
type TagPage = (Vec<iam::Tag>, Option<String>);

/// List…Tags: the page `marker` and `max_items` ask for of the tags of the entity `id`
/// names.
fn list(
    ctx: &Ctx<'_>,
    target: Target,
    id: &str,
    marker: Option<&str>,
    max_items: Option<i64>,
) -> Result<TagPage, Error> {
    let page = Page::new(marker, max_items)?;
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
        Ok((views::tags(&items), next))
    })
}

/// ListInstanceProfileTags.
pub(crate) fn list_instance_profile_tags(
    ctx: &Ctx<'_>,
    input: ListInstanceProfileTagsInput,
) -> Result<ListInstanceProfileTagsOutput, Error> {
    let (tags, next) = list(
        ctx,
        Target::InstanceProfile,
        &input.instance_profile_name,
        input.marker.as_deref(),
        input.max_items,
    )?;
    Ok(ListInstanceProfileTagsOutput {
        is_truncated: Some(next.is_some()),
        marker: next,
        tags,
    })
}

/// ListPolicyTags.
pub(crate) fn list_policy_tags(
    ctx: &Ctx<'_>,
    input: ListPolicyTagsInput,
) -> Result<ListPolicyTagsOutput, Error> {
    let (tags, next) = list(
        ctx,
        Target::Policy,
        &input.policy_arn,
        input.marker.as_deref(),
        input.max_items,
    )?;
    Ok(ListPolicyTagsOutput {
        is_truncated: Some(next.is_some()),
        marker: next,
        tags,
    })
}

/// ListRoleTags.
pub(crate) fn list_role_tags(
    ctx: &Ctx<'_>,
    input: ListRoleTagsInput,
) -> Result<ListRoleTagsOutput, Error> {
    let (tags, next) = list(
        ctx,
        Target::Role,
        &input.role_name,
        input.marker.as_deref(),
        input.max_items,
    )?;
    Ok(ListRoleTagsOutput {
        is_truncated: Some(next.is_some()),
        marker: next,
        tags,
    })
}

/// ListUserTags.
pub(crate) fn list_user_tags(
    ctx: &Ctx<'_>,
    input: ListUserTagsInput,
) -> Result<ListUserTagsOutput, Error> {
    let (tags, next) = list(
        ctx,
        Target::User,
        &input.user_name,
        input.marker.as_deref(),
        input.max_items,
    )?;
    Ok(ListUserTagsOutput {
        is_truncated: Some(next.is_some()),
        marker: next,
        tags,
    })
}

/// TagInstanceProfile.
pub(crate) async fn tag_instance_profile(
    ctx: &Ctx<'_>,
    input: TagInstanceProfileInput,
) -> Result<(), Error> {
    tag(
        ctx,
        Target::InstanceProfile,
        &input.instance_profile_name,
        input.tags,
    )
    .await
}

/// TagPolicy.
pub(crate) async fn tag_policy(ctx: &Ctx<'_>, input: TagPolicyInput) -> Result<(), Error> {
    tag(ctx, Target::Policy, &input.policy_arn, input.tags).await
}

/// TagRole.
pub(crate) async fn tag_role(ctx: &Ctx<'_>, input: TagRoleInput) -> Result<(), Error> {
    tag(ctx, Target::Role, &input.role_name, input.tags).await
}

/// TagUser.
pub(crate) async fn tag_user(ctx: &Ctx<'_>, input: TagUserInput) -> Result<(), Error> {
    tag(ctx, Target::User, &input.user_name, input.tags).await
}

/// UntagInstanceProfile.
pub(crate) async fn untag_instance_profile(
    ctx: &Ctx<'_>,
    input: UntagInstanceProfileInput,
) -> Result<(), Error> {
    untag(
        ctx,
        Target::InstanceProfile,
        &input.instance_profile_name,
        &input.tag_keys,
    )
    .await
}

/// UntagPolicy.
pub(crate) async fn untag_policy(ctx: &Ctx<'_>, input: UntagPolicyInput) -> Result<(), Error> {
    untag(ctx, Target::Policy, &input.policy_arn, &input.tag_keys).await
}

/// UntagRole.
pub(crate) async fn untag_role(ctx: &Ctx<'_>, input: UntagRoleInput) -> Result<(), Error> {
    untag(ctx, Target::Role, &input.role_name, &input.tag_keys).await
}

/// UntagUser.
pub(crate) async fn untag_user(ctx: &Ctx<'_>, input: UntagUserInput) -> Result<(), Error> {
    untag(ctx, Target::User, &input.user_name, &input.tag_keys).await
}
