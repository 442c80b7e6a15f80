//! Service-specific credentials of users: CreateServiceSpecificCredential,
//! ListServiceSpecificCredentials, ResetServiceSpecificCredential,
//! UpdateServiceSpecificCredential, DeleteServiceSpecificCredential.
//!
//! CodeCommit and Amazon Keyspaces take a user name (`USER-at-ACCOUNT`, `USER+1-at-ACCOUNT`
//! for the second) and a generated password; Amazon Bedrock and CloudWatch Logs take API
//! keys (an alias and a secret) that may expire after CredentialAgeDays. The password or
//! secret is returned once, by Create and Reset, and stored encrypted with the server key.
//! At most 2 credentials per service per user; a credential past its expiration date is
//! listed as Expired.

use super::rules::over_quota;
use super::ssh_keys::settable_status;
use super::users;
use crate::call::Ctx;
use crate::call::input::{Page, dated_key};
use crate::error::Error;
use crate::secrets::{random_bytes, unique_id};
use crate::time::now_millis;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use portcullis_protocol::Timestamp;
use portcullis_protocol::iam::{
    self, CreateServiceSpecificCredentialInput, CreateServiceSpecificCredentialOutput,
    DeleteServiceSpecificCredentialInput, ListServiceSpecificCredentialsInput,
    ListServiceSpecificCredentialsOutput, ResetServiceSpecificCredentialInput,
    ResetServiceSpecificCredentialOutput, ServiceSpecificCredentialMetadata,
    UpdateServiceSpecificCredentialInput,
};
use portcullis_store::{Change, CredentialStatus, Entities, ServiceSpecificCredential, User};

/// Credentials per service per user (IAM and STS quotas).
pub(crate) const PER_SERVICE_PER_USER: usize = 2;

/// Milliseconds in a day.
const DAY_MS: i64 = portcullis_time::MILLIS_PER_DAY;

/// How a service takes its credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CredentialKind {
    /// A user name and a password (CodeCommit, Keyspaces).
    Password,
    /// An API key: an alias and a secret (Bedrock, CloudWatch Logs).
    ApiKey,
}

/// The kind of credential a service takes; `None` when IAM issues none for it.
pub(crate) fn service_kind(service: &str) -> Option<CredentialKind> {
    match service {
        "codecommit.amazonaws.com" | "cassandra.amazonaws.com" => Some(CredentialKind::Password),
        "bedrock.amazonaws.com" | "logs.amazonaws.com" => Some(CredentialKind::ApiKey),
        _ => None,
    }
}

/// AWS's answer for a service that takes no service-specific credentials (NoSuchEntity,
/// not the NotSupportedService the API model lists).
fn not_supported(service: &str) -> Error {
    Error::no_such_entity(format!(
        "No such service {service} is supported for Service Specific Credentials"
    ))
}

/// The kind of credential `service` takes, or AWS's NoSuchEntity.
fn kind_of(service: &str) -> Result<CredentialKind, Error> {
    service_kind(service).ok_or_else(|| not_supported(service))
}

fn not_found(id: &str) -> Error {
    Error::no_such_entity(format!(
        "No such credential {id} exists for the specified user."
    ))
}

/// A new password or secret: base64 of 32 random bytes.
fn new_secret() -> String {
    STANDARD.encode(random_bytes::<32>())
}

/// The status as listed: Expired once past the expiration date.
fn status_at(c: &ServiceSpecificCredential, now: i64) -> CredentialStatus {
    match c.expiration_date {
        Some(t) if t <= now => CredentialStatus::Expired,
        _ => c.status,
    }
}

/// The credential without its secret (`ServiceSpecificCredentialMetadata`).
fn metadata(c: &ServiceSpecificCredential, user: &User) -> ServiceSpecificCredentialMetadata {
    ServiceSpecificCredentialMetadata {
        user_name: user.name.clone(),
        status: status_at(c, now_millis()).as_str().to_string(),
        service_user_name: c.service_user_name.clone(),
        service_credential_alias: c.service_credential_alias.clone(),
        create_date: Timestamp::from_millis(c.create_date),
        expiration_date: c.expiration_date.map(Timestamp::from_millis),
        service_specific_credential_id: c.id.clone(),
        service_name: c.service_name.clone(),
    }
}

/// The credential with its secret (`ServiceSpecificCredential`): a password for the
/// services that take a user name, else an API key's secret.
fn with_secret(
    c: &ServiceSpecificCredential,
    user: &User,
    secret: &str,
) -> iam::ServiceSpecificCredential {
    let password = c.service_user_name.is_some();
    iam::ServiceSpecificCredential {
        user_name: user.name.clone(),
        status: status_at(c, now_millis()).as_str().to_string(),
        service_user_name: c.service_user_name.clone(),
        service_credential_alias: c.service_credential_alias.clone(),
        create_date: Timestamp::from_millis(c.create_date),
        expiration_date: c.expiration_date.map(Timestamp::from_millis),
        service_specific_credential_id: c.id.clone(),
        service_name: c.service_name.clone(),
        service_password: password.then(|| secret.to_string()),
        service_credential_secret: (!password).then(|| secret.to_string()),
    }
}

/// CreateServiceSpecificCredential.
pub(crate) async fn create_service_specific_credential(
    ctx: &Ctx<'_>,
    input: CreateServiceSpecificCredentialInput,
) -> Result<CreateServiceSpecificCredentialOutput, Error> {
    let name = input.user_name.as_str();
    let service = input.service_name.as_str();
    let age = input.credential_age_days;
    let secret = new_secret();
    let sealed = ctx.app.server_key.encrypt(&secret);
    let account = ctx.account();
    ctx.app
        .write(|e| {
            // An unknown user is reported before an unknown service, as AWS does.
            let user = users::find(e, name)?;
            let kind = kind_of(service)?;
            if age.is_some() && kind == CredentialKind::Password {
                return Err(Error::invalid_input(format!(
                    "CredentialAgeDays is not supported for service {service}."
                )));
            }
            let existing: Vec<&ServiceSpecificCredential> = e
                .service_credentials_of(&user.id)
                .into_iter()
                .filter(|c| c.service_name == service)
                .collect();
            if existing.len() >= PER_SERVICE_PER_USER {
                return Err(over_quota(
                    "ServiceSpecificCredentialsPerUserPerService",
                    PER_SERVICE_PER_USER,
                ));
            }
            let now = now_millis();
            let taken = |n: &str| {
                existing
                    .iter()
                    .any(|c| c.service_user_name.as_deref() == Some(n))
            };
            let plain = format!("{}-at-{account}", user.name);
            let user_name = if taken(&plain) {
                format!("{}+1-at-{account}", user.name)
            } else {
                plain
            };
            let (service_user_name, alias) = match kind {
                CredentialKind::Password => (Some(user_name), None),
                CredentialKind::ApiKey => (
                    None,
                    Some(format!("{}-at-{account}-{}", user.name, unique_id("", 8))),
                ),
            };
            let cred = ServiceSpecificCredential {
                id: unique_id("ACCA", 17),
                user_id: user.id.clone(),
                service_name: service.to_string(),
                service_user_name,
                service_credential_alias: alias,
                secret_ciphertext: sealed,
                status: CredentialStatus::Active,
                create_date: now,
                expiration_date: age.map(|d| now + d * DAY_MS),
            };
            let out = CreateServiceSpecificCredentialOutput {
                service_specific_credential: Some(with_secret(&cred, user, &secret)),
            };
            Ok((vec![Change::put(account, &cred)], out))
        })
        .await
}

/// ListServiceSpecificCredentials: the user's (the caller's without a name), or every
/// user's with AllUsers; optionally of one service.
pub(crate) fn list_service_specific_credentials(
    ctx: &Ctx<'_>,
    input: ListServiceSpecificCredentialsInput,
) -> Result<ListServiceSpecificCredentialsOutput, Error> {
    let service = input.service_name.as_deref();
    let all = input.all_users.unwrap_or(false);
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let only: Option<&User> = if all {
            None
        } else {
            Some(users::find(
                e,
                users::target_user(ctx, input.user_name.as_deref())?,
            )?)
        };
        if let Some(s) = service {
            kind_of(s)?;
        }
        let mut creds: Vec<(&ServiceSpecificCredential, &User)> = e
            .service_credentials
            .values()
            .filter(|c| only.is_none_or(|u| u.id == c.user_id))
            .filter(|c| service.is_none_or(|s| s == c.service_name))
            .filter_map(|c| Some((c, e.user_by_id(&c.user_id)?)))
            .collect();
        creds.sort_by(|a, b| (a.0.create_date, &a.0.id).cmp(&(b.0.create_date, &b.0.id)));
        let order: Vec<String> = creds
            .iter()
            .map(|(c, _)| dated_key(c.create_date, &c.id))
            .collect();
        let (items, next) = page.take(
            order
                .iter()
                .zip(&creds)
                .map(|(o, (c, u))| (o.as_str(), metadata(c, u))),
        );
        // AWS's answer has no IsTruncated (only a Marker when there is more).
        Ok(ListServiceSpecificCredentialsOutput {
            service_specific_credentials: Some(items),
            is_truncated: None,
            marker: next,
        })
    })
}

/// The credential `id` of the named user (`user_name`; the caller without a name).
fn find<'e>(
    ctx: &Ctx<'_>,
    e: &'e Entities,
    id: &str,
    user_name: Option<&str>,
) -> Result<(&'e ServiceSpecificCredential, &'e User), Error> {
    let user = users::find(e, users::target_user(ctx, user_name)?)?;
    let cred = e
        .service_credentials
        .get(id)
        .filter(|c| c.user_id == user.id)
        .ok_or_else(|| not_found(id))?;
    Ok((cred, user))
}

/// ResetServiceSpecificCredential: a new password or secret, returned once.
pub(crate) async fn reset_service_specific_credential(
    ctx: &Ctx<'_>,
    input: ResetServiceSpecificCredentialInput,
) -> Result<ResetServiceSpecificCredentialOutput, Error> {
    let secret = new_secret();
    let sealed = ctx.app.server_key.encrypt(&secret);
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let (cred, user) = find(
                ctx,
                e,
                &input.service_specific_credential_id,
                input.user_name.as_deref(),
            )?;
            let mut cred = cred.clone();
            cred.secret_ciphertext = sealed;
            let out = ResetServiceSpecificCredentialOutput {
                service_specific_credential: Some(with_secret(&cred, user, &secret)),
            };
            Ok((vec![Change::put(account, &cred)], out))
        })
        .await
}

/// UpdateServiceSpecificCredential: Active or Inactive.
pub(crate) async fn update_service_specific_credential(
    ctx: &Ctx<'_>,
    input: UpdateServiceSpecificCredentialInput,
) -> Result<(), Error> {
    let status = settable_status(&input.status)?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let (cred, _) = find(
                ctx,
                e,
                &input.service_specific_credential_id,
                input.user_name.as_deref(),
            )?;
            let mut cred = cred.clone();
            cred.status = status;
            Ok((vec![Change::put(account, &cred)], ()))
        })
        .await
}

/// DeleteServiceSpecificCredential.
pub(crate) async fn delete_service_specific_credential(
    ctx: &Ctx<'_>,
    input: DeleteServiceSpecificCredentialInput,
) -> Result<(), Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let (cred, _) = find(
                ctx,
                e,
                &input.service_specific_credential_id,
                input.user_name.as_deref(),
            )?;
            Ok((vec![Change::delete(account, cred)], ()))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_services() {
        assert_eq!(
            service_kind("codecommit.amazonaws.com"),
            Some(CredentialKind::Password)
        );
        assert_eq!(
            service_kind("cassandra.amazonaws.com"),
            Some(CredentialKind::Password)
        );
        assert_eq!(
            service_kind("bedrock.amazonaws.com"),
            Some(CredentialKind::ApiKey)
        );
        assert_eq!(service_kind("s3.amazonaws.com"), None);
        assert_eq!(new_secret().len(), 44);
    }

    #[test]
    fn expires() {
        let c = ServiceSpecificCredential {
            id: "ACCA".into(),
            user_id: "AIDA".into(),
            service_name: "bedrock.amazonaws.com".into(),
            service_user_name: None,
            service_credential_alias: Some("a".into()),
            secret_ciphertext: "x".into(),
            status: CredentialStatus::Inactive,
            create_date: 0,
            expiration_date: Some(100),
        };
        assert_eq!(status_at(&c, 99), CredentialStatus::Inactive);
        assert_eq!(status_at(&c, 100), CredentialStatus::Expired);
    }
}
