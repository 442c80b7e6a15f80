//! IAM and STS in the AWS Query protocol: `Action` and `Version` name the operation, form
//! or query parameters carry its input (decoded and validated against the botocore model),
//! answers and errors are XML. Operations run through the typed APIs
//! ([`portcullis_protocol::iam::dispatch`], [`portcullis_protocol::sts::dispatch`]).

use super::pipeline::{Api, Decoded, Failure};
use super::xml_response;
use crate::app::App;
use crate::authz::{self, Authorization};
use crate::call::Ctx;
use crate::caller::Caller;
use crate::denial;
use crate::error::Error;
use axum::http::HeaderValue;
use axum::response::Response;
use portcullis_protocol::iam::{IamOperation, IamRequest};
use portcullis_protocol::sts::{StsOperation, StsRequest};
use portcullis_protocol::{
    self as protocol, AwsError, CommonErrorCode, Model, Operation, Params, Service,
};
use serde_json::Value;
use std::sync::Arc;

/// An IAM or STS request.
pub(super) struct Query<'r> {
    service: Service,
    params: &'r Params<'r>,
    action: &'r str,
    /// The operation the parameters name, or why they name none.
    resolved: Result<(&'static Model, &'static Operation), AwsError>,
    unsigned: bool,
}

impl<'r> Query<'r> {
    /// The request's call: STS when `Version` is STS's, IAM otherwise. `signed` tells
    /// whether the request carries a signature (header or query).
    pub(super) fn new(params: &'r Params<'r>, signed: bool) -> Query<'r> {
        let service = match protocol::find_param(params, "Version") {
            Some(v) if v == Service::Sts.model().api_version() => Service::Sts,
            _ => Service::Iam,
        };
        let resolved = protocol::resolve_operation(params, Some(service));
        let unsigned = !signed && matches!(&resolved, Ok((_, op)) if op.unsigned);
        Query {
            service,
            params,
            action: protocol::find_param(params, "Action").unwrap_or(""),
            resolved,
            unsigned,
        }
    }
}

/// An IAM or STS operation with its typed input.
pub(super) enum Request {
    /// An IAM request.
    Iam(IamRequest),
    /// An STS request.
    Sts(StsRequest),
}

impl Api for Query<'_> {
    type Input = Request;
    type Output = Value;

    fn service(&self) -> &'static str {
        self.service.signing_name()
    }

    fn action(&self) -> &str {
        self.action
    }

    fn operation(&self) -> &str {
        match &self.resolved {
            Ok((_, op)) => &op.name,
            Err(_) => "",
        }
    }

    fn unsigned(&self) -> bool {
        self.unsigned
    }

    fn tracks_use(&self) -> bool {
        true
    }

    fn decode(&self) -> Result<Decoded<Request>, Failure> {
        let (model, operation) = self.resolved.clone()?;
        let json = protocol::decode_input(model, operation, self.params)?;
        let typed = match self.service {
            Service::Iam => IamOperation::from_name(&operation.name)
                .map(|op| IamRequest::decode(op, &json).map(Request::Iam)),
            Service::Sts => StsOperation::from_name(&operation.name)
                .map(|op| StsRequest::decode(op, &json).map(Request::Sts)),
        };
        match typed {
            Some(typed) => Ok(Decoded {
                json,
                typed: typed?,
            }),
            None => Err(AwsError::of(
                CommonErrorCode::InternalFailure,
                "The operation is not in the typed API.",
            )
            .into()),
        }
    }

    fn authorization<'i>(&self, request: &'i Request) -> Authorization<'i> {
        match request {
            Request::Iam(r) => authz::iam_authorization(r),
            Request::Sts(r) => authz::sts_authorization(r),
        }
    }

    fn check(&self, caller: &Caller, request: &Request) -> Result<(), Error> {
        match request {
            Request::Iam(r) => authz::check_iam_request(caller, r),
            Request::Sts(r) => authz::check_sts_request(r),
        }
    }

    async fn run(
        &self,
        app: &Arc<App>,
        caller: &Caller,
        _json: &Value,
        request: Request,
    ) -> Result<Value, Failure> {
        let ctx = Ctx { app, caller };
        let answer = match request {
            Request::Iam(request) => portcullis_protocol::iam::dispatch(&ctx, request).await,
            Request::Sts(request) => portcullis_protocol::sts::dispatch(&ctx, request).await,
        };
        answer.map_err(Failure::of)
    }

    fn audited<'o>(&self, output: &'o Value) -> Option<&'o Value> {
        Some(output)
    }

    fn respond(&self, result: Result<Value, Failure>, request_id: &str) -> Response {
        let model = self.service.model();
        match (result, &self.resolved) {
            (Ok(output), Ok((model, operation))) => xml_response(
                200,
                protocol::encode_output(model, operation, &output, request_id),
                request_id,
            ),
            (Ok(_), Err(e)) => {
                let r = protocol::encode_error(model, e, request_id);
                xml_response(r.status, r.body, request_id)
            }
            (Err(failure), _) => {
                let r = protocol::encode_error(model, &failure.error, request_id);
                let mut response = xml_response(r.status, r.body, request_id);
                if let Some(encoded) = failure.encoded.and_then(|e| HeaderValue::from_str(&e).ok())
                {
                    response.headers_mut().insert(denial::HEADER, encoded);
                }
                response
            }
        }
    }
}
