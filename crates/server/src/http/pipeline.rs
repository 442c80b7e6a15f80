//! The request pipeline every API call goes through, whatever its protocol:
//!
//! ```text
//! authenticate (SigV4) → decode (operation and input) → authorize (as the operation
//! declares) → run → audit (the CloudTrail event, committed) → encode (answer or error)
//! ```
//!
//! A protocol ([`Api`]: the Query protocol of IAM and STS, CloudTrail's JSON, the EC2 and
//! ECS calls of workloads) says how its requests name their operation and input, how the
//! operation is authorized and run, and how answers and errors are written. Each stage's
//! failure is answered the protocol's way and recorded in the trail the same way for all.

use crate::app::App;
use crate::audit;
use crate::authz::{self, Authorization};
use crate::caller::{self, Caller};
use crate::error::Error;
use crate::listener::{self, CallFacts};
use axum::response::Response;
use portcullis_policy::PrincipalKind;
use portcullis_protocol::AwsError;
use portcullis_protocol::sigv4::{self, HttpRequest};
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;

/// A failed call, as the pipeline carries it from the stage that failed to the trail and
/// the answer.
pub(super) struct Failure {
    /// The error the trail records (and, for most protocols, the one answered).
    pub error: AwsError,
    /// True when authorization refused the call (by the pipeline's stage or, for the
    /// operations that authorize themselves, by the operation).
    pub denied: bool,
    /// The encoded authorization message of a denial, if there is one.
    pub encoded: Option<String>,
}

impl Failure {
    /// A failure of the server's own error type.
    pub(super) fn of(error: Error) -> Failure {
        match error {
            Error::Denied { error, encoded } => Failure {
                error,
                denied: true,
                encoded: (!encoded.is_empty()).then_some(encoded),
            },
            other => Failure {
                error: other.into_aws(),
                denied: false,
                encoded: None,
            },
        }
    }
}

impl From<AwsError> for Failure {
    fn from(error: AwsError) -> Failure {
        Failure {
            error,
            denied: false,
            encoded: None,
        }
    }
}

/// A decoded request: its input as the trail records it (a JSON object keyed by member
/// names) and as the operation takes it.
pub(super) struct Decoded<T> {
    /// The input as the trail records it.
    pub json: Value,
    /// The input as the operation takes it.
    pub typed: T,
}

/// A protocol's side of the pipeline.
pub(super) trait Api: Sync {
    /// The input of an operation, as it runs.
    type Input: Send;
    /// What a successful operation answers.
    type Output: Send;

    /// The signing name of the service (`iam`, `sts`, `cloudtrail`, `ec2`, `ecs`).
    fn service(&self) -> &'static str;

    /// The operation the request names, as it names it (for the request log).
    fn action(&self) -> &str;

    /// The operation's name in the trail: `""` when the request names none that exists.
    fn operation(&self) -> &str;

    /// True when the operation is served without a signature and the request has none.
    fn unsigned(&self) -> bool {
        false
    }

    /// True when the access keys and roles that call this API keep their last-used data
    /// and IAM's service last accessed data (IAM and STS).
    fn tracks_use(&self) -> bool {
        false
    }

    /// The operation's input, decoded.
    fn decode(&self) -> Result<Decoded<Self::Input>, Failure>;

    /// How the operation is authorized, as it declares it: the resource its request names
    /// and the context keys it sets.
    fn authorization<'i>(&self, input: &'i Self::Input) -> Authorization<'i>;

    /// What AWS refuses in the request before it authorizes anything, in every mode.
    fn check(&self, _caller: &Caller, _input: &Self::Input) -> Result<(), Error> {
        Ok(())
    }

    /// Runs the operation on its input (`json` is the same input as the trail records it).
    fn run<'a>(
        &'a self,
        app: &'a Arc<App>,
        caller: &'a Caller,
        json: &'a Value,
        input: Self::Input,
    ) -> impl Future<Output = Result<Self::Output, Failure>> + Send + 'a;

    /// The answer as the trail records it (`responseElements`); `None` records nothing.
    fn audited<'o>(&self, output: &'o Self::Output) -> Option<&'o Value>;

    /// A failure of a stage of the pipeline, as this protocol reports it.
    fn failure(&self, error: Error) -> Failure {
        Failure::of(error)
    }

    /// The HTTP answer.
    fn respond(&self, result: Result<Self::Output, Failure>, request_id: &str) -> Response;
}

/// What the pipeline knows of a request before any protocol reads it.
pub(super) struct Received<'a> {
    /// The request ID sent back.
    pub request_id: &'a str,
    /// When it arrived (milliseconds since the epoch).
    pub time: i64,
    /// The client's address.
    pub source_ip: &'a str,
    /// The client's `User-Agent`.
    pub user_agent: &'a str,
    /// The request as SigV4 reads it.
    pub http: HttpRequest<'a>,
}

/// The request log's facts of an API call ([`CallFacts`]), gathered while the call is
/// answered when the request log is on; otherwise nothing is kept (nor allocated).
pub(super) struct LogFacts(Option<CallFacts>);

/// The most characters of a requested action the log keeps (an unknown one is the
/// client's text).
const LOGGED_ACTION_CHARS: usize = 128;

impl LogFacts {
    pub(super) fn new() -> LogFacts {
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
    pub(super) fn attach(self, mut response: Response) -> Response {
        if let Some(facts) = self.0 {
            response.extensions_mut().insert(facts);
        }
        response
    }
}

/// Answers an API call: every stage, in order, for any protocol.
pub(super) async fn serve<A: Api>(
    app: &Arc<App>,
    api: &A,
    received: &Received<'_>,
    log: &mut LogFacts,
) -> Response {
    log.action(api.action());
    let mut facts = audit::record::Facts {
        request_id: received.request_id,
        time: received.time,
        service: api.service(),
        source_ip: received.source_ip,
        user_agent: received.user_agent,
        region: None,
        caller: None,
        claimed_access_key_id: None,
        operation: api.operation(),
        input: None,
        authorized: false,
        resource_arn: None,
    };

    // Authenticate.
    let authenticated = if api.unsigned() {
        caller::anonymous(app, received.source_ip)
    } else {
        caller::authenticate(app, &received.http, api.service(), received.source_ip)
    };
    let caller = match authenticated {
        Ok(caller) => caller,
        Err(e) => {
            let claimed = sigv4::parse(&received.http).ok();
            facts.claimed_access_key_id = claimed.as_ref().map(|s| s.access_key_id.as_str());
            facts.region = claimed.as_ref().map(|s| s.region.as_str());
            let failure = api.failure(e);
            return finish(app, api, &facts, Err(failure), received.request_id).await;
        }
    };
    log.caller(&caller);
    facts.caller = Some(&caller);
    facts.region = Some(caller.region.as_str());
    if api.tracks_use() {
        note_use(app, &caller, api.service());
    }

    // Decode.
    let Decoded { json: input, typed } = match api.decode() {
        Ok(decoded) => decoded,
        Err(failure) => {
            return finish(app, api, &facts, Err(failure), received.request_id).await;
        }
    };
    if api.tracks_use() {
        note_access(app, &caller, api.service(), api.operation());
    }
    facts.input = Some(&input);

    // Authorize, run.
    let authorization = api.authorization(&typed);
    if app.audits() {
        facts.resource_arn = authz::resource_arn(app, &caller, &authorization);
    }
    let authorized = api.check(&caller, &typed).and_then(|()| {
        authz::authorize_call(app, &caller, api.service(), api.operation(), &authorization)
    });
    drop(authorization);
    let (result, passed) = match authorized {
        Ok(()) => (api.run(app, &caller, &input, typed).await, true),
        Err(e) => (Err(api.failure(e)), false),
    };
    facts.authorized = passed && !matches!(&result, Err(f) if f.denied);
    finish(app, api, &facts, result, received.request_id).await
}

/// Records the event of a call, then answers it. When the trail cannot take the event
/// the call is answered ServiceUnavailable, never as done.
async fn finish<A: Api>(
    app: &App,
    api: &A,
    facts: &audit::record::Facts<'_>,
    result: Result<A::Output, Failure>,
    request_id: &str,
) -> Response {
    let null = Value::Null;
    let outcome = match &result {
        Ok(output) => Ok(api.audited(output).unwrap_or(&null)),
        Err(failure) => Err(&failure.error),
    };
    match record(app, facts, outcome).await {
        Ok(()) => api.respond(result, request_id),
        Err(unavailable) => api.respond(Err(unavailable.into()), request_id),
    }
}

/// Room for the line of a usual event, so that writing it does not grow the buffer.
const LINE_CAPACITY: usize = 2048;

/// Records the event of a request; `Err` (ServiceUnavailable) when the trail cannot take
/// it.
async fn record(
    app: &App,
    facts: &audit::record::Facts<'_>,
    outcome: Result<&Value, &AwsError>,
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

/// Keeps the last-used data of access keys and roles (written at most once a minute per
/// key or role, in the background).
fn note_use(app: &Arc<App>, caller: &Caller, service: &'static str) {
    if !app.config.verifies_signatures() {
        return;
    }
    if let Some(key) = &caller.access_key_id
        && app.key_use_due(key)
    {
        let (app, key, region) = (app.clone(), key.clone(), caller.region.clone());
        tokio::spawn(async move {
            if let Err(e) = app.record_key_use(&key, service, &region).await {
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
fn note_access(app: &Arc<App>, caller: &Caller, service: &str, op: &str) {
    if !app.config.verifies_signatures() {
        return;
    }
    let Some(entity) = crate::iam::last_accessed::accessor(caller) else {
        return;
    };
    let action = format!("{service}:{op}");
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
