//! The AWS IAM policy language, complete: documents in every shape AWS accepts, validation
//! with AWS's own error messages for each kind of policy, a compiled form that evaluates
//! fast, and authorization through the whole AWS chain (explicit deny, RCPs, SCPs,
//! resource-based policy, identity-based policies, permissions boundary, session policies)
//! with an explanation of every decision.
//!
//! Pure Rust: no I/O, no async, no logging.
//!
//! ```
//! use portcullis_policy::{authorize, CompiledPolicy, Policies, Principal, Request};
//! use std::sync::Arc;
//!
//! let policy = Arc::new(CompiledPolicy::parse(r#"{
//!     "Version": "2012-10-17",
//!     "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
//!                    "Resource": "arn:aws:s3:::reports/${aws:username}/*"}]
//! }"#).unwrap());
//! let alice = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
//! let request = Request::builder(alice, "s3:GetObject", "arn:aws:s3:::reports/alice/q3.csv")
//!     .build()
//!     .unwrap();
//! let identity = [policy];
//! let policies = Policies { identity: &identity, ..Policies::default() };
//! assert!(authorize(&request, &policies).is_allowed());
//! ```

mod arn;
mod authorize;
mod compile;
pub mod condition;
mod context;
mod document;
mod error;
mod evaluate;
mod explain;
mod json;
mod pattern;
mod principal;
mod request;
pub mod simulate;
mod span;
pub mod validate;

pub use arn::split_arn;
pub use authorize::{Decision, Layer, Outcome, Policies, Reason, StatementRef, authorize};
pub use compile::CompiledPolicy;
pub use context::{Context, ContextValue};
pub use document::{
    ConditionEntry, Effect, ListElement, PolicyDocument, PrincipalElement, PrincipalValue,
    Statement, VERSION_2008, VERSION_2012,
};
pub use error::{MALFORMED, PolicyError, SYNTAX_ERRORS};
pub use evaluate::PolicyMatch;
pub use explain::{Explanation, StatementDescription};
pub use pattern::wildcard_match;
pub use principal::{Grant, Principal, PrincipalKind};
pub use request::{Request, RequestBuilder};
pub use span::{Position, Span};
pub use validate::{
    Finding, InlineOwner, PolicyKind, Severity, Validation, ValidationOptions, validate,
};
