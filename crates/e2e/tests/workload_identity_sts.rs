//! STS workload identity against a real server: a SPIFFE provider with an X.509 signer, a
//! template with an attestation policy, and a role; IssueWorkloadIdentityContext by an
//! attesting user, AssumeRole with the context, GetCallerIdentity and GetCertificate with
//! the role session (a real PKCS #10 request made here), and the certificate checked
//! against the trust bundle of GetTrustBundles: it chains to the bundle's CA and carries
//! the SPIFFE ID as its URI SAN.

#[macro_use]
mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::pkcs8::LineEnding;
use serde_json::Value;
use std::str::FromStr;
use x509_cert::builder::{Builder, RequestBuilder};
use x509_cert::der::EncodePem;
use x509_cert::name::Name;
use x509_parser::extensions::{GeneralName, ParsedExtension};

const NAMESPACE: &str = "aws:WorkloadAttestation/aws/eks/Namespace";
const SERVICE_ACCOUNT: &str = "aws:WorkloadAttestation/aws/eks/ServiceAccount";
const DOCUMENT: &str = r#"{"eks/Namespace":"checkout","eks/ServiceAccount":"api"}"#;
const SPIFFE_ID: &str = "spiffe://example.org/k8s/checkout/api";

/// The value of `tag` in a successful answer (panics with the answer otherwise).
#[track_caller]
fn field(r: &HttpResponse, tag: &str) -> String {
    assert_eq!(r.status, 200, "{}", r.text());
    r.xml(tag)
        .unwrap_or_else(|| panic!("no <{tag}> in {}", r.text()))
}

/// The error code and message of a failed answer.
#[track_caller]
fn error(r: &HttpResponse) -> (u16, String, String) {
    (
        r.status,
        r.xml("Code").unwrap_or_default(),
        r.xml("Message").unwrap_or_default(),
    )
}

fn root_keys(server: &Server) -> Keys {
    Keys {
        id: server.root().access_key_id.clone(),
        secret: server.root().secret_access_key.clone(),
        token: None,
    }
}

/// Moves the start of every X.509 signer of every provider two hours into the past, with
/// the server stopped: a new signer waits at least an hour before it signs.
async fn backdate_signers(dir: &std::path::Path) {
    use sqlx::Connection;
    let mut db = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}",
        dir.join("portcullis.db").display()
    ))
    .await
    .expect("opening the database");
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT key, body FROM entities WHERE kind = 'workload_identity_provider'")
            .fetch_all(&mut db)
            .await
            .expect("reading the providers");
    assert_eq!(rows.len(), 1);
    for (key, body) in rows {
        let mut provider: Value = serde_json::from_str(&body).expect("JSON");
        for signer in provider["x509_signers"].as_array_mut().expect("signers") {
            let start = signer["start_signing_time"].as_i64().expect("a start");
            signer["start_signing_time"] = (start - 2 * 3600 * 1000).into();
        }
        sqlx::query(
            "UPDATE entities SET body = ? WHERE kind = 'workload_identity_provider' AND key = ?",
        )
        .bind(provider.to_string())
        .bind(key)
        .execute(&mut db)
        .await
        .expect("updating the provider");
    }
}

/// A PEM PKCS #10 request for a new P-256 key, with a subject STS ignores.
fn certificate_request() -> (String, VerifyingKey) {
    let key = loop {
        let mut seed = [0u8; 32];
        seed.copy_from_slice(random_string(b"0123456789abcdef", 32).as_bytes());
        if let Ok(k) = SigningKey::from_slice(&seed) {
            break k;
        }
    };
    let subject = Name::from_str("CN=ignored-by-sts").expect("a name");
    let builder = RequestBuilder::new(subject, &key).expect("a request builder");
    let request = builder.build::<DerSignature>().expect("a signed request");
    (
        request.to_pem(LineEnding::LF).expect("PEM"),
        *key.verifying_key(),
    )
}

fn pem_der(pem: &str) -> Vec<u8> {
    x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .expect("PEM")
        .1
        .contents
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workload_context_to_role_session_to_x509_svid() {
    let dir = TempDir::new("workload-sts");
    let root_credentials = Credentials::generate();
    let server = Server::start_on(dir.path(), &root_credentials);
    let root = root_keys(&server);
    let iam_root = iam(&server);

    // The attesting user may issue contexts and assume roles.
    let (attester_id, attester_secret) = user_with_key(&iam_root, "attester").await;
    iam_root
        .put_user_policy()
        .user_name("attester")
        .policy_name("attest")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:IssueWorkloadIdentityContext","sts:AssumeRole"],"Resource":"*"}]}"#)
        .send()
        .await
        .expect("PutUserPolicy");
    let attester_arn = format!("arn:aws:iam::{ACCOUNT_ID}:user/attester");
    // The role trusts the account: any user its policies allow may assume it.
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{ACCOUNT_ID}"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let (other_id, other_secret) = user_with_key(&iam_root, "other").await;
    iam_root
        .put_user_policy()
        .user_name("other")
        .policy_name("assume")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#)
        .send()
        .await
        .expect("PutUserPolicy");
    let other = Keys {
        id: other_id,
        secret: other_secret,
        token: None,
    };
    let role_arn = role_with_policy(
        &iam_root,
        "checkout-api",
        &trust,
        Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetCertificate","acm-pca:IssueCertificate","acm-pca:GetCertificate"],"Resource":"*"}]}"#),
    )
    .await;

    let r = signed_query(
        &server,
        &root,
        "iam",
        &[
            ("Action", "CreateWorkloadIdentityProvider"),
            ("ProviderName", "payments"),
            ("Scheme", "SPIFFE"),
            ("WorkloadIdentityDomain", "example.org"),
        ],
    );
    let provider_arn = field(&r, "Arn");
    let r = signed_query(
        &server,
        &root,
        "iam",
        &[
            ("Action", "CreateWorkloadIdentityProviderOutboundSigner"),
            ("WorkloadIdentityProviderArn", &provider_arn),
            ("OutboundSigner.X509.CertificateAuthorityId", "a1b2c3d4-ca"),
            ("OutboundSigner.X509.AccountId", ACCOUNT_ID),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{attester_arn}"}},"Action":"sts:IssueWorkloadIdentityContext","Condition":{{"StringEquals":{{"{NAMESPACE}":"checkout"}}}}}}]}}"#
    );
    let pattern = format!("{{{NAMESPACE}}}/{{{SERVICE_ACCOUNT}}}");
    let r = signed_query(
        &server,
        &root,
        "iam",
        &[
            ("Action", "CreateWorkloadIdentityTemplate"),
            ("Name", "pods"),
            ("WorkloadIdentityProviderArn", &provider_arn),
            ("PathPrefix", "k8s"),
            ("PathPattern", &pattern),
            ("AttestationPolicy", &policy),
        ],
    );
    let template_arn = field(&r, "Arn");

    // The new signer is IN_TRANSITION for its signing delay: no certificate yet.
    let attester = Keys {
        id: attester_id,
        secret: attester_secret,
        token: None,
    };
    let issue = |keys: &Keys, document: &str| {
        signed_query(
            &server,
            keys,
            "sts",
            &[
                ("Action", "IssueWorkloadIdentityContext"),
                ("WorkloadIdentityTemplateArn", &template_arn),
                ("AttestationDocument", document),
                ("TargetRoleArn", &role_arn),
                ("DurationSeconds", "120"),
            ],
        )
    };
    let assume = |keys: &Keys, provider: &str, assertion: &str| {
        signed_query(
            &server,
            keys,
            "sts",
            &[
                ("Action", "AssumeRole"),
                ("RoleArn", &role_arn),
                ("RoleSessionName", "pod-1"),
                ("ProvidedContexts.member.1.ProviderArn", provider),
                ("ProvidedContexts.member.1.ContextAssertion", assertion),
            ],
        )
    };
    let session_keys = |r: &HttpResponse| Keys {
        id: field(r, "AccessKeyId"),
        secret: field(r, "SecretAccessKey"),
        token: Some(field(r, "SessionToken")),
    };
    let (csr, _) = certificate_request();
    let early = issue(&attester, DOCUMENT);
    let early_session = session_keys(&assume(
        &attester,
        &provider_arn,
        &field(&early, "ContextAssertion"),
    ));
    let r = signed_query(
        &server,
        &early_session,
        "sts",
        &[
            ("Action", "GetCertificate"),
            ("CertificateSigningRequest", &csr),
        ],
    );
    assert_eq!(error(&r).0, 404, "{}", r.text());
    assert_eq!(error(&r).1, "RegionalSignerUnavailableException");

    // An hour later (moved back with the server stopped), the signer signs.
    drop(server);
    backdate_signers(dir.path()).await;
    let server = Server::start_on(dir.path(), &root_credentials);
    let post = |keys: &Keys, service: &str, params: &[(&str, &str)]| {
        signed_query(&server, keys, service, params)
    };

    // The attestation policy admits only the checkout namespace.
    let refused = post(
        &attester,
        "sts",
        &[
            ("Action", "IssueWorkloadIdentityContext"),
            ("WorkloadIdentityTemplateArn", &template_arn),
            (
                "AttestationDocument",
                r#"{"eks/Namespace":"billing","eks/ServiceAccount":"api"}"#,
            ),
            ("TargetRoleArn", &role_arn),
        ],
    );
    assert_eq!(error(&refused).0, 403);
    assert_eq!(error(&refused).1, "AccessDenied");
    let bad = post(
        &attester,
        "sts",
        &[
            ("Action", "IssueWorkloadIdentityContext"),
            ("WorkloadIdentityTemplateArn", &template_arn),
            ("AttestationDocument", "not json"),
        ],
    );
    let (status, code, message) = error(&bad);
    assert_eq!((status, code.as_str()), (400, "InvalidAttestationDocument"));
    assert!(message.ends_with("(reason: cannotParse)"), "{message}");

    let issued = post(
        &attester,
        "sts",
        &[
            ("Action", "IssueWorkloadIdentityContext"),
            ("WorkloadIdentityTemplateArn", &template_arn),
            ("AttestationDocument", DOCUMENT),
            ("TargetRoleArn", &role_arn),
            ("DurationSeconds", "120"),
            ("SessionDurationSeconds", "900"),
        ],
    );
    assert_eq!(field(&issued, "Subject"), SPIFFE_ID);
    assert_eq!(field(&issued, "ProviderArn"), provider_arn);
    assert_eq!(field(&issued, "Audience"), attester_arn);
    assert!(issued.xml("Expiration").is_some() && issued.xml("SessionExpiration").is_some());
    let assertion = field(&issued, "ContextAssertion");

    // Only the caller it was issued to may redeem it; an altered one is invalid.
    let r = post(
        &other,
        "sts",
        &[
            ("Action", "AssumeRole"),
            ("RoleArn", &role_arn),
            ("RoleSessionName", "thief"),
            ("ProvidedContexts.member.1.ProviderArn", &provider_arn),
            ("ProvidedContexts.member.1.ContextAssertion", &assertion),
        ],
    );
    assert_eq!(error(&r).1, "AccessDenied", "{}", r.text());
    let altered = format!("{}AAAA", &assertion[..assertion.len() - 4]);
    let r = post(
        &attester,
        "sts",
        &[
            ("Action", "AssumeRole"),
            ("RoleArn", &role_arn),
            ("RoleSessionName", "pod-1"),
            ("ProvidedContexts.member.1.ProviderArn", &provider_arn),
            ("ProvidedContexts.member.1.ContextAssertion", &altered),
        ],
    );
    assert_eq!(error(&r).1, "InvalidContextAssertion", "{}", r.text());

    let assumed = post(
        &attester,
        "sts",
        &[
            ("Action", "AssumeRole"),
            ("RoleArn", &role_arn),
            ("RoleSessionName", "pod-1"),
            ("ProvidedContexts.member.1.ProviderArn", &provider_arn),
            ("ProvidedContexts.member.1.ContextAssertion", &assertion),
        ],
    );
    let session = session_keys(&assumed);

    let who = post(&session, "sts", &[("Action", "GetCallerIdentity")]);
    assert_eq!(
        field(&who, "Arn"),
        format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/checkout-api/pod-1")
    );

    // A certificate for a key made here.
    let (csr, workload_key) = certificate_request();
    let r = post(
        &session,
        "sts",
        &[
            ("Action", "GetCertificate"),
            ("CertificateSigningRequest", &csr),
            ("MaxDurationSeconds", "3600"),
        ],
    );
    assert_eq!(field(&r, "Subject"), SPIFFE_ID);
    let certificate = field(&r, "Certificate");
    let chain = field(&r, "CertificateChain");
    assert!(r.xml("NotBefore").is_some() && r.xml("NotAfter").is_some());

    let garbage = post(
        &session,
        "sts",
        &[
            ("Action", "GetCertificate"),
            (
                "CertificateSigningRequest",
                "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
            ),
        ],
    );
    assert_eq!(
        error(&garbage).1,
        "MalformedCertificateSigningRequestException"
    );
    // A session without a workload identity is denied.
    let plain = session_keys(&post(
        &attester,
        "sts",
        &[
            ("Action", "AssumeRole"),
            ("RoleArn", &role_arn),
            ("RoleSessionName", "plain"),
        ],
    ));
    let r = post(
        &plain,
        "sts",
        &[
            ("Action", "GetCertificate"),
            ("CertificateSigningRequest", &csr),
        ],
    );
    assert_eq!(error(&r).1, "AccessDenied", "{}", r.text());

    // The trust bundle's X.509 anchor verifies the certificate.
    let r = post(
        &root,
        "sts",
        &[
            ("Action", "GetTrustBundles"),
            ("ProviderArn", &provider_arn),
        ],
    );
    assert_eq!(field(&r, "TrustDomain"), "example.org");
    let bundle: Value = serde_json::from_str(&field(&r, "Bundle")).expect("a JSON bundle");
    assert!(bundle["spiffe_refresh_hint"].as_i64().unwrap() > 0);
    let keys = bundle["keys"].as_array().expect("keys");
    assert_eq!(keys.iter().filter(|k| k["use"] == "jwt-svid").count(), 2);
    let anchors: Vec<&Value> = keys.iter().filter(|k| k["use"] == "x509-svid").collect();
    assert_eq!(anchors.len(), 1);
    let anchor_der = STANDARD
        .decode(anchors[0]["x5c"][0].as_str().expect("x5c"))
        .expect("base64");
    assert_eq!(anchor_der, pem_der(&chain));
    let (_, anchor) = x509_parser::parse_x509_certificate(&anchor_der).expect("the anchor");
    let leaf_der = pem_der(&certificate);
    let (_, leaf) = x509_parser::parse_x509_certificate(&leaf_der).expect("the leaf");
    assert_eq!(leaf.issuer(), anchor.subject());
    let ca_key = VerifyingKey::from_sec1_bytes(&anchor.public_key().subject_public_key.data)
        .expect("a P-256 CA key");
    let signature = DerSignature::from_bytes(&leaf.signature_value.data).expect("a signature");
    ca_key
        .verify(leaf.tbs_certificate.as_ref(), &signature)
        .expect("the certificate chains to the bundle's CA");
    // It certifies the key of the request, for the SPIFFE ID alone.
    assert_eq!(
        leaf.public_key().subject_public_key.data.as_ref(),
        workload_key.to_encoded_point(false).as_bytes()
    );
    assert_eq!(leaf.subject().iter().count(), 0);
    let uris: Vec<String> = leaf
        .extensions()
        .iter()
        .filter_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => Some(
                san.general_names
                    .iter()
                    .map(|n| match n {
                        GeneralName::URI(u) => u.to_string(),
                        other => format!("{other:?}"),
                    })
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(uris, [SPIFFE_ID]);
    let eku = leaf.extended_key_usage().expect("parses").expect("present");
    assert!(eku.value.client_auth && eku.value.server_auth);
    let lifetime = leaf.validity().not_after.timestamp() - leaf.validity().not_before.timestamp();
    assert_eq!(lifetime, 3600 + 300);

    // An unknown provider has no bundle.
    let r = post(
        &root,
        "sts",
        &[
            ("Action", "GetTrustBundles"),
            ("ProviderArn", &format!("{provider_arn}-gone")),
        ],
    );
    assert_eq!(error(&r).1, "ResourceNotFoundException", "{}", r.text());
}
