//! Authentication with raw HTTP requests (not the SDK), signed with the server crate's
//! SigV4 signer: what AWS answers to a wrong secret, a body changed after signing, an old
//! or future X-Amz-Date, an unknown or inactive access key, no Authorization at all, an
//! Authorization header without a Signature, a wrong service scope, a region AWS does not
//! have, repeated authentication headers; and presigned GETs.

mod common;

use common::*;
use portcullis_protocol::sigv4::{self, HttpRequest, SigningParams};

const LIST_ROLES: &str = "Action=ListRoles&Version=2010-05-08";
const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// Headers of a POST of `body` signed with these keys at `timestamp` for `service`.
fn signed_headers(
    server: &Server,
    key_id: &str,
    secret: &str,
    body: &str,
    timestamp: i64,
    service: &str,
) -> Vec<(String, String)> {
    sign_post(
        server.addr,
        (key_id, secret),
        service,
        &[("content-type", FORM)],
        body,
        timestamp,
    )
}

/// [`signed_headers`] with the credential scoped to `region`.
fn signed_headers_in(
    server: &Server,
    key_id: &str,
    secret: &str,
    body: &str,
    timestamp: i64,
    service: &str,
    region: &str,
) -> Vec<(String, String)> {
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
        access_key_id: key_id,
        secret_access_key: secret,
        session_token: None,
        region,
        service,
        timestamp,
    };
    let mut out: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    out.extend(sigv4::sign(&request, &params));
    out
}

/// POSTs `body` with `headers`.
fn post(server: &Server, headers: &[(String, String)], body: &str) -> HttpResponse {
    http_request(server.addr, "POST", "/", headers, body.as_bytes()).expect("HTTP request")
}

/// Checks an AWS Query error document: status, code, message, Sender, request ID.
#[track_caller]
fn assert_error(r: &HttpResponse, status: u16, code: &str) -> String {
    let text = r.text();
    assert_eq!(r.status, status, "{text}");
    assert!(
        text.contains(r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">"#),
        "{text}"
    );
    assert_eq!(r.xml("Code").as_deref(), Some(code), "{text}");
    assert_eq!(r.xml("Type").as_deref(), Some("Sender"), "{text}");
    let request_id = r.xml("RequestId").expect("RequestId");
    assert_eq!(r.header("x-amzn-requestid"), Some(request_id.as_str()));
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/xml")),
        "{:?}",
        r.headers
    );
    r.xml("Message").expect("Message")
}

/// A state check that needs no signature: the root lists the roles with the SDK.
async fn role_names(server: &Server) -> Vec<String> {
    all_role_names(&iam(server)).await
}

#[tokio::test]
async fn correctly_signed_requests_succeed() {
    let server = Server::start();
    let root = server.root().clone();
    iam(&server)
        .create_role()
        .role_name("visible")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap();

    let h = signed_headers(
        &server,
        &root.access_key_id,
        &root.secret_access_key,
        LIST_ROLES,
        now_epoch(),
        "iam",
    );
    let r = post(&server, &h, LIST_ROLES);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<ListRolesResponse"), "{}", r.text());
    assert_eq!(r.xml("RoleName").as_deref(), Some("visible"));
    assert_eq!(r.xml("IsTruncated").as_deref(), Some("false"));

    // STS on the same endpoint, signed for sts.
    let body = "Action=GetCallerIdentity&Version=2011-06-15";
    let h = signed_headers(
        &server,
        &root.access_key_id,
        &root.secret_access_key,
        body,
        now_epoch(),
        "sts",
    );
    let r = post(&server, &h, body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.xml("Arn").as_deref(),
        Some("arn:aws:iam::123456789012:root")
    );
    assert_eq!(r.xml("Account").as_deref(), Some(ACCOUNT_ID));

    // And through the SDK.
    let who = sts(&server)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    assert_eq!(who.arn(), Some("arn:aws:iam::123456789012:root"));
    assert_eq!(who.account(), Some(ACCOUNT_ID));
    assert_eq!(who.user_id(), Some(ACCOUNT_ID));
}

#[tokio::test]
async fn wrong_secret_and_tampered_body() {
    let server = Server::start();
    let root = server.root().clone();
    let before = role_names(&server).await;

    // Wrong secret.
    let create = format!(
        "Action=CreateRole&Version=2010-05-08&RoleName=sneaky&AssumeRolePolicyDocument={}",
        percent_encode(TRUST_EC2)
    );
    let wrong = Credentials::generate().secret_access_key;
    let h = signed_headers(
        &server,
        &root.access_key_id,
        &wrong,
        &create,
        now_epoch(),
        "iam",
    );
    let r = post(&server, &h, &create);
    let message = assert_error(&r, 403, "SignatureDoesNotMatch");
    assert_eq!(message, SIGNATURE_MISMATCH);

    // Body changed after signing: sign a harmless ListRoles, send a CreateRole.
    let h = signed_headers(
        &server,
        &root.access_key_id,
        &root.secret_access_key,
        LIST_ROLES,
        now_epoch(),
        "iam",
    );
    let r = post(&server, &h, &create);
    let message = assert_error(&r, 403, "SignatureDoesNotMatch");
    assert_eq!(message, SIGNATURE_MISMATCH);
    // One byte changed (a different role name of the same length).
    let create2 = create.replace("sneaky", "sneakz");
    let h = signed_headers(
        &server,
        &root.access_key_id,
        &root.secret_access_key,
        &create,
        now_epoch(),
        "iam",
    );
    let r = post(&server, &h, &create2);
    assert_error(&r, 403, "SignatureDoesNotMatch");
    // A signed header changed after signing.
    let mut h = signed_headers(
        &server,
        &root.access_key_id,
        &root.secret_access_key,
        &create,
        now_epoch(),
        "iam",
    );
    for (n, v) in &mut h {
        if n == "content-type" {
            *v = "application/x-www-form-urlencoded".to_string();
        }
    }
    let r = post(&server, &h, &create);
    assert_error(&r, 403, "SignatureDoesNotMatch");
    // Signed for another service.
    let h = signed_headers(
        &server,
        &root.access_key_id,
        &root.secret_access_key,
        LIST_ROLES,
        now_epoch(),
        "s3",
    );
    let r = post(&server, &h, LIST_ROLES);
    let message = assert_error(&r, 403, "SignatureDoesNotMatch");
    assert!(
        message.contains("Credential should be scoped to correct service: 'iam'"),
        "{message}"
    );

    assert_eq!(role_names(&server).await, before, "nothing was created");
    // The untampered request does work.
    let h = signed_headers(
        &server,
        &root.access_key_id,
        &root.secret_access_key,
        &create,
        now_epoch(),
        "iam",
    );
    assert_eq!(post(&server, &h, &create).status, 200);
    assert_eq!(role_names(&server).await, ["sneaky"]);
}

#[tokio::test]
async fn request_time_window() {
    let server = Server::start();
    let root = server.root().clone();

    // 20 minutes old: outside the 15-minute window.
    let old = now_epoch() - 20 * 60;
    let h = signed_headers(
        &server,
        &root.access_key_id,
        &root.secret_access_key,
        LIST_ROLES,
        old,
        "iam",
    );
    let r = post(&server, &h, LIST_ROLES);
    let message = assert_error(&r, 403, "SignatureDoesNotMatch");
    let old_date = sigv4::format_amz_date(old);
    assert!(
        message.starts_with(&format!(
            "Signature expired: {old_date} is now earlier than "
        )),
        "{message}"
    );
    assert!(message.ends_with(" - 15 min.)"), "{message}");

    // 20 minutes ahead.
    let future = now_epoch() + 20 * 60;
    let h = signed_headers(
        &server,
        &root.access_key_id,
        &root.secret_access_key,
        LIST_ROLES,
        future,
        "iam",
    );
    let r = post(&server, &h, LIST_ROLES);
    let message = assert_error(&r, 403, "SignatureDoesNotMatch");
    assert!(
        message.starts_with(&format!(
            "Signature not yet current: {} is still later than ",
            sigv4::format_amz_date(future)
        )),
        "{message}"
    );

    // 10 minutes old is still inside the window.
    let h = signed_headers(
        &server,
        &root.access_key_id,
        &root.secret_access_key,
        LIST_ROLES,
        now_epoch() - 10 * 60,
        "iam",
    );
    assert_eq!(post(&server, &h, LIST_ROLES).status, 200);
}

/// sigv4.rs documents AWS's order of checks: the time window (step 2) comes before the
/// access key lookup (step 4) and the signature (step 5). So a 20-minute-old request is
/// "Signature expired" whatever its key and signature.
#[tokio::test]
async fn expired_request_is_expired_before_key_and_signature_checks() {
    let server = Server::start();
    let root = server.root().clone();
    let old = now_epoch() - 20 * 60;
    let stranger = Credentials::generate();
    let h = signed_headers(
        &server,
        &stranger.access_key_id,
        &stranger.secret_access_key,
        LIST_ROLES,
        old,
        "iam",
    );
    let r = post(&server, &h, LIST_ROLES);
    let message = assert_error(&r, 403, "SignatureDoesNotMatch");
    assert!(message.starts_with("Signature expired: "), "{message}");
    let h = signed_headers(
        &server,
        &root.access_key_id,
        &stranger.secret_access_key,
        LIST_ROLES,
        old,
        "iam",
    );
    let r = post(&server, &h, LIST_ROLES);
    let message = assert_error(&r, 403, "SignatureDoesNotMatch");
    assert!(message.starts_with("Signature expired: "), "{message}");
}

#[tokio::test]
async fn unknown_and_inactive_keys() {
    let server = Server::start();
    let iam = iam(&server);

    // An access key the server has never seen.
    let stranger = Credentials::generate();
    let h = signed_headers(
        &server,
        &stranger.access_key_id,
        &stranger.secret_access_key,
        LIST_ROLES,
        now_epoch(),
        "iam",
    );
    let r = post(&server, &h, LIST_ROLES);
    let message = assert_error(&r, 403, "InvalidClientTokenId");
    // STS says it without a final period, some other services with one.
    assert_eq!(
        message.trim_end_matches('.'),
        "The security token included in the request is invalid"
    );

    // A key made Inactive with UpdateAccessKey.
    let (id, secret) = user_with_key(&iam, "kate").await;
    iam.put_user_policy()
        .user_name("kate")
        .policy_name("list")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let h = signed_headers(&server, &id, &secret, LIST_ROLES, now_epoch(), "iam");
    assert_eq!(
        post(&server, &h, LIST_ROLES).status,
        200,
        "active key works"
    );
    iam.update_access_key()
        .user_name("kate")
        .access_key_id(&id)
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let h = signed_headers(&server, &id, &secret, LIST_ROLES, now_epoch(), "iam");
    let r = post(&server, &h, LIST_ROLES);
    let message = assert_error(&r, 403, "InvalidClientTokenId");
    // STS says it without a final period, some other services with one.
    assert_eq!(
        message.trim_end_matches('.'),
        "The security token included in the request is invalid"
    );
    // Through the SDK too.
    let f = fail(iam_with(&server, &id, &secret).list_roles().send().await);
    assert_eq!((f.code.as_str(), f.status), ("InvalidClientTokenId", 403));

    // After deletion, likewise.
    iam.delete_access_key()
        .user_name("kate")
        .access_key_id(&id)
        .send()
        .await
        .unwrap();
    let h = signed_headers(&server, &id, &secret, LIST_ROLES, now_epoch(), "iam");
    assert_error(&post(&server, &h, LIST_ROLES), 403, "InvalidClientTokenId");
}

#[tokio::test]
async fn missing_and_incomplete_authorization() {
    let server = Server::start();
    let root = server.root().clone();
    let host = server.addr.to_string();
    let create = format!(
        "Action=CreateUser&Version=2010-05-08&UserName={}",
        "anonymous"
    );

    // No Authorization at all.
    let plain = vec![
        ("host".to_string(), host.clone()),
        ("content-type".to_string(), FORM.to_string()),
    ];
    let r = post(&server, &plain, &create);
    let message = assert_error(&r, 403, "MissingAuthenticationToken");
    assert_eq!(message, "Request is missing Authentication Token");
    // A GET without query authentication.
    let r = http_request(server.addr, "GET", &format!("/?{LIST_ROLES}"), &[], b"").unwrap();
    assert_error(&r, 403, "MissingAuthenticationToken");
    // An Authorization header that is not SigV4 is refused too.
    let mut basic = plain.clone();
    basic.push((
        "authorization".to_string(),
        "Basic dXNlcjpwYXNz".to_string(),
    ));
    let r = post(&server, &basic, &create);
    assert!(r.status == 400 || r.status == 403, "{}", r.text());
    let code = r.xml("Code").unwrap_or_default();
    assert!(
        ["MissingAuthenticationToken", "IncompleteSignature"].contains(&code.as_str()),
        "{}",
        r.text()
    );

    // SigV4 without the Signature part.
    let h = signed_headers(
        &server,
        &root.access_key_id,
        &root.secret_access_key,
        &create,
        now_epoch(),
        "iam",
    );
    let h: Vec<(String, String)> = h
        .into_iter()
        .map(|(n, v)| {
            if n == "authorization" {
                let cut = v.find(", Signature=").expect("a signature");
                (n, v[..cut].to_string())
            } else {
                (n, v)
            }
        })
        .collect();
    let r = post(&server, &h, &create);
    let message = assert_error(&r, 400, "IncompleteSignature");
    assert!(
        message.contains("Authorization header requires 'Signature' parameter."),
        "{message}"
    );
    // Without X-Amz-Date (and no Date).
    let h = signed_headers(
        &server,
        &root.access_key_id,
        &root.secret_access_key,
        &create,
        now_epoch(),
        "iam",
    );
    let h: Vec<(String, String)> = h.into_iter().filter(|(n, _)| n != "x-amz-date").collect();
    let message = assert_error(&post(&server, &h, &create), 400, "IncompleteSignature");
    assert!(message.contains("'X-Amz-Date'"), "{message}");

    let users = all_user_names(&iam(&server)).await;
    assert!(users.is_empty(), "nothing was created: {users:?}");
}

#[tokio::test]
async fn presigned_get() {
    let server = Server::start();
    let root = server.root().clone();
    iam(&server)
        .create_role()
        .role_name("presigned-visible")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap();
    let host = server.addr.to_string();
    let presign_for = |query: &str, secret: &str, timestamp: i64, expires: i64| {
        let headers = [("host", host.as_str())];
        let request = HttpRequest {
            method: "GET",
            path: "/",
            query,
            headers: &headers,
            body: b"",
        };
        let params = SigningParams {
            access_key_id: &root.access_key_id,
            secret_access_key: secret,
            session_token: None,
            region: "us-east-1",
            service: "iam",
            timestamp,
        };
        sigv4::presign(&request, &params, expires)
    };
    let presign =
        |query: &str, secret: &str, timestamp: i64| presign_for(query, secret, timestamp, 300);

    let query = presign(LIST_ROLES, &root.secret_access_key, now_epoch());
    assert!(
        query.starts_with("Action=ListRoles&Version=2010-05-08&X-Amz-Algorithm=AWS4-HMAC-SHA256"),
        "{query}"
    );
    assert!(query.contains("&X-Amz-Signature="), "{query}");
    let r = http_request(server.addr, "GET", &format!("/?{query}"), &[], b"").unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<ListRolesResponse"), "{}", r.text());
    assert_eq!(r.xml("RoleName").as_deref(), Some("presigned-visible"));

    // IAM ignores X-Amz-Expires (sigv4.rs: only the 15-minute window applies): signed two
    // minutes ago for 60 seconds, it still works.
    let query = presign_for(LIST_ROLES, &root.secret_access_key, now_epoch() - 120, 60);
    assert!(query.contains("X-Amz-Expires=60"), "{query}");
    let r = http_request(server.addr, "GET", &format!("/?{query}"), &[], b"").unwrap();
    assert_eq!(r.status, 200, "{}", r.text());

    // A presigned URL with the wrong secret, a changed parameter, or too old.
    let query = presign(
        LIST_ROLES,
        &Credentials::generate().secret_access_key,
        now_epoch(),
    );
    let r = http_request(server.addr, "GET", &format!("/?{query}"), &[], b"").unwrap();
    assert_error(&r, 403, "SignatureDoesNotMatch");
    let query = presign(LIST_ROLES, &root.secret_access_key, now_epoch())
        .replace("Action=ListRoles", "Action=ListUsers");
    let r = http_request(server.addr, "GET", &format!("/?{query}"), &[], b"").unwrap();
    assert_error(&r, 403, "SignatureDoesNotMatch");
    let query = presign(LIST_ROLES, &root.secret_access_key, now_epoch() - 20 * 60);
    let r = http_request(server.addr, "GET", &format!("/?{query}"), &[], b"").unwrap();
    let message = assert_error(&r, 403, "SignatureDoesNotMatch");
    assert!(message.starts_with("Signature expired: "), "{message}");
    // Without X-Amz-Signature.
    let query = presign(LIST_ROLES, &root.secret_access_key, now_epoch());
    let cut = query.find("&X-Amz-Signature=").unwrap();
    let r = http_request(
        server.addr,
        "GET",
        &format!("/?{}", &query[..cut]),
        &[],
        b"",
    )
    .unwrap();
    assert_error(&r, 400, "IncompleteSignature");
}

#[tokio::test]
async fn protocol_errors_after_authentication() {
    let server = Server::start();
    let root = server.root().clone();
    let send = |body: &str| {
        let h = signed_headers(
            &server,
            &root.access_key_id,
            &root.secret_access_key,
            body,
            now_epoch(),
            "iam",
        );
        post(&server, &h, body)
    };
    let r = send("Action=NoSuchOperation&Version=2010-05-08");
    let message = assert_error(&r, 400, "InvalidAction");
    assert!(message.contains("NoSuchOperation"), "{message}");
    let r = send("Version=2010-05-08");
    assert_error(&r, 400, "MissingAction");
    let r = send("Action=CreateRole&Version=2010-05-08&RoleName=no-trust-policy");
    let message = assert_error(&r, 400, "ValidationError");
    assert!(
        message.contains(
            "'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null"
        ),
        "{message}"
    );
    let r = send("Action=ListRoles&Version=2010-05-08&MaxItems=many");
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(role_names(&server).await.is_empty());
}

/// `headers` with `(name, value)` added after the first header called `after`.
fn with_header(
    headers: &[(String, String)],
    after: &str,
    name: &str,
    value: &str,
) -> Vec<(String, String)> {
    let mut out = headers.to_vec();
    let at = out
        .iter()
        .position(|(n, _)| n == after)
        .expect("the header")
        + 1;
    out.insert(at, (name.to_string(), value.to_string()));
    out
}

#[tokio::test]
async fn repeated_authentication_headers_are_refused() {
    let server = Server::start();
    let root = server.root().clone();
    let create = "Action=CreateUser&Version=2010-05-08&UserName=twice";
    let h = signed_headers(
        &server,
        &root.access_key_id,
        &root.secret_access_key,
        create,
        now_epoch(),
        "iam",
    );
    let value = |name: &str| {
        h.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let authorization = value("authorization");
    let date = value("x-amz-date");

    // The same Authorization twice: AWS reads a repeated header joined with commas, and
    // the second algorithm name is no key=value pair.
    let r = post(
        &server,
        &with_header(&h, "authorization", "Authorization", &authorization),
        create,
    );
    let message = assert_error(&r, 400, "IncompleteSignature");
    assert_eq!(
        message,
        format!(
            "'AWS4-HMAC-SHA256' not a valid key=value pair (missing equal-sign) in Authorization header: '{authorization},{authorization}'."
        )
    );
    // A valid Authorization and a second one that is only key=value pairs, or empty.
    for second in ["Signature=00", ""] {
        let r = post(
            &server,
            &with_header(&h, "authorization", "Authorization", second),
            create,
        );
        let message = assert_error(&r, 400, "IncompleteSignature");
        assert_eq!(
            message,
            "The request has more than one 'Authorization' header."
        );
    }
    // X-Amz-Date twice: joined, it is no date.
    let r = post(
        &server,
        &with_header(&h, "x-amz-date", "X-Amz-Date", &date),
        create,
    );
    let message = assert_error(&r, 400, "IncompleteSignature");
    assert!(
        message.starts_with(&format!(
            "Date must be in ISO-8601 'basic format'. Got '{date},{date}'."
        )),
        "{message}"
    );
    // A session token or a payload hash twice.
    let hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    for (name, v) in [
        ("X-Amz-Security-Token", "token"),
        ("X-Amz-Content-Sha256", hash),
    ] {
        let twice = with_header(&with_header(&h, "host", name, v), "host", name, v);
        let message = assert_error(&post(&server, &twice, create), 400, "IncompleteSignature");
        assert_eq!(
            message,
            format!("The request has more than one '{name}' header.")
        );
    }
    // A header signature with presigning parameters in the query.
    for (param, text) in [
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        (
            "X-Amz-Credential",
            "AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fiam%2Faws4_request",
        ),
        ("X-Amz-Signature", "00"),
    ] {
        let r = http_request(
            server.addr,
            "POST",
            &format!("/?{param}={text}"),
            &h,
            create.as_bytes(),
        )
        .unwrap();
        let message = assert_error(&r, 403, "SignatureDoesNotMatch");
        assert_eq!(
            message,
            format!(
                "Found both '{param}' as a query-string param and 'Authorization' as HTTP header."
            )
        );
    }
    // A presigned URL with a parameter twice.
    let host = server.addr.to_string();
    let headers = [("host", host.as_str())];
    let request = HttpRequest {
        method: "GET",
        path: "/",
        query: LIST_ROLES,
        headers: &headers,
        body: b"",
    };
    let params = SigningParams {
        access_key_id: &root.access_key_id,
        secret_access_key: &root.secret_access_key,
        session_token: None,
        region: "us-east-1",
        service: "iam",
        timestamp: now_epoch(),
    };
    let query = sigv4::presign(&request, &params, 300);
    let r = http_request(server.addr, "GET", &format!("/?{query}"), &[], b"").unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let r = http_request(
        server.addr,
        "GET",
        &format!("/?{query}&X-Amz-Signature=00"),
        &[],
        b"",
    )
    .unwrap();
    let message = assert_error(&r, 400, "IncompleteSignature");
    assert_eq!(
        message,
        "The request has more than one 'X-Amz-Signature' query-string parameter."
    );

    // Signed once, the request goes through; nothing was created before.
    assert!(all_user_names(&iam(&server)).await.is_empty());
    let r = post(&server, &h, create);
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn credential_scope_regions() {
    let refused = "Credential should be scoped to a valid region, not 'xx-bogus-9'. ";
    let server = Server::start();
    let root = server.root().clone();
    let send = |body: &str, service: &str, region: &str| {
        let h = signed_headers_in(
            &server,
            &root.access_key_id,
            &root.secret_access_key,
            body,
            now_epoch(),
            service,
            region,
        );
        post(&server, &h, body)
    };
    let identity = "Action=GetCallerIdentity&Version=2011-06-15";
    let r = send(LIST_ROLES, "iam", "xx-bogus-9");
    assert_eq!(assert_error(&r, 403, "SignatureDoesNotMatch"), refused);
    // STS checks the region as its regional endpoints do.
    let r = send(identity, "sts", "xx-bogus-9");
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.xml("Code").as_deref(), Some("SignatureDoesNotMatch"));
    assert_eq!(r.xml("Message").as_deref(), Some(refused));
    // A wrong region and a wrong service are reported together, region first.
    let r = send(LIST_ROLES, "sts", "xx-bogus-9");
    let message = assert_error(&r, 403, "SignatureDoesNotMatch");
    assert_eq!(
        message,
        format!("{refused}Credential should be scoped to correct service: 'iam'. ")
    );
    // The regions of every partition.
    for region in [
        "us-east-1",
        "eu-west-1",
        "ap-southeast-7",
        "cn-north-1",
        "us-gov-west-1",
    ] {
        let r = send(LIST_ROLES, "iam", region);
        assert_eq!(r.status, 200, "{region}: {}", r.text());
        let r = send(identity, "sts", region);
        assert_eq!(r.status, 200, "{region}: {}", r.text());
    }
    let r = send(LIST_ROLES, "iam", "onprem-east-1");
    assert_error(&r, 403, "SignatureDoesNotMatch");

    // An operator adds regions of their own (`--region`, or PORTCULLIS_REGIONS).
    let server = Server::start_with(Options {
        env: vec![("PORTCULLIS_REGIONS".into(), "onprem-east-1,lab-1".into())],
        ..Options::default()
    });
    let root = server.root().clone();
    let send = |body: &str, service: &str, region: &str| {
        let h = signed_headers_in(
            &server,
            &root.access_key_id,
            &root.secret_access_key,
            body,
            now_epoch(),
            service,
            region,
        );
        post(&server, &h, body)
    };
    for region in ["onprem-east-1", "lab-1", "us-east-1"] {
        let r = send(LIST_ROLES, "iam", region);
        assert_eq!(r.status, 200, "{region}: {}", r.text());
        let r = send(identity, "sts", region);
        assert_eq!(r.status, 200, "{region}: {}", r.text());
    }
    let r = send(LIST_ROLES, "iam", "xx-bogus-9");
    assert_eq!(assert_error(&r, 403, "SignatureDoesNotMatch"), refused);
}
