//! Managed policies attached to users, groups and roles, and their inline policies.

use super::rules::{
    attachable_policy, check_policy, check_policy_arn, over_quota, policy_size, quota,
};
use crate::call::Ctx;
use crate::call::input::paged;
use crate::error::Error;
use portcullis_policy::{InlineOwner, PolicyKind};
use portcullis_store::{Change, Entities};
use serde_json::{Value, json};
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
    fn member(self) -> &'static str {
        match self {
            Owner::User => "UserName",
            Owner::Group => "GroupName",
            Owner::Role => "RoleName",
        }
    }

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
pub(super) async fn attach(ctx: &Ctx<'_>, owner: Owner) -> Result<Value, Error> {
    let name = ctx.input.str(owner.member())?;
    let arn = ctx.input.str("PolicyArn")?;
    check_policy_arn(arn)?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut held = owner.held(e, name)?;
            attachable_policy(e, arn)?;
            if held.attached.iter().any(|a| a == arn) {
                return Ok((vec![], json!({})));
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
            Ok((vec![owner.store(e, account, name, held)?], json!({})))
        })
        .await
}

/// Detach…Policy.
pub(super) async fn detach(ctx: &Ctx<'_>, owner: Owner) -> Result<Value, Error> {
    let name = ctx.input.str(owner.member())?;
    let arn = ctx.input.str("PolicyArn")?;
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
            Ok((vec![owner.store(e, account, name, held)?], json!({})))
        })
        .await
}

/// ListAttached…Policies.
pub(super) fn list_attached(ctx: &Ctx<'_>, owner: Owner) -> Result<Value, Error> {
    let name = ctx.input.str(owner.member())?;
    let prefix = ctx.input.opt_str("PathPrefix").unwrap_or("/");
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let held = owner.held(e, name)?;
        let mut policies: Vec<(String, Value)> = held
            .attached
            .iter()
            .filter_map(|arn| crate::account::find_policy(e, arn))
            .filter(|p| p.path().starts_with(prefix))
            .map(|p| {
                (
                    format!("{}\u{0}{}", p.name().to_lowercase(), p.arn()),
                    json!({"PolicyName": p.name(), "PolicyArn": p.arn()}),
                )
            })
            .collect();
        policies.sort_by(|a, b| a.0.cmp(&b.0));
        let (items, next) = page.take(policies.iter().map(|(k, v)| (k.as_str(), v.clone())));
        Ok(paged(json!({ "AttachedPolicies": items }), next))
    })
}

/// Put…Policy: creates or replaces an inline policy, within the owner's aggregate quota.
pub(super) async fn put_inline(ctx: &Ctx<'_>, owner: Owner) -> Result<Value, Error> {
    let name = ctx.input.str(owner.member())?;
    let policy_name = ctx.input.str("PolicyName")?;
    let document = ctx.input.str("PolicyDocument")?;
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
            Ok((vec![owner.store(e, account, name, held)?], json!({})))
        })
        .await
}

fn inline_not_found(owner: Owner, policy: &str) -> Error {
    Error::no_such_entity(format!(
        "The {} policy with name {policy} cannot be found.",
        owner.word()
    ))
}

/// Get…Policy.
pub(super) fn get_inline(ctx: &Ctx<'_>, owner: Owner) -> Result<Value, Error> {
    let name = ctx.input.str(owner.member())?;
    let policy_name = ctx.input.str("PolicyName")?;
    ctx.app.read(|e| {
        let held = owner.held(e, name)?;
        let document = held
            .inline
            .get(policy_name)
            .ok_or_else(|| inline_not_found(owner, policy_name))?;
        let mut out = json!({ "PolicyName": policy_name, "PolicyDocument": document });
        out[owner.member()] = json!(held.name);
        Ok(out)
    })
}

/// Delete…Policy.
pub(super) async fn delete_inline(ctx: &Ctx<'_>, owner: Owner) -> Result<Value, Error> {
    let name = ctx.input.str(owner.member())?;
    let policy_name = ctx.input.str("PolicyName")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut held = owner.held(e, name)?;
            if held.inline.remove(policy_name).is_none() {
                return Err(inline_not_found(owner, policy_name));
            }
            Ok((vec![owner.store(e, account, name, held)?], json!({})))
        })
        .await
}

/// List…Policies (inline policy names).
pub(super) fn list_inline(ctx: &Ctx<'_>, owner: Owner) -> Result<Value, Error> {
    let name = ctx.input.str(owner.member())?;
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let held = owner.held(e, name)?;
        let (names, next) = page.take(held.inline.keys().map(|k| (k.as_str(), k.clone())));
        Ok(paged(json!({ "PolicyNames": names }), next))
    })
}
