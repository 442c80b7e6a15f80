//! The HTTP front door: one listener for the APIs (`POST /` or `GET /`: IAM and STS in the
//! Query protocol, CloudTrail's LookupEvents in JSON 1.1, the EC2 and ECS calls of
//! workloads), each answered by the one request [`pipeline`]; plus `/_portcullis/health`,
//! `/_portcullis/reset` (`--dev` only), the ECS container credential endpoints and the
//! issuer's OpenID configuration and keys.

mod cloudtrail;
mod pipeline;
mod query;
mod workload;

use crate::app::App;
use crate::listener::{REQUEST_ID_HEADER, request_id};
use crate::time::now_millis;
use crate::{sts, workloads};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cloudtrail::CloudTrail;
use pipeline::{LogFacts, Received};
use portcullis_protocol::sigv4::HttpRequest;
use portcullis_protocol::{self as protocol};
use query::Query;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use workload::{Ec2, Ecs};

/// The router of a server.
pub(crate) fn router(app: Arc<App>) -> Router {
    let issuer = app.issuer.path().to_string();
    Router::new()
        .route("/", get(api).post(api))
        .route("/_portcullis/health", get(health))
        .route("/_portcullis/reset", post(reset))
        .route("/v2/credentials/{id}", get(container_credentials))
        .route(
            "/_portcullis/ecs/credentials/{id}",
            get(container_credentials),
        )
        .route(
            &format!("{issuer}/.well-known/openid-configuration"),
            get(issuer_discovery),
        )
        .route(&format!("{issuer}/jwks.json"), get(issuer_keys))
        .route(
            "/_portcullis/outbound/{id}/.well-known/jwks.json",
            get(outbound_keys),
        )
        .with_state(app)
}

fn plain_json(status: u16, body: String) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

async fn container_credentials(
    State(app): State<Arc<App>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let (status, body) = workloads::tasks::credentials(&app, uri.path(), authorization).await;
    plain_json(status, body.to_string())
}

async fn issuer_discovery(State(app): State<Arc<App>>) -> Response {
    plain_json(200, app.issuer.discovery().to_string())
}

async fn issuer_keys(State(app): State<Arc<App>>) -> Response {
    plain_json(
        200,
        serde_json::to_string(app.issuer.key_set()).unwrap_or_default(),
    )
}

/// The key set of the account's outbound identity federation issuer
/// (`https://{id}.tokens.sts.global.api.aws`), for verifying GetWebIdentityToken tokens.
async fn outbound_keys(
    State(app): State<Arc<App>>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    match sts::outbound_key_set(&app, &id) {
        Some(keys) => plain_json(200, keys.to_string()),
        None => plain_json(
            404,
            json!({"error": "no outbound identity federation issuer with this ID"}).to_string(),
        ),
    }
}

async fn health(State(app): State<Arc<App>>) -> Response {
    let store = match app.store_health().await {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("error: {e}"),
    };
    let status = if store == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if status == StatusCode::OK { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "store": store,
        "store_kind": app.store_description(),
        "account": app.account_id(),
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn reset(State(app): State<Arc<App>>) -> Response {
    if !app.config.dev {
        return StatusCode::NOT_FOUND.into_response();
    }
    match app.reset().await {
        Ok(_) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            json!({"status": "ok"}).to_string(),
        )
            .into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "application/json")],
            json!({"status": "error", "error": e.to_string()}).to_string(),
        )
            .into_response(),
    }
}

/// An answer with an XML body (the content type of the Query protocol) and the request ID.
fn xml_response(status: u16, body: String, request_id: &str) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(protocol::CONTENT_TYPE),
    );
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER, id);
    }
    response
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

fn user_agent(headers: &HeaderMap) -> &str {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn api(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut log = LogFacts::new();
    let response = api_call(&app, peer, &method, &uri, &headers, &body, &mut log).await;
    log.attach(response)
}

/// Answers an API request with the protocol it speaks: ECS or CloudTrail (JSON 1.1, by
/// `X-Amz-Target`), EC2 (Query, by its `Version`), IAM or STS (Query).
async fn api_call(
    app: &Arc<App>,
    peer: SocketAddr,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
    log: &mut LogFacts,
) -> Response {
    let request_id = request_id();
    let source_ip = peer.ip().to_string();
    let form_body: &[u8] = if method == Method::POST && is_form(headers) {
        body
    } else {
        &[]
    };
    let params = protocol::parse_request(uri.query(), form_body);
    let header_list = header_list(uri, headers);
    let received = Received {
        request_id: &request_id,
        time: now_millis(),
        source_ip: &source_ip,
        user_agent: user_agent(headers),
        http: HttpRequest {
            method: method.as_str(),
            path: uri.path(),
            query: uri.query().unwrap_or(""),
            headers: &header_list,
            body,
        },
    };
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    let host = || {
        headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| app.config.listen.to_string(), str::to_string)
    };
    if let Some(ecs) = Ecs::of(target, body, host) {
        return pipeline::serve(app, &ecs, &received, log).await;
    }
    if let Some(ec2) = Ec2::of(&params) {
        return pipeline::serve(app, &ec2, &received, log).await;
    }
    if let Some(target) = target {
        return pipeline::serve(app, &CloudTrail::new(target, body), &received, log).await;
    }
    let signed = headers.contains_key(header::AUTHORIZATION)
        || protocol::find_param(&params, "X-Amz-Algorithm").is_some();
    pipeline::serve(app, &Query::new(&params, signed), &received, log).await
}

/// The request's headers as the signature check reads them. A value that is not visible
/// ASCII stays in the list as U+FFFD, so that a repeated header is seen whatever it holds
/// (and a signed one fails to match).
fn header_list<'a>(uri: &'a Uri, headers: &'a HeaderMap) -> Vec<(&'a str, &'a str)> {
    let mut list: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_str().unwrap_or("\u{fffd}")))
        .collect();
    if !headers.contains_key(header::HOST)
        && let Some(a) = uri.authority()
    {
        list.push((":authority", a.as_str()));
    }
    list
}
