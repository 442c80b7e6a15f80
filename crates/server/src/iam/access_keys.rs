//! Access keys of users (and of the account root, when the root calls without a user name).

use super::rules::{over_quota, quota};
use super::users;
use super::views;
use crate::call::Ctx;
use crate::call::input::{Page, dated_key};
use crate::error::Error;
use crate::secrets::{secret_access_key, unique_id};
use crate::time::now_millis;
use portcullis_protocol::Timestamp;
use portcullis_protocol::iam::{
    self, AccessKeyLastUsed, CreateAccessKeyInput, CreateAccessKeyOutput, DeleteAccessKeyInput,
    GetAccessKeyLastUsedInput, GetAccessKeyLastUsedOutput, ListAccessKeysInput,
    ListAccessKeysOutput, UpdateAccessKeyInput,
};
use portcullis_store::{AccessKey, Change, Entities, KeyStatus};

/// The user an access-key operation is about, named by its `UserName` (the caller when
/// absent): its ID and name (`None` for the root).
fn owner(
    ctx: &Ctx<'_>,
    e: &Entities,
    user_name: Option<&str>,
) -> Result<Option<(String, String)>, Error> {
    match user_name.or(ctx.caller.user_name.as_deref()) {
        Some(name) => {
            let u = users::find(e, name)?;
            Ok(Some((u.id.clone(), u.name.clone())))
        }
        None => Ok(None),
    }
}

/// IAM's NoSuchEntity for an access key.
fn key_not_found(id: &str) -> Error {
    Error::no_such_entity(format!("The Access Key with id {id} cannot be found."))
}

/// CreateAccessKey: at most two per user.
pub(crate) async fn create_access_key(
    ctx: &Ctx<'_>,
    input: CreateAccessKeyInput,
) -> Result<CreateAccessKeyOutput, Error> {
    let account = ctx.account();
    let secret = secret_access_key();
    let sealed = ctx.app.server_key.encrypt(&secret);
    ctx.app
        .write(|e| {
            let owner = owner(ctx, e, input.user_name.as_deref())?;
            let user_id = owner.as_ref().map(|(id, _)| id.clone());
            if e.access_keys_of(user_id.as_deref()).len() >= quota::ACCESS_KEYS_PER_USER {
                return Err(over_quota("AccessKeysPerUser", quota::ACCESS_KEYS_PER_USER));
            }
            let key = AccessKey {
                id: unique_id("AKIA", 16),
                user_id,
                secret_ciphertext: sealed,
                status: KeyStatus::Active,
                create_date: now_millis(),
                last_used: None,
            };
            let user_name = owner.map(|(_, n)| n).unwrap_or_else(|| "root".to_string());
            let out = CreateAccessKeyOutput {
                access_key: iam::AccessKey {
                    user_name,
                    access_key_id: key.id.clone(),
                    status: "Active".to_string(),
                    secret_access_key: secret,
                    create_date: Some(Timestamp::from_millis(key.create_date)),
                },
            };
            Ok((vec![Change::put(account, &key)], out))
        })
        .await
}

/// ListAccessKeys.
pub(crate) fn list_access_keys(
    ctx: &Ctx<'_>,
    input: ListAccessKeysInput,
) -> Result<ListAccessKeysOutput, Error> {
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let owner = owner(ctx, e, input.user_name.as_deref())?;
        let name = owner.as_ref().map(|(_, n)| n.as_str()).unwrap_or("root");
        // Oldest first, so pages go by creation date (then ID), not by the ID alone.
        let keys = e.access_keys_of(owner.as_ref().map(|(id, _)| id.as_str()));
        let order: Vec<String> = keys
            .iter()
            .map(|k| dated_key(k.create_date, &k.id))
            .collect();
        let (items, next) = page.take(
            order
                .iter()
                .zip(&keys)
                .map(|(o, k)| (o.as_str(), views::access_key_metadata(k, name))),
        );
        Ok(ListAccessKeysOutput {
            access_key_metadata: items,
            is_truncated: Some(next.is_some()),
            marker: next,
        })
    })
}

/// The access key `id` of the user named `user_name` (the caller when absent), or
/// NoSuchEntity.
fn find_own<'e>(
    ctx: &Ctx<'_>,
    e: &'e Entities,
    user_name: Option<&str>,
    id: &str,
) -> Result<&'e AccessKey, Error> {
    let owner = owner(ctx, e, user_name)?;
    let key = e.access_keys.get(id).ok_or_else(|| key_not_found(id))?;
    if key.user_id.as_deref() != owner.as_ref().map(|(id, _)| id.as_str()) {
        return Err(key_not_found(id));
    }
    Ok(key)
}

/// UpdateAccessKey: Active or Inactive (an inactive key fails authentication).
pub(crate) async fn update_access_key(
    ctx: &Ctx<'_>,
    input: UpdateAccessKeyInput,
) -> Result<(), Error> {
    let id = input.access_key_id.as_str();
    let status = match input.status.as_str() {
        "Active" => KeyStatus::Active,
        _ => KeyStatus::Inactive,
    };
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut key = find_own(ctx, e, input.user_name.as_deref(), id)?.clone();
            key.status = status;
            Ok((vec![Change::put(account, &key)], ()))
        })
        .await
}

/// DeleteAccessKey.
pub(crate) async fn delete_access_key(
    ctx: &Ctx<'_>,
    input: DeleteAccessKeyInput,
) -> Result<(), Error> {
    let id = input.access_key_id.as_str();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let key = find_own(ctx, e, input.user_name.as_deref(), id)?;
            Ok((vec![Change::delete(account, key)], ()))
        })
        .await
}

/// GetAccessKeyLastUsed.
pub(crate) fn get_access_key_last_used(
    ctx: &Ctx<'_>,
    input: GetAccessKeyLastUsedInput,
) -> Result<GetAccessKeyLastUsedOutput, Error> {
    let id = input.access_key_id.as_str();
    ctx.app.read(|e| {
        let key = e.access_keys.get(id).ok_or_else(|| {
            Error::denied(format!(
                    "User: {} is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key {id}",
                    ctx.caller.principal.arn
                ),
            )
        })?;
        let user_name = match &key.user_id {
            Some(uid) => e.user_by_id(uid).map(|u| u.name.clone()).unwrap_or_default(),
            None => "root".to_string(),
        };
        let last = match &key.last_used {
            Some(l) => AccessKeyLastUsed {
                last_used_date: Some(Timestamp::from_millis(l.date)),
                service_name: l.service.clone(),
                region: l.region.clone(),
            },
            None => AccessKeyLastUsed {
                last_used_date: None,
                service_name: "N/A".to_string(),
                region: "N/A".to_string(),
            },
        };
        Ok(GetAccessKeyLastUsedOutput {
            user_name: Some(user_name),
            access_key_last_used: Some(last),
        })
    })
}
