//! SAML 2.0 identity providers: CreateSAMLProvider, GetSAMLProvider, ListSAMLProviders,
//! UpdateSAMLProvider, DeleteSAMLProvider, TagSAMLProvider, UntagSAMLProvider,
//! ListSAMLProviderTags.
//!
//! The metadata document must be well-formed XML whose root is a SAML 2.0 metadata
//! `EntityDescriptor` with an `IDPSSODescriptor` and at least one `ds:X509Certificate` that
//! parses as an X.509 certificate; otherwise InvalidInput ("Could not parse metadata").
//! ValidUntil is the metadata's `validUntil`. Private keys for encrypted assertions
//! (AddPrivateKey, at most two) are checked to be PEM private keys, stored encrypted with
//! the server key and listed by ID only; AssertionEncryptionMode `Required` needs one.
//! ARNs are `arn:aws:iam::ACCOUNT:saml-provider/NAME`; at most 100 providers per account.
//! The `entityID` and the signing certificates are what AssumeRoleWithSAML checks responses
//! with (`sts::saml`). A trusted identity propagation context provider may be set (see
//! [`context_provider`]); GetSAMLProvider lists the signing keys' hashes ([`key_hash`]).

use super::context_provider;
use super::rules::{check_tags, merge_tags, over_quota};
use super::views;
use crate::auth::saml::METADATA_NS;
use crate::auth::saml::dsig::{DSIG_NS, decode_base64};
use crate::auth::saml::xml;
use crate::call::Ctx;
use crate::call::input::Page;
use crate::error::Error;
use crate::pem::parse_private_key;
use crate::secrets::unique_id;
use crate::time::now_millis;
use portcullis_protocol::Timestamp;
use portcullis_protocol::iam::{
    CreateSAMLProviderInput, CreateSAMLProviderOutput, DeleteSAMLProviderInput,
    GetSAMLProviderInput, GetSAMLProviderOutput, ListSAMLProviderTagsInput,
    ListSAMLProviderTagsOutput, ListSAMLProvidersInput, ListSAMLProvidersOutput, SAMLKeyHashEntry,
    SAMLPrivateKey, SAMLProviderListEntry, TagSAMLProviderInput, UntagSAMLProviderInput,
    UpdateSAMLProviderInput, UpdateSAMLProviderOutput,
};
use portcullis_store::{Change, Entities, SamlPrivateKey, SamlProvider, Tag};

/// SAML providers per account (IAM and STS quotas).
pub(crate) const PROVIDERS_PER_ACCOUNT: usize = 100;

/// Private keys per provider (the model's limit).
pub(crate) const KEYS_PER_PROVIDER: usize = 2;

/// What a valid metadata document says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Metadata {
    /// `validUntil` of the `EntityDescriptor`, in milliseconds since the Unix epoch.
    pub valid_until: Option<i64>,
    /// How many X.509 certificates it carries.
    pub certificates: usize,
    /// The `entityID` of the `EntityDescriptor`: the issuer of the provider's responses.
    pub entity_id: Option<String>,
    /// The DER certificates that sign the provider's responses: those of the
    /// `IDPSSODescriptor`'s `KeyDescriptor`s whose `use` is `signing` or absent.
    pub signing_certificates: Vec<Vec<u8>>,
}

/// Reads a SAML metadata document; `None` when it is not valid IdP metadata.
pub(crate) fn parse_metadata(text: &str) -> Option<Metadata> {
    let root = xml::parse(text)?;
    if !root.is(METADATA_NS, "EntityDescriptor") {
        return None;
    }
    let valid_until = match root.attr("validUntil") {
        Some(t) => Some((portcullis_policy::condition::parse_date(t)? / 1_000_000) as i64),
        None => None,
    };
    let certificate = |e: &xml::Element| -> Option<Vec<u8>> {
        let der = decode_base64(&e.text())?;
        x509_parser::parse_x509_certificate(&der).ok()?;
        Some(der)
    };
    let mut certificates = 0;
    for e in root.descendants() {
        if e.is(DSIG_NS, "X509Certificate") {
            certificate(e)?;
            certificates += 1;
        }
    }
    let idps: Vec<&xml::Element> = root
        .children_named(METADATA_NS, "IDPSSODescriptor")
        .collect();
    if idps.is_empty() || certificates == 0 {
        return None;
    }
    let signing_certificates = idps
        .iter()
        .flat_map(|idp| idp.children_named(METADATA_NS, "KeyDescriptor"))
        .filter(|k| matches!(k.attr("use"), None | Some("signing")))
        .flat_map(|k| k.descendants())
        .filter(|e| e.is(DSIG_NS, "X509Certificate"))
        .filter_map(certificate)
        .collect();
    Some(Metadata {
        valid_until,
        certificates,
        entity_id: root.attr("entityID").map(str::to_string),
        signing_certificates,
    })
}

fn invalid_metadata() -> Error {
    Error::invalid_input("Could not parse metadata")
}

fn not_found(arn: &str) -> Error {
    Error::no_such_entity(format!("Manifest not found for arn {arn}"))
}

fn find<'e>(e: &'e Entities, arn: &str) -> Result<&'e SamlProvider, Error> {
    e.saml_providers.get(arn).ok_or_else(|| not_found(arn))
}

/// The provider an IAM call acts on, for authorization: its ARN and tags (the ARN that
/// CreateSAMLProvider would give, for one that does not exist yet).
pub(crate) fn target(
    account: &str,
    arn: Option<&str>,
    name: Option<&str>,
    e: &Entities,
) -> Option<(String, Vec<Tag>)> {
    if let Some(arn) = arn {
        let tags = e
            .saml_providers
            .get(arn)
            .map(|p| p.tags.clone())
            .unwrap_or_default();
        return Some((arn.to_string(), tags));
    }
    Some((provider_arn(account, name?), Vec::new()))
}

/// The hash IAM lists for a signing key (GetSAMLProvider's `SAMLKeyHashes`) and that STS
/// sets as `aws:OriginIdentity/Issuer` for a SAML session: Portcullis uses the lower-case
/// hex SHA-256 of the certificate's SubjectPublicKeyInfo, since AWS does not publish its
/// hash. `None` when the certificate does not parse.
pub(crate) fn key_hash(certificate_der: &[u8]) -> Option<String> {
    use sha2::Digest;
    let (_, cert) = x509_parser::parse_x509_certificate(certificate_der).ok()?;
    Some(hex::encode(sha2::Sha256::digest(cert.public_key().raw)))
}

/// `arn:aws:iam::ACCOUNT:saml-provider/NAME`.
pub(crate) fn provider_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:saml-provider/{name}")
}

/// A private key to add, read and sealed.
fn new_key(ctx: &Ctx<'_>, pem: &str) -> Result<SamlPrivateKey, Error> {
    if parse_private_key(pem).is_none() {
        return Err(Error::invalid_input(
            "The private key is not a valid unencrypted PEM private key.",
        ));
    }
    Ok(SamlPrivateKey {
        key_id: unique_id("", 26),
        key_ciphertext: ctx.app.server_key.encrypt(pem),
        timestamp: now_millis(),
    })
}

fn check_encryption(p: &SamlProvider) -> Result<(), Error> {
    if p.assertion_encryption_mode.as_deref() == Some("Required") && p.private_keys.is_empty() {
        return Err(Error::invalid_input(
            "AssertionEncryptionMode Required needs a private key: give one with AddPrivateKey.",
        ));
    }
    Ok(())
}

/// CreateSAMLProvider.
pub(crate) async fn create_saml_provider(
    ctx: &Ctx<'_>,
    input: CreateSAMLProviderInput,
) -> Result<CreateSAMLProviderOutput, Error> {
    let name = input.name.as_str();
    let document = input.saml_metadata_document.as_str();
    let tags = views::stored_tags(input.tags);
    check_tags(&tags, true)?;
    let metadata = parse_metadata(document).ok_or_else(invalid_metadata)?;
    let private_keys = match input.add_private_key.as_deref() {
        Some(pem) => vec![new_key(ctx, pem)?],
        None => Vec::new(),
    };
    let context_provider = context_provider::for_create(
        input.context_provider.as_ref(),
        input.identity_center_instance_arn.as_deref(),
    )?;
    let account = ctx.account();
    let provider = SamlProvider {
        arn: provider_arn(account, name),
        name: name.to_string(),
        uuid: unique_id("", 26),
        metadata: document.to_string(),
        valid_until: metadata.valid_until,
        assertion_encryption_mode: input.assertion_encryption_mode,
        private_keys,
        create_date: now_millis(),
        tags,
        context_provider,
    };
    check_encryption(&provider)?;
    ctx.app
        .write(|e| {
            if e.saml_providers.contains_key(&provider.arn) {
                return Err(Error::already_exists(format!(
                    "SAMLProvider {name} already exists."
                )));
            }
            if e.saml_providers.len() >= PROVIDERS_PER_ACCOUNT {
                return Err(over_quota("SAMLProvidersPerAccount", PROVIDERS_PER_ACCOUNT));
            }
            let out = CreateSAMLProviderOutput {
                saml_provider_arn: Some(provider.arn.clone()),
                tags: (!provider.tags.is_empty()).then(|| views::tags(&provider.tags)),
            };
            Ok((vec![Change::put(account, &provider)], out))
        })
        .await
}

/// GetSAMLProvider.
pub(crate) fn get_saml_provider(
    ctx: &Ctx<'_>,
    input: GetSAMLProviderInput,
) -> Result<GetSAMLProviderOutput, Error> {
    ctx.app.read(|e| {
        let p = find(e, &input.saml_provider_arn)?;
        let key_hashes = parse_metadata(&p.metadata).and_then(|m| {
            let issuer = m.entity_id?;
            let hashes: Vec<String> = m
                .signing_certificates
                .iter()
                .filter_map(|c| key_hash(c))
                .collect();
            Some(vec![SAMLKeyHashEntry {
                issuer_url: Some(issuer),
                key_hashes: Some(hashes),
            }])
        });
        Ok(GetSAMLProviderOutput {
            saml_provider_uuid: Some(p.uuid.clone()),
            saml_metadata_document: Some(p.metadata.clone()),
            create_date: Some(Timestamp::from_millis(p.create_date)),
            tags: Some(views::tags(&p.tags)),
            private_key_list: Some(
                p.private_keys
                    .iter()
                    .map(|k| SAMLPrivateKey {
                        key_id: Some(k.key_id.clone()),
                        timestamp: Some(Timestamp::from_millis(k.timestamp)),
                    })
                    .collect(),
            ),
            valid_until: p.valid_until.map(Timestamp::from_millis),
            assertion_encryption_mode: p.assertion_encryption_mode.clone(),
            context_provider: p.context_provider.as_ref().map(context_provider::view),
            saml_key_hashes: key_hashes,
            identity_center_instance_arn: None,
            identity_store_arn: None,
        })
    })
}

/// ListSAMLProviders (IAM does not paginate it).
pub(crate) fn list_saml_providers(
    ctx: &Ctx<'_>,
    _input: ListSAMLProvidersInput,
) -> Result<ListSAMLProvidersOutput, Error> {
    ctx.app.read(|e| {
        let items = e
            .saml_providers
            .values()
            .map(|p| SAMLProviderListEntry {
                arn: Some(p.arn.clone()),
                create_date: Some(Timestamp::from_millis(p.create_date)),
                is_trusted_identity_propagation_enabled: Some(false),
                valid_until: p.valid_until.map(Timestamp::from_millis),
            })
            .collect();
        Ok(ListSAMLProvidersOutput {
            saml_provider_list: Some(items),
        })
    })
}

/// Runs a change of the provider `arn`; returns its ARN.
async fn change(
    ctx: &Ctx<'_>,
    arn: &str,
    f: impl FnOnce(&mut SamlProvider) -> Result<(), Error>,
) -> Result<String, Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut p = find(e, arn)?.clone();
            f(&mut p)?;
            let arn = p.arn.clone();
            Ok((vec![Change::put(account, &p)], arn))
        })
        .await
}

/// UpdateSAMLProvider: new metadata, encryption mode, a key to add or remove.
pub(crate) async fn update_saml_provider(
    ctx: &Ctx<'_>,
    input: UpdateSAMLProviderInput,
) -> Result<UpdateSAMLProviderOutput, Error> {
    let document = input.saml_metadata_document.as_deref();
    let metadata = match document {
        Some(d) => Some(parse_metadata(d).ok_or_else(invalid_metadata)?),
        None => None,
    };
    let add = match input.add_private_key.as_deref() {
        Some(pem) => Some(new_key(ctx, pem)?),
        None => None,
    };
    let remove = input.remove_private_key.as_deref();
    let mode = input.assertion_encryption_mode.as_deref();
    let context = context_provider::for_update(
        input.context_provider.as_ref(),
        input.identity_center_instance_arn.as_deref(),
        input.remove_context_provider,
        input.remove_identity_center_instance,
        false,
    )?;
    let arn = change(ctx, &input.saml_provider_arn, |p| {
        if let Some(new) = context {
            p.context_provider = new;
        }
        if let (Some(d), Some(m)) = (document, &metadata) {
            p.metadata = d.to_string();
            p.valid_until = m.valid_until;
        }
        if let Some(id) = remove {
            let before = p.private_keys.len();
            p.private_keys.retain(|k| k.key_id != id);
            if p.private_keys.len() == before {
                return Err(Error::invalid_input(format!(
                    "The private key {id} does not exist for this provider."
                )));
            }
        }
        if let Some(k) = add {
            if p.private_keys.len() >= KEYS_PER_PROVIDER {
                return Err(over_quota("PrivateKeysPerSAMLProvider", KEYS_PER_PROVIDER));
            }
            p.private_keys.push(k);
        }
        if let Some(m) = mode {
            p.assertion_encryption_mode = Some(m.to_string());
        }
        check_encryption(p)
    })
    .await?;
    Ok(UpdateSAMLProviderOutput {
        saml_provider_arn: Some(arn),
    })
}

/// DeleteSAMLProvider.
pub(crate) async fn delete_saml_provider(
    ctx: &Ctx<'_>,
    input: DeleteSAMLProviderInput,
) -> Result<(), Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let p = find(e, &input.saml_provider_arn)?;
            Ok((vec![Change::delete(account, p)], ()))
        })
        .await
}

/// TagSAMLProvider.
pub(crate) async fn tag_saml_provider(
    ctx: &Ctx<'_>,
    input: TagSAMLProviderInput,
) -> Result<(), Error> {
    let new = views::stored_tags(Some(input.tags));
    change(ctx, &input.saml_provider_arn, |p| {
        p.tags = merge_tags(&p.tags, &new, "TagsPerSAMLProvider", true)?;
        Ok(())
    })
    .await
    .map(|_| ())
}

/// UntagSAMLProvider (keys compare without regard to case).
pub(crate) async fn untag_saml_provider(
    ctx: &Ctx<'_>,
    input: UntagSAMLProviderInput,
) -> Result<(), Error> {
    let keys = input.tag_keys;
    change(ctx, &input.saml_provider_arn, |p| {
        p.tags
            .retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
        Ok(())
    })
    .await
    .map(|_| ())
}

/// ListSAMLProviderTags, paginated.
pub(crate) fn list_saml_provider_tags(
    ctx: &Ctx<'_>,
    input: ListSAMLProviderTagsInput,
) -> Result<ListSAMLProviderTagsOutput, Error> {
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let tags = &find(e, &input.saml_provider_arn)?.tags;
        let keys: Vec<String> = (0..tags.len()).map(|i| format!("{i:08}")).collect();
        let (items, next) = page.take(keys.iter().map(String::as_str).zip(tags.iter()));
        let items: Vec<Tag> = items.into_iter().cloned().collect();
        Ok(ListSAMLProviderTagsOutput {
            tags: views::tags(&items),
            is_truncated: Some(next.is_some()),
            marker: next,
        })
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// IdP metadata with the test certificate, valid until 2036-01-01.
    pub(crate) fn metadata_xml(cert_pem: &str, valid_until: Option<&str>) -> String {
        let b64: String = cert_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let valid = valid_until
            .map(|v| format!(r#" validUntil="{v}""#))
            .unwrap_or_default();
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/saml"{valid}>
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data>
          <ds:X509Certificate>{b64}</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#
        )
    }

    #[test]
    fn reads_idp_metadata() {
        let cert = crate::pem::tests::CERT;
        let m = parse_metadata(&metadata_xml(cert, Some("2036-01-01T00:00:00Z"))).unwrap();
        assert_eq!(m.certificates, 1);
        assert_eq!(m.valid_until, Some(2_082_758_400_000));
        assert_eq!(
            parse_metadata(&metadata_xml(cert, None))
                .unwrap()
                .valid_until,
            None
        );
    }

    #[test]
    fn refuses_what_is_not_idp_metadata() {
        let cert = crate::pem::tests::CERT;
        let good = metadata_xml(cert, None);
        // Not XML, not well-formed, another root, another namespace.
        assert!(parse_metadata("not xml at all").is_none());
        assert!(parse_metadata(&good.replace("</md:EntityDescriptor>", "")).is_none());
        assert!(parse_metadata(&good.replace("md:EntityDescriptor", "md:Other")).is_none());
        assert!(
            parse_metadata(
                &good.replace("urn:oasis:names:tc:SAML:2.0:metadata", "urn:example:other")
            )
            .is_none()
        );
        // No IdP descriptor, or a certificate that is not one.
        assert!(parse_metadata(&good.replace("IDPSSODescriptor", "SPSSODescriptor")).is_none());
        let b64 = cert.lines().nth(1).unwrap();
        assert!(parse_metadata(&good.replace(b64, "AAAA")).is_none());
        // A bad validUntil.
        assert!(parse_metadata(&metadata_xml(cert, Some("someday"))).is_none());
    }
}
