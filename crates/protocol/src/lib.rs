//! The AWS Query protocol, driven by the botocore models.
//!
//! A request's form parameters become the operation's input as a JSON object keyed by member
//! names, validated as AWS validates it; the handler's output (a JSON object keyed by member
//! names) becomes the XML AWS clients expect; errors become `<ErrorResponse>` with their HTTP
//! status.
//!
//! ```
//! use portcullis_server::protocol::{self, AwsError, Service};
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
mod model;
mod paginators;
mod pattern;

pub use decode::{
    Call, Params, decode, decode_input, find_param, parse_form, parse_request, resolve_operation,
};
pub use encode::{CONTENT_TYPE, XmlResponse, encode_error, encode_output, escape_into, respond};
pub use error::{AwsError, Fault, common_error_status, status_for_code};
pub use model::{
    BlobShape, ErrorShape, IntegerShape, ListShape, MapShape, Member, Model, ModelError, Operation,
    Service, Shape, ShapeId, ShapeKind, StringShape, Structure,
};
pub use paginators::Paginator;
pub use pattern::{Pattern, PatternError};

#[cfg(test)]
mod tests;
