//! Tasks through the ECS API (JSON 1.1, `X-Amz-Target: AmazonEC2ContainerServiceV20141113.*`):
//! `RunTask` registers a task with the task role and execution role of its `overrides`
//! (Portcullis does not keep task definitions: the family and revision are recorded as
//! given), `DescribeTasks` and `StopTask`. Both roles must trust `ecs-tasks.amazonaws.com`,
//! and passing them needs `iam:PassRole`, as on AWS.
//!
//! A running task's credentials come from the container credentials endpoint, in both of
//! the forms the SDKs know: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (`/v2/credentials/ID`)
//! and `AWS_CONTAINER_CREDENTIALS_FULL_URI` (`/_portcullis/ecs/credentials/ID`), both on the
//! API listener and both requiring the task's `AWS_CONTAINER_AUTHORIZATION_TOKEN` (the SDKs
//! send it with either form when it is set). On AWS the relative form needs no token
//! because only the task reaches 169.254.170.2; Portcullis's listener is reachable by every
//! API caller, so the ID alone must not be enough.
//!
//! **Who learns the variables.** Only the caller of RunTask, once, and only when it asks:
//! a RunTask request with the Portcullis-specific member `"portcullisContainerCredentials":
//! true` is answered with `portcullisContainerCredentials`, each task's ARN and container
//! environment (the AWS SDKs and the aws CLI drop members their model does not know, and
//! never send this one, so their answers never carry it). The token is kept only as its
//! SHA-256 and cannot be shown again. No other answer (RunTask without the member,
//! DescribeTasks, StopTask) names the credentials ID, the URIs or the token: the task's
//! `overrides` are the roles, as ECS answers them. Who may call RunTask with a role may
//! pass it (`iam:PassRole`), so learning its credentials gives the caller nothing more.
//!
//! An account runs at most `--max-tasks` tasks at once (`ClientException` beyond).

use super::vend::{ServiceAssumption, VendError, trusts};
use crate::app::App;
use crate::caller::Caller;
use crate::error::Error;
use crate::secrets::random_bytes;
use crate::time::{iso8601, now_millis};
use portcullis_store::{Change, Role, Task};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The `X-Amz-Target` prefix of the ECS API.
pub(crate) const TARGET_PREFIX: &str = "AmazonEC2ContainerServiceV20141113.";
/// The path of the relative-URI form.
pub(crate) const RELATIVE_PREFIX: &str = "/v2/credentials/";
/// The path of the full-URI form.
pub(crate) const FULL_PREFIX: &str = "/_portcullis/ecs/credentials/";
/// The member of a RunTask request that asks for the containers' credential variables,
/// and the member of its answer that carries them (Portcullis's, not ECS's).
pub(crate) const CREDENTIALS_MEMBER: &str = "portcullisContainerCredentials";
/// The service principal tasks assume their roles as.
const ECS_TASKS: &str = "ecs-tasks.amazonaws.com";
const REGION: &str = "us-east-1";

/// An ECS error: its `__type`, message and HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EcsError {
    /// `ClientException`, `InvalidParameterException`, `AccessDeniedException`, …
    pub kind: String,
    /// The message.
    pub message: String,
    /// The HTTP status.
    pub status: u16,
    /// True when authorization refused the call.
    pub denied: bool,
}

fn invalid(message: impl Into<String>) -> EcsError {
    EcsError {
        kind: "InvalidParameterException".into(),
        message: message.into(),
        status: 400,
        denied: false,
    }
}

impl From<Error> for EcsError {
    fn from(e: Error) -> EcsError {
        let denied = matches!(e, Error::Denied { .. });
        let aws = e.into_aws();
        let kind = match aws.code() {
            "AccessDenied" => "AccessDeniedException",
            // Refusals made inside a write (the task quota).
            "ClientException" => "ClientException",
            _ => "ServerException",
        };
        EcsError {
            status: if kind == "ServerException" { 500 } else { 400 },
            kind: kind.to_string(),
            message: aws.message().to_string(),
            denied,
        }
    }
}

/// Runs an ECS call (`operation` is the part of `X-Amz-Target` after the prefix) on its
/// JSON input. `host` is the `Host` the client reached this listener by.
pub(crate) async fn call(
    app: &Arc<App>,
    caller: &Caller,
    operation: &str,
    input: &Value,
    host: &str,
) -> Result<Value, EcsError> {
    match operation {
        "RunTask" => run(app, caller, input, host).await,
        "DescribeTasks" => describe(app, caller, input),
        "StopTask" => stop(app, caller, input).await,
        other => Err(EcsError {
            kind: "UnknownOperationException".into(),
            message: format!(
                "Portcullis answers RunTask, DescribeTasks and StopTask of ECS, not {other}."
            ),
            status: 400,
            denied: false,
        }),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn cluster_name(input: &Value) -> String {
    let c = input["cluster"].as_str().unwrap_or("default");
    c.rsplit('/').next().unwrap_or(c).to_string()
}

fn definition_arn(app: &App, definition: &str) -> String {
    if definition.starts_with("arn:") {
        return definition.to_string();
    }
    let with_revision = if definition.contains(':') {
        definition.to_string()
    } else {
        format!("{definition}:1")
    };
    format!(
        "arn:aws:ecs:{REGION}:{}:task-definition/{with_revision}",
        app.account_id()
    )
}

fn task_arn(app: &App, task: &Task) -> String {
    format!(
        "arn:aws:ecs:{REGION}:{}:task/{}/{}",
        app.account_id(),
        task.cluster,
        task.id
    )
}

fn role_by_arn(app: &App, arn: &str) -> Option<Role> {
    app.read(|e| e.roles.values().find(|r| r.arn == arn).cloned())
}

/// The task as ECS describes it. Nothing of its credentials endpoint is in it (see the
/// module's documentation).
fn view(app: &App, task: &Task, status: &str) -> Value {
    let mut overrides = json!({"containerOverrides": []});
    if let Some(r) = &task.task_role_arn {
        overrides["taskRoleArn"] = json!(r);
    }
    if let Some(r) = &task.execution_role_arn {
        overrides["executionRoleArn"] = json!(r);
    }
    let created = task.created_at as f64 / 1000.0;
    json!({
        "taskArn": task_arn(app, task),
        "clusterArn": format!("arn:aws:ecs:{REGION}:{}:cluster/{}", app.account_id(), task.cluster),
        "taskDefinitionArn": definition_arn(app, &task.task_definition),
        "lastStatus": status,
        "desiredStatus": status,
        "launchType": "FARGATE",
        "createdAt": created,
        "startedAt": created,
        "overrides": overrides,
        "containers": [],
        "tags": [],
    })
}

/// What ECS asks of `role` for `task`.
fn assumption<'a>(app: &App, role: &'a Role, task: &'a Task) -> ServiceAssumption<'a> {
    ServiceAssumption {
        service: ECS_TASKS,
        role,
        session_name: &task.id,
        source_arn: task_arn(app, task),
        duration_seconds: app.config.workload_session_seconds,
    }
}

/// Checks that a role passed to a task exists, may be passed, and trusts ECS.
fn check_role(app: &App, caller: &Caller, arn: &str, task: &Task) -> Result<(), EcsError> {
    let role = role_by_arn(app, arn).ok_or_else(|| invalid("Role is not valid"))?;
    crate::authz::check_action(
        app,
        caller,
        "iam:PassRole",
        &role.arn,
        &[("iam:PassedToService", ECS_TASKS)],
    )?;
    trusts(app, &assumption(app, &role, task)).map_err(|_| EcsError {
        kind: "ClientException".into(),
        message: format!(
            "ECS was unable to assume the role '{arn}' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role."
        ),
        status: 400,
        denied: false,
    })
}

/// The container variables of a task whose endpoint is reached at `host`.
fn environment(task: &Task, host: &str, token: &str) -> Value {
    json!([
        {"name": "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "value": format!("{RELATIVE_PREFIX}{}", task.credentials_id)},
        {"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": format!("http://{host}{FULL_PREFIX}{}", task.credentials_id)},
        {"name": "AWS_CONTAINER_AUTHORIZATION_TOKEN", "value": token},
    ])
}

async fn run(
    app: &Arc<App>,
    caller: &Caller,
    input: &Value,
    host: &str,
) -> Result<Value, EcsError> {
    let definition = input["taskDefinition"]
        .as_str()
        .filter(|d| !d.is_empty())
        .ok_or_else(|| invalid("taskDefinition can not be blank."))?;
    let count = input["count"].as_i64().unwrap_or(1);
    if !(1..=10).contains(&count) {
        return Err(invalid("Count must be between 1 and 10."));
    }
    let reveal = match &input[CREDENTIALS_MEMBER] {
        Value::Null => false,
        Value::Bool(b) => *b,
        _ => {
            return Err(invalid(format!(
                "{CREDENTIALS_MEMBER} must be true or false."
            )));
        }
    };
    crate::authz::check_action(
        app,
        caller,
        "ecs:RunTask",
        &definition_arn(app, definition),
        &[],
    )?;
    let overrides = &input["overrides"];
    let role_of = |k: &str| overrides[k].as_str().map(str::to_string);
    let mut tasks = Vec::new();
    for _ in 0..count {
        let token = hex(&random_bytes::<32>());
        let task = Task {
            id: hex(&random_bytes::<16>()),
            cluster: cluster_name(input),
            task_definition: definition.to_string(),
            task_role_arn: role_of("taskRoleArn"),
            execution_role_arn: role_of("executionRoleArn"),
            credentials_id: uuid::Builder::from_random_bytes(random_bytes::<16>())
                .into_uuid()
                .to_string(),
            authorization_token_sha256: sha256_hex(&token),
            created_at: now_millis(),
        };
        for arn in [&task.task_role_arn, &task.execution_role_arn]
            .into_iter()
            .flatten()
        {
            check_role(app, caller, arn, &task)?;
        }
        tasks.push((task, token));
    }
    // The count is checked in the write, which runs alone: tasks started at once cannot
    // together pass the quota.
    let account = app.account_id().to_string();
    let limit = app.config.workload_limits.max_tasks;
    let changes: Vec<Change> = tasks
        .iter()
        .map(|(t, _)| Change::put(&account, t))
        .collect();
    app.write(|e| {
        let running = e.tasks.len();
        if running + tasks.len() > limit {
            return Err(Error::of_service(
                "ClientException",
                format!(
                    "You've reached the limit on the number of tasks you can run concurrently: {running} of {limit} are running and {} more were asked for (the operator sets the limit with `portcullis serve --max-tasks N`).",
                    tasks.len()
                ),
            ));
        }
        Ok((changes, ()))
    })
    .await?;
    let mut answer = json!({
        "tasks": tasks.iter().map(|(t, _)| view(app, t, "RUNNING")).collect::<Vec<_>>(),
        "failures": [],
    });
    if reveal {
        answer[CREDENTIALS_MEMBER] = tasks
            .iter()
            .filter(|(t, _)| t.task_role_arn.is_some())
            .map(|(t, token)| {
                json!({"taskArn": task_arn(app, t), "environment": environment(t, host, token)})
            })
            .collect();
    }
    Ok(answer)
}

fn find(app: &App, cluster: &str, reference: &str) -> Option<Task> {
    let id = reference.rsplit('/').next().unwrap_or(reference);
    app.read(|e| e.tasks.get(id).filter(|t| t.cluster == cluster).cloned())
}

fn describe(app: &App, caller: &Caller, input: &Value) -> Result<Value, EcsError> {
    let cluster = cluster_name(input);
    let refs: Vec<&str> = input["tasks"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if refs.is_empty() {
        return Err(invalid("Tasks cannot be empty."));
    }
    let mut tasks = Vec::new();
    let mut failures = Vec::new();
    for r in refs {
        match find(app, &cluster, r) {
            Some(t) => {
                crate::authz::check_action(
                    app,
                    caller,
                    "ecs:DescribeTasks",
                    &task_arn(app, &t),
                    &[],
                )?;
                tasks.push(view(app, &t, "RUNNING"));
            }
            None => failures.push(json!({"arn": r, "reason": "MISSING"})),
        }
    }
    Ok(json!({"tasks": tasks, "failures": failures}))
}

async fn stop(app: &App, caller: &Caller, input: &Value) -> Result<Value, EcsError> {
    let cluster = cluster_name(input);
    let reference = input["task"]
        .as_str()
        .ok_or_else(|| invalid("task can not be blank."))?;
    let task = find(app, &cluster, reference)
        .ok_or_else(|| invalid("The referenced task was not found."))?;
    crate::authz::check_action(app, caller, "ecs:StopTask", &task_arn(app, &task), &[])?;
    let account = app.account_id().to_string();
    app.write(|_| Ok((vec![Change::delete(&account, &task)], ())))
        .await?;
    app.workloads.stop(&task.id).await;
    Ok(json!({"task": view(app, &task, "STOPPED")}))
}

/// True when `a` and `b` are equal, in a time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Serves the container credentials of the task whose credentials ID ends `path`
/// (`/v2/credentials/ID` or `/_portcullis/ecs/credentials/ID`): HTTP status and JSON.
/// Both forms require the task's authorization token (the `Authorization` header): the
/// listener is the API's, which every caller reaches.
pub(crate) async fn credentials(
    app: &App,
    path: &str,
    authorization: Option<&str>,
) -> (u16, Value) {
    let Some(id) = path
        .strip_prefix(RELATIVE_PREFIX)
        .or_else(|| path.strip_prefix(FULL_PREFIX))
    else {
        return (404, json!({"code": "NotFound", "message": "Not found"}));
    };
    let task = app.read(|e| e.tasks.values().find(|t| t.credentials_id == id).cloned());
    let Some(task) = task else {
        return (
            400,
            json!({"code": "InvalidIdInRequest", "message": "CredentialsV2Request: Credentials not found"}),
        );
    };
    let presented = authorization.map(sha256_hex).unwrap_or_default();
    if !same(&presented, &task.authorization_token_sha256) {
        return (
            401,
            json!({"code": "AccessDenied", "message": "The authorization token is missing or does not match the task's"}),
        );
    }
    let Some(role) = task
        .task_role_arn
        .as_deref()
        .and_then(|a| role_by_arn(app, a))
    else {
        return (
            400,
            json!({"code": "InvalidIdInRequest", "message": "CredentialsV2Request: the task has no task role"}),
        );
    };
    let assumption = assumption(app, &role, &task);
    match super::credentials(app, &format!("{}/task", task.id), &assumption).await {
        Ok(c) => (
            200,
            json!({
                "AccessKeyId": c.credentials.access_key_id,
                "Expiration": c.credentials.expiration,
                "RoleArn": role.arn,
                "SecretAccessKey": c.credentials.secret_access_key,
                "Token": c.credentials.session_token,
            }),
        ),
        Err(VendError::NotTrusted) => (
            400,
            json!({"code": "AccessDenied", "message": format!("ECS cannot assume the role {}", role.arn), "LastUpdated": iso8601(now_millis())}),
        ),
        Err(VendError::Invalid(m)) => (500, json!({"code": "InternalError", "message": m})),
    }
}
