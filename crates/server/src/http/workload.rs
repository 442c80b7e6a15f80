//! The calls of the workloads that get credentials: EC2's RunInstances, DescribeInstances
//! and TerminateInstances (Query protocol, EC2's own version and XML) and ECS's RunTask,
//! DescribeTasks and StopTask (JSON 1.1, named by `X-Amz-Target`). They authorize each
//! instance or task as they reach it (`ec2:RunInstances`, `iam:PassRole` on its role, …),
//! as EC2 and ECS do.

use super::pipeline::{Api, Decoded, Failure};
use super::xml_response;
use crate::app::App;
use crate::authz::{Authorization, How, Named};
use crate::caller::Caller;
use crate::error::Error;
use crate::workloads::instances::{self, Ec2Error};
use crate::workloads::tasks::{self, EcsError};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use portcullis_protocol::{self as protocol, AwsError, Params};
use serde_json::{Value, json};
use std::sync::Arc;

/// The content type of the JSON 1.1 protocol.
const JSON_TYPE: &str = "application/x-amz-json-1.1";

/// An EC2 call.
pub(super) struct Ec2<'r> {
    params: &'r Params<'r>,
    action: &'r str,
}

impl<'r> Ec2<'r> {
    /// An EC2 call when the parameters carry EC2's API version.
    pub(super) fn of(params: &'r Params<'r>) -> Option<Ec2<'r>> {
        (protocol::find_param(params, "Version") == Some(instances::API_VERSION)).then(|| Ec2 {
            params,
            action: protocol::find_param(params, "Action").unwrap_or_default(),
        })
    }
}

fn ec2_failure(e: Ec2Error) -> Failure {
    Failure {
        error: AwsError::with_status(e.code, e.message, e.status),
        denied: e.denied,
        encoded: None,
    }
}

impl Api for Ec2<'_> {
    type Input = ();
    type Output = String;

    fn service(&self) -> &'static str {
        "ec2"
    }

    fn action(&self) -> &str {
        self.action
    }

    fn operation(&self) -> &str {
        self.action
    }

    /// The parameters but `Action`, `Version` and the signature's.
    fn decode(&self) -> Result<Decoded<()>, Failure> {
        let json = Value::Object(
            self.params
                .iter()
                .filter(|(k, _)| {
                    !matches!(k.as_ref(), "Action" | "Version") && !k.starts_with("X-Amz-")
                })
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect(),
        );
        Ok(Decoded { json, typed: () })
    }

    fn authorization<'i>(&self, _input: &'i ()) -> Authorization<'i> {
        Authorization::on(Named::Any).how(How::ByOperation)
    }

    async fn run(
        &self,
        app: &Arc<App>,
        caller: &Caller,
        _json: &Value,
        _typed: (),
    ) -> Result<String, Failure> {
        instances::call(app, caller, self.action, self.params)
            .await
            .map_err(ec2_failure)
    }

    fn audited<'o>(&self, _output: &'o String) -> Option<&'o Value> {
        None
    }

    fn failure(&self, error: Error) -> Failure {
        ec2_failure(Ec2Error::from(error))
    }

    fn respond(&self, result: Result<String, Failure>, request_id: &str) -> Response {
        match result {
            Ok(inner) => xml_response(
                200,
                instances::answer_body(self.action, &inner, request_id),
                request_id,
            ),
            Err(f) => xml_response(
                f.error.status(),
                instances::error_body(f.error.code(), f.error.message(), request_id),
                request_id,
            ),
        }
    }
}

/// An ECS call.
pub(super) struct Ecs<'r> {
    operation: &'r str,
    body: &'r [u8],
    /// The `Host` the client reached this listener by (the tasks' credential endpoint).
    host: String,
}

impl<'r> Ecs<'r> {
    /// An ECS call when `X-Amz-Target` names one; `host` gives the `Host` the client
    /// reached this listener by (read only for an ECS call).
    pub(super) fn of(
        target: Option<&'r str>,
        body: &'r [u8],
        host: impl FnOnce() -> String,
    ) -> Option<Ecs<'r>> {
        Some(Ecs {
            operation: target?.strip_prefix(tasks::TARGET_PREFIX)?,
            body,
            host: host(),
        })
    }
}

fn ecs_failure(e: EcsError) -> Failure {
    Failure {
        error: AwsError::with_status(e.kind, e.message, e.status),
        denied: e.denied,
        encoded: None,
    }
}

impl Api for Ecs<'_> {
    type Input = ();
    type Output = Value;

    fn service(&self) -> &'static str {
        "ecs"
    }

    fn action(&self) -> &str {
        self.operation
    }

    fn operation(&self) -> &str {
        self.operation
    }

    fn decode(&self) -> Result<Decoded<()>, Failure> {
        let json = serde_json::from_slice(self.body).map_err(|e| {
            ecs_failure(EcsError {
                kind: "SerializationException".into(),
                message: format!("The request body is not JSON: {e}"),
                status: 400,
                denied: false,
            })
        })?;
        Ok(Decoded { json, typed: () })
    }

    fn authorization<'i>(&self, _input: &'i ()) -> Authorization<'i> {
        Authorization::on(Named::Any).how(How::ByOperation)
    }

    async fn run(
        &self,
        app: &Arc<App>,
        caller: &Caller,
        input: &Value,
        _typed: (),
    ) -> Result<Value, Failure> {
        tasks::call(app, caller, self.operation, input, &self.host)
            .await
            .map_err(ecs_failure)
    }

    fn audited<'o>(&self, _output: &'o Value) -> Option<&'o Value> {
        None
    }

    fn respond(&self, result: Result<Value, Failure>, request_id: &str) -> Response {
        let (status, body) = match result {
            Ok(v) => (200, v.to_string()),
            Err(f) => (
                f.error.status(),
                json!({"__type": f.error.code(), "message": f.error.message()}).to_string(),
            ),
        };
        let mut response = xml_response(status, body, request_id);
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_TYPE));
        response
    }
}
