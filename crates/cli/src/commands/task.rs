//! `portcullis task run`: a task whose container credentials endpoint hands out its task
//! role (the ECS API's RunTask); prints the environment a container would get.
//!
//! The variables come from the RunTask answer alone, and only because the request asks for
//! them with Portcullis's member `portcullisContainerCredentials` (no ECS answer carries
//! them, and the token cannot be read again later): whoever runs the task, and no one else,
//! learns them once.

use super::client::Endpoint;
use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::process::ExitCode;

/// Subcommands of `portcullis task`.
#[derive(Subcommand)]
pub(crate) enum TaskCommand {
    /// Start a task with a task role (and optionally an execution role); prints the
    /// `AWS_CONTAINER_*` variables of its container, ready for `eval` (the relative-URI
    /// form, which only works where 169.254.170.2 reaches the server, as a comment).
    Run(RunArgs),
}

/// Options of `portcullis task run`.
#[derive(Args)]
pub(crate) struct RunArgs {
    /// The task role's ARN.
    #[arg(long)]
    task_role_arn: String,
    /// The task execution role's ARN.
    #[arg(long)]
    execution_role_arn: Option<String>,
    /// The task definition (`family[:revision]`), recorded as given.
    #[arg(long, default_value = "portcullis-task")]
    task_definition: String,
    #[command(flatten)]
    endpoint: Endpoint,
}

/// Runs `portcullis task …`.
pub(crate) fn run(cmd: TaskCommand) -> Result<ExitCode> {
    let TaskCommand::Run(a) = cmd;
    let mut overrides = json!({"taskRoleArn": a.task_role_arn});
    if let Some(r) = &a.execution_role_arn {
        overrides["executionRoleArn"] = json!(r);
    }
    let body = json!({
        "taskDefinition": a.task_definition,
        "overrides": overrides,
        "portcullisContainerCredentials": true,
    })
    .to_string();
    let (status, answer) = a.endpoint.post(
        "ecs",
        "application/x-amz-json-1.1",
        &[("x-amz-target", "AmazonEC2ContainerServiceV20141113.RunTask")],
        &body,
    )?;
    let v: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
    if status != 200 {
        bail!(
            "{}: {}",
            v["__type"].as_str().unwrap_or("error"),
            v["message"].as_str().unwrap_or(&answer)
        );
    }
    let arn = v["tasks"][0]["taskArn"].as_str().unwrap_or_default();
    let env = v["portcullisContainerCredentials"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["taskArn"] == arn))
        .and_then(|c| c["environment"].as_array());
    let Some(env) = env else {
        bail!(
            "the server's RunTask answer has no container credentials for {arn:?} (a server older than this command?)"
        );
    };
    println!("# {arn}");
    for e in env {
        let (name, value) = (
            e["name"].as_str().unwrap_or_default(),
            e["value"].as_str().unwrap_or_default(),
        );
        // The SDKs prefer the relative URI, which they send to 169.254.170.2 (the ECS
        // agent's address): outside ECS, the full URI is the form that works. Either form
        // needs the token, which the SDKs send with both.
        let prefix = if name == "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" {
            "# on 169.254.170.2: "
        } else {
            ""
        };
        println!("{prefix}export {name}={value}");
    }
    Ok(ExitCode::SUCCESS)
}
