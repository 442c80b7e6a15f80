//! AssumeRoleWithSAML through the AWS SDK for Rust, against the real binary.
//!
//! The tests play the identity provider: they write a SAML 2.0 response whose assertion is
//! already in its exclusive canonical form (namespaces declared where used, attributes in
//! order, no empty-element tags), so that its digest and the signature of its `SignedInfo`
//! are computed here with SHA-256 and RSA alone, without the server's canonicalization.
//! The key is the test key of `iam/testdata` (`server.key`), whose certificate
//! (`server.crt`) is in the provider's metadata; `other.key` plays a key the metadata does
//! not list. They check AWS's answers (IAM User Guide, "Troubleshoot SAML federation with
//! IAM"; STS API reference, AssumeRoleWithSAML): the credentials and the assumed-role
//! identity, the `Subject`, `SubjectType`, `Issuer`, `Audience` and `NameQualifier`, the
//! `saml:` keys in the trust policy and in the session's permission policies, and the
//! errors for a tampered response, a foreign key, a late or expired response, a malformed
//! session policy, a role the response does not name, an unknown provider; `--dev` skips the
//! trust policy but not the checks; the audit trail records a `SAMLUser`.

#[macro_use]
mod common;

use aws_sdk_sts::primitives::{DateTime, DateTimeFormat};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use serde_json::Value;
use sha2::{Digest, Sha256};

const CERT: &str = include_str!("../../server/src/iam/testdata/server.crt");
const KEY: &str = include_str!("../../server/src/iam/testdata/server.key");
const OTHER_KEY: &str = include_str!("../../server/src/iam/testdata/other.key");

const ISSUER: &str = "https://idp.example.com/saml";
const SIGN_IN: &str = "https://signin.aws.amazon.com/saml";
/// BASE64(SHA1(ISSUER + "123456789012" + "/ExampleIdP")), computed with Python's hashlib.
const NAME_QUALIFIER: &str = "gVMfPykcwyJvL8k2pmXetypU/dY=";
const SIGNATURE_INVALID: &str = "Response signature invalid";
const NOT_AUTHORIZED: &str = "Not authorized to perform sts:AssumeRoleWithSAML";
/// The DER `DigestInfo` header of a SHA-256 hash (RFC 8017, section 9.2).
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

fn provider_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:saml-provider/{name}")
}

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}")
}

/// IdP metadata naming `ISSUER` with the test certificate as its signing key.
fn metadata() -> String {
    let b64: String = CERT.lines().filter(|l| !l.starts_with("-----")).collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{ISSUER}">
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

fn time(seconds: i64) -> String {
    DateTime::from_secs(seconds)
        .fmt(DateTimeFormat::DateTime)
        .expect("a time")
}

/// What a response says; `Assertion::new` makes a good one for a role, issued now.
struct Assertion {
    issued: i64,
    not_on_or_after: i64,
    recipient: String,
    subject: String,
    attributes: Vec<(String, Vec<String>)>,
}

impl Assertion {
    fn new(role: &str, session_name: &str) -> Assertion {
        let now = now_epoch();
        Assertion {
            issued: now,
            not_on_or_after: now + 300,
            recipient: SIGN_IN.to_string(),
            subject: "alice@example.com".to_string(),
            attributes: vec![
                (
                    "https://aws.amazon.com/SAML/Attributes/Role".to_string(),
                    vec![format!("{},{}", role_arn(role), provider_arn("ExampleIdP"))],
                ),
                (
                    "https://aws.amazon.com/SAML/Attributes/RoleSessionName".to_string(),
                    vec![session_name.to_string()],
                ),
            ],
        }
    }

    fn attribute(mut self, name: &str, values: &[&str]) -> Assertion {
        self.attributes.push((
            format!("https://aws.amazon.com/SAML/Attributes/{name}"),
            values.iter().map(|v| v.to_string()).collect(),
        ));
        self
    }

    /// The response as XML, its assertion signed with `key_pem`.
    fn xml(&self, key_pem: &str) -> String {
        let issued = time(self.issued);
        let end = time(self.not_on_or_after);
        // Written in canonical form: what is digested is exactly this text.
        let head = format!(
            r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_assertion-1" IssueInstant="{issued}" Version="2.0"><saml:Issuer>{ISSUER}</saml:Issuer>"#
        );
        let attributes: String = self
            .attributes
            .iter()
            .map(|(name, values)| {
                let values: String = values
                    .iter()
                    .map(|v| format!("<saml:AttributeValue>{v}</saml:AttributeValue>"))
                    .collect();
                format!(r#"<saml:Attribute Name="{name}">{values}</saml:Attribute>"#)
            })
            .collect();
        let tail = format!(
            r#"<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{subject}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{end}" Recipient="{recipient}"></saml:SubjectConfirmationData></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{issued}" NotOnOrAfter="{end}"><saml:AudienceRestriction><saml:Audience>urn:amazon:webservices</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{issued}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{attributes}</saml:AttributeStatement></saml:Assertion>"#,
            subject = self.subject,
            recipient = self.recipient,
        );
        let digest = STANDARD.encode(Sha256::digest(format!("{head}{tail}").as_bytes()));
        let signed_info = format!(
            r##"<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"></ds:SignatureMethod><ds:Reference URI="#_assertion-1"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"></ds:Transform><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"></ds:DigestMethod><ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>"##
        );
        let key = if key_pem.contains("BEGIN RSA PRIVATE KEY") {
            RsaPrivateKey::from_pkcs1_pem(key_pem).expect("a PKCS #1 key")
        } else {
            RsaPrivateKey::from_pkcs8_pem(key_pem).expect("a PKCS #8 key")
        };
        let hashed = Sha256::digest(signed_info.as_bytes());
        let padding = Pkcs1v15Sign {
            hash_len: Some(32),
            prefix: SHA256_DIGEST_INFO.into(),
        };
        let value = STANDARD.encode(key.sign(padding, &hashed).expect("signing"));
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Destination="{SIGN_IN}" ID="_response-1" IssueInstant="{issued}" Version="2.0">
  <saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">{ISSUER}</saml:Issuer>
  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
  {head}<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">{signed_info}<ds:SignatureValue>{value}</ds:SignatureValue></ds:Signature>{tail}
</samlp:Response>"#
        )
    }

    /// The base64 response, signed with the key of the metadata.
    fn encoded(&self) -> String {
        STANDARD.encode(self.xml(KEY))
    }
}

/// A client that sends the call unsigned, as the SDK does for AssumeRoleWithSAML.
fn anonymous_sts(server: &Server) -> aws_sdk_sts::Client {
    sts_with(server, "AKIAEXAMPLENOTVALID0", "not-a-secret")
}

/// AssumeRoleWithSAML of `role` with the provider `ExampleIdP`.
async fn assume(
    sts: &aws_sdk_sts::Client,
    role: &str,
    assertion: &str,
) -> Result<
    aws_sdk_sts::operation::assume_role_with_saml::AssumeRoleWithSamlOutput,
    aws_sdk_sts::error::SdkError<
        aws_sdk_sts::operation::assume_role_with_saml::AssumeRoleWithSAMLError,
        aws_sdk_sts::config::http::HttpResponse,
    >,
> {
    sts.assume_role_with_saml()
        .role_arn(role_arn(role))
        .principal_arn(provider_arn("ExampleIdP"))
        .saml_assertion(assertion)
        .send()
        .await
}

/// Asserts that a call failed with `code`, `status` and `message`.
#[track_caller]
fn assert_failure<T: std::fmt::Debug, E>(
    result: Result<T, aws_sdk_sts::error::SdkError<E, aws_sdk_sts::config::http::HttpResponse>>,
    code: &str,
    status: u16,
    message: &str,
) where
    E: aws_sdk_sts::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let f = fail(result);
    assert_eq!(
        (f.code.as_str(), f.status, f.message.as_str()),
        (code, status, message),
        "{f:?}"
    );
}

/// A trust policy for the provider, with `condition` (a JSON object) when given.
fn trust(actions: &[&str], condition: Option<&str>) -> String {
    let actions: Vec<String> = actions.iter().map(|a| format!("\"{a}\"")).collect();
    let condition = condition
        .map(|c| format!(r#","Condition":{c}"#))
        .unwrap_or_default();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{}"}},"Action":[{}]{condition}}}]}}"#,
        provider_arn("ExampleIdP"),
        actions.join(",")
    )
}

async fn create_provider(iam: &aws_sdk_iam::Client) {
    let arn = iam
        .create_saml_provider()
        .name("ExampleIdP")
        .saml_metadata_document(metadata())
        .send()
        .await
        .expect("CreateSAMLProvider")
        .saml_provider_arn
        .expect("an ARN");
    assert_eq!(arn, provider_arn("ExampleIdP"));
}

#[tokio::test]
async fn signed_responses_assume_roles_their_trust_policy_allows() {
    let dir = TempDir::new("saml");
    let log = dir.path().join("audit.jsonl");
    let server = Server::start_with(Options {
        env: vec![(
            "PORTCULLIS_AUDIT_LOG".to_string(),
            log.to_str().expect("a UTF-8 path").to_string(),
        )],
        ..Options::default()
    });
    let iam = iam(&server);
    let sts = anonymous_sts(&server);
    create_provider(&iam).await;
    // The trust policy conditions on the recipient (saml:aud) and the issuer; the role's
    // permissions on the session's saml:sub.
    let condition = format!(
        r#"{{"StringEquals":{{"saml:aud":"{SIGN_IN}","saml:iss":"{ISSUER}","saml:doc":"{ACCOUNT_ID}/ExampleIdP","saml:sub_type":"persistent"}}}}"#
    );
    role_with_policy(
        &iam,
        "SamlRole",
        &trust(&["sts:AssumeRoleWithSAML", "sts:TagSession"], Some(&condition)),
        Some(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"saml:sub":"alice@example.com","saml:namequalifier":"gVMfPykcwyJvL8k2pmXetypU/dY="}}},
                {"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"StringEquals":{"saml:sub":"bob@example.com"}}},
                {"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/Project":"Marketing"}}}]}"#,
        ),
    )
    .await;

    // A good response: credentials for the role session it names.
    let out = assume(
        &sts,
        "SamlRole",
        &Assertion::new("SamlRole", "alice").encoded(),
    )
    .await
    .expect("AssumeRoleWithSAML");
    assert_eq!(out.subject(), Some("alice@example.com"));
    assert_eq!(out.subject_type(), Some("persistent"));
    assert_eq!(out.issuer(), Some(ISSUER));
    assert_eq!(out.audience(), Some(SIGN_IN));
    assert_eq!(out.name_qualifier(), Some(NAME_QUALIFIER));
    assert_eq!(out.source_identity(), None);
    let user = out.assumed_role_user().expect("an assumed-role user");
    let session_arn = format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/SamlRole/alice");
    assert_eq!(user.arn(), session_arn);
    assert!(user.assumed_role_id().starts_with("AROA"));
    assert!(user.assumed_role_id().ends_with(":alice"));
    let creds = out.credentials().expect("credentials");
    assert!(creds.access_key_id().starts_with("ASIA"));
    assert!((creds.expiration().secs() - now_epoch() - 3600).abs() < 60);
    let me = sts_session(&server, creds)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity with the session");
    assert_eq!(me.arn(), Some(session_arn.as_str()));
    assert_eq!(me.user_id(), Some(user.assumed_role_id()));

    // The session's requests carry saml:sub and saml:namequalifier.
    let session_iam = iam_session(&server, creds);
    session_iam
        .get_role()
        .role_name("SamlRole")
        .send()
        .await
        .expect("GetRole, allowed for this saml:sub");
    assert_eq!(
        fail(session_iam.list_roles().send().await).code,
        "AccessDenied"
    );

    // DurationSeconds; SessionDuration and SessionNotOnOrAfter only shorten.
    let out = sts
        .assume_role_with_saml()
        .role_arn(role_arn("SamlRole"))
        .principal_arn(provider_arn("ExampleIdP"))
        .saml_assertion(Assertion::new("SamlRole", "alice").encoded())
        .duration_seconds(900)
        .send()
        .await
        .expect("a 15-minute session");
    let expires = out.credentials().expect("credentials").expiration().secs();
    assert!((expires - now_epoch() - 900).abs() < 60);
    let shortened = Assertion::new("SamlRole", "alice").attribute("SessionDuration", &["1800"]);
    let out = assume(&sts, "SamlRole", &shortened.encoded())
        .await
        .expect("a 30-minute session");
    let expires = out.credentials().expect("credentials").expiration().secs();
    assert!((expires - now_epoch() - 1800).abs() < 60);
    assert_failure(
        sts.assume_role_with_saml()
            .role_arn(role_arn("SamlRole"))
            .principal_arn(provider_arn("ExampleIdP"))
            .saml_assertion(Assertion::new("SamlRole", "alice").encoded())
            .duration_seconds(7200)
            .send()
            .await,
        "ValidationError",
        400,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );

    // Session policies, checked as for AssumeRole.
    assert_eq!(
        fail(
            sts.assume_role_with_saml()
                .role_arn(role_arn("SamlRole"))
                .principal_arn(provider_arn("ExampleIdP"))
                .saml_assertion(Assertion::new("SamlRole", "alice").encoded())
                .policy(NOT_JSON)
                .send()
                .await
        )
        .code,
        "MalformedPolicyDocument"
    );
    let out = sts
        .assume_role_with_saml()
        .role_arn(role_arn("SamlRole"))
        .principal_arn(provider_arn("ExampleIdP"))
        .saml_assertion(Assertion::new("SamlRole", "alice").encoded())
        .policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}"#)
        .send()
        .await
        .expect("with a session policy");
    #[allow(deprecated)] // replaced by SessionTokenUtilization in the SDK; STS still answers it
    let packed = out.packed_policy_size();
    assert!(packed.is_some_and(|p| p > 0));
    assert_eq!(
        fail(
            iam_session(&server, out.credentials().expect("credentials"))
                .get_role()
                .role_name("SamlRole")
                .send()
                .await
        )
        .code,
        "AccessDenied",
        "the session policy allows only ListRoles"
    );

    // Session tags from PrincipalTag attributes (the trust policy allows sts:TagSession).
    let tagged = Assertion::new("SamlRole", "tagged")
        .attribute("PrincipalTag:Project", &["Marketing"])
        .attribute("TransitiveTagKeys", &["Project"]);
    let out = assume(&sts, "SamlRole", &tagged.encoded())
        .await
        .expect("with session tags");
    #[allow(deprecated)] // replaced by SessionTokenUtilization in the SDK; STS still answers it
    let packed = out.packed_policy_size();
    assert!(packed.is_some_and(|p| p > 0));
    iam_session(&server, out.credentials().expect("credentials"))
        .list_users()
        .send()
        .await
        .expect("ListUsers, allowed for the Project tag");
    // Without sts:SetSourceIdentity in the trust policy, a source identity is refused.
    let with_source = Assertion::new("SamlRole", "alice").attribute("SourceIdentity", &["alice"]);
    assert_failure(
        assume(&sts, "SamlRole", &with_source.encoded()).await,
        "AccessDenied",
        403,
        "Not authorized to perform sts:SetSourceIdentity",
    );

    // A trust policy for another recipient (saml:aud) refuses this response.
    role_with_policy(
        &iam,
        "RegionalRole",
        &trust(
            &["sts:AssumeRoleWithSAML"],
            Some(r#"{"StringEquals":{"saml:aud":"https://eu-west-1.signin.aws.amazon.com/saml"}}"#),
        ),
        None,
    )
    .await;
    assert_failure(
        assume(
            &sts,
            "RegionalRole",
            &Assertion::new("RegionalRole", "alice").encoded(),
        )
        .await,
        "AccessDenied",
        403,
        NOT_AUTHORIZED,
    );
    let mut regional = Assertion::new("RegionalRole", "alice");
    regional.recipient = "https://eu-west-1.signin.aws.amazon.com/saml".to_string();
    let out = assume(&sts, "RegionalRole", &regional.encoded())
        .await
        .expect("the regional endpoint the trust policy names");
    assert_eq!(
        out.audience(),
        Some("https://eu-west-1.signin.aws.amazon.com/saml")
    );

    // A response that names another role, or a role that does not exist.
    assert_failure(
        assume(
            &sts,
            "SamlRole",
            &Assertion::new("RegionalRole", "alice").encoded(),
        )
        .await,
        "AccessDenied",
        403,
        NOT_AUTHORIZED,
    );
    assert_failure(
        assume(&sts, "Nope", &Assertion::new("Nope", "alice").encoded()).await,
        "AccessDenied",
        403,
        NOT_AUTHORIZED,
    );

    // A tampered response; one signed with a key the metadata does not list.
    let xml = Assertion::new("SamlRole", "alice").xml(KEY);
    let tampered = xml.replace(">alice@example.com<", ">admin@example.com<");
    assert_ne!(xml, tampered);
    assert_failure(
        assume(&sts, "SamlRole", &STANDARD.encode(tampered)).await,
        "InvalidIdentityToken",
        400,
        SIGNATURE_INVALID,
    );
    assert_failure(
        assume(
            &sts,
            "SamlRole",
            &STANDARD.encode(Assertion::new("SamlRole", "alice").xml(OTHER_KEY)),
        )
        .await,
        "InvalidIdentityToken",
        400,
        SIGNATURE_INVALID,
    );

    // Late and expired responses.
    let mut late = Assertion::new("SamlRole", "alice");
    late.issued -= 600;
    assert_failure(
        assume(&sts, "SamlRole", &late.encoded()).await,
        "ExpiredTokenException",
        400,
        "Token must be redeemed within 5 minutes of issuance",
    );
    let mut expired = Assertion::new("SamlRole", "alice");
    expired.issued -= 120;
    expired.not_on_or_after = now_epoch() - 60;
    assert_failure(
        assume(&sts, "SamlRole", &expired.encoded()).await,
        "ExpiredTokenException",
        400,
        "Response has expired",
    );

    // Missing or bad session names; an unknown provider; not a response at all.
    let mut nameless = Assertion::new("SamlRole", "alice");
    nameless.attributes.pop();
    assert_failure(
        assume(&sts, "SamlRole", &nameless.encoded()).await,
        "InvalidIdentityToken",
        400,
        "RoleSessionName is required in AuthnResponse",
    );
    assert_failure(
        assume(
            &sts,
            "SamlRole",
            &Assertion::new("SamlRole", "John Doe").encoded(),
        )
        .await,
        "InvalidIdentityToken",
        400,
        "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
    );
    assert_failure(
        sts.assume_role_with_saml()
            .role_arn(role_arn("SamlRole"))
            .principal_arn(provider_arn("Unknown"))
            .saml_assertion(Assertion::new("SamlRole", "alice").encoded())
            .send()
            .await,
        "InvalidIdentityToken",
        400,
        "Specified provider doesn't exist.",
    );
    assert_eq!(
        fail(assume(&sts, "SamlRole", &STANDARD.encode("<not-saml/>")).await).code,
        "InvalidIdentityToken"
    );

    // The audit trail: the caller is a SAMLUser; the assertion is hidden. The log file is
    // appended in batches (every 50 ms), so the last calls' records may come a moment later.
    let read_events = || -> Vec<Value> {
        std::fs::read_to_string(&log)
            .expect("the audit log")
            .lines()
            .map(|l| serde_json::from_str(l).expect("a CloudTrail record per line"))
            .filter(|e: &Value| e["eventName"] == "AssumeRoleWithSAML")
            .collect()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut events = read_events();
    while events
        .iter()
        .filter(|e| e["errorCode"] == "InvalidIdentityToken")
        .count()
        < 6
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        events = read_events();
    }
    let ok = events
        .iter()
        .find(|e| e["errorCode"].is_null())
        .expect("a successful AssumeRoleWithSAML event");
    assert_eq!(ok["userIdentity"]["type"], "SAMLUser");
    assert_eq!(
        ok["userIdentity"]["principalId"],
        format!("{NAME_QUALIFIER}:alice@example.com")
    );
    assert_eq!(ok["userIdentity"]["identityProvider"], NAME_QUALIFIER);
    assert_eq!(
        ok["requestParameters"]["sAMLAssertion"],
        "HIDDEN_DUE_TO_SECURITY_REASONS"
    );
    assert!(
        events
            .iter()
            .any(|e| e["errorCode"] == "InvalidIdentityToken")
    );
}

#[tokio::test]
async fn dev_mode_skips_the_trust_policy_but_not_the_checks() {
    let server = Server::start_with(Options {
        env: vec![("PORTCULLIS_DEV".to_string(), "true".to_string())],
        ..Options::default()
    });
    let iam = iam(&server);
    let sts = anonymous_sts(&server);
    create_provider(&iam).await;
    role_with_policy(&iam, "Ec2Only", TRUST_EC2, None).await;
    let out = assume(&sts, "Ec2Only", &Assertion::new("Ec2Only", "dev").encoded())
        .await
        .expect("no trust check in --dev");
    assert_eq!(
        out.assumed_role_user().expect("a user").arn(),
        format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/Ec2Only/dev")
    );
    assert_failure(
        assume(
            &sts,
            "Ec2Only",
            &STANDARD.encode(Assertion::new("Ec2Only", "dev").xml(OTHER_KEY)),
        )
        .await,
        "InvalidIdentityToken",
        400,
        SIGNATURE_INVALID,
    );
    assert_failure(
        assume(&sts, "Ec2Only", &Assertion::new("Other", "dev").encoded()).await,
        "AccessDenied",
        403,
        NOT_AUTHORIZED,
    );
}
