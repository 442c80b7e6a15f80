//! Attestation policies of workload identity templates, and the `Filter` of
//! ListWorkloadIdentityTemplates that selects templates by the service principal their
//! policy admits.
//!
//! An attestation policy is a resource-based policy in the IAM policy language: the
//! project's policy grammar checks it as one (a `Principal` in every statement, and so on),
//! and a grammar error is MalformedPolicyDocument with the grammar's message. It must also
//! fit the template's stored `PathPattern`: every condition key of the
//! `aws:WorkloadAttestation/` namespace it tests must be one of the pattern's placeholders
//! (keys compare without regard to case, as condition keys do); a key that is not is
//! InvalidInput.
//!
//! A filter reads `service_principal = "SERVICE"` (whitespace around `=` optional, the value
//! in double quotes). A blank filter, another attribute, another operator, or a value that
//! is not a service principal (`NAME.amazonaws.com`, DNS labels) is InvalidInput. A policy
//! admits a service principal when one of its `Allow` statements names it (or everyone, `*`)
//! in `Principal`, and its `Action` covers `sts:IssueWorkloadIdentityContext`.
//!
//! The wording of the InvalidInput messages is Portcullis's.

use super::pattern::placeholders;
use crate::error::Error;
use crate::iam::rules::check_policy;
use portcullis_policy::{Effect, PolicyDocument, PolicyKind, PrincipalValue, wildcard_match};
use portcullis_protocol::iam::IamErrorCode;

/// The action an attestation policy allows a service to perform.
pub(super) const ATTEST_ACTION: &str = "sts:IssueWorkloadIdentityContext";

/// The condition key namespace of attested facts.
const ATTESTATION_NAMESPACE: &str = "aws:workloadattestation/";

/// Checks an attestation policy for a template whose pattern is `path_pattern`:
/// MalformedPolicyDocument for the grammar, InvalidInput when its conditions do not fit
/// the pattern.
pub(super) fn check(document: &str, path_pattern: &str) -> Result<(), Error> {
    check_policy(document, PolicyKind::Resource, None)?;
    let parsed = PolicyDocument::parse(document)
        .map_err(|e| Error::aws(IamErrorCode::MalformedPolicyDocument, e.to_string()))?;
    let keys = placeholders(path_pattern);
    for statement in &parsed.statements {
        for c in &statement.conditions {
            let attested = c
                .key
                .to_ascii_lowercase()
                .starts_with(ATTESTATION_NAMESPACE);
            if attested && !keys.iter().any(|k| k.eq_ignore_ascii_case(&c.key)) {
                return Err(Error::invalid_input(format!(
                    "The attestation policy does not fit the template's PathPattern: the condition key {} is not a placeholder of the pattern.",
                    c.key
                )));
            }
        }
    }
    Ok(())
}

/// Reads a ListWorkloadIdentityTemplates filter: the service principal it names.
pub(super) fn parse_filter(filter: &str) -> Result<String, Error> {
    let text = filter.trim();
    if text.is_empty() {
        return Err(Error::invalid_input("The filter must not be blank."));
    }
    let attribute_end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    let attribute = &text[..attribute_end];
    if attribute != "service_principal" {
        return Err(Error::invalid_input(format!(
            "The filter attribute {attribute:?} is not supported. The only supported attribute is service_principal."
        )));
    }
    let rest = text[attribute_end..].trim_start();
    let operator_end = rest
        .find(|c: char| c.is_whitespace() || c == '"')
        .unwrap_or(rest.len());
    let operator = &rest[..operator_end];
    if operator != "=" {
        return Err(Error::invalid_input(format!(
            "The filter type {operator:?} is not supported. The only supported filter type is =."
        )));
    }
    let value = rest[operator_end..].trim_start();
    let quoted = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .filter(|v| !v.contains('"'));
    let Some(service) = quoted else {
        return Err(Error::invalid_input(
            "The filter value must be a service principal in double quotes, for example service_principal = \"eks.amazonaws.com\".",
        ));
    };
    if !is_service_principal(service) {
        return Err(Error::invalid_input(format!(
            "The filter value {service:?} is not a service principal."
        )));
    }
    Ok(service.to_string())
}

/// Whether `text` is a service principal: DNS labels ending in `.amazonaws.com`.
fn is_service_principal(text: &str) -> bool {
    let Some(name) = text.strip_suffix(".amazonaws.com") else {
        return false;
    };
    !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// Whether an attestation policy admits `service`: an `Allow` statement naming it (or
/// everyone) whose actions cover [`ATTEST_ACTION`].
pub(super) fn admits(document: &str, service: &str) -> bool {
    let Ok(parsed) = PolicyDocument::parse(document) else {
        return false;
    };
    parsed.statements.iter().any(|s| {
        if s.effect != Effect::Allow {
            return false;
        }
        let names_service = match &s.principal {
            Some(p) if !p.negated => match &p.value {
                PrincipalValue::Everyone => true,
                PrincipalValue::Other(_) => false,
                PrincipalValue::Map(entries) => entries.iter().any(|(kind, values)| {
                    (kind == "Service" && values.iter().any(|v| v.eq_ignore_ascii_case(service)))
                        || (kind == "AWS" && values.iter().any(|v| v == "*"))
                }),
            },
            _ => false,
        };
        let action = ATTEST_ACTION.to_ascii_lowercase();
        let covers = match &s.action {
            Some(a) => {
                let matched = a
                    .values
                    .iter()
                    .any(|v| wildcard_match(&v.to_ascii_lowercase(), &action));
                matched != a.negated
            }
            None => false,
        };
        names_service && covers
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATTERN: &str = "{aws:WorkloadAttestation/aws/eks/ClusterName}/ns/{aws:WorkloadAttestation/aws/eks/Namespace}";

    fn policy(principal: &str, action: &str, condition: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":{action},"Resource":"*","Condition":{condition}}}]}}"#
        )
    }

    #[test]
    fn checks_the_grammar_and_the_fit() {
        let good = policy(
            r#"{"Service":"pods.eks.amazonaws.com"}"#,
            r#""sts:IssueWorkloadIdentityContext""#,
            r#"{"StringEquals":{"aws:WorkloadAttestation/aws/eks/ClusterName":"c1","aws:workloadattestation/aws/eks/namespace":"payments","aws:SourceAccount":"123456789012"}}"#,
        );
        check(&good, PATTERN).unwrap();
        let unfit = policy(
            r#"{"Service":"pods.eks.amazonaws.com"}"#,
            r#""sts:IssueWorkloadIdentityContext""#,
            r#"{"StringEquals":{"aws:WorkloadAttestation/aws/eks/PodName":"p"}}"#,
        );
        let e = check(&unfit, PATTERN).unwrap_err().into_aws();
        assert_eq!(e.code(), "InvalidInput");
        assert!(
            e.message()
                .contains("aws:WorkloadAttestation/aws/eks/PodName")
        );
        let e = check("{not json", PATTERN).unwrap_err().into_aws();
        assert_eq!(e.code(), "MalformedPolicyDocument");
        let no_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:IssueWorkloadIdentityContext","Resource":"*"}]}"#;
        let e = check(no_principal, PATTERN).unwrap_err().into_aws();
        assert_eq!(e.code(), "MalformedPolicyDocument");
        assert_eq!(e.message(), "Missing required field Principal");
    }

    #[test]
    fn reads_filters() {
        for ok in [
            r#"service_principal = "eks.amazonaws.com""#,
            r#"service_principal="eks.amazonaws.com""#,
            r#"  service_principal   =  "eks.amazonaws.com"  "#,
        ] {
            assert_eq!(parse_filter(ok).unwrap(), "eks.amazonaws.com", "{ok}");
        }
        for (bad, reason) in [
            ("   ", "blank"),
            (r#"name = "x""#, "attribute \"name\""),
            (
                r#"service_principal != "eks.amazonaws.com""#,
                "filter type \"!=\"",
            ),
            (
                r#"service_principal "eks.amazonaws.com""#,
                "filter type \"\"",
            ),
            ("service_principal = eks.amazonaws.com", "double quotes"),
            (
                r#"service_principal = "eks.amazonaws.com" x"#,
                "double quotes",
            ),
            (
                r#"service_principal = "not a service""#,
                "not a service principal",
            ),
            (
                r#"service_principal = "example.com""#,
                "not a service principal",
            ),
            (
                r#"service_principal = ".amazonaws.com""#,
                "not a service principal",
            ),
        ] {
            let e = parse_filter(bad).unwrap_err().into_aws();
            assert_eq!(e.code(), "InvalidInput");
            assert!(e.message().contains(reason), "{bad}: {}", e.message());
        }
    }

    #[test]
    fn tells_which_services_a_policy_admits() {
        let eks = policy(
            r#"{"Service":["eks.amazonaws.com","pods.eks.amazonaws.com"]}"#,
            r#""sts:IssueWorkloadIdentityContext""#,
            "{}",
        );
        assert!(admits(&eks, "eks.amazonaws.com"));
        assert!(admits(&eks, "pods.eks.amazonaws.com"));
        assert!(!admits(&eks, "bedrock-agentcore.amazonaws.com"));
        let wildcard_action = policy(
            r#"{"Service":"eks.amazonaws.com"}"#,
            r#""sts:Issue*""#,
            "{}",
        );
        assert!(admits(&wildcard_action, "eks.amazonaws.com"));
        let other_action = policy(
            r#"{"Service":"eks.amazonaws.com"}"#,
            r#""sts:AssumeRole""#,
            "{}",
        );
        assert!(!admits(&other_action, "eks.amazonaws.com"));
        let everyone = policy(r#""*""#, r#""sts:IssueWorkloadIdentityContext""#, "{}");
        assert!(admits(&everyone, "eks.amazonaws.com"));
        let deny = eks.replace("Allow", "Deny");
        assert!(!admits(&deny, "eks.amazonaws.com"));
        assert!(!admits("not a policy", "eks.amazonaws.com"));
    }
}
