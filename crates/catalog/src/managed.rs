//! AWS managed policies (current default version of each).

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One AWS managed policy, such as `arn:aws:iam::aws:policy/ReadOnlyAccess`.
#[derive(Debug, Clone)]
pub struct ManagedPolicy {
    /// The policy name (`ReadOnlyAccess`).
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Its path (`/`, `/service-role/`, `/job-function/`, …).
    pub path: String,
    /// The id of its default version (`v12`).
    pub default_version_id: String,
    /// When AWS created it (ISO 8601).
    pub create_date: String,
    /// When AWS last updated it (ISO 8601).
    pub update_date: String,
    /// The policy document of the default version, as JSON text.
    pub document: String,
}

#[derive(Deserialize)]
struct RawManagedPolicy {
    arn: String,
    path: String,
    #[serde(rename = "defaultVersionId")]
    default_version_id: String,
    #[serde(rename = "createDate")]
    create_date: String,
    #[serde(rename = "updateDate")]
    update_date: String,
    document: serde_json::Value,
}

static MANAGED: OnceLock<Vec<ManagedPolicy>> = OnceLock::new();

/// The order in which AWS writes the elements of a policy and of its statements. The data
/// file has its keys sorted; policies read back from IAM start with `Version`.
const POLICY_ORDER: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_ORDER: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn reorder(value: serde_json::Value, order: &[&str]) -> serde_json::Value {
    match value {
        serde_json::Value::Object(mut map) => {
            let mut out = serde_json::Map::new();
            for key in order {
                if let Some(v) = map.remove(*key) {
                    out.insert((*key).to_string(), v);
                }
            }
            out.extend(map);
            serde_json::Value::Object(out)
        }
        other => other,
    }
}

/// A policy document with its elements in AWS's order.
fn in_aws_order(document: serde_json::Value) -> serde_json::Value {
    let mut doc = reorder(document, POLICY_ORDER);
    if let Some(statements) = doc.get_mut("Statement") {
        *statements = match statements.take() {
            serde_json::Value::Array(items) => serde_json::Value::Array(
                items
                    .into_iter()
                    .map(|s| reorder(s, STATEMENT_ORDER))
                    .collect(),
            ),
            single => reorder(single, STATEMENT_ORDER),
        };
    }
    doc
}

/// Every AWS managed policy, sorted by name.
pub fn managed_policies() -> &'static [ManagedPolicy] {
    MANAGED.get_or_init(|| {
        let raw: BTreeMap<String, RawManagedPolicy> =
            serde_json::from_str(include_str!("../data/aws-managed-policies.json"))
                .expect("embedded AWS managed policies");
        raw.into_iter()
            .map(|(name, p)| ManagedPolicy {
                name,
                arn: p.arn,
                path: p.path,
                default_version_id: p.default_version_id,
                create_date: p.create_date,
                update_date: p.update_date,
                document: in_aws_order(p.document).to_string(),
            })
            .collect()
    })
}

/// The AWS managed policy with this name or ARN.
pub fn managed_policy(name_or_arn: &str) -> Option<&'static ManagedPolicy> {
    managed_policies()
        .iter()
        .find(|p| p.name == name_or_arn || p.arn == name_or_arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_managed_policies_load() {
        assert_eq!(managed_policies().len(), 1582);
        let p = managed_policy("ReadOnlyAccess").unwrap();
        assert_eq!(p.arn, "arn:aws:iam::aws:policy/ReadOnlyAccess");
        assert!(
            p.document
                .starts_with("{\"Version\":\"2012-10-17\",\"Statement\":[{")
        );
        let effect = p.document.find("\"Effect\"").unwrap();
        let action = p.document.find("\"Action\"").unwrap();
        assert!(effect < action, "{}", p.document);
        assert!(
            managed_policy("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
                .is_some()
        );
    }
}
