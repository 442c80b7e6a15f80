//! Access keys of users (and of the account root, when the root calls without a user name).

use super::rules::{over_quota, quota};
use super::users;
use super::views;
use crate::call::Ctx;
use crate::call::input::{dated_key, paged};
use crate::error::Error;
use crate::secrets::{secret_access_key, unique_id};
use crate::time::{iso8601, now_millis};
use portcullis_store::{AccessKey, Change, Entities, KeyStatus};
use serde_json::{Value, json};

/// The user an access-key operation is about: its ID and name (`None` for the root).
fn owner(ctx: &Ctx<'_>, e: &Entities) -> Result<Option<(String, String)>, Error> {
    match ctx
        .input
        .opt_str("UserName")
        .or(ctx.caller.user_name.as_deref())
    {
        Some(name) => {
            let u = users::find(e, name)?;
            Ok(Some((u.id.clone(), u.name.clone())))
        }
        None => Ok(None),
    }
}

fn key_not_found(id: &str) -> Error {
    Error::no_such_entity(format!("The Access Key with id {id} cannot be found."))
}

/// CreateAccessKey: at most two per user.
pub(super) async fn create(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let account = ctx.account();
    let secret = secret_access_key();
    let sealed = ctx.app.server_key.encrypt(&secret);
    ctx.app
        .write(|e| {
            let owner = owner(ctx, e)?;
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
            let out = json!({ "AccessKey": {
                "UserName": user_name,
                "AccessKeyId": key.id,
                "Status": "Active",
                "SecretAccessKey": secret,
                "CreateDate": iso8601(key.create_date),
            }});
            Ok((vec![Change::put(account, &key)], out))
        })
        .await
}

/// ListAccessKeys.
pub(super) fn list(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let owner = owner(ctx, e)?;
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
        Ok(paged(json!({ "AccessKeyMetadata": items }), next))
    })
}

fn find_own<'e>(ctx: &Ctx<'_>, e: &'e Entities, id: &str) -> Result<&'e AccessKey, Error> {
    let owner = owner(ctx, e)?;
    let key = e.access_keys.get(id).ok_or_else(|| key_not_found(id))?;
    if key.user_id.as_deref() != owner.as_ref().map(|(id, _)| id.as_str()) {
        return Err(key_not_found(id));
    }
    Ok(key)
}

/// UpdateAccessKey: Active or Inactive (an inactive key fails authentication).
pub(super) async fn update(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let id = ctx.input.str("AccessKeyId")?;
    let status = match ctx.input.str("Status")? {
        "Active" => KeyStatus::Active,
        _ => KeyStatus::Inactive,
    };
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut key = find_own(ctx, e, id)?.clone();
            key.status = status;
            Ok((vec![Change::put(account, &key)], json!({})))
        })
        .await
}

/// DeleteAccessKey.
pub(super) async fn delete(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let id = ctx.input.str("AccessKeyId")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let key = find_own(ctx, e, id)?;
            Ok((vec![Change::delete(account, key)], json!({})))
        })
        .await
}

/// GetAccessKeyLastUsed.
pub(super) fn last_used(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let id = ctx.input.str("AccessKeyId")?;
    ctx.app.read(|e| {
        let key = e.access_keys.get(id).ok_or_else(|| {
            Error::aws(
                "AccessDenied",
                format!(
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
            Some(l) => json!({"LastUsedDate": iso8601(l.date), "ServiceName": l.service, "Region": l.region}),
            None => json!({"ServiceName": "N/A", "Region": "N/A"}),
        };
        Ok(json!({ "UserName": user_name, "AccessKeyLastUsed": last }))
    })
}
