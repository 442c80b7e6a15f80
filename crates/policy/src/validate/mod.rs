//! Validation of a policy document for the kind of policy it is, with the error IAM (or
//! STS, or Organizations) returns for it.
//!
//! IAM reports one error, the first it meets; the checks run in the order IAM's own
//! answers reveal: size, JSON, version, structure, the elements each kind of policy
//! requires or forbids, "legacy parsing" of effects, dates and ARNs, Sids, actions,
//! resources. Warnings (unknown services and actions, risky patterns) do not make a
//! document invalid.
mod elements;
mod grammar;
mod limits;
mod warnings;

use crate::document::PolicyDocument;
use crate::error::{MALFORMED, PolicyError};
use crate::json::Json;
use serde::Serialize;

/// The kind of policy a document is validated as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyKind {
    /// An identity-based policy (managed, or inline in a user, group or role).
    Identity,
    /// A resource-based policy (bucket, queue, key policy, …).
    Resource,
    /// A role trust policy (`AssumeRolePolicyDocument`).
    Trust,
    /// A permissions boundary (a managed policy used as a boundary).
    Boundary,
    /// A session policy passed to AssumeRole or GetFederationToken.
    Session,
    /// A service control policy.
    Scp,
    /// A resource control policy.
    Rcp,
}

impl PolicyKind {
    /// Reads `identity`, `resource`, `trust`, `boundary`, `session`, `scp` or `rcp`.
    pub fn parse(text: &str) -> Option<PolicyKind> {
        Some(match text {
            "identity" => PolicyKind::Identity,
            "resource" => PolicyKind::Resource,
            "trust" => PolicyKind::Trust,
            "boundary" => PolicyKind::Boundary,
            "session" => PolicyKind::Session,
            "scp" => PolicyKind::Scp,
            "rcp" => PolicyKind::Rcp,
            _ => return None,
        })
    }

    fn is_organizations(self) -> bool {
        matches!(self, PolicyKind::Scp | PolicyKind::Rcp)
    }
}

/// The entity an inline identity policy is embedded in (its size quota differs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InlineOwner {
    /// A user: 2,048 characters.
    User,
    /// A group: 5,120 characters.
    Group,
    /// A role: 10,240 characters.
    Role,
}

/// How to validate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationOptions {
    /// The kind of policy.
    pub kind: PolicyKind,
    /// For identity policies: the entity an inline policy is embedded in; `None` for a
    /// managed policy.
    pub inline: Option<InlineOwner>,
    /// The name of that entity, for IAM's size message.
    pub owner_name: Option<String>,
    /// Whether to enforce the size quota (AWS managed policies are exempt from it).
    pub check_size: bool,
    /// Whether to look for warnings too (unknown actions, risky patterns).
    pub warnings: bool,
}

impl ValidationOptions {
    /// Options for a kind, with size checks on and no inline owner.
    pub fn new(kind: PolicyKind) -> ValidationOptions {
        ValidationOptions {
            kind,
            inline: None,
            owner_name: None,
            check_size: true,
            warnings: true,
        }
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// AWS rejects the document.
    Error,
    /// AWS accepts it, but it probably does not do what was meant.
    Warning,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// For errors, the AWS error code (MalformedPolicyDocument, LimitExceeded, …); for
    /// warnings, a check name.
    pub code: &'static str,
    /// The message AWS returns (errors) or a description (warnings).
    pub message: String,
    /// What exactly was found, and where.
    pub detail: String,
}

/// The result of validating a document.
#[derive(Debug, Clone)]
pub struct Validation {
    /// The first error (if any) and every warning.
    pub findings: Vec<Finding>,
    /// The parsed document, when it is structurally readable.
    pub document: Option<PolicyDocument>,
}

impl Validation {
    /// True when the document has no error.
    pub fn is_valid(&self) -> bool {
        self.error().is_none()
    }

    /// The error AWS would return.
    pub fn error(&self) -> Option<&Finding> {
        self.findings.iter().find(|f| f.severity == Severity::Error)
    }

    /// The error as a [`PolicyError`].
    pub fn into_result(self) -> Result<PolicyDocument, PolicyError> {
        match (
            self.findings
                .into_iter()
                .find(|f| f.severity == Severity::Error),
            self.document,
        ) {
            (Some(f), _) => Err(PolicyError::Invalid {
                code: f.code,
                message: f.message,
                detail: f.detail,
            }),
            (None, Some(doc)) => Ok(doc),
            (None, None) => Err(PolicyError::syntax("the document could not be read")),
        }
    }
}

pub(super) const LIMIT_EXCEEDED: &str = "LimitExceeded";
pub(super) const VALIDATION_ERROR: &str = "ValidationError";
pub(super) const ORGANIZATIONS_MALFORMED: &str = "MalformedPolicyDocumentException";
pub(super) const ORGANIZATIONS_MALFORMED_MESSAGE: &str =
    "The provided policy document does not meet the requirements of the specified policy type.";
pub(super) const LEGACY: &str = "The policy failed legacy parsing";
/// IAM's message for a trust policy that is not JSON.
pub(super) const INVALID_JSON: &str = "This policy contains invalid Json";
pub(super) const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];
pub(super) const TRUST_ACTIONS: &[&str] = &[
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
    "sts:setcontext",
];

/// An early stop: the first error.
pub(super) type Stop = Box<Finding>;

pub(super) fn error(
    code: &'static str,
    message: impl Into<String>,
    detail: impl Into<String>,
) -> Stop {
    Box::new(Finding {
        severity: Severity::Error,
        code,
        message: message.into(),
        detail: detail.into(),
    })
}

pub(super) fn malformed(message: impl Into<String>, detail: impl Into<String>) -> Stop {
    error(MALFORMED, message, detail)
}

pub(super) fn warning(
    code: &'static str,
    message: impl Into<String>,
    detail: impl Into<String>,
) -> Finding {
    Finding {
        severity: Severity::Warning,
        code,
        message: message.into(),
        detail: detail.into(),
    }
}

/// Validates a document as the given kind of policy.
pub fn validate(text: &str, options: &ValidationOptions) -> Validation {
    let mut warnings = Vec::new();
    let mut document = None;
    let result = run(text, options, &mut document, &mut warnings);
    let mut findings = Vec::new();
    if let Err(stop) = result {
        findings.push(*stop);
    }
    findings.extend(warnings);
    Validation { findings, document }
}

fn run(
    text: &str,
    o: &ValidationOptions,
    document: &mut Option<PolicyDocument>,
    warnings: &mut Vec<Finding>,
) -> Result<(), Stop> {
    let kind = o.kind;
    limits::check_text(text, o)?;
    let json = Json::parse(text).map_err(|e| {
        if kind.is_organizations() {
            error(
                ORGANIZATIONS_MALFORMED,
                ORGANIZATIONS_MALFORMED_MESSAGE,
                format!("the document is not valid JSON: {e}"),
            )
        } else if kind == PolicyKind::Trust {
            // IAM words it differently for a role's trust policy (CreateRole,
            // UpdateAssumeRolePolicy) than for the other kinds.
            malformed(INVALID_JSON, format!("the document is not valid JSON: {e}"))
        } else {
            malformed(
                crate::error::SYNTAX_ERRORS,
                format!("the document is not valid JSON: {e}"),
            )
        }
    })?;
    grammar::check_version(&json, o)?;
    let doc = PolicyDocument::from_json(text, &json).map_err(|e| match e {
        PolicyError::Invalid {
            code,
            message,
            detail,
        } if !kind.is_organizations() => error(code, message, detail),
        PolicyError::Invalid { detail, .. } => error(
            ORGANIZATIONS_MALFORMED,
            ORGANIZATIONS_MALFORMED_MESSAGE,
            detail,
        ),
        PolicyError::Request(detail) => malformed(crate::error::SYNTAX_ERRORS, detail),
    })?;
    *document = Some(doc);
    let doc = document
        .as_ref()
        .map(|d| d.statements.as_slice())
        .unwrap_or_default();
    let version = document.as_ref().and_then(|d| d.version.clone());
    elements::check_kind_elements(doc, o)?;
    if kind.is_organizations() {
        elements::check_organizations(doc, o)?;
    }
    grammar::check_legacy(doc, kind)?;
    grammar::check_sids(doc, kind)?;
    grammar::check_actions_present(doc, kind)?;
    grammar::check_action_vendors(doc, kind)?;
    grammar::check_resources(doc, kind)?;
    grammar::check_action_format(doc, kind)?;
    grammar::check_resources_present(doc, kind)?;
    if o.warnings {
        warnings::collect_warnings(doc, version.as_deref(), text, kind, warnings);
    }
    Ok(())
}

pub(super) fn organizations_error(kind: PolicyKind, detail: String) -> Stop {
    if kind.is_organizations() {
        error(
            ORGANIZATIONS_MALFORMED,
            ORGANIZATIONS_MALFORMED_MESSAGE,
            detail,
        )
    } else {
        malformed(crate::error::SYNTAX_ERRORS, detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_error(kind: PolicyKind, text: &str) -> Option<String> {
        validate(text, &ValidationOptions::new(kind))
            .error()
            .map(|f| f.message.clone())
    }

    #[test]
    fn managed_policy_rules() {
        let ok = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}}"#;
        assert_eq!(first_error(PolicyKind::Identity, ok), None);
        assert_eq!(
            first_error(
                PolicyKind::Identity,
                r#"{"Statement":{"Effect":"denY","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}}"#
            )
            .as_deref(),
            Some("Policy document must be version 2012-10-17 or greater.")
        );
        assert_eq!(
            first_error(
                PolicyKind::Identity,
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:x","Resource":"*"}}"#
            )
            .as_deref(),
            Some("Policy document should not specify a principal.")
        );
    }

    #[test]
    fn trust_policy_rules() {
        let lambda = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        assert_eq!(first_error(PolicyKind::Trust, lambda), None);
        assert_eq!(
            first_error(
                PolicyKind::Trust,
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}"#
            )
            .as_deref(),
            Some("Has prohibited field Resource")
        );
        assert_eq!(
            first_error(
                PolicyKind::Trust,
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:role/x"},"Action":"sts:AssumeRole"}]}"#
            )
            .as_deref(),
            Some("Invalid principal in policy: \"AWS\":\"arn:aws:iam::*:role/x\"")
        );
        assert_eq!(
            first_error(
                PolicyKind::Trust,
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject"}]}"#
            )
            .as_deref(),
            Some("AssumeRole policy may only specify STS AssumeRole actions.")
        );
    }

    #[test]
    fn sizes() {
        let big = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}"}}}}"#,
            "x".repeat(6100)
        );
        assert_eq!(
            first_error(PolicyKind::Identity, &big).as_deref(),
            Some("Cannot exceed quota for PolicySize: 6144")
        );
        let mut o = ValidationOptions::new(PolicyKind::Identity);
        o.inline = Some(InlineOwner::Role);
        o.owner_name = Some("r".into());
        assert!(validate(&big, &o).is_valid());
        o.inline = Some(InlineOwner::User);
        assert_eq!(
            validate(&big, &o).error().unwrap().message,
            "Maximum policy size of 2048 bytes exceeded for user r"
        );
        let spaced = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}{}}}"#,
            " ".repeat(7000)
        );
        assert!(validate(&spaced, &ValidationOptions::new(PolicyKind::Identity)).is_valid());
        assert!(!validate(&spaced, &ValidationOptions::new(PolicyKind::Scp)).is_valid());
    }

    #[test]
    fn warnings_do_not_invalidate() {
        let v = validate(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObjekt","nosuchsvc:Do"],"Resource":"*","Condition":{"StringEquals":{"aws:TagKeys":"a*"}}}}"#,
            &ValidationOptions::new(PolicyKind::Identity),
        );
        assert!(v.is_valid());
        let codes: Vec<&str> = v.findings.iter().map(|f| f.code).collect();
        assert!(codes.contains(&"INVALID_ACTION"));
        assert!(codes.contains(&"INVALID_SERVICE"));
        assert!(codes.contains(&"WILDCARD_WITHOUT_LIKE_OPERATOR"));
        assert!(codes.contains(&"MISSING_QUALIFIER"));
    }
}
