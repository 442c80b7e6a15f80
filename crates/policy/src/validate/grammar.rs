//! The grammar checks every IAM policy goes through: version, "legacy parsing" of effects,
//! dates, numbers and ARNs, Sids, actions and resources.

use super::{
    LEGACY, ORGANIZATIONS_MALFORMED, ORGANIZATIONS_MALFORMED_MESSAGE, PARTITIONS, PolicyKind, Stop,
    ValidationOptions, error, malformed, organizations_error,
};
use crate::arn::split_arn;
use crate::condition::{OperatorFamily, parse_date, parse_number};
use crate::document::{Statement, VERSION_2008, VERSION_2012};
use crate::json::Json;
use portcullis_catalog::catalog;
use std::sync::OnceLock;

/// Managed policies (and so boundaries) must be `2012-10-17`; any other value than the
/// two versions is a syntax error for every kind.
pub(super) fn check_version(json: &Json, o: &ValidationOptions) -> Result<(), Stop> {
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

/// What IAM reports as "The policy failed legacy parsing": effects not spelled exactly
/// `Allow`/`Deny`, date and number values it cannot read, ARNs without a service.
pub(super) fn check_legacy(statements: &[Statement], kind: PolicyKind) -> Result<(), Stop> {
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
    }
    // Resources are parsed the legacy way only until one of them has a format error (a
    // bad partition, say): from there IAM reports that error instead, which
    // `check_resources` finds.
    for (i, s) in statements.iter().enumerate() {
        let values = s.resource.iter().flat_map(|r| &r.values);
        if values.clone().any(|r| resource_error(r, "").is_some()) {
            break;
        }
        for v in values {
            let parts: Vec<&str> = v.splitn(6, ':').collect();
            let bad = parts.len() >= 3
                && (parts[2].is_empty()
                    || (parts[2] == "s3" && parts.len() > 3 && parts.len() < 6));
            if bad {
                return Err(malformed(
                    LEGACY,
                    format!(
                        "Statement[{i}]: resource {v:?} has no service or is not a complete ARN"
                    ),
                ));
            }
        }
    }
    Ok(())
}

pub(super) fn check_sids(statements: &[Statement], kind: PolicyKind) -> Result<(), Stop> {
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

pub(super) fn check_actions_present(
    statements: &[Statement],
    kind: PolicyKind,
) -> Result<(), Stop> {
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

pub(super) fn check_action_vendors(statements: &[Statement], kind: PolicyKind) -> Result<(), Stop> {
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

pub(super) fn check_action_format(statements: &[Statement], kind: PolicyKind) -> Result<(), Stop> {
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
fn iam_resource_prefixes() -> &'static [String] {
    static PREFIXES: OnceLock<Vec<String>> = OnceLock::new();
    PREFIXES.get_or_init(|| {
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
    })
}

pub(super) fn check_resources(statements: &[Statement], kind: PolicyKind) -> Result<(), Stop> {
    if kind.is_organizations() {
        return Ok(());
    }
    for (i, s) in statements.iter().enumerate() {
        for r in s.resource.iter().flat_map(|r| &r.values) {
            if let Some(stop) = resource_error(r, &format!("Statement[{i}]")) {
                return Err(stop);
            }
        }
    }
    Ok(())
}

/// IAM's format error for one resource of a statement (`at` names the statement in the
/// detail), if it has one.
fn resource_error(r: &str, at: &str) -> Option<Stop> {
    if r == "*" {
        return None;
    }
    let mut parts: Vec<&str> = r.splitn(6, ':').collect();
    if parts.len() < 2 {
        return Some(malformed(
            format!("Resource {r} must be in ARN format or \"*\"."),
            format!("{at}: {r:?} is not an ARN"),
        ));
    }
    parts[0] = "arn";
    let partition = parts[1];
    if partition != "*" && !PARTITIONS.contains(&partition) {
        // IAM shows the resource with its missing parts as `*` (a lone empty service too).
        let mut padded = parts.clone();
        if padded.len() == 3 && padded[2].is_empty() {
            padded.pop();
        }
        padded.resize(6, "*");
        return Some(malformed(
            format!(
                "Partition \"{partition}\" is not valid for resource \"{}\".",
                padded.join(":")
            ),
            format!("{at}: {r:?} has an unknown partition"),
        ));
    }
    if parts.len() == 2 {
        return Some(malformed(
            "Resource vendor must be fully qualified and cannot contain regexes.",
            format!("{at}: {r:?} names no service"),
        ));
    }
    if parts.len() < 6 {
        return None;
    }
    let (service, region, account, resource) = (parts[2], parts[3], parts[4], parts[5]);
    if service == "iam" {
        if !region.is_empty() {
            return Some(malformed(
                format!("IAM resource {r} cannot contain region information."),
                format!("{at}: IAM ARNs have no region"),
            ));
        }
        let head = resource.split('/').next().unwrap_or("");
        let ok = resource == "*"
            || head.contains(['*', '?', '$'])
            || iam_resource_prefixes()
                .iter()
                .any(|p| resource.starts_with(p.as_str()));
        if !ok {
            return Some(malformed(
                IAM_RESOURCE_PATH,
                format!("{at}: {r:?} is not an IAM resource"),
            ));
        }
    }
    if service == "s3" && !region.is_empty() && account.is_empty() {
        return Some(malformed(
            format!("Resource {r} can not contain region information."),
            format!("{at}: an S3 bucket ARN has no region"),
        ));
    }
    None
}

/// IAM's message for an IAM ARN whose resource is not one of IAM's kinds.
const IAM_RESOURCE_PATH: &str = "IAM resource path must either be \"*\", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.";

pub(super) fn check_resources_present(
    statements: &[Statement],
    kind: PolicyKind,
) -> Result<(), Stop> {
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
