//! Characters and size quotas of each kind of policy (IAM User Guide, "IAM and AWS STS
//! quotas"): IAM does not count whitespace; Organizations counts every character.

use super::{
    InlineOwner, LIMIT_EXCEEDED, PolicyKind, Stop, VALIDATION_ERROR, ValidationOptions, error,
};

/// The API parameter that carries a document of this kind, as AWS names it in
/// ValidationError messages.
fn parameter_name(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::Trust => "assumeRolePolicyDocument",
        PolicyKind::Session => "policy",
        PolicyKind::Scp | PolicyKind::Rcp => "content",
        PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Resource => "policyDocument",
    }
}

/// Characters, emptiness and size quotas.
pub(super) fn check_text(text: &str, o: &ValidationOptions) -> Result<(), Stop> {
    let kind = o.kind;
    let member = parameter_name(kind);
    if text.is_empty() {
        return Err(error(
            VALIDATION_ERROR,
            format!(
                "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length greater than or equal to 1"
            ),
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
            format!(
                "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
            ),
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
