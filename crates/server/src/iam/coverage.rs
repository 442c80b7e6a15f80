//! Coverage of the IAM API: every operation of the botocore model
//! (`crates/protocol/data/iam-service-2.json`, botocore 1.44.18, see its `SOURCES.json`)
//! must be routed by [`super::call`] and listed in [`super::OPERATIONS`]. The test fails
//! when one is not.

use super::{OPERATIONS, call};
use crate::app::App;
use crate::call::{Ctx, Input};
use crate::caller::Caller;
use crate::config::Config;
use portcullis_protocol::Model;
use serde_json::json;
use std::collections::BTreeSet;

fn model_operations() -> BTreeSet<String> {
    Model::iam()
        .operations()
        .map(|op| op.name.clone())
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
    assert_eq!(model.len(), 210, "the model has 210 IAM operations");
    let mut unrouted = Vec::new();
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
        if !routed {
            unrouted.push(op.clone());
        }
    }
    assert!(unrouted.is_empty(), "not routed: {unrouted:?}");
    for op in OPERATIONS {
        assert!(model.contains(*op), "{op} is not an IAM operation");
    }
    assert_eq!(OPERATIONS.len(), model.len());
}
