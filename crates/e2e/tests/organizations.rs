//! The organization and delegation operations through the AWS SDK for Rust, answered as
//! IAM answers them for a standalone account (not in an organization, not an onboarded
//! delegation partner).

#[macro_use]
mod common;

use common::*;

#[tokio::test]
async fn organization_features_need_an_organization() {
    let server = Server::start();
    let iam = iam(&server);
    let f = fail(iam.list_organizations_features().send().await);
    assert!(f.err.is_organization_not_found_exception(), "{f:?}");
    assert_eq!(f.code, "OrganizationNotFoundException");
    let f = fail(
        iam.enable_organizations_root_credentials_management()
            .send()
            .await,
    );
    assert!(f.err.is_organization_not_found_exception(), "{f:?}");
    let f = fail(
        iam.disable_organizations_root_credentials_management()
            .send()
            .await,
    );
    assert!(f.err.is_organization_not_found_exception(), "{f:?}");
    let f = fail(iam.enable_organizations_root_sessions().send().await);
    assert!(f.err.is_organization_not_found_exception(), "{f:?}");
    let f = fail(iam.disable_organizations_root_sessions().send().await);
    assert!(f.err.is_organization_not_found_exception(), "{f:?}");

    let f = fail(
        iam.generate_organizations_access_report()
            .entity_path("o-a1b2c3d4e5/r-f6g7h8i9j0example")
            .send()
            .await,
    );
    assert_eq!(f.code, "OrganizationNotFoundException");
    // An invalid entity path is refused by the model first.
    let f = fail(
        iam.generate_organizations_access_report()
            .entity_path("not-an-organization-path")
            .send()
            .await,
    );
    assert_eq!(f.code, "ValidationError");
    let f = fail(
        iam.get_organizations_access_report()
            .job_id("examplea-1234-b567-cde8-90fg123abcd4")
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
    let f = fail(
        iam.get_organizations_access_report()
            .job_id("short")
            .send()
            .await,
    );
    assert_eq!(f.code, "ValidationError");
}

#[tokio::test]
async fn delegation_requests_of_a_standalone_account() {
    let server = Server::start();
    let iam = iam(&server);
    let listed = iam
        .list_delegation_requests()
        .send()
        .await
        .expect("ListDelegationRequests");
    assert!(listed.delegation_requests().is_empty());
    assert!(!listed.is_truncated());
    let f = fail(iam.list_delegation_requests().max_items(0).send().await);
    assert_eq!(f.code, "ValidationError");

    let id = "d-1234567890abcdef";
    let f = fail(
        iam.get_delegation_request()
            .delegation_request_id(id)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
    let f = fail(
        iam.accept_delegation_request()
            .delegation_request_id(id)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
    let f = fail(
        iam.reject_delegation_request()
            .delegation_request_id(id)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
    let f = fail(
        iam.update_delegation_request()
            .delegation_request_id(id)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
    let f = fail(
        iam.associate_delegation_request()
            .delegation_request_id(id)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
    let f = fail(
        iam.send_delegation_token()
            .delegation_request_id(id)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
    let f = fail(
        iam.get_delegation_request()
            .delegation_request_id("short")
            .send()
            .await,
    );
    assert_eq!(f.code, "ValidationError");

    let f = fail(
        iam.create_delegation_request()
            .description("read the bucket")
            .permissions(
                aws_sdk_iam::types::DelegationPermission::builder()
                    .policy_template_arn("arn:aws:iam::aws:policy-template/ReadOnly")
                    .build(),
            )
            .requestor_workflow_id("workflow-1")
            .notification_channel("arn:aws:sns:us-east-1:123456789012:topic")
            .session_duration(3600)
            .send()
            .await,
    );
    assert_eq!(f.code, "AccessDenied");
    let f = fail(
        iam.create_delegation_request()
            .description("too short a session")
            .permissions(aws_sdk_iam::types::DelegationPermission::builder().build())
            .requestor_workflow_id("workflow-1")
            .notification_channel("arn:aws:sns:us-east-1:123456789012:topic")
            .session_duration(10)
            .send()
            .await,
    );
    assert_eq!(f.code, "ValidationError");
}
