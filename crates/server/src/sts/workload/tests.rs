//! The whole flow in process: IAM resources made through the IAM operations, a context
//! issued, redeemed by AssumeRole, and the role session's X509-SVID, JWT-SVID and the
//! provider's trust bundle checked against each other.

use super::csr::verify_signature;
use crate::app::App;
use crate::auth::session::SessionClaims;
use crate::call::Ctx;
use crate::caller::Caller;
use crate::config::Config;
use crate::error::Error;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use portcullis_policy::Principal;
use portcullis_store::Change;
use serde_json::{Value, json};
use std::sync::Arc;

const ACCOUNT: &str = "123456789012";
const NAMESPACE: &str = "aws:WorkloadAttestation/aws/eks/Namespace";
const SERVICE_ACCOUNT: &str = "aws:WorkloadAttestation/aws/eks/ServiceAccount";

async fn iam(app: &App, caller: &Caller, op: &str, input: Value) -> Result<Value, Error> {
    let ctx = crate::call::Ctx { app, caller };
    crate::iam::call(op, &ctx, &input)
        .await
        .expect("an IAM operation")
}

async fn sts(app: &App, caller: &Caller, op: &str, input: Value) -> Result<Value, Error> {
    let ctx = Ctx { app, caller };
    crate::sts::call(op, &ctx, &input)
        .await
        .expect("an STS operation")
}

fn code(e: Error) -> (String, String) {
    let a = e.into_aws();
    (a.code().to_string(), a.message().to_string())
}

/// A dev-mode app (the root may assume roles) with a SPIFFE provider whose X.509 signer is
/// signing, a template with an attestation policy for the root, and a role.
async fn setup() -> (App, Caller, String, String) {
    let (app, _) = App::open(Config::in_memory(true)).await.expect("an app");
    let root = Caller::test_root();
    let provider = iam(
        &app,
        &root,
        "CreateWorkloadIdentityProvider",
        json!({"ProviderName": "payments", "Scheme": "SPIFFE", "WorkloadIdentityDomain": "example.org"}),
    )
    .await
    .expect("CreateWorkloadIdentityProvider");
    let provider_arn = provider["Arn"].as_str().unwrap().to_string();
    iam(
        &app,
        &root,
        "CreateWorkloadIdentityProviderOutboundSigner",
        json!({
            "WorkloadIdentityProviderArn": provider_arn,
            "OutboundSigner": {"X509": {"CertificateAuthorityId": "ca-1", "AccountId": ACCOUNT}},
        }),
    )
    .await
    .expect("CreateWorkloadIdentityProviderOutboundSigner");
    // The signer waits an hour before it signs: move its start into the past.
    app.write(|e| {
        let mut p = e.workload_providers[&provider_arn].clone();
        p.x509_signers[0].start_signing_time -= 2 * 3600 * 1000;
        Ok((vec![Change::put(ACCOUNT, &p)], ()))
    })
    .await
    .unwrap();
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
            "Action": "sts:IssueWorkloadIdentityContext",
            "Condition": {"StringEquals": {NAMESPACE: "checkout"}},
        }],
    });
    let template = iam(
        &app,
        &root,
        "CreateWorkloadIdentityTemplate",
        json!({
            "Name": "pods",
            "WorkloadIdentityProviderArn": provider_arn,
            "PathPrefix": "k8s",
            "PathPattern": format!("{{{NAMESPACE}}}/{{{SERVICE_ACCOUNT}}}"),
            "AttestationPolicy": policy.to_string(),
        }),
    )
    .await
    .expect("CreateWorkloadIdentityTemplate");
    let template_arn = template["Arn"].as_str().unwrap().to_string();
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}],
    });
    iam(
        &app,
        &root,
        "CreateRole",
        json!({"RoleName": "workload", "AssumeRolePolicyDocument": trust.to_string()}),
    )
    .await
    .expect("CreateRole");
    (app, root, provider_arn, template_arn)
}

const DOC: &str = r#"{"eks/Namespace":"checkout","eks/ServiceAccount":"api"}"#;

fn role_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/workload")
}

/// The caller of a role session from its AssumeRole answer.
fn session_caller(app: &App, answer: &Value) -> (Caller, Arc<SessionClaims>) {
    let c = &answer["Credentials"];
    let key = c["AccessKeyId"].as_str().unwrap();
    let claims = app
        .open_session(key, c["SessionToken"].as_str().unwrap())
        .expect("the token opens");
    let caller = Caller {
        principal: Principal::parse(answer["AssumedRoleUser"]["Arn"].as_str().unwrap()).unwrap(),
        account: ACCOUNT.into(),
        user_id: None,
        user_name: None,
        access_key_id: Some(key.into()),
        session: Some(claims.clone()),
        source_ip: "127.0.0.1".into(),
        region: "us-east-1".into(),
    };
    (caller, claims)
}

fn pem_der(pem: &str) -> Vec<u8> {
    x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .expect("PEM")
        .1
        .contents
}

#[tokio::test]
async fn a_context_becomes_a_session_with_svids_the_bundle_verifies() {
    let (app, root, provider_arn, template_arn) = setup().await;
    // Without a role: the subject only.
    let bare = sts(
        &app,
        &root,
        "IssueWorkloadIdentityContext",
        json!({"WorkloadIdentityTemplateArn": template_arn, "AttestationDocument": DOC}),
    )
    .await
    .unwrap();
    assert_eq!(bare["Subject"], "spiffe://example.org/k8s/checkout/api");
    assert_eq!(
        bare["ProvidedContext"],
        json!({"ProviderArn": provider_arn})
    );
    assert!(bare.get("Expiration").is_none());

    let issued = sts(
        &app,
        &root,
        "IssueWorkloadIdentityContext",
        json!({
            "WorkloadIdentityTemplateArn": template_arn,
            "AttestationDocument": DOC,
            "TargetRoleArn": role_arn(),
            "DurationSeconds": 120,
            "SessionDurationSeconds": 1800,
        }),
    )
    .await
    .unwrap();
    assert_eq!(issued["Audience"], format!("arn:aws:iam::{ACCOUNT}:root"));
    assert!(issued["SessionExpiration"].is_string());
    let provided = issued["ProvidedContext"].clone();
    assert!(
        provided["ContextAssertion"]
            .as_str()
            .unwrap()
            .starts_with("PWIC1")
    );

    let assumed = sts(
        &app,
        &root,
        "AssumeRole",
        json!({
            "RoleArn": role_arn(),
            "RoleSessionName": "pod",
            "DurationSeconds": 3600,
            "ProvidedContexts": [provided],
        }),
    )
    .await
    .unwrap();
    let (session, claims) = session_caller(&app, &assumed);
    let identity = claims
        .workload_identity
        .clone()
        .expect("a workload identity");
    assert_eq!(identity.subject, "spiffe://example.org/k8s/checkout/api");
    assert_eq!(identity.provider_arn, provider_arn);
    assert_eq!(identity.template_arn, template_arn);
    // SessionDurationSeconds caps the hour asked for.
    assert!(claims.expires - claims.issued <= 1800, "{claims:?}");

    let cert = sts(
        &app,
        &session,
        "GetCertificate",
        json!({"CertificateSigningRequest": include_str!("testdata/p256.csr"), "MaxDurationSeconds": 3600}),
    )
    .await
    .unwrap();
    assert_eq!(cert["Subject"], identity.subject);
    let bundles = sts(
        &app,
        &root,
        "GetTrustBundles",
        json!({"ProviderArn": provider_arn}),
    )
    .await
    .unwrap();
    assert_eq!(bundles["TrustBundles"][0]["TrustDomain"], "example.org");
    let bundle: Value =
        serde_json::from_str(bundles["TrustBundles"][0]["Bundle"].as_str().unwrap()).unwrap();
    assert_eq!(bundle["spiffe_refresh_hint"], 300);
    let keys = bundle["keys"].as_array().unwrap();
    let x509: Vec<&Value> = keys.iter().filter(|k| k["use"] == "x509-svid").collect();
    let jwt: Vec<&Value> = keys.iter().filter(|k| k["use"] == "jwt-svid").collect();
    assert_eq!((x509.len(), jwt.len()), (1, 2));
    let anchor = STANDARD
        .decode(x509[0]["x5c"][0].as_str().unwrap())
        .unwrap();
    assert_eq!(anchor, pem_der(cert["CertificateChain"].as_str().unwrap()));
    let (_, anchor) = x509_parser::parse_x509_certificate(&anchor).unwrap();
    let leaf_der = pem_der(cert["Certificate"].as_str().unwrap());
    let (_, leaf) = x509_parser::parse_x509_certificate(&leaf_der).unwrap();
    verify_signature(
        anchor.public_key(),
        &leaf.signature_algorithm.algorithm.to_id_string(),
        &leaf.signature_value.data,
        leaf.tbs_certificate.as_ref(),
    )
    .expect("the leaf chains to the bundle's anchor");
    let life = leaf.validity().not_after.timestamp() - leaf.validity().not_before.timestamp();
    assert_eq!(life, 3600 + 300);

    // A JWT-SVID verifies with the bundle's key of its kid.
    let ctx = Ctx {
        app: &app,
        caller: &session,
    };
    let (token, expires) =
        super::jwt_svid(&ctx, &["https://relying.example"], 300, "ES384").unwrap();
    let header = jsonwebtoken::decode_header(&token).unwrap();
    let kid = header.kid.unwrap();
    let jwk = jwt
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("the key");
    let mut jwk = (*jwk).clone();
    jwk.as_object_mut().unwrap().remove("use");
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES384);
    validation.set_audience(&["https://relying.example"]);
    let data = jsonwebtoken::decode::<Value>(
        &token,
        &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
        &validation,
    )
    .unwrap();
    assert_eq!(data.claims["sub"], identity.subject);
    assert_eq!(data.claims["exp"].as_i64().unwrap() * 1000, expires);
    let mut names: Vec<&String> = data.claims.as_object().unwrap().keys().collect();
    names.sort();
    assert_eq!(names, ["aud", "exp", "iat", "iss", "jti", "sub"]);
    assert!(
        data.claims["iss"]
            .as_str()
            .unwrap()
            .contains("/workload-identity/")
    );
    let e = super::jwt_svid(&ctx, &["a", "b"], 300, "ES384").unwrap_err();
    assert_eq!(code(e).0, "ValidationError");

    // Without a workload identity: denied.
    let plain = sts(
        &app,
        &root,
        "AssumeRole",
        json!({"RoleArn": role_arn(), "RoleSessionName": "plain"}),
    )
    .await
    .unwrap();
    let (plain, claims) = session_caller(&app, &plain);
    assert!(claims.workload_identity.is_none());
    let (c, m) = code(
        sts(
            &app,
            &plain,
            "GetCertificate",
            json!({"CertificateSigningRequest": include_str!("testdata/p256.csr")}),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(c, "AccessDenied");
    assert!(
        m.ends_with("because the calling session has no workload identity"),
        "{m}"
    );
}

#[tokio::test]
async fn contexts_are_refused_as_documented() {
    let (app, root, provider_arn, template_arn) = setup().await;
    let issue = |doc: &str, role: Option<String>| {
        let mut input =
            json!({"WorkloadIdentityTemplateArn": template_arn, "AttestationDocument": doc});
        if let Some(r) = role {
            input["TargetRoleArn"] = json!(r);
        }
        input
    };
    // The attestation policy allows only the checkout namespace.
    let (c, _) = code(
        sts(
            &app,
            &root,
            "IssueWorkloadIdentityContext",
            issue(
                r#"{"eks/Namespace":"other","eks/ServiceAccount":"api"}"#,
                None,
            ),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(c, "AccessDenied");
    // An attested value the template needs is missing.
    let (c, m) = code(
        sts(
            &app,
            &root,
            "IssueWorkloadIdentityContext",
            issue(r#"{"eks/Namespace":"checkout"}"#, None),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(c, "InvalidAttestationDocument");
    assert!(m.ends_with("(reason: unresolvedTemplateVariable)"), "{m}");
    let (c, m) = code(
        sts(
            &app,
            &root,
            "IssueWorkloadIdentityContext",
            issue("[1]", None),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(
        (c.as_str(), m.ends_with("(reason: cannotParse)")),
        ("InvalidAttestationDocument", true)
    );
    // An unknown template, or an unknown role: AccessDenied.
    let mut unknown = issue(DOC, None);
    unknown["WorkloadIdentityTemplateArn"] = json!(format!(
        "arn:aws:iam::{ACCOUNT}:workload-identity-template/nope"
    ));
    assert_eq!(
        code(
            sts(&app, &root, "IssueWorkloadIdentityContext", unknown)
                .await
                .unwrap_err()
        )
        .0,
        "AccessDenied"
    );
    let no_role = issue(DOC, Some(format!("arn:aws:iam::{ACCOUNT}:role/nope")));
    assert_eq!(
        code(
            sts(&app, &root, "IssueWorkloadIdentityContext", no_role)
                .await
                .unwrap_err()
        )
        .0,
        "AccessDenied"
    );
    let mut missing = issue(DOC, None);
    missing
        .as_object_mut()
        .unwrap()
        .remove("WorkloadIdentityTemplateArn");
    assert_eq!(
        code(
            sts(&app, &root, "IssueWorkloadIdentityContext", missing)
                .await
                .unwrap_err()
        )
        .0,
        "ValidationError"
    );

    // A context redeemed for another role, altered, or passed with another provider.
    iam(
        &app,
        &root,
        "CreateRole",
        json!({"RoleName": "other", "AssumeRolePolicyDocument": json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}],
        }).to_string()}),
    )
    .await
    .unwrap();
    let issued = sts(
        &app,
        &root,
        "IssueWorkloadIdentityContext",
        issue(DOC, Some(role_arn())),
    )
    .await
    .unwrap();
    let provided = issued["ProvidedContext"].clone();
    let assume = |role: String, contexts: Value| json!({"RoleArn": role, "RoleSessionName": "s", "ProvidedContexts": contexts});
    let other_role = format!("arn:aws:iam::{ACCOUNT}:role/other");
    let (c, _) = code(
        sts(
            &app,
            &root,
            "AssumeRole",
            assume(other_role, json!([provided])),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(c, "AccessDenied");
    let mut altered = provided.clone();
    let text = altered["ContextAssertion"].as_str().unwrap().to_string();
    altered["ContextAssertion"] =
        json!(format!("{}A", &text[..text.len() - 1]).replace("PWIC1", "PWIC1B"));
    let (c, _) = code(
        sts(
            &app,
            &root,
            "AssumeRole",
            assume(role_arn(), json!([altered])),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(c, "InvalidContextAssertion");
    let mut elsewhere = provided.clone();
    elsewhere["ProviderArn"] = json!(format!(
        "arn:aws:iam::{ACCOUNT}:workload-identity-provider/other"
    ));
    let (c, _) = code(
        sts(
            &app,
            &root,
            "AssumeRole",
            assume(role_arn(), json!([elsewhere])),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(c, "InvalidContextAssertion");
    let two = json!([provided, {"ProviderArn": "arn:aws:iam::aws:contextProvider/IdentityCenter", "ContextAssertion": "abcd"}]);
    let (c, _) = code(
        sts(&app, &root, "AssumeRole", assume(role_arn(), two))
            .await
            .unwrap_err(),
    );
    assert_eq!(c, "InvalidParameterValue");
    // The right role still works, and another provider's context is left alone.
    sts(
        &app,
        &root,
        "AssumeRole",
        assume(role_arn(), json!([provided])),
    )
    .await
    .unwrap();
    let foreign = json!([{"ProviderArn": "arn:aws:iam::aws:contextProvider/IdentityCenter", "ContextAssertion": "abcd"}]);
    let plain = sts(&app, &root, "AssumeRole", assume(role_arn(), foreign))
        .await
        .unwrap();
    assert!(session_caller(&app, &plain).1.workload_identity.is_none());

    // Unknown providers have no trust bundle.
    let (c, _) = code(
        sts(
            &app,
            &root,
            "GetTrustBundles",
            json!({"ProviderArn": format!("{provider_arn}x")}),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(c, "ResourceNotFoundException");
}
