//! Server certificates (for Elastic Load Balancing and CloudFront):
//! UploadServerCertificate, GetServerCertificate, ListServerCertificates,
//! UpdateServerCertificate, DeleteServerCertificate, TagServerCertificate,
//! UntagServerCertificate, ListServerCertificateTags.
//!
//! The body and every certificate of the chain must be PEM certificates; the private key
//! must be an unencrypted PEM key (PKCS #1, PKCS #8 or SEC 1) of the body's public key
//! (KeyPairMismatch otherwise). The key is stored encrypted with the server key, like
//! secret access keys, and never returned. The expiration is the certificate's notAfter.
//! ARNs are `arn:aws:iam::ACCOUNT:server-certificate/PATH/NAME`, IDs `ASCA…`; at most 20
//! per account.

use super::rules::{self, check_tags, merge_tags, over_quota};
use super::views;
use crate::call::Ctx;
use crate::call::input::Page;
use crate::error::Error;
use crate::pem::{key_matches, parse_certificate, parse_private_key, pem_blocks};
use crate::secrets::unique_id;
use crate::time::now_millis;
use portcullis_protocol::Timestamp;
use portcullis_protocol::iam::{
    self, DeleteServerCertificateInput, GetServerCertificateInput, GetServerCertificateOutput,
    IamErrorCode, ListServerCertificateTagsInput, ListServerCertificateTagsOutput,
    ListServerCertificatesInput, ListServerCertificatesOutput, ServerCertificateMetadata,
    TagServerCertificateInput, UntagServerCertificateInput, UpdateServerCertificateInput,
    UploadServerCertificateInput, UploadServerCertificateOutput,
};
use portcullis_store::{Change, Entities, ServerCertificate, Tag};

/// Server certificates per account (IAM and STS quotas).
pub(crate) const CERTIFICATES_PER_ACCOUNT: usize = 20;

fn malformed(message: &str) -> Error {
    Error::aws(IamErrorCode::MalformedCertificate, message)
}

/// IAM's NoSuchEntity for a server certificate.
fn not_found(name: &str) -> Error {
    Error::no_such_entity(format!(
        "The Server Certificate with name {name} cannot be found."
    ))
}

/// The server certificate with this name, or NoSuchEntity.
fn find<'e>(e: &'e Entities, name: &str) -> Result<&'e ServerCertificate, Error> {
    e.server_certificate(name).ok_or_else(|| not_found(name))
}

/// The `ServerCertificateMetadata` shape.
fn metadata(c: &ServerCertificate) -> ServerCertificateMetadata {
    ServerCertificateMetadata {
        path: c.path.clone(),
        server_certificate_name: c.name.clone(),
        server_certificate_id: c.id.clone(),
        arn: c.arn.clone(),
        upload_date: Some(Timestamp::from_millis(c.upload_date)),
        expiration: Some(Timestamp::from_millis(c.expiration)),
    }
}

/// The certificate an IAM call acts on, for authorization: its ARN and tags (the ARN that
/// UploadServerCertificate would give, for one that does not exist yet).
pub(crate) fn target(
    account: &str,
    name: Option<&str>,
    path: Option<&str>,
    e: &Entities,
) -> Option<(String, Vec<Tag>)> {
    let name = name?;
    Some(match e.server_certificate(name) {
        Some(c) => (c.arn.clone(), c.tags.clone()),
        None => (
            rules::arn(account, "server-certificate", path.unwrap_or("/"), name),
            Vec::new(),
        ),
    })
}

/// UploadServerCertificate.
pub(crate) async fn upload_server_certificate(
    ctx: &Ctx<'_>,
    input: UploadServerCertificateInput,
) -> Result<UploadServerCertificateOutput, Error> {
    let name = input.server_certificate_name.as_str();
    let path = input.path.as_deref().unwrap_or("/");
    let body = input.certificate_body.as_str();
    let key = input.private_key.as_str();
    let chain = input.certificate_chain.as_deref();
    let tags = views::stored_tags(input.tags);
    check_tags(&tags, true)?;
    let info = parse_certificate(body).ok_or_else(|| {
        malformed("Unable to parse certificate. Please ensure the certificate is in PEM format.")
    })?;
    if let Some(chain) = chain {
        let blocks = pem_blocks(chain);
        let all_certificates = !blocks.is_empty()
            && blocks.iter().all(|(label, der)| {
                label == "CERTIFICATE" && x509_parser::parse_x509_certificate(der).is_ok()
            });
        if !all_certificates {
            return Err(malformed(
                "Unable to parse certificate chain. Please ensure the chain is in PEM format.",
            ));
        }
    }
    let private = parse_private_key(key).ok_or_else(|| {
        malformed(
            "Unable to parse private key. Please ensure the private key is an unencrypted PEM key.",
        )
    })?;
    if !key_matches(&private, &info.public_key) {
        return Err(Error::aws(
            IamErrorCode::KeyPairMismatch,
            "The private key did not match the public key in the certificate.",
        ));
    }
    let account = ctx.account();
    let cert = ServerCertificate {
        id: unique_id("ASCA", 17),
        name: name.to_string(),
        path: path.to_string(),
        arn: rules::arn(account, "server-certificate", path, name),
        // Kept exactly as uploaded (trailing newline included), as AWS answers it.
        body: body.to_string(),
        chain: chain.map(|c| c.trim().to_string()),
        private_key_ciphertext: ctx.app.server_key.encrypt(key),
        expiration: info.not_after,
        upload_date: now_millis(),
        tags,
    };
    ctx.app
        .write(|e| {
            if e.server_certificate(name).is_some() {
                return Err(Error::already_exists(format!(
                    "The Server Certificate with name {name} already exists."
                )));
            }
            if e.server_certificates.len() >= CERTIFICATES_PER_ACCOUNT {
                return Err(over_quota(
                    "ServerCertificatesPerAccount",
                    CERTIFICATES_PER_ACCOUNT,
                ));
            }
            let out = UploadServerCertificateOutput {
                server_certificate_metadata: Some(metadata(&cert)),
                tags: (!cert.tags.is_empty()).then(|| views::tags(&cert.tags)),
            };
            Ok((vec![Change::put(account, &cert)], out))
        })
        .await
}

/// GetServerCertificate: everything but the private key.
pub(crate) fn get_server_certificate(
    ctx: &Ctx<'_>,
    input: GetServerCertificateInput,
) -> Result<GetServerCertificateOutput, Error> {
    ctx.app.read(|e| {
        let c = find(e, &input.server_certificate_name)?;
        Ok(GetServerCertificateOutput {
            server_certificate: iam::ServerCertificate {
                server_certificate_metadata: metadata(c),
                certificate_body: c.body.clone(),
                certificate_chain: c.chain.clone(),
                tags: Some(views::tags(&c.tags)),
            },
        })
    })
}

/// ListServerCertificates, by path prefix.
pub(crate) fn list_server_certificates(
    ctx: &Ctx<'_>,
    input: ListServerCertificatesInput,
) -> Result<ListServerCertificatesOutput, Error> {
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let (items, next) = page.take(
            e.server_certificates
                .iter()
                .filter(|(_, c)| c.path.starts_with(prefix))
                .map(|(k, c)| (k.as_str(), metadata(c))),
        );
        Ok(ListServerCertificatesOutput {
            server_certificate_metadata_list: items,
            is_truncated: Some(next.is_some()),
            marker: next,
        })
    })
}

/// UpdateServerCertificate: new name and/or path.
pub(crate) async fn update_server_certificate(
    ctx: &Ctx<'_>,
    input: UpdateServerCertificateInput,
) -> Result<(), Error> {
    let name = input.server_certificate_name.as_str();
    let new_name = input.new_server_certificate_name.as_deref();
    let new_path = input.new_path.as_deref();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let old = find(e, name)?;
            let mut c = old.clone();
            if let Some(n) = new_name {
                if !n.eq_ignore_ascii_case(name) && e.server_certificate(n).is_some() {
                    return Err(Error::already_exists(format!(
                        "The Server Certificate with name {n} already exists."
                    )));
                }
                c.name = n.to_string();
            }
            if let Some(p) = new_path {
                c.path = p.to_string();
            }
            c.arn = rules::arn(account, "server-certificate", &c.path, &c.name);
            Ok((
                vec![Change::delete(account, old), Change::put(account, &c)],
                (),
            ))
        })
        .await
}

/// DeleteServerCertificate.
pub(crate) async fn delete_server_certificate(
    ctx: &Ctx<'_>,
    input: DeleteServerCertificateInput,
) -> Result<(), Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let c = find(e, &input.server_certificate_name)?;
            Ok((vec![Change::delete(account, c)], ()))
        })
        .await
}

/// Runs a change of the tags of the certificate `name`.
async fn retag(
    ctx: &Ctx<'_>,
    name: &str,
    change: impl FnOnce(&mut ServerCertificate) -> Result<(), Error>,
) -> Result<(), Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut c = find(e, name)?.clone();
            change(&mut c)?;
            Ok((vec![Change::put(account, &c)], ()))
        })
        .await
}

/// TagServerCertificate.
pub(crate) async fn tag_server_certificate(
    ctx: &Ctx<'_>,
    input: TagServerCertificateInput,
) -> Result<(), Error> {
    let new = views::stored_tags(Some(input.tags));
    retag(ctx, &input.server_certificate_name, |c| {
        c.tags = merge_tags(&c.tags, &new, "TagsPerServerCertificate", true)?;
        Ok(())
    })
    .await
}

/// UntagServerCertificate (keys compare without regard to case).
pub(crate) async fn untag_server_certificate(
    ctx: &Ctx<'_>,
    input: UntagServerCertificateInput,
) -> Result<(), Error> {
    let keys = input.tag_keys;
    retag(ctx, &input.server_certificate_name, |c| {
        c.tags
            .retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
        Ok(())
    })
    .await
}

/// ListServerCertificateTags, paginated.
pub(crate) fn list_server_certificate_tags(
    ctx: &Ctx<'_>,
    input: ListServerCertificateTagsInput,
) -> Result<ListServerCertificateTagsOutput, Error> {
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let tags = &find(e, &input.server_certificate_name)?.tags;
        let keys: Vec<String> = (0..tags.len()).map(|i| format!("{i:08}")).collect();
        let (items, next) = page.take(keys.iter().map(String::as_str).zip(tags.iter()));
        let items: Vec<Tag> = items.into_iter().cloned().collect();
        Ok(ListServerCertificateTagsOutput {
            tags: views::tags(&items),
            is_truncated: Some(next.is_some()),
            marker: next,
        })
    })
}
