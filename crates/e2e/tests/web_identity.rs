//! OpenID Connect providers and AssumeRoleWithWebIdentity through the AWS SDK for Rust.
//!
//! The tests run their own issuer: a tiny HTTP server on a loopback address serving OpenID
//! discovery and a JWKS, with RS256 (and ES256) tokens minted here with test keys. They
//! create the provider and a role whose trust policy conditions on `PROVIDER:aud` and
//! `PROVIDER:sub`, exchange tokens for role sessions with the SDK (which sends the call
//! unsigned), call GetCallerIdentity with the session, and check AWS's answer to every bad
//! token: tampered, from an unknown provider, for another audience, expired, not a JWT,
//! signed with an unknown key, not valid yet, for a `sub` the trust policy refuses. The
//! `--oidc-keys` directory mode is checked with a provider that is not on loopback.

#[macro_use]
mod common;

use aws_sdk_sts::types::PolicyDescriptorType;
use common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Test keys (made for these tests only): `rsa1`, `rsa2` (RSA-2048) and `ec` (P-256), each
/// a PKCS#8 PEM private key with its public JWK members.
const KEYS: &str = include_str!("data/oidc-test-keys.json");

const CLIENT_ID: &str = "portcullis-app";
const NO_KEY: &str = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";

fn keys() -> Value {
    serde_json::from_str(KEYS).expect("the test keys are JSON")
}

/// The public JWK of test key `name`, with key ID `name`.
fn jwk(name: &str) -> Value {
    let k = keys();
    if name == "ec" {
        json!({"kty": "EC", "crv": "P-256", "kid": name, "use": "sig", "alg": "ES256", "x": k[name]["x"], "y": k[name]["y"]})
    } else {
        json!({"kty": "RSA", "kid": name, "use": "sig", "n": k[name]["n"], "e": k[name]["e"]})
    }
}

/// A JWKS of the named test keys.
fn jwks(names: &[&str]) -> String {
    json!({"keys": names.iter().map(|n| jwk(n)).collect::<Vec<_>>()}).to_string()
}

/// A token signed with test key `key` (RS256 for the RSA keys, ES256 for `ec`), with
/// header `kid` = `key`.
fn mint(key: &str, claims: &Value) -> String {
    let k = keys();
    let pem = k[key]["pem"].as_str().expect("a PEM").as_bytes();
    let (alg, enc) = if key == "ec" {
        (
            Algorithm::ES256,
            EncodingKey::from_ec_pem(pem).expect("EC key"),
        )
    } else {
        (
            Algorithm::RS256,
            EncodingKey::from_rsa_pem(pem).expect("RSA key"),
        )
    };
    let mut header = Header::new(alg);
    header.kid = Some(key.to_string());
    encode(&header, claims, &enc).expect("signing")
}

/// The claims of a token of `issuer` for `sub`, valid for ten minutes.
fn claims(issuer: &str, sub: &str) -> Value {
    let now = now_epoch();
    json!({"iss": issuer, "sub": sub, "aud": CLIENT_ID, "iat": now, "exp": now + 600})
}

/// The deprecated `PackedPolicySize` of an answer (AWS still sends it).
#[allow(deprecated)]
fn packed(
    out: &aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityOutput,
) -> Option<i32> {
    out.packed_policy_size()
}

/// A tiny OpenID issuer on a loopback address: discovery at
/// `{url}/.well-known/openid-configuration`, its key set at `{url}/jwks`.
struct Issuer {
    /// `http://127.0.0.1:PORT/realms/test`.
    url: String,
    /// The key set served (replaceable, to rotate keys).
    jwks: Arc<Mutex<String>>,
    /// Requests served.
    hits: Arc<AtomicUsize>,
}

impl Issuer {
    fn start(key_names: &[&str]) -> Issuer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the issuer");
        let port = listener.local_addr().expect("issuer address").port();
        let base = "/realms/test";
        let url = format!("http://127.0.0.1:{port}{base}");
        let jwks = Arc::new(Mutex::new(jwks(key_names)));
        let hits = Arc::new(AtomicUsize::new(0));
        let (served, count, issuer) = (jwks.clone(), hits.clone(), url.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let request = String::from_utf8_lossy(&request);
                let path = request.split_whitespace().nth(1).unwrap_or_default();
                let (status, body) = if path == format!("{base}/.well-known/openid-configuration") {
                    let doc = json!({"issuer": issuer, "jwks_uri": format!("{issuer}/jwks"),
                        "id_token_signing_alg_values_supported": ["RS256", "ES256"]});
                    ("200 OK", doc.to_string())
                } else if path == format!("{base}/jwks") {
                    ("200 OK", served.lock().expect("jwks lock").clone())
                } else {
                    ("404 Not Found", "{}".to_string())
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        Issuer { url, jwks, hits }
    }

    /// The provider ID: the URL without its scheme, as ARNs and condition keys spell it.
    fn id(&self) -> &str {
        self.url.trim_start_matches("http://")
    }
}

/// The ARN of the provider at `url_without_scheme`.
fn provider_arn(url_without_scheme: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{url_without_scheme}")
}

/// A trust policy: the provider's tokens for `sub` and our client ID may assume the role.
fn trust(provider: &str, sub: &str, extra_actions: &[&str]) -> String {
    let mut actions = vec!["sts:AssumeRoleWithWebIdentity"];
    actions.extend_from_slice(extra_actions);
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn(provider)},
        "Action": actions,
        "Condition": {"StringEquals": {
            format!("{provider}:aud"): CLIENT_ID,
            format!("{provider}:sub"): sub,
        }}
    }]})
    .to_string()
}

/// An STS client for the unsigned call: its keys are not even valid, so a signed request
/// would be refused.
fn anonymous_sts(server: &Server) -> aws_sdk_sts::Client {
    sts_with(server, "AKIAEXAMPLENOTVALID0", "not-a-secret")
}

/// An STS client signed with temporary credentials.
fn session_sts(server: &Server, c: &aws_sdk_sts::types::Credentials) -> aws_sdk_sts::Client {
    let creds = aws_sdk_sts::config::Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        None,
        "web-identity",
    );
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .endpoint_url(&server.endpoint)
        .credentials_provider(creds)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

async fn create_role(iam: &aws_sdk_iam::Client, name: &str, policy: &str) -> String {
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(policy)
        .send()
        .await
        .expect("CreateRole")
        .role()
        .expect("a role")
        .arn()
        .to_string()
}

/// AssumeRoleWithWebIdentity with `token` for `role_arn`.
async fn assume(
    sts: &aws_sdk_sts::Client,
    role_arn: &str,
    token: &str,
) -> Result<
    aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityOutput,
    aws_sdk_sts::error::SdkError<
        aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityError,
        aws_sdk_sts::config::http::HttpResponse,
    >,
> {
    sts.assume_role_with_web_identity()
        .role_arn(role_arn)
        .role_session_name("web-session")
        .web_identity_token(token)
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

#[tokio::test]
async fn tokens_of_a_loopback_issuer_assume_roles() {
    let server = Server::start();
    let iam = iam(&server);
    let sts = anonymous_sts(&server);
    let issuer = Issuer::start(&["rsa1", "ec"]);
    let id = issuer.id().to_string();

    // The provider: no thumbprints, one client ID.
    let created = iam
        .create_open_id_connect_provider()
        .url(&issuer.url)
        .client_id_list(CLIENT_ID)
        .tags(tag("team", "ml"))
        .send()
        .await
        .expect("CreateOpenIDConnectProvider");
    let arn = created
        .open_id_connect_provider_arn()
        .expect("an ARN")
        .to_string();
    assert_eq!(arn, provider_arn(&id));
    assert_eq!(tag_pairs(created.tags()), [("team".into(), "ml".into())]);
    let got = iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .expect("GetOpenIDConnectProvider");
    assert_eq!(
        got.url(),
        Some(id.as_str()),
        "IAM answers the URL without its scheme"
    );
    assert_eq!(got.client_id_list(), [CLIENT_ID]);
    assert!(got.thumbprint_list().is_empty());
    assert_recent(got.create_date().expect("a date"));

    let role_arn = create_role(&iam, "web-role", &trust(&id, "alice", &[])).await;
    assert_eq!(
        issuer.hits.load(Ordering::SeqCst),
        0,
        "keys are fetched when needed"
    );

    // A good token: a role session, seen by GetCallerIdentity.
    let token = mint("rsa1", &claims(&issuer.url, "alice"));
    let out = assume(&sts, &role_arn, &token)
        .await
        .expect("AssumeRoleWithWebIdentity");
    assert_eq!(out.subject_from_web_identity_token(), Some("alice"));
    assert_eq!(out.provider(), Some(arn.as_str()));
    assert_eq!(out.audience(), Some(CLIENT_ID));
    assert_eq!(packed(&out), None);
    let user = out.assumed_role_user().expect("an assumed-role user");
    let session_arn = format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/web-role/web-session");
    assert_eq!(user.arn(), session_arn);
    assert!(user.assumed_role_id().starts_with("AROA"));
    assert!(user.assumed_role_id().ends_with(":web-session"));
    let creds = out.credentials().expect("credentials");
    assert!(creds.access_key_id().starts_with("ASIA"));
    let expires = creds.expiration().secs();
    assert!(
        (expires - now_epoch() - 3600).abs() < 60,
        "an hour by default"
    );
    let me = session_sts(&server, creds)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity with the session");
    assert_eq!(me.arn(), Some(session_arn.as_str()));
    assert_eq!(me.account(), Some(ACCOUNT_ID));
    assert_eq!(me.user_id(), Some(user.assumed_role_id()));
    // Discovery and the key set were fetched once, and are cached.
    assert_eq!(issuer.hits.load(Ordering::SeqCst), 2);
    let es = mint("ec", &claims(&issuer.url, "alice"));
    assume(&sts, &role_arn, &es).await.expect("an ES256 token");
    assert_eq!(issuer.hits.load(Ordering::SeqCst), 2);

    // DurationSeconds and session policies.
    let out = sts
        .assume_role_with_web_identity()
        .role_arn(&role_arn)
        .role_session_name("short")
        .web_identity_token(&token)
        .duration_seconds(900)
        .policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#)
        .policy_arns(
            PolicyDescriptorType::builder()
                .arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
                .build(),
        )
        .send()
        .await
        .expect("with session policies");
    let secs = out.credentials().expect("credentials").expiration().secs();
    assert!((secs - now_epoch() - 900).abs() < 60);
    assert!(packed(&out).is_some_and(|p| p > 0));
    assert_failure(
        sts.assume_role_with_web_identity()
            .role_arn(&role_arn)
            .role_session_name("long")
            .web_identity_token(&token)
            .duration_seconds(7200)
            .send()
            .await,
        "ValidationError",
        400,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );

    // A `sub` the trust policy does not allow.
    assert_failure(
        assume(
            &sts,
            &role_arn,
            &mint("rsa1", &claims(&issuer.url, "mallory")),
        )
        .await,
        "AccessDenied",
        403,
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    );
    // A role that does not exist.
    assert_failure(
        assume(
            &sts,
            &format!("arn:aws:iam::{ACCOUNT_ID}:role/nope"),
            &token,
        )
        .await,
        "AccessDenied",
        403,
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    );

    // A tampered token: alice's signature over mallory's claims.
    let forged = mint("rsa1", &claims(&issuer.url, "mallory"));
    let parts: Vec<&str> = token.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        forged.split('.').nth(1).expect("a payload"),
        parts[2]
    );
    assert_failure(
        assume(&sts, &role_arn, &tampered).await,
        "InvalidIdentityToken",
        400,
        "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.",
    );

    // Not a JWT at all.
    assert_failure(
        assume(&sts, &role_arn, "not-a-jwt").await,
        "InvalidIdentityToken",
        400,
        "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
    );

    // A provider the account does not have.
    assert_failure(
        assume(
            &sts,
            &role_arn,
            &mint("rsa1", &claims("https://unknown.example.com", "alice")),
        )
        .await,
        "InvalidIdentityToken",
        400,
        "No OpenIDConnect provider found in your account for https://unknown.example.com",
    );

    // An audience that is not a client ID of the provider; no audience at all.
    let mut other = claims(&issuer.url, "alice");
    other["aud"] = json!("someone-else");
    assert_failure(
        assume(&sts, &role_arn, &mint("rsa1", &other)).await,
        "InvalidIdentityToken",
        400,
        "Incorrect token audience",
    );
    other.as_object_mut().expect("claims").remove("aud");
    assert_failure(
        assume(&sts, &role_arn, &mint("rsa1", &other)).await,
        "InvalidIdentityToken",
        400,
        "Missing a required claim: aud",
    );

    // Expired an hour ago (beyond the five minutes allowed for clock skew), and four
    // minutes ago (within them).
    let now = now_epoch();
    let mut old = claims(&issuer.url, "alice");
    old["exp"] = json!(now - 3600);
    old["iat"] = json!(now - 7200);
    let f = fail(assume(&sts, &role_arn, &mint("rsa1", &old)).await);
    assert_eq!(
        (f.code.as_str(), f.status),
        ("ExpiredTokenException", 400),
        "{f:?}"
    );
    assert!(
        f.message.starts_with("Token expired: current date/time "),
        "{f:?}"
    );
    assert!(
        f.message.ends_with(&format!(
            " must be before the expiration date/time {}",
            now - 3600
        )),
        "{f:?}"
    );
    old["exp"] = json!(now - 240);
    assume(&sts, &role_arn, &mint("rsa1", &old))
        .await
        .expect("within the clock skew");

    // Not valid for another hour.
    let mut early = claims(&issuer.url, "alice");
    early["nbf"] = json!(now + 3600);
    early["exp"] = json!(now + 7200);
    let f = fail(assume(&sts, &role_arn, &mint("rsa1", &early)).await);
    assert_eq!(
        (f.code.as_str(), f.status),
        ("IDPRejectedClaim", 403),
        "{f:?}"
    );

    // A key the issuer does not publish yet; once it does, the server fetches the set
    // again for the unknown kid.
    let rotated = mint("rsa2", &claims(&issuer.url, "alice"));
    assert_failure(
        assume(&sts, &role_arn, &rotated).await,
        "InvalidIdentityToken",
        400,
        NO_KEY,
    );
    *issuer.jwks.lock().expect("jwks lock") = jwks(&["rsa1", "rsa2", "ec"]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assume(&sts, &role_arn, &rotated)
        .await
        .expect("the rotated key");

    // Without the client ID on the provider, its tokens are for another audience.
    iam.remove_client_id_from_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .client_id(CLIENT_ID)
        .send()
        .await
        .expect("RemoveClientID");
    assert_failure(
        assume(&sts, &role_arn, &token).await,
        "InvalidIdentityToken",
        400,
        "Incorrect token audience",
    );
    iam.add_client_id_to_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .client_id(CLIENT_ID)
        .send()
        .await
        .expect("AddClientID");
    assume(&sts, &role_arn, &token)
        .await
        .expect("the client ID is back");

    // Once the provider is deleted, its tokens name no provider.
    iam.delete_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .expect("DeleteOpenIDConnectProvider");
    assert_failure(
        assume(&sts, &role_arn, &token).await,
        "InvalidIdentityToken",
        400,
        &format!(
            "No OpenIDConnect provider found in your account for {}",
            issuer.url
        ),
    );
}

#[tokio::test]
async fn session_tags_and_source_identity_come_from_the_token() {
    let server = Server::start();
    let iam = iam(&server);
    let sts = anonymous_sts(&server);
    let issuer = Issuer::start(&["rsa1"]);
    let id = issuer.id().to_string();
    iam.create_open_id_connect_provider()
        .url(&issuer.url)
        .client_id_list(CLIENT_ID)
        .send()
        .await
        .expect("CreateOpenIDConnectProvider");
    let mut tagged = claims(&issuer.url, "alice");
    tagged["https://aws.amazon.com/tags"] = json!({
        "principal_tags": {"team": ["ml"], "cost-center": ["42"]},
        "transitive_tag_keys": ["team"]
    });
    tagged["https://aws.amazon.com/source_identity"] = json!("alice@example.com");
    let token = mint("rsa1", &tagged);

    // The trust policy must also allow sts:TagSession (and sts:SetSourceIdentity).
    let plain = create_role(&iam, "plain", &trust(&id, "alice", &[])).await;
    assert_failure(
        assume(&sts, &plain, &token).await,
        "AccessDenied",
        403,
        "Not authorized to perform sts:TagSession",
    );
    let tags_only = create_role(&iam, "tags-only", &trust(&id, "alice", &["sts:TagSession"])).await;
    assert_failure(
        assume(&sts, &tags_only, &token).await,
        "AccessDenied",
        403,
        "Not authorized to perform sts:SetSourceIdentity",
    );

    // aws:RequestTag/* carries the tags to the trust policy.
    let arn = provider_arn(&id);
    let conditioned = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": arn},
        "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession", "sts:SetSourceIdentity"],
        "Condition": {
            "StringEquals": {"aws:RequestTag/team": "ml", "aws:FederatedProvider": arn},
            "StringLike": {format!("{id}:sub"): "ali*"}
        }
    }]});
    let role = create_role(&iam, "tagged", &conditioned.to_string()).await;
    let out = assume(&sts, &role, &token).await.expect("tagged session");
    assert_eq!(out.source_identity(), Some("alice@example.com"));
    assert!(packed(&out).is_some_and(|p| p > 0));
    let me = session_sts(&server, out.credentials().expect("credentials"))
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    assert_eq!(
        me.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/tagged/web-session").as_str())
    );
    let mut other_team = tagged.clone();
    other_team["https://aws.amazon.com/tags"]["principal_tags"]["team"] = json!(["ops"]);
    assert_failure(
        assume(&sts, &role, &mint("rsa1", &other_team)).await,
        "AccessDenied",
        403,
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    );
    // A tags claim not in the documented shape.
    let mut malformed = tagged.clone();
    malformed["https://aws.amazon.com/tags"] = json!({"principal_tags": {"team": ["ml", "ops"]}});
    let f = fail(assume(&sts, &role, &mint("rsa1", &malformed)).await);
    assert_eq!(
        (f.code.as_str(), f.status),
        ("IDPRejectedClaim", 403),
        "{f:?}"
    );
}

#[tokio::test]
async fn openid_connect_providers_are_managed_as_in_iam() {
    let server = Server::start();
    let iam = iam(&server);
    let url = "https://token.actions.githubusercontent.com";
    let arn = provider_arn("token.actions.githubusercontent.com");
    let thumb = "6938fd4d98bab03faadb97b34396831e3780aea1";
    iam.create_open_id_connect_provider()
        .url(url)
        .client_id_list("sts.amazonaws.com")
        .thumbprint_list(thumb)
        .send()
        .await
        .expect("CreateOpenIDConnectProvider");

    let f = fail(
        iam.create_open_id_connect_provider()
            .url(url)
            .client_id_list("sts.amazonaws.com")
            .send()
            .await,
    );
    assert_eq!(
        (f.code.as_str(), f.status, f.message.as_str()),
        (
            "EntityAlreadyExists",
            409,
            "Provider with url https://token.actions.githubusercontent.com already exists."
        )
    );
    for bad in [
        "example.org",
        "http://idp.example.com",
        "ftp://idp.example.com",
        "https://idp.example.com/?q=1",
    ] {
        let f = fail(iam.create_open_id_connect_provider().url(bad).send().await);
        assert_eq!(
            (f.code.as_str(), f.status, f.message.as_str()),
            (
                "ValidationError",
                400,
                "Invalid Open ID Connect Provider URL"
            ),
            "{bad}"
        );
    }
    let mut six = iam
        .create_open_id_connect_provider()
        .url("https://six.example.com");
    for c in ['a', 'b', 'c', 'd', 'e', 'f'] {
        six = six.thumbprint_list(c.to_string().repeat(40));
    }
    let f = fail(six.send().await);
    assert_eq!(
        (f.code.as_str(), f.status, f.message.as_str()),
        (
            "InvalidInput",
            400,
            "Thumbprint list must contain fewer than 5 entries."
        )
    );
    let mut many = iam
        .create_open_id_connect_provider()
        .url("https://many.example.com");
    for n in 0..101 {
        many = many.client_id_list(n.to_string());
    }
    let f = fail(many.send().await);
    assert_eq!(
        (f.code.as_str(), f.status, f.message.as_str()),
        (
            "LimitExceeded",
            409,
            "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100"
        )
    );

    // Client IDs: adding twice or removing what is not there changes nothing.
    for _ in 0..2 {
        iam.add_client_id_to_open_id_connect_provider()
            .open_id_connect_provider_arn(&arn)
            .client_id("my-app")
            .send()
            .await
            .expect("AddClientID");
    }
    iam.remove_client_id_from_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .client_id("not-there")
        .send()
        .await
        .expect("RemoveClientID of an absent ID");
    iam.update_open_id_connect_provider_thumbprint()
        .open_id_connect_provider_arn(&arn)
        .thumbprint_list("c".repeat(40))
        .thumbprint_list("d".repeat(40))
        .send()
        .await
        .expect("UpdateThumbprint");
    let got = iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .expect("Get");
    assert_eq!(got.url(), Some("token.actions.githubusercontent.com"));
    assert_eq!(got.client_id_list(), ["sts.amazonaws.com", "my-app"]);
    assert_eq!(got.thumbprint_list(), ["c".repeat(40), "d".repeat(40)]);

    // Tags.
    iam.tag_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .tags(tag("k1", "v1"))
        .tags(tag("k2", "v2"))
        .send()
        .await
        .expect("Tag");
    iam.untag_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .tag_keys("K2")
        .send()
        .await
        .expect("Untag");
    let listed = iam
        .list_open_id_connect_provider_tags()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .expect("ListTags");
    assert_eq!(tag_pairs(listed.tags()), [("k1".into(), "v1".into())]);
    assert!(!listed.is_truncated());
    let mut fifty = iam
        .tag_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn);
    for n in 0..50 {
        fifty = fifty.tags(tag(&format!("t{n:02}"), "v"));
    }
    let f = fail(fifty.send().await);
    assert_eq!(
        (f.code.as_str(), f.status, f.message.as_str()),
        (
            "LimitExceeded",
            409,
            "The number of tags has reached the maximum limit."
        )
    );

    // The account counts its providers.
    let summary = iam.get_account_summary().send().await.expect("summary");
    let map = summary.summary_map().expect("a map");
    assert_eq!(
        map.get(&aws_sdk_iam::types::SummaryKeyType::Providers),
        Some(&1)
    );

    // Missing providers.
    let missing = provider_arn("missing.example.com");
    let f = fail(
        iam.get_open_id_connect_provider()
            .open_id_connect_provider_arn(&missing)
            .send()
            .await,
    );
    assert_eq!(
        (f.code.as_str(), f.status, f.message.clone()),
        (
            "NoSuchEntity",
            404,
            format!("OpenIDConnect Provider not found for arn {missing}")
        )
    );
    let f = fail(
        iam.add_client_id_to_open_id_connect_provider()
            .open_id_connect_provider_arn(&missing)
            .client_id("x")
            .send()
            .await,
    );
    assert_eq!((f.code.as_str(), f.status), ("NoSuchEntity", 404));
    iam.delete_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .expect("Delete");
    let f = fail(
        iam.delete_open_id_connect_provider()
            .open_id_connect_provider_arn(&arn)
            .send()
            .await,
    );
    assert_eq!(
        (f.code.as_str(), f.status, f.message.clone()),
        (
            "NoSuchEntity",
            404,
            format!("OpenId connect Provider {arn} cannot be found.")
        )
    );

    // At most 100 providers in an account.
    for n in 0..100 {
        iam.create_open_id_connect_provider()
            .url(format!("https://idp{n}.example.com"))
            .send()
            .await
            .expect("a provider within the quota");
    }
    let listed = iam
        .list_open_id_connect_providers()
        .send()
        .await
        .expect("List");
    assert_eq!(listed.open_id_connect_provider_list().len(), 100);
    let f = fail(
        iam.create_open_id_connect_provider()
            .url("https://one-too-many.example.com")
            .send()
            .await,
    );
    assert_eq!(
        (f.code.as_str(), f.status, f.message.as_str()),
        (
            "LimitExceeded",
            409,
            "Cannot exceed quota for OpenIdConnectProvidersPerAccount: 100"
        )
    );
}

#[tokio::test]
async fn keys_of_other_providers_come_from_the_key_directory() {
    let dir = TempDir::new("oidc-keys");
    std::fs::write(
        dir.path().join("idp.example.com_tenant.json"),
        jwks(&["rsa1", "ec"]),
    )
    .expect("writing the key file");
    let server = Server::start_with(Options {
        env: vec![(
            "PORTCULLIS_OIDC_KEYS".to_string(),
            dir.path().display().to_string(),
        )],
        ..Options::default()
    });
    let iam = iam(&server);
    let sts = anonymous_sts(&server);
    for url in [
        "https://idp.example.com/tenant",
        "https://nokeys.example.com",
    ] {
        iam.create_open_id_connect_provider()
            .url(url)
            .client_id_list(CLIENT_ID)
            .send()
            .await
            .expect("CreateOpenIDConnectProvider");
    }
    let id = "idp.example.com/tenant";
    let role = create_role(&iam, "dir-role", &trust(id, "bob", &[])).await;
    for key in ["rsa1", "ec"] {
        let token = mint(key, &claims("https://idp.example.com/tenant", "bob"));
        let out = assume(&sts, &role, &token)
            .await
            .expect("a token checked with the file's keys");
        assert_eq!(out.provider(), Some(provider_arn(id).as_str()));
        let me = session_sts(&server, out.credentials().expect("credentials"))
            .get_caller_identity()
            .send()
            .await
            .expect("GetCallerIdentity");
        assert_eq!(
            me.arn(),
            Some(format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/dir-role/web-session").as_str())
        );
    }
    assert_failure(
        assume(
            &sts,
            &role,
            &mint("rsa2", &claims("https://idp.example.com/tenant", "bob")),
        )
        .await,
        "InvalidIdentityToken",
        400,
        NO_KEY,
    );
    assert_failure(
        assume(
            &sts,
            &role,
            &mint("rsa1", &claims("https://nokeys.example.com", "bob")),
        )
        .await,
        "InvalidIdentityToken",
        400,
        NO_KEY,
    );
    assert_failure(
        assume(
            &sts,
            &role,
            &mint("rsa1", &claims("https://idp.example.com/tenant", "eve")),
        )
        .await,
        "AccessDenied",
        403,
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    );
}
