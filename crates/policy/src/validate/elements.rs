//! The elements each kind of policy requires or forbids, and the principals that trust
//! and resource policies may name.

use super::{
    ORGANIZATIONS_MALFORMED, ORGANIZATIONS_MALFORMED_MESSAGE, PARTITIONS, PolicyKind, Stop,
    TRUST_ACTIONS, ValidationOptions, error, malformed,
};
use crate::arn::split_arn;
use crate::document::{Effect, PrincipalValue, Statement};

/// Elements each kind of policy requires or forbids.
pub(super) fn check_kind_elements(
    statements: &[Statement],
    o: &ValidationOptions,
) -> Result<(), Stop> {
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
pub(super) fn check_organizations(
    statements: &[Statement],
    o: &ValidationOptions,
) -> Result<(), Stop> {
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

pub(super) fn is_everyone(v: &PrincipalValue) -> bool {
    match v {
        PrincipalValue::Everyone => true,
        PrincipalValue::Map(entries) => {
            entries.len() == 1 && entries[0].0 == "AWS" && entries[0].1 == ["*"]
        }
        PrincipalValue::Other(_) => false,
    }
}
