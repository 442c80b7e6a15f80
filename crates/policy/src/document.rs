//! The policy document model, read from JSON in every shape IAM accepts: `Statement` as an
//! object or an array, every list element as a single string or an array, `Principal` as
//! `"*"` or a map of principal types, condition values as strings, numbers or booleans.
//!
//! Parsing checks structure only (what IAM reports as "Syntax errors in policy."); the
//! rules that depend on the kind of policy live in [`crate::validate`].

use crate::condition::Operator;
use crate::error::PolicyError;
use crate::json::Json;
use crate::span::Span;
use std::sync::Arc;

/// The newest policy language version; the only one with policy variables.
pub const VERSION_2012: &str = "2012-10-17";
/// The original policy language version.
pub const VERSION_2008: &str = "2008-10-17";

/// A parsed policy document, with the text it was read from.
#[derive(Debug, Clone)]
pub struct PolicyDocument {
    /// The document exactly as submitted; AWS returns documents as submitted.
    pub text: Arc<str>,
    /// The `Version` element, if present.
    pub version: Option<String>,
    /// The `Id` element, if present.
    pub id: Option<String>,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// Reads a policy document. Fails with IAM's "Syntax errors in policy." (and a detail
    /// that says what and where) when the text is not JSON or not shaped like a policy.
    pub fn parse(text: &str) -> Result<PolicyDocument, PolicyError> {
        let json = Json::parse(text)
            .map_err(|e| PolicyError::syntax(format!("the document is not valid JSON: {e}")))?;
        PolicyDocument::from_json(text, &json)
    }

    /// True when policy variables are interpreted: only under `2012-10-17`. Under
    /// `2008-10-17`, or with no `Version`, `${…}` is literal text.
    pub fn variables_enabled(&self) -> bool {
        self.version.as_deref() == Some(VERSION_2012)
    }

    pub(crate) fn from_json(text: &str, json: &Json) -> Result<PolicyDocument, PolicyError> {
        let Json::Object(entries) = json else {
            return Err(PolicyError::syntax("the document must be a JSON object"));
        };
        check_unique_keys(entries, "the policy")?;
        let mut version = None;
        let mut id = None;
        let mut statements = None;
        for (key, value) in entries {
            match key.as_str() {
                "Version" => version = Some(expect_string(value, "Version")?),
                "Id" => id = Some(expect_string(value, "Id")?),
                "Statement" => statements = Some(parse_statements(value)?),
                other => {
                    return Err(PolicyError::syntax(format!(
                        "unknown element {other:?} at the top of the policy"
                    )));
                }
            }
        }
        let mut statements =
            statements.ok_or_else(|| PolicyError::syntax("the policy has no Statement"))?;
        if let Some(spans) = crate::span::statement_spans(text)
            && spans.len() == statements.len()
        {
            for (statement, span) in statements.iter_mut().zip(spans) {
                statement.span = Some(span);
            }
        }
        Ok(PolicyDocument {
            text: Arc::from(text),
            version,
            id,
            statements,
        })
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Grants.
    Allow,
    /// Denies, overriding every Allow.
    Deny,
}

impl Effect {
    /// The effect as IAM writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// One statement.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The `Sid`, if present.
    pub sid: Option<String>,
    /// The effect.
    pub effect: Effect,
    /// The `Effect` text as written (IAM accepts only `Allow` and `Deny` exactly).
    pub effect_text: String,
    /// `Principal` or `NotPrincipal`.
    pub principal: Option<PrincipalElement>,
    /// `Action` or `NotAction`.
    pub action: Option<ListElement>,
    /// `Resource` or `NotResource`.
    pub resource: Option<ListElement>,
    /// Every operator/key pair of the `Condition` block, in document order.
    pub conditions: Vec<ConditionEntry>,
    /// Where the statement is in the text, as the IAM policy simulator reports it
    /// (see [`crate::Span`]); `None` only if the text could not be scanned.
    pub span: Option<Span>,
}

/// An `Action`/`NotAction` or `Resource`/`NotResource` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListElement {
    /// True for `NotAction` / `NotResource`.
    pub negated: bool,
    /// The values, a single string being a one-element list.
    pub values: Vec<String>,
}

/// A `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalElement {
    /// True for `NotPrincipal`.
    pub negated: bool,
    /// The value.
    pub value: PrincipalValue,
}

/// The value of a principal element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalValue {
    /// `"*"`: everyone, including anonymous callers.
    Everyone,
    /// A plain string other than `"*"` (not valid in IAM, kept for validation to report).
    Other(String),
    /// A map from principal type (`AWS`, `Service`, `Federated`, `CanonicalUser`, or
    /// anything else, which validation rejects) to its values.
    Map(Vec<(String, Vec<String>)>),
}

/// One `Operator: { Key: Values }` pair of a `Condition` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionEntry {
    /// The operator as written.
    pub operator_text: String,
    /// The parsed operator.
    pub operator: Operator,
    /// The condition key as written.
    pub key: String,
    /// The values as IAM compares them (numbers and booleans as written).
    pub values: Vec<String>,
}

fn check_unique_keys(entries: &[(String, Json)], place: &str) -> Result<(), PolicyError> {
    for (i, (key, _)) in entries.iter().enumerate() {
        if entries[..i].iter().any(|(k, _)| k == key) {
            return Err(PolicyError::syntax(format!(
                "{place} repeats the key {key:?}"
            )));
        }
    }
    Ok(())
}

fn expect_string(value: &Json, element: &str) -> Result<String, PolicyError> {
    match value {
        Json::String(s) => Ok(s.clone()),
        _ => Err(PolicyError::syntax(format!("{element} must be a string"))),
    }
}

fn parse_statements(value: &Json) -> Result<Vec<Statement>, PolicyError> {
    match value {
        Json::Object(_) => Ok(vec![parse_statement(value, 0)?]),
        Json::Array(items) if items.is_empty() => {
            Err(PolicyError::syntax("Statement is an empty array"))
        }
        Json::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, s)| parse_statement(s, i))
            .collect(),
        _ => Err(PolicyError::syntax(
            "Statement must be an object or an array of objects",
        )),
    }
}

fn parse_statement(value: &Json, index: usize) -> Result<Statement, PolicyError> {
    let at = format!("Statement[{index}]");
    let Json::Object(entries) = value else {
        return Err(PolicyError::syntax(format!("{at} is not an object")));
    };
    check_unique_keys(entries, &at)?;
    let mut sid = None;
    let mut effect_text = None;
    let mut principal: Option<PrincipalElement> = None;
    let mut action: Option<ListElement> = None;
    let mut resource: Option<ListElement> = None;
    let mut conditions = Vec::new();
    for (key, value) in entries {
        let both = |what: &str| PolicyError::syntax(format!("{at} has both {what}"));
        match key.as_str() {
            "Sid" => sid = Some(expect_string(value, &format!("{at}.Sid"))?),
            "Effect" => effect_text = Some(expect_string(value, &format!("{at}.Effect"))?),
            "Principal" | "NotPrincipal" => {
                if principal.is_some() {
                    return Err(both("Principal and NotPrincipal"));
                }
                principal = Some(PrincipalElement {
                    negated: key == "NotPrincipal",
                    value: parse_principal(value, &format!("{at}.{key}"))?,
                });
            }
            "Action" | "NotAction" => {
                if action.is_some() {
                    return Err(both("Action and NotAction"));
                }
                action = Some(ListElement {
                    negated: key == "NotAction",
                    values: string_list(value, &format!("{at}.{key}"))?,
                });
            }
            "Resource" | "NotResource" => {
                if resource.is_some() {
                    return Err(both("Resource and NotResource"));
                }
                resource = Some(ListElement {
                    negated: key == "NotResource",
                    values: string_list(value, &format!("{at}.{key}"))?,
                });
            }
            "Condition" => conditions = parse_conditions(value, &format!("{at}.Condition"))?,
            other => {
                return Err(PolicyError::syntax(format!(
                    "{at} has an unknown element {other:?}"
                )));
            }
        }
    }
    let effect_text =
        effect_text.ok_or_else(|| PolicyError::syntax(format!("{at} has no Effect")))?;
    let effect = if effect_text.eq_ignore_ascii_case("allow") {
        Effect::Allow
    } else if effect_text.eq_ignore_ascii_case("deny") {
        Effect::Deny
    } else {
        return Err(PolicyError::syntax(format!(
            "{at}.Effect is {effect_text:?}; it must be Allow or Deny"
        )));
    };
    Ok(Statement {
        sid,
        effect,
        effect_text,
        principal,
        action,
        resource,
        conditions,
        span: None,
    })
}

fn string_list(value: &Json, at: &str) -> Result<Vec<String>, PolicyError> {
    match value {
        Json::String(s) => Ok(vec![s.clone()]),
        Json::Array(items) => items
            .iter()
            .map(|item| match item {
                Json::String(s) => Ok(s.clone()),
                _ => Err(PolicyError::syntax(format!("{at} must hold only strings"))),
            })
            .collect(),
        _ => Err(PolicyError::syntax(format!(
            "{at} must be a string or an array of strings"
        ))),
    }
}

fn parse_principal(value: &Json, at: &str) -> Result<PrincipalValue, PolicyError> {
    match value {
        Json::String(s) if s == "*" => Ok(PrincipalValue::Everyone),
        Json::String(s) => Ok(PrincipalValue::Other(s.clone())),
        Json::Object(entries) => {
            check_unique_keys(entries, at)?;
            entries
                .iter()
                .map(|(k, v)| Ok((k.clone(), string_list(v, &format!("{at}.{k}"))?)))
                .collect::<Result<Vec<_>, PolicyError>>()
                .map(PrincipalValue::Map)
        }
        _ => Err(PolicyError::syntax(format!(
            "{at} must be \"*\" or an object"
        ))),
    }
}

fn parse_conditions(value: &Json, at: &str) -> Result<Vec<ConditionEntry>, PolicyError> {
    let Json::Object(operators) = value else {
        return Err(PolicyError::syntax(format!("{at} must be an object")));
    };
    check_unique_keys(operators, at)?;
    let mut out = Vec::new();
    for (operator_text, keys) in operators {
        let Json::Object(keys) = keys else {
            return Err(PolicyError::syntax(format!(
                "{at}.{operator_text} must be an object of condition keys"
            )));
        };
        check_unique_keys(keys, &format!("{at}.{operator_text}"))?;
        if keys.is_empty() {
            continue;
        }
        let operator = Operator::parse(operator_text).ok_or_else(|| {
            if operator_text.ends_with("NullIfExists") {
                PolicyError::syntax(format!(
                    "{at} uses {operator_text:?}: IfExists can end any condition operator name except Null"
                ))
            } else {
                PolicyError::syntax(format!(
                    "{at} uses {operator_text:?}, which is not a condition operator"
                ))
            }
        })?;
        for (key, values) in keys {
            let place = format!("{at}.{operator_text}.{key}");
            let values = match values {
                Json::Array(items) => items
                    .iter()
                    .map(|v| {
                        v.scalar_text().ok_or_else(|| {
                            PolicyError::syntax(format!("{place} must hold only scalar values"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                other => vec![other.scalar_text().ok_or_else(|| {
                    PolicyError::syntax(format!(
                        "{place} must be a string, number, boolean or an array of them"
                    ))
                })?],
            };
            out.push(ConditionEntry {
                operator_text: operator_text.clone(),
                operator,
                key: key.clone(),
                values,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SYNTAX_ERRORS;

    fn syntax_error(text: &str) -> String {
        match PolicyDocument::parse(text) {
            Err(PolicyError::Invalid {
                message, detail, ..
            }) => {
                assert_eq!(message, SYNTAX_ERRORS);
                detail
            }
            other => panic!("expected a syntax error for {text}, got {other:?}"),
        }
    }

    #[test]
    fn accepts_every_shape() {
        let doc = PolicyDocument::parse(
            r#"{"Version":"2012-10-17","Id":"x","Statement":{"Sid":"A","Effect":"Allow",
            "Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:root"],"Service":"lambda.amazonaws.com"},
            "Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*"],
            "Condition":{"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true},
            "ForAnyValue:StringLike":{"aws:TagKeys":["a*","b"]}}}}"#,
        )
        .unwrap();
        assert_eq!(doc.statements.len(), 1);
        let s = &doc.statements[0];
        assert_eq!(s.effect, Effect::Allow);
        assert_eq!(s.action.as_ref().unwrap().values, ["s3:GetObject"]);
        assert_eq!(s.conditions.len(), 3);
        assert_eq!(s.conditions[0].values, ["10"]);
        assert_eq!(s.conditions[1].values, ["true"]);
        assert_eq!(s.conditions[2].values, ["a*", "b"]);
        assert!(doc.variables_enabled());
        let Some(PrincipalElement {
            value: PrincipalValue::Map(m),
            negated: false,
        }) = &s.principal
        else {
            panic!("principal map")
        };
        assert_eq!(m[0].1.len(), 2);
    }

    #[test]
    fn keeps_the_text_as_submitted() {
        let text = "{ \"Statement\" : [ {\"Effect\":\"Deny\",\"NotAction\":\"iam:*\",\"NotResource\":\"*\"} ] }";
        let doc = PolicyDocument::parse(text).unwrap();
        assert_eq!(&*doc.text, text);
        assert!(!doc.variables_enabled());
        assert!(doc.statements[0].action.as_ref().unwrap().negated);
    }

    #[test]
    fn rejects_bad_structure() {
        for text in [
            "This is not a json document",
            r#"{"Version":"2012-10-17"}"#,
            r#"{"Version":"2012-10-17","Statement":[]}"#,
            r#"{"Version":"2012-10-17","Statement":["afd"]}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:x","Resource":"*"},"Extra":1}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"invalid","Action":"s3:x","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Action":"s3:x","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":[[]],"Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:x","NotAction":"s3:y","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:x","Resource":"*","Condition":[]}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:x","Resource":"*","Condition":{"x":{"a":"1"}}}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:x","Resource":"*","Condition":{"DateGreaterThan":"b"}}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:x","Resource":"*","Condition":{"DateGreaterThan":{"a":{}}}}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Effect":"Allow","Action":"s3:x","Resource":"*"}}"#,
            r#"{"Version":"2012-10-17","Id":{},"Statement":{"Effect":"Allow","Action":"s3:x","Resource":"*"}}"#,
        ] {
            syntax_error(text);
        }
    }

    #[test]
    fn records_where_each_statement_is() {
        let doc = PolicyDocument::parse(
            "{\"Version\": \"2012-10-17\",\n \"Statement\": [\n  {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n  {\"Effect\": \"Deny\", \"Action\": \"s3:Delete*\", \"Resource\": \"*\"}\n ]}",
        )
        .unwrap();
        let spans: Vec<_> = doc.statements.iter().map(|s| s.span.unwrap()).collect();
        let at = |line, column| crate::span::Position { line, column };
        assert_eq!((spans[0].start, spans[0].end), (at(2, 16), at(3, 57)));
        assert_eq!((spans[1].start, spans[1].end), (at(3, 57), at(4, 62)));
    }

    #[test]
    fn empty_operator_blocks_are_accepted() {
        let doc = PolicyDocument::parse(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:x","Resource":"*","Condition":{"a":{},"DateGreaterThan":{"k":[]}}}}"#,
        )
        .unwrap();
        assert_eq!(doc.statements[0].conditions.len(), 1);
        assert!(doc.statements[0].conditions[0].values.is_empty());
    }
}
