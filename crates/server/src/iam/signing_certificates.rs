//! X.509 signing certificates of users (and of the account root, when the root calls
//! without a user name): UploadSigningCertificate, ListSigningCertificates,
//! UpdateSigningCertificate, DeleteSigningCertificate. The body must be a PEM certificate
//! that parses; the same certificate cannot be uploaded twice; at most 2 per user.

use super::rules::over_quota;
use super::ssh_keys::settable_status;
use super::users;
use crate::call::Ctx;
use crate::call::input::{Page, dated_key};
use crate::error::Error;
use crate::pem::parse_certificate;
use crate::secrets::unique_id;
use crate::time::now_millis;
use portcullis_protocol::Timestamp;
use portcullis_protocol::iam::{
    self, DeleteSigningCertificateInput, IamErrorCode, ListSigningCertificatesInput,
    ListSigningCertificatesOutput, UpdateSigningCertificateInput, UploadSigningCertificateInput,
    UploadSigningCertificateOutput,
};
use portcullis_store::{Change, CredentialStatus, Entities, SigningCertificate};

/// Signing certificates per user (IAM and STS quotas).
pub(super) const CERTIFICATES_PER_USER: usize = 2;

/// The owner a call is about: the named user (`user_name`), else the calling user, else
/// the root (`None`). Returns its ID and the name IAM shows.
fn owner(
    ctx: &Ctx<'_>,
    user_name: Option<&str>,
    e: &Entities,
) -> Result<(Option<String>, String), Error> {
    match user_name.or(ctx.caller.user_name.as_deref()) {
        Some(name) => {
            let u = users::find(e, name)?;
            Ok((Some(u.id.clone()), u.name.clone()))
        }
        None => Ok((None, "root".to_string())),
    }
}

/// The `SigningCertificate` shape.
fn view(c: &SigningCertificate, user_name: &str) -> iam::SigningCertificate {
    iam::SigningCertificate {
        user_name: user_name.to_string(),
        certificate_id: c.id.clone(),
        certificate_body: c.body.clone(),
        status: c.status.as_str().to_string(),
        upload_date: Some(Timestamp::from_millis(c.upload_date)),
    }
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
pub(crate) async fn upload_signing_certificate(
    ctx: &Ctx<'_>,
    input: UploadSigningCertificateInput,
) -> Result<UploadSigningCertificateOutput, Error> {
    let body = input.certificate_body.as_str();
    if parse_certificate(body).is_none() {
        // AWS's text for UploadSigningCertificate (UploadServerCertificate has its own).
        return Err(Error::aws(
            IamErrorCode::MalformedCertificate,
            "Certificate BODY is malformed.",
        ));
    }
    // Kept exactly as uploaded (trailing newline included): AWS answers with the body as
    // it was sent. Duplicates compare without the surrounding whitespace.
    let body = body.to_string();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let (user_id, user_name) = owner(ctx, input.user_name.as_deref(), e)?;
            if let Some(dup) = e
                .signing_certificates
                .values()
                .find(|c| c.body.trim() == body.trim())
            {
                return Err(Error::aws(
                    IamErrorCode::DuplicateCertificate,
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
            let out = UploadSigningCertificateOutput {
                certificate: view(&cert, &user_name),
            };
            Ok((vec![Change::put(account, &cert)], out))
        })
        .await
}

/// ListSigningCertificates.
pub(crate) fn list_signing_certificates(
    ctx: &Ctx<'_>,
    input: ListSigningCertificatesInput,
) -> Result<ListSigningCertificatesOutput, Error> {
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let (user_id, user_name) = owner(ctx, input.user_name.as_deref(), e)?;
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
        Ok(ListSigningCertificatesOutput {
            certificates: items,
            is_truncated: Some(next.is_some()),
            marker: next,
        })
    })
}

/// UpdateSigningCertificate: Active or Inactive.
pub(crate) async fn update_signing_certificate(
    ctx: &Ctx<'_>,
    input: UpdateSigningCertificateInput,
) -> Result<(), Error> {
    let id = input.certificate_id.as_str();
    let status = settable_status(&input.status)?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let (user_id, _) = owner(ctx, input.user_name.as_deref(), e)?;
            let mut cert = find(e, &user_id, id)?.clone();
            cert.status = status;
            Ok((vec![Change::put(account, &cert)], ()))
        })
        .await
}

/// DeleteSigningCertificate.
pub(crate) async fn delete_signing_certificate(
    ctx: &Ctx<'_>,
    input: DeleteSigningCertificateInput,
) -> Result<(), Error> {
    let id = input.certificate_id.as_str();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let (user_id, _) = owner(ctx, input.user_name.as_deref(), e)?;
            let cert = find(e, &user_id, id)?;
            Ok((vec![Change::delete(account, cert)], ()))
        })
        .await
}
