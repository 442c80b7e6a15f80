//! Concurrency: quotas and name uniqueness hold under concurrent requests.

mod common;

use common::*;
use std::collections::BTreeSet;

/// Runs `n` calls at once (call `i` gets `i`) and returns their results, in order.
async fn race<F, Fut, T>(n: usize, call: F) -> Vec<Result<T, String>>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<T, String>> + Send + 'static,
    T: Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(call(i))).collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}

fn code<E: aws_sdk_iam::error::ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("?").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_access_keys_respect_the_quota() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_user().user_name("busy").send().await.unwrap();

    let results = race(20, |_| {
        let iam = iam.clone();
        async move {
            iam.create_access_key()
                .user_name("busy")
                .send()
                .await
                .map(|o| o.access_key().unwrap().access_key_id().to_string())
                .map_err(|e| code(&e.into_service_error()))
        }
    })
    .await;
    let created: BTreeSet<String> = results.iter().filter_map(|r| r.clone().ok()).collect();
    let errors: Vec<String> = results.iter().filter_map(|r| r.clone().err()).collect();
    assert_eq!(created.len(), 2, "exactly two keys: {results:?}");
    assert_eq!(errors.len(), 18);
    assert!(errors.iter().all(|c| c == "LimitExceeded"), "{errors:?}");
    let listed = iam
        .list_access_keys()
        .user_name("busy")
        .send()
        .await
        .unwrap();
    let listed: BTreeSet<String> = listed
        .access_key_metadata()
        .iter()
        .map(|k| k.access_key_id().unwrap().to_string())
        .collect();
    assert_eq!(listed, created);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_name_make_one_role() {
    let server = Server::start();
    let iam = iam(&server);
    let results = race(20, |i| {
        let iam = iam.clone();
        async move {
            iam.create_role()
                .role_name("contended")
                .assume_role_policy_document(TRUST_EC2)
                .description(format!("attempt {i}"))
                .send()
                .await
                .map(|o| o.role().unwrap().role_id().to_string())
                .map_err(|e| code(&e.into_service_error()))
        }
    })
    .await;
    let ok: Vec<String> = results.iter().filter_map(|r| r.clone().ok()).collect();
    let errors: Vec<String> = results.iter().filter_map(|r| r.clone().err()).collect();
    assert_eq!(ok.len(), 1, "exactly one success: {results:?}");
    assert!(
        errors.iter().all(|c| c == "EntityAlreadyExists"),
        "{errors:?}"
    );
    assert_eq!(all_role_names(&iam).await, ["contended"]);
    let got = iam.get_role().role_name("contended").send().await.unwrap();
    assert_eq!(
        got.role().unwrap().role_id(),
        ok[0],
        "the winner's role is the one kept"
    );

    // Names that differ only in case collide too.
    let results = race(20, |i| {
        let iam = iam.clone();
        let name = if i % 2 == 0 { "Mixed" } else { "mIXED" };
        async move {
            iam.create_user()
                .user_name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| code(&e.into_service_error()))
        }
    })
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert_eq!(all_user_names(&iam).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_attachments_and_versions_respect_their_quotas() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_role()
        .role_name("target")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap();
    let mut arns = Vec::new();
    for i in 0..20 {
        let p = iam
            .create_policy()
            .policy_name(format!("p{i:02}"))
            .policy_document(S3_READ)
            .send()
            .await
            .unwrap();
        arns.push(p.policy().unwrap().arn().unwrap().to_string());
    }
    let results = race(20, |i| {
        let iam = iam.clone();
        let arn = arns[i].clone();
        async move {
            iam.attach_role_policy()
                .role_name("target")
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| code(&e.into_service_error()))
        }
    })
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        10,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|c| c == "LimitExceeded"),
        "{results:?}"
    );
    let attached = iam
        .list_attached_role_policies()
        .role_name("target")
        .send()
        .await
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 10);

    // Versions: v1 exists, so four more fit.
    let results = race(20, |_| {
        let iam = iam.clone();
        let arn = arns[0].clone();
        async move {
            iam.create_policy_version()
                .policy_arn(arn)
                .policy_document(EC2_DESCRIBE)
                .send()
                .await
                .map(|o| {
                    o.policy_version()
                        .unwrap()
                        .version_id()
                        .unwrap()
                        .to_string()
                })
                .map_err(|e| code(&e.into_service_error()))
        }
    })
    .await;
    let mut made: Vec<String> = results.iter().filter_map(|r| r.clone().ok()).collect();
    made.sort();
    assert_eq!(made, ["v2", "v3", "v4", "v5"], "{results:?}");
    let versions = iam
        .list_policy_versions()
        .policy_arn(&arns[0])
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 5);

    // Many different names at once: all succeed.
    let results = race(40, |i| {
        let iam = iam.clone();
        async move {
            iam.create_user()
                .user_name(format!("parallel-{i:02}"))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| code(&e.into_service_error()))
        }
    })
    .await;
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(all_user_names(&iam).await.len(), 40);
}
