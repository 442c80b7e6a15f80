//! Account-wide settings through the AWS SDK for Rust: the account alias, STS preferences,
//! account properties, outbound identity federation, and GetAccountSummary's counts of
//! what now exists (server certificates, root signing certificates, the token version).

#[macro_use]
mod common;

use aws_sdk_iam::types::{GlobalEndpointTokenVersion, SummaryKeyType};
use common::*;

#[tokio::test]
async fn account_alias() {
    let server = Server::start();
    let iam = iam(&server);
    let listed = iam.list_account_aliases().send().await.unwrap();
    assert!(listed.account_aliases().is_empty());
    assert!(!listed.is_truncated());
    let f = fail(iam.list_account_aliases().max_items(0).send().await);
    assert_eq!(f.code, "ValidationError");

    // The pattern: lower-case letters, digits and single hyphens, not at either end.
    for bad in ["Upper-case", "double--hyphen", "-leading", "ab"] {
        let f = rejects!(
            iam,
            iam.create_account_alias().account_alias(bad).send(),
            "ValidationError"
        );
        assert_eq!(f.status, 400, "{bad}");
    }

    iam.create_account_alias()
        .account_alias("example-corp")
        .send()
        .await
        .expect("CreateAccountAlias");
    let listed = iam.list_account_aliases().send().await.unwrap();
    assert_eq!(listed.account_aliases(), ["example-corp"]);

    let f = fail(
        iam.create_account_alias()
            .account_alias("example-corp")
            .send()
            .await,
    );
    assert_eq!(f.code, "EntityAlreadyExists");
    // One alias per account.
    let f = fail(
        iam.create_account_alias()
            .account_alias("second-alias")
            .send()
            .await,
    );
    assert_eq!(f.code, "LimitExceeded");
    assert_eq!(
        iam.list_account_aliases()
            .send()
            .await
            .unwrap()
            .account_aliases(),
        ["example-corp"]
    );

    let f = fail(
        iam.delete_account_alias()
            .account_alias("other-alias")
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
    iam.delete_account_alias()
        .account_alias("example-corp")
        .send()
        .await
        .expect("DeleteAccountAlias");
    assert!(
        iam.list_account_aliases()
            .send()
            .await
            .unwrap()
            .account_aliases()
            .is_empty()
    );
}

fn summary_value(
    out: &aws_sdk_iam::operation::get_account_summary::GetAccountSummaryOutput,
    key: SummaryKeyType,
) -> i32 {
    *out.summary_map().unwrap().get(&key).unwrap()
}

#[tokio::test]
async fn sts_preferences_and_summary() {
    let server = Server::start();
    let iam = iam(&server);
    let before = iam.get_account_summary().send().await.unwrap();
    assert_eq!(
        summary_value(&before, SummaryKeyType::GlobalEndpointTokenVersion),
        1
    );
    assert_eq!(
        summary_value(&before, SummaryKeyType::ServerCertificates),
        0
    );
    assert_eq!(
        summary_value(&before, SummaryKeyType::ServerCertificatesQuota),
        20
    );

    iam.set_security_token_service_preferences()
        .global_endpoint_token_version(GlobalEndpointTokenVersion::V2Token)
        .send()
        .await
        .expect("SetSecurityTokenServicePreferences");
    let after = iam.get_account_summary().send().await.unwrap();
    assert_eq!(
        summary_value(&after, SummaryKeyType::GlobalEndpointTokenVersion),
        2
    );

    let f = fail(
        iam.set_security_token_service_preferences()
            .global_endpoint_token_version(GlobalEndpointTokenVersion::from("v3Token"))
            .send()
            .await,
    );
    assert_eq!(f.code, "ValidationError");

    iam.set_security_token_service_preferences()
        .global_endpoint_token_version(GlobalEndpointTokenVersion::V1Token)
        .send()
        .await
        .unwrap();
    let back = iam.get_account_summary().send().await.unwrap();
    assert_eq!(
        summary_value(&back, SummaryKeyType::GlobalEndpointTokenVersion),
        1
    );
}

#[tokio::test]
async fn account_properties() {
    let server = Server::start();
    let iam = iam(&server);
    let got = iam.get_account_properties().send().await.unwrap();
    assert!(got.properties().is_none_or(|p| p.is_empty()));

    iam.put_account_properties()
        .properties("RoleManager/Enabled", "true")
        .properties("RoleManager/Mode", "audit")
        .send()
        .await
        .expect("PutAccountProperties");
    let got = iam.get_account_properties().send().await.unwrap();
    let props = got.properties().unwrap();
    assert_eq!(
        props.get("RoleManager/Enabled").map(String::as_str),
        Some("true")
    );
    assert_eq!(
        props.get("RoleManager/Mode").map(String::as_str),
        Some("audit")
    );

    // Keys of two namespaces in one request, or without a namespace, are refused.
    let f = fail(
        iam.put_account_properties()
            .properties("RoleManager/Enabled", "false")
            .properties("Other/Setting", "x")
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidInput");
    let f = fail(
        iam.put_account_properties()
            .properties("NoNamespace", "x")
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidInput");
    let got = iam.get_account_properties().send().await.unwrap();
    assert_eq!(
        got.properties()
            .unwrap()
            .get("RoleManager/Enabled")
            .map(String::as_str),
        Some("true")
    );
}

#[tokio::test]
async fn outbound_identity_federation() {
    let server = Server::start();
    let iam = iam(&server);
    let f = fail(iam.get_outbound_web_identity_federation_info().send().await);
    assert_eq!(f.code, "FeatureDisabled");
    assert_eq!(f.status, 404);
    let f = fail(iam.disable_outbound_web_identity_federation().send().await);
    assert_eq!(f.code, "FeatureDisabled");

    let enabled = iam
        .enable_outbound_web_identity_federation()
        .send()
        .await
        .expect("EnableOutboundWebIdentityFederation");
    let issuer = enabled.issuer_identifier().unwrap().to_string();
    assert!(issuer.starts_with("https://"), "{issuer}");
    assert!(issuer.ends_with(".tokens.sts.global.api.aws"), "{issuer}");
    let f = fail(iam.enable_outbound_web_identity_federation().send().await);
    assert_eq!(f.code, "FeatureEnabled");
    assert_eq!(f.status, 409);

    let info = iam
        .get_outbound_web_identity_federation_info()
        .send()
        .await
        .unwrap();
    assert_eq!(info.issuer_identifier(), Some(issuer.as_str()));
    assert!(info.jwt_vending_enabled());

    iam.disable_outbound_web_identity_federation()
        .send()
        .await
        .expect("DisableOutboundWebIdentityFederation");
    assert_eq!(
        fail(iam.get_outbound_web_identity_federation_info().send().await).code,
        "FeatureDisabled"
    );
}
