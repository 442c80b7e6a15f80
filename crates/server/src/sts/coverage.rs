//! Coverage of the STS API: every operation of the botocore model
//! (`crates/protocol/data/sts-service-2.json`, botocore 1.44.18, see its `SOURCES.json`)
//! must be routed by [`super::call`]. The test fails when one is not.

use super::call;
use crate::app::App;
use crate::call::Ctx;
use crate::call::Input;
use crate::caller::Caller;
use crate::config::Config;
use portcullis_protocol::Model;
use serde_json::json;

#[tokio::test]
async fn every_sts_operation_is_routed() {
    let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
    let caller = Caller::test_root();
    let empty = json!({});
    let operations: Vec<&str> = Model::sts()
        .operations()
        .map(|op| op.name.as_str())
        .collect();
    assert_eq!(operations.len(), 15, "the model has 15 STS operations");
    let mut unrouted = Vec::new();
    for op in operations {
        let ctx = Ctx {
            app: &app,
            caller: &caller,
            input: Input(&empty),
        };
        if call(op, &ctx).await.is_none() {
            unrouted.push(op);
        }
    }
    assert!(unrouted.is_empty(), "not routed: {unrouted:?}");
}
