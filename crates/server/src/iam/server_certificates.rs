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
use crate::call::input::paged;
use crate::error::Error;
use crate::pem::{key_matches, parse_certificate, parse_private_key, pem_blocks};
use crate::secrets::unique_id;
use crate::time::{iso8601, now_millis};
use portcullis_store::{Change, Entities, ServerCertificate, Tag};
use serde_json::{Value, json};

/// Server certificates per account (IAM and STS quotas).
pub(crate) const CERTIFICATES_PER_ACCOUNT: usize = 20;

fn malformed(message: &str) -> Error {
    Error::aws("MalformedCertificate", message)
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
fn metadata(c: &ServerCertificate) -> Value {
    json!({
        "Path": c.path,
        "ServerCertificateName": c.name,
        "ServerCertificateId": c.id,
        "Arn": c.arn,
        "UploadDate": iso8601(c.upload_date),
        "Expiration": iso8601(c.expiration),
    })
}

/// The certificate an IAM call acts on, for authorization: its ARN and tags (the ARN that
/// UploadServerCertificate would give, for one that does not exist yet).
pub(crate) fn target(account: &str, input: &Value, e: &Entities) -> Option<(String, Vec<Tag>)> {
    let name = input.get("ServerCertificateName").and_then(Value::as_str)?;
    Some(match e.server_certificate(name) {
        Some(c) => (c.arn.clone(), c.tags.clone()),
        None => {
            let path = input.get("Path").and_then(Value::as_str).unwrap_or("/");
            (
                rules::arn(account, "server-certificate", path, name),
                Vec::new(),
            )
        }
    })
}

/// UploadServerCertificate.
pub(crate) async fn upload(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let i = &ctx.input;
    let name = i.str("ServerCertificateName")?;
    let path = i.opt_str("Path").unwrap_or("/");
    let body = i.str("CertificateBody")?;
    let key = i.str("PrivateKey")?;
    let chain = i.opt_str("CertificateChain");
    let tags = i.tags("Tags");
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
            "KeyPairMismatch",
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
            let mut out = json!({ "ServerCertificateMetadata": metadata(&cert) });
            if !cert.tags.is_empty() {
                out["Tags"] = views::tags(&cert.tags);
            }
            Ok((vec![Change::put(account, &cert)], out))
        })
        .await
}

/// GetServerCertificate: everything but the private key.
pub(crate) fn get(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("ServerCertificateName")?;
    ctx.app.read(|e| {
        let c = find(e, name)?;
        let mut out = json!({
            "ServerCertificateMetadata": metadata(c),
            "CertificateBody": c.body,
            "Tags": views::tags(&c.tags),
        });
        if let Some(chain) = &c.chain {
            out["CertificateChain"] = json!(chain);
        }
        Ok(json!({ "ServerCertificate": out }))
    })
}

/// ListServerCertificates, by path prefix.
pub(crate) fn list(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let prefix = ctx.input.opt_str("PathPrefix").unwrap_or("/");
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let (items, next) = page.take(
            e.server_certificates
                .iter()
                .filter(|(_, c)| c.path.starts_with(prefix))
                .map(|(k, c)| (k.as_str(), metadata(c))),
        );
        Ok(paged(
            json!({ "ServerCertificateMetadataList": items }),
            next,
        ))
    })
}

/// UpdateServerCertificate: new name and/or path.
pub(crate) async fn update(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("ServerCertificateName")?;
    let new_name = ctx.input.opt_str("NewServerCertificateName");
    let new_path = ctx.input.opt_str("NewPath");
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
                json!({}),
            ))
        })
        .await
}

/// DeleteServerCertificate.
pub(crate) async fn delete(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("ServerCertificateName")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let c = find(e, name)?;
            Ok((vec![Change::delete(account, c)], json!({})))
        })
        .await
}

/// Runs a change of one certificate's tags.
async fn retag(
    ctx: &Ctx<'_>,
    change: impl FnOnce(&mut ServerCertificate) -> Result<(), Error>,
) -> Result<Value, Error> {
    let name = ctx.input.str("ServerCertificateName")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut c = find(e, name)?.clone();
            change(&mut c)?;
            Ok((vec![Change::put(account, &c)], json!({})))
        })
        .await
}

/// TagServerCertificate.
pub(crate) async fn tag(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let new = ctx.input.tags("Tags");
    retag(ctx, |c| {
        c.tags = merge_tags(&c.tags, &new, "TagsPerServerCertificate", true)?;
        Ok(())
    })
    .await
}

/// UntagServerCertificate (keys compare without regard to case).
pub(crate) async fn untag(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let keys = ctx.input.str_list("TagKeys");
    retag(ctx, |c| {
        c.tags
            .retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
        Ok(())
    })
    .await
}

/// ListServerCertificateTags, paginated.
pub(crate) fn list_tags(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let name = ctx.input.str("ServerCertificateName")?;
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let tags = &find(e, name)?.tags;
        let keys: Vec<String> = (0..tags.len()).map(|i| format!("{i:08}")).collect();
        let (items, next) = page.take(keys.iter().map(String::as_str).zip(tags.iter()));
        let items: Vec<Tag> = items.into_iter().cloned().collect();
        Ok(paged(json!({ "Tags": views::tags(&items) }), next))
    })
}
