//! The error type of this crate.

/// What can go wrong when reading a policy or a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The policy document is not acceptable to IAM. `message` is the text IAM returns
    /// with `code` (MalformedPolicyDocument, LimitExceeded, …); `detail` says exactly what
    /// was found where.
    #[error("{code}: {message} ({detail})")]
    Invalid {
        /// The AWS error code.
        code: &'static str,
        /// The AWS error message.
        message: String,
        /// What was wrong, and where.
        detail: String,
    },
    /// A request given to the engine is not well formed.
    #[error("invalid request: {0}")]
    Request(String),
}

impl PolicyError {
    /// A MalformedPolicyDocument error with IAM's generic "Syntax errors in policy." text.
    pub(crate) fn syntax(detail: impl Into<String>) -> PolicyError {
        PolicyError::Invalid {
            code: MALFORMED,
            message: SYNTAX_ERRORS.to_string(),
            detail: detail.into(),
        }
    }
}

/// The AWS error code for policy documents that do not validate.
pub const MALFORMED: &str = "MalformedPolicyDocument";
/// IAM's message for a document it cannot read structurally.
pub const SYNTAX_ERRORS: &str = "Syntax errors in policy.";
