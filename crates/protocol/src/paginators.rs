//! Pagination keys of the list operations (botocore `paginators-1.json`).
//!
//! IAM pages with `Marker` (in and out), `MaxItems` (the page size) and `IsTruncated`; STS has no
//! paginated operation. Reach a paginator through [`Operation::paginator`](super::Operation).

use serde_json::Value;

/// The pagination keys of one operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paginator {
    /// Input members that carry the token (`["Marker"]`).
    pub input_token: Vec<String>,
    /// Output members that carry the next token (`["Marker"]`).
    pub output_token: Vec<String>,
    /// The input member that limits the page size (`MaxItems`).
    pub limit_key: Option<String>,
    /// The output member that says more results exist (`IsTruncated`).
    pub more_results: Option<String>,
    /// The output members that hold the listed items (`["Roles"]`).
    pub result_keys: Vec<String>,
    /// Output members that are not lists of items (`["Group"]` for `GetGroup`).
    pub non_aggregate_keys: Vec<String>,
}

impl Paginator {
    /// The single input token member (every IAM paginator has exactly one).
    pub fn input_token(&self) -> Option<&str> {
        self.input_token.first().map(String::as_str)
    }

    /// The single output token member.
    pub fn output_token(&self) -> Option<&str> {
        self.output_token.first().map(String::as_str)
    }

    pub(crate) fn from_json(v: &Value) -> Result<Self, String> {
        fn strings(v: Option<&Value>) -> Vec<String> {
            match v {
                Some(Value::String(s)) => vec![s.clone()],
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            }
        }
        let p = Paginator {
            input_token: strings(v.get("input_token")),
            output_token: strings(v.get("output_token")),
            limit_key: v
                .get("limit_key")
                .and_then(Value::as_str)
                .map(str::to_owned),
            more_results: v
                .get("more_results")
                .and_then(Value::as_str)
                .map(str::to_owned),
            result_keys: strings(v.get("result_key")),
            non_aggregate_keys: strings(v.get("non_aggregate_keys")),
        };
        if p.input_token.is_empty() || p.output_token.is_empty() {
            return Err("no input_token or output_token".into());
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Model, ShapeKind};

    #[test]
    fn list_roles_pages_with_marker() {
        let p = Model::iam()
            .operation("ListRoles")
            .unwrap()
            .paginator
            .as_ref()
            .unwrap();
        assert_eq!(p.input_token(), Some("Marker"));
        assert_eq!(p.output_token(), Some("Marker"));
        assert_eq!(p.limit_key.as_deref(), Some("MaxItems"));
        assert_eq!(p.more_results.as_deref(), Some("IsTruncated"));
        assert_eq!(p.result_keys, ["Roles"]);
        let g = Model::iam().operation("GetGroup").unwrap();
        assert_eq!(g.paginator.as_ref().unwrap().non_aggregate_keys, ["Group"]);
        assert!(
            Model::iam()
                .operation("GetRole")
                .unwrap()
                .paginator
                .is_none()
        );
        assert!(Model::sts().operations().all(|o| o.paginator.is_none()));
    }

    /// Every key a paginator names exists in the operation's input or output, with the kind
    /// of shape pagination needs.
    #[test]
    fn paginator_keys_exist_in_the_model() {
        let iam = Model::iam();
        let mut count = 0;
        for op in iam.operations() {
            let Some(p) = &op.paginator else { continue };
            count += 1;
            let input = iam.structure(op.input.unwrap()).unwrap();
            let output = iam.structure(op.output.unwrap()).unwrap();
            let find = |s: &'static crate::model::Structure, n: &str| {
                s.members
                    .iter()
                    .find(|m| m.name == n)
                    .map(|m| &iam.shape(m.shape).kind)
                    .unwrap_or_else(|| panic!("{}: no member {n}", op.name))
            };
            for t in &p.input_token {
                assert!(
                    matches!(find(input, t), ShapeKind::String(_)),
                    "{}",
                    op.name
                );
            }
            for t in &p.output_token {
                assert!(
                    matches!(find(output, t), ShapeKind::String(_)),
                    "{}",
                    op.name
                );
            }
            if let Some(l) = &p.limit_key {
                assert!(
                    matches!(find(input, l), ShapeKind::Integer(_)),
                    "{}",
                    op.name
                );
            }
            if let Some(m) = &p.more_results {
                assert!(matches!(find(output, m), ShapeKind::Boolean), "{}", op.name);
            }
            for r in &p.result_keys {
                assert!(matches!(find(output, r), ShapeKind::List(_)), "{}", op.name);
            }
        }
        assert!(count >= 30, "{count} paginators");
    }
}
