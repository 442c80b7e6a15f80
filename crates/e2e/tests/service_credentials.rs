//! Service-specific credentials through the AWS SDK for Rust: Create (CodeCommit and
//! Keyspaces passwords, Bedrock API keys with an age), List (per user, per service, all
//! users), Reset, Update, Delete; the secret returned only by Create and Reset; the quota
//! of 2 per service per user; DeleteUser's conflict and AWS's errors.

#[macro_use]
mod common;

use aws_sdk_iam::types::StatusType;
use common::*;

#[tokio::test]
async fn service_specific_credentials() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_user().user_name("git").send().await.unwrap();

    let first = iam
        .create_service_specific_credential()
        .user_name("git")
        .service_name("codecommit.amazonaws.com")
        .send()
        .await
        .expect("CreateServiceSpecificCredential");
    let c = first.service_specific_credential().unwrap();
    let id = c.service_specific_credential_id().to_string();
    assert!(id.starts_with("ACCA"), "{id}");
    assert_eq!(c.service_user_name(), "git-at-123456789012");
    let password = c.service_password().to_string();
    assert_eq!(password.len(), 44);
    assert_eq!(c.status(), &StatusType::Active);
    assert_recent(c.create_date());

    let second = iam
        .create_service_specific_credential()
        .user_name("git")
        .service_name("codecommit.amazonaws.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        second
            .service_specific_credential()
            .unwrap()
            .service_user_name(),
        "git+1-at-123456789012"
    );
    let f = fail(
        iam.create_service_specific_credential()
            .user_name("git")
            .service_name("codecommit.amazonaws.com")
            .send()
            .await,
    );
    assert_eq!(f.code, "LimitExceeded");
    let f = fail(
        iam.create_service_specific_credential()
            .user_name("git")
            .service_name("s3.amazonaws.com")
            .send()
            .await,
    );
    // AWS answers NoSuchEntity (not the NotSupportedService the model lists).
    assert_eq!(f.code, "NoSuchEntity");
    assert_eq!(f.status, 404);
    assert_eq!(
        f.message,
        "No such service s3.amazonaws.com is supported for Service Specific Credentials"
    );
    let f = fail(
        iam.create_service_specific_credential()
            .user_name("git")
            .service_name("codecommit.amazonaws.com")
            .credential_age_days(30)
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidInput");
    let f = fail(
        iam.create_service_specific_credential()
            .user_name("nobody")
            .service_name("cassandra.amazonaws.com")
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");

    // A Bedrock API key: an alias and a secret, expiring after CredentialAgeDays.
    let bedrock = iam
        .create_service_specific_credential()
        .user_name("git")
        .service_name("bedrock.amazonaws.com")
        .credential_age_days(30)
        .send()
        .await
        .expect("a Bedrock API key");
    let b = bedrock.service_specific_credential().unwrap();
    assert!(
        b.service_credential_alias()
            .unwrap()
            .starts_with("git-at-123456789012")
    );
    assert!(b.service_credential_secret().is_some());
    // (This SDK version models ServicePassword as required: it reads as empty here.)
    assert!(b.service_password().is_empty());
    let expires = b.expiration_date().unwrap().secs() - b.create_date().secs();
    assert_eq!(expires, 30 * 86_400);

    let listed = iam
        .list_service_specific_credentials()
        .user_name("git")
        .service_name("codecommit.amazonaws.com")
        .send()
        .await
        .expect("ListServiceSpecificCredentials");
    assert_eq!(listed.service_specific_credentials().len(), 2);
    let all = iam
        .list_service_specific_credentials()
        .user_name("git")
        .send()
        .await
        .unwrap();
    assert_eq!(all.service_specific_credentials().len(), 3);
    iam.create_user().user_name("other").send().await.unwrap();
    iam.create_service_specific_credential()
        .user_name("other")
        .service_name("cassandra.amazonaws.com")
        .send()
        .await
        .unwrap();
    let everyone = iam
        .list_service_specific_credentials()
        .all_users(true)
        .send()
        .await
        .unwrap();
    assert_eq!(everyone.service_specific_credentials().len(), 4);
    let f = fail(
        iam.list_service_specific_credentials()
            .user_name("git")
            .service_name("nothing.amazonaws.com")
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
    assert_eq!(
        f.message,
        "No such service nothing.amazonaws.com is supported for Service Specific Credentials"
    );

    let reset = iam
        .reset_service_specific_credential()
        .user_name("git")
        .service_specific_credential_id(&id)
        .send()
        .await
        .expect("ResetServiceSpecificCredential");
    let new_password = reset
        .service_specific_credential()
        .unwrap()
        .service_password();
    assert_ne!(new_password, password);
    let f = fail(
        iam.reset_service_specific_credential()
            .user_name("other")
            .service_specific_credential_id(&id)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");

    iam.update_service_specific_credential()
        .user_name("git")
        .service_specific_credential_id(&id)
        .status(StatusType::Inactive)
        .send()
        .await
        .expect("UpdateServiceSpecificCredential");
    let listed = iam
        .list_service_specific_credentials()
        .user_name("git")
        .service_name("codecommit.amazonaws.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.service_specific_credentials()[0].status(),
        &StatusType::Inactive
    );
    let f = fail(
        iam.update_service_specific_credential()
            .user_name("git")
            .service_specific_credential_id("ACCAAAAAAAAAAAAAAAAAA")
            .status(StatusType::Active)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");

    let f = fail(iam.delete_user().user_name("other").send().await);
    assert_eq!(f.code, "DeleteConflict");
    assert_eq!(
        f.message,
        "Cannot delete entity, must remove referenced objects first."
    );
    iam.delete_service_specific_credential()
        .user_name("git")
        .service_specific_credential_id(&id)
        .send()
        .await
        .expect("DeleteServiceSpecificCredential");
    let f = fail(
        iam.delete_service_specific_credential()
            .user_name("git")
            .service_specific_credential_id(&id)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
}
