//! CloudTrail's LookupEvents in the JSON 1.1 protocol: `X-Amz-Target` names the operation,
//! the body is its JSON input, answers are JSON and errors `{"__type", "message"}`.

use super::pipeline::{Api, Decoded, Failure};
use crate::app::App;
use crate::audit;
use crate::authz::{Authorization, Named};
use crate::caller::Caller;
use crate::listener::REQUEST_ID_HEADER;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use portcullis_protocol::AwsError;
use serde_json::{Value, json};
use std::sync::Arc;

/// The service's signing name.
const SERVICE: &str = "cloudtrail";
/// The operation Portcullis serves.
const LOOKUP_EVENTS: &str = "LookupEvents";

/// A CloudTrail request.
pub(super) struct CloudTrail<'r> {
    target: &'r str,
    /// The operation: `X-Amz-Target` without the service's prefix (empty if it has none).
    operation: &'r str,
    body: &'r [u8],
}

impl<'r> CloudTrail<'r> {
    /// The call `X-Amz-Target` names, with the request's body.
    pub(super) fn new(target: &'r str, body: &'r [u8]) -> CloudTrail<'r> {
        CloudTrail {
            target,
            operation: target
                .strip_prefix(audit::lookup::TARGET_PREFIX)
                .unwrap_or(""),
            body,
        }
    }
}

impl Api for CloudTrail<'_> {
    type Input = ();
    type Output = Value;

    fn service(&self) -> &'static str {
        SERVICE
    }

    fn action(&self) -> &str {
        if self.operation.is_empty() {
            self.target
        } else {
            self.operation
        }
    }

    fn operation(&self) -> &str {
        self.operation
    }

    fn decode(&self) -> Result<Decoded<()>, Failure> {
        let input = if self.body.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(self.body).map_err(|e| {
                AwsError::with_status(
                    "SerializationException",
                    format!("The request body is not JSON: {e}"),
                    400,
                )
            })?
        };
        if self.operation != LOOKUP_EVENTS {
            return Err(AwsError::with_status(
                "UnknownOperationException",
                format!(
                    "Portcullis does not implement the operation {:?}.",
                    self.target
                ),
                400,
            )
            .into());
        }
        Ok(Decoded {
            json: input,
            typed: (),
        })
    }

    fn authorization<'i>(&self, _input: &'i ()) -> Authorization<'i> {
        Authorization::on(Named::Any)
    }

    async fn run(
        &self,
        app: &Arc<App>,
        _caller: &Caller,
        input: &Value,
        _typed: (),
    ) -> Result<Value, Failure> {
        audit::lookup::lookup_events(app, input)
            .await
            .map_err(Failure::of)
    }

    fn audited<'o>(&self, output: &'o Value) -> Option<&'o Value> {
        Some(output)
    }

    fn respond(&self, result: Result<Value, Failure>, request_id: &str) -> Response {
        match result {
            Ok(v) => json_response(200, v.to_string(), request_id),
            Err(failure) => json_error(&failure.error, request_id),
        }
    }
}

/// A JSON 1.1 answer.
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
