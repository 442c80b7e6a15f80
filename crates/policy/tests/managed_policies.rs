//! Every AWS managed policy parses, validates as an identity policy and compiles.
//! AWS managed policies are exempt from the customer size quota (ReadOnlyAccess alone is
//! far above 6,144 characters), so size checks are off here; every other rule applies.

use portcullis_catalog::managed_policies;
use portcullis_policy::{CompiledPolicy, PolicyKind, ValidationOptions, validate};

#[test]
fn all_aws_managed_policies_validate() {
    let options = ValidationOptions {
        check_size: false,
        ..ValidationOptions::new(PolicyKind::Identity)
    };
    let mut failures = Vec::new();
    let mut statements = 0;
    for p in managed_policies() {
        let result = validate(&p.document, &options);
        match result.error() {
            Some(e) => failures.push(format!(
                "{}: {}: {} ({})",
                p.arn, e.code, e.message, e.detail
            )),
            None => {
                let doc = result.document.expect("a valid document is parsed");
                statements += CompiledPolicy::compile(&doc).statement_count();
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} managed policies fail:\n{}",
        failures.len(),
        managed_policies().len(),
        failures.join("\n")
    );
    assert_eq!(managed_policies().len(), 1582);
    assert_eq!(statements, 8850);
}

#[test]
fn managed_policies_also_validate_as_boundaries() {
    let options = ValidationOptions {
        check_size: false,
        warnings: false,
        ..ValidationOptions::new(PolicyKind::Boundary)
    };
    let invalid: Vec<&str> = managed_policies()
        .iter()
        .filter(|p| !validate(&p.document, &options).is_valid())
        .map(|p| p.arn.as_str())
        .collect();
    assert!(invalid.is_empty(), "{invalid:?}");
}
