//! Service last accessed data through the AWS SDK for Rust: a user's calls are recorded,
//! and GenerateServiceLastAccessedDetails / GetServiceLastAccessedDetails(WithEntities)
//! report them for the user, its group and an attached policy, at service and action
//! level, with AWS's errors.

#[macro_use]
mod common;

use aws_sdk_iam::types::{AccessAdvisorUsageGranularityType, JobStatusType};
use common::*;
use std::time::Duration;

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListUsers","s3:GetObject"],"Resource":"*"}]}"#;

#[tokio::test]
async fn service_last_accessed() {
    let server = Server::start();
    let iam = iam(&server);
    let (key, secret) = user_with_key(&iam, "eve").await;
    iam.create_group().group_name("team").send().await.unwrap();
    iam.add_user_to_group()
        .group_name("team")
        .user_name("eve")
        .send()
        .await
        .unwrap();
    let policy_arn = iam
        .create_policy()
        .policy_name("list-and-read")
        .policy_document(POLICY)
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    iam.attach_group_policy()
        .group_name("team")
        .policy_arn(&policy_arn)
        .send()
        .await
        .unwrap();
    let eve = iam_with(&server, &key, &secret);
    eve.list_users().send().await.expect("eve may list users");
    let user_arn = format!("arn:aws:iam::{ACCOUNT_ID}:user/eve");

    // The access is recorded in the background: wait until the report shows it.
    let mut services = Vec::new();
    for _ in 0..50 {
        let job = iam
            .generate_service_last_accessed_details()
            .arn(&user_arn)
            .granularity(AccessAdvisorUsageGranularityType::ActionLevel)
            .send()
            .await
            .expect("GenerateServiceLastAccessedDetails");
        let job_id = job.job_id().unwrap().to_string();
        assert_eq!(job_id.len(), 36);
        let report = iam
            .get_service_last_accessed_details()
            .job_id(&job_id)
            .send()
            .await
            .expect("GetServiceLastAccessedDetails");
        assert_eq!(report.job_status(), &JobStatusType::Completed);
        services = report.services_last_accessed().to_vec();
        if services.iter().any(|s| s.last_authenticated().is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let namespaces: Vec<&str> = services.iter().map(|s| s.service_namespace()).collect();
    assert_eq!(namespaces, ["iam", "s3"]);
    let iam_entry = &services[0];
    assert_eq!(
        iam_entry.service_name(),
        "AWS Identity and Access Management (IAM)"
    );
    assert_eq!(
        iam_entry.last_authenticated_entity(),
        Some(user_arn.as_str())
    );
    assert_eq!(iam_entry.total_authenticated_entities(), Some(1));
    assert_recent(iam_entry.last_authenticated().unwrap());
    let tracked = iam_entry.tracked_actions_last_accessed();
    assert_eq!(tracked.len(), 1);
    assert_eq!(tracked[0].action_name(), Some("ListUsers"));
    assert!(services[1].last_authenticated().is_none());
    assert_eq!(services[1].total_authenticated_entities(), Some(0));

    // The policy's report names the user through its group.
    let job = iam
        .generate_service_last_accessed_details()
        .arn(&policy_arn)
        .send()
        .await
        .unwrap();
    let with = iam
        .get_service_last_accessed_details_with_entities()
        .job_id(job.job_id().unwrap())
        .service_namespace("iam")
        .send()
        .await
        .expect("GetServiceLastAccessedDetailsWithEntities");
    let details = with.entity_details_list();
    assert_eq!(details.len(), 1);
    assert_eq!(details[0].entity_info().unwrap().name(), "eve");
    assert!(details[0].last_authenticated().is_some());

    let group_job = iam
        .generate_service_last_accessed_details()
        .arn(format!("arn:aws:iam::{ACCOUNT_ID}:group/team"))
        .send()
        .await
        .unwrap();
    let group = iam
        .get_service_last_accessed_details()
        .job_id(group_job.job_id().unwrap())
        .max_items(1)
        .send()
        .await
        .unwrap();
    assert_eq!(group.services_last_accessed().len(), 1);
    assert!(group.is_truncated());

    let f = fail(
        iam.generate_service_last_accessed_details()
            .arn(format!("arn:aws:iam::{ACCOUNT_ID}:user/nobody"))
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
    let f = fail(
        iam.generate_service_last_accessed_details()
            .arn("arn:aws:s3:::not-an-iam-entity")
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidInput");
    let f = fail(
        iam.get_service_last_accessed_details()
            .job_id("00000000-0000-0000-0000-000000000000")
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
    let f = fail(
        iam.get_service_last_accessed_details_with_entities()
            .job_id("too-short")
            .service_namespace("iam")
            .send()
            .await,
    );
    assert_eq!(f.code, "ValidationError");

    // A deleted user's accesses go with it: a new user of the same name starts afresh.
    for k in iam
        .list_access_keys()
        .user_name("eve")
        .send()
        .await
        .unwrap()
        .access_key_metadata()
    {
        iam.delete_access_key()
            .user_name("eve")
            .access_key_id(k.access_key_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    iam.remove_user_from_group()
        .group_name("team")
        .user_name("eve")
        .send()
        .await
        .unwrap();
    iam.delete_user().user_name("eve").send().await.unwrap();
    iam.create_user().user_name("eve").send().await.unwrap();
    iam.put_user_policy()
        .user_name("eve")
        .policy_name("list")
        .policy_document(POLICY)
        .send()
        .await
        .unwrap();
    let job = iam
        .generate_service_last_accessed_details()
        .arn(&user_arn)
        .send()
        .await
        .unwrap();
    let report = iam
        .get_service_last_accessed_details()
        .job_id(job.job_id().unwrap())
        .send()
        .await
        .unwrap();
    assert!(
        report
            .services_last_accessed()
            .iter()
            .all(|s| s.last_authenticated().is_none())
    );
}
