//! Validation of a policy document for the kind of policy it is, with the error IAM (or
//! STS, or Organizations) returns for it.
//!
//! IAM reports one error, the first it meets; the checks run in the order IAM's own
//! answers reveal: size, JSON, version, structure, the elements each kind of policy
//! requires or forbids, "legacy parsing" of effects, dates and ARNs, Sids, actions,
//! resources. Warnings (unknown services and actions, risky patterns) do not make a
//! document invalid.

use crate::arn::split_arn;
use crate::condition::{BaseOperator, OperatorFamily, SetQualifier, parse_date, parse_number};
use crate::document::{
    Effect, PolicyDocument, PrincipalValue, Statement, VERSION_2008, VERSION_2012,
};
use crate::error::{MALFORMED, PolicyError};
use crate::json::Json;
use portcullis_catalog::{ConditionKeyType, catalog};
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

const LIMIT_EXCEEDED: &str = "LimitExceeded";
const VALIDATION_ERROR: &str = "ValidationError";
const ORGANIZATIONS_MALFORMED: &str = "MalformedPolicyDocumentException";
const ORGANIZATIONS_MALFORMED_MESSAGE: &str =
    "The provided policy document does not meet the requirements of the specified policy type.";
const LEGACY: &str = "The policy failed legacy parsing";
const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];
const TRUST_ACTIONS: &[&str] = &[
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
    "sts:setcontext",
];

/// An early stop: the first error.
type Stop = Box<Finding>;

fn error(code: &'static str, message: impl Into<String>, detail: impl Into<String>) -> Stop {
    Box::new(Finding {
        severity: Severity::Error,
        code,
        message: message.into(),
        detail: detail.into(),
    })
}

fn malformed(message: impl Into<String>, detail: impl Into<String>) -> Stop {
    error(MALFORMED, message, detail)
}

fn warning(code: &'static str, message: impl Into<String>, detail: impl Into<String>) -> Finding {
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
    check_text(text, o)?;
    let json = Json::parse(text).map_err(|e| {
        if kind.is_organizations() {
            error(
                ORGANIZATIONS_MALFORMED,
                ORGANIZATIONS_MALFORMED_MESSAGE,
                format!("the document is not valid JSON: {e}"),
            )
        } else {
            malformed(
                crate::error::SYNTAX_ERRORS,
                format!("the document is not valid JSON: {e}"),
            )
        }
    })?;
    check_version(&json, o)?;
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
    check_kind_elements(doc, o)?;
    if kind.is_organizations() {
        check_organizations(doc, o)?;
    }
    check_legacy(doc, kind)?;
    check_sids(doc, kind)?;
    check_actions_present(doc, kind)?;
    check_action_vendors(doc, kind)?;
    check_resources(doc, kind)?;
    check_action_format(doc, kind)?;
    check_resources_present(doc, kind)?;
    if o.warnings {
        collect_warnings(doc, version.as_deref(), text, kind, warnings);
    }
    Ok(())
}

fn organizations_error(kind: PolicyKind, detail: String) -> Stop {
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

/// Characters, emptiness and size quotas.
fn check_text(text: &str, o: &ValidationOptions) -> Result<(), Stop> {
    let kind = o.kind;
    if text.is_empty() {
        return Err(error(
            VALIDATION_ERROR,
            "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must have length greater than or equal to 1",
            "the document is empty",
        ));
    }
    let iam = !kind.is_organizations() && kind != PolicyKind::Resource;
    if iam
        && let Some(c) = text
            .chars()
            .find(|c| !matches!(*c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}'))
    {
        return Err(error(
            VALIDATION_ERROR,
            "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
            format!(
                "the character {c:?} (U+{:04X}) is outside the characters IAM accepts",
                c as u32
            ),
        ));
    }
    if !o.check_size {
        return Ok(());
    }
    let all_chars = text.chars().count();
    let counted = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\r'))
        .count();
    let over = |limit: usize, size: usize| size > limit;
    let owner = o.owner_name.as_deref().unwrap_or("");
    let stop = match (kind, o.inline) {
        (PolicyKind::Identity, None) | (PolicyKind::Boundary, _) if over(6144, counted) => {
            Some(error(
                LIMIT_EXCEEDED,
                "Cannot exceed quota for PolicySize: 6144",
                format!("{counted} characters, not counting whitespace"),
            ))
        }
        (PolicyKind::Identity, Some(owner_kind)) => {
            let (limit, what) = match owner_kind {
                InlineOwner::User => (2048, "user"),
                InlineOwner::Group => (5120, "group"),
                InlineOwner::Role => (10240, "role"),
            };
            over(limit, counted).then(|| {
                error(
                    LIMIT_EXCEEDED,
                    format!("Maximum policy size of {limit} bytes exceeded for {what} {owner}")
                        .trim_end()
                        .to_string(),
                    format!("{counted} characters, not counting whitespace"),
                )
            })
        }
        (PolicyKind::Trust, _) if over(2048, counted) => Some(error(
            LIMIT_EXCEEDED,
            "Cannot exceed quota for ACLSizePerRole: 2048",
            format!("{counted} characters, not counting whitespace"),
        )),
        (PolicyKind::Session, _) if over(2048, all_chars) => Some(error(
            VALIDATION_ERROR,
            "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048",
            format!("{all_chars} characters"),
        )),
        (PolicyKind::Scp | PolicyKind::Rcp, _) if over(5120, all_chars) => Some(error(
            "ConstraintViolationException",
            "You have exceeded the maximum size of a policy document (5,120 characters, whitespace included).",
            format!("{all_chars} characters"),
        )),
        _ => None,
    };
    stop.map_or(Ok(()), Err)
}

/// Managed policies (and so boundaries) must be `2012-10-17`; any other value than the
/// two versions is a syntax error for every kind.
fn check_version(json: &Json, o: &ValidationOptions) -> Result<(), Stop> {
    let Json::Object(entries) = json else {
        return Ok(());
    };
    let version = entries.iter().find(|(k, _)| k == "Version").map(|(_, v)| v);
    let managed = matches!(
        (o.kind, o.inline),
        (PolicyKind::Identity, None) | (PolicyKind::Boundary, _)
    );
    match version {
        Some(Json::String(v)) if v == VERSION_2012 => Ok(()),
        Some(Json::String(v)) if v == VERSION_2008 && !managed => Ok(()),
        None if !managed => Ok(()),
        None | Some(Json::String(_)) if managed => {
            let found = match version {
                Some(Json::String(v)) if v == VERSION_2008 => "Version 2008-10-17",
                None => "no Version",
                _ => "",
            };
            if found.is_empty() {
                Err(malformed(
                    crate::error::SYNTAX_ERRORS,
                    "Version must be 2012-10-17 or 2008-10-17",
                ))
            } else {
                Err(malformed(
                    "Policy document must be version 2012-10-17 or greater.",
                    format!("a managed policy has {found}"),
                ))
            }
        }
        _ => Err(organizations_error(
            o.kind,
            "Version must be 2012-10-17 or 2008-10-17".to_string(),
        )),
    }
}

/// Elements each kind of policy requires or forbids.
fn check_kind_elements(statements: &[Statement], o: &ValidationOptions) -> Result<(), Stop> {
    let kind = o.kind;
    for (i, s) in statements.iter().enumerate() {
        let at = format!("Statement[{i}]");
        let element = s.principal.as_ref().map(|p| {
            if p.negated {
                "NotPrincipal"
            } else {
                "Principal"
            }
        });
        match kind {
            PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Session => {
                if let Some(e) = element {
                    let managed = kind == PolicyKind::Boundary
                        || (kind == PolicyKind::Identity && o.inline.is_none());
                    let message = if managed {
                        "Policy document should not specify a principal.".to_string()
                    } else {
                        format!("Has prohibited field {e}")
                    };
                    return Err(malformed(message, format!("{at} has {e}")));
                }
            }
            PolicyKind::Trust => {
                match element {
                    None => {
                        return Err(malformed(
                            "Missing required field Principal",
                            format!("{at} has no Principal"),
                        ));
                    }
                    Some("NotPrincipal") => {
                        return Err(malformed(
                            "Has prohibited field NotPrincipal",
                            format!("{at} has NotPrincipal"),
                        ));
                    }
                    _ => {}
                }
                if let Some(r) = &s.resource {
                    let e = if r.negated { "NotResource" } else { "Resource" };
                    return Err(malformed(
                        format!("Has prohibited field {e}"),
                        format!("{at} has {e}"),
                    ));
                }
                if let Some(a) = &s.action {
                    let allowed = !a.negated
                        && a.values.iter().all(|v| {
                            let v = v.to_ascii_lowercase();
                            crate::pattern::Pattern::wildcard(&v).matches("sts:assumerole")
                                || TRUST_ACTIONS
                                    .iter()
                                    .any(|t| crate::pattern::Pattern::wildcard(&v).matches(t))
                        });
                    if !allowed {
                        return Err(malformed(
                            "AssumeRole policy may only specify STS AssumeRole actions.",
                            format!(
                                "{at} names actions other than sts:AssumeRole*, sts:TagSession, sts:SetSourceIdentity and sts:SetContext"
                            ),
                        ));
                    }
                }
                check_principal_values(s, &at)?;
            }
            PolicyKind::Resource => {
                match element {
                    None => {
                        return Err(malformed(
                            "Missing required field Principal",
                            format!("{at} has no Principal"),
                        ));
                    }
                    Some("NotPrincipal") if s.effect == Effect::Allow => {
                        return Err(malformed(
                            "NotPrincipal is supported only with \"Effect\": \"Deny\".",
                            format!("{at} combines Allow with NotPrincipal"),
                        ));
                    }
                    _ => {}
                }
                check_principal_values(s, &at)?;
            }
            PolicyKind::Scp | PolicyKind::Rcp => {}
        }
    }
    Ok(())
}

fn check_principal_values(s: &Statement, at: &str) -> Result<(), Stop> {
    let Some(p) = &s.principal else {
        return Ok(());
    };
    let invalid = |key: &str, value: &str| {
        malformed(
            format!("Invalid principal in policy: \"{key}\":\"{value}\""),
            format!("{at} names a principal IAM does not accept"),
        )
    };
    match &p.value {
        PrincipalValue::Everyone => Ok(()),
        PrincipalValue::Other(v) => Err(invalid("AWS", v)),
        PrincipalValue::Map(entries) => {
            if entries.is_empty() {
                return Err(malformed(
                    crate::error::SYNTAX_ERRORS,
                    format!("{at} has an empty principal"),
                ));
            }
            for (key, values) in entries {
                for v in values {
                    let ok = match key.as_str() {
                        "AWS" => valid_aws_principal(v),
                        "Service" => valid_service_principal(v),
                        "Federated" => !v.is_empty() && !v.contains(['*', '?']),
                        "CanonicalUser" => {
                            v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())
                        }
                        _ => false,
                    };
                    if !ok {
                        return Err(invalid(&key.to_ascii_uppercase(), v));
                    }
                }
            }
            Ok(())
        }
    }
}

/// `*`, an account ID, a root/user/role/session/federated-user ARN, or a unique ID.
fn valid_aws_principal(v: &str) -> bool {
    if v == "*" || crate::principal::account_of(v).is_some() {
        return true;
    }
    if v.contains(['*', '?']) {
        return false;
    }
    if let Some(parts) = split_arn(v) {
        let account_ok = parts[4].len() == 12 && parts[4].bytes().all(|b| b.is_ascii_digit());
        let resource_ok = match parts[2] {
            "iam" => ["user/", "role/"].iter().any(|p| parts[5].starts_with(p)),
            "sts" => ["assumed-role/", "federated-user/"]
                .iter()
                .any(|p| parts[5].starts_with(p)),
            _ => false,
        };
        return parts[0] == "arn" && PARTITIONS.contains(&parts[1]) && account_ok && resource_ok;
    }
    v.len() >= 16
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && ["AIDA", "AROA", "AIPA", "ANPA", "AGPA", "ASIA", "AKIA"]
            .iter()
            .any(|p| v.starts_with(p))
}

fn valid_service_principal(v: &str) -> bool {
    v.contains('.')
        && !v.starts_with('.')
        && !v.ends_with('.')
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// Rules of service and resource control policies (AWS Organizations).
fn check_organizations(statements: &[Statement], o: &ValidationOptions) -> Result<(), Stop> {
    for (i, s) in statements.iter().enumerate() {
        let at = format!("Statement[{i}]");
        let fail = |detail: String| {
            Err(error(
                ORGANIZATIONS_MALFORMED,
                ORGANIZATIONS_MALFORMED_MESSAGE,
                detail,
            ))
        };
        if o.kind == PolicyKind::Scp {
            if s.principal.is_some() {
                return fail(format!(
                    "{at}: service control policies cannot name a principal"
                ));
            }
            continue;
        }
        let full_access = s.effect == Effect::Allow
            && s.conditions.is_empty()
            && s.action
                .as_ref()
                .is_some_and(|a| !a.negated && a.values == ["*"])
            && s.resource
                .as_ref()
                .is_some_and(|r| !r.negated && r.values == ["*"])
            && s.principal
                .as_ref()
                .is_some_and(|p| !p.negated && is_everyone(&p.value));
        if s.effect == Effect::Allow && !full_access {
            return fail(format!(
                "{at}: resource control policies may only Deny (except RCPFullAWSAccess)"
            ));
        }
        match &s.principal {
            Some(p) if !p.negated && is_everyone(&p.value) => {}
            _ => {
                return fail(format!(
                    "{at}: the Principal of a resource control policy must be \"*\""
                ));
            }
        }
        if s.action.as_ref().is_some_and(|a| a.negated) {
            return fail(format!(
                "{at}: resource control policies cannot use NotAction"
            ));
        }
    }
    Ok(())
}

fn is_everyone(v: &PrincipalValue) -> bool {
    match v {
        PrincipalValue::Everyone => true,
        PrincipalValue::Map(entries) => {
            entries.len() == 1 && entries[0].0 == "AWS" && entries[0].1 == ["*"]
        }
        PrincipalValue::Other(_) => false,
    }
}

/// What IAM reports as "The policy failed legacy parsing": effects not spelled exactly
/// `Allow`/`Deny`, date and number values it cannot read, ARNs without a service.
fn check_legacy(statements: &[Statement], kind: PolicyKind) -> Result<(), Stop> {
    if kind.is_organizations() {
        return Ok(());
    }
    for (i, s) in statements.iter().enumerate() {
        let at = format!("Statement[{i}]");
        if s.effect_text != s.effect.as_str() {
            return Err(malformed(
                LEGACY,
                format!(
                    "{at}.Effect is {:?}; IAM accepts exactly Allow or Deny",
                    s.effect_text
                ),
            ));
        }
        for c in &s.conditions {
            for v in &c.values {
                let unreadable = match c.operator.base.family() {
                    OperatorFamily::Date => parse_date(v).is_none(),
                    OperatorFamily::Numeric => parse_number(v).is_none(),
                    _ => false,
                };
                if unreadable {
                    return Err(malformed(
                        LEGACY,
                        format!(
                            "{at}.Condition.{}.{}: {v:?} is not a valid value for this operator",
                            c.operator_text, c.key
                        ),
                    ));
                }
            }
        }
        if let Some(r) = &s.resource {
            for v in &r.values {
                let parts: Vec<&str> = v.splitn(6, ':').collect();
                let bad = parts.len() >= 3
                    && (parts[2].is_empty()
                        || (parts[2] == "s3" && parts.len() > 3 && parts.len() < 6));
                if bad {
                    return Err(malformed(
                        LEGACY,
                        format!("{at}: resource {v:?} has no service or is not a complete ARN"),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn check_sids(statements: &[Statement], kind: PolicyKind) -> Result<(), Stop> {
    let iam = !matches!(
        kind,
        PolicyKind::Resource | PolicyKind::Scp | PolicyKind::Rcp
    );
    let mut seen: Vec<&str> = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        let Some(sid) = s.sid.as_deref().filter(|s| !s.is_empty()) else {
            continue;
        };
        if seen.contains(&sid) {
            return Err(malformed(
                "Statement IDs (SID) in a single policy must be unique.",
                format!("Statement[{i}] repeats the Sid {sid:?}"),
            ));
        }
        seen.push(sid);
        if iam && !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(malformed(
                "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
                format!("Statement[{i}] has the Sid {sid:?}"),
            ));
        }
    }
    Ok(())
}

fn check_actions_present(statements: &[Statement], kind: PolicyKind) -> Result<(), Stop> {
    for (i, s) in statements.iter().enumerate() {
        if s.action.as_ref().is_none_or(|a| a.values.is_empty()) {
            let detail = format!("Statement[{i}] has no Action or NotAction");
            return Err(if kind.is_organizations() {
                error(
                    ORGANIZATIONS_MALFORMED,
                    ORGANIZATIONS_MALFORMED_MESSAGE,
                    detail,
                )
            } else {
                malformed("Policy statement must contain actions.", detail)
            });
        }
    }
    Ok(())
}

fn check_action_vendors(statements: &[Statement], kind: PolicyKind) -> Result<(), Stop> {
    for (i, s) in statements.iter().enumerate() {
        for a in s.action.iter().flat_map(|a| &a.values) {
            if a != "*" && !a.contains(':') {
                let detail = format!("Statement[{i}]: action {a:?} has no service prefix");
                return Err(if kind.is_organizations() {
                    error(
                        ORGANIZATIONS_MALFORMED,
                        ORGANIZATIONS_MALFORMED_MESSAGE,
                        detail,
                    )
                } else {
                    malformed(
                        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
                        detail,
                    )
                });
            }
        }
    }
    Ok(())
}

fn check_action_format(statements: &[Statement], kind: PolicyKind) -> Result<(), Stop> {
    for (i, s) in statements.iter().enumerate() {
        for a in s.action.iter().flat_map(|a| &a.values) {
            let Some((vendor, name)) = a.split_once(':') else {
                continue;
            };
            let detail = |what: &str| format!("Statement[{i}]: action {a:?} {what}");
            let stop = if name.contains(':') {
                Some(malformed(
                    "Actions/Condition can contain only one colon.",
                    detail("has more than one colon"),
                ))
            } else if vendor.is_empty()
                || !vendor
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'*' | b'?'))
            {
                Some(malformed(
                    format!("Vendor {vendor} is not valid"),
                    detail("has an invalid service prefix"),
                ))
            } else {
                None
            };
            if let Some(stop) = stop {
                return Err(if kind.is_organizations() {
                    error(
                        ORGANIZATIONS_MALFORMED,
                        ORGANIZATIONS_MALFORMED_MESSAGE,
                        stop.detail,
                    )
                } else {
                    stop
                });
            }
        }
    }
    Ok(())
}

/// The IAM resource types, read from the service authorization reference, plus `root`
/// and the credential report.
fn iam_resource_prefixes() -> Vec<String> {
    let mut out: Vec<String> = catalog()
        .service("iam")
        .map(|s| {
            s.resource_arns
                .iter()
                .filter_map(|(_, arn)| {
                    let resource = split_arn(arn)?[5];
                    let literal = resource.split("${").next()?;
                    (!literal.is_empty()).then(|| literal.to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    out.push("report/".to_string());
    out.push("root".to_string());
    out
}

fn check_resources(statements: &[Statement], kind: PolicyKind) -> Result<(), Stop> {
    if kind.is_organizations() {
        return Ok(());
    }
    let iam_prefixes = iam_resource_prefixes();
    for (i, s) in statements.iter().enumerate() {
        for r in s.resource.iter().flat_map(|r| &r.values) {
            if r == "*" {
                continue;
            }
            let at = format!("Statement[{i}]");
            let mut parts: Vec<&str> = r.splitn(6, ':').collect();
            if parts.len() < 2 {
                return Err(malformed(
                    format!("Resource {r} must be in ARN format or \"*\"."),
                    format!("{at}: {r:?} is not an ARN"),
                ));
            }
            parts[0] = "arn";
            let partition = parts[1];
            if partition != "*" && !PARTITIONS.contains(&partition) {
                let mut padded = parts.clone();
                padded.resize(6, "*");
                return Err(malformed(
                    format!(
                        "Partition \"{partition}\" is not valid for resource \"{}\".",
                        padded.join(":")
                    ),
                    format!("{at}: {r:?} has an unknown partition"),
                ));
            }
            if parts.len() == 2 {
                return Err(malformed(
                    "Resource vendor must be fully qualified and cannot contain regexes.",
                    format!("{at}: {r:?} names no service"),
                ));
            }
            if parts.len() < 6 {
                continue;
            }
            let (service, region, account, resource) = (parts[2], parts[3], parts[4], parts[5]);
            if service == "iam" {
                if !region.is_empty() {
                    return Err(malformed(
                        format!("IAM resource {r} cannot contain region information."),
                        format!("{at}: IAM ARNs have no region"),
                    ));
                }
                let head = resource.split('/').next().unwrap_or("");
                let ok = resource == "*"
                    || head.contains(['*', '?', '$'])
                    || iam_prefixes
                        .iter()
                        .any(|p| resource.starts_with(p.as_str()));
                if !ok {
                    return Err(malformed(
                        "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.",
                        format!("{at}: {r:?} is not an IAM resource"),
                    ));
                }
            }
            if service == "s3" && !region.is_empty() && account.is_empty() {
                return Err(malformed(
                    format!("Resource {r} can not contain region information."),
                    format!("{at}: an S3 bucket ARN has no region"),
                ));
            }
        }
    }
    Ok(())
}

fn check_resources_present(statements: &[Statement], kind: PolicyKind) -> Result<(), Stop> {
    if !matches!(
        kind,
        PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Session
    ) {
        return Ok(());
    }
    for (i, s) in statements.iter().enumerate() {
        if s.resource.as_ref().is_none_or(|r| r.values.is_empty()) {
            return Err(malformed(
                "Policy statement must contain resources.",
                format!("Statement[{i}] has no Resource or NotResource"),
            ));
        }
    }
    Ok(())
}

fn collect_warnings(
    statements: &[Statement],
    version: Option<&str>,
    text: &str,
    kind: PolicyKind,
    out: &mut Vec<Finding>,
) {
    let c = catalog();
    if version.is_none() {
        out.push(warning(
            "MISSING_VERSION",
            "The policy has no Version: it is read as 2008-10-17, where policy variables are literal text.",
            "add \"Version\": \"2012-10-17\"",
        ));
    }
    if version != Some(VERSION_2012) && text.contains("${") {
        out.push(warning(
            "VARIABLE_UNSUPPORTED_IN_VERSION",
            "Policy variables work only with Version 2012-10-17; here ${…} is literal text.",
            "the document uses ${ but is not Version 2012-10-17",
        ));
    }
    for (i, s) in statements.iter().enumerate() {
        let at = format!("Statement[{i}]");
        for a in s.action.iter().flat_map(|a| &a.values) {
            let Some((service, name)) = a.split_once(':') else {
                continue;
            };
            if service.contains(['*', '?']) {
                continue;
            }
            match c.service(service) {
                None => out.push(warning(
                    "INVALID_SERVICE",
                    format!("The service prefix {service} is not an AWS service."),
                    format!("{at}: action {a:?}"),
                )),
                Some(svc) if !name.contains(['*', '?']) && svc.action(name).is_none() => {
                    out.push(warning(
                        "INVALID_ACTION",
                        format!("The action {a} does not exist in {}.", svc.name),
                        format!("{at}: action {a:?}"),
                    ))
                }
                Some(svc) if name.contains(['*', '?']) => {
                    let pattern = crate::pattern::Pattern::wildcard(&name.to_ascii_lowercase());
                    if !svc.lowercase_action_names().any(|x| pattern.matches(x)) {
                        out.push(warning(
                            "INVALID_ACTION",
                            format!("The pattern {a} matches no action of {}.", svc.name),
                            format!("{at}: action {a:?}"),
                        ))
                    }
                }
                _ => {}
            }
        }
        if s.effect == Effect::Allow && s.resource.as_ref().is_some_and(|r| r.negated) {
            out.push(warning(
                "ALLOW_WITH_NOT_RESOURCE",
                "Allow with NotResource grants every resource that is not listed, including ones created later.",
                at.clone(),
            ));
        }
        if kind == PolicyKind::Trust
            && s.effect == Effect::Allow
            && s.principal.as_ref().is_some_and(|p| is_everyone(&p.value))
            && s.conditions.is_empty()
        {
            out.push(warning(
                "TRUST_EVERYONE",
                "Anyone can assume this role: the trust policy allows every principal without a condition.",
                at.clone(),
            ));
        }
        for cond in &s.conditions {
            let op = cond.operator;
            let where_ = format!("{at}.Condition.{}.{}", cond.operator_text, cond.key);
            if op.base == BaseOperator::Bool && cond.values.len() > 1 {
                out.push(warning(
                    "INVALID_CONDITION_MULTIPLE_BOOLEAN",
                    "A Bool condition key can only be true or false; give one value.",
                    where_.clone(),
                ));
            }
            if op.base == BaseOperator::Null && op.if_exists {
                out.push(warning(
                    "NULL_WITH_IF_EXISTS",
                    "Null with IfExists always matches; remove IfExists.",
                    where_.clone(),
                ));
            }
            if matches!(
                op.base,
                BaseOperator::StringEquals
                    | BaseOperator::StringNotEquals
                    | BaseOperator::StringEqualsIgnoreCase
                    | BaseOperator::StringNotEqualsIgnoreCase
            ) && cond.values.iter().any(|v| v.contains(['*', '?']))
            {
                out.push(warning(
                    "WILDCARD_WITHOUT_LIKE_OPERATOR",
                    "Wildcards are literal characters in StringEquals operators; use StringLike to match patterns.",
                    where_.clone(),
                ));
            }
            let key_type = key_type(&cond.key);
            if op.qualifier == SetQualifier::ForAllValues
                && s.effect == Effect::Allow
                && key_type.is_some_and(|t| !t.is_multivalued())
            {
                out.push(warning(
                    "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
                    "ForAllValues with a single-valued key matches when the key is absent; use the operator without a set qualifier.",
                    where_.clone(),
                ));
            }
            if op.qualifier == SetQualifier::None
                && op.base != BaseOperator::Null
                && key_type.is_some_and(|t| t.is_multivalued())
            {
                out.push(warning(
                    "MISSING_QUALIFIER",
                    "This key is multivalued: use ForAllValues: or ForAnyValue: with it.",
                    where_,
                ));
            }
        }
    }
}

/// The type of a condition key, global or service-specific, if the reference knows it.
fn key_type(key: &str) -> Option<ConditionKeyType> {
    let c = catalog();
    if let Some(k) = c.global_condition_key(key) {
        return Some(k.kind);
    }
    let (service, _) = key.split_once(':')?;
    c.service(service)?.condition_key_type(key)
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
