//! Role templates (GetRoleTemplateVersion, AcquireRole) and GetHumanReadableSummary through
//! the AWS SDK for Rust. Portcullis carries no role templates and no delegation request can
//! reach a standalone account, so well-formed ARNs name entities that do not exist
//! (NoSuchEntity), other ARNs are InvalidInput, and the model's constraints are
//! ValidationError; none of these calls changes anything.

#[macro_use]
mod common;

use aws_sdk_iam::types::ReplacementValueEntry;
use common::*;

/// A role template ARN in the form the service authorization reference gives
/// (`arn:aws:iam::aws:role-template/SERVICE/NAME:MAJOR`), as AWS managed policies name them.
const TEMPLATE: &str = "arn:aws:iam::aws:role-template/cloudwatch.amazonaws.com/CloudWatchOmniAWSIntegrationForOrgRoleTemplate:1";

#[tokio::test]
async fn role_templates_do_not_exist_here() {
    let server = Server::start();
    let iam = iam(&server);

    let f = rejects!(
        iam,
        iam.get_role_template_version()
            .template_arn(TEMPLATE)
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception(), "{f:?}");
    assert_eq!(f.status, 404);
    assert_eq!(
        f.message,
        format!("The role template with ARN {TEMPLATE} cannot be found.")
    );
    let f = rejects!(
        iam,
        iam.get_role_template_version()
            .template_arn(TEMPLATE)
            .minor_version(3)
            .send(),
        "NoSuchEntity"
    );
    assert_eq!(f.status, 404);

    // Not a role template's ARN.
    let f = rejects!(
        iam,
        iam.get_role_template_version()
            .template_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
            .send(),
        "InvalidInput"
    );
    assert!(f.err.is_invalid_input_exception(), "{f:?}");
    assert_eq!(
        f.message,
        "ARN arn:aws:iam::aws:policy/ReadOnlyAccess is not valid."
    );
    // The model's arnType: 20 to 2048 characters.
    let f = rejects!(
        iam,
        iam.get_role_template_version()
            .template_arn("arn:short")
            .send(),
        "ValidationError"
    );
    assert!(f.message.contains("templateArn"), "{f:?}");
    let long = format!("{TEMPLATE}{}", "x".repeat(2048));
    let f = rejects!(
        iam,
        iam.get_role_template_version().template_arn(long).send(),
        "ValidationError"
    );
    assert!(
        f.message
            .contains("Member must have length less than or equal to 2048"),
        "{f:?}"
    );
}

#[tokio::test]
async fn acquire_role_needs_a_template() {
    let server = Server::start();
    let iam = iam(&server);
    let bucket = ReplacementValueEntry::builder()
        .values("my-bucket")
        .build()
        .expect("ReplacementValueEntry");

    let f = rejects!(
        iam,
        iam.acquire_role()
            .template_arn(TEMPLATE)
            .template_minor_version(1)
            .replacement_values("bucketName", bucket.clone())
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception(), "{f:?}");
    assert_eq!(
        f.message,
        format!("The role template with ARN {TEMPLATE} cannot be found.")
    );
    // No role came of it.
    assert!(all_role_names(&iam).await.is_empty());

    let f = rejects!(
        iam,
        iam.acquire_role()
            .template_arn(format!("arn:aws:iam::{ACCOUNT_ID}:role/not-a-template"))
            .send(),
        "InvalidInput"
    );
    assert!(f.err.is_invalid_input_exception(), "{f:?}");

    // The model's map of at most 30 parameters, each with 1 to 20 values.
    let mut too_many = iam.acquire_role().template_arn(TEMPLATE);
    for i in 0..31 {
        too_many = too_many.replacement_values(format!("p{i}"), bucket.clone());
    }
    let f = rejects!(iam, too_many.send(), "ValidationError");
    assert!(f.message.contains("replacementValues"), "{f:?}");
    let empty = ReplacementValueEntry::builder()
        .set_values(Some(Vec::new()))
        .build()
        .expect("ReplacementValueEntry");
    let f = rejects!(
        iam,
        iam.acquire_role()
            .template_arn(TEMPLATE)
            .replacement_values("bucketName", empty)
            .send(),
        "ValidationError"
    );
    assert!(
        f.message
            .contains("Member must have length greater than or equal to 1"),
        "{f:?}"
    );
}

#[tokio::test]
async fn human_readable_summaries_of_delegation_requests() {
    let server = Server::start();
    let iam = iam(&server);
    let arn = format!("arn:aws:iam::{ACCOUNT_ID}:delegation-request/d-1234567890abcdef");

    let f = rejects!(
        iam,
        iam.get_human_readable_summary()
            .entity_arn(&arn)
            .locale("en")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception(), "{f:?}");
    // The same answer GetDelegationRequest gives for that request.
    assert_eq!(
        f.message,
        "The delegation request with ID d-1234567890abcdef cannot be found."
    );
    let same = fail(
        iam.get_delegation_request()
            .delegation_request_id("d-1234567890abcdef")
            .send()
            .await,
    );
    assert_eq!(same.message, f.message);

    // Only delegation requests are summarized.
    let role = format!("arn:aws:iam::{ACCOUNT_ID}:role/some-role");
    let f = rejects!(
        iam,
        iam.get_human_readable_summary().entity_arn(&role).send(),
        "InvalidInput"
    );
    assert!(f.err.is_invalid_input_exception(), "{f:?}");
    assert_eq!(
        f.message,
        format!("ARN {role} is not valid. The only supported entity type is delegation-request.")
    );
    // A delegation request ID too short for the model's delegationRequestIdType.
    let f = rejects!(
        iam,
        iam.get_human_readable_summary()
            .entity_arn(format!(
                "arn:aws:iam::{ACCOUNT_ID}:delegation-request/short"
            ))
            .send(),
        "InvalidInput"
    );
    assert_eq!(f.status, 400);
    // The model's localeType: 2 to 12 characters.
    let f = rejects!(
        iam,
        iam.get_human_readable_summary()
            .entity_arn(&arn)
            .locale("e")
            .send(),
        "ValidationError"
    );
    assert!(f.message.contains("locale"), "{f:?}");
}

#[tokio::test]
async fn authorized_as_their_actions_on_their_resources() {
    let server = Server::start();
    let root = iam(&server);
    let (id, secret) = user_with_key(&root, "template-reader").await;
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"iam:GetRoleTemplateVersion","Resource":"{TEMPLATE}"}}]}}"#
    );
    root.put_user_policy()
        .user_name("template-reader")
        .policy_name("read-one-template")
        .policy_document(policy)
        .send()
        .await
        .expect("PutUserPolicy");
    let user = iam_with(&server, &id, &secret);

    // Allowed on that template: the answer is the service's.
    let f = fail(
        user.get_role_template_version()
            .template_arn(TEMPLATE)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity", "{f:?}");
    // Another template, and GetHumanReadableSummary: denied, naming the resource.
    let other = "arn:aws:iam::aws:role-template/lambda.amazonaws.com/LambdaBasicRoleTemplate:1";
    let f = fail(
        user.get_role_template_version()
            .template_arn(other)
            .send()
            .await,
    );
    assert_eq!(f.code, "AccessDenied", "{f:?}");
    assert!(
        f.message.contains(&format!(
            "is not authorized to perform: iam:GetRoleTemplateVersion on resource: {other}"
        )),
        "{f:?}"
    );
    let arn = format!("arn:aws:iam::{ACCOUNT_ID}:delegation-request/d-1234567890abcdef");
    let f = fail(
        user.get_human_readable_summary()
            .entity_arn(&arn)
            .send()
            .await,
    );
    assert_eq!(f.code, "AccessDenied", "{f:?}");
    assert!(
        f.message
            .contains(&format!("iam:GetHumanReadableSummary on resource: {arn}")),
        "{f:?}"
    );
}
