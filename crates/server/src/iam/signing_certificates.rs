//! X.509 signing certificates of users (and of the account root, when the root calls
//! without a user name): UploadSigningCertificate, ListSigningCertificates,
//! UpdateSigningCertificate, DeleteSigningCertificate. The body must be a PEM certificate
//! that parses; the same certificate cannot be uploaded twice; at most 2 per user.

use super::rules::over_quota;
use super::ssh_keys::settable_status;
use super::users;
use crate::call::Ctx;
use crate::call::input::{dated_key, paged};
use crate::error::Error;
use crate::pem::parse_certificate;
use crate::secrets::unique_id;
use crate::time::{iso8601, now_millis};
use portcullis_store::{Change, CredentialStatus, Entities, SigningCertificate};
use serde_json::{Value, json};

/// Signing certificates per user (IAM and STS quotas).
pub(super) const CERTIFICATES_PER_USER: usize = 2;

/// The owner a call is about: the named user, else the calling user, else the root
/// (`None`). Returns its ID and the name IAM shows.
fn owner(ctx: &Ctx<'_>, e: &Entities) -> Result<(Option<String>, String), Error> {
    match ctx
        .input
        .opt_str("UserName")
        .or(ctx.caller.user_name.as_deref())
    {
        Some(name) => {
            let u = users::find(e, name)?;
            Ok((Some(u.id.clone()), u.name.clone()))
        }
        None => Ok((None, "root".to_string())),
    }
}

fn view(c: &SigningCertificate, user_name: &str) -> Value {
    json!({
        "UserName": user_name,
        "CertificateId": c.id,
        "CertificateBody": c.body,
        "Status": c.status.as_str(),
        "UploadDate": iso8601(c.upload_date),
    })
}

fn not_found(id: &str) -> Error {
    Error::no_such_entity(format!("The Certificate with id {id} cannot be found."))
}

fn find<'e>(
    e: &'e Entities,
    owner: &Option<String>,
    id: &str,
) -> Result<&'e SigningCertificate, Error> {
    e.signing_certificates
        .get(id)
        .filter(|c| &c.user_id == owner)
        .ok_or_else(|| not_found(id))
}

/// UploadSigningCertificate.
pub(super) async fn upload(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let body = ctx.input.str("CertificateBody")?;
    if parse_certificate(body).is_none() {
        // AWS's text for UploadSigningCertificate (UploadServerCertificate has its own).
        return Err(Error::aws(
            "MalformedCertificate",
            "Certificate BODY is malformed.",
        ));
    }
    // Kept exactly as uploaded (trailing newline included): AWS answers with the body as
    // it was sent. Duplicates compare without the surrounding whitespace.
    let body = body.to_string();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let (user_id, user_name) = owner(ctx, e)?;
            if let Some(dup) = e
                .signing_certificates
                .values()
                .find(|c| c.body.trim() == body.trim())
            {
                return Err(Error::aws(
                    "DuplicateCertificate",
                    format!("The Certificate with id {} already exists.", dup.id),
                ));
            }
            if e.signing_certificates_of(user_id.as_deref()).len() >= CERTIFICATES_PER_USER {
                return Err(over_quota("CertificatesPerUser", CERTIFICATES_PER_USER));
            }
            let cert = SigningCertificate {
                id: unique_id("", 28),
                user_id,
                body,
                status: CredentialStatus::Active,
                upload_date: now_millis(),
            };
            let out = json!({ "Certificate": view(&cert, &user_name) });
            Ok((vec![Change::put(account, &cert)], out))
        })
        .await
}

/// ListSigningCertificates.
pub(super) fn list(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let (user_id, user_name) = owner(ctx, e)?;
        let certs = e.signing_certificates_of(user_id.as_deref());
        let order: Vec<String> = certs
            .iter()
            .map(|c| dated_key(c.upload_date, &c.id))
            .collect();
        let (items, next) = page.take(
            order
                .iter()
                .zip(&certs)
                .map(|(o, c)| (o.as_str(), view(c, &user_name))),
        );
        Ok(paged(json!({ "Certificates": items }), next))
    })
}

/// UpdateSigningCertificate: Active or Inactive.
pub(super) async fn update(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let id = ctx.input.str("CertificateId")?;
    let status = settable_status(ctx.input.str("Status")?)?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let (user_id, _) = owner(ctx, e)?;
            let mut cert = find(e, &user_id, id)?.clone();
            cert.status = status;
            Ok((vec![Change::put(account, &cert)], json!({})))
        })
        .await
}

/// DeleteSigningCertificate.
pub(super) async fn delete(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let id = ctx.input.str("CertificateId")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let (user_id, _) = owner(ctx, e)?;
            let cert = find(e, &user_id, id)?;
            Ok((vec![Change::delete(account, cert)], json!({})))
        })
        .await
}
