//! What the generated typed APIs ([`crate::iam`], [`crate::sts`]) share: timestamps, the
//! conversion between a decoded input or an output and its typed form, and the error codes
//! of IAM and STS ([`ErrorCode`]: a model's exception or a common Query API error).

use crate::error::AwsError;
use crate::iam::IamErrorCode;
use crate::sts::StsErrorCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A timestamp as the XML of an answer shows it (ISO 8601, `2026-11-23T12:00:00Z`), or as
/// a client sent it in a request.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub String);

impl Timestamp {
    /// The timestamp of a time in milliseconds since the Unix epoch, to the second.
    pub fn from_millis(millis: i64) -> Timestamp {
        Timestamp(portcullis_time::iso8601(millis))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A decoded input (a JSON object keyed by member names, validated against the model) as
/// the operation's typed input. It fails only if the decoder and the generated types
/// disagree, which is a fault of the server (InternalFailure).
pub(crate) fn input_from_value<T: DeserializeOwned, E: From<AwsError>>(
    input: &Value,
) -> Result<T, E> {
    T::deserialize(input).map_err(|e| {
        AwsError::of(
            CommonErrorCode::InternalFailure,
            format!("The decoded input does not fit its operation: {e}"),
        )
        .into()
    })
}

/// A typed output as the encoder reads it: a JSON object keyed by member names (`null`
/// for an operation without output).
pub(crate) fn output_to_value<T: Serialize, E: From<AwsError>>(output: T) -> Result<Value, E> {
    serde_json::to_value(output).map_err(|e| {
        AwsError::of(
            CommonErrorCode::InternalFailure,
            format!("The output does not encode: {e}"),
        )
        .into()
    })
}

/// The common Query API errors that the models do not list, with the HTTP statuses AWS
/// documents for them. Sources: the "Common Errors" pages of the AWS API references (IAM,
/// STS and the generic Query services: `IncompleteSignature` 400, `InternalFailure` 500,
/// `InvalidAction` 400, `InvalidClientTokenId` 403, `InvalidParameterCombination` 400,
/// `InvalidParameterValue` 400, `InvalidQueryParameter` 400, `MalformedQueryString` 404,
/// `MissingAction` 400, `MissingAuthenticationToken` 403, `MissingParameter` 400,
/// `NotAuthorized` 400, `OptInRequired` 403, `RequestExpired` 400, `ServiceUnavailable` 503,
/// `ThrottlingException` 400, `ValidationError` 400; the current IAM page gives
/// `AccessDeniedException` and `ExpiredTokenException` 403). IAM and STS themselves answer
/// `AccessDenied` (403), `ExpiredToken` (403), `Throttling` (400, "Rate exceeded") and
/// `SignatureDoesNotMatch` (403); `MalformedInput` (400) is what STS answers to a parameter
/// that does not parse as its type; `NotImplemented` (501) is Portcullis's answer to an
/// operation it does not serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommonErrorCode {
    /// `AccessDenied` (403).
    AccessDenied,
    /// `AccessDeniedException` (403).
    AccessDeniedException,
    /// `ExpiredToken` (403).
    ExpiredToken,
    /// `ExpiredTokenException` (403).
    ExpiredTokenException,
    /// `IncompleteSignature` (400).
    IncompleteSignature,
    /// `InternalFailure` (500).
    InternalFailure,
    /// `InvalidAction` (400).
    InvalidAction,
    /// `InvalidClientTokenId` (403).
    InvalidClientTokenId,
    /// `InvalidParameterCombination` (400).
    InvalidParameterCombination,
    /// `InvalidParameterValue` (400).
    InvalidParameterValue,
    /// `InvalidQueryParameter` (400).
    InvalidQueryParameter,
    /// `MalformedInput` (400).
    MalformedInput,
    /// `MalformedQueryString` (404).
    MalformedQueryString,
    /// `MissingAction` (400).
    MissingAction,
    /// `MissingAuthenticationToken` (403).
    MissingAuthenticationToken,
    /// `MissingParameter` (400).
    MissingParameter,
    /// `NotAuthorized` (400).
    NotAuthorized,
    /// `NotImplemented` (501).
    NotImplemented,
    /// `OptInRequired` (403).
    OptInRequired,
    /// `RequestExpired` (400).
    RequestExpired,
    /// `ServiceUnavailable` (503).
    ServiceUnavailable,
    /// `SignatureDoesNotMatch` (403).
    SignatureDoesNotMatch,
    /// `Throttling` (400).
    Throttling,
    /// `ThrottlingException` (400).
    ThrottlingException,
    /// `ValidationError` (400).
    ValidationError,
}

impl CommonErrorCode {
    /// Every code.
    pub const ALL: [CommonErrorCode; 25] = [
        CommonErrorCode::AccessDenied,
        CommonErrorCode::AccessDeniedException,
        CommonErrorCode::ExpiredToken,
        CommonErrorCode::ExpiredTokenException,
        CommonErrorCode::IncompleteSignature,
        CommonErrorCode::InternalFailure,
        CommonErrorCode::InvalidAction,
        CommonErrorCode::InvalidClientTokenId,
        CommonErrorCode::InvalidParameterCombination,
        CommonErrorCode::InvalidParameterValue,
        CommonErrorCode::InvalidQueryParameter,
        CommonErrorCode::MalformedInput,
        CommonErrorCode::MalformedQueryString,
        CommonErrorCode::MissingAction,
        CommonErrorCode::MissingAuthenticationToken,
        CommonErrorCode::MissingParameter,
        CommonErrorCode::NotAuthorized,
        CommonErrorCode::NotImplemented,
        CommonErrorCode::OptInRequired,
        CommonErrorCode::RequestExpired,
        CommonErrorCode::ServiceUnavailable,
        CommonErrorCode::SignatureDoesNotMatch,
        CommonErrorCode::Throttling,
        CommonErrorCode::ThrottlingException,
        CommonErrorCode::ValidationError,
    ];

    /// The code on the wire.
    pub fn code(self) -> &'static str {
        match self {
            CommonErrorCode::AccessDenied => "AccessDenied",
            CommonErrorCode::AccessDeniedException => "AccessDeniedException",
            CommonErrorCode::ExpiredToken => "ExpiredToken",
            CommonErrorCode::ExpiredTokenException => "ExpiredTokenException",
            CommonErrorCode::IncompleteSignature => "IncompleteSignature",
            CommonErrorCode::InternalFailure => "InternalFailure",
            CommonErrorCode::InvalidAction => "InvalidAction",
            CommonErrorCode::InvalidClientTokenId => "InvalidClientTokenId",
            CommonErrorCode::InvalidParameterCombination => "InvalidParameterCombination",
            CommonErrorCode::InvalidParameterValue => "InvalidParameterValue",
            CommonErrorCode::InvalidQueryParameter => "InvalidQueryParameter",
            CommonErrorCode::MalformedInput => "MalformedInput",
            CommonErrorCode::MalformedQueryString => "MalformedQueryString",
            CommonErrorCode::MissingAction => "MissingAction",
            CommonErrorCode::MissingAuthenticationToken => "MissingAuthenticationToken",
            CommonErrorCode::MissingParameter => "MissingParameter",
            CommonErrorCode::NotAuthorized => "NotAuthorized",
            CommonErrorCode::NotImplemented => "NotImplemented",
            CommonErrorCode::OptInRequired => "OptInRequired",
            CommonErrorCode::RequestExpired => "RequestExpired",
            CommonErrorCode::ServiceUnavailable => "ServiceUnavailable",
            CommonErrorCode::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            CommonErrorCode::Throttling => "Throttling",
            CommonErrorCode::ThrottlingException => "ThrottlingException",
            CommonErrorCode::ValidationError => "ValidationError",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> u16 {
        match self {
            CommonErrorCode::AccessDenied
            | CommonErrorCode::AccessDeniedException
            | CommonErrorCode::ExpiredToken
            | CommonErrorCode::ExpiredTokenException
            | CommonErrorCode::InvalidClientTokenId
            | CommonErrorCode::MissingAuthenticationToken
            | CommonErrorCode::OptInRequired
            | CommonErrorCode::SignatureDoesNotMatch => 403,
            CommonErrorCode::MalformedQueryString => 404,
            CommonErrorCode::InternalFailure => 500,
            CommonErrorCode::NotImplemented => 501,
            CommonErrorCode::ServiceUnavailable => 503,
            _ => 400,
        }
    }
}

/// An error code IAM or STS answers: an exception of one of the models or a common Query
/// API error. An unknown code cannot be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// An exception of the IAM model.
    Iam(IamErrorCode),
    /// An exception of the STS model.
    Sts(StsErrorCode),
    /// A common Query API error.
    Common(CommonErrorCode),
}

impl ErrorCode {
    /// The code on the wire.
    pub fn code(self) -> &'static str {
        match self {
            ErrorCode::Iam(c) => c.code(),
            ErrorCode::Sts(c) => c.code(),
            ErrorCode::Common(c) => c.code(),
        }
    }

    /// The HTTP status.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::Iam(c) => c.status(),
            ErrorCode::Sts(c) => c.status(),
            ErrorCode::Common(c) => c.status(),
        }
    }

    /// The code with this wire name: IAM's exceptions first, then STS's, then the common
    /// errors.
    pub fn from_code(code: &str) -> Option<ErrorCode> {
        IamErrorCode::from_code(code)
            .map(ErrorCode::Iam)
            .or_else(|| StsErrorCode::from_code(code).map(ErrorCode::Sts))
            .or_else(|| {
                CommonErrorCode::ALL
                    .into_iter()
                    .find(|c| c.code() == code)
                    .map(ErrorCode::Common)
            })
    }
}

impl From<IamErrorCode> for ErrorCode {
    fn from(c: IamErrorCode) -> ErrorCode {
        ErrorCode::Iam(c)
    }
}

impl From<StsErrorCode> for ErrorCode {
    fn from(c: StsErrorCode) -> ErrorCode {
        ErrorCode::Sts(c)
    }
}

impl From<CommonErrorCode> for ErrorCode {
    fn from(c: CommonErrorCode) -> ErrorCode {
        ErrorCode::Common(c)
    }
}
