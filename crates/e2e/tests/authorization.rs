//! Authorization of IAM users' calls by the policy engine, with AWS's AccessDenied
//! messages: AWS managed policies, group policies, explicit denies, permissions
//! boundaries, resource ARNs and conditions. Every denied call is checked to change nothing.

#[macro_use]
mod common;

use common::*;

const ACCOUNT_ARN: &str = "arn:aws:iam::123456789012";

fn allow(actions: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":{actions},"Resource":"{resource}"}}]}}"#
    )
}

fn deny(actions: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":{actions},"Resource":"{resource}"}}]}}"#
    )
}

/// Asserts AWS's AccessDenied for `action` by `user`, with `reason` ("because no
/// identity-based policy allows the iam:X action", …). `resource` is checked when given:
/// AWS names a resource to be created by its ARN, but an existing role or user as
/// `role NAME` / `user NAME` (see `aws_differences.rs`), so for those only the rest of the
/// sentence is checked here.
#[track_caller]
fn assert_denied<E>(
    f: &Failure<E>,
    user: &str,
    action: &str,
    resource: Option<&str>,
    reason: &str,
) {
    assert_eq!(f.code, "AccessDenied", "{f:?}");
    assert_eq!(f.status, 403, "{f:?}");
    let head = format!(
        "User: {ACCOUNT_ARN}:user/{user} is not authorized to perform: {action} on resource: "
    );
    match resource {
        Some(r) => assert_eq!(f.message, format!("{head}{r} {reason}")),
        None => {
            assert!(f.message.starts_with(&head), "{f:?}");
            assert!(f.message.ends_with(&format!(" {reason}")), "{f:?}");
        }
    }
}

#[tokio::test]
async fn read_only_access_reads_but_does_not_write() {
    let server = Server::start();
    let root = iam(&server);
    root.create_role()
        .role_name("existing")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap();
    let (id, secret) = user_with_key(&root, "reader").await;
    let reader = iam_with(&server, &id, &secret);

    // No policy at all: even reads are denied. GetCallerIdentity needs no permission.
    let f = rejects!(root, reader.list_roles().send(), "AccessDenied");
    assert!(
        f.message.starts_with(&format!(
            "User: {ACCOUNT_ARN}:user/reader is not authorized to perform: iam:ListRoles on resource: "
        )),
        "{f:?}"
    );
    assert!(
        f.message
            .ends_with(" because no identity-based policy allows the iam:ListRoles action"),
        "{f:?}"
    );
    let who = sts_with(&server, &id, &secret)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity needs no permission");
    assert_eq!(who.arn(), Some("arn:aws:iam::123456789012:user/reader"));

    root.attach_user_policy()
        .user_name("reader")
        .policy_arn(aws_policy("ReadOnlyAccess"))
        .send()
        .await
        .unwrap();
    let roles = reader
        .list_roles()
        .send()
        .await
        .expect("ListRoles with ReadOnlyAccess");
    assert_eq!(roles.roles()[0].role_name(), "existing");
    let role = reader
        .get_role()
        .role_name("existing")
        .send()
        .await
        .expect("GetRole with ReadOnlyAccess");
    assert_eq!(
        role.role().unwrap().arn(),
        format!("{ACCOUNT_ARN}:role/existing")
    );
    reader
        .list_users()
        .send()
        .await
        .expect("ListUsers with ReadOnlyAccess");
    reader
        .get_policy()
        .policy_arn(aws_policy("ReadOnlyAccess"))
        .send()
        .await
        .expect("GetPolicy with ReadOnlyAccess");

    let f = rejects!(
        root,
        reader
            .create_role()
            .role_name("newrole")
            .assume_role_policy_document(TRUST_EC2)
            .send(),
        "AccessDenied"
    );
    assert!(
        f.message
            .contains("is not authorized to perform: iam:CreateRole"),
        "{f:?}"
    );
    assert!(
        f.message
            .contains("because no identity-based policy allows the iam:CreateRole action"),
        "{f:?}"
    );
    assert_denied(
        &f,
        "reader",
        "iam:CreateRole",
        Some(&format!("{ACCOUNT_ARN}:role/newrole")),
        "because no identity-based policy allows the iam:CreateRole action",
    );
    let f = rejects!(
        root,
        reader.delete_role().role_name("existing").send(),
        "AccessDenied"
    );
    assert_denied(
        &f,
        "reader",
        "iam:DeleteRole",
        None,
        "because no identity-based policy allows the iam:DeleteRole action",
    );
    let f = rejects!(root, reader.create_access_key().send(), "AccessDenied");
    assert_denied(
        &f,
        "reader",
        "iam:CreateAccessKey",
        None,
        "because no identity-based policy allows the iam:CreateAccessKey action",
    );
    let f = rejects!(
        root,
        reader
            .attach_user_policy()
            .user_name("reader")
            .policy_arn(aws_policy("AdministratorAccess"))
            .send(),
        "AccessDenied"
    );
    assert!(f.message.contains("iam:AttachUserPolicy"), "{f:?}");
    assert_eq!(all_role_names(&root).await, ["existing"]);
}

#[tokio::test]
async fn group_inline_policy_grants_to_members() {
    let server = Server::start();
    let root = iam(&server);
    let (member_id, member_secret) = user_with_key(&root, "member").await;
    let (outsider_id, outsider_secret) = user_with_key(&root, "outsider").await;
    root.create_group()
        .group_name("creators")
        .send()
        .await
        .unwrap();
    root.put_group_policy()
        .group_name("creators")
        .policy_name("create-roles")
        .policy_document(allow(r#"["iam:CreateRole","iam:GetRole"]"#, "*"))
        .send()
        .await
        .unwrap();
    root.add_user_to_group()
        .group_name("creators")
        .user_name("member")
        .send()
        .await
        .unwrap();

    let member = iam_with(&server, &member_id, &member_secret);
    let created = member
        .create_role()
        .role_name("made-by-member")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .expect("a group member may create roles");
    assert_eq!(
        created.role().unwrap().arn(),
        format!("{ACCOUNT_ARN}:role/made-by-member")
    );
    member
        .get_role()
        .role_name("made-by-member")
        .send()
        .await
        .expect("GetRole through the group");

    let outsider = iam_with(&server, &outsider_id, &outsider_secret);
    let f = rejects!(
        root,
        outsider
            .create_role()
            .role_name("made-by-outsider")
            .assume_role_policy_document(TRUST_EC2)
            .send(),
        "AccessDenied"
    );
    assert_denied(
        &f,
        "outsider",
        "iam:CreateRole",
        Some(&format!("{ACCOUNT_ARN}:role/made-by-outsider")),
        "because no identity-based policy allows the iam:CreateRole action",
    );

    // Leaving the group takes the permission away at once.
    root.remove_user_from_group()
        .group_name("creators")
        .user_name("member")
        .send()
        .await
        .unwrap();
    let f = rejects!(
        root,
        member
            .create_role()
            .role_name("second")
            .assume_role_policy_document(TRUST_EC2)
            .send(),
        "AccessDenied"
    );
    assert!(f.message.contains("iam:CreateRole"), "{f:?}");
    // A managed policy attached to the group works the same way.
    root.attach_group_policy()
        .group_name("creators")
        .policy_arn(aws_policy("IAMFullAccess"))
        .send()
        .await
        .unwrap();
    root.add_user_to_group()
        .group_name("creators")
        .user_name("member")
        .send()
        .await
        .unwrap();
    member
        .create_user()
        .user_name("made-by-member")
        .send()
        .await
        .expect("IAMFullAccess through the group");
    assert_eq!(all_role_names(&root).await, ["made-by-member"]);
}

#[tokio::test]
async fn explicit_deny_beats_allow() {
    let server = Server::start();
    let root = iam(&server);
    for r in ["keep", "other"] {
        root.create_role()
            .role_name(r)
            .assume_role_policy_document(TRUST_EC2)
            .send()
            .await
            .unwrap();
    }
    let (id, secret) = user_with_key(&root, "admin").await;
    root.attach_user_policy()
        .user_name("admin")
        .policy_arn(aws_policy("AdministratorAccess"))
        .send()
        .await
        .unwrap();
    root.put_user_policy()
        .user_name("admin")
        .policy_name("no-delete-keep")
        .policy_document(deny(
            r#""iam:DeleteRole""#,
            &format!("{ACCOUNT_ARN}:role/keep"),
        ))
        .send()
        .await
        .unwrap();
    let admin = iam_with(&server, &id, &secret);

    let f = rejects!(
        root,
        admin.delete_role().role_name("keep").send(),
        "AccessDenied"
    );
    assert_denied(
        &f,
        "admin",
        "iam:DeleteRole",
        None,
        "with an explicit deny in an identity-based policy",
    );
    // The deny names one role; the allow still covers the others.
    admin
        .delete_role()
        .role_name("other")
        .send()
        .await
        .expect("AdministratorAccess deletes the other role");
    admin
        .get_role()
        .role_name("keep")
        .send()
        .await
        .expect("reading is not denied");
    // A deny in a group policy works the same way.
    root.create_group()
        .group_name("no-users")
        .send()
        .await
        .unwrap();
    root.put_group_policy()
        .group_name("no-users")
        .policy_name("deny")
        .policy_document(deny(r#""iam:CreateUser""#, "*"))
        .send()
        .await
        .unwrap();
    root.add_user_to_group()
        .group_name("no-users")
        .user_name("admin")
        .send()
        .await
        .unwrap();
    let f = rejects!(
        root,
        admin.create_user().user_name("x").send(),
        "AccessDenied"
    );
    assert_denied(
        &f,
        "admin",
        "iam:CreateUser",
        Some(&format!("{ACCOUNT_ARN}:user/x")),
        "with an explicit deny in an identity-based policy",
    );
    assert_eq!(all_role_names(&root).await, ["keep"]);
}

#[tokio::test]
async fn permissions_boundary_caps_the_user() {
    let server = Server::start();
    let root = iam(&server);
    root.create_role()
        .role_name("existing")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap();
    let boundary = root
        .create_policy()
        .policy_name("read-roles-only")
        .policy_document(allow(
            r#"["iam:GetRole","iam:ListRoles","iam:ListUsers"]"#,
            "*",
        ))
        .send()
        .await
        .unwrap();
    let boundary_arn = boundary.policy().unwrap().arn().unwrap().to_string();
    let (id, secret) = user_with_key(&root, "capped").await;
    root.attach_user_policy()
        .user_name("capped")
        .policy_arn(aws_policy("AdministratorAccess"))
        .send()
        .await
        .unwrap();
    root.put_user_permissions_boundary()
        .user_name("capped")
        .permissions_boundary(&boundary_arn)
        .send()
        .await
        .unwrap();
    let capped = iam_with(&server, &id, &secret);

    capped
        .list_roles()
        .send()
        .await
        .expect("inside the boundary");
    capped
        .get_role()
        .role_name("existing")
        .send()
        .await
        .expect("inside the boundary");
    let f = rejects!(
        root,
        capped
            .create_role()
            .role_name("over-the-cap")
            .assume_role_policy_document(TRUST_EC2)
            .send(),
        "AccessDenied"
    );
    assert_denied(
        &f,
        "capped",
        "iam:CreateRole",
        Some(&format!("{ACCOUNT_ARN}:role/over-the-cap")),
        "because no permissions boundary allows the iam:CreateRole action",
    );

    // The boundary grants nothing by itself: without AdministratorAccess, ListUsers (in
    // the boundary) is denied for want of an identity-based policy.
    root.detach_user_policy()
        .user_name("capped")
        .policy_arn(aws_policy("AdministratorAccess"))
        .send()
        .await
        .unwrap();
    let f = rejects!(root, capped.list_users().send(), "AccessDenied");
    assert!(
        f.message
            .ends_with("because no identity-based policy allows the iam:ListUsers action"),
        "{f:?}"
    );

    // Removing the boundary lifts the cap.
    root.attach_user_policy()
        .user_name("capped")
        .policy_arn(aws_policy("AdministratorAccess"))
        .send()
        .await
        .unwrap();
    root.delete_user_permissions_boundary()
        .user_name("capped")
        .send()
        .await
        .unwrap();
    capped
        .create_role()
        .role_name("after-the-cap")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .expect("no boundary any more");
    let mut names = all_role_names(&root).await;
    names.sort();
    assert_eq!(names, ["after-the-cap", "existing"]);
}

#[tokio::test]
async fn resource_arns_and_conditions() {
    let server = Server::start();
    let root = iam(&server);
    for (name, team) in [("app-one", "blue"), ("app-two", "red"), ("db", "blue")] {
        root.create_role()
            .role_name(name)
            .assume_role_policy_document(TRUST_EC2)
            .tags(tag("team", team))
            .send()
            .await
            .unwrap();
    }
    let (id, secret) = user_with_key(&root, "scoped").await;
    root.put_user_policy()
        .user_name("scoped")
        .policy_name("app-roles")
        .policy_document(allow(
            r#""iam:GetRole""#,
            &format!("{ACCOUNT_ARN}:role/app-*"),
        ))
        .send()
        .await
        .unwrap();
    root.put_user_policy()
        .user_name("scoped")
        .policy_name("blue-descriptions")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:UpdateRoleDescription","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}]}"#,
        )
        .send()
        .await
        .unwrap();
    let scoped = iam_with(&server, &id, &secret);

    scoped
        .get_role()
        .role_name("app-one")
        .send()
        .await
        .expect("app-* matches");
    scoped
        .get_role()
        .role_name("app-two")
        .send()
        .await
        .expect("app-* matches");
    let f = rejects!(
        root,
        scoped.get_role().role_name("db").send(),
        "AccessDenied"
    );
    assert_denied(
        &f,
        "scoped",
        "iam:GetRole",
        None,
        "because no identity-based policy allows the iam:GetRole action",
    );

    let updated = scoped
        .update_role_description()
        .role_name("db")
        .description("blue team")
        .send()
        .await
        .expect("the tag condition holds for db");
    assert_eq!(updated.role().unwrap().description(), Some("blue team"));
    let f = rejects!(
        root,
        scoped
            .update_role_description()
            .role_name("app-two")
            .description("red team")
            .send(),
        "AccessDenied"
    );
    assert_denied(
        &f,
        "scoped",
        "iam:UpdateRoleDescription",
        None,
        "because no identity-based policy allows the iam:UpdateRoleDescription action",
    );
}

#[tokio::test]
async fn self_service_policy_with_variables() {
    let server = Server::start();
    let root = iam(&server);
    // The IAM User Guide's "manage your own access keys" policy.
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateAccessKey","iam:DeleteAccessKey","iam:ListAccessKeys","iam:UpdateAccessKey","iam:GetUser"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}"#;
    root.create_group()
        .group_name("self-service")
        .send()
        .await
        .unwrap();
    root.put_group_policy()
        .group_name("self-service")
        .policy_name("own-keys")
        .policy_document(policy)
        .send()
        .await
        .unwrap();
    let (id, secret) = user_with_key(&root, "liz").await;
    root.create_user().user_name("max").send().await.unwrap();
    for u in ["liz", "max"] {
        root.add_user_to_group()
            .group_name("self-service")
            .user_name(u)
            .send()
            .await
            .unwrap();
    }
    let liz = iam_with(&server, &id, &secret);

    // Her own keys, with and without UserName.
    let created = liz
        .create_access_key()
        .send()
        .await
        .expect("her own second key");
    let new_id = created.access_key().unwrap().access_key_id().to_string();
    assert_eq!(created.access_key().unwrap().user_name(), "liz");
    let keys = liz
        .list_access_keys()
        .user_name("liz")
        .send()
        .await
        .unwrap();
    assert_eq!(keys.access_key_metadata().len(), 2);
    liz.update_access_key()
        .access_key_id(&new_id)
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .expect("UpdateAccessKey on her own key");
    liz.delete_access_key()
        .access_key_id(&new_id)
        .send()
        .await
        .expect("DeleteAccessKey on her own key");
    let me = liz.get_user().send().await.unwrap();
    assert_eq!(me.user().unwrap().user_name(), "liz");

    // Not max's.
    let f = rejects!(
        root,
        liz.create_access_key().user_name("max").send(),
        "AccessDenied"
    );
    assert_denied(
        &f,
        "liz",
        "iam:CreateAccessKey",
        None,
        "because no identity-based policy allows the iam:CreateAccessKey action",
    );
    let f = rejects!(
        root,
        liz.list_access_keys().user_name("max").send(),
        "AccessDenied"
    );
    assert!(f.message.contains("iam:ListAccessKeys"), "{f:?}");
    // Nor anything else.
    let f = rejects!(root, liz.list_users().send(), "AccessDenied");
    assert!(f.message.contains("iam:ListUsers"), "{f:?}");
}
