//! The error type of the server: AWS errors answered to clients, and failures of the
//! server itself.

use portcullis_protocol::AwsError;
use portcullis_store::StoreError;

/// What can go wrong while serving.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An AWS error, answered to the client with AWS's code, message and HTTP status.
    #[error("{0}")]
    Aws(AwsError),
    /// An authorization denial: AccessDenied with its encoded authorization message.
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
    /// An AWS error with this code and message (its HTTP status follows from the code).
    pub(crate) fn aws(code: &str, message: impl Into<String>) -> Error {
        Error::Aws(AwsError::new(code.to_string(), message))
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
        Error::aws("NoSuchEntity", message)
    }

    /// `EntityAlreadyExists` (409).
    pub(crate) fn already_exists(message: impl Into<String>) -> Error {
        Error::aws("EntityAlreadyExists", message)
    }

    /// `DeleteConflict` (409).
    pub(crate) fn delete_conflict(message: impl Into<String>) -> Error {
        Error::aws("DeleteConflict", message)
    }

    /// `LimitExceeded` (409).
    pub(crate) fn limit_exceeded(message: impl Into<String>) -> Error {
        Error::aws("LimitExceeded", message)
    }

    /// `InvalidInput` (400).
    pub(crate) fn invalid_input(message: impl Into<String>) -> Error {
        Error::aws("InvalidInput", message)
    }

    /// `UnmodifiableEntity` (400).
    pub(crate) fn unmodifiable(message: impl Into<String>) -> Error {
        Error::aws("UnmodifiableEntity", message)
    }

    /// `ValidationError` (400).
    pub(crate) fn validation(message: impl Into<String>) -> Error {
        Error::aws("ValidationError", message)
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
                Error::aws(code, message)
            }
            portcullis_policy::PolicyError::Request(m) => Error::aws("InvalidInput", m),
        }
    }
}
