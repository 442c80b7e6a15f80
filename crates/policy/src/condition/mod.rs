//! The `Condition` element: operators, typed values, and how a condition is evaluated
//! against the request context.
//!
//! Semantics (IAM User Guide, "Condition operators" and "Single-valued vs. multivalued
//! context keys"):
//! - the values of one key are ORed; keys and operators are ANDed;
//! - negated operators (`StringNotEquals`, `NotIpAddress`, …) hold when the request value
//!   matches none of the policy values;
//! - a missing key makes positive operators false and negated operators true, unless the
//!   operator ends in `IfExists` (then true), or is `Null` (for which a key whose value is
//!   an empty string is missing too);
//! - `ForAllValues:` holds when every request value satisfies the operator (vacuously for
//!   a missing key or an empty set); `ForAnyValue:` when at least one does (never for a
//!   missing key or an empty set);
//! - an unqualified operator compared with several request values does not match.

mod operator;
mod value;

pub use operator::{BaseOperator, Operator, OperatorFamily, SetQualifier};
pub use portcullis_time::{format_timestamp, parse_date};
pub(crate) use value::{parse_bool, parse_number};

use crate::arn::{ArnPattern, MissingParts, split_arn};
use crate::context::{Context, ContextValue};
use crate::document::ConditionEntry;
use crate::pattern::{Pattern, Syntax};
use ipnet::IpNet;

/// A condition compiled for evaluation: the operator, the lower-cased key and the policy
/// values parsed once into the operator's type.
#[derive(Debug, Clone)]
pub(crate) struct CompiledCondition {
    operator: Operator,
    key: Box<str>,
    values: Values,
}

/// Policy values in the form the operator compares. A value that does not parse is kept
/// as `None` and never matches (validation reports it).
#[derive(Debug, Clone)]
enum Values {
    Strings(Box<[Pattern]>),
    Numbers(Box<[Option<f64>]>),
    Dates(Box<[Option<i128>]>),
    Ips(Box<[Option<IpNet>]>),
    Arns(Box<[ArnPattern]>),
    Binary(Box<[Option<Vec<u8>>]>),
    Null(Box<[Option<bool>]>),
}

impl CompiledCondition {
    pub(crate) fn compile(entry: &ConditionEntry, variables: bool) -> CompiledCondition {
        let op = entry.operator;
        let vars = variables && op.base.accepts_variables();
        let values = &entry.values;
        let values = match op.base.family() {
            OperatorFamily::String | OperatorFamily::Bool => {
                let like = matches!(
                    op.base,
                    BaseOperator::StringLike | BaseOperator::StringNotLike
                );
                let ignore_case = matches!(
                    op.base,
                    BaseOperator::StringEqualsIgnoreCase
                        | BaseOperator::StringNotEqualsIgnoreCase
                        | BaseOperator::Bool
                );
                let syntax = Syntax {
                    wildcards: like,
                    variables: vars,
                };
                Values::Strings(
                    values
                        .iter()
                        .map(|v| {
                            if ignore_case {
                                Pattern::new(&v.to_lowercase(), syntax)
                            } else {
                                Pattern::new(v, syntax)
                            }
                        })
                        .collect(),
                )
            }
            OperatorFamily::Numeric => {
                Values::Numbers(values.iter().map(|v| parse_number(v)).collect())
            }
            OperatorFamily::Date => Values::Dates(values.iter().map(|v| parse_date(v)).collect()),
            OperatorFamily::Ip => {
                Values::Ips(values.iter().map(|v| value::parse_ip_range(v)).collect())
            }
            OperatorFamily::Arn => Values::Arns(
                values
                    .iter()
                    .map(|v| ArnPattern::new(v, vars, MissingParts::Whole))
                    .collect(),
            ),
            OperatorFamily::Binary => {
                Values::Binary(values.iter().map(|v| value::parse_binary(v)).collect())
            }
            OperatorFamily::Null => Values::Null(values.iter().map(|v| parse_bool(v)).collect()),
        };
        CompiledCondition {
            operator: op,
            key: entry.key.to_ascii_lowercase().into_boxed_str(),
            values,
        }
    }

    /// Evaluates the condition against the request context.
    pub(crate) fn evaluate(&self, context: &Context) -> bool {
        let op = self.operator;
        let present = context.get_lower(&self.key).filter(|v| !v.is_empty_set());
        if let Values::Null(expected) = &self.values {
            return match op.qualifier {
                SetQualifier::ForAllValues => true,
                SetQualifier::ForAnyValue => false,
                SetQualifier::None => {
                    // A key whose value is an empty string is a null data set, as AWS
                    // counts it ("…resolves to a null data set, such as an empty string",
                    // IAM User Guide, single-valued vs. multivalued context keys): `Null`
                    // holds with `true` for it as for a missing key.
                    let is_null = present.is_none_or(|v| v.values().iter().all(|s| s.is_empty()));
                    expected.contains(&Some(is_null))
                }
            };
        }
        let Some(value) = present else {
            return op.if_exists
                || match op.qualifier {
                    SetQualifier::ForAllValues => true,
                    SetQualifier::ForAnyValue => false,
                    SetQualifier::None => op.base.is_negated(),
                };
        };
        let request_values = value.values();
        match op.qualifier {
            SetQualifier::ForAllValues => request_values.iter().all(|v| self.test(v, context)),
            SetQualifier::ForAnyValue => request_values.iter().any(|v| self.test(v, context)),
            SetQualifier::None => match value {
                ContextValue::Single(v) => self.test(v, context),
                ContextValue::Multi(vs) if vs.len() == 1 => self.test(&vs[0], context),
                ContextValue::Multi(_) => false,
            },
        }
    }

    /// One request value against the policy values: some must match (positive operators)
    /// or none may match (negated operators).
    fn test(&self, request: &str, context: &Context) -> bool {
        let any = self.any_matches(request, context);
        any != self.operator.base.is_negated()
    }

    fn any_matches(&self, request: &str, context: &Context) -> bool {
        use BaseOperator as B;
        let base = self.operator.base;
        match &self.values {
            Values::Strings(patterns) => match base {
                B::StringEqualsIgnoreCase | B::StringNotEqualsIgnoreCase | B::Bool => {
                    patterns.iter().any(|p| match p.as_literal() {
                        Some(lower) => eq_ignore_case(lower, request),
                        None => p
                            .resolve(context)
                            .is_some_and(|r| eq_ignore_case(&r.to_lowercase(), request)),
                    })
                }
                _ => patterns
                    .iter()
                    .any(|p| p.matches_with(request, context) == Some(true)),
            },
            Values::Numbers(numbers) => {
                let Some(r) = parse_number(request) else {
                    return false;
                };
                numbers
                    .iter()
                    .flatten()
                    .any(|p| compare(base, r.partial_cmp(p)))
            }
            Values::Dates(dates) => {
                let Some(r) = parse_date(request) else {
                    return false;
                };
                dates
                    .iter()
                    .flatten()
                    .any(|p| compare(base, Some(r.cmp(p))))
            }
            Values::Ips(nets) => {
                let Some(ip) = value::parse_ip(request) else {
                    return false;
                };
                nets.iter().flatten().any(|n| n.contains(&ip))
            }
            Values::Arns(patterns) => {
                let split = split_arn(request);
                patterns
                    .iter()
                    .any(|p| p.matches(request, split.as_ref(), context) == Some(true))
            }
            Values::Binary(bytes) => {
                let decoded = value::parse_binary(request);
                bytes.iter().flatten().any(|b| match &decoded {
                    Some(d) => d == b,
                    None => request.as_bytes() == b.as_slice(),
                })
            }
            Values::Null(_) => false,
        }
    }
}

/// Case-insensitive equality of a lower-cased policy value and a request value.
fn eq_ignore_case(lower_policy: &str, request: &str) -> bool {
    if lower_policy.is_ascii() && request.is_ascii() {
        return lower_policy.eq_ignore_ascii_case(request);
    }
    lower_policy
        .chars()
        .eq(request.chars().flat_map(char::to_lowercase))
}

/// Applies an ordering comparison operator (Numeric* / Date*) to `request cmp policy`.
fn compare(base: BaseOperator, ord: Option<std::cmp::Ordering>) -> bool {
    use BaseOperator as B;
    use std::cmp::Ordering::*;
    let Some(ord) = ord else { return false };
    match base {
        B::NumericEquals | B::DateEquals | B::NumericNotEquals | B::DateNotEquals => ord == Equal,
        B::NumericLessThan | B::DateLessThan => ord == Less,
        B::NumericLessThanEquals | B::DateLessThanEquals => ord != Greater,
        B::NumericGreaterThan | B::DateGreaterThan => ord == Greater,
        B::NumericGreaterThanEquals | B::DateGreaterThanEquals => ord != Less,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(op: &str, key: &str, values: &[&str]) -> CompiledCondition {
        CompiledCondition::compile(
            &ConditionEntry {
                operator_text: op.into(),
                operator: Operator::parse(op).unwrap(),
                key: key.into(),
                values: values.iter().map(|v| v.to_string()).collect(),
            },
            true,
        )
    }

    fn ctx(pairs: &[(&str, &str)]) -> Context {
        let mut c = Context::new();
        for (k, v) in pairs {
            c.insert(k, v);
        }
        c
    }

    #[test]
    fn strings() {
        let c = ctx(&[("aws:username", "Alice"), ("s3:prefix", "home/Alice/x")]);
        assert!(cond("StringEquals", "aws:username", &["Bob", "Alice"]).evaluate(&c));
        assert!(!cond("StringEquals", "aws:username", &["alice"]).evaluate(&c));
        assert!(cond("StringEqualsIgnoreCase", "AWS:UserName", &["ALICE"]).evaluate(&c));
        assert!(cond("StringNotEquals", "aws:username", &["Bob"]).evaluate(&c));
        assert!(!cond("StringNotEquals", "aws:username", &["Bob", "Alice"]).evaluate(&c));
        assert!(cond("StringLike", "s3:prefix", &["home/${aws:username}/*"]).evaluate(&c));
        assert!(!cond("StringEquals", "s3:prefix", &["home/*"]).evaluate(&c));
        assert!(cond("StringNotLike", "s3:prefix", &["tmp/*"]).evaluate(&c));
    }

    #[test]
    fn missing_keys() {
        let c = Context::new();
        assert!(!cond("StringEquals", "aws:sourcevpc", &["v"]).evaluate(&c));
        assert!(cond("StringNotEquals", "aws:sourcevpc", &["v"]).evaluate(&c));
        assert!(cond("StringEqualsIfExists", "aws:sourcevpc", &["v"]).evaluate(&c));
        assert!(cond("StringNotEqualsIfExists", "aws:sourcevpc", &["v"]).evaluate(&c));
        assert!(cond("Null", "aws:sourcevpc", &["true"]).evaluate(&c));
        assert!(!cond("Null", "aws:sourcevpc", &["false"]).evaluate(&c));
        assert!(cond("ForAllValues:StringEquals", "aws:tagkeys", &["a"]).evaluate(&c));
        assert!(!cond("ForAnyValue:StringEquals", "aws:tagkeys", &["a"]).evaluate(&c));
    }

    #[test]
    fn sets() {
        let mut c = Context::new();
        c.insert_multi("aws:TagKeys", ["a", "b"]);
        assert!(cond("ForAllValues:StringEquals", "aws:tagkeys", &["a", "b", "c"]).evaluate(&c));
        assert!(!cond("ForAllValues:StringEquals", "aws:tagkeys", &["a"]).evaluate(&c));
        assert!(cond("ForAnyValue:StringEquals", "aws:tagkeys", &["b"]).evaluate(&c));
        assert!(!cond("ForAnyValue:StringEquals", "aws:tagkeys", &["c"]).evaluate(&c));
        assert!(cond("ForAllValues:StringNotEquals", "aws:tagkeys", &["c"]).evaluate(&c));
        assert!(cond("ForAnyValue:StringNotEquals", "aws:tagkeys", &["a"]).evaluate(&c));
        assert!(!cond("StringEquals", "aws:tagkeys", &["a", "b"]).evaluate(&c));
        c.insert_multi("aws:TagKeys", Vec::<&str>::new());
        assert!(cond("ForAllValues:StringEquals", "aws:tagkeys", &["x"]).evaluate(&c));
        assert!(!cond("ForAnyValue:StringEquals", "aws:tagkeys", &["x"]).evaluate(&c));
        assert!(cond("Null", "aws:tagkeys", &["true"]).evaluate(&c));
    }

    #[test]
    fn typed_operators() {
        let c = ctx(&[
            ("s3:max-keys", "10"),
            ("aws:CurrentTime", "2024-06-01T12:00:00Z"),
            ("aws:SourceIp", "203.0.113.9"),
            ("aws:SecureTransport", "true"),
            ("aws:SourceArn", "arn:aws:s3:::bucket"),
            ("k:bin", "QmluYXJ5"),
        ]);
        assert!(cond("NumericLessThanEquals", "s3:max-keys", &["10"]).evaluate(&c));
        assert!(!cond("NumericLessThan", "s3:max-keys", &["10"]).evaluate(&c));
        assert!(cond("NumericNotEquals", "s3:max-keys", &["11"]).evaluate(&c));
        assert!(cond("DateGreaterThan", "aws:CurrentTime", &["2024-01-01"]).evaluate(&c));
        assert!(cond("DateLessThan", "aws:CurrentTime", &["1900000000"]).evaluate(&c));
        assert!(cond("IpAddress", "aws:SourceIp", &["203.0.113.0/24"]).evaluate(&c));
        assert!(cond("NotIpAddress", "aws:SourceIp", &["10.0.0.0/8"]).evaluate(&c));
        assert!(cond("Bool", "aws:SecureTransport", &["true"]).evaluate(&c));
        assert!(!cond("Bool", "aws:SecureTransport", &["false"]).evaluate(&c));
        assert!(cond("ArnLike", "aws:SourceArn", &["arn:aws:s3:::*"]).evaluate(&c));
        assert!(cond("ArnEquals", "aws:SourceArn", &["arn:aws:s3:::b*"]).evaluate(&c));
        assert!(cond("ArnNotLike", "aws:SourceArn", &["arn:aws:sqs:*"]).evaluate(&c));
        assert!(cond("BinaryEquals", "k:bin", &["QmluYXJ5"]).evaluate(&c));
    }
}
