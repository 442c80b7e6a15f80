//! What every test file shares: SDK clients for a server, error inspection, policy
//! documents, and a snapshot of the whole account for "nothing changed" checks.

#![allow(dead_code)]

pub(crate) use portcullis_e2e::*;

use aws_sdk_iam::config::http::HttpResponse as SdkHttpResponse;
use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::config::{BehaviorVersion, Region};
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use portcullis_protocol::sigv4::{self, HttpRequest, SigningParams};
use std::fmt::{Debug, Write as _};

/// Trust policy: EC2 may assume the role.
pub(crate) const TRUST_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
/// Trust policy: Lambda may assume the role.
pub(crate) const TRUST_LAMBDA: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
/// A trust policy with a `Resource` element (not allowed in trust policies).
pub(crate) const TRUST_WITH_RESOURCE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}"#;
/// An identity policy: read S3.
pub(crate) const S3_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}"#;
/// Another identity policy: describe EC2.
pub(crate) const EC2_DESCRIBE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}"#;
/// An identity policy with a `Principal` element (not allowed in identity policies).
pub(crate) const IDENTITY_WITH_PRINCIPAL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"*"}]}"#;
/// Not JSON at all.
pub(crate) const NOT_JSON: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow""#;

/// The ARN of an AWS managed policy by name.
pub(crate) fn aws_policy(name: &str) -> String {
    format!("arn:aws:iam::aws:policy/{name}")
}

/// The ARN of a customer managed policy at path `/`.
pub(crate) fn local_policy(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:policy/{name}")
}

/// A plain-HTTP client (no TLS) for the SDK and its credential providers.
pub(crate) fn http_client() -> aws_sdk_iam::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new().build_http()
}

/// An IAM client for `server`, signed with the given keys. Retries are off, so every call
/// is exactly one request.
pub(crate) fn iam_with(
    server: &Server,
    access_key_id: &str,
    secret_access_key: &str,
) -> aws_sdk_iam::Client {
    let creds = aws_sdk_iam::config::Credentials::new(
        access_key_id,
        secret_access_key,
        None,
        None,
        "portcullis-e2e",
    );
    iam_from(server, creds)
}

/// An IAM client for `server` whose credentials come from `provider`.
pub(crate) fn iam_from(
    server: &Server,
    provider: impl aws_sdk_iam::config::ProvideCredentials + 'static,
) -> aws_sdk_iam::Client {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&server.endpoint)
        .credentials_provider(provider)
        .http_client(http_client())
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

/// An IAM client signed with the root credentials.
pub(crate) fn iam(server: &Server) -> aws_sdk_iam::Client {
    let root = server.root();
    iam_with(server, &root.access_key_id, &root.secret_access_key)
}

/// An STS client for `server`, signed with the given keys.
pub(crate) fn sts_with(
    server: &Server,
    access_key_id: &str,
    secret_access_key: &str,
) -> aws_sdk_sts::Client {
    let creds = aws_sdk_sts::config::Credentials::new(
        access_key_id,
        secret_access_key,
        None,
        None,
        "portcullis-e2e",
    );
    sts_from(server, creds)
}

/// An STS client for `server` whose credentials come from `provider`.
pub(crate) fn sts_from(
    server: &Server,
    provider: impl aws_sdk_sts::config::ProvideCredentials + 'static,
) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .endpoint_url(&server.endpoint)
        .credentials_provider(provider)
        .http_client(http_client())
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

/// An STS client signed with the root credentials.
pub(crate) fn sts(server: &Server) -> aws_sdk_sts::Client {
    let root = server.root();
    sts_with(server, &root.access_key_id, &root.secret_access_key)
}

/// A failed call: AWS's error code, message and HTTP status, and the typed service error
/// (for the SDK's `is_…` helpers).
pub(crate) struct Failure<E> {
    /// `<Code>`.
    pub code: String,
    /// `<Message>`.
    pub message: String,
    /// The HTTP status.
    pub status: u16,
    /// The service error.
    pub err: E,
}

impl<E> Debug for Failure<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

/// The service error of a call that must fail; panics when the call succeeded or failed
/// without an answer from the service.
#[track_caller]
pub(crate) fn fail<T: Debug, E>(result: Result<T, SdkError<E, SdkHttpResponse>>) -> Failure<E>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let err = match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    };
    let (status, err) = match err {
        SdkError::ServiceError(s) => (s.raw().status().as_u16(), s.into_err()),
        other => panic!("expected an error from the service, got {other:?}"),
    };
    Failure {
        code: err.code().unwrap_or_default().to_string(),
        message: err.message().unwrap_or_default().to_string(),
        status,
        err,
    }
}

/// Asserts that `$call` (a future of an SDK `send()`) fails with `$code` (or, with
/// `one_of [..]`, one of several codes), and that the
/// account is exactly as it was before; evaluates to the [`Failure`].
#[allow(unused_macros)]
macro_rules! rejects {
    // Where AWS's code is not documented and more than one is plausible.
    ($iam:expr, $call:expr, one_of $codes:expr) => {{
        let before = crate::common::state(&$iam).await;
        let failure = crate::common::fail($call.await);
        assert!(
            $codes.contains(&failure.code.as_str()),
            "wrong error: {failure:?}"
        );
        let after = crate::common::state(&$iam).await;
        crate::common::assert_same_state(&before, &after);
        failure
    }};
    ($iam:expr, $call:expr, $code:expr) => {{
        let before = crate::common::state(&$iam).await;
        let failure = crate::common::fail($call.await);
        assert_eq!(failure.code, $code, "wrong error: {failure:?}");
        let after = crate::common::state(&$iam).await;
        crate::common::assert_same_state(&before, &after);
        failure
    }};
}

/// Everything the account holds, as text: every user, group, role and customer managed
/// policy with their policies, memberships, boundaries and tags (from
/// GetAccountAuthorizationDetails), every instance profile with its tags, every access key
/// with its status, the policy versions and tags, and the account summary.
pub(crate) async fn state(iam: &aws_sdk_iam::Client) -> String {
    let mut out = String::new();
    let mut marker: Option<String> = None;
    loop {
        let page = iam
            .get_account_authorization_details()
            .set_marker(marker.clone())
            .send()
            .await
            .expect("GetAccountAuthorizationDetails");
        writeln!(out, "users {:?}", page.user_detail_list()).unwrap();
        writeln!(out, "groups {:?}", page.group_detail_list()).unwrap();
        writeln!(out, "roles {:?}", page.role_detail_list()).unwrap();
        writeln!(out, "policies {:?}", page.policies()).unwrap();
        marker = page.marker().map(str::to_string);
        if !page.is_truncated() {
            break;
        }
    }
    let users = all_user_names(iam).await;
    for user in users.iter().map(Some).chain([None]) {
        let keys = iam
            .list_access_keys()
            .set_user_name(user.cloned())
            .send()
            .await
            .expect("ListAccessKeys");
        writeln!(out, "keys of {user:?}: {:?}", keys.access_key_metadata()).unwrap();
        if let Some(u) = user {
            let tags = iam
                .list_user_tags()
                .user_name(u)
                .send()
                .await
                .expect("ListUserTags");
            writeln!(out, "tags of user {u}: {:?}", tags.tags()).unwrap();
        }
    }
    for role in all_role_names(iam).await {
        let tags = iam
            .list_role_tags()
            .role_name(&role)
            .send()
            .await
            .expect("ListRoleTags");
        writeln!(out, "tags of role {role}: {:?}", tags.tags()).unwrap();
    }
    let profiles = iam
        .list_instance_profiles()
        .max_items(1000)
        .send()
        .await
        .expect("ListInstanceProfiles");
    for p in profiles.instance_profiles() {
        let tags = iam
            .list_instance_profile_tags()
            .instance_profile_name(p.instance_profile_name())
            .send()
            .await
            .expect("ListInstanceProfileTags");
        writeln!(out, "profile {p:?} tags {:?}", tags.tags()).unwrap();
    }
    let local = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .max_items(1000)
        .send()
        .await
        .expect("ListPolicies");
    for p in local.policies() {
        let arn = p.arn().unwrap_or_default();
        let versions = iam
            .list_policy_versions()
            .policy_arn(arn)
            .send()
            .await
            .expect("ListPolicyVersions");
        let tags = iam
            .list_policy_tags()
            .policy_arn(arn)
            .send()
            .await
            .expect("ListPolicyTags");
        writeln!(
            out,
            "policy {p:?} versions {:?} tags {:?}",
            versions.versions(),
            tags.tags()
        )
        .unwrap();
    }
    let summary = iam
        .get_account_summary()
        .send()
        .await
        .expect("GetAccountSummary");
    let mut summary: Vec<_> = summary
        .summary_map()
        .map(|m| m.iter().map(|(k, v)| format!("{k:?}={v}")).collect())
        .unwrap_or_default();
    summary.sort();
    writeln!(out, "summary {summary:?}").unwrap();
    out
}

/// Panics with the first differing line when two [`state`]s differ.
#[track_caller]
pub(crate) fn assert_same_state(before: &str, after: &str) {
    if before != after {
        let diff = before
            .lines()
            .zip(after.lines())
            .find(|(a, b)| a != b)
            .map(|(a, b)| format!("before: {a}\nafter:  {b}"))
            .unwrap_or_else(|| "(a line was added or removed)".to_string());
        panic!("the account changed:\n{diff}");
    }
}

/// The names of every role, through all pages.
pub(crate) async fn all_role_names(iam: &aws_sdk_iam::Client) -> Vec<String> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = iam
            .list_roles()
            .set_marker(marker)
            .send()
            .await
            .expect("ListRoles");
        out.extend(page.roles().iter().map(|r| r.role_name().to_string()));
        marker = page.marker().map(str::to_string);
        if !page.is_truncated() {
            return out;
        }
    }
}

/// The names of every user, through all pages.
pub(crate) async fn all_user_names(iam: &aws_sdk_iam::Client) -> Vec<String> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = iam
            .list_users()
            .set_marker(marker)
            .send()
            .await
            .expect("ListUsers");
        out.extend(page.users().iter().map(|u| u.user_name().to_string()));
        marker = page.marker().map(str::to_string);
        if !page.is_truncated() {
            return out;
        }
    }
}

/// A policy document as IAM returns it (URL-encoded), decoded and parsed for comparison.
pub(crate) fn doc(encoded: &str) -> String {
    percent_decode(encoded)
}

/// Creates a user with an access key and returns the key's ID and secret.
pub(crate) async fn user_with_key(iam: &aws_sdk_iam::Client, name: &str) -> (String, String) {
    iam.create_user()
        .user_name(name)
        .send()
        .await
        .expect("CreateUser");
    let key = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .expect("CreateAccessKey");
    let key = key.access_key().expect("AccessKey");
    (
        key.access_key_id().to_string(),
        key.secret_access_key().to_string(),
    )
}

/// Seconds since the Unix epoch.
pub(crate) fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// Asserts that an SDK timestamp is within a minute of now.
#[track_caller]
pub(crate) fn assert_recent(t: &aws_sdk_iam::primitives::DateTime) {
    let secs = t.secs();
    let now = now_epoch();
    assert!(
        (now - secs).abs() < 120,
        "timestamp {t} is not recent (now {now})"
    );
}

/// A tag.
pub(crate) fn tag(key: &str, value: &str) -> aws_sdk_iam::types::Tag {
    aws_sdk_iam::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
        .expect("a tag has a key and a value")
}

/// Tags as `(key, value)` pairs.
pub(crate) fn tag_pairs(tags: &[aws_sdk_iam::types::Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

/// Parses JSON text into a comparable value (key order kept, whitespace ignored), for
/// comparing policy documents. Only objects, arrays, strings and literals are expected.
pub(crate) fn same_json(a: &str, b: &str) -> bool {
    strip_ws(a) == strip_ws(b)
}

fn strip_ws(s: &str) -> String {
    let mut out = String::new();
    let mut in_string = false;
    let mut escaped = false;
    for c in s.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

/// An IAM client signed with temporary credentials (as STS answers them: key, secret and
/// session token).
pub(crate) fn iam_session(
    server: &Server,
    c: &aws_sdk_sts::types::Credentials,
) -> aws_sdk_iam::Client {
    let creds = aws_sdk_iam::config::Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        None,
        "portcullis-e2e-session",
    );
    iam_from(server, creds)
}

/// An STS client signed with temporary credentials.
pub(crate) fn sts_session(
    server: &Server,
    c: &aws_sdk_sts::types::Credentials,
) -> aws_sdk_sts::Client {
    let creds = aws_sdk_sts::config::Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        None,
        "portcullis-e2e-session",
    );
    sts_from(server, creds)
}

/// Creates role `name` with `trust` and, when given, the inline policy `policy` (named
/// `policy`); returns its ARN.
pub(crate) async fn role_with_policy(
    iam: &aws_sdk_iam::Client,
    name: &str,
    trust: &str,
    policy: Option<&str>,
) -> String {
    let arn = iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap()
        .role
        .unwrap()
        .arn;
    if let Some(policy) = policy {
        iam.put_role_policy()
            .role_name(name)
            .policy_name("policy")
            .policy_document(policy)
            .send()
            .await
            .unwrap();
    }
    arn
}

/// The content type of a Query request's form.
pub(crate) const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// The headers of a `POST /` of `body` to `addr`: `host`, then `headers` as given, then
/// those SigV4 adds (`x-amz-date`, `authorization`), signed with these keys for `service`
/// in us-east-1 at `timestamp` (seconds since the epoch).
pub(crate) fn sign_post(
    addr: std::net::SocketAddr,
    (key_id, secret): (&str, &str),
    service: &str,
    headers: &[(&str, &str)],
    body: &str,
    timestamp: i64,
) -> Vec<(String, String)> {
    use portcullis_protocol::sigv4::{self, HttpRequest, SigningParams};
    let host = addr.to_string();
    let mut given = vec![("host", host.as_str())];
    given.extend_from_slice(headers);
    let request = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &given,
        body: body.as_bytes(),
    };
    let params = SigningParams {
        access_key_id: key_id,
        secret_access_key: secret,
        session_token: None,
        region: "us-east-1",
        service,
        timestamp,
    };
    let mut all: Vec<(String, String)> = given
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    all.extend(sigv4::sign(&request, &params));
    all
}

/// The headers of an IAM Query request of `body` (`Action=…&Version=…`), signed now with
/// the server's root keys (see [`sign_post`]).
pub(crate) fn signed_query_headers(server: &Server, body: &str) -> Vec<(String, String)> {
    let root = server.root();
    sign_post(
        server.addr,
        (&root.access_key_id, &root.secret_access_key),
        "iam",
        &[("content-type", FORM)],
        body,
        now_epoch(),
    )
}

/// A whole HTTP/1.1 request: `POST /` with these headers, a `Content-Length` and the body.
pub(crate) fn raw_post(headers: &[(String, String)], body: &str) -> Vec<u8> {
    let mut out = String::from("POST / HTTP/1.1\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    out.into_bytes()
}

/// Reads one answer (head and `Content-Length` body) within `limit`: its status and body,
/// or `None` when the connection closed or the time ran out first.
pub(crate) async fn read_answer(
    tcp: &mut tokio::net::TcpStream,
    limit: std::time::Duration,
) -> Option<(u16, String)> {
    let read = async {
        let mut raw = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if raw.len() >= end + 4 + length {
                    let status = head.split(' ').nth(1)?.parse().ok()?;
                    let body = String::from_utf8_lossy(&raw[end + 4..end + 4 + length]);
                    return Some((status, body.into_owned()));
                }
            }
            let n = tokio::io::AsyncReadExt::read(tcp, &mut buf).await.ok()?;
            if n == 0 {
                return None;
            }
            raw.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(limit, read).await.ok().flatten()
}

/// Keys to sign with: access key, secret, and the session token of temporary credentials.
#[derive(Clone)]
pub(crate) struct Keys {
    pub(crate) id: String,
    pub(crate) secret: String,
    pub(crate) token: Option<String>,
}

/// Sends a Query request of `service` (`iam` or `sts`) signed with `keys` (and their
/// session token) and returns the raw answer: for operations newer than the SDK this crate
/// uses, and for sessions the SDK cannot make.
pub(crate) fn signed_query(
    server: &Server,
    keys: &Keys,
    service: &str,
    params: &[(&str, &str)],
) -> HttpResponse {
    let version = if service == "iam" {
        "2010-05-08"
    } else {
        "2011-06-15"
    };
    let mut all = vec![("Version", version)];
    all.extend_from_slice(params);
    let body = form(&all);
    let host = server.addr.to_string();
    let given = [("host", host.as_str()), ("content-type", FORM)];
    let request = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &given,
        body: body.as_bytes(),
    };
    let signing = SigningParams {
        access_key_id: &keys.id,
        secret_access_key: &keys.secret,
        session_token: keys.token.as_deref(),
        region: "us-east-1",
        service,
        timestamp: now_epoch(),
    };
    let mut headers: Vec<(String, String)> = given
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    headers.extend(sigv4::sign(&request, &signing));
    http_request(server.addr, "POST", "/", &headers, body.as_bytes()).expect("HTTP request")
}
