//! AWS errors: a code, a message and an HTTP status, as the Query protocol sends them.
//!
//! The codes of the service-specific exceptions and their statuses come from the models
//! (`NoSuchEntity` 404, `EntityAlreadyExists` 409, …). Codes that the models do not list are the
//! errors common to every AWS Query API; their statuses are those of the AWS "Common Errors"
//! pages of the IAM and STS API references (see [`common_error_status`]).

use std::borrow::Cow;
use std::fmt;

use super::model::{Model, Service};
use crate::typed::{CommonErrorCode, ErrorCode};

/// An error to send to the client as an `<ErrorResponse>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    code: Cow<'static, str>,
    message: String,
    status: u16,
}

impl std::error::Error for AwsError {}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

/// Who is at fault, as written in `<Type>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// 4xx: the request was wrong.
    Sender,
    /// 5xx: the service failed.
    Receiver,
}

impl Fault {
    /// `Sender` or `Receiver`.
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Sender => "Sender",
            Fault::Receiver => "Receiver",
        }
    }
}

/// The HTTP status of a common Query API error code (one that no model lists), if known
/// ([`CommonErrorCode`]).
pub fn common_error_status(code: &str) -> Option<u16> {
    CommonErrorCode::ALL
        .into_iter()
        .find(|c| c.code() == code)
        .map(CommonErrorCode::status)
}

/// The HTTP status for an error code: the model's status for modelled exceptions (IAM first,
/// then STS), else the common errors' status, else 400.
pub fn status_for_code(code: &str) -> u16 {
    Service::ALL
        .into_iter()
        .find_map(|s| s.model().error(code).map(|e| e.status))
        .or_else(|| common_error_status(code))
        .unwrap_or(400)
}

impl AwsError {
    /// An error of IAM or STS with its code's status.
    pub fn of(code: impl Into<ErrorCode>, message: impl Into<String>) -> Self {
        let code = code.into();
        Self {
            code: Cow::Borrowed(code.code()),
            message: message.into(),
            status: code.status(),
        }
    }

    /// An error with the status that goes with `code` ([`status_for_code`]).
    pub fn new(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        let code = code.into();
        let status = status_for_code(&code);
        Self {
            code,
            message: message.into(),
            status,
        }
    }

    /// An error with an explicit status.
    pub fn with_status(
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
        status: u16,
    ) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            status,
        }
    }

    /// An exception of `model` named by its shape (`NoSuchEntityException`) or its code
    /// (`NoSuchEntity`), with the model's code and status.
    pub fn modelled(model: &Model, shape_or_code: &str, message: impl Into<String>) -> Self {
        match model
            .error_by_shape(shape_or_code)
            .or_else(|| model.error(shape_or_code))
        {
            Some(e) => Self::with_status(e.code.clone(), message, e.status),
            None => Self::new(shape_or_code.to_owned(), message),
        }
    }

    /// The code (`NoSuchEntity`).
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// `Sender` for 4xx, `Receiver` for 5xx.
    pub fn fault(&self) -> Fault {
        if self.status >= 500 {
            Fault::Receiver
        } else {
            Fault::Sender
        }
    }

    /// `ValidationError` (400) with AWS's summary of constraint violations:
    /// `1 validation error detected: …` or `N validation errors detected: …; …`.
    pub fn validation(violations: &[String]) -> Self {
        let n = violations.len();
        let mut message = format!(
            "{n} validation error{} detected: ",
            if n == 1 { "" } else { "s" }
        );
        message.push_str(&violations.join("; "));
        Self::with_status("ValidationError", message, 400)
    }

    /// `ValidationError` (400) with a free message (IAM's own checks use this code too).
    pub fn validation_error(message: impl Into<String>) -> Self {
        Self::with_status("ValidationError", message, 400)
    }

    /// `MissingAction` (400): the request has no `Action` parameter.
    pub fn missing_action() -> Self {
        Self::with_status("MissingAction", "Missing Action", 400)
    }

    /// `InvalidAction` (400): `Could not find operation {action} for version {version}`, as IAM
    /// and STS word it. A request without `Version` names it `NO_VERSION_SPECIFIED`.
    pub fn invalid_action(action: &str, version: Option<&str>) -> Self {
        Self::with_status(
            "InvalidAction",
            format!(
                "Could not find operation {action} for version {}",
                version.unwrap_or("NO_VERSION_SPECIFIED")
            ),
            400,
        )
    }

    /// `MalformedInput` (400): a parameter does not parse as its type.
    pub fn malformed_input(message: impl Into<String>) -> Self {
        Self::with_status("MalformedInput", message, 400)
    }

    /// `AccessDenied` (403).
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::with_status("AccessDenied", message, 403)
    }

    /// `InternalFailure` (500).
    pub fn internal_failure(message: impl Into<String>) -> Self {
        Self::with_status("InternalFailure", message, 500)
    }

    /// `Throttling` (400), `Rate exceeded`.
    pub fn throttling() -> Self {
        Self::with_status("Throttling", "Rate exceeded", 400)
    }

    /// IAM `NoSuchEntity` (404).
    pub fn no_such_entity(message: impl Into<String>) -> Self {
        Self::modelled(Model::iam(), "NoSuchEntity", message)
    }

    /// IAM `EntityAlreadyExists` (409).
    pub fn entity_already_exists(message: impl Into<String>) -> Self {
        Self::modelled(Model::iam(), "EntityAlreadyExists", message)
    }

    /// `MalformedPolicyDocument` (400), in both IAM and STS.
    pub fn malformed_policy_document(message: impl Into<String>) -> Self {
        Self::modelled(Model::iam(), "MalformedPolicyDocument", message)
    }

    /// IAM `LimitExceeded` (409).
    pub fn limit_exceeded(message: impl Into<String>) -> Self {
        Self::modelled(Model::iam(), "LimitExceeded", message)
    }

    /// IAM `DeleteConflict` (409).
    pub fn delete_conflict(message: impl Into<String>) -> Self {
        Self::modelled(Model::iam(), "DeleteConflict", message)
    }

    /// IAM `InvalidInput` (400).
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::modelled(Model::iam(), "InvalidInput", message)
    }

    /// IAM `UnmodifiableEntity` (400).
    pub fn unmodifiable_entity(message: impl Into<String>) -> Self {
        Self::modelled(Model::iam(), "UnmodifiableEntity", message)
    }

    /// IAM `ServiceFailure` (500).
    pub fn service_failure(message: impl Into<String>) -> Self {
        Self::modelled(Model::iam(), "ServiceFailure", message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_from_the_models() {
        assert_eq!(AwsError::no_such_entity("x").status(), 404);
        assert_eq!(AwsError::entity_already_exists("x").status(), 409);
        assert_eq!(AwsError::malformed_policy_document("x").status(), 400);
        assert_eq!(AwsError::limit_exceeded("x").status(), 409);
        assert_eq!(AwsError::delete_conflict("x").status(), 409);
        assert_eq!(AwsError::invalid_input("x").status(), 400);
        assert_eq!(AwsError::unmodifiable_entity("x").status(), 400);
        let failure = AwsError::service_failure("x");
        assert_eq!((failure.status(), failure.fault()), (500, Fault::Receiver));
        assert_eq!(AwsError::new("IDPRejectedClaim", "x").status(), 403);
        assert_eq!(
            AwsError::modelled(Model::sts(), "PackedPolicyTooLargeException", "x").code(),
            "PackedPolicyTooLarge"
        );
    }

    #[test]
    fn common_statuses() {
        for (code, status) in [
            ("ValidationError", 400),
            ("AccessDenied", 403),
            ("InvalidAction", 400),
            ("MissingAction", 400),
            ("InvalidParameterValue", 400),
            ("MalformedQueryString", 404),
            ("InternalFailure", 500),
            ("Throttling", 400),
            ("InvalidClientTokenId", 403),
            ("SignatureDoesNotMatch", 403),
            ("MissingAuthenticationToken", 403),
            ("ServiceUnavailable", 503),
        ] {
            let e = AwsError::new(code, "m");
            assert_eq!(e.status(), status, "{code}");
            assert_eq!(
                e.fault(),
                if status >= 500 {
                    Fault::Receiver
                } else {
                    Fault::Sender
                }
            );
        }
        assert_eq!(AwsError::new("SomethingNew", "m").status(), 400);
    }

    #[test]
    fn validation_summaries() {
        let one = AwsError::validation(&["A".into()]);
        assert_eq!(one.message(), "1 validation error detected: A");
        assert_eq!((one.code(), one.status()), ("ValidationError", 400));
        let two = AwsError::validation(&["A".into(), "B".into()]);
        assert_eq!(two.message(), "2 validation errors detected: A; B");
    }

    #[test]
    fn action_errors() {
        let e = AwsError::invalid_action("Frobnicate", Some("2010-05-08"));
        assert_eq!(e.code(), "InvalidAction");
        assert_eq!(
            e.message(),
            "Could not find operation Frobnicate for version 2010-05-08"
        );
        assert_eq!(e.status(), 400);
        assert_eq!(AwsError::missing_action().status(), 400);
    }
}
