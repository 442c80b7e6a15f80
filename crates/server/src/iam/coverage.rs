//! Coverage of the IAM API: every operation of the botocore model
//! (`crates/server/data/iam-service-2.json`, see `data/SOURCES.json`) must be routed by
//! [`super::call`] and listed in [`super::OPERATIONS`], except those in [`NOT_YET_ROUTED`].
//! The test fails when an operation outside that list is not routed, and when a listed one
//! is routed (so the list can only shrink).

use super::{Ctx, OPERATIONS, call, input::Input};
use crate::app::App;
use crate::caller::Caller;
use crate::config::Config;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The IAM operations this server does not answer yet (it answers NotImplemented).
const NOT_YET_ROUTED: &[&str] = &[];

fn model_operations() -> BTreeSet<String> {
    let text = include_str!("../../data/iam-service-2.json");
    let model: Value = serde_json::from_str(text).expect("the IAM model is JSON");
    model["operations"]
        .as_object()
        .expect("the model has operations")
        .keys()
        .cloned()
        .collect()
}

#[tokio::test]
async fn every_iam_operation_is_routed() {
    let config = Config::in_memory(false);
    let (app, _) = App::open(config).await.unwrap();
    let caller = Caller::test_root();
    let empty = json!({});
    let listed: BTreeSet<&str> = OPERATIONS.iter().copied().collect();
    let model = model_operations();
    assert_eq!(model.len(), 180, "the model has 180 IAM operations");
    let mut unrouted = Vec::new();
    let mut newly_routed = Vec::new();
    for op in &model {
        let ctx = Ctx {
            app: &app,
            caller: &caller,
            input: Input(&empty),
        };
        let routed = call(op, &ctx).await.is_some();
        assert_eq!(
            routed,
            listed.contains(op.as_str()),
            "{op}: OPERATIONS and the router disagree"
        );
        let expected_missing = NOT_YET_ROUTED.contains(&op.as_str());
        if !routed && !expected_missing {
            unrouted.push(op.clone());
        }
        if routed && expected_missing {
            newly_routed.push(op.clone());
        }
    }
    assert!(unrouted.is_empty(), "not routed: {unrouted:?}");
    assert!(
        newly_routed.is_empty(),
        "routed now, remove from NOT_YET_ROUTED: {newly_routed:?}"
    );
    for op in OPERATIONS {
        assert!(model.contains(*op), "{op} is not an IAM operation");
    }
    assert_eq!(OPERATIONS.len() + NOT_YET_ROUTED.len(), model.len());
}
