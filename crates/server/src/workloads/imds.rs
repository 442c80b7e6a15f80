//! The instance metadata service of one instance, as EC2 serves it at
//! `http://169.254.169.254`: IMDSv2 session tokens (`PUT /latest/api/token`), IMDSv1 when
//! the instance allows it, the instance's identity, and its role's credentials under
//! `/latest/meta-data/iam/`.

use super::vend::{ServiceAssumption, VendError};
use crate::app::App;
use crate::registry::Cached;
use crate::time::{iso8601, now_seconds};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use portcullis_store::{HttpTokens, Instance, InstanceProfile, Role};
use serde_json::{Value, json};
use std::sync::Arc;

/// The header that asks for a token, with its lifetime in seconds.
pub(crate) const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
/// The header that carries a token.
pub(crate) const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
/// The longest a token lives (six hours).
pub(crate) const MAX_TTL: i64 = 21_600;

/// The service principal instances assume their roles as.
const EC2: &str = "ec2.amazonaws.com";

#[derive(Clone)]
struct Imds {
    app: Arc<App>,
    instance_id: String,
}

/// The metadata service of the instance `instance_id`.
pub(crate) fn router(app: Arc<App>, instance_id: String) -> Router {
    Router::new()
        .fallback(serve)
        .with_state(Imds { app, instance_id })
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    let mut r = Response::new(Body::from(body.into()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    r
}

fn status(code: StatusCode) -> Response {
    text(code, code.canonical_reason().unwrap_or_default())
}

/// A token for the instance: sealed with the server's session key ring, so it cannot be
/// forged, names its instance and its expiry.
fn token(app: &App, instance_id: &str, expires: i64) -> String {
    app.sessions
        .seal_bytes(format!("imds {instance_id} {expires}").as_bytes())
}

fn token_valid(app: &App, instance_id: &str, token: &str) -> bool {
    let Some(plain) = app.sessions.open_bytes(token) else {
        return false;
    };
    let plain = String::from_utf8_lossy(&plain);
    let mut parts = plain.split(' ');
    parts.next() == Some("imds")
        && parts.next() == Some(instance_id)
        && parts
            .next()
            .and_then(|e| e.parse::<i64>().ok())
            .is_some_and(|e| e > now_seconds())
}

/// Answers one metadata request, and logs it in the request log (at `info`: method, path,
/// status, latency and the instance; credentials never appear in a path).
async fn serve(State(s): State<Imds>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let started = std::time::Instant::now();
    let response = answer(&s, &method, &uri, &headers).await;
    tracing::info!(
        target: crate::listener::REQUEST_LOG,
        method = %method,
        path = uri.path(),
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        instance = %s.instance_id,
        "instance metadata request"
    );
    response
}

async fn answer(s: &Imds, method: &Method, uri: &Uri, headers: &HeaderMap) -> Response {
    let Some(instance) = s.app.read(|e| e.instances.get(&s.instance_id).cloned()) else {
        return status(StatusCode::NOT_FOUND);
    };
    let path = uri.path();
    if path == "/latest/api/token" {
        return put_token(&s.app, &instance, method, headers);
    }
    if *method != Method::GET && *method != Method::HEAD {
        return status(StatusCode::METHOD_NOT_ALLOWED);
    }
    match headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok()) {
        Some(t) if !token_valid(&s.app, &instance.id, t) => {
            return status(StatusCode::UNAUTHORIZED);
        }
        None if instance.http_tokens == HttpTokens::Required => {
            return status(StatusCode::UNAUTHORIZED);
        }
        _ => {}
    }
    match metadata(&s.app, &instance, path).await {
        Some(body) => text(StatusCode::OK, body),
        None => status(StatusCode::NOT_FOUND),
    }
}

fn put_token(app: &App, instance: &Instance, method: &Method, headers: &HeaderMap) -> Response {
    if method != Method::PUT {
        return status(StatusCode::METHOD_NOT_ALLOWED);
    }
    // A request that went through a proxy is refused, as EC2 refuses it (IMDSv2 guards
    // against open reverse proxies this way).
    if headers.contains_key("x-forwarded-for") {
        return status(StatusCode::FORBIDDEN);
    }
    let ttl = headers
        .get(TTL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|t| (1..=MAX_TTL).contains(t));
    let Some(ttl) = ttl else {
        return status(StatusCode::BAD_REQUEST);
    };
    let mut r = text(
        StatusCode::OK,
        token(app, &instance.id, now_seconds() + ttl),
    );
    if let Ok(v) = HeaderValue::from_str(&ttl.to_string()) {
        r.headers_mut().insert(TTL_HEADER, v);
    }
    r
}

/// A private IPv4 address for the instance, stable for its ID.
fn private_ip(instance: &Instance) -> String {
    let digits = instance.id.trim_start_matches("i-");
    let n = u64::from_str_radix(&digits[digits.len().saturating_sub(4)..], 16).unwrap_or(0);
    format!("172.31.{}.{}", (n >> 8) & 0xff, (n & 0xff).max(4))
}

fn region(instance: &Instance) -> &str {
    let az = instance.availability_zone.as_str();
    az.trim_end_matches(|c: char| c.is_ascii_lowercase())
}

/// The role of the instance's profile, if it has one.
fn profile_and_role(app: &App, instance: &Instance) -> (Option<InstanceProfile>, Option<Role>) {
    app.read(|e| {
        let profile = e.instance_profile(&instance.instance_profile).cloned();
        let role = profile
            .as_ref()
            .and_then(|p| p.roles.first())
            .and_then(|r| e.role(r).cloned());
        (profile, role)
    })
}

async fn metadata(app: &App, instance: &Instance, path: &str) -> Option<String> {
    let ip = private_ip(instance);
    let hostname = format!("ip-{}.ec2.internal", ip.replace('.', "-"));
    Some(match path.trim_start_matches("/latest") {
        "/meta-data" | "/meta-data/" => "ami-id\nhostname\niam/\ninstance-id\ninstance-type\nlocal-hostname\nlocal-ipv4\nplacement/".to_string(),
        "/meta-data/ami-id" => instance.image_id.clone(),
        "/meta-data/instance-id" => instance.id.clone(),
        "/meta-data/instance-type" => instance.instance_type.clone(),
        "/meta-data/local-ipv4" => ip,
        "/meta-data/hostname" | "/meta-data/local-hostname" => hostname,
        "/meta-data/placement" | "/meta-data/placement/" => "availability-zone\nregion".to_string(),
        "/meta-data/placement/availability-zone" => instance.availability_zone.clone(),
        "/meta-data/placement/region" => region(instance).to_string(),
        "/meta-data/iam" | "/meta-data/iam/" => "info\nsecurity-credentials/".to_string(),
        "/meta-data/iam/info" => info(app, instance).await?,
        "/meta-data/iam/security-credentials" | "/meta-data/iam/security-credentials/" => {
            profile_and_role(app, instance).1?.name
        }
        "/dynamic/instance-identity/document" => pretty(&identity_document(app, instance)),
        other => {
            let name = other.strip_prefix("/meta-data/iam/security-credentials/")?;
            let (_, role) = profile_and_role(app, instance);
            let role = role.filter(|r| r.name == name)?;
            security_credentials(app, instance, &role).await
        }
    })
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// EC2's answer when the role does not trust it.
fn unauthorized(role: &Role) -> Value {
    json!({
        "Code": "AssumeRoleUnauthorizedAccess",
        "Message": format!(
            "EC2 cannot assume the role {}.  Please see documentation at https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html.",
            role.name
        ),
        "LastUpdated": iso8601(crate::time::now_millis()),
    })
}

async fn vend(app: &App, instance: &Instance, role: &Role) -> Result<Cached, VendError> {
    super::credentials(
        app,
        &instance.id,
        &ServiceAssumption {
            service: EC2,
            role,
            session_name: &instance.id,
            source_arn: instance_arn(app, instance),
            duration_seconds: app.config.workload_session_seconds,
        },
    )
    .await
}

/// The ARN of an instance.
pub(crate) fn instance_arn(app: &App, instance: &Instance) -> String {
    format!(
        "arn:aws:ec2:{}:{}:instance/{}",
        region(instance),
        app.account_id(),
        instance.id
    )
}

async fn info(app: &App, instance: &Instance) -> Option<String> {
    let (profile, role) = profile_and_role(app, instance);
    let profile = profile?;
    let role = role?;
    Some(pretty(&match vend(app, instance, &role).await {
        Ok(c) => json!({
            "Code": "Success",
            "LastUpdated": iso8601(c.issued_millis),
            "InstanceProfileArn": profile.arn,
            "InstanceProfileId": profile.id,
        }),
        Err(_) => unauthorized(&role),
    }))
}

async fn security_credentials(app: &App, instance: &Instance, role: &Role) -> String {
    pretty(&match vend(app, instance, role).await {
        Ok(c) => json!({
            "Code": "Success",
            "LastUpdated": iso8601(c.issued_millis),
            "Type": "AWS-HMAC",
            "AccessKeyId": c.credentials.access_key_id,
            "SecretAccessKey": c.credentials.secret_access_key,
            "Token": c.credentials.session_token,
            "Expiration": c.credentials.expiration,
        }),
        Err(_) => unauthorized(role),
    })
}

fn identity_document(app: &App, instance: &Instance) -> Value {
    json!({
        "accountId": app.account_id(),
        "architecture": "x86_64",
        "availabilityZone": instance.availability_zone,
        "billingProducts": null,
        "devpayProductCodes": null,
        "marketplaceProductCodes": null,
        "imageId": instance.image_id,
        "instanceId": instance.id,
        "instanceType": instance.instance_type,
        "kernelId": null,
        "pendingTime": iso8601(instance.launch_time),
        "privateIp": private_ip(instance),
        "ramdiskId": null,
        "region": region(instance),
        "version": "2017-09-30",
    })
}
