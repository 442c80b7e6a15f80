//! STS and the enforcement of temporary credentials, end to end: a real `portcullis serve`
//! driven by the AWS SDK for Rust (and, where the SDK hides what matters, raw HTTP signed
//! with the server crate's SigV4 signer).
//!
//! Covered: the MFA-protected human roles of seed 000 (AICore-DataScientist-Role,
//! AICore-DataEngineer-Role) assumed with a virtual MFA device's TOTP codes (replayed and
//! wrong codes refused); a ReadOnlyAccess user; a permissions boundary capping a role that
//! has AdministratorAccess; session policies (inline and managed, PackedPolicySize, the size
//! limits); ExternalId; session tags as `aws:PrincipalTag/*` (sts:TagSession, role tags
//! overridden, transitive tags through role chaining); the one-hour cap of role chaining;
//! expired, forged and altered session tokens; GetCallerIdentity for every kind of principal;
//! GetSessionToken, GetFederationToken and GetAccessKeyInfo; AssumeRole's input errors;
//! DecodeAuthorizationMessage of the `x-portcullis-authorization-message` header;
//! SourceIdentity.
//!
//! Messages are AWS's, with their source next to the assertion.

#[macro_use]
mod common;

use aws_sdk_sts::operation::assume_role::AssumeRoleOutput;
use aws_sdk_sts::primitives::DateTime;
use aws_sdk_sts::types::{Credentials as Session, PolicyDescriptorType, Tag as SessionTag};
use common::*;
use portcullis_protocol::sigv4::{self, HttpRequest, SigningParams};
use portcullis_server::{KeyRing, SessionClaims, SessionPrincipal, totp_code};
use serde_json::{Value, json};

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// STS's answer to an expired session token (STS API reference, common errors; the aws CLI
/// prints it as `An error occurred (ExpiredToken) … The security token included in the
/// request is expired`).
const EXPIRED: &str = "The security token included in the request is expired";
/// STS's and IAM's answer to a token or key they do not know (aws/aws-cli#8918 shows IAM's
/// current body).
const INVALID_TOKEN: &str = "The security token included in the request is invalid";
/// AssumeRole and GetSessionToken with a wrong or reused one-time code: aws/aws-cli#2279
/// (`aws sts assume-role` run in a loop, so with a reused code),
/// step-security/wait-for-secrets#216.
const BAD_CODE: &str = "MultiFactorAuthentication failed with invalid MFA one time pass code.";
/// A serial number that is not one of the caller's devices (two spaces before "Please", as
/// AWS writes it): aws/aws-cli#6325, broamski/aws-mfa#25 (GetSessionToken), 99designs/aws-vault#676
/// (AssumeRole).
const NOT_YOUR_DEVICE: &str = "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.";
/// ValidationError of a chained AssumeRole asking for more than an hour (aws/eks-anywhere#9485,
/// prowler-cloud/prowler#7721, 99designs/aws-vault#263 all quote it).
const CHAINING_LIMIT: &str = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.";

// ---------------------------------------------------------------------------------------
// Names and documents
// ---------------------------------------------------------------------------------------

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}")
}

fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:user/{name}")
}

fn assumed_arn(role: &str, session: &str) -> String {
    format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/{session}")
}

fn account_root() -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:root")
}

/// A trust policy letting `principal` (an ARN) perform `actions`, under `condition`.
fn trust(principal: &str, actions: &[&str], condition: Option<Value>) -> String {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": actions,
    });
    if let Some(c) = condition {
        statement["Condition"] = c;
    }
    json!({"Version": "2012-10-17", "Statement": [statement]}).to_string()
}

/// A trust policy naming the account: its principals may assume the role when their own
/// policies allow it.
fn trust_account(actions: &[&str], condition: Option<Value>) -> String {
    trust(&account_root(), actions, condition)
}

/// An identity policy allowing `actions` on `resources`.
fn allow(actions: &[&str], resources: &[&str]) -> String {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": resources}
    ]})
    .to_string()
}

/// An identity policy allowing `actions` on everything under `condition`.
fn allow_if(actions: &[&str], condition: Value) -> String {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": "*", "Condition": condition}
    ]})
    .to_string()
}

// ---------------------------------------------------------------------------------------
// Setup helpers
// ---------------------------------------------------------------------------------------

/// Creates a role; returns its unique ID (`AROA…`).
async fn create_role(iam: &aws_sdk_iam::Client, name: &str, trust_policy: &str) -> String {
    let out = iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust_policy)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateRole {name}: {e:?}"));
    let role = out.role().expect("Role");
    assert_eq!(role.arn(), role_arn(name));
    role.role_id().to_string()
}

async fn put_role_policy(iam: &aws_sdk_iam::Client, role: &str, document: &str) {
    iam.put_role_policy()
        .role_name(role)
        .policy_name("inline")
        .policy_document(document)
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutRolePolicy {role}: {e:?}"));
}

async fn put_user_policy(iam: &aws_sdk_iam::Client, user: &str, document: &str) {
    iam.put_user_policy()
        .user_name(user)
        .policy_name("inline")
        .policy_document(document)
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutUserPolicy {user}: {e:?}"));
}

/// A user with an access key and an inline policy allowing `actions` on `resources`;
/// returns an STS client signed with its key.
async fn user_allowed(
    server: &Server,
    iam: &aws_sdk_iam::Client,
    name: &str,
    actions: &[&str],
    resources: &[&str],
) -> aws_sdk_sts::Client {
    let (key, secret) = user_with_key(iam, name).await;
    if !actions.is_empty() {
        put_user_policy(iam, name, &allow(actions, resources)).await;
    }
    sts_with(server, &key, &secret)
}

/// AssumeRole that must succeed.
async fn assume(sts: &aws_sdk_sts::Client, role: &str, session: &str) -> AssumeRoleOutput {
    sts.assume_role()
        .role_arn(role_arn(role))
        .role_session_name(session)
        .send()
        .await
        .unwrap_or_else(|e| panic!("AssumeRole {role}/{session}: {e:?}"))
}

/// The credentials of an AssumeRole answer.
fn session_of(out: &AssumeRoleOutput) -> Session {
    out.credentials().expect("Credentials").clone()
}

fn session_tag(key: &str, value: &str) -> SessionTag {
    SessionTag::builder()
        .key(key)
        .value(value)
        .build()
        .expect("a session tag has a key and a value")
}

fn policy_arn(arn: &str) -> PolicyDescriptorType {
    PolicyDescriptorType::builder().arn(arn).build()
}

/// PackedPolicySize of an AssumeRole answer. The SDK marks the member deprecated (replaced
/// by SessionTokenUtilization), but STS still answers it.
#[allow(deprecated)]
fn packed_size(out: &AssumeRoleOutput) -> Option<i32> {
    out.packed_policy_size()
}

/// Asserts the shape of temporary credentials and that they expire in about `seconds`.
#[track_caller]
fn assert_session(c: &Session, seconds: i64) {
    let id = c.access_key_id();
    assert!(
        id.len() == 20
            && id.starts_with("ASIA")
            && id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        "temporary access key ID {id}"
    );
    assert_eq!(c.secret_access_key().len(), 40, "length of the secret");
    assert!(!c.session_token().is_empty(), "a session token");
    assert_expires_in(c.expiration(), seconds);
}

/// Asserts that `t` is `seconds` from now (within a minute).
#[track_caller]
fn assert_expires_in(t: &DateTime, seconds: i64) {
    let want = now_epoch() + seconds;
    assert!(
        (t.secs() - want).abs() < 60,
        "Expiration {t} is not {seconds} s from now"
    );
}

/// Asserts an AccessDenied (403) with exactly this message.
#[track_caller]
fn assert_denied<E>(f: &Failure<E>, message: &str) {
    assert_eq!(
        (f.code.as_str(), f.status, f.message.as_str()),
        ("AccessDenied", 403, message),
        "{f:?}"
    );
}

/// Asserts a ValidationError (400) with exactly this message.
#[track_caller]
fn assert_validation<E>(f: &Failure<E>, message: &str) {
    assert_eq!(
        (f.code.as_str(), f.status, f.message.as_str()),
        ("ValidationError", 400, message),
        "{f:?}"
    );
}

/// Asserts an AccessDenied (403) of AssumeRole, sts:TagSession or sts:SetSourceIdentity: the
/// message is STS's sentence (see [`sts_denial`]). Whether anything follows it is checked
/// once, in `sts_denials_name_no_reason`.
#[track_caller]
fn assert_sts_denied<E>(f: &Failure<E>, caller_arn: &str, action: &str, role: &str) {
    assert_eq!((f.code.as_str(), f.status), ("AccessDenied", 403), "{f:?}");
    assert!(
        f.message.starts_with(&sts_denial(caller_arn, action, role)),
        "{f:?}"
    );
}

/// The message STS gives when a principal may not assume a role, pass tags or set a source
/// identity: no "because …" clause, and the same for a role that does not exist (so that
/// callers cannot tell roles that exist from roles that do not).
/// Seen: `User: arn:aws:sts::…:assumed-role/AssumeRoleWithAction/GitHub_to_AWS is not
/// authorized to perform: sts:AssumeRole on resource: arn:aws:iam::…:role/AssumeRoleWithAction`
/// (aws-actions/configure-aws-credentials#1219, December 2024), `… is not authorized to
/// perform: sts:SetSourceIdentity on resource: arn:aws:iam::…:role/IambicHubRole`
/// (noqdev/iambic#357), `… sts:TagSession on resource: …` (configure-aws-credentials#600).
fn sts_denial(caller_arn: &str, action: &str, role: &str) -> String {
    format!(
        "User: {caller_arn} is not authorized to perform: {action} on resource: {}",
        role_arn(role)
    )
}

// ---------------------------------------------------------------------------------------
// Virtual MFA
// ---------------------------------------------------------------------------------------

/// A virtual MFA device enabled for a user.
struct Device {
    serial: String,
    seed: String,
    /// The time step of the last code the server accepted.
    last_step: i64,
}

impl Device {
    /// The code an authenticator app shows during time step `step`.
    fn code(&self, step: i64) -> String {
        totp_code(&self.seed, step * 30)
    }

    /// The first code the server will accept after enabling: the next step's.
    fn next(&self) -> String {
        self.code(self.last_step + 1)
    }

    /// A well-formed code that is none of the codes of the steps around now.
    fn wrong(&self) -> String {
        let near: Vec<String> = (self.last_step - 4..=self.last_step + 4)
            .map(|s| self.code(s))
            .collect();
        (0..1000)
            .map(|n| format!("{:06}", n * 7919 % 1_000_000))
            .find(|c| !near.contains(c))
            .expect("a code that is not near")
    }
}

/// Creates a virtual MFA device and enables it for `user` with two consecutive codes (the
/// previous step's and the current one's, as a person would type them).
async fn enable_mfa(iam: &aws_sdk_iam::Client, user: &str) -> Device {
    let out = iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name(user)
        .send()
        .await
        .expect("CreateVirtualMFADevice");
    let d = out.virtual_mfa_device().expect("VirtualMFADevice");
    let serial = d.serial_number().to_string();
    assert_eq!(serial, format!("arn:aws:iam::{ACCOUNT_ID}:mfa/{user}"));
    let seed = String::from_utf8(
        d.base32_string_seed()
            .expect("Base32StringSeed")
            .as_ref()
            .to_vec(),
    )
    .expect("a Base32 seed is ASCII");
    let step = now_epoch() / 30;
    let device = Device {
        serial,
        seed,
        last_step: step,
    };
    iam.enable_mfa_device()
        .user_name(user)
        .serial_number(&device.serial)
        .authentication_code1(device.code(step - 1))
        .authentication_code2(device.code(step))
        .send()
        .await
        .expect("EnableMFADevice");
    device
}

// ---------------------------------------------------------------------------------------
// Raw requests
// ---------------------------------------------------------------------------------------

/// Temporary or long-term keys for a raw request.
struct Keys<'a> {
    id: &'a str,
    secret: &'a str,
    token: Option<&'a str>,
}

impl<'a> Keys<'a> {
    fn long_term(id: &'a str, secret: &'a str) -> Keys<'a> {
        Keys {
            id,
            secret,
            token: None,
        }
    }

    fn of(c: &'a Session) -> Keys<'a> {
        Keys {
            id: c.access_key_id(),
            secret: c.secret_access_key(),
            token: Some(c.session_token()),
        }
    }
}

/// POSTs a Query-protocol form for `service`, signed now with `keys`.
fn signed_post(
    server: &Server,
    service: &str,
    keys: &Keys<'_>,
    pairs: &[(&str, &str)],
) -> HttpResponse {
    let body = form(pairs);
    let host = server.addr.to_string();
    let headers = [("host", host.as_str()), ("content-type", FORM)];
    let request = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: body.as_bytes(),
    };
    let params = SigningParams {
        access_key_id: keys.id,
        secret_access_key: keys.secret,
        session_token: keys.token,
        region: "us-east-1",
        service,
        timestamp: now_epoch(),
    };
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    all.extend(sigv4::sign(&request, &params));
    http_request(server.addr, "POST", "/", &all, body.as_bytes()).expect("HTTP request")
}

/// STS GetCallerIdentity over raw HTTP.
fn raw_caller_identity(server: &Server, keys: &Keys<'_>) -> HttpResponse {
    signed_post(
        server,
        "sts",
        keys,
        &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
    )
}

/// Asserts an error answer: status, `<Code>` and `<Message>`.
#[track_caller]
fn assert_raw_error(r: &HttpResponse, status: u16, code: &str, message: &str) {
    let text = r.text();
    assert_eq!(r.status, status, "{text}");
    assert_eq!(r.xml("Code").as_deref(), Some(code), "{text}");
    assert_eq!(r.xml("Message").as_deref(), Some(message), "{text}");
}

// =======================================================================================
// 1. Seed 000: the human-assumable roles, configured with MFA
// =======================================================================================

/// Seed 000 documents AICore-DataScientist-Role and AICore-DataEngineer-Role as
/// "human-assumable roles … configure with" `aws sts assume-role --role-arn <role-arn>
/// --role-session-name <your-session-name> --duration-seconds 3600`, and asks for "MFA
/// Enforcement: Require MFA for assumable roles". The roles trust the account under
/// `aws:MultiFactorAuthPresent`; a user allowed to assume them has a virtual MFA device.
#[tokio::test]
async fn seed_000_human_roles_need_mfa() {
    let server = Server::start();
    let root = iam(&server);
    let scientist = "AICore-DataScientist-Role";
    let engineer = "AICore-DataEngineer-Role";
    let mfa = json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}});
    let scientist_id = create_role(
        &root,
        scientist,
        &trust_account(&["sts:AssumeRole"], Some(mfa.clone())),
    )
    .await;
    // The engineers' role also wants a recent code: at most five minutes old.
    create_role(
        &root,
        engineer,
        &trust_account(
            &["sts:AssumeRole"],
            Some(json!({
                "Bool": {"aws:MultiFactorAuthPresent": "true"},
                "NumericLessThan": {"aws:MultiFactorAuthAge": "300"},
            })),
        ),
    )
    .await;
    // What the data scientists may do once in the role: read roles, and only with MFA.
    put_role_policy(
        &root,
        scientist,
        &allow_if(
            &["iam:GetRole", "iam:ListRoles"],
            json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        ),
    )
    .await;
    let humans = [role_arn(scientist), role_arn(engineer)];
    let humans: Vec<&str> = humans.iter().map(String::as_str).collect();
    let alice = user_allowed(&server, &root, "alice", &["sts:AssumeRole"], &humans).await;
    let device = enable_mfa(&root, "alice").await;

    // The seed's command as written: no MFA, denied by the trust policy's condition.
    let f = rejects!(
        root,
        alice
            .assume_role()
            .role_arn(role_arn(scientist))
            .role_session_name("alice-analysis")
            .duration_seconds(3600)
            .send(),
        "AccessDenied"
    );
    assert_sts_denied(&f, &user_arn("alice"), "sts:AssumeRole", scientist);

    // A wrong code.
    let f = fail(
        alice
            .assume_role()
            .role_arn(role_arn(scientist))
            .role_session_name("alice-analysis")
            .duration_seconds(3600)
            .serial_number(&device.serial)
            .token_code(device.wrong())
            .send()
            .await,
    );
    assert_denied(&f, BAD_CODE);

    // The seed's command with --serial-number and --token-code.
    let code = device.next();
    let out = alice
        .assume_role()
        .role_arn(role_arn(scientist))
        .role_session_name("alice-analysis")
        .duration_seconds(3600)
        .serial_number(&device.serial)
        .token_code(&code)
        .send()
        .await
        .expect("AssumeRole with a valid MFA code");
    let user = out.assumed_role_user().expect("AssumedRoleUser");
    assert_eq!(user.arn(), assumed_arn(scientist, "alice-analysis"));
    assert_eq!(
        user.assumed_role_id(),
        format!("{scientist_id}:alice-analysis")
    );
    let session = session_of(&out);
    assert_session(&session, 3600);

    // The session is the role's, and carries the MFA facts into its own calls.
    let who = sts_session(&server, &session)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    assert_eq!(
        who.arn(),
        Some(assumed_arn(scientist, "alice-analysis").as_str())
    );
    assert_eq!(
        who.user_id(),
        Some(format!("{scientist_id}:alice-analysis").as_str())
    );
    assert_eq!(who.account(), Some(ACCOUNT_ID));
    let as_scientist = iam_session(&server, &session);
    let got = as_scientist
        .get_role()
        .role_name(scientist)
        .send()
        .await
        .expect("GetRole in the MFA session");
    assert_eq!(got.role().map(|r| r.role_id()), Some(scientist_id.as_str()));
    as_scientist
        .list_roles()
        .send()
        .await
        .expect("ListRoles in the MFA session");

    // The same code again: a one-time code is accepted once.
    let f = fail(
        alice
            .assume_role()
            .role_arn(role_arn(scientist))
            .role_session_name("alice-again")
            .serial_number(&device.serial)
            .token_code(&code)
            .send()
            .await,
    );
    assert_denied(&f, BAD_CODE);
    // Nor an older one.
    let f = fail(
        alice
            .assume_role()
            .role_arn(role_arn(scientist))
            .role_session_name("alice-again")
            .serial_number(&device.serial)
            .token_code(device.code(device.last_step))
            .send()
            .await,
    );
    assert_denied(&f, BAD_CODE);

    // A device that is not the caller's: bob types alice's serial number and her code.
    let bob = user_allowed(&server, &root, "bob", &["sts:AssumeRole"], &humans).await;
    let f = fail(
        bob.assume_role()
            .role_arn(role_arn(engineer))
            .role_session_name("bob")
            .serial_number(&device.serial)
            .token_code(device.code(device.last_step + 2))
            .send()
            .await,
    );
    assert_denied(&f, NOT_YOUR_DEVICE);
    // A serial number that names no device at all.
    let f = fail(
        bob.assume_role()
            .role_arn(role_arn(engineer))
            .role_session_name("bob")
            .serial_number(format!("arn:aws:iam::{ACCOUNT_ID}:mfa/nobody"))
            .token_code("123456")
            .send()
            .await,
    );
    assert_denied(&f, NOT_YOUR_DEVICE);

    // Bob with his own device: the engineers' role (MFA at most five minutes old).
    let bobs = enable_mfa(&root, "bob").await;
    let f = fail(
        bob.assume_role()
            .role_arn(role_arn(engineer))
            .role_session_name("bob-etl")
            .send()
            .await,
    );
    assert_sts_denied(&f, &user_arn("bob"), "sts:AssumeRole", engineer);
    let out = bob
        .assume_role()
        .role_arn(role_arn(engineer))
        .role_session_name("bob-etl")
        .duration_seconds(3600)
        .serial_number(&bobs.serial)
        .token_code(bobs.next())
        .send()
        .await
        .expect("AssumeRole of the engineers' role with MFA");
    assert_eq!(
        out.assumed_role_user().map(|u| u.arn()),
        Some(assumed_arn(engineer, "bob-etl").as_str())
    );
}

/// GetSessionToken with MFA gives a session that carries the MFA: it may call IAM and assume
/// MFA-protected roles without a code; without MFA it may do neither.
#[tokio::test]
async fn get_session_token_with_mfa_carries_it() {
    let server = Server::start();
    let root = iam(&server);
    let role = "MfaOnly";
    create_role(
        &root,
        role,
        &trust_account(
            &["sts:AssumeRole"],
            Some(json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
        ),
    )
    .await;
    let carol = user_allowed(
        &server,
        &root,
        "carol",
        &["sts:AssumeRole", "iam:ListRoles"],
        &["*"],
    )
    .await;
    let device = enable_mfa(&root, "carol").await;

    // Without MFA: the session is the user's, but cannot assume the MFA role.
    let plain = carol
        .get_session_token()
        .send()
        .await
        .expect("GetSessionToken");
    let plain = plain.credentials().expect("Credentials").clone();
    assert_session(&plain, 43_200); // 12 hours by default (STS API reference)
    let plain_sts = sts_session(&server, &plain);
    let f = fail(
        plain_sts
            .assume_role()
            .role_arn(role_arn(role))
            .role_session_name("s1")
            .send()
            .await,
    );
    assert_sts_denied(&f, &user_arn("carol"), "sts:AssumeRole", role);

    // With MFA.
    let mfa = carol
        .get_session_token()
        .duration_seconds(900)
        .serial_number(&device.serial)
        .token_code(device.next())
        .send()
        .await
        .expect("GetSessionToken with MFA");
    let mfa = mfa.credentials().expect("Credentials").clone();
    assert_session(&mfa, 900);
    // IAM answers an MFA session (STS API reference, GetSessionToken).
    iam_session(&server, &mfa)
        .list_roles()
        .send()
        .await
        .expect("ListRoles with an MFA session");
    // And the MFA-protected role can be assumed without typing a code again.
    let out = sts_session(&server, &mfa)
        .assume_role()
        .role_arn(role_arn(role))
        .role_session_name("carol-mfa")
        .duration_seconds(3600)
        .send()
        .await
        .expect("AssumeRole with an MFA session");
    assert_session(&session_of(&out), 3600);
}

/// Session credentials cannot get more session credentials: AccessDenied "Cannot call
/// GetSessionToken with session credentials" and "Cannot call GetFederationToken with session
/// credentials", from GetSessionToken sessions and role sessions alike (aws/aws-sdk-net#1704,
/// aws/aws-sdk-php#1876, aws/aws-sdk-js#3670 from an instance role, apache/hadoop#6538 from an
/// assumed role, fwdcloudsec/granted#151 for GetFederationToken). Every mismatch is listed
/// before failing.
#[tokio::test]
async fn session_credentials_cannot_get_session_tokens() {
    let server = Server::start();
    let root = iam(&server);
    create_role(&root, "Worker", &trust_account(&["sts:AssumeRole"], None)).await;
    put_role_policy(&root, "Worker", &allow(&["sts:*"], &["*"])).await;
    let u = user_allowed(
        &server,
        &root,
        "frank",
        &["sts:AssumeRole", "sts:GetFederationToken"],
        &["*"],
    )
    .await;
    let gst = u.get_session_token().send().await.expect("GetSessionToken");
    let gst = sts_session(&server, gst.credentials().expect("Credentials"));
    let role = sts_session(&server, &session_of(&assume(&u, "Worker", "worker").await));
    let mut mismatches = Vec::new();
    for (who, client) in [("GetSessionToken session", &gst), ("role session", &role)] {
        let f = fail(client.get_session_token().send().await);
        let want = "Cannot call GetSessionToken with session credentials";
        if (f.code.as_str(), f.status, f.message.as_str()) != ("AccessDenied", 403, want) {
            mismatches.push(format!(
                "{who} → GetSessionToken: got {f:?}; want AccessDenied (403): {want}"
            ));
        }
        let f = fail(client.get_federation_token().name("fed").send().await);
        let want = "Cannot call GetFederationToken with session credentials";
        if (f.code.as_str(), f.status, f.message.as_str()) != ("AccessDenied", 403, want) {
            mismatches.push(format!(
                "{who} → GetFederationToken: got {f:?}; want AccessDenied (403): {want}"
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "(session credentials calling GetSessionToken/GetFederationToken):\n{}",
        mismatches.join("\n")
    );
}

/// IAM refuses GetSessionToken credentials obtained without MFA: AWS answers
/// InvalidClientTokenId, "The security token included in the request is invalid" (403), not
/// AccessDenied. Sources: STS API reference, GetSessionToken ("You cannot call any IAM API
/// operations unless MFA authentication information is included in the request"), and the
/// answers users get: 99designs/aws-vault#15 (confirmed by AWS support as expected
/// behaviour), #328, #1056, aws/aws-sdk-js#460.
#[tokio::test]
async fn get_session_token_without_mfa_cannot_call_iam() {
    let server = Server::start();
    let root = iam(&server);
    let dave = user_allowed(&server, &root, "dave", &["iam:*"], &["*"]).await;
    let session = dave
        .get_session_token()
        .send()
        .await
        .expect("GetSessionToken");
    let session = session.credentials().expect("Credentials").clone();
    // The same user, with its long-term key, may list roles.
    let f = fail(iam_session(&server, &session).list_roles().send().await);
    assert_eq!(
        (f.code.as_str(), f.status, f.message.as_str()),
        ("InvalidClientTokenId", 403, INVALID_TOKEN),
        "(GetSessionToken session without MFA calling IAM): {f:?}"
    );
}

/// AssumeRole called with GetSessionToken credentials is capped at one hour like role
/// chaining: AWS answers the chaining ValidationError to a longer DurationSeconds even for a
/// role whose MaxSessionDuration allows it. Sources: 99designs/aws-vault#263 and #800 (the
/// maintainer: "when chaining MFA (i.e. using the session token …), a maximum of 1h is
/// allowed by AWS"), aws-vault PR #240, mmmorris1975/aws-runas#11 ("trying to get them using
/// session token credentials still caps that at 1 hour … The requested DurationSeconds
/// exceeds the 1 hour session limit for roles assumed by role chaining."), ByteNess/aws-vault#290.
#[tokio::test]
async fn assume_role_with_session_token_credentials_is_capped_at_an_hour() {
    let server = Server::start();
    let root = iam(&server);
    root.create_role()
        .role_name("LongSessions")
        .assume_role_policy_document(trust_account(&["sts:AssumeRole"], None))
        .max_session_duration(43_200)
        .send()
        .await
        .expect("CreateRole");
    let erin = user_allowed(&server, &root, "erin", &["sts:AssumeRole"], &["*"]).await;
    // With the long-term key, 12 hours are fine.
    let out = erin
        .assume_role()
        .role_arn(role_arn("LongSessions"))
        .role_session_name("direct")
        .duration_seconds(43_200)
        .send()
        .await
        .expect("AssumeRole for 12 hours with a long-term key");
    assert_session(&session_of(&out), 43_200);
    let session = erin
        .get_session_token()
        .send()
        .await
        .expect("GetSessionToken");
    let session = session.credentials().expect("Credentials").clone();
    let via_session = sts_session(&server, &session);
    let out = via_session
        .assume_role()
        .role_arn(role_arn("LongSessions"))
        .role_session_name("one-hour")
        .duration_seconds(3600)
        .send()
        .await
        .expect("AssumeRole for an hour with GetSessionToken credentials");
    assert_session(&session_of(&out), 3600);
    let result = via_session
        .assume_role()
        .role_arn(role_arn("LongSessions"))
        .role_session_name("two-hours")
        .duration_seconds(7200)
        .send()
        .await;
    let f = match result {
        Ok(out) => panic!(
            "(AssumeRole with GetSessionToken credentials, DurationSeconds=7200): \
             issued a session expiring at {:?}; AWS answers ValidationError \"{CHAINING_LIMIT}\"",
            out.credentials().map(|c| c.expiration())
        ),
        Err(e) => fail::<(), _>(Err(e)),
    };
    assert_validation(&f, CHAINING_LIMIT);
}

// =======================================================================================
// 2. ReadOnlyAccess
// =======================================================================================

/// A user with only ReadOnlyAccess reads roles but may not create or delete them; the
/// messages are AWS's ("… because no identity-based policy allows the iam:CreateRole
/// action": IAM User Guide, "Troubleshoot access denied error messages").
#[tokio::test]
async fn read_only_user_lists_roles_but_cannot_create_them() {
    let server = Server::start();
    let root = iam(&server);
    create_role(&root, "Existing", TRUST_EC2).await;
    let (key, secret) = user_with_key(&root, "reader").await;
    root.attach_user_policy()
        .user_name("reader")
        .policy_arn(aws_policy("ReadOnlyAccess"))
        .send()
        .await
        .expect("AttachUserPolicy");
    let reader = iam_with(&server, &key, &secret);

    let roles = all_role_names(&reader).await;
    assert_eq!(roles, ["Existing"]);
    reader
        .get_role()
        .role_name("Existing")
        .send()
        .await
        .expect("GetRole");
    reader.list_users().send().await.expect("ListUsers");
    reader
        .list_attached_user_policies()
        .user_name("reader")
        .send()
        .await
        .expect("ListAttachedUserPolicies");

    let f = rejects!(
        root,
        reader
            .create_role()
            .role_name("NewRole")
            .assume_role_policy_document(TRUST_EC2)
            .send(),
        "AccessDenied"
    );
    assert_denied(
        &f,
        &format!(
            "User: {} is not authorized to perform: iam:CreateRole on resource: {} because no identity-based policy allows the iam:CreateRole action",
            user_arn("reader"),
            role_arn("NewRole")
        ),
    );
    // With a path, the resource is the ARN with the path.
    let f = rejects!(
        root,
        reader
            .create_role()
            .role_name("NewRole")
            .path("/team/")
            .assume_role_policy_document(TRUST_EC2)
            .send(),
        "AccessDenied"
    );
    assert_denied(
        &f,
        &format!(
            "User: {} is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::{ACCOUNT_ID}:role/team/NewRole because no identity-based policy allows the iam:CreateRole action",
            user_arn("reader")
        ),
    );
    // An existing role is named "role NAME".
    let f = rejects!(
        root,
        reader.delete_role().role_name("Existing").send(),
        "AccessDenied"
    );
    assert_denied(
        &f,
        &format!(
            "User: {} is not authorized to perform: iam:DeleteRole on resource: role Existing because no identity-based policy allows the iam:DeleteRole action",
            user_arn("reader")
        ),
    );
    // ReadOnlyAccess does not include sts:AssumeRole.
    let reader_sts = sts_with(&server, &key, &secret);
    let f = fail(
        reader_sts
            .assume_role()
            .role_arn(role_arn("Existing"))
            .role_session_name("r1")
            .send()
            .await,
    );
    assert_sts_denied(&f, &user_arn("reader"), "sts:AssumeRole", "Existing");
}

// =======================================================================================
// 3. Permissions boundary
// =======================================================================================

/// A role with AdministratorAccess and a boundary allowing only iam:Get* and iam:List*: its
/// sessions read but do not write ("because no permissions boundary allows the
/// iam:CreateUser action"); removing the boundary takes effect at once.
#[tokio::test]
async fn permissions_boundary_caps_an_administrator_role() {
    let server = Server::start();
    let root = iam(&server);
    root.create_policy()
        .policy_name("GetListOnly")
        .policy_document(allow(&["iam:Get*", "iam:List*"], &["*"]))
        .send()
        .await
        .expect("CreatePolicy");
    root.create_role()
        .role_name("Capped")
        .assume_role_policy_document(trust_account(&["sts:AssumeRole"], None))
        .permissions_boundary(local_policy("GetListOnly"))
        .send()
        .await
        .expect("CreateRole with a boundary");
    root.attach_role_policy()
        .role_name("Capped")
        .policy_arn(aws_policy("AdministratorAccess"))
        .send()
        .await
        .expect("AttachRolePolicy");
    let dev = user_allowed(
        &server,
        &root,
        "dev",
        &["sts:AssumeRole"],
        &[&role_arn("Capped")],
    )
    .await;
    let session = session_of(&assume(&dev, "Capped", "capped").await);
    let capped = iam_session(&server, &session);

    capped
        .get_role()
        .role_name("Capped")
        .send()
        .await
        .expect("GetRole");
    capped.list_roles().send().await.expect("ListRoles");
    capped
        .get_user()
        .user_name("dev")
        .send()
        .await
        .expect("GetUser");
    capped
        .get_policy()
        .policy_arn(local_policy("GetListOnly"))
        .send()
        .await
        .expect("GetPolicy");

    let who = assumed_arn("Capped", "capped");
    let f = rejects!(
        root,
        capped.create_user().user_name("intruder").send(),
        "AccessDenied"
    );
    assert_denied(
        &f,
        &format!(
            "User: {who} is not authorized to perform: iam:CreateUser on resource: {} because no permissions boundary allows the iam:CreateUser action",
            user_arn("intruder")
        ),
    );
    let f = rejects!(
        root,
        capped
            .delete_role_permissions_boundary()
            .role_name("Capped")
            .send(),
        "AccessDenied"
    );
    assert_denied(
        &f,
        &format!(
            "User: {who} is not authorized to perform: iam:DeleteRolePermissionsBoundary on resource: role Capped because no permissions boundary allows the iam:DeleteRolePermissionsBoundary action"
        ),
    );

    // Policies are evaluated at each request: without the boundary, the same session is an
    // administrator.
    root.delete_role_permissions_boundary()
        .role_name("Capped")
        .send()
        .await
        .expect("DeleteRolePermissionsBoundary");
    capped
        .create_user()
        .user_name("intruder")
        .send()
        .await
        .expect("CreateUser once the boundary is gone");
}

// =======================================================================================
// 4. Session policies
// =======================================================================================

/// Session policies narrow a role session: the inline `Policy`, managed `PolicyArns`, both
/// (either may allow), an explicit deny, and never more than the role allows. The sizes:
/// PackedPolicySize, a policy over 2,048 characters, tags over the packed limit.
#[tokio::test]
async fn session_policies_narrow_role_sessions() {
    let server = Server::start();
    let root = iam(&server);
    create_role(
        &root,
        "Broad",
        &trust_account(&["sts:AssumeRole", "sts:TagSession"], None),
    )
    .await;
    root.attach_role_policy()
        .role_name("Broad")
        .policy_arn(aws_policy("AdministratorAccess"))
        .send()
        .await
        .expect("AttachRolePolicy");
    create_role(&root, "Narrow", &trust_account(&["sts:AssumeRole"], None)).await;
    put_role_policy(&root, "Narrow", &allow(&["iam:GetRole"], &["*"])).await;
    root.create_policy()
        .policy_name("OnlyListUsers")
        .policy_document(allow(&["iam:ListUsers"], &["*"]))
        .send()
        .await
        .expect("CreatePolicy");
    let sp = user_allowed(
        &server,
        &root,
        "sp",
        &["sts:AssumeRole", "sts:TagSession"],
        &["*"],
    )
    .await;

    // Inline: only iam:GetRole.
    let out = sp
        .assume_role()
        .role_arn(role_arn("Broad"))
        .role_session_name("narrowed")
        .policy(allow(&["iam:GetRole"], &["*"]))
        .send()
        .await
        .expect("AssumeRole with Policy");
    let packed = packed_size(&out).expect("PackedPolicySize with a session policy");
    assert!((1..=100).contains(&packed), "PackedPolicySize {packed}");
    let narrowed = iam_session(&server, &session_of(&out));
    narrowed
        .get_role()
        .role_name("Broad")
        .send()
        .await
        .expect("GetRole");
    let who = assumed_arn("Broad", "narrowed");
    let f = rejects!(root, narrowed.list_roles().send(), "AccessDenied");
    assert_denied(
        &f,
        &format!(
            "User: {who} is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::{ACCOUNT_ID}:role/ because no session policy allows the iam:ListRoles action"
        ),
    );

    // Managed: IAMReadOnlyAccess.
    let out = sp
        .assume_role()
        .role_arn(role_arn("Broad"))
        .role_session_name("managed")
        .policy_arns(policy_arn(&aws_policy("IAMReadOnlyAccess")))
        .send()
        .await
        .expect("AssumeRole with PolicyArns");
    let packed = packed_size(&out).expect("PackedPolicySize with managed session policies");
    assert!((1..=100).contains(&packed), "PackedPolicySize {packed}");
    let managed = iam_session(&server, &session_of(&out));
    managed.list_roles().send().await.expect("ListRoles");
    let f = rejects!(
        root,
        managed
            .create_role()
            .role_name("Sneaky")
            .assume_role_policy_document(TRUST_EC2)
            .send(),
        "AccessDenied"
    );
    assert_denied(
        &f,
        &format!(
            "User: {} is not authorized to perform: iam:CreateRole on resource: {} because no session policy allows the iam:CreateRole action",
            assumed_arn("Broad", "managed"),
            role_arn("Sneaky")
        ),
    );

    // Both: what either allows.
    let out = sp
        .assume_role()
        .role_arn(role_arn("Broad"))
        .role_session_name("both")
        .policy(allow(&["iam:GetRole"], &["*"]))
        .policy_arns(policy_arn(&local_policy("OnlyListUsers")))
        .send()
        .await
        .expect("AssumeRole with Policy and PolicyArns");
    let both = iam_session(&server, &session_of(&out));
    both.get_role()
        .role_name("Broad")
        .send()
        .await
        .expect("GetRole (inline session policy)");
    both.list_users()
        .send()
        .await
        .expect("ListUsers (managed session policy)");
    let f = rejects!(root, both.list_roles().send(), "AccessDenied");
    assert!(
        f.message
            .ends_with("because no session policy allows the iam:ListRoles action"),
        "{f:?}"
    );

    // An explicit deny in the session policy.
    let deny = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:GetRole", "Resource": "*"},
    ]})
    .to_string();
    let out = sp
        .assume_role()
        .role_arn(role_arn("Broad"))
        .role_session_name("denied")
        .policy(deny)
        .send()
        .await
        .expect("AssumeRole with a denying Policy");
    let denied = iam_session(&server, &session_of(&out));
    denied.list_roles().send().await.expect("ListRoles");
    let f = rejects!(
        root,
        denied.get_role().role_name("Broad").send(),
        "AccessDenied"
    );
    assert_denied(
        &f,
        &format!(
            "User: {} is not authorized to perform: iam:GetRole on resource: role Broad with an explicit deny in a session policy",
            assumed_arn("Broad", "denied")
        ),
    );

    // A session policy never grants more than the role has.
    let out = sp
        .assume_role()
        .role_arn(role_arn("Narrow"))
        .role_session_name("wide")
        .policy(allow(&["iam:*"], &["*"]))
        .send()
        .await
        .expect("AssumeRole of Narrow with a wide Policy");
    let wide = iam_session(&server, &session_of(&out));
    wide.get_role()
        .role_name("Narrow")
        .send()
        .await
        .expect("GetRole");
    let f = rejects!(root, wide.list_roles().send(), "AccessDenied");
    assert_denied(
        &f,
        &format!(
            "User: {} is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::{ACCOUNT_ID}:role/ because no identity-based policy allows the iam:ListRoles action",
            assumed_arn("Narrow", "wide")
        ),
    );

    // Over the limits. The inline session policy may have at most 2,048 characters (STS API
    // reference, AssumeRole: Policy, "Length Constraints: Minimum length of 1. Maximum length
    // of 2048."): a longer one is a ValidationError of the `policy` member.
    let actions: Vec<String> = (0..120).map(|i| format!("iam:GetRole{i:04}")).collect();
    let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
    let long = allow(&actions, &["*"]);
    assert!(long.len() > 2048, "{}", long.len());
    let f = fail(
        sp.assume_role()
            .role_arn(role_arn("Broad"))
            .role_session_name("too-long")
            .policy(&long)
            .send()
            .await,
    );
    assert_eq!(
        (f.code.as_str(), f.status),
        ("ValidationError", 400),
        "{f:?}"
    );
    assert!(
        f.message.starts_with("1 validation error detected: ")
            && f.message.ends_with(
                "at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048"
            ),
        "{f:?}"
    );
    // Tags within their own limits (50 tags, keys of 128 and values of 256 characters) but
    // far over the packed limit: PackedPolicyTooLarge, "Packed size of session tags consumes
    // N% of allotted space." (AWS Knowledge Center, "How can I avoid getting a
    // PackedPolicyTooLarge error when I assume an IAM role via AWS STS?").
    let tags: Vec<SessionTag> = (0..50)
        .map(|i| {
            session_tag(
                &format!(
                    "k{i:02}{}",
                    random_string(b"abcdefghijklmnopqrstuvwxyz", 125)
                ),
                &random_string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 256),
            )
        })
        .collect();
    let f = fail(
        sp.assume_role()
            .role_arn(role_arn("Broad"))
            .role_session_name("too-many-tags")
            .set_tags(Some(tags))
            .send()
            .await,
    );
    assert_eq!(
        (f.code.as_str(), f.status),
        ("PackedPolicyTooLarge", 400),
        "{f:?}"
    );
    let percent = f
        .message
        .strip_prefix("Packed size of session tags consumes ")
        .and_then(|rest| rest.strip_suffix("% of allotted space."))
        .and_then(|n| n.parse::<u32>().ok());
    assert!(
        percent.is_some_and(|p| p > 100),
        "(PackedPolicyTooLarge message): {f:?}"
    );
}

/// AssumeRole answers PackedPolicySize only when the request has session policies or tags
/// (STS API reference, AssumeRole response: "A percentage value that indicates the packed
/// size of the session policies and session tags combined passed in the request"; the aws CLI
/// reference's `assume-role` example output has only Credentials and AssumedRoleUser).
#[tokio::test]
async fn packed_policy_size_only_with_session_policies_or_tags() {
    let server = Server::start();
    let root = iam(&server);
    create_role(&root, "Plain", &trust_account(&["sts:AssumeRole"], None)).await;
    let u = user_allowed(&server, &root, "plain-user", &["sts:AssumeRole"], &["*"]).await;
    let out = assume(&u, "Plain", "plain").await;
    assert_eq!(
        packed_size(&out),
        None,
        "(PackedPolicySize without session policies or tags)"
    );
}

// =======================================================================================
// 5. ExternalId
// =======================================================================================

/// A trust policy requiring `sts:ExternalId` (IAM User Guide, "Access to AWS accounts owned
/// by third parties"): denied without it or with another, allowed with it.
#[tokio::test]
async fn external_id_is_required_by_the_trust_policy() {
    let server = Server::start();
    let root = iam(&server);
    create_role(
        &root,
        "ThirdParty",
        &trust_account(
            &["sts:AssumeRole"],
            Some(json!({"StringEquals": {"sts:ExternalId": "Unique-ID-7f3a9"}})),
        ),
    )
    .await;
    let vendor = user_allowed(
        &server,
        &root,
        "vendor",
        &["sts:AssumeRole"],
        &[&role_arn("ThirdParty")],
    )
    .await;
    let vendor_arn = user_arn("vendor");

    let f = rejects!(
        root,
        vendor
            .assume_role()
            .role_arn(role_arn("ThirdParty"))
            .role_session_name("v1")
            .send(),
        "AccessDenied"
    );
    assert_sts_denied(&f, &vendor_arn, "sts:AssumeRole", "ThirdParty");
    for wrong in ["Unique-ID-7f3a8", "unique-id-7f3a9"] {
        let f = fail(
            vendor
                .assume_role()
                .role_arn(role_arn("ThirdParty"))
                .role_session_name("v1")
                .external_id(wrong)
                .send()
                .await,
        );
        assert_sts_denied(&f, &vendor_arn, "sts:AssumeRole", "ThirdParty");
    }
    let out = vendor
        .assume_role()
        .role_arn(role_arn("ThirdParty"))
        .role_session_name("v1")
        .external_id("Unique-ID-7f3a9")
        .send()
        .await
        .expect("AssumeRole with the right ExternalId");
    assert_session(&session_of(&out), 3600);
    assert_eq!(
        out.assumed_role_user().map(|u| u.arn()),
        Some(assumed_arn("ThirdParty", "v1").as_str())
    );
}

// =======================================================================================
// 6. Session tags
// =======================================================================================

/// Session tags become `aws:PrincipalTag/*` of the session, overriding the role's own tags
/// (keys compared without case: STS API reference, AssumeRole, Tags); passing them needs
/// `sts:TagSession` in the trust policy and, when the trust policy names the account, in
/// the caller's policy.
#[tokio::test]
async fn session_tags_are_principal_tags() {
    let server = Server::start();
    let root = iam(&server);
    let ml_only = allow_if(
        &["iam:GetRole"],
        json!({"StringEquals": {"aws:PrincipalTag/team": "ml"}}),
    );
    create_role(
        &root,
        "Tagged",
        &trust_account(&["sts:AssumeRole", "sts:TagSession"], None),
    )
    .await;
    put_role_policy(&root, "Tagged", &ml_only).await;
    root.tag_role()
        .role_name("Tagged")
        .tags(tag("team", "data"))
        .send()
        .await
        .expect("TagRole");
    create_role(
        &root,
        "Untaggable",
        &trust_account(&["sts:AssumeRole"], None),
    )
    .await;
    put_role_policy(&root, "Untaggable", &ml_only).await;
    let tagger = user_allowed(
        &server,
        &root,
        "tagger",
        &["sts:AssumeRole", "sts:TagSession"],
        &["*"],
    )
    .await;

    // team=ml: allowed.
    let out = tagger
        .assume_role()
        .role_arn(role_arn("Tagged"))
        .role_session_name("ml")
        .tags(session_tag("team", "ml"))
        .send()
        .await
        .expect("AssumeRole with team=ml");
    let packed = packed_size(&out).expect("PackedPolicySize with session tags");
    assert!((1..=100).contains(&packed), "PackedPolicySize {packed}");
    iam_session(&server, &session_of(&out))
        .get_role()
        .role_name("Tagged")
        .send()
        .await
        .expect("GetRole with aws:PrincipalTag/team = ml");

    // team=data, and no tag (the role's own team=data): denied.
    let out = tagger
        .assume_role()
        .role_arn(role_arn("Tagged"))
        .role_session_name("data")
        .tags(session_tag("team", "data"))
        .send()
        .await
        .expect("AssumeRole with team=data");
    let f = rejects!(
        root,
        iam_session(&server, &session_of(&out))
            .get_role()
            .role_name("Tagged")
            .send(),
        "AccessDenied"
    );
    assert_denied(
        &f,
        &format!(
            "User: {} is not authorized to perform: iam:GetRole on resource: role Tagged because no identity-based policy allows the iam:GetRole action",
            assumed_arn("Tagged", "data")
        ),
    );
    let untagged = session_of(&assume(&tagger, "Tagged", "untagged").await);
    let f = fail(
        iam_session(&server, &untagged)
            .get_role()
            .role_name("Tagged")
            .send()
            .await,
    );
    assert_eq!(f.code, "AccessDenied", "{f:?}");

    // The role's tag is a principal tag; a session tag with the same key in another case
    // overrides it.
    root.tag_role()
        .role_name("Tagged")
        .tags(tag("team", "ml"))
        .send()
        .await
        .expect("TagRole team=ml");
    let role_tagged = session_of(&assume(&tagger, "Tagged", "role-tag").await);
    iam_session(&server, &role_tagged)
        .get_role()
        .role_name("Tagged")
        .send()
        .await
        .expect("GetRole with the role's tag team=ml");
    let out = tagger
        .assume_role()
        .role_arn(role_arn("Tagged"))
        .role_session_name("override")
        .tags(session_tag("Team", "data"))
        .send()
        .await
        .expect("AssumeRole with Team=data");
    let f = fail(
        iam_session(&server, &session_of(&out))
            .get_role()
            .role_name("Tagged")
            .send()
            .await,
    );
    assert_eq!(
        f.code, "AccessDenied",
        "the session tag overrides the role tag: {f:?}"
    );

    // Without sts:TagSession in the trust policy, tags are refused (untagged is fine).
    let f = rejects!(
        root,
        tagger
            .assume_role()
            .role_arn(role_arn("Untaggable"))
            .role_session_name("t1")
            .tags(session_tag("team", "ml"))
            .send(),
        "AccessDenied"
    );
    assert_sts_denied(&f, &user_arn("tagger"), "sts:TagSession", "Untaggable");
    assume(&tagger, "Untaggable", "t1").await;

    // Without sts:TagSession in the caller's policy (the trust policy names the account).
    let only_assume =
        user_allowed(&server, &root, "only-assume", &["sts:AssumeRole"], &["*"]).await;
    let f = fail(
        only_assume
            .assume_role()
            .role_arn(role_arn("Tagged"))
            .role_session_name("t1")
            .tags(session_tag("team", "ml"))
            .send()
            .await,
    );
    assert_sts_denied(&f, &user_arn("only-assume"), "sts:TagSession", "Tagged");

    // Tag keys are case-insensitive: two that differ only in case are refused (STS's
    // InvalidParameterValue for duplicate keys).
    let f = fail(
        tagger
            .assume_role()
            .role_arn(role_arn("Tagged"))
            .role_session_name("dup")
            .tags(session_tag("team", "ml"))
            .tags(session_tag("TEAM", "ml"))
            .send()
            .await,
    );
    assert_eq!(
        (f.code.as_str(), f.status, f.message.as_str()),
        (
            "InvalidParameterValue",
            400,
            "Duplicate tag keys found. Please note that Tag keys are case insensitive."
        ),
        "{f:?}"
    );
}

/// Transitive tags pass to the next session of a role chain, other tags do not, and an
/// inherited tag cannot be passed again with another value ("If you pass a session tag with
/// the same key as an inherited tag, the operation fails": STS API reference, AssumeRole,
/// Tags).
#[tokio::test]
async fn transitive_tags_survive_role_chaining() {
    let server = Server::start();
    let root = iam(&server);
    create_role(
        &root,
        "First",
        &trust_account(&["sts:AssumeRole", "sts:TagSession"], None),
    )
    .await;
    put_role_policy(
        &root,
        "First",
        &allow(
            &["sts:AssumeRole", "sts:TagSession"],
            &[&role_arn("Second")],
        ),
    )
    .await;
    create_role(
        &root,
        "Second",
        &trust(
            &role_arn("First"),
            &["sts:AssumeRole", "sts:TagSession"],
            None,
        ),
    )
    .await;
    put_role_policy(
        &root,
        "Second",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ml"}}},
            {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/project": "apollo"}}},
        ]})
        .to_string(),
    )
    .await;
    let chainer = user_allowed(
        &server,
        &root,
        "chainer",
        &["sts:AssumeRole", "sts:TagSession"],
        &["*"],
    )
    .await;
    let out = chainer
        .assume_role()
        .role_arn(role_arn("First"))
        .role_session_name("first")
        .tags(session_tag("team", "ml"))
        .tags(session_tag("project", "apollo"))
        .transitive_tag_keys("team")
        .send()
        .await
        .expect("AssumeRole First with tags");
    let first = sts_session(&server, &session_of(&out));

    let out = assume(&first, "Second", "second").await;
    let second = iam_session(&server, &session_of(&out));
    second
        .get_role()
        .role_name("Second")
        .send()
        .await
        .expect("GetRole: team=ml came along");
    let f = rejects!(root, second.list_roles().send(), "AccessDenied");
    assert_denied(
        &f,
        &format!(
            "User: {} is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::{ACCOUNT_ID}:role/ because no identity-based policy allows the iam:ListRoles action",
            assumed_arn("Second", "second")
        ),
    );

    // A non-transitive key may be passed again, and counts.
    let out = first
        .assume_role()
        .role_arn(role_arn("Second"))
        .role_session_name("second-project")
        .tags(session_tag("project", "apollo"))
        .send()
        .await
        .expect("AssumeRole Second with project=apollo");
    let with_project = iam_session(&server, &session_of(&out));
    with_project
        .list_roles()
        .send()
        .await
        .expect("ListRoles with project=apollo");
    with_project
        .get_role()
        .role_name("Second")
        .send()
        .await
        .expect("GetRole: team=ml still inherited");

    // The inherited key cannot be overridden.
    let f = fail(
        first
            .assume_role()
            .role_arn(role_arn("Second"))
            .role_session_name("override")
            .tags(session_tag("team", "data"))
            .send()
            .await,
    );
    assert_eq!(
        (f.code.as_str(), f.status),
        ("InvalidParameterValue", 400),
        "{f:?}"
    );
    assert_eq!(
        f.message,
        "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session."
    );
}

// =======================================================================================
// Trust policies and the caller's own policies; the session's context
// =======================================================================================

/// In one account, a trust policy that names the user is enough; one that names the account
/// needs the user's policy to allow sts:AssumeRole too; an explicit deny in either wins (IAM
/// User Guide, "Policy evaluation logic" and "Cross-account policy evaluation logic").
#[tokio::test]
async fn trust_policies_and_the_callers_policies() {
    let server = Server::start();
    let root = iam(&server);
    let (key, secret) = user_with_key(&root, "gina").await;
    let gina = sts_with(&server, &key, &secret);
    let me = user_arn("gina");
    create_role(&root, "NamesGina", &trust(&me, &["sts:AssumeRole"], None)).await;
    create_role(
        &root,
        "NamesAccount",
        &trust_account(&["sts:AssumeRole"], None),
    )
    .await;

    // No policy of her own: the role that names her only.
    assume(&gina, "NamesGina", "direct").await;
    let f = rejects!(
        root,
        gina.assume_role()
            .role_arn(role_arn("NamesAccount"))
            .role_session_name("acct")
            .send(),
        "AccessDenied"
    );
    assert_sts_denied(&f, &me, "sts:AssumeRole", "NamesAccount");
    put_user_policy(
        &root,
        "gina",
        &allow(&["sts:AssumeRole"], &[&role_arn("NamesAccount")]),
    )
    .await;
    assume(&gina, "NamesAccount", "acct").await;

    // Her own explicit deny wins over the trust policy that names her.
    put_user_policy(
        &root,
        "gina",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
            {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": role_arn("NamesGina")},
        ]})
        .to_string(),
    )
    .await;
    let f = fail(
        gina.assume_role()
            .role_arn(role_arn("NamesGina"))
            .role_session_name("direct")
            .send()
            .await,
    );
    assert_sts_denied(&f, &me, "sts:AssumeRole", "NamesGina");
    assume(&gina, "NamesAccount", "acct").await;

    // An explicit deny in the trust policy wins over an allow for the account.
    root.update_assume_role_policy()
        .role_name("NamesAccount")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": account_root()}, "Action": "sts:AssumeRole"},
                {"Effect": "Deny", "Principal": {"AWS": me.clone()}, "Action": "sts:AssumeRole"},
            ]})
            .to_string(),
        )
        .send()
        .await
        .expect("UpdateAssumeRolePolicy");
    let f = fail(
        gina.assume_role()
            .role_arn(role_arn("NamesAccount"))
            .role_session_name("acct")
            .send()
            .await,
    );
    assert_sts_denied(&f, &me, "sts:AssumeRole", "NamesAccount");

    // A disabled access key stops working at once.
    root.update_access_key()
        .user_name("gina")
        .access_key_id(&key)
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .expect("UpdateAccessKey");
    let f = fail(gina.get_caller_identity().send().await);
    assert_eq!(
        (f.code.as_str(), f.status, f.message.as_str()),
        ("InvalidClientTokenId", 403, INVALID_TOKEN),
        "{f:?}"
    );
}

/// A role session's request context, as the IAM User Guide's "AWS global condition context
/// keys" describes it for temporary credentials: `aws:PrincipalArn` is the role's ARN,
/// `aws:userid` is `ROLE-ID:SESSION`, `aws:PrincipalAccount` the account,
/// `aws:PrincipalType` `AssumedRole`, `aws:MultiFactorAuthPresent` is `false` without MFA,
/// and `aws:TokenIssueTime` is the issue time. Every mismatch is listed before failing.
#[tokio::test]
async fn role_sessions_carry_their_context_keys() {
    let server = Server::start();
    let root = iam(&server);
    let role_id = create_role(&root, "Context", &trust_account(&["sts:AssumeRole"], None)).await;
    let statements = [
        (
            "iam:GetRole",
            json!({"ArnEquals": {"aws:PrincipalArn": role_arn("Context")}}),
        ),
        (
            "iam:ListRoles",
            json!({"StringEquals": {"aws:userid": format!("{role_id}:ctx")}}),
        ),
        (
            "iam:ListUsers",
            json!({"StringEquals": {"aws:PrincipalAccount": ACCOUNT_ID}}),
        ),
        (
            "iam:ListGroups",
            json!({"StringEquals": {"aws:PrincipalType": "AssumedRole"}}),
        ),
        (
            "iam:ListPolicies",
            json!({"Bool": {"aws:MultiFactorAuthPresent": "false"}}),
        ),
        (
            "iam:GetAccountSummary",
            json!({"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}),
        ),
    ];
    let policy = json!({"Version": "2012-10-17", "Statement": statements
        .iter()
        .map(|(action, condition)| json!({
            "Effect": "Allow", "Action": action, "Resource": "*", "Condition": condition,
        }))
        .collect::<Vec<_>>()});
    put_role_policy(&root, "Context", &policy.to_string()).await;
    let u = user_allowed(&server, &root, "ctx-user", &["sts:AssumeRole"], &["*"]).await;
    let s = iam_session(&server, &session_of(&assume(&u, "Context", "ctx").await));

    let mut mismatches = Vec::new();
    let mut note = |action: &str, r: Result<(), String>| {
        if let Err(e) = r {
            mismatches.push(format!(
                "{action} (its condition: {:?}): {e}",
                statements
                    .iter()
                    .find(|(a, _)| *a == action)
                    .map(|(_, c)| c)
            ));
        }
    };
    note(
        "iam:GetRole",
        s.get_role()
            .role_name("Context")
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
    );
    note(
        "iam:ListRoles",
        s.list_roles()
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
    );
    note(
        "iam:ListUsers",
        s.list_users()
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
    );
    note(
        "iam:ListGroups",
        s.list_groups()
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
    );
    note(
        "iam:ListPolicies",
        s.list_policies()
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
    );
    note(
        "iam:GetAccountSummary",
        s.get_account_summary()
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
    );
    assert!(
        mismatches.is_empty(),
        "context keys of a role session:\n{}",
        mismatches.join("\n")
    );
}

/// Revoking the sessions issued before now, as the IAM console's "Revoke active sessions"
/// does (IAM User Guide, "Revoking IAM role temporary security credentials": a Deny of
/// everything with `DateLessThan aws:TokenIssueTime`): older sessions are refused with an
/// explicit deny, newer ones work.
#[tokio::test]
async fn revoking_older_sessions() {
    let server = Server::start();
    let root = iam(&server);
    create_role(
        &root,
        "Revocable",
        &trust_account(&["sts:AssumeRole"], None),
    )
    .await;
    put_role_policy(&root, "Revocable", &allow(&["iam:ListRoles"], &["*"])).await;
    let u = user_allowed(&server, &root, "revoker", &["sts:AssumeRole"], &["*"]).await;
    let old = iam_session(&server, &session_of(&assume(&u, "Revocable", "old").await));
    old.list_roles()
        .send()
        .await
        .expect("ListRoles before the revocation");

    // The revocation time: a second after the old session was issued (issue times are whole
    // seconds), then wait until that time has passed.
    let cutoff = now_epoch() + 2;
    let cutoff_text = DateTime::from_secs(cutoff)
        .fmt(aws_sdk_sts::primitives::DateTimeFormat::DateTime)
        .expect("a date");
    root.put_role_policy()
        .role_name("Revocable")
        .policy_name("AWSRevokeOlderSessions")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Deny", "Action": "*", "Resource": "*",
                 "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff_text}}},
            ]})
            .to_string(),
        )
        .send()
        .await
        .expect("PutRolePolicy AWSRevokeOlderSessions");
    let f = rejects!(root, old.list_roles().send(), "AccessDenied");
    assert_denied(
        &f,
        &format!(
            "User: {} is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::{ACCOUNT_ID}:role/ with an explicit deny in an identity-based policy",
            assumed_arn("Revocable", "old")
        ),
    );
    while now_epoch() <= cutoff {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let new = iam_session(&server, &session_of(&assume(&u, "Revocable", "new").await));
    new.list_roles()
        .send()
        .await
        .expect("ListRoles in a session issued after the revocation");
}

// =======================================================================================
// 7. Role chaining
// =======================================================================================

/// A role session assuming another role gets at most an hour, whatever the second role's
/// MaxSessionDuration (STS API reference, AssumeRole, DurationSeconds).
#[tokio::test]
async fn role_chaining_is_capped_at_one_hour() {
    let server = Server::start();
    let root = iam(&server);
    create_role(&root, "Hop1", &trust_account(&["sts:AssumeRole"], None)).await;
    put_role_policy(
        &root,
        "Hop1",
        &allow(&["sts:AssumeRole"], &[&role_arn("Hop2")]),
    )
    .await;
    let hop2 = root
        .create_role()
        .role_name("Hop2")
        .assume_role_policy_document(trust(&role_arn("Hop1"), &["sts:AssumeRole"], None))
        .max_session_duration(43_200)
        .send()
        .await
        .expect("CreateRole Hop2");
    let hop2_id = hop2.role().expect("Role").role_id().to_string();
    let hopper = user_allowed(
        &server,
        &root,
        "hopper",
        &["sts:AssumeRole"],
        &[&role_arn("Hop1")],
    )
    .await;
    let first = sts_session(&server, &session_of(&assume(&hopper, "Hop1", "hop1").await));

    for seconds in [7200, 3601, 43_200] {
        let f = fail(
            first
                .assume_role()
                .role_arn(role_arn("Hop2"))
                .role_session_name("hop2")
                .duration_seconds(seconds)
                .send()
                .await,
        );
        assert_validation(&f, CHAINING_LIMIT);
    }
    let out = first
        .assume_role()
        .role_arn(role_arn("Hop2"))
        .role_session_name("hop2")
        .duration_seconds(3600)
        .send()
        .await
        .expect("chained AssumeRole for an hour");
    let chained = session_of(&out);
    assert_session(&chained, 3600);
    let who = sts_session(&server, &chained)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity of the chained session");
    assert_eq!(who.arn(), Some(assumed_arn("Hop2", "hop2").as_str()));
    assert_eq!(who.user_id(), Some(format!("{hop2_id}:hop2").as_str()));
    assert_eq!(who.account(), Some(ACCOUNT_ID));
    // The default duration of a chained session is the hour.
    let out = assume(&first, "Hop2", "default").await;
    assert_session(&session_of(&out), 3600);
    // Outside a chain, the same role gives 12 hours when its trust policy allows the caller.
    root.update_assume_role_policy()
        .role_name("Hop2")
        .policy_document(trust_account(&["sts:AssumeRole"], None))
        .send()
        .await
        .expect("UpdateAssumeRolePolicy");
    root.put_user_policy()
        .user_name("hopper")
        .policy_name("inline")
        .policy_document(allow(&["sts:AssumeRole"], &["*"]))
        .send()
        .await
        .expect("PutUserPolicy");
    let out = hopper
        .assume_role()
        .role_arn(role_arn("Hop2"))
        .role_session_name("direct")
        .duration_seconds(43_200)
        .send()
        .await
        .expect("direct AssumeRole for 12 hours");
    assert_session(&session_of(&out), 43_200);
}

// =======================================================================================
// 8. Expired, forged and altered tokens
// =======================================================================================

/// Session tokens are sealed with the key ring in DATA_DIR/session-keys. Claims sealed with
/// that ring are accepted until they expire (ExpiredToken after); sealed with another ring,
/// altered, naming another access key or another account, they are InvalidClientTokenId.
/// The ring outlives a restart.
#[tokio::test]
async fn expired_forged_and_altered_tokens() {
    let dir = TempDir::new("sts-ring");
    let root_keys = Credentials::generate();
    let server = Server::start_on(dir.path(), &root_keys);
    let ring_text =
        std::fs::read_to_string(dir.path().join("session-keys")).expect("DATA_DIR/session-keys");
    let ring = KeyRing::from_json(&ring_text).expect("the ring file parses");
    let root = iam(&server);
    let role_id = create_role(&root, "Sealed", &trust_account(&["sts:AssumeRole"], None)).await;

    let claims = |expires: i64| SessionClaims {
        account: ACCOUNT_ID.to_string(),
        access_key_id: format!(
            "ASIA{}",
            random_string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        ),
        secret_access_key: random_string(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            40,
        ),
        issued: now_epoch() - 7200,
        expires,
        principal: SessionPrincipal::AssumedRole {
            role_id: role_id.clone(),
            role_arn: role_arn("Sealed"),
            role_name: "Sealed".to_string(),
            session_name: "forged".to_string(),
        },
        policies: Vec::new(),
        policy_arns: Vec::new(),
        tags: Vec::new(),
        transitive_tag_keys: Vec::new(),
        source_identity: None,
        mfa_authenticated_at: None,
        chain_depth: 0,
        provider_keys: Vec::new(),
        workload_identity: None,
        scope_policies: Vec::new(),
        padding: String::new(),
    };
    let keys = |c: &SessionClaims, token: &str| -> Session {
        Session::builder()
            .access_key_id(&c.access_key_id)
            .secret_access_key(&c.secret_access_key)
            .session_token(token)
            .expiration(DateTime::from_secs(c.expires))
            .build()
            .expect("credentials")
    };

    // Valid claims sealed with the server's ring: accepted (the ring file is the server's).
    let live = claims(now_epoch() + 600);
    let live_token = ring.seal(&live);
    let r = raw_caller_identity(&server, &Keys::of(&keys(&live, &live_token)));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.xml("Arn"), Some(assumed_arn("Sealed", "forged")));
    assert_eq!(r.xml("UserId"), Some(format!("{role_id}:forged")));

    // Expired: ExpiredToken, to STS and to IAM, raw and through the SDK.
    let old = claims(now_epoch() - 60);
    let old_session = keys(&old, &ring.seal(&old));
    assert_raw_error(
        &raw_caller_identity(&server, &Keys::of(&old_session)),
        403,
        "ExpiredToken",
        EXPIRED,
    );
    let f = fail(
        sts_session(&server, &old_session)
            .get_caller_identity()
            .send()
            .await,
    );
    assert_eq!(
        (f.code.as_str(), f.status, f.message.as_str()),
        ("ExpiredToken", 403, EXPIRED)
    );
    let f = fail(iam_session(&server, &old_session).list_roles().send().await);
    assert_eq!(
        (f.code.as_str(), f.status, f.message.as_str()),
        ("ExpiredToken", 403, EXPIRED)
    );

    // Sealed with another ring.
    let other = claims(now_epoch() + 600);
    let forged = keys(&other, &KeyRing::generate().seal(&other));
    assert_raw_error(
        &raw_caller_identity(&server, &Keys::of(&forged)),
        403,
        "InvalidClientTokenId",
        INVALID_TOKEN,
    );
    let f = fail(iam_session(&server, &forged).list_roles().send().await);
    assert_eq!(
        (f.code.as_str(), f.status, f.message.as_str()),
        ("InvalidClientTokenId", 403, INVALID_TOKEN)
    );

    // A token whose access key is not the one that signed.
    let mut swapped = claims(now_epoch() + 600);
    let sealed_for = swapped.access_key_id.clone();
    swapped.access_key_id = format!(
        "ASIA{}",
        random_string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    );
    let token = ring.seal(&swapped);
    let r = raw_caller_identity(
        &server,
        &Keys {
            id: &sealed_for,
            secret: &swapped.secret_access_key,
            token: Some(&token),
        },
    );
    assert_raw_error(&r, 403, "InvalidClientTokenId", INVALID_TOKEN);

    // Another account.
    let mut foreign = claims(now_epoch() + 600);
    foreign.account = "210987654321".to_string();
    let foreign_session = keys(&foreign, &ring.seal(&foreign));
    assert_raw_error(
        &raw_caller_identity(&server, &Keys::of(&foreign_session)),
        403,
        "InvalidClientTokenId",
        INVALID_TOKEN,
    );

    // One character of a valid token changed.
    let mut bytes = live_token.clone().into_bytes();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(bytes).expect("ASCII");
    let r = raw_caller_identity(
        &server,
        &Keys {
            id: &live.access_key_id,
            secret: &live.secret_access_key,
            token: Some(&altered),
        },
    );
    assert_raw_error(&r, 403, "InvalidClientTokenId", INVALID_TOKEN);
    // A token that is not one at all.
    let r = raw_caller_identity(
        &server,
        &Keys {
            id: &live.access_key_id,
            secret: &live.secret_access_key,
            token: Some("FQoGZXIvYXdzEJr//////////wEaDOlIoJ6kq1eZEXAMPLE"),
        },
    );
    assert_raw_error(&r, 403, "InvalidClientTokenId", INVALID_TOKEN);

    // A valid token with the wrong secret: the signature fails.
    let wrong_secret = raw_caller_identity(
        &server,
        &Keys {
            id: &live.access_key_id,
            secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            token: Some(&live_token),
        },
    );
    assert_eq!(wrong_secret.status, 403, "{}", wrong_secret.text());
    assert_eq!(
        wrong_secret.xml("Code").as_deref(),
        Some("SignatureDoesNotMatch")
    );

    // Two real sessions: the keys of one with the token of the other.
    let u = user_allowed(&server, &root, "sealer", &["sts:AssumeRole"], &["*"]).await;
    let a = session_of(&assume(&u, "Sealed", "session-a").await);
    let b = session_of(&assume(&u, "Sealed", "session-b").await);
    let r = raw_caller_identity(
        &server,
        &Keys {
            id: a.access_key_id(),
            secret: a.secret_access_key(),
            token: Some(b.session_token()),
        },
    );
    assert_raw_error(&r, 403, "InvalidClientTokenId", INVALID_TOKEN);

    // The ring is on disk: a session issued before a restart still works after it.
    drop(server);
    let server = Server::start_on(dir.path(), &root_keys);
    let who = sts_session(&server, &a)
        .get_caller_identity()
        .send()
        .await
        .expect("a session from before the restart");
    assert_eq!(who.arn(), Some(assumed_arn("Sealed", "session-a").as_str()));
}

// =======================================================================================
// 9. Who is calling: GetCallerIdentity, GetSessionToken, GetFederationToken,
//    GetAccessKeyInfo
// =======================================================================================

/// GetCallerIdentity for each kind of principal (STS API reference, GetCallerIdentity, and
/// IAM User Guide, "Unique identifiers" / `aws:userid`): a user (`AIDA…`), a role session
/// (`AROA…:session`, the assumed-role ARN without the role's path), a federated user
/// (`ACCOUNT:name`), the root (the account ID), and GetSessionToken sessions (the user or the
/// root they belong to).
#[tokio::test]
async fn caller_identity_of_every_principal() {
    let server = Server::start();
    let root = iam(&server);
    let root_sts = sts(&server);

    let me = root_sts.get_caller_identity().send().await.expect("root");
    assert_eq!(
        (me.user_id(), me.account(), me.arn()),
        (
            Some(ACCOUNT_ID),
            Some(ACCOUNT_ID),
            Some(account_root().as_str())
        )
    );

    let ident = user_allowed(
        &server,
        &root,
        "ident",
        &["sts:AssumeRole", "sts:GetFederationToken"],
        &["*"],
    )
    .await;
    let user_id = root
        .get_user()
        .user_name("ident")
        .send()
        .await
        .expect("GetUser")
        .user()
        .expect("User")
        .user_id()
        .to_string();
    assert!(
        user_id.starts_with("AIDA") && user_id.len() == 21,
        "{user_id}"
    );
    let me = ident.get_caller_identity().send().await.expect("user");
    assert_eq!(
        (me.user_id(), me.account(), me.arn()),
        (
            Some(user_id.as_str()),
            Some(ACCOUNT_ID),
            Some(user_arn("ident").as_str())
        )
    );

    // A role session, of a role with a path: the path is not in the assumed-role ARN.
    let role_id = root
        .create_role()
        .role_name("Who")
        .path("/team/")
        .assume_role_policy_document(trust_account(&["sts:AssumeRole"], None))
        .send()
        .await
        .expect("CreateRole")
        .role()
        .expect("Role")
        .role_id()
        .to_string();
    assert!(role_id.starts_with("AROA"), "{role_id}");
    let out = ident
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT_ID}:role/team/Who"))
        .role_session_name("who-am-i")
        .send()
        .await
        .expect("AssumeRole of a role with a path");
    assert_eq!(
        out.assumed_role_user()
            .map(|u| (u.assumed_role_id(), u.arn())),
        Some((
            format!("{role_id}:who-am-i").as_str(),
            assumed_arn("Who", "who-am-i").as_str()
        ))
    );
    let me = sts_session(&server, &session_of(&out))
        .get_caller_identity()
        .send()
        .await
        .expect("role session");
    assert_eq!(
        (me.user_id(), me.account(), me.arn()),
        (
            Some(format!("{role_id}:who-am-i").as_str()),
            Some(ACCOUNT_ID),
            Some(assumed_arn("Who", "who-am-i").as_str())
        )
    );

    // A federated user.
    let out = ident
        .get_federation_token()
        .name("fed-bob")
        .send()
        .await
        .expect("GetFederationToken");
    let fed_arn = format!("arn:aws:sts::{ACCOUNT_ID}:federated-user/fed-bob");
    let fed_id = format!("{ACCOUNT_ID}:fed-bob");
    assert_eq!(
        out.federated_user()
            .map(|u| (u.federated_user_id(), u.arn())),
        Some((fed_id.as_str(), fed_arn.as_str()))
    );
    let me = sts_session(&server, out.credentials().expect("Credentials"))
        .get_caller_identity()
        .send()
        .await
        .expect("federated user");
    assert_eq!(
        (me.user_id(), me.account(), me.arn()),
        (
            Some(fed_id.as_str()),
            Some(ACCOUNT_ID),
            Some(fed_arn.as_str())
        )
    );

    // GetSessionToken sessions are their user, or the root.
    let out = ident
        .get_session_token()
        .send()
        .await
        .expect("GetSessionToken");
    let me = sts_session(&server, out.credentials().expect("Credentials"))
        .get_caller_identity()
        .send()
        .await
        .expect("user session");
    assert_eq!(
        (me.user_id(), me.arn()),
        (Some(user_id.as_str()), Some(user_arn("ident").as_str()))
    );
    let out = root_sts
        .get_session_token()
        .send()
        .await
        .expect("root GetSessionToken");
    let me = sts_session(&server, out.credentials().expect("Credentials"))
        .get_caller_identity()
        .send()
        .await
        .expect("root session");
    assert_eq!(
        (me.user_id(), me.arn()),
        (Some(ACCOUNT_ID), Some(account_root().as_str()))
    );
}

/// GetSessionToken (root sessions last at most an hour, users' 12 hours by default) and
/// GetFederationToken (12 hours by default; the caller needs sts:GetFederationToken;
/// federated users call no IAM operation and no STS operation but GetCallerIdentity: STS API
/// reference, GetFederationToken), and GetAccessKeyInfo.
#[tokio::test]
async fn session_and_federation_tokens() {
    let server = Server::start();
    let root = iam(&server);
    let root_sts = sts(&server);

    // "Sessions for AWS account owners are restricted to a maximum of 3,600 seconds (one
    // hour). If the duration is longer than one hour, the session for AWS account owners
    // defaults to one hour." (STS API reference, GetSessionToken).
    let out = root_sts
        .get_session_token()
        .duration_seconds(7200)
        .send()
        .await
        .expect("root GetSessionToken for two hours");
    assert_session(out.credentials().expect("Credentials"), 3600);
    let out = root_sts
        .get_session_token()
        .send()
        .await
        .expect("root GetSessionToken");
    assert_session(out.credentials().expect("Credentials"), 3600);

    let (key, secret) = user_with_key(&root, "worker").await;
    put_user_policy(
        &root,
        "worker",
        &allow(
            &["sts:GetFederationToken", "iam:*", "sts:AssumeRole"],
            &["*"],
        ),
    )
    .await;
    let worker = sts_with(&server, &key, &secret);
    let out = worker
        .get_session_token()
        .send()
        .await
        .expect("GetSessionToken");
    assert_session(out.credentials().expect("Credentials"), 43_200);
    let out = worker
        .get_session_token()
        .duration_seconds(900)
        .send()
        .await
        .expect("GetSessionToken for 15 minutes");
    assert_session(out.credentials().expect("Credentials"), 900);

    // GetFederationToken.
    let out = worker
        .get_federation_token()
        .name("fed-default")
        .send()
        .await
        .expect("GetFederationToken");
    assert_session(out.credentials().expect("Credentials"), 43_200);
    let out = worker
        .get_federation_token()
        .name("fed-short")
        .duration_seconds(900)
        .policy(allow(&["s3:GetObject"], &["*"]))
        .send()
        .await
        .expect("GetFederationToken with a policy");
    let fed = out.credentials().expect("Credentials").clone();
    assert_session(&fed, 900);
    #[allow(deprecated)] // replaced by SessionTokenUtilization in the SDK; STS still answers it
    let packed = out
        .packed_policy_size()
        .expect("PackedPolicySize with a policy");
    assert!((1..=100).contains(&packed), "PackedPolicySize {packed}");
    // Federated users cannot call IAM, whatever their policies say: the worker may do iam:*.
    let f = fail(iam_session(&server, &fed).list_roles().send().await);
    assert_eq!(f.status, 403, "{f:?}");
    assert!(
        ["AccessDenied", "InvalidClientTokenId"].contains(&f.code.as_str()),
        "{f:?}"
    );
    // Nor STS but GetCallerIdentity.
    let fed_sts = sts_session(&server, &fed);
    let f = fail(fed_sts.get_session_token().send().await);
    assert_eq!((f.code.as_str(), f.status), ("AccessDenied", 403), "{f:?}");
    let f = fail(fed_sts.get_federation_token().name("again").send().await);
    assert_eq!((f.code.as_str(), f.status), ("AccessDenied", 403), "{f:?}");
    create_role(&root, "ForFeds", &trust_account(&["sts:AssumeRole"], None)).await;
    let f = fail(
        fed_sts
            .assume_role()
            .role_arn(role_arn("ForFeds"))
            .role_session_name("f1")
            .send()
            .await,
    );
    assert_eq!((f.code.as_str(), f.status), ("AccessDenied", 403), "{f:?}");
    fed_sts
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity of a federated user");

    // Without sts:GetFederationToken.
    let (k, s) = user_with_key(&root, "no-fed").await;
    let f = fail(
        sts_with(&server, &k, &s)
            .get_federation_token()
            .name("xx")
            .send()
            .await,
    );
    assert_eq!((f.code.as_str(), f.status), ("AccessDenied", 403), "{f:?}");
    assert!(
        f.message.starts_with(&format!(
            "User: {} is not authorized to perform: sts:GetFederationToken",
            user_arn("no-fed")
        )),
        "{f:?}"
    );

    // GetAccessKeyInfo: the account of a long-term key and of a temporary one.
    let info = root_sts
        .get_access_key_info()
        .access_key_id(&key)
        .send()
        .await
        .expect("GetAccessKeyInfo of an AKIA key");
    assert_eq!(info.account(), Some(ACCOUNT_ID));
    let info = root_sts
        .get_access_key_info()
        .access_key_id(fed.access_key_id())
        .send()
        .await
        .expect("GetAccessKeyInfo of an ASIA key");
    assert_eq!(info.account(), Some(ACCOUNT_ID));
    let info = sts_with(&server, &key, &secret)
        .get_access_key_info()
        .access_key_id(&key)
        .send()
        .await;
    // The worker may not (its policy names no sts:GetAccessKeyInfo)…
    let f = fail(info);
    assert_eq!((f.code.as_str(), f.status), ("AccessDenied", 403), "{f:?}");
    // …until it is allowed.
    put_user_policy(&root, "worker", &allow(&["sts:GetAccessKeyInfo"], &["*"])).await;
    let info = sts_with(&server, &key, &secret)
        .get_access_key_info()
        .access_key_id(&key)
        .send()
        .await
        .expect("GetAccessKeyInfo with permission");
    assert_eq!(info.account(), Some(ACCOUNT_ID));
}

// =======================================================================================
// 10. AssumeRole's refusals
// =======================================================================================

/// The root cannot assume roles; DurationSeconds must fit the role's MaxSessionDuration and
/// STS's bounds; RoleSessionName has a pattern and a length; an unknown role is AccessDenied
/// (its exact wording, and that of a role that does not trust the caller, is checked in
/// `sts_denials_name_no_reason`).
#[tokio::test]
async fn assume_role_refusals() {
    let server = Server::start();
    let root = iam(&server);
    create_role(&root, "Short", &trust_account(&["sts:AssumeRole"], None)).await;
    create_role(&root, "Elsewhere", TRUST_EC2).await;

    // "Roles may not be assumed by root accounts." (AccessDenied): the aws CLI's answer quoted
    // in kubeflow/testing#961 and amzn/selling-partner-api-models#2234.
    let f = rejects!(
        root,
        sts(&server)
            .assume_role()
            .role_arn(role_arn("Short"))
            .role_session_name("r1")
            .send(),
        "AccessDenied"
    );
    assert_denied(&f, "Roles may not be assumed by root accounts.");

    let u = user_allowed(&server, &root, "assumer", &["sts:AssumeRole"], &["*"]).await;
    // Over the role's MaxSessionDuration (an hour by default).
    let f = fail(
        u.assume_role()
            .role_arn(role_arn("Short"))
            .role_session_name("long")
            .duration_seconds(7200)
            .send()
            .await,
    );
    assert_validation(
        &f,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
    // Unknown role, and a role whose trust policy does not name the caller: the same answer.
    let f = rejects!(
        root,
        u.assume_role()
            .role_arn(role_arn("NoSuchRole"))
            .role_session_name("s1")
            .send(),
        "AccessDenied"
    );
    assert_sts_denied(&f, &user_arn("assumer"), "sts:AssumeRole", "NoSuchRole");
    let f = fail(
        u.assume_role()
            .role_arn(role_arn("Elsewhere"))
            .role_session_name("s1")
            .send()
            .await,
    );
    assert_sts_denied(&f, &user_arn("assumer"), "sts:AssumeRole", "Elsewhere");

    // RoleSessionName: its pattern and length (STS API reference, AssumeRole). The whole
    // message, with the value quoted, is checked in `sts_validation_messages_quote_the_value`.
    for (name, constraint) in [
        (
            "bad name",
            r"Member must satisfy regular expression pattern: [\w+=,.@-]*",
        ),
        ("a", "Member must have length greater than or equal to 2"),
    ] {
        let f = fail(
            u.assume_role()
                .role_arn(role_arn("Short"))
                .role_session_name(name)
                .send()
                .await,
        );
        assert_eq!(
            (f.code.as_str(), f.status),
            ("ValidationError", 400),
            "{f:?}"
        );
        assert!(
            f.message.starts_with("1 validation error detected: Value ")
                && f.message.ends_with(&format!(
                    "at 'roleSessionName' failed to satisfy constraint: {constraint}"
                )),
            "{f:?}"
        );
    }
    let long_name = "s".repeat(65);
    let f = fail(
        u.assume_role()
            .role_arn(role_arn("Short"))
            .role_session_name(&long_name)
            .send()
            .await,
    );
    assert_eq!(
        (f.code.as_str(), f.status),
        ("ValidationError", 400),
        "{f:?}"
    );
    assert!(
        f.message.ends_with(
            "at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64"
        ),
        "{f:?}"
    );
    for (seconds, constraint) in [
        (899, "Member must have value greater than or equal to 900"),
        (43_201, "Member must have value less than or equal to 43200"),
    ] {
        let f = fail(
            u.assume_role()
                .role_arn(role_arn("Short"))
                .role_session_name("d1")
                .duration_seconds(seconds)
                .send()
                .await,
        );
        assert_eq!(
            (f.code.as_str(), f.status),
            ("ValidationError", 400),
            "{f:?}"
        );
        assert!(
            f.message.starts_with("1 validation error detected: ")
                && f.message.ends_with(&format!(
                    "at 'durationSeconds' failed to satisfy constraint: {constraint}"
                )),
            "{f:?}"
        );
    }
}

// =======================================================================================
// 11. DecodeAuthorizationMessage
// =======================================================================================

/// AccessDenied answers carry `x-portcullis-authorization-message`; STS
/// DecodeAuthorizationMessage decodes it (for a caller allowed
/// sts:DecodeAuthorizationMessage) into JSON naming the principal, the action and the
/// resource; anything else is InvalidAuthorizationMessageException.
#[tokio::test]
async fn authorization_messages_decode() {
    let server = Server::start();
    let root = iam(&server);
    let (key, secret) = user_with_key(&root, "blocked").await;
    put_user_policy(
        &root,
        "blocked",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "NoDeletes", "Effect": "Deny", "Action": "iam:DeleteRole", "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"},
        ]})
        .to_string(),
    )
    .await;
    let blocked_id = root
        .get_user()
        .user_name("blocked")
        .send()
        .await
        .expect("GetUser")
        .user()
        .expect("User")
        .user_id()
        .to_string();
    let decoder = user_allowed(
        &server,
        &root,
        "decoder",
        &["sts:DecodeAuthorizationMessage"],
        &["*"],
    )
    .await;
    let blocked = Keys::long_term(&key, &secret);

    // What this server did not encode: InvalidAuthorizationMessageException (400).
    for bad in [
        "this is not an encoded message",
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v",
    ] {
        let f = fail(
            decoder
                .decode_authorization_message()
                .encoded_message(bad)
                .send()
                .await,
        );
        assert_eq!(
            (f.code.as_str(), f.status),
            ("InvalidAuthorizationMessageException", 400),
            "{f:?}"
        );
        assert!(f.err.is_invalid_authorization_message_exception(), "{f:?}");
    }

    // An allowed call carries no message.
    let ok = signed_post(
        &server,
        "iam",
        &blocked,
        &[("Action", "ListRoles"), ("Version", "2010-05-08")],
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.header("x-portcullis-authorization-message"), None);

    // A denied CreateRole.
    let r = signed_post(
        &server,
        "iam",
        &blocked,
        &[
            ("Action", "CreateRole"),
            ("Version", "2010-05-08"),
            ("RoleName", "Blocked"),
            ("AssumeRolePolicyDocument", TRUST_EC2),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.xml("Code").as_deref(), Some("AccessDenied"));
    let encoded = r
        .header("x-portcullis-authorization-message")
        .unwrap_or_else(|| {
            panic!(
                "(no x-portcullis-authorization-message on AccessDenied): headers {:?}",
                r.headers
            )
        })
        .to_string();
    assert!(!encoded.is_empty());
    for client in [sts(&server), decoder.clone()] {
        let out = client
            .decode_authorization_message()
            .encoded_message(&encoded)
            .send()
            .await
            .expect("DecodeAuthorizationMessage");
        let decoded: Value =
            serde_json::from_str(out.decoded_message().expect("DecodedMessage")).expect("JSON");
        assert_eq!(decoded["allowed"], json!(false), "{decoded}");
        assert_eq!(decoded["explicitDeny"], json!(false), "{decoded}");
        let context = &decoded["context"];
        assert_eq!(
            context["principal"]["arn"],
            json!(user_arn("blocked")),
            "{decoded}"
        );
        assert_eq!(context["principal"]["id"], json!(blocked_id), "{decoded}");
        assert_eq!(context["action"], json!("iam:CreateRole"), "{decoded}");
        assert_eq!(context["resource"], json!(role_arn("Blocked")), "{decoded}");
    }

    // An explicit deny: the decoded message says so and names the statement.
    create_role(&root, "Keep", TRUST_EC2).await;
    let r = signed_post(
        &server,
        "iam",
        &blocked,
        &[
            ("Action", "DeleteRole"),
            ("Version", "2010-05-08"),
            ("RoleName", "Keep"),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    let encoded_deny = r
        .header("x-portcullis-authorization-message")
        .expect("a message on an explicit deny")
        .to_string();
    let out = decoder
        .decode_authorization_message()
        .encoded_message(&encoded_deny)
        .send()
        .await
        .expect("DecodeAuthorizationMessage");
    let decoded: Value =
        serde_json::from_str(out.decoded_message().expect("DecodedMessage")).expect("JSON");
    assert_eq!(decoded["explicitDeny"], json!(true), "{decoded}");
    assert_eq!(
        decoded["context"]["action"],
        json!("iam:DeleteRole"),
        "{decoded}"
    );
    assert_eq!(
        decoded["context"]["resource"],
        json!(role_arn("Keep")),
        "{decoded}"
    );
    let statements = decoded["matchedStatements"]["items"]
        .as_array()
        .expect("matchedStatements.items");
    assert!(
        statements
            .iter()
            .any(|s| s["statementId"] == json!("NoDeletes") && s["effect"] == json!("DENY")),
        "{decoded}"
    );

    // A denied AssumeRole (over STS) carries one too, and a role session is named as such.
    create_role(&root, "Target", &trust_account(&["sts:AssumeRole"], None)).await;
    let r = signed_post(
        &server,
        "sts",
        &blocked,
        &[
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", &role_arn("Target")),
            ("RoleSessionName", "nope"),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    let encoded_sts = r
        .header("x-portcullis-authorization-message")
        .expect("a message on a denied AssumeRole")
        .to_string();
    let out = decoder
        .decode_authorization_message()
        .encoded_message(&encoded_sts)
        .send()
        .await
        .expect("DecodeAuthorizationMessage");
    let decoded: Value =
        serde_json::from_str(out.decoded_message().expect("DecodedMessage")).expect("JSON");
    assert_eq!(
        decoded["context"]["action"],
        json!("sts:AssumeRole"),
        "{decoded}"
    );
    assert_eq!(
        decoded["context"]["resource"],
        json!(role_arn("Target")),
        "{decoded}"
    );
    assert_eq!(
        decoded["context"]["principal"]["arn"],
        json!(user_arn("blocked")),
        "{decoded}"
    );

    put_role_policy(&root, "Target", &allow(&["iam:GetRole"], &["*"])).await;
    let u = user_allowed(&server, &root, "assumer", &["sts:AssumeRole"], &["*"]).await;
    let session = session_of(&assume(&u, "Target", "denied-session").await);
    let r = signed_post(
        &server,
        "iam",
        &Keys::of(&session),
        &[("Action", "ListUsers"), ("Version", "2010-05-08")],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    let out = decoder
        .decode_authorization_message()
        .encoded_message(
            r.header("x-portcullis-authorization-message")
                .expect("a message"),
        )
        .send()
        .await
        .expect("DecodeAuthorizationMessage");
    let decoded: Value =
        serde_json::from_str(out.decoded_message().expect("DecodedMessage")).expect("JSON");
    assert_eq!(
        decoded["context"]["principal"]["arn"],
        json!(assumed_arn("Target", "denied-session")),
        "{decoded}"
    );
    assert_eq!(
        decoded["context"]["action"],
        json!("iam:ListUsers"),
        "{decoded}"
    );

    // Decoding needs sts:DecodeAuthorizationMessage (STS API reference).
    let f = fail(
        sts_with(&server, &key, &secret)
            .decode_authorization_message()
            .encoded_message(&encoded)
            .send()
            .await,
    );
    assert_eq!((f.code.as_str(), f.status), ("AccessDenied", 403), "{f:?}");
    assert!(
        f.message.starts_with(&format!(
            "User: {} is not authorized to perform: sts:DecodeAuthorizationMessage",
            user_arn("blocked")
        )),
        "{f:?}"
    );

    // A real message with one character changed.
    let mut altered = encoded.clone().into_bytes();
    let i = altered.len() / 2;
    altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
    let f = fail(
        decoder
            .decode_authorization_message()
            .encoded_message(String::from_utf8(altered).expect("ASCII"))
            .send()
            .await,
    );
    assert_eq!(
        (f.code.as_str(), f.status),
        ("InvalidAuthorizationMessageException", 400),
        "{f:?}"
    );
}

// =======================================================================================
// How STS words its refusals
// =======================================================================================

/// STS words every refusal of AssumeRole (and of its sts:TagSession and
/// sts:SetSourceIdentity) as one sentence without a reason, the same whether the role exists
/// or not (see [`sts_denial`] for the transcripts). Every mismatch is listed before failing.
#[tokio::test]
async fn sts_denials_name_no_reason() {
    let server = Server::start();
    let root = iam(&server);
    create_role(&root, "Elsewhere", TRUST_EC2).await;
    create_role(&root, "Plain", &trust_account(&["sts:AssumeRole"], None)).await;
    let u = user_allowed(
        &server,
        &root,
        "asker",
        &["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        &["*"],
    )
    .await;
    let me = user_arn("asker");
    let mut mismatches = Vec::new();
    let mut check = |what: &str, f: Failure<_>, want: String| {
        if (f.code.as_str(), f.status, f.message.as_str()) != ("AccessDenied", 403, want.as_str()) {
            mismatches.push(format!(
                "{what}:\n    got:  {f:?}\n    want: AccessDenied (403): {want}"
            ));
        }
    };
    let f = fail(
        u.assume_role()
            .role_arn(role_arn("NoSuchRole"))
            .role_session_name("s1")
            .send()
            .await,
    );
    check(
        "unknown role",
        f,
        sts_denial(&me, "sts:AssumeRole", "NoSuchRole"),
    );
    let f = fail(
        u.assume_role()
            .role_arn(role_arn("Elsewhere"))
            .role_session_name("s1")
            .send()
            .await,
    );
    check(
        "role that trusts EC2 only",
        f,
        sts_denial(&me, "sts:AssumeRole", "Elsewhere"),
    );
    let f = fail(
        u.assume_role()
            .role_arn(role_arn("Plain"))
            .role_session_name("s1")
            .tags(session_tag("team", "ml"))
            .send()
            .await,
    );
    check(
        "tags without sts:TagSession in the trust policy",
        f,
        sts_denial(&me, "sts:TagSession", "Plain"),
    );
    let f = fail(
        u.assume_role()
            .role_arn(role_arn("Plain"))
            .role_session_name("s1")
            .source_identity("someone")
            .send()
            .await,
    );
    check(
        "SourceIdentity without sts:SetSourceIdentity in the trust policy",
        f,
        sts_denial(&me, "sts:SetSourceIdentity", "Plain"),
    );
    assert!(
        mismatches.is_empty(),
        "(STS denial messages):\n{}",
        mismatches.join("\n")
    );
}

/// STS's validation messages quote the value: `1 validation error detected: Value 'a:b' at
/// 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression
/// pattern: [\w+=,.@-]*` (JuliaCloud/AWSCore.jl#38, zalando-stups/aws-credentials-service#7,
/// aws-actions/configure-aws-credentials#1306 in March 2025, suzuki-shunsuke/tfaction#1934).
#[tokio::test]
async fn sts_validation_messages_quote_the_value() {
    let server = Server::start();
    let root = iam(&server);
    create_role(&root, "Quoted", &trust_account(&["sts:AssumeRole"], None)).await;
    let u = user_allowed(&server, &root, "quoter", &["sts:AssumeRole"], &["*"]).await;
    let f = fail(
        u.assume_role()
            .role_arn(role_arn("Quoted"))
            .role_session_name("bad name")
            .send()
            .await,
    );
    assert_eq!(
        (f.code.as_str(), f.status, f.message.as_str()),
        (
            "ValidationError",
            400,
            r"1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
        ),
        "(STS validation message without the value)"
    );
}

// =======================================================================================
// SourceIdentity
// =======================================================================================

/// SourceIdentity needs sts:SetSourceIdentity, is answered back, becomes
/// `aws:SourceIdentity` of the session, and carries over to chained sessions (IAM User
/// Guide, "Monitor and control actions taken with assumed roles").
#[tokio::test]
async fn source_identity_needs_permission_and_sticks() {
    let server = Server::start();
    let root = iam(&server);
    create_role(&root, "NoSource", &trust_account(&["sts:AssumeRole"], None)).await;
    create_role(
        &root,
        "Source",
        &trust_account(&["sts:AssumeRole", "sts:SetSourceIdentity"], None),
    )
    .await;
    put_role_policy(
        &root,
        "Source",
        &allow(
            &["sts:AssumeRole", "sts:SetSourceIdentity"],
            &[&role_arn("Audited")],
        ),
    )
    .await;
    create_role(
        &root,
        "Audited",
        &trust(
            &role_arn("Source"),
            &["sts:AssumeRole", "sts:SetSourceIdentity"],
            None,
        ),
    )
    .await;
    put_role_policy(
        &root,
        "Audited",
        &allow_if(
            &["iam:GetRole"],
            json!({"StringEquals": {"aws:SourceIdentity": "alice@example.com"}}),
        ),
    )
    .await;
    let u = user_allowed(
        &server,
        &root,
        "sourcer",
        &["sts:AssumeRole", "sts:SetSourceIdentity"],
        &["*"],
    )
    .await;

    let f = rejects!(
        root,
        u.assume_role()
            .role_arn(role_arn("NoSource"))
            .role_session_name("s1")
            .source_identity("alice@example.com")
            .send(),
        "AccessDenied"
    );
    assert_sts_denied(
        &f,
        &user_arn("sourcer"),
        "sts:SetSourceIdentity",
        "NoSource",
    );

    let out = u
        .assume_role()
        .role_arn(role_arn("Source"))
        .role_session_name("s1")
        .source_identity("alice@example.com")
        .send()
        .await
        .expect("AssumeRole with SourceIdentity");
    assert_eq!(out.source_identity(), Some("alice@example.com"));
    let first = sts_session(&server, &session_of(&out));
    // Chained without SourceIdentity: the session keeps alice's.
    let chained = session_of(&assume(&first, "Audited", "audited").await);
    iam_session(&server, &chained)
        .get_role()
        .role_name("Audited")
        .send()
        .await
        .expect("GetRole with aws:SourceIdentity = alice@example.com");
    // And it cannot be changed along the chain.
    let f = fail(
        first
            .assume_role()
            .role_arn(role_arn("Audited"))
            .role_session_name("mallory")
            .source_identity("mallory@example.com")
            .send()
            .await,
    );
    assert!(f.status == 400 || f.status == 403, "{f:?}");
}
