//! STS's newer operations against a real server, with real signed requests:
//! GetScopedCredentials (scoped-down credentials of the calling session, proven to be
//! denied what the session itself may do), AssumeRoot and GetDelegatedAccessToken (refused
//! as AWS refuses them to a standalone account), and GetWebIdentityToken (a JWT whose
//! signature is checked with the key set the server publishes, and whose claims are read).
//!
//! GetScopedCredentials is newer than the AWS SDK this crate uses, so it is sent as a raw
//! Query request signed with SigV4 (and the session token).

#[macro_use]
mod common;

use aws_sdk_sts::types::{Credentials, PolicyDescriptorType, Tag};
use common::*;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::Value;

const ACCOUNT: &str = "123456789012";

impl Keys {
    fn of(c: &Credentials) -> Keys {
        Keys {
            id: c.access_key_id().to_string(),
            secret: c.secret_access_key().to_string(),
            token: Some(c.session_token().to_string()),
        }
    }

    /// The SDK's form, for the SDK clients.
    fn credentials(&self) -> Credentials {
        Credentials::builder()
            .access_key_id(&self.id)
            .secret_access_key(&self.secret)
            .session_token(self.token.clone().unwrap_or_default())
            .expiration(aws_sdk_sts::primitives::DateTime::from_secs(
                now_epoch() + 3600,
            ))
            .build()
            .unwrap()
    }
}

/// The credentials of a GetScopedCredentials answer.
fn scoped_keys(r: &HttpResponse) -> Keys {
    assert_eq!(r.status, 200, "{}", r.text());
    Keys {
        id: r.xml("AccessKeyId").unwrap(),
        secret: r.xml("SecretAccessKey").unwrap(),
        token: Some(r.xml("SessionToken").unwrap()),
    }
}

/// A user `name` with an access key and an inline policy; its keys.
async fn user(root: &aws_sdk_iam::Client, name: &str, policy: &str) -> Keys {
    let (id, secret) = user_with_key(root, name).await;
    root.put_user_policy()
        .user_name(name)
        .policy_name("allowed")
        .policy_document(policy)
        .send()
        .await
        .expect("PutUserPolicy");
    Keys {
        id,
        secret,
        token: None,
    }
}

const SCOPE_LIST_ROLES: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListRoles","sts:GetScopedCredentials"],"Resource":"*"}]}"#;
const SCOPE_NOTHING_BUT_SCOPING: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetScopedCredentials","Resource":"*"}]}"#;

#[tokio::test]
async fn scoped_credentials_keep_the_identity_and_lose_permissions() {
    let server = Server::start();
    let root = iam(&server);
    let caller = user(
        &root,
        "scoper",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","iam:ListUsers"],"Resource":"*"}]}"#,
    )
    .await;
    role_with_policy(
        &root,
        "worker",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
        ),
        Some(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListRoles","iam:ListUsers","sts:GetScopedCredentials"],"Resource":"*"}]}"#,
        ),
    )
    .await;
    let assumed = sts_with(&server, &caller.id, &caller.secret)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/worker"))
        .role_session_name("job-7")
        .duration_seconds(1800)
        .send()
        .await
        .expect("AssumeRole");
    let session_creds = assumed.credentials.unwrap();
    let session = Keys::of(&session_creds);
    let session_arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/worker/job-7");

    // Long-term keys cannot scope themselves down.
    let r = signed_query(
        &server,
        &caller,
        "sts",
        &[
            ("Action", "GetScopedCredentials"),
            ("DurationSeconds", "60"),
        ],
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.xml("Code").as_deref(), Some("InvalidSubjectCredentials"));
    // At least one of Policy and DurationSeconds.
    let r = signed_query(
        &server,
        &session,
        "sts",
        &[("Action", "GetScopedCredentials")],
    );
    assert_eq!(
        r.xml("Code").as_deref(),
        Some("ValidationError"),
        "{}",
        r.text()
    );
    // Not past the calling session's end.
    let r = signed_query(
        &server,
        &session,
        "sts",
        &[
            ("Action", "GetScopedCredentials"),
            ("DurationSeconds", "3600"),
        ],
    );
    assert_eq!(
        r.xml("Code").as_deref(),
        Some("InsufficientSessionLifetime"),
        "{}",
        r.text()
    );
    // A malformed scope-down policy.
    let r = signed_query(
        &server,
        &session,
        "sts",
        &[("Action", "GetScopedCredentials"), ("Policy", NOT_JSON)],
    );
    assert_eq!(
        r.xml("Code").as_deref(),
        Some("MalformedPolicyDocument"),
        "{}",
        r.text()
    );

    // Scope the session down to ListRoles.
    let r = signed_query(
        &server,
        &session,
        "sts",
        &[
            ("Action", "GetScopedCredentials"),
            ("Policy", SCOPE_LIST_ROLES),
            ("ScopedSessionDescription", "agent run 1"),
        ],
    );
    let scoped = scoped_keys(&r);
    assert!(scoped.id.starts_with("ASIA") && scoped.id != session.id);
    assert_eq!(r.xml("Arn").as_deref(), Some(session_arn.as_str()));
    assert_eq!(r.xml("ScopedPoliciesCount").as_deref(), Some("1"));
    let expiration = aws_sdk_sts::primitives::DateTime::from_str(
        &r.xml("Expiration").unwrap(),
        aws_sdk_sts::primitives::DateTimeFormat::DateTime,
    )
    .unwrap();
    assert_eq!(
        expiration.secs(),
        session_creds.expiration().secs(),
        "inherits the calling session's expiry"
    );
    let size: usize = r.xml("SessionTokenSize").unwrap().parse().unwrap();
    assert_eq!(size, scoped.token.as_ref().unwrap().len());

    // The same identity …
    let who = sts_session(&server, &scoped.credentials())
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity with scoped credentials");
    assert_eq!(who.arn(), Some(session_arn.as_str()));
    // … allowed what both the session and the scope allow …
    let scoped_iam = iam_session(&server, &scoped.credentials());
    scoped_iam
        .list_roles()
        .send()
        .await
        .expect("ListRoles with scoped credentials");
    // … and denied what the session may do but the scope does not allow.
    let denied = fail(scoped_iam.list_users().send().await);
    assert_eq!(denied.code, "AccessDenied", "{denied:?}");
    assert!(
        denied.message.starts_with(&format!(
            "User: {session_arn} is not authorized to perform: iam:ListUsers"
        )),
        "{denied:?}"
    );
    iam_session(&server, &session_creds)
        .list_users()
        .send()
        .await
        .expect("the original session still lists users");

    // A scope cannot grant what the session lacks: the role may not ListPolicies.
    let r = signed_query(
        &server,
        &session,
        "sts",
        &[
            ("Action", "GetScopedCredentials"),
            (
                "Policy",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            ),
            ("DurationSeconds", "600"),
        ],
    );
    let wide = scoped_keys(&r);
    let denied = fail(
        iam_session(&server, &wide.credentials())
            .list_policies()
            .send()
            .await,
    );
    assert_eq!(denied.code, "AccessDenied");

    // Scoping the scoped credentials stacks a second layer: ListRoles is gone too.
    let r = signed_query(
        &server,
        &scoped,
        "sts",
        &[
            ("Action", "GetScopedCredentials"),
            ("Policy", SCOPE_NOTHING_BUT_SCOPING),
            ("DurationSeconds", "300"),
        ],
    );
    let narrower = scoped_keys(&r);
    assert_eq!(r.xml("ScopedPoliciesCount").as_deref(), Some("2"));
    let denied = fail(
        iam_session(&server, &narrower.credentials())
            .list_roles()
            .send()
            .await,
    );
    assert_eq!(denied.code, "AccessDenied");
    // A third layer is allowed, a fourth is not.
    let r = signed_query(
        &server,
        &narrower,
        "sts",
        &[
            ("Action", "GetScopedCredentials"),
            ("Policy", SCOPE_NOTHING_BUT_SCOPING),
        ],
    );
    let third = scoped_keys(&r);
    assert_eq!(r.xml("ScopedPoliciesCount").as_deref(), Some("3"));
    let r = signed_query(
        &server,
        &third,
        "sts",
        &[
            ("Action", "GetScopedCredentials"),
            ("Policy", SCOPE_NOTHING_BUT_SCOPING),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.xml("Code").as_deref(), Some("AccessDenied"));
}

#[tokio::test]
async fn assume_root_and_delegated_tokens_are_refused_to_a_standalone_account() {
    let server = Server::start();
    let root = iam(&server);
    let admin = user(
        &root,
        "org-admin",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRoot","sts:GetDelegatedAccessToken"],"Resource":"*"}]}"#,
    )
    .await;
    let admin_sts = sts_with(&server, &admin.id, &admin.secret);
    let task = |name: &str| {
        PolicyDescriptorType::builder()
            .arn(format!("arn:aws:iam::aws:policy/root-task/{name}"))
            .build()
    };

    let bad_task = fail(
        admin_sts
            .assume_root()
            .target_principal("111122223333")
            .task_policy_arn(
                PolicyDescriptorType::builder()
                    .arn("arn:aws:iam::aws:policy/AdministratorAccess")
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(bad_task.code, "ValidationError", "{bad_task:?}");
    let bad_target = fail(
        admin_sts
            .assume_root()
            .target_principal("arn:aws:iam::1111:user/nobody")
            .task_policy_arn(task("IAMAuditRootUserCredentials"))
            .send()
            .await,
    );
    assert_eq!(bad_target.code, "ValidationError", "{bad_target:?}");
    let too_long = fail(
        admin_sts
            .assume_root()
            .target_principal("111122223333")
            .task_policy_arn(task("IAMAuditRootUserCredentials"))
            .duration_seconds(901)
            .send()
            .await,
    );
    assert_eq!(too_long.code, "ValidationError", "{too_long:?}");

    let denied = fail(
        admin_sts
            .assume_root()
            .target_principal("arn:aws:iam::111122223333:root")
            .task_policy_arn(task("S3UnlockBucketPolicy"))
            .duration_seconds(900)
            .send()
            .await,
    );
    assert_eq!(denied.code, "AccessDenied");
    assert_eq!(denied.status, 403);
    assert!(
        denied.message.starts_with(&format!(
            "User: arn:aws:iam::{ACCOUNT}:user/org-admin is not authorized to perform: sts:AssumeRoot on resource: arn:aws:iam::111122223333:root"
        )),
        "{denied:?}"
    );
    let as_root = fail(
        sts(&server)
            .assume_root()
            .target_principal("111122223333")
            .task_policy_arn(task("IAMDeleteRootUserCredentials"))
            .send()
            .await,
    );
    assert_eq!(as_root.code, "AccessDenied", "{as_root:?}");

    let expired = fail(
        admin_sts
            .get_delegated_access_token()
            .trade_in_token("AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW")
            .send()
            .await,
    );
    assert_eq!(expired.code, "ExpiredTradeInTokenException", "{expired:?}");
    assert_eq!(expired.status, 400);
    assert!(expired.message.starts_with("The trade-in token provided"));
}

/// Verifies a token against the key set the server publishes for `issuer`; its claims.
fn verify(server: &Server, issuer: &str, token: &str, audience: &str) -> Value {
    let uuid = issuer
        .strip_prefix("https://")
        .and_then(|h| h.split('.').next())
        .expect("issuer URL of the form https://UUID.tokens.sts.global.api.aws");
    let r = http_request(
        server.addr,
        "GET",
        &format!("/_portcullis/outbound/{uuid}/.well-known/jwks.json"),
        &[],
        b"",
    )
    .expect("GET jwks.json");
    assert_eq!(r.status, 200, "{}", r.text());
    let set: JwkSet = serde_json::from_slice(&r.body).expect("a JSON Web Key Set");
    let header = decode_header(token).expect("a JWT");
    let jwk = set
        .find(header.kid.as_deref().expect("a kid"))
        .expect("the kid is published");
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[issuer]);
    decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .expect("the signature and claims verify")
        .claims
}

#[tokio::test]
async fn web_identity_tokens_are_signed_with_published_keys() {
    let server = Server::start();
    let root = iam(&server);
    let caller = user(
        &root,
        "exporter",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetWebIdentityToken","Resource":"*","Condition":{"ForAllValues:StringEquals":{"sts:IdentityTokenAudience":"https://api.example.com"},"NumericLessThanEquals":{"sts:DurationSeconds":"300"}}}]}"#,
    )
    .await;
    root.tag_user()
        .user_name("exporter")
        .tags(tag("team", "data"))
        .send()
        .await
        .unwrap();
    let user_sts = sts_with(&server, &caller.id, &caller.secret);

    // Off until the account enables outbound identity federation.
    let off = fail(
        user_sts
            .get_web_identity_token()
            .audience("https://api.example.com")
            .signing_algorithm("ES384")
            .send()
            .await,
    );
    assert_eq!(
        off.code, "OutboundWebIdentityFederationDisabledException",
        "{off:?}"
    );
    assert_eq!(off.status, 403);
    let issuer = root
        .enable_outbound_web_identity_federation()
        .send()
        .await
        .expect("EnableOutboundWebIdentityFederation")
        .issuer_identifier
        .unwrap();

    // The policy's conditions see the request's audiences and duration.
    let long = fail(
        user_sts
            .get_web_identity_token()
            .audience("https://api.example.com")
            .signing_algorithm("ES384")
            .duration_seconds(600)
            .send()
            .await,
    );
    assert_eq!(long.code, "AccessDenied", "{long:?}");
    let elsewhere = fail(
        user_sts
            .get_web_identity_token()
            .audience("https://evil.example.com")
            .signing_algorithm("ES384")
            .send()
            .await,
    );
    assert_eq!(elsewhere.code, "AccessDenied", "{elsewhere:?}");
    let bad_alg = fail(
        user_sts
            .get_web_identity_token()
            .audience("https://api.example.com")
            .signing_algorithm("HS256")
            .send()
            .await,
    );
    assert_eq!(bad_alg.code, "ValidationError", "{bad_alg:?}");

    let before = now_epoch();
    let out = user_sts
        .get_web_identity_token()
        .audience("https://api.example.com")
        .signing_algorithm("ES384")
        .duration_seconds(120)
        .tags(
            Tag::builder()
                .key("job")
                .value("export-42")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("GetWebIdentityToken");
    let token = out.web_identity_token().unwrap();
    assert_eq!(decode_header(token).unwrap().alg, Algorithm::ES384);
    let claims = verify(&server, &issuer, token, "https://api.example.com");
    let arn = format!("arn:aws:iam::{ACCOUNT}:user/exporter");
    assert_eq!(claims["iss"], issuer.as_str());
    assert_eq!(claims["sub"], arn.as_str());
    assert_eq!(claims["aud"], "https://api.example.com");
    let iat = claims["iat"].as_i64().unwrap();
    assert!((before - 5..=now_epoch() + 5).contains(&iat), "{claims}");
    assert_eq!(claims["exp"].as_i64().unwrap(), iat + 120);
    assert_eq!(out.expiration().unwrap().secs(), iat + 120);
    let aws = &claims["https://sts.amazonaws.com/"];
    assert_eq!(aws["aws_account"], ACCOUNT);
    assert_eq!(aws["principal_id"], arn.as_str());
    assert_eq!(aws["source_region"], "us-east-1");
    assert_eq!(aws["principal_tags"]["team"], "data");
    assert_eq!(aws["request_tags"]["job"], "export-42");

    // RS256 signs with the account's RSA key, published beside the P-384 one.
    let out = user_sts
        .get_web_identity_token()
        .audience("https://api.example.com")
        .signing_algorithm("RS256")
        .send()
        .await
        .expect("GetWebIdentityToken RS256");
    let token = out.web_identity_token().unwrap();
    assert_eq!(decode_header(token).unwrap().alg, Algorithm::RS256);
    let claims = verify(&server, &issuer, token, "https://api.example.com");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300,
        "the default duration"
    );

    // A token cannot outlive the role session that asks for it.
    role_with_policy(
        &root,
        "minter",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
        ),
        Some(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetWebIdentityToken","Resource":"*"}]}"#,
        ),
    )
    .await;
    let assumer = user(
        &root,
        "assumer",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
    )
    .await;
    let creds = sts_with(&server, &assumer.id, &assumer.secret)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/minter"))
        .role_session_name("mint")
        .duration_seconds(900)
        .send()
        .await
        .expect("AssumeRole")
        .credentials
        .unwrap();
    let role_sts = sts_session(&server, &creds);
    let escalation = fail(
        role_sts
            .get_web_identity_token()
            .audience("https://partner.example.com")
            .signing_algorithm("ES384")
            .duration_seconds(3600)
            .send()
            .await,
    );
    assert_eq!(
        escalation.code, "SessionDurationEscalationException",
        "{escalation:?}"
    );
    let out = role_sts
        .get_web_identity_token()
        .audience("https://partner.example.com")
        .signing_algorithm("ES384")
        .send()
        .await
        .expect("GetWebIdentityToken from a role session");
    let claims = verify(
        &server,
        &issuer,
        out.web_identity_token().unwrap(),
        "https://partner.example.com",
    );
    let role = format!("arn:aws:iam::{ACCOUNT}:role/minter");
    assert_eq!(claims["sub"], role.as_str());
    assert_eq!(
        claims["https://sts.amazonaws.com/"]["principal_id"],
        role.as_str()
    );

    // An issuer that is not the account's has no key set.
    let r = http_request(
        server.addr,
        "GET",
        "/_portcullis/outbound/00000000-0000-4000-8000-000000000000/.well-known/jwks.json",
        &[],
        b"",
    )
    .unwrap();
    assert_eq!(r.status, 404);
}
