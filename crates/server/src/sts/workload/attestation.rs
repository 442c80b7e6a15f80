//! The attestation document of IssueWorkloadIdentityContext, and the attestation policy of
//! a workload identity template that decides whether the caller may attest it.
//!
//! A document is one JSON object of at most 2,048 characters with at least one key, each
//! value a non-empty string of printable characters (STS API reference,
//! `AttestationDocument`). The failures are `InvalidAttestationDocument` with the reason
//! the model enumerates; the protocol layer has no member for `reason`, so the message
//! ends with it (`(reason: cannotParse)`). The message sentences are Portcullis's.
//!
//! Portcullis has no per-service attestation rules: any key made of path segments of
//! letters, digits, `.`, `_` and `-` (the characters a template placeholder may spell) is
//! accepted, so the reasons `providerNotFound` and `unexpectedAttestation` never occur.

use crate::error::Error;
use portcullis_protocol::sts::StsErrorCode;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// The longest document, in characters.
const MAX_DOCUMENT_CHARS: usize = 2048;

/// The prefix of the condition key of an attested value.
pub(super) const ATTESTATION_KEY_PREFIX: &str = "aws:WorkloadAttestation/aws/";

/// `InvalidAttestationDocument` with its reason.
pub(super) fn invalid(reason: &str, message: &str) -> Error {
    Error::aws(
        StsErrorCode::InvalidAttestationDocument,
        format!("{message} (reason: {reason})"),
    )
}

/// Every member of a JSON object in document order, duplicates included (a map would
/// keep only the last of two equal keys).
struct Members(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Members, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    members.push((key, value));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

/// True for a key STS accepts: `/`-separated segments of letters, digits, `.`, `_` and
/// `-`, none empty, none `.` or `..`, at most 128 characters.
fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 128
        && key.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
}

/// True for a value STS accepts: non-empty, without control characters.
fn valid_value(value: &str) -> bool {
    !value.is_empty() && !value.chars().any(char::is_control)
}

/// Parses and checks an attestation document: its `(key, value)` pairs in document order.
pub(super) fn parse_document(text: &str) -> Result<Vec<(String, String)>, Error> {
    if text.chars().count() > MAX_DOCUMENT_CHARS {
        return Err(invalid(
            "tooLarge",
            "The attestation document is longer than 2048 characters.",
        ));
    }
    let members: Members = serde_json::from_str(text).map_err(|_| {
        invalid(
            "cannotParse",
            "The attestation document must be a single JSON object.",
        )
    })?;
    if members.0.is_empty() {
        return Err(invalid(
            "invalidValue",
            "The attestation document must contain at least one key.",
        ));
    }
    let mut pairs: Vec<(String, String)> = Vec::with_capacity(members.0.len());
    for (key, value) in members.0 {
        if !valid_key(&key) {
            return Err(invalid(
                "invalidKey",
                &format!("The attestation document key {key:?} is not in a valid format."),
            ));
        }
        if pairs.iter().any(|(k, _)| k.eq_ignore_ascii_case(&key)) {
            return Err(invalid(
                "duplicateKey",
                &format!("The attestation document repeats the key {key:?}."),
            ));
        }
        let Some(value) = value.as_str().filter(|v| valid_value(v)) else {
            return Err(invalid(
                "invalidValue",
                &format!(
                    "The value of attestation document key {key:?} must be a non-empty string of printable characters."
                ),
            ));
        };
        pairs.push((key, value.to_string()));
    }
    Ok(pairs)
}

/// The condition key of an attested value (`aws:WorkloadAttestation/aws/<key>`).
pub(super) fn condition_key(key: &str) -> String {
    format!("{ATTESTATION_KEY_PREFIX}{key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(e: Error) -> String {
        match e {
            Error::Aws(a) => {
                assert_eq!(a.code(), "InvalidAttestationDocument");
                assert_eq!(a.status(), 400);
                let m = a.message();
                m[m.rfind("(reason: ").expect("a reason") + 9..m.len() - 1].to_string()
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn documents_parse_in_order() {
        let pairs = parse_document(r#"{"eks/ClusterName":"prod","Namespace":"payments"}"#)
            .expect("a valid document");
        assert_eq!(
            pairs,
            vec![
                ("eks/ClusterName".to_string(), "prod".to_string()),
                ("Namespace".to_string(), "payments".to_string())
            ]
        );
        assert_eq!(
            condition_key("eks/ClusterName"),
            "aws:WorkloadAttestation/aws/eks/ClusterName"
        );
    }

    #[test]
    fn bad_documents_name_their_reason() {
        let cases = [
            ("not json", "cannotParse"),
            ("[]", "cannotParse"),
            (r#""text""#, "cannotParse"),
            ("{}", "invalidValue"),
            (r#"{"a":""}"#, "invalidValue"),
            (r#"{"a":1}"#, "invalidValue"),
            (r#"{"a":"x\ny"}"#, "invalidValue"),
            (r#"{"a b":"x"}"#, "invalidKey"),
            (r#"{"a//b":"x"}"#, "invalidKey"),
            (r#"{"../b":"x"}"#, "invalidKey"),
            (r#"{"Ns":"x","ns":"y"}"#, "duplicateKey"),
            (r#"{"ns":"x","ns":"y"}"#, "duplicateKey"),
        ];
        for (doc, expected) in cases {
            assert_eq!(reason(parse_document(doc).unwrap_err()), expected, "{doc}");
        }
        let long = format!(r#"{{"a":"{}"}}"#, "x".repeat(2050));
        assert_eq!(reason(parse_document(&long).unwrap_err()), "tooLarge");
    }
}
