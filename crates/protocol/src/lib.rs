//! The wire protocol of Portcullis: the AWS Query protocol of IAM and STS, driven by the
//! vendored botocore models, and AWS Signature Version 4.
//!
//! It holds:
//! - the botocore models and paginators of IAM and STS (`data/`, see `data/SOURCES.json`),
//!   loaded once ([`Service::model`], [`Model`]), with their string patterns ([`Pattern`])
//!   and pagination keys ([`Paginator`]);
//! - the server side: a request's parameters decoded into an operation and its input
//!   ([`decode()`], [`parse_request`]), an output or an error encoded as the XML AWS clients
//!   expect ([`respond`], [`encode_output`], [`encode_error`]), AWS's errors and their HTTP
//!   status ([`AwsError`]);
//! - the client side ([`client`]): a call's form and its answer's XML read back as JSON;
//! - SigV4 ([`sigv4`]): verification the way IAM and STS do it, and a signer.
//!
//! It depends on no other Portcullis crate but `portcullis-time`, the dependency-free time
//! module (its dates: `x-amz-date`, HTTP dates and the XML timestamps).
//!
//! # The Query protocol
//!
//! A request's form parameters become the operation's input as a JSON object keyed by member
//! names, validated as AWS validates it; the handler's output (a JSON object keyed by member
//! names) becomes the XML AWS clients expect; errors become `<ErrorResponse>` with their HTTP
//! status.
//!
//! ```
//! use portcullis_protocol::{self as protocol, AwsError, Service};
//! use serde_json::json;
//!
//! let body = b"Action=GetRole&Version=2010-05-08&RoleName=probe-role";
//! let params = protocol::parse_request(None, body);
//! let call = protocol::decode(&params, Some(Service::Iam)).unwrap();
//! assert_eq!(call.operation.name, "GetRole");
//! assert_eq!(call.input, json!({"RoleName": "probe-role"}));
//!
//! // The handler answers with a JSON object keyed by member names…
//! let result: Result<_, AwsError> = Ok(json!({"Role": {
//!     "Path": "/", "RoleName": "probe-role", "RoleId": "AROAEXAMPLEEXAMPLE01",
//!     "Arn": "arn:aws:iam::123456789012:role/probe-role",
//!     "CreateDate": 1_795_435_200, // epoch seconds or an ISO 8601 string
//!     "AssumeRolePolicyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[]}",
//! }}));
//! // …or with an error: AwsError::no_such_entity("The role with name x cannot be found.")
//! let response = protocol::respond(call.model, call.operation, &result, "req-1");
//! assert_eq!(response.status, 200);
//! assert!(response.body.contains("<CreateDate>2026-11-23T12:00:00Z</CreateDate>"));
//! assert!(response.body.contains("%7B%22Version%22%3A%222012-10-17%22"));
//! ```

pub mod client;
mod decode;
mod encode;
mod error;
#[path = "generated/iam.rs"]
pub mod iam;
mod model;
mod paginators;
mod pattern;
pub mod sigv4;
#[path = "generated/sts.rs"]
pub mod sts;
mod typed;

pub use decode::{
    Call, Params, decode, decode_input, find_param, parse_form, parse_request, resolve_operation,
};
pub use encode::{CONTENT_TYPE, XmlResponse, encode_error, encode_output, escape_into, respond};
pub use error::{AwsError, Fault, common_error_status, status_for_code};
/// The map of the typed APIs' map members: entries keep the order of the request or answer.
pub use indexmap::IndexMap;
pub use model::{
    BlobShape, ErrorShape, IntegerShape, ListShape, MapShape, Member, Model, ModelError, Operation,
    Service, Shape, ShapeId, ShapeKind, StringShape, Structure,
};
pub use paginators::Paginator;
pub use pattern::{Pattern, PatternError};
pub use typed::{CommonErrorCode, ErrorCode, Timestamp};

#[cfg(test)]
mod tests;
