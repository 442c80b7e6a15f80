//! Details where emulators commonly answer differently from AWS, each asserting what AWS
//! does: how IAM's List operations and AccessDenied messages name resources, and the form
//! of service-linked role deletion task IDs.

#[macro_use]
mod common;

use common::*;

const ACCOUNT_ARN: &str = "arn:aws:iam::123456789012";

/// AWS authorizes ListRoles and ListUsers against the ARN of the path being listed,
/// `arn:aws:iam::ACCOUNT:role/` (`…:role/PATH/` with PathPrefix), and names that ARN in its
/// AccessDenied message ("… is not authorized to perform: iam:ListRoles on resource:
/// arn:aws:iam::123456789012:role/ because no identity-based policy allows the
/// iam:ListRoles action", as every real transcript shows). A policy that allows
/// `iam:ListRoles` on `arn:aws:iam::ACCOUNT:role/*` therefore works on AWS. The server
/// authorizes these calls against `*`, so that policy is denied ("on resource: *").
#[tokio::test]

async fn list_calls_are_authorized_against_the_path_arn() {
    let server = Server::start();
    let root = iam(&server);
    let (id, secret) = user_with_key(&root, "nobody").await;
    let nobody = iam_with(&server, &id, &secret);
    let f = rejects!(root, nobody.list_roles().send(), "AccessDenied");
    assert_eq!(
        f.message,
        format!(
            "User: {ACCOUNT_ARN}:user/nobody is not authorized to perform: iam:ListRoles on resource: {ACCOUNT_ARN}:role/ because no identity-based policy allows the iam:ListRoles action"
        )
    );
    let f = rejects!(root, nobody.list_users().send(), "AccessDenied");
    assert_eq!(
        f.message,
        format!(
            "User: {ACCOUNT_ARN}:user/nobody is not authorized to perform: iam:ListUsers on resource: {ACCOUNT_ARN}:user/ because no identity-based policy allows the iam:ListUsers action"
        )
    );

    let (id, secret) = user_with_key(&root, "lister").await;
    root.put_user_policy()
        .user_name("lister")
        .policy_name("list")
        .policy_document(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["iam:ListRoles","iam:ListUsers"],"Resource":["{ACCOUNT_ARN}:role/*","{ACCOUNT_ARN}:user/*"]}}]}}"#
        ))
        .send()
        .await
        .unwrap();
    let lister = iam_with(&server, &id, &secret);
    lister
        .list_roles()
        .send()
        .await
        .expect("ListRoles allowed on role/*");
    lister
        .list_users()
        .send()
        .await
        .expect("ListUsers allowed on user/*");
}

/// For calls on an existing role or user, IAM's AccessDenied names the resource as
/// `role NAME` / `user NAME`, not by ARN: e.g. "User: arn:aws:iam::…:user/matt is not
/// authorized to perform: iam:GetRole on resource: role cdk-hnb659fds-file-publishing-role-…
/// because no identity-based policy allows the iam:GetRole action" (aws/aws-cdk#27067),
/// "… iam:DeleteRole on resource: role AWSBackupDefaultServiceRole with an explicit deny …",
/// "… iam:GetUser on resource: user secret-user because …", "… iam:CreateAccessKey on
/// resource: user admin_… because …". Creating calls (CreateRole, CreateUser) name the ARN,
/// which the server does right. The server always names the ARN.
#[tokio::test]

async fn access_denied_names_existing_entities_by_kind_and_name() {
    let server = Server::start();
    let root = iam(&server);
    root.create_role()
        .role_name("existing")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap();
    root.create_user().user_name("other").send().await.unwrap();
    let (id, secret) = user_with_key(&root, "reader").await;
    let reader = iam_with(&server, &id, &secret);
    let head = format!("User: {ACCOUNT_ARN}:user/reader is not authorized to perform:");
    let f = rejects!(
        root,
        reader.get_role().role_name("existing").send(),
        "AccessDenied"
    );
    assert_eq!(
        f.message,
        format!(
            "{head} iam:GetRole on resource: role existing because no identity-based policy allows the iam:GetRole action"
        )
    );
    let f = rejects!(
        root,
        reader.delete_role().role_name("existing").send(),
        "AccessDenied"
    );
    assert_eq!(
        f.message,
        format!(
            "{head} iam:DeleteRole on resource: role existing because no identity-based policy allows the iam:DeleteRole action"
        )
    );
    let f = rejects!(
        root,
        reader.get_user().user_name("other").send(),
        "AccessDenied"
    );
    assert_eq!(
        f.message,
        format!(
            "{head} iam:GetUser on resource: user other because no identity-based policy allows the iam:GetUser action"
        )
    );
    let f = rejects!(
        root,
        reader.create_access_key().user_name("other").send(),
        "AccessDenied"
    );
    assert_eq!(
        f.message,
        format!(
            "{head} iam:CreateAccessKey on resource: user other because no identity-based policy allows the iam:CreateAccessKey action"
        )
    );
}

/// The IAM API documents the DeletionTaskId of DeleteServiceLinkedRole as
/// `task/aws-service-role/<service-principal-name>/<role-name>/<task-uuid>`. The server's
/// last part is 32 random base32 characters, not a UUID.
#[tokio::test]

async fn deletion_task_id_ends_in_a_uuid() {
    let server = Server::start();
    let iam = iam(&server);
    let role = iam
        .create_service_linked_role()
        .aws_service_name("rds.amazonaws.com")
        .send()
        .await
        .unwrap();
    let task = iam
        .delete_service_linked_role()
        .role_name(role.role().unwrap().role_name())
        .send()
        .await
        .unwrap();
    let id = task.deletion_task_id().rsplit('/').next().unwrap();
    let groups: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
    assert!(
        id.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()),
        "{id}"
    );
}
