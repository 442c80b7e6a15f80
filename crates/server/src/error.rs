//! The error type of the server: AWS errors answered to clients, and failures of the
//! server itself.

use portcullis_protocol::iam::IamErrorCode;
use portcullis_protocol::{AwsError, CommonErrorCode, ErrorCode};
use portcullis_store::StoreError;

/// What can go wrong while serving.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An AWS error, answered to the client with AWS's code, message and HTTP status.
    #[error("{0}")]
    Aws(AwsError),
    /// An authorization denial: AccessDenied with its encoded authorization message (empty
    /// when the denial has none).
    #[error("{error}")]
    Denied {
        /// The AccessDenied answer.
        error: AwsError,
        /// The encoded message (see `denial`).
        encoded: String,
    },
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Reading or writing a file failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The configuration cannot be used.
    #[error("configuration: {0}")]
    Config(String),
}

impl From<AwsError> for Error {
    fn from(e: AwsError) -> Error {
        Error::Aws(e)
    }
}

impl Error {
    /// An IAM or STS error with this code and message (its HTTP status follows from the
    /// code).
    pub(crate) fn aws(code: impl Into<ErrorCode>, message: impl Into<String>) -> Error {
        Error::Aws(AwsError::of(code, message))
    }

    /// AccessDenied (403) refused by an operation's own authorization (a trust policy, a
    /// session's limits, a wrong password or MFA code): a denial without an encoded message.
    pub(crate) fn denied(message: impl Into<String>) -> Error {
        Error::Denied {
            error: AwsError::of(CommonErrorCode::AccessDenied, message),
            encoded: String::new(),
        }
    }

    /// An error the policy engine reports by its IAM code (`MalformedPolicyDocument`,
    /// `LimitExceeded`, …).
    pub(crate) fn policy(code: &'static str, message: impl Into<String>) -> Error {
        match ErrorCode::from_code(code) {
            Some(code) => Error::aws(code, message),
            None => Error::Aws(AwsError::with_status(code, message, 400)),
        }
    }

    /// An error of another service's API (CloudTrail, EC2, ECS): its code, answered with
    /// HTTP 400 as those services answer client errors.
    pub(crate) fn of_service(code: &'static str, message: impl Into<String>) -> Error {
        Error::Aws(AwsError::with_status(code, message, 400))
    }

    /// The error as the client sees it: server-side failures become IAM's ServiceFailure.
    pub(crate) fn into_aws(self) -> AwsError {
        match self {
            Error::Aws(e) | Error::Denied { error: e, .. } => e,
            other => {
                tracing::error!(error = %other, "request failed inside the server");
                AwsError::service_failure(
                    "The request processing has failed because of an unknown error, exception or failure.",
                )
            }
        }
    }

    /// `NoSuchEntity` (404).
    pub(crate) fn no_such_entity(message: impl Into<String>) -> Error {
        Error::aws(IamErrorCode::NoSuchEntity, message)
    }

    /// `EntityAlreadyExists` (409).
    pub(crate) fn already_exists(message: impl Into<String>) -> Error {
        Error::aws(IamErrorCode::EntityAlreadyExists, message)
    }

    /// `DeleteConflict` (409).
    pub(crate) fn delete_conflict(message: impl Into<String>) -> Error {
        Error::aws(IamErrorCode::DeleteConflict, message)
    }

    /// `LimitExceeded` (409).
    pub(crate) fn limit_exceeded(message: impl Into<String>) -> Error {
        Error::aws(IamErrorCode::LimitExceeded, message)
    }

    /// `InvalidInput` (400).
    pub(crate) fn invalid_input(message: impl Into<String>) -> Error {
        Error::aws(IamErrorCode::InvalidInput, message)
    }

    /// `UnmodifiableEntity` (400).
    pub(crate) fn unmodifiable(message: impl Into<String>) -> Error {
        Error::aws(IamErrorCode::UnmodifiableEntity, message)
    }

    /// `ValidationError` (400).
    pub(crate) fn validation(message: impl Into<String>) -> Error {
        Error::aws(CommonErrorCode::ValidationError, message)
    }

    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

impl From<portcullis_policy::PolicyError> for Error {
    fn from(e: portcullis_policy::PolicyError) -> Error {
        match e {
            portcullis_policy::PolicyError::Invalid { code, message, .. } => {
                Error::policy(code, message)
            }
            portcullis_policy::PolicyError::Request(m) => Error::aws(IamErrorCode::InvalidInput, m),
        }
    }
}
