//! SAML providers through the AWS SDK for Rust: CreateSAMLProvider (metadata validated as
//! XML), GetSAMLProvider, ListSAMLProviders, UpdateSAMLProvider (metadata, private keys,
//! assertion encryption), DeleteSAMLProvider, tags, and AWS's errors.

#[macro_use]
mod common;

use aws_sdk_iam::types::AssertionEncryptionModeType;
use common::*;

const CERT: &str = include_str!("../../server/src/iam/testdata/server.crt");
const KEY: &str = include_str!("../../server/src/iam/testdata/server.key");

/// IdP metadata carrying the test certificate.
fn metadata(valid_until: Option<&str>) -> String {
    let b64: String = CERT.lines().filter(|l| !l.starts_with("-----")).collect();
    let valid = valid_until
        .map(|v| format!(r#" validUntil="{v}""#))
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/saml"{valid}>
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#
    )
}

#[tokio::test]
async fn saml_provider_lifecycle() {
    let server = Server::start();
    let iam = iam(&server);
    let arn = format!("arn:aws:iam::{ACCOUNT_ID}:saml-provider/corp-idp");

    let created = iam
        .create_saml_provider()
        .name("corp-idp")
        .saml_metadata_document(metadata(Some("2036-01-01T00:00:00Z")))
        .tags(tag("team", "sso"))
        .send()
        .await
        .expect("CreateSAMLProvider");
    assert_eq!(created.saml_provider_arn(), Some(arn.as_str()));
    assert_eq!(tag_pairs(created.tags()), [("team".into(), "sso".into())]);

    let got = iam
        .get_saml_provider()
        .saml_provider_arn(&arn)
        .send()
        .await
        .expect("GetSAMLProvider");
    assert_eq!(
        got.saml_metadata_document(),
        Some(metadata(Some("2036-01-01T00:00:00Z")).as_str())
    );
    assert_eq!(got.valid_until().unwrap().secs(), 2_082_758_400);
    assert_recent(got.create_date().unwrap());
    let uuid = got.saml_provider_uuid().unwrap();
    assert!(
        uuid.len() >= 22
            && uuid
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    );

    // Invalid metadata: not XML, XML that is not IdP metadata (both long enough).
    let padding = " ".repeat(1000);
    for bad in [
        format!("this is not XML{padding}"),
        metadata(None).replace("IDPSSODescriptor", "SPSSODescriptor"),
        metadata(None).replace("</md:EntityDescriptor>", ""),
    ] {
        let f = fail(
            iam.create_saml_provider()
                .name("bad")
                .saml_metadata_document(bad)
                .send()
                .await,
        );
        assert_eq!(f.code, "InvalidInput");
        assert_eq!(f.message, "Could not parse metadata");
    }
    // Too short for the model.
    let f = fail(
        iam.create_saml_provider()
            .name("bad")
            .saml_metadata_document("<x/>")
            .send()
            .await,
    );
    assert_eq!(f.code, "ValidationError");
    let f = fail(
        iam.create_saml_provider()
            .name("corp-idp")
            .saml_metadata_document(metadata(None))
            .send()
            .await,
    );
    assert_eq!(f.code, "EntityAlreadyExists");
    // Encryption required without a key.
    let f = fail(
        iam.create_saml_provider()
            .name("encrypted")
            .saml_metadata_document(metadata(None))
            .assertion_encryption_mode(AssertionEncryptionModeType::Required)
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidInput");

    let listed = iam
        .list_saml_providers()
        .send()
        .await
        .expect("ListSAMLProviders");
    let entries = listed.saml_provider_list();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].arn(), Some(arn.as_str()));

    let updated = iam
        .update_saml_provider()
        .saml_provider_arn(&arn)
        .saml_metadata_document(metadata(None))
        .add_private_key(KEY)
        .assertion_encryption_mode(AssertionEncryptionModeType::Required)
        .send()
        .await
        .expect("UpdateSAMLProvider");
    assert_eq!(updated.saml_provider_arn(), Some(arn.as_str()));
    let got = iam
        .get_saml_provider()
        .saml_provider_arn(&arn)
        .send()
        .await
        .unwrap();
    assert!(got.valid_until().is_none());
    assert_eq!(
        got.assertion_encryption_mode(),
        Some(&AssertionEncryptionModeType::Required)
    );
    let keys = got.private_key_list();
    assert_eq!(keys.len(), 1);
    // The key itself is never returned.
    assert!(!format!("{got:?}").contains("PRIVATE KEY"));
    let f = fail(
        iam.update_saml_provider()
            .saml_provider_arn(&arn)
            .add_private_key("not a key")
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidInput");
    let f = fail(
        iam.update_saml_provider()
            .saml_provider_arn(format!("arn:aws:iam::{ACCOUNT_ID}:saml-provider/none"))
            .saml_metadata_document(metadata(None))
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");

    iam.tag_saml_provider()
        .saml_provider_arn(&arn)
        .tags(tag("env", "prod"))
        .send()
        .await
        .expect("TagSAMLProvider");
    iam.untag_saml_provider()
        .saml_provider_arn(&arn)
        .tag_keys("TEAM")
        .send()
        .await
        .expect("UntagSAMLProvider");
    let tags = iam
        .list_saml_provider_tags()
        .saml_provider_arn(&arn)
        .send()
        .await
        .expect("ListSAMLProviderTags");
    assert_eq!(tag_pairs(tags.tags()), [("env".into(), "prod".into())]);
    let f = fail(
        iam.tag_saml_provider()
            .saml_provider_arn(&arn)
            .tags(tag("aws:x", "y"))
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidInput");
    let f = fail(
        iam.list_saml_provider_tags()
            .saml_provider_arn(format!("arn:aws:iam::{ACCOUNT_ID}:saml-provider/none"))
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
    let f = fail(
        iam.untag_saml_provider()
            .saml_provider_arn(format!("arn:aws:iam::{ACCOUNT_ID}:saml-provider/none"))
            .tag_keys("x")
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");

    iam.delete_saml_provider()
        .saml_provider_arn(&arn)
        .send()
        .await
        .expect("DeleteSAMLProvider");
    let f = fail(iam.get_saml_provider().saml_provider_arn(&arn).send().await);
    assert_eq!(f.code, "NoSuchEntity");
    assert_eq!(f.message, format!("Manifest not found for arn {arn}"));
    let f = fail(
        iam.delete_saml_provider()
            .saml_provider_arn(&arn)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
}
