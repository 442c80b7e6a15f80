//! Findings that do not make a document invalid: unknown services and actions, and
//! patterns that probably do not do what was meant.

use super::elements::is_everyone;
use super::{Finding, PolicyKind, warning};
use crate::condition::{BaseOperator, SetQualifier};
use crate::document::{Effect, Statement, VERSION_2012};
use portcullis_catalog::{ConditionKeyType, catalog};

pub(super) fn collect_warnings(
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
