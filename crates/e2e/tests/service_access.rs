//! ListPoliciesGrantingServiceAccess through the AWS SDK for Rust: a user's own and its
//! groups' inline and managed policies, a role's, per service namespace, and AWS's errors.

#[macro_use]
mod common;

use aws_sdk_iam::types::{PolicyOwnerEntityType, PolicyType};
use common::*;

#[tokio::test]
async fn policies_granting_service_access() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_user().user_name("ana").send().await.unwrap();
    iam.create_group()
        .group_name("readers")
        .send()
        .await
        .unwrap();
    iam.add_user_to_group()
        .group_name("readers")
        .user_name("ana")
        .send()
        .await
        .unwrap();
    iam.put_user_policy()
        .user_name("ana")
        .policy_name("s3-read")
        .policy_document(S3_READ)
        .send()
        .await
        .unwrap();
    iam.attach_group_policy()
        .group_name("readers")
        .policy_arn(aws_policy("AmazonEC2ReadOnlyAccess"))
        .send()
        .await
        .unwrap();
    let user_arn = format!("arn:aws:iam::{ACCOUNT_ID}:user/ana");

    let out = iam
        .list_policies_granting_service_access()
        .arn(&user_arn)
        .service_namespaces("s3")
        .service_namespaces("ec2")
        .service_namespaces("dynamodb")
        .send()
        .await
        .expect("ListPoliciesGrantingServiceAccess");
    let entries = out.policies_granting_service_access();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0].service_namespace(), Some("s3"));
    let s3 = entries[0].policies();
    assert_eq!(s3.len(), 1);
    assert_eq!(s3[0].policy_name(), "s3-read");
    assert_eq!(s3[0].policy_type(), &PolicyType::Inline);
    assert_eq!(s3[0].entity_type(), Some(&PolicyOwnerEntityType::User));
    assert_eq!(s3[0].entity_name(), Some("ana"));
    let ec2 = entries[1].policies();
    assert_eq!(ec2.len(), 1);
    assert_eq!(ec2[0].policy_name(), "AmazonEC2ReadOnlyAccess");
    assert_eq!(ec2[0].policy_type(), &PolicyType::Managed);
    assert_eq!(
        ec2[0].policy_arn(),
        Some(aws_policy("AmazonEC2ReadOnlyAccess").as_str())
    );
    assert!(entries[2].policies().is_empty());

    // The group's own policies only.
    let group = iam
        .list_policies_granting_service_access()
        .arn(format!("arn:aws:iam::{ACCOUNT_ID}:group/readers"))
        .service_namespaces("s3")
        .send()
        .await
        .unwrap();
    assert!(
        group.policies_granting_service_access()[0]
            .policies()
            .is_empty()
    );

    let f = fail(
        iam.list_policies_granting_service_access()
            .arn(format!("arn:aws:iam::{ACCOUNT_ID}:user/nobody"))
            .service_namespaces("s3")
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
    let f = fail(
        iam.list_policies_granting_service_access()
            .arn(format!("arn:aws:iam::{ACCOUNT_ID}:policy/something"))
            .service_namespaces("s3")
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidInput");
    let f = fail(
        iam.list_policies_granting_service_access()
            .arn(&user_arn)
            .service_namespaces("not a namespace!")
            .send()
            .await,
    );
    assert_eq!(f.code, "ValidationError");
}
