//! The HTTP front door: one listener for IAM and STS (`POST /` or `GET /` in the Query
//! protocol), CloudTrail's LookupEvents (`POST /` in the JSON 1.1 protocol, named by
//! `X-Amz-Target`), plus `/_portcullis/health` and, in `--dev` mode, `/_portcullis/reset`.
//!
//! A request goes: parameters → authentication (SigV4) → operation and input decoded from
//! the botocore model → authorization by the policy engine → the operation → its audit
//! event, committed → XML.

use crate::app::App;
use crate::caller::{self, Caller};
use crate::error::Error;
use crate::iam;
use crate::listener::{self, CallFacts, REQUEST_ID_HEADER, request_id};
use crate::time::now_millis;
use crate::{audit, authz, denial, sts, workloads};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use portcullis_policy::PrincipalKind;
use portcullis_protocol::sigv4;
use portcullis_protocol::sigv4::HttpRequest;
use portcullis_protocol::{self as protocol, AwsError, Service};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;

/// The router of a server.
pub(crate) fn router(app: Arc<App>) -> Router {
    let issuer = app.issuer.path().to_string();
    Router::new()
        .route("/", get(query).post(query))
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

/// The request log's facts of an API call ([`CallFacts`]), gathered while the call is
/// answered when the request log is on; otherwise nothing is kept (nor allocated).
struct LogFacts(Option<CallFacts>);

/// The most characters of a requested action the log keeps (an unknown one is the
/// client's text).
const LOGGED_ACTION_CHARS: usize = 128;

impl LogFacts {
    fn new() -> LogFacts {
        LogFacts(listener::logs_requests().then(CallFacts::default))
    }

    /// The operation the request names.
    fn action(&mut self, action: &str) {
        if let Some(facts) = &mut self.0
            && !action.is_empty()
        {
            facts.action = Some(action.chars().take(LOGGED_ACTION_CHARS).collect());
        }
    }

    /// The authenticated caller (an anonymous one is nobody).
    fn caller(&mut self, caller: &Caller) {
        if let Some(facts) = &mut self.0
            && caller.principal.kind != PrincipalKind::Anonymous
        {
            facts.principal = Some(caller.principal.arn.clone());
        }
    }

    /// The answer, with the facts for the listener's log line.
    fn attach(self, mut response: Response) -> Response {
        if let Some(facts) = self.0 {
            response.extensions_mut().insert(facts);
        }
        response
    }
}

fn xml(status: u16, body: String, request_id: &str) -> Response {
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

/// The parts of a request the audit record needs that the handlers do not otherwise keep.
struct Received<'a> {
    request_id: &'a str,
    time: i64,
    source_ip: &'a str,
    user_agent: &'a str,
}

impl Received<'_> {
    fn facts<'a>(
        &'a self,
        service: &'a str,
        caller: Option<&'a Caller>,
    ) -> audit::record::Facts<'a> {
        audit::record::Facts {
            request_id: self.request_id,
            time: self.time,
            service,
            source_ip: self.source_ip,
            user_agent: self.user_agent,
            region: caller.map(|c| c.region.as_str()),
            caller,
            claimed_access_key_id: None,
            operation: "",
            input: None,
            authorized: false,
            resource_arn: None,
        }
    }
}

/// Room for the line of a usual event, so that writing it does not grow the buffer.
const LINE_CAPACITY: usize = 2048;

/// Records the event of a request; `Err` (ServiceUnavailable) when the trail cannot take
/// it, in which case the request must not be answered as done.
async fn record(
    app: &App,
    facts: &audit::record::Facts<'_>,
    outcome: Result<&serde_json::Value, &AwsError>,
) -> Result<(), AwsError> {
    if !app.audits() {
        return Ok(());
    }
    let mut line = Vec::with_capacity(LINE_CAPACITY);
    audit::record::write_event(&mut line, app.account_id(), facts, outcome);
    app.record_event(&line, facts.time)
        .await
        .map_err(Error::into_aws)
}

fn user_agent(headers: &HeaderMap) -> &str {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The APIs of the workloads that get credentials: EC2 (Query protocol, its own version)
/// and ECS (JSON 1.1, by `X-Amz-Target`).
enum WorkloadApi {
    Ec2,
    Ecs(String),
}

impl WorkloadApi {
    fn of(headers: &HeaderMap, params: &protocol::Params<'_>) -> Option<WorkloadApi> {
        if let Some(op) = headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .and_then(|t| t.strip_prefix(workloads::tasks::TARGET_PREFIX))
        {
            return Some(WorkloadApi::Ecs(op.to_string()));
        }
        (protocol::find_param(params, "Version") == Some(workloads::instances::API_VERSION))
            .then_some(WorkloadApi::Ec2)
    }
}

/// Answers an EC2 or ECS call and records its event.
async fn workload_call(
    app: &Arc<App>,
    api: WorkloadApi,
    received: &Received<'_>,
    request: &HttpRequest<'_>,
    headers: &HeaderMap,
    params: &protocol::Params<'_>,
    log: &mut LogFacts,
) -> Response {
    let signing_name = match api {
        WorkloadApi::Ec2 => "ec2",
        WorkloadApi::Ecs(_) => "ecs",
    };
    log.action(match &api {
        WorkloadApi::Ec2 => protocol::find_param(params, "Action").unwrap_or_default(),
        WorkloadApi::Ecs(op) => op,
    });
    let authenticated = caller::authenticate(app, request, signing_name, received.source_ip);
    if let Ok(caller) = &authenticated {
        log.caller(caller);
    }
    let claimed = authenticated
        .is_err()
        .then(|| sigv4::parse(request).ok())
        .flatten();
    let request_id = received.request_id;
    let json_type = "application/x-amz-json-1.1";
    let (caller, (status, body, error, content_type)) = match authenticated {
        Ok(caller) => {
            let answer = match &api {
                WorkloadApi::Ec2 => {
                    let (status, body, error) =
                        workloads::instances::call(app, &caller, params, request_id).await;
                    (status, body, error, protocol::CONTENT_TYPE)
                }
                WorkloadApi::Ecs(op) => {
                    let host = headers
                        .get(header::HOST)
                        .and_then(|v| v.to_str().ok())
                        .map_or_else(|| app.config.listen.to_string(), str::to_string);
                    let (status, body, error) =
                        workloads::tasks::call(app, &caller, op, request.body, &host).await;
                    (status, body, error, json_type)
                }
            };
            (Some(caller), answer)
        }
        Err(refused) => {
            let answer = match &api {
                WorkloadApi::Ec2 => {
                    let e = workloads::instances::Ec2Error::from(refused);
                    let error = AwsError::new(e.code.clone(), e.message.clone());
                    let body = workloads::instances::error_body(&e, request_id);
                    (e.status, body, Some(error), protocol::CONTENT_TYPE)
                }
                WorkloadApi::Ecs(_) => {
                    let aws = refused.into_aws();
                    let body = json!({"__type": aws.code(), "message": aws.message()}).to_string();
                    (aws.status(), body, Some(aws), json_type)
                }
            };
            (None, answer)
        }
    };
    let input = match &api {
        WorkloadApi::Ec2 => Some(serde_json::Value::Object(
            params
                .iter()
                .filter(|(k, _)| {
                    !matches!(k.as_ref(), "Action" | "Version") && !k.starts_with("X-Amz-")
                })
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect(),
        )),
        WorkloadApi::Ecs(_) => serde_json::from_slice(request.body).ok(),
    };
    let mut facts = received.facts(signing_name, caller.as_ref());
    facts.operation = match &api {
        WorkloadApi::Ec2 => protocol::find_param(params, "Action").unwrap_or_default(),
        WorkloadApi::Ecs(op) => op,
    };
    facts.claimed_access_key_id = claimed.as_ref().map(|s| s.access_key_id.as_str());
    facts.input = input.as_ref();
    facts.authorized = caller.is_some()
        && !matches!(&error, Some(e) if matches!(e.code(), "UnauthorizedOperation" | "AccessDeniedException"));
    let null = serde_json::Value::Null;
    let outcome = match &error {
        Some(e) => Err(e),
        None => Ok(&null),
    };
    let (status, body, content_type) = match record(app, &facts, outcome).await {
        Ok(()) => (status, body, content_type),
        Err(e) => (
            e.status(),
            json!({"__type": e.code(), "message": e.message()}).to_string(),
            json_type,
        ),
    };
    let mut response = xml(status, body, request_id);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

async fn query(
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

/// Answers an API request: IAM or STS (Query protocol), EC2 or ECS, CloudTrail.
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
    let received = Received {
        request_id: &request_id,
        time: now_millis(),
        source_ip: &source_ip,
        user_agent: user_agent(headers),
    };
    let form_body: &[u8] = if method == Method::POST && is_form(headers) {
        body
    } else {
        &[]
    };
    let params = protocol::parse_request(uri.query(), form_body);
    let header_list = header_list(uri, headers);
    let http_request = HttpRequest {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        headers: &header_list,
        body,
    };
    if let Some(api) = WorkloadApi::of(headers, &params) {
        return workload_call(app, api, &received, &http_request, headers, &params, log).await;
    }
    if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        return json_call(app, &received, target, &http_request, log).await;
    }
    let version = protocol::find_param(&params, "Version");
    let service = match version {
        Some(v) if v == Service::Sts.model().api_version() => Service::Sts,
        _ => Service::Iam,
    };
    let model = service.model();
    let action = protocol::find_param(&params, "Action");
    if let Some(action) = action {
        log.action(action);
    }
    let unsigned = action
        .and_then(|a| model.operation(a))
        .is_some_and(|op| op.unsigned)
        && !headers.contains_key(header::AUTHORIZATION)
        && protocol::find_param(&params, "X-Amz-Algorithm").is_none();
    let authenticated = if unsigned {
        caller::anonymous(app, &source_ip)
    } else {
        caller::authenticate(app, &http_request, service.signing_name(), &source_ip)
    };
    let caller = match authenticated {
        Ok(c) => {
            log.caller(&c);
            c
        }
        Err(e) => {
            let error = e.into_aws();
            let claimed = sigv4::parse(&http_request).ok();
            let mut facts = received.facts(service.signing_name(), None);
            facts.claimed_access_key_id = claimed.as_ref().map(|s| s.access_key_id.as_str());
            facts.region = claimed.as_ref().map(|s| s.region.as_str());
            facts.operation = action
                .and_then(|a| model.operation(a))
                .map_or("", |op| op.name.as_str());
            let error = record(app, &facts, Err(&error))
                .await
                .err()
                .unwrap_or(error);
            let r = protocol::encode_error(model, &error, &request_id);
            return xml(r.status, r.body, &request_id);
        }
    };
    note_use(app, &caller, service);
    let (model, operation) = match protocol::resolve_operation(&params, Some(service)) {
        Ok(found) => found,
        Err(e) => {
            let facts = received.facts(service.signing_name(), Some(&caller));
            let e = record(app, &facts, Err(&e)).await.err().unwrap_or(e);
            let r = protocol::encode_error(model, &e, &request_id);
            return xml(r.status, r.body, &request_id);
        }
    };
    let op = operation.name.as_str();
    note_access(app, &caller, service, op);
    let mut facts = received.facts(service.signing_name(), Some(&caller));
    facts.operation = op;
    let input = protocol::decode_input(model, operation, &params);
    let mut authorized = false;
    let result = match &input {
        Err(e) => Err(Error::Aws(e.clone())),
        Ok(input) => {
            facts.input = Some(input);
            match authz::check(app, &caller, service.signing_name(), op, input) {
                Ok(()) => {
                    authorized = true;
                    run(app, &caller, service, op, input).await
                }
                Err(e) => Err(e),
            }
        }
    };
    let encoded = match &result {
        Err(Error::Denied { encoded, .. }) if !encoded.is_empty() => {
            HeaderValue::from_str(encoded).ok()
        }
        _ => None,
    };
    let result = result.map_err(Error::into_aws);
    if let Ok(input) = &input
        && app.audits()
    {
        facts.resource_arn = authz::resource_arn(app, &caller, service.signing_name(), op, input);
    }
    // AssumeRole authorizes itself: its AccessDenied is a denial too.
    facts.authorized = authorized && !matches!(&result, Err(e) if e.code() == "AccessDenied");
    let result = match record(app, &facts, result.as_ref()).await {
        Ok(()) => result,
        Err(e) => Err(e),
    };
    let r = protocol::respond(model, operation, &result, &request_id);
    let mut response = xml(r.status, r.body, &request_id);
    if let Some(encoded) = encoded {
        response.headers_mut().insert(denial::HEADER, encoded);
    }
    response
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

/// Keeps the last-used data of access keys and roles (written at most once a minute per
/// key or role, in the background).
fn note_use(app: &Arc<App>, caller: &Caller, service: Service) {
    if !app.config.verifies_signatures() {
        return;
    }
    if let Some(key) = &caller.access_key_id
        && app.key_use_due(key)
    {
        let (app, key, region) = (app.clone(), key.clone(), caller.region.clone());
        tokio::spawn(async move {
            if let Err(e) = app
                .record_key_use(&key, service.signing_name(), &region)
                .await
            {
                tracing::warn!(error = %e, "could not record the use of an access key");
            }
        });
    }
    if caller.principal.kind == PrincipalKind::AssumedRole
        && let Some(role) = caller.principal.name.clone()
        && app.role_use_due(&role)
    {
        let (app, region) = (app.clone(), caller.region.clone());
        tokio::spawn(async move {
            if let Err(e) = app.write_role_use(&role, &region).await {
                tracing::warn!(error = %e, "could not record the use of a role");
            }
        });
    }
}

/// Records which IAM or STS action a user or role used, for the service last accessed
/// data (at most once a minute per principal and action, in the background).
fn note_access(app: &Arc<App>, caller: &Caller, service: Service, op: &str) {
    if !app.config.verifies_signatures() {
        return;
    }
    let Some(entity) = crate::iam::last_accessed::accessor(caller) else {
        return;
    };
    let action = format!("{}:{op}", service.signing_name());
    if app.key_use_due(&format!("access:{entity}:{action}")) {
        let (app, region) = (app.clone(), caller.region.clone());
        tokio::spawn(async move {
            if let Err(e) = crate::iam::last_accessed::record(&app, &entity, &action, &region).await
            {
                tracing::warn!(error = %e, "could not record service last accessed data");
            }
        });
    }
}

async fn run(
    app: &App,
    caller: &Caller,
    service: Service,
    op: &str,
    input: &serde_json::Value,
) -> Result<serde_json::Value, Error> {
    let answer = match service {
        Service::Iam => {
            let ctx = crate::call::Ctx {
                app,
                caller,
                input: crate::call::Input(input),
            };
            iam::call(op, &ctx).await
        }
        Service::Sts => {
            let ctx = crate::call::Ctx {
                app,
                caller,
                input: crate::call::Input(input),
            };
            sts::call(op, &ctx).await
        }
    };
    answer.unwrap_or_else(|| {
        Err(Error::aws(
            "NotImplemented",
            format!("Portcullis does not implement {op} yet."),
        ))
    })
}

/// A JSON 1.1 answer (CloudTrail).
fn json_response(status: u16, body: String, request_id: &str) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(audit::lookup::CONTENT_TYPE),
    );
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER, id);
    }
    response
}

/// An error in the JSON 1.1 protocol: `{"__type": CODE, "message": TEXT}`, with the
/// codes JSON services use for the Query ones.
fn json_error(error: &AwsError, request_id: &str) -> Response {
    let code = match error.code() {
        "AccessDenied" => "AccessDeniedException",
        "InvalidClientTokenId" => "UnrecognizedClientException",
        "SignatureDoesNotMatch" => "InvalidSignatureException",
        "ExpiredToken" => "ExpiredTokenException",
        other => other,
    };
    let status = match error.status() {
        500..=599 => error.status(),
        _ => 400,
    };
    json_response(
        status,
        json!({"__type": code, "message": error.message()}).to_string(),
        request_id,
    )
}

/// A call in the JSON 1.1 protocol, named by `X-Amz-Target`: CloudTrail's LookupEvents.
async fn json_call(
    app: &App,
    received: &Received<'_>,
    target: &str,
    http_request: &HttpRequest<'_>,
    log: &mut LogFacts,
) -> Response {
    const SERVICE: &str = "cloudtrail";
    let request_id = received.request_id;
    let body = http_request.body;
    let op = target
        .strip_prefix(audit::lookup::TARGET_PREFIX)
        .unwrap_or("");
    log.action(if op.is_empty() { target } else { op });
    let caller = match caller::authenticate(app, http_request, SERVICE, received.source_ip) {
        Ok(c) => {
            log.caller(&c);
            c
        }
        Err(e) => {
            let error = e.into_aws();
            let claimed = sigv4::parse(http_request).ok();
            let mut facts = received.facts(SERVICE, None);
            facts.claimed_access_key_id = claimed.as_ref().map(|s| s.access_key_id.as_str());
            facts.operation = op;
            let error = record(app, &facts, Err(&error))
                .await
                .err()
                .unwrap_or(error);
            return json_error(&error, request_id);
        }
    };
    let mut facts = received.facts(SERVICE, Some(&caller));
    facts.operation = op;
    let input: Result<serde_json::Value, AwsError> = if body.is_empty() {
        Ok(json!({}))
    } else {
        serde_json::from_slice(body).map_err(|e| {
            AwsError::new(
                "SerializationException",
                format!("The request body is not JSON: {e}"),
            )
        })
    };
    let result = match (&input, op) {
        (Err(e), _) => Err(e.clone()),
        (Ok(input), "LookupEvents") => {
            facts.input = Some(input);
            match authz::check(app, &caller, SERVICE, op, input) {
                Ok(()) => {
                    facts.authorized = true;
                    audit::lookup::lookup_events(app, input)
                        .await
                        .map_err(Error::into_aws)
                }
                Err(e) => Err(e.into_aws()),
            }
        }
        (Ok(_), _) => Err(AwsError::new(
            "UnknownOperationException",
            format!("Portcullis does not implement the operation {target:?}."),
        )),
    };
    let result = match record(app, &facts, result.as_ref()).await {
        Ok(()) => result,
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => json_response(200, v.to_string(), request_id),
        Err(e) => json_error(&e, request_id),
    }
}
