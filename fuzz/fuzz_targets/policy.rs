//! Any text through the whole pipeline: parse, validate for every kind, compile, and
//! authorize a fixed request against it as every kind of policy. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_policy::{
    CompiledPolicy, PolicyKind, Policies, Principal, Request, ValidationOptions, authorize,
    validate,
};
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kind in [
        PolicyKind::Identity,
        PolicyKind::Resource,
        PolicyKind::Trust,
        PolicyKind::Boundary,
        PolicyKind::Session,
        PolicyKind::Scp,
        PolicyKind::Rcp,
    ] {
        let _ = validate(text, &ValidationOptions::new(kind));
    }
    let Ok(policy) = CompiledPolicy::parse(text) else {
        return;
    };
    let policy = Arc::new(policy);
    let set = [policy.clone()];
    let levels = vec![vec![policy.clone()]];
    for (principal, action, resource) in [
        ("arn:aws:iam::111122223333:user/alice", "s3:GetObject", "arn:aws:s3:::bucket/alice/key"),
        ("arn:aws:sts::111122223333:assumed-role/R/s", "sts:AssumeRole", "arn:aws:iam::111122223333:role/R"),
        ("lambda.amazonaws.com", "kms:Decrypt", "arn:aws:kms:us-east-1:444455556666:key/k"),
        ("*", "s3:ListAllMyBuckets", "*"),
    ] {
        let Ok(p) = Principal::parse(principal) else {
            return;
        };
        let Ok(request) = Request::builder(p, action, resource).build() else {
            return;
        };
        let policies = Policies {
            identity: &set,
            resource: Some(&policy),
            boundary: Some(&policy),
            session: Some(&set),
            scps: &levels,
            rcps: &levels,
        };
        let decision = authorize(&request, &policies);
        let _ = decision.explain(&request, &policies);
    }
});
