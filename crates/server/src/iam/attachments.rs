//! Managed policies attached to users, groups and roles, and their inline policies.

use super::rules::{
    attachable_policy, check_policy, check_policy_arn, over_quota, policy_size, quota,
};
use crate::call::Ctx;
use crate::call::input::Page;
use crate::error::Error;
use portcullis_policy::{InlineOwner, PolicyKind};
use portcullis_protocol::iam::{
    AttachGroupPolicyInput, AttachRolePolicyInput, AttachUserPolicyInput, AttachedPolicy,
    DeleteGroupPolicyInput, DeleteRolePolicyInput, DeleteUserPolicyInput, DetachGroupPolicyInput,
    DetachRolePolicyInput, DetachUserPolicyInput, GetGroupPolicyInput, GetGroupPolicyOutput,
    GetRolePolicyInput, GetRolePolicyOutput, GetUserPolicyInput, GetUserPolicyOutput,
    ListAttachedGroupPoliciesInput, ListAttachedGroupPoliciesOutput, ListAttachedRolePoliciesInput,
    ListAttachedRolePoliciesOutput, ListAttachedUserPoliciesInput, ListAttachedUserPoliciesOutput,
    ListGroupPoliciesInput, ListGroupPoliciesOutput, ListRolePoliciesInput, ListRolePoliciesOutput,
    ListUserPoliciesInput, ListUserPoliciesOutput, PutGroupPolicyInput, PutRolePolicyInput,
    PutUserPolicyInput,
};
use portcullis_store::{Change, Entities};
use std::collections::BTreeMap;

/// The kind of entity that owns policies.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Owner {
    /// A user.
    User,
    /// A group.
    Group,
    /// A role.
    Role,
}

/// The policies an owner holds, copied out for a change.
struct Held {
    name: String,
    attached: Vec<String>,
    inline: BTreeMap<String, String>,
}

impl Owner {
    fn word(self) -> &'static str {
        match self {
            Owner::User => "user",
            Owner::Group => "group",
            Owner::Role => "role",
        }
    }

    fn inline_owner(self) -> InlineOwner {
        match self {
            Owner::User => InlineOwner::User,
            Owner::Group => InlineOwner::Group,
            Owner::Role => InlineOwner::Role,
        }
    }

    fn inline_limit(self) -> usize {
        match self {
            Owner::User => 2048,
            Owner::Group => 5120,
            Owner::Role => 10240,
        }
    }

    fn held(self, e: &Entities, name: &str) -> Result<Held, Error> {
        Ok(match self {
            Owner::User => {
                let u = super::users::find(e, name)?;
                Held {
                    name: u.name.clone(),
                    attached: u.attached_policies.clone(),
                    inline: u.inline_policies.clone(),
                }
            }
            Owner::Group => {
                let g = super::groups::find(e, name)?;
                Held {
                    name: g.name.clone(),
                    attached: g.attached_policies.clone(),
                    inline: g.inline_policies.clone(),
                }
            }
            Owner::Role => {
                let r = super::roles::find(e, name)?;
                Held {
                    name: r.name.clone(),
                    attached: r.attached_policies.clone(),
                    inline: r.inline_policies.clone(),
                }
            }
        })
    }

    fn store(self, e: &Entities, account: &str, name: &str, held: Held) -> Result<Change, Error> {
        Ok(match self {
            Owner::User => {
                let mut u = super::users::find(e, name)?.clone();
                u.attached_policies = held.attached;
                u.inline_policies = held.inline;
                Change::put(account, &u)
            }
            Owner::Group => {
                let mut g = super::groups::find(e, name)?.clone();
                g.attached_policies = held.attached;
                g.inline_policies = held.inline;
                Change::put(account, &g)
            }
            Owner::Role => {
                let mut r = super::roles::find(e, name)?.clone();
                if r.path.starts_with("/aws-service-role/") {
                    return Err(Error::unmodifiable(format!(
                        "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
                        r.name
                    )));
                }
                r.attached_policies = held.attached;
                r.inline_policies = held.inline;
                Change::put(account, &r)
            }
        })
    }
}

/// Attach…Policy: at most ten managed policies per entity.
async fn attach(ctx: &Ctx<'_>, owner: Owner, name: &str, arn: &str) -> Result<(), Error> {
    check_policy_arn(arn)?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut held = owner.held(e, name)?;
            attachable_policy(e, arn)?;
            if held.attached.iter().any(|a| a == arn) {
                return Ok((vec![], ()));
            }
            if held.attached.len() >= quota::ATTACHED_POLICIES {
                let what = match owner {
                    Owner::User => "PoliciesPerUser",
                    Owner::Group => "PoliciesPerGroup",
                    Owner::Role => "PoliciesPerRole",
                };
                return Err(over_quota(what, quota::ATTACHED_POLICIES));
            }
            held.attached.push(arn.to_string());
            Ok((vec![owner.store(e, account, name, held)?], ()))
        })
        .await
}

/// AttachGroupPolicy.
pub(crate) async fn attach_group_policy(
    ctx: &Ctx<'_>,
    input: AttachGroupPolicyInput,
) -> Result<(), Error> {
    attach(ctx, Owner::Group, &input.group_name, &input.policy_arn).await
}

/// AttachRolePolicy.
pub(crate) async fn attach_role_policy(
    ctx: &Ctx<'_>,
    input: AttachRolePolicyInput,
) -> Result<(), Error> {
    attach(ctx, Owner::Role, &input.role_name, &input.policy_arn).await
}

/// AttachUserPolicy.
pub(crate) async fn attach_user_policy(
    ctx: &Ctx<'_>,
    input: AttachUserPolicyInput,
) -> Result<(), Error> {
    attach(ctx, Owner::User, &input.user_name, &input.policy_arn).await
}

/// Detach…Policy.
async fn detach(ctx: &Ctx<'_>, owner: Owner, name: &str, arn: &str) -> Result<(), Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut held = owner.held(e, name)?;
            let before = held.attached.len();
            held.attached.retain(|a| a != arn);
            if held.attached.len() == before {
                return Err(Error::no_such_entity(format!(
                    "Policy {arn} was not found."
                )));
            }
            Ok((vec![owner.store(e, account, name, held)?], ()))
        })
        .await
}

/// DetachGroupPolicy.
pub(crate) async fn detach_group_policy(
    ctx: &Ctx<'_>,
    input: DetachGroupPolicyInput,
) -> Result<(), Error> {
    detach(ctx, Owner::Group, &input.group_name, &input.policy_arn).await
}

/// DetachRolePolicy.
pub(crate) async fn detach_role_policy(
    ctx: &Ctx<'_>,
    input: DetachRolePolicyInput,
) -> Result<(), Error> {
    detach(ctx, Owner::Role, &input.role_name, &input.policy_arn).await
}

/// DetachUserPolicy.
pub(crate) async fn detach_user_policy(
    ctx: &Ctx<'_>,
    input: DetachUserPolicyInput,
) -> Result<(), Error> {
    detach(ctx, Owner::User, &input.user_name, &input.policy_arn).await
}

/// ListAttached…Policies: the page of attached policies under `prefix` (`/` when absent),
/// and the marker of the next page.
fn list_attached(
    ctx: &Ctx<'_>,
    owner: Owner,
    name: &str,
    prefix: Option<&str>,
    page: Page,
) -> Result<(Vec<AttachedPolicy>, Option<String>), Error> {
    let prefix = prefix.unwrap_or("/");
    ctx.app.read(|e| {
        let held = owner.held(e, name)?;
        let mut policies: Vec<(String, AttachedPolicy)> = held
            .attached
            .iter()
            .filter_map(|arn| crate::account::find_policy(e, arn))
            .filter(|p| p.path().starts_with(prefix))
            .map(|p| {
                (
                    format!("{}\u{0}{}", p.name().to_lowercase(), p.arn()),
                    AttachedPolicy {
                        policy_name: Some(p.name().to_string()),
                        policy_arn: Some(p.arn().to_string()),
                    },
                )
            })
            .collect();
        policies.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(page.take(policies.iter().map(|(k, v)| (k.as_str(), v.clone()))))
    })
}

/// ListAttachedGroupPolicies.
pub(crate) fn list_attached_group_policies(
    ctx: &Ctx<'_>,
    input: ListAttachedGroupPoliciesInput,
) -> Result<ListAttachedGroupPoliciesOutput, Error> {
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    let (items, next) = list_attached(
        ctx,
        Owner::Group,
        &input.group_name,
        input.path_prefix.as_deref(),
        page,
    )?;
    Ok(ListAttachedGroupPoliciesOutput {
        attached_policies: Some(items),
        is_truncated: Some(next.is_some()),
        marker: next,
    })
}

/// ListAttachedRolePolicies.
pub(crate) fn list_attached_role_policies(
    ctx: &Ctx<'_>,
    input: ListAttachedRolePoliciesInput,
) -> Result<ListAttachedRolePoliciesOutput, Error> {
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    let (items, next) = list_attached(
        ctx,
        Owner::Role,
        &input.role_name,
        input.path_prefix.as_deref(),
        page,
    )?;
    Ok(ListAttachedRolePoliciesOutput {
        attached_policies: Some(items),
        is_truncated: Some(next.is_some()),
        marker: next,
    })
}

/// ListAttachedUserPolicies.
pub(crate) fn list_attached_user_policies(
    ctx: &Ctx<'_>,
    input: ListAttachedUserPoliciesInput,
) -> Result<ListAttachedUserPoliciesOutput, Error> {
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    let (items, next) = list_attached(
        ctx,
        Owner::User,
        &input.user_name,
        input.path_prefix.as_deref(),
        page,
    )?;
    Ok(ListAttachedUserPoliciesOutput {
        attached_policies: Some(items),
        is_truncated: Some(next.is_some()),
        marker: next,
    })
}

/// Put…Policy: creates or replaces an inline policy, within the owner's aggregate quota.
async fn put_inline(
    ctx: &Ctx<'_>,
    owner: Owner,
    name: &str,
    policy_name: &str,
    document: &str,
) -> Result<(), Error> {
    check_policy(
        document,
        PolicyKind::Identity,
        Some((owner.inline_owner(), name)),
    )?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut held = owner.held(e, name)?;
            held.inline
                .insert(policy_name.to_string(), document.to_string());
            let total: usize = held.inline.values().map(|d| policy_size(d)).sum();
            if total > owner.inline_limit() {
                return Err(Error::limit_exceeded(format!(
                    "Maximum policy size of {} bytes exceeded for {} {}",
                    owner.inline_limit(),
                    owner.word(),
                    held.name
                )));
            }
            Ok((vec![owner.store(e, account, name, held)?], ()))
        })
        .await
}

/// PutGroupPolicy.
pub(crate) async fn put_group_policy(
    ctx: &Ctx<'_>,
    input: PutGroupPolicyInput,
) -> Result<(), Error> {
    put_inline(
        ctx,
        Owner::Group,
        &input.group_name,
        &input.policy_name,
        &input.policy_document,
    )
    .await
}

/// PutRolePolicy.
pub(crate) async fn put_role_policy(ctx: &Ctx<'_>, input: PutRolePolicyInput) -> Result<(), Error> {
    put_inline(
        ctx,
        Owner::Role,
        &input.role_name,
        &input.policy_name,
        &input.policy_document,
    )
    .await
}

/// PutUserPolicy.
pub(crate) async fn put_user_policy(ctx: &Ctx<'_>, input: PutUserPolicyInput) -> Result<(), Error> {
    put_inline(
        ctx,
        Owner::User,
        &input.user_name,
        &input.policy_name,
        &input.policy_document,
    )
    .await
}

/// IAM's NoSuchEntity for an inline policy.
fn inline_not_found(owner: Owner, policy: &str) -> Error {
    Error::no_such_entity(format!(
        "The {} policy with name {policy} cannot be found.",
        owner.word()
    ))
}

/// Get…Policy: the owner's name as stored and the policy's document.
fn get_inline(
    ctx: &Ctx<'_>,
    owner: Owner,
    name: &str,
    policy_name: &str,
) -> Result<(String, String), Error> {
    ctx.app.read(|e| {
        let held = owner.held(e, name)?;
        let document = held
            .inline
            .get(policy_name)
            .ok_or_else(|| inline_not_found(owner, policy_name))?
            .clone();
        Ok((held.name, document))
    })
}

/// GetGroupPolicy.
pub(crate) fn get_group_policy(
    ctx: &Ctx<'_>,
    input: GetGroupPolicyInput,
) -> Result<GetGroupPolicyOutput, Error> {
    let (group_name, policy_document) =
        get_inline(ctx, Owner::Group, &input.group_name, &input.policy_name)?;
    Ok(GetGroupPolicyOutput {
        group_name,
        policy_document,
        policy_name: input.policy_name,
    })
}

/// GetRolePolicy.
pub(crate) fn get_role_policy(
    ctx: &Ctx<'_>,
    input: GetRolePolicyInput,
) -> Result<GetRolePolicyOutput, Error> {
    let (role_name, policy_document) =
        get_inline(ctx, Owner::Role, &input.role_name, &input.policy_name)?;
    Ok(GetRolePolicyOutput {
        policy_document,
        policy_name: input.policy_name,
        role_name,
    })
}

/// GetUserPolicy.
pub(crate) fn get_user_policy(
    ctx: &Ctx<'_>,
    input: GetUserPolicyInput,
) -> Result<GetUserPolicyOutput, Error> {
    let (user_name, policy_document) =
        get_inline(ctx, Owner::User, &input.user_name, &input.policy_name)?;
    Ok(GetUserPolicyOutput {
        policy_document,
        policy_name: input.policy_name,
        user_name,
    })
}

/// Delete…Policy.
async fn delete_inline(
    ctx: &Ctx<'_>,
    owner: Owner,
    name: &str,
    policy_name: &str,
) -> Result<(), Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut held = owner.held(e, name)?;
            if held.inline.remove(policy_name).is_none() {
                return Err(inline_not_found(owner, policy_name));
            }
            Ok((vec![owner.store(e, account, name, held)?], ()))
        })
        .await
}

/// DeleteGroupPolicy.
pub(crate) async fn delete_group_policy(
    ctx: &Ctx<'_>,
    input: DeleteGroupPolicyInput,
) -> Result<(), Error> {
    delete_inline(ctx, Owner::Group, &input.group_name, &input.policy_name).await
}

/// DeleteRolePolicy.
pub(crate) async fn delete_role_policy(
    ctx: &Ctx<'_>,
    input: DeleteRolePolicyInput,
) -> Result<(), Error> {
    delete_inline(ctx, Owner::Role, &input.role_name, &input.policy_name).await
}

/// DeleteUserPolicy.
pub(crate) async fn delete_user_policy(
    ctx: &Ctx<'_>,
    input: DeleteUserPolicyInput,
) -> Result<(), Error> {
    delete_inline(ctx, Owner::User, &input.user_name, &input.policy_name).await
}

/// List…Policies (inline policy names): the page of names and the marker of the next page.
fn list_inline(
    ctx: &Ctx<'_>,
    owner: Owner,
    name: &str,
    page: Page,
) -> Result<(Vec<String>, Option<String>), Error> {
    ctx.app.read(|e| {
        let held = owner.held(e, name)?;
        Ok(page.take(held.inline.keys().map(|k| (k.as_str(), k.clone()))))
    })
}

/// ListGroupPolicies.
pub(crate) fn list_group_policies(
    ctx: &Ctx<'_>,
    input: ListGroupPoliciesInput,
) -> Result<ListGroupPoliciesOutput, Error> {
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    let (policy_names, next) = list_inline(ctx, Owner::Group, &input.group_name, page)?;
    Ok(ListGroupPoliciesOutput {
        is_truncated: Some(next.is_some()),
        marker: next,
        policy_names,
    })
}

/// ListRolePolicies.
pub(crate) fn list_role_policies(
    ctx: &Ctx<'_>,
    input: ListRolePoliciesInput,
) -> Result<ListRolePoliciesOutput, Error> {
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    let (policy_names, next) = list_inline(ctx, Owner::Role, &input.role_name, page)?;
    Ok(ListRolePoliciesOutput {
        is_truncated: Some(next.is_some()),
        marker: next,
        policy_names,
    })
}

/// ListUserPolicies.
pub(crate) fn list_user_policies(
    ctx: &Ctx<'_>,
    input: ListUserPoliciesInput,
) -> Result<ListUserPoliciesOutput, Error> {
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    let (policy_names, next) = list_inline(ctx, Owner::User, &input.user_name, page)?;
    Ok(ListUserPoliciesOutput {
        is_truncated: Some(next.is_some()),
        marker: next,
        policy_names,
    })
}
