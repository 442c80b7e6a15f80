//! The grammar of a template's `PathPrefix` and `PathPattern`, and the rendering of a
//! workload identifier from a pattern and attested values.
//!
//! Both are slash-delimited segments with no leading slash, no trailing slash and no empty
//! segment; no segment can be exactly `.` or `..` (a rendered identifier must not carry a
//! relative path modifier). A prefix segment is a literal of `A-Za-z0-9._-`. A pattern
//! segment is either such a literal or exactly one whole placeholder, `{KEY}`, never a mix,
//! and a pattern has at least one placeholder. A placeholder's key may contain slashes of
//! its own, so a pattern is scanned rather than split on `/`.
//!
//! The checks the model's regular expression cannot express: every placeholder must be an
//! attestation context key, spelled as the condition key is spelled —
//! `aws:WorkloadAttestation/aws/SOURCE/NAME`, for example
//! `aws:WorkloadAttestation/aws/eks/ClusterName`. A key of another namespace (`aws:userid`,
//! `aws:PrincipalArn`, `aws:SourceAccount`, …) resolves to the caller or the request rather
//! than to something the workload proved, and is refused; so is a key that is not of that
//! form. Portcullis does not hold AWS's per-service list of attestable facts: any `SOURCE`
//! and `NAME` made of `A-Za-z0-9._-` are accepted, and what a calling service can attest is
//! decided when it attests (STS IssueWorkloadIdentityContext).
//!
//! The wording of the reasons is Portcullis's.

use portcullis_store::{WorkloadIdentityProvider, WorkloadIdentityTemplate};
use std::collections::BTreeMap;
use std::fmt;

/// The namespace of the attestation context keys a placeholder names.
pub(crate) const ATTESTATION_KEY_PREFIX: &str = "aws:WorkloadAttestation/aws/";

/// One segment of a parsed pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Segment<'a> {
    /// A literal, rendered as written.
    Literal(&'a str),
    /// A placeholder: the attestation context key between the braces.
    Placeholder(&'a str),
}

fn literal_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

fn placeholder_char(c: char) -> bool {
    literal_char(c) || matches!(c, ':' | '/')
}

/// Checks one literal segment: `A-Za-z0-9._-`, not empty, not `.` or `..`.
fn check_literal(segment: &str, number: usize) -> Result<(), String> {
    if segment.is_empty() {
        return Err(format!("segment {number} is empty"));
    }
    if segment == "." || segment == ".." {
        return Err(format!(
            "segment {number} is the relative path modifier {segment}"
        ));
    }
    if let Some(c) = segment.chars().find(|c| !literal_char(*c)) {
        return Err(format!(
            "segment {number} contains the character {c:?}; a literal segment may contain only A-Z, a-z, 0-9, '.', '_' and '-'"
        ));
    }
    Ok(())
}

/// Checks a `PathPrefix`: literal segments only.
pub(crate) fn check_prefix(prefix: &str) -> Result<(), String> {
    if prefix.starts_with('/') {
        return Err("it begins with a slash".into());
    }
    if prefix.ends_with('/') {
        return Err("it ends with a slash".into());
    }
    for (i, segment) in prefix.split('/').enumerate() {
        check_literal(segment, i + 1)?;
    }
    Ok(())
}

/// Parses a `PathPattern` into its segments, with the reason when it is not valid.
pub(crate) fn parse(pattern: &str) -> Result<Vec<Segment<'_>>, String> {
    if pattern.starts_with('/') {
        return Err("it begins with a slash".into());
    }
    if pattern.ends_with('/') {
        return Err("it ends with a slash".into());
    }
    let mut segments = Vec::new();
    let mut rest = pattern;
    loop {
        let number = segments.len() + 1;
        let (segment, after) = if let Some(inner) = rest.strip_prefix('{') {
            let close = inner.find('}').ok_or_else(|| {
                format!("the placeholder of segment {number} has no closing brace")
            })?;
            let key = &inner[..close];
            if key.is_empty() {
                return Err(format!("the placeholder of segment {number} is empty"));
            }
            if let Some(c) = key.chars().find(|c| !placeholder_char(*c)) {
                return Err(format!(
                    "the placeholder of segment {number} contains the character {c:?}"
                ));
            }
            let after = &inner[close + 1..];
            if !after.is_empty() && !after.starts_with('/') {
                return Err(format!(
                    "segment {number} mixes a placeholder with literal text; a placeholder must be a whole segment"
                ));
            }
            (Segment::Placeholder(key), after)
        } else {
            let end = rest.find('/').unwrap_or(rest.len());
            let literal = &rest[..end];
            if literal.contains(['{', '}']) {
                return Err(format!(
                    "segment {number} mixes a placeholder with literal text; a placeholder must be a whole segment"
                ));
            }
            check_literal(literal, number)?;
            (Segment::Literal(literal), &rest[end..])
        };
        segments.push(segment);
        match after.strip_prefix('/') {
            None => break,
            Some(next) => rest = next,
        }
    }
    if !segments
        .iter()
        .any(|s| matches!(s, Segment::Placeholder(_)))
    {
        return Err("it has no placeholder; at least one is required".into());
    }
    for s in &segments {
        if let Segment::Placeholder(key) = s {
            check_key(key)?;
        }
    }
    Ok(segments)
}

/// Checks that a placeholder names an attestation context key.
fn check_key(key: &str) -> Result<(), String> {
    let Some(name) = key.strip_prefix(ATTESTATION_KEY_PREFIX) else {
        let lower = key.to_ascii_lowercase();
        if lower.starts_with("aws:workloadattestation/") {
            return Err(format!(
                "the placeholder {{{key}}} is not spelled as an attestation context key ({ATTESTATION_KEY_PREFIX}SOURCE/NAME)"
            ));
        }
        if lower.starts_with("aws:") {
            return Err(format!(
                "the placeholder {{{key}}} resolves to the caller or the request rather than to a fact the workload proved; use an attestation context key ({ATTESTATION_KEY_PREFIX}SOURCE/NAME)"
            ));
        }
        return Err(format!(
            "the placeholder {{{key}}} is not a known attestation context key ({ATTESTATION_KEY_PREFIX}SOURCE/NAME)"
        ));
    };
    let parts: Vec<&str> = name.split('/').collect();
    let well_formed = parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(literal_char));
    if !well_formed {
        return Err(format!(
            "the placeholder {{{key}}} is not a known attestation context key ({ATTESTATION_KEY_PREFIX}SOURCE/NAME)"
        ));
    }
    Ok(())
}

/// The attestation context keys a pattern's placeholders name, in order of first use,
/// each once. Empty for a pattern that does not parse.
pub(crate) fn placeholders(pattern: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in parse(pattern).unwrap_or_default() {
        if let Segment::Placeholder(key) = s
            && !out.iter().any(|k| k == key)
        {
            out.push(key.to_string());
        }
    }
    out
}

/// Why a workload identifier could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RenderError {
    /// The pattern uses this attestation context key and no value was attested for it
    /// (STS's `unresolvedTemplateVariable`).
    Unresolved(String),
    /// The value attested for this key cannot be a path segment: it is empty, `.` or `..`,
    /// or has a character other than `A-Za-z0-9._-` (STS's `invalidValue`).
    InvalidValue(String),
    /// The provider uses the SPIFFE scheme but has no domain to root identifiers at.
    NoDomain,
    /// The stored pattern does not parse (it was checked when written, so this is a bug).
    BadPattern(String),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Unresolved(key) => {
                write!(
                    f,
                    "The workload identity template uses {key}, which was not attested."
                )
            }
            RenderError::InvalidValue(key) => write!(
                f,
                "The value attested for {key} cannot be a segment of a workload identifier."
            ),
            RenderError::NoDomain => {
                write!(f, "The SPIFFE workload identity provider has no domain.")
            }
            RenderError::BadPattern(reason) => {
                write!(f, "The stored path pattern is not valid: {reason}.")
            }
        }
    }
}

impl std::error::Error for RenderError {}

/// The value attested for `key`: keys compare without regard to case, as condition keys do.
fn attested_value<'a>(attested: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    attested
        .get(key)
        .or_else(|| {
            attested
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
        .map(String::as_str)
}

/// Renders the path of a workload identifier: the prefix (when the template has one) and
/// the pattern, each placeholder replaced by the value attested for its key. `attested` is
/// keyed by attestation context key (`aws:WorkloadAttestation/aws/eks/ClusterName`), as the
/// attestation policy sees the attested values.
pub(crate) fn render_path(
    template: &WorkloadIdentityTemplate,
    attested: &BTreeMap<String, String>,
) -> Result<String, RenderError> {
    let segments = parse(&template.path_pattern).map_err(RenderError::BadPattern)?;
    let mut path = String::new();
    if let Some(prefix) = &template.path_prefix {
        path.push_str(prefix);
        path.push('/');
    }
    for (i, s) in segments.iter().enumerate() {
        if i > 0 {
            path.push('/');
        }
        match s {
            Segment::Literal(text) => path.push_str(text),
            Segment::Placeholder(key) => {
                let value = attested_value(attested, key)
                    .ok_or_else(|| RenderError::Unresolved(key.to_string()))?;
                if check_literal(value, i + 1).is_err() {
                    return Err(RenderError::InvalidValue(key.to_string()));
                }
                path.push_str(value);
            }
        }
    }
    Ok(path)
}

/// Renders the workload identifier (the session's Subject) of a workload attested through
/// `template` under `provider`: `spiffe://DOMAIN/PATH` for a provider of the SPIFFE scheme,
/// the path alone for scheme `NONE` (see [`render_path`]).
pub(crate) fn render_subject(
    provider: &WorkloadIdentityProvider,
    template: &WorkloadIdentityTemplate,
    attested: &BTreeMap<String, String>,
) -> Result<String, RenderError> {
    let path = render_path(template, attested)?;
    if provider.scheme.eq_ignore_ascii_case("SPIFFE") {
        let domain = provider
            .domain
            .as_deref()
            .filter(|d| !d.is_empty())
            .ok_or(RenderError::NoDomain)?;
        Ok(format!("spiffe://{domain}/{path}"))
    } else {
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUSTER: &str = "aws:WorkloadAttestation/aws/eks/ClusterName";
    const NAMESPACE: &str = "aws:WorkloadAttestation/aws/eks/Namespace";

    #[test]
    fn parses_the_documented_example() {
        let p = format!("{{{CLUSTER}}}/prod/{{{NAMESPACE}}}");
        assert_eq!(
            parse(&p).unwrap(),
            [
                Segment::Placeholder(CLUSTER),
                Segment::Literal("prod"),
                Segment::Placeholder(NAMESPACE)
            ]
        );
        assert_eq!(placeholders(&p), [CLUSTER, NAMESPACE]);
        let twice = format!("{{{CLUSTER}}}/{{{CLUSTER}}}");
        assert_eq!(placeholders(&twice), [CLUSTER]);
    }

    #[test]
    fn refuses_what_the_grammar_forbids() {
        let cases = [
            ("prod/jobs", "no placeholder"),
            (&format!("/{{{CLUSTER}}}"), "begins with a slash"),
            (&format!("{{{CLUSTER}}}/"), "ends with a slash"),
            (&format!("a//{{{CLUSTER}}}"), "segment 2 is empty"),
            (&format!("../{{{CLUSTER}}}"), "relative path modifier .."),
            (&format!("./{{{CLUSTER}}}"), "relative path modifier ."),
            (&format!("x{{{CLUSTER}}}"), "mixes a placeholder"),
            (&format!("{{{CLUSTER}}}x"), "mixes a placeholder"),
            ("{}/a", "is empty"),
            (&format!("{{{CLUSTER}"), "no closing brace"),
            (&format!("{{{CLUSTER}}}/a b"), "character ' '"),
            ("{aws:PrincipalArn}", "resolves to the caller"),
            ("{aws:userid}/x", "resolves to the caller"),
            ("{team}", "not a known attestation context key"),
            ("{aws:WorkloadAttestation/aws/ClusterName}", "not a known"),
            (
                "{aws:workloadattestation/aws/eks/ClusterName}",
                "not spelled",
            ),
            ("{aws:WorkloadAttestation/aws/eks//Name}", "not a known"),
            ("{aws:WorkloadAttestation/aws/eks:x/Name}", "not a known"),
        ];
        for (pattern, reason) in cases {
            let err = parse(pattern).unwrap_err();
            assert!(err.contains(reason), "{pattern}: {err}");
        }
        // Dots are fine inside a longer literal.
        assert!(parse(&format!("v1.2/...x/{{{CLUSTER}}}")).is_ok());
        assert!(placeholders("not/a/pattern").is_empty());
    }

    #[test]
    fn checks_prefixes() {
        assert!(check_prefix("analytics/jobs").is_ok());
        assert!(check_prefix("a.b_c-d").is_ok());
        for (bad, reason) in [
            ("/analytics", "begins with a slash"),
            ("analytics/", "ends with a slash"),
            ("a//b", "segment 2 is empty"),
            ("a/../b", "relative path modifier"),
            (".", "relative path modifier"),
            ("a/{b}", "character '{'"),
        ] {
            let err = check_prefix(bad).unwrap_err();
            assert!(err.contains(reason), "{bad}: {err}");
        }
    }

    /// A provider record, read as the store reads it (fields the providers module may add
    /// later take their defaults).
    fn provider(scheme: &str, domain: Option<&str>) -> WorkloadIdentityProvider {
        let mut v = serde_json::json!({
            "arn": "arn:aws:iam::123456789012:workload-identity-provider/p",
            "name": "p",
            "id": "AWPAEXAMPLEEXAMPLEEX",
            "scope": "ACCOUNT",
            "scheme": scheme,
            "create_date": 0,
        });
        if let Some(d) = domain {
            v["domain"] = d.into();
        }
        serde_json::from_value(v).unwrap()
    }

    fn template(prefix: Option<&str>) -> WorkloadIdentityTemplate {
        WorkloadIdentityTemplate {
            arn: "arn:aws:iam::123456789012:workload-identity-template/t".into(),
            name: "t".into(),
            id: "AWTAEXAMPLEEXAMPLEEX".into(),
            scope: "ACCOUNT".into(),
            provider_arn: "arn:aws:iam::123456789012:workload-identity-provider/p".into(),
            description: None,
            path_prefix: prefix.map(str::to_string),
            path_pattern: format!("{{{CLUSTER}}}/ns/{{{NAMESPACE}}}"),
            attestation_policy: None,
            create_date: 0,
            tags: vec![],
        }
    }

    #[test]
    fn renders_subjects() {
        let mut values = BTreeMap::new();
        values.insert(CLUSTER.to_string(), "cluster-1".to_string());
        // Keys compare without regard to case.
        values.insert(NAMESPACE.to_ascii_lowercase(), "payments".to_string());
        let spiffe = provider("SPIFFE", Some("corp.example.com"));
        assert_eq!(
            render_subject(&spiffe, &template(Some("analytics/jobs")), &values).unwrap(),
            "spiffe://corp.example.com/analytics/jobs/cluster-1/ns/payments"
        );
        assert_eq!(
            render_subject(&spiffe, &template(None), &values).unwrap(),
            "spiffe://corp.example.com/cluster-1/ns/payments"
        );
        let none = provider("NONE", None);
        assert_eq!(
            render_subject(&none, &template(Some("jobs")), &values).unwrap(),
            "jobs/cluster-1/ns/payments"
        );
        assert_eq!(
            render_subject(&provider("SPIFFE", None), &template(None), &values),
            Err(RenderError::NoDomain)
        );
        values.remove(&NAMESPACE.to_ascii_lowercase());
        let missing = render_subject(&none, &template(None), &values).unwrap_err();
        assert_eq!(missing, RenderError::Unresolved(NAMESPACE.into()));
        assert_eq!(
            missing.to_string(),
            format!("The workload identity template uses {NAMESPACE}, which was not attested.")
        );
        for bad in ["", ".", "..", "a/b", "a b"] {
            values.insert(NAMESPACE.to_string(), bad.to_string());
            assert_eq!(
                render_subject(&none, &template(None), &values),
                Err(RenderError::InvalidValue(NAMESPACE.into())),
                "{bad:?}"
            );
        }
    }
}
