//! Users, groups and access keys through the AWS SDK for Rust: create/read/list/update/
//! delete, memberships, inline and attached policies, tags, permissions boundaries and
//! access keys, with AWS's errors for invalid input.

#[macro_use]
mod common;

use aws_sdk_iam::types::StatusType;
use common::*;
use std::time::Duration;

#[tokio::test]
async fn user_lifecycle() {
    let server = Server::start();
    let iam = iam(&server);
    let boundary = aws_policy("PowerUserAccess");

    let created = iam
        .create_user()
        .user_name("alice")
        .path("/staff/")
        .tags(tag("dept", "eng"))
        .permissions_boundary(&boundary)
        .send()
        .await
        .expect("CreateUser");
    let u = created.user().expect("User");
    assert_eq!(u.user_name(), "alice");
    assert_eq!(u.path(), "/staff/");
    assert_eq!(u.arn(), "arn:aws:iam::123456789012:user/staff/alice");
    assert!(u.user_id().starts_with("AIDA"), "{}", u.user_id());
    assert_eq!(u.user_id().len(), 21);
    assert_recent(u.create_date());
    assert_eq!(tag_pairs(u.tags()), [("dept".into(), "eng".into())]);
    assert_eq!(
        u.permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn()),
        Some(boundary.as_str())
    );
    let alice_id = u.user_id().to_string();

    let got = iam
        .get_user()
        .user_name("alice")
        .send()
        .await
        .expect("GetUser");
    let g = got.user().expect("User");
    assert_eq!(g.user_id(), alice_id);
    assert_eq!(g.arn(), "arn:aws:iam::123456789012:user/staff/alice");
    assert_eq!(tag_pairs(g.tags()), [("dept".into(), "eng".into())]);
    assert!(g.password_last_used().is_none());

    // GetUser without a name answers for the caller: here the account root.
    let me = iam.get_user().send().await.expect("GetUser (root)");
    let me = me.user().expect("User");
    assert_eq!(me.arn(), "arn:aws:iam::123456789012:root");
    assert_eq!(me.user_id(), ACCOUNT_ID);

    iam.create_user().user_name("bob").send().await.unwrap();
    let listed = iam.list_users().send().await.expect("ListUsers");
    assert_eq!(
        listed
            .users()
            .iter()
            .map(|u| u.user_name())
            .collect::<Vec<_>>(),
        ["alice", "bob"]
    );
    assert!(!listed.is_truncated());
    let bob = &listed.users()[1];
    assert_eq!(bob.path(), "/");
    assert_eq!(bob.arn(), "arn:aws:iam::123456789012:user/bob");
    let staff = iam
        .list_users()
        .path_prefix("/staff/")
        .send()
        .await
        .unwrap();
    assert_eq!(
        staff
            .users()
            .iter()
            .map(|u| u.user_name())
            .collect::<Vec<_>>(),
        ["alice"]
    );

    // Rename and move alice; everything she holds follows her.
    iam.create_group().group_name("devs").send().await.unwrap();
    iam.add_user_to_group()
        .group_name("devs")
        .user_name("alice")
        .send()
        .await
        .unwrap();
    iam.put_user_policy()
        .user_name("alice")
        .policy_name("s3")
        .policy_document(S3_READ)
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    let key_id = key.access_key().unwrap().access_key_id().to_string();
    iam.update_user()
        .user_name("alice")
        .new_user_name("alice2")
        .new_path("/ops/")
        .send()
        .await
        .expect("UpdateUser");
    let f = fail(iam.get_user().user_name("alice").send().await);
    assert!(f.err.is_no_such_entity_exception(), "{f:?}");
    assert_eq!(f.message, "The user with name alice cannot be found.");
    let got = iam.get_user().user_name("alice2").send().await.unwrap();
    let g = got.user().unwrap();
    assert_eq!(g.user_id(), alice_id, "a rename keeps the unique ID");
    assert_eq!(g.path(), "/ops/");
    assert_eq!(g.arn(), "arn:aws:iam::123456789012:user/ops/alice2");
    let groups = iam
        .list_groups_for_user()
        .user_name("alice2")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.groups()[0].group_name(), "devs");
    let keys = iam
        .list_access_keys()
        .user_name("alice2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        keys.access_key_metadata()[0].access_key_id(),
        Some(key_id.as_str())
    );
    assert_eq!(keys.access_key_metadata()[0].user_name(), Some("alice2"));
    let inline = iam
        .list_user_policies()
        .user_name("alice2")
        .send()
        .await
        .unwrap();
    assert_eq!(inline.policy_names(), ["s3"]);
    let members = iam.get_group().group_name("devs").send().await.unwrap();
    assert_eq!(members.users()[0].user_name(), "alice2");

    // DeleteUser refuses while the user holds anything, in AWS's order.
    let f = rejects!(
        iam,
        iam.delete_user().user_name("alice2").send(),
        "DeleteConflict"
    );
    assert!(f.err.is_delete_conflict_exception());
    assert_eq!(f.status, 409);
    assert_eq!(
        f.message,
        "Cannot delete entity, must delete access keys first."
    );
    iam.delete_access_key()
        .user_name("alice2")
        .access_key_id(&key_id)
        .send()
        .await
        .unwrap();
    let f = rejects!(
        iam,
        iam.delete_user().user_name("alice2").send(),
        "DeleteConflict"
    );
    assert_eq!(
        f.message,
        "Cannot delete entity, must remove users from group first."
    );
    iam.remove_user_from_group()
        .group_name("devs")
        .user_name("alice2")
        .send()
        .await
        .unwrap();
    let f = rejects!(
        iam,
        iam.delete_user().user_name("alice2").send(),
        "DeleteConflict"
    );
    assert_eq!(
        f.message,
        "Cannot delete entity, must delete policies first."
    );
    iam.delete_user_policy()
        .user_name("alice2")
        .policy_name("s3")
        .send()
        .await
        .unwrap();
    iam.attach_user_policy()
        .user_name("alice2")
        .policy_arn(aws_policy("ReadOnlyAccess"))
        .send()
        .await
        .unwrap();
    let f = rejects!(
        iam,
        iam.delete_user().user_name("alice2").send(),
        "DeleteConflict"
    );
    assert_eq!(
        f.message,
        "Cannot delete entity, must detach all policies first."
    );
    iam.detach_user_policy()
        .user_name("alice2")
        .policy_arn(aws_policy("ReadOnlyAccess"))
        .send()
        .await
        .unwrap();
    iam.delete_user()
        .user_name("alice2")
        .send()
        .await
        .expect("DeleteUser");
    assert_eq!(all_user_names(&iam).await, ["bob"]);
}

#[tokio::test]
async fn user_invalid_input() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_user().user_name("carol").send().await.unwrap();
    iam.create_user().user_name("dave").send().await.unwrap();

    let f = rejects!(
        iam,
        iam.create_user().user_name("carol").send(),
        "EntityAlreadyExists"
    );
    assert!(f.err.is_entity_already_exists_exception());
    assert_eq!(f.message, "User with name carol already exists.");
    let f = rejects!(
        iam,
        iam.create_user().user_name("CAROL").send(),
        "EntityAlreadyExists"
    );
    assert!(f.err.is_entity_already_exists_exception());
    let f = rejects!(
        iam,
        iam.create_user().user_name("has space").send(),
        "ValidationError"
    );
    assert!(f.message.contains("'userName'"), "{f:?}");
    let f = rejects!(
        iam,
        iam.create_user().user_name("u".repeat(65)).send(),
        "ValidationError"
    );
    assert!(
        f.message.contains("length less than or equal to 64"),
        "{f:?}"
    );
    let f = rejects!(
        iam,
        iam.create_user().user_name("u1").path("noslash").send(),
        "ValidationError"
    );
    assert!(f.message.contains("'path'"), "{f:?}");
    let f = rejects!(
        iam,
        iam.create_user()
            .user_name("u1")
            .permissions_boundary(local_policy("missing"))
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.create_user()
            .user_name("u1")
            .tags(tag("aws:x", "y"))
            .send(),
        "InvalidInput"
    );
    assert!(f.err.is_invalid_input_exception());

    let f = rejects!(iam, iam.get_user().user_name("nope").send(), "NoSuchEntity");
    assert!(f.err.is_no_such_entity_exception());
    assert_eq!(f.status, 404);
    let f = rejects!(
        iam,
        iam.update_user()
            .user_name("nope")
            .new_user_name("x")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.update_user()
            .user_name("carol")
            .new_user_name("dave")
            .send(),
        "EntityAlreadyExists"
    );
    assert!(f.err.is_entity_already_exists_exception());
    let f = rejects!(
        iam,
        iam.update_user()
            .user_name("carol")
            .new_path("noslash")
            .send(),
        "ValidationError"
    );
    assert!(f.message.contains("newPath"), "{f:?}");
    let f = rejects!(
        iam,
        iam.delete_user().user_name("nope").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.list_users().path_prefix("noslash").send(),
        "ValidationError"
    );
    assert!(f.message.contains("pathPrefix"), "{f:?}");

    // Tags.
    iam.tag_user()
        .user_name("carol")
        .tags(tag("a", "1"))
        .tags(tag("b", "2"))
        .send()
        .await
        .expect("TagUser");
    iam.untag_user()
        .user_name("carol")
        .tag_keys("a")
        .send()
        .await
        .expect("UntagUser");
    let tags = iam
        .list_user_tags()
        .user_name("carol")
        .send()
        .await
        .expect("ListUserTags");
    assert_eq!(tag_pairs(tags.tags()), [("b".into(), "2".into())]);
    assert!(!tags.is_truncated());
    let f = rejects!(
        iam,
        iam.tag_user().user_name("nope").tags(tag("a", "1")).send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.tag_user()
            .user_name("carol")
            .tags(tag("x", "1"))
            .tags(tag("X", "2"))
            .send(),
        "InvalidInput"
    );
    assert!(f.message.contains("Duplicate tag keys"), "{f:?}");
    let f = rejects!(
        iam,
        iam.untag_user().user_name("nope").tag_keys("a").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.list_user_tags().user_name("nope").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());

    // Permissions boundaries.
    let readonly = aws_policy("ReadOnlyAccess");
    iam.put_user_permissions_boundary()
        .user_name("carol")
        .permissions_boundary(&readonly)
        .send()
        .await
        .expect("PutUserPermissionsBoundary");
    let got = iam.get_user().user_name("carol").send().await.unwrap();
    assert_eq!(
        got.user()
            .unwrap()
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn()),
        Some(readonly.as_str())
    );
    let f = rejects!(
        iam,
        iam.put_user_permissions_boundary()
            .user_name("carol")
            .permissions_boundary(local_policy("missing"))
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.put_user_permissions_boundary()
            .user_name("nope")
            .permissions_boundary(&readonly)
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    iam.delete_user_permissions_boundary()
        .user_name("carol")
        .send()
        .await
        .expect("DeleteUserPermissionsBoundary");
    let got = iam.get_user().user_name("carol").send().await.unwrap();
    assert!(got.user().unwrap().permissions_boundary().is_none());
    let f = rejects!(
        iam,
        iam.delete_user_permissions_boundary()
            .user_name("nope")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());

    assert_eq!(all_user_names(&iam).await, ["carol", "dave"]);
}

#[tokio::test]
async fn user_policies() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_user().user_name("erin").send().await.unwrap();

    iam.put_user_policy()
        .user_name("erin")
        .policy_name("s3")
        .policy_document(S3_READ)
        .send()
        .await
        .expect("PutUserPolicy");
    let got = iam
        .get_user_policy()
        .user_name("erin")
        .policy_name("s3")
        .send()
        .await
        .expect("GetUserPolicy");
    assert_eq!(got.user_name(), "erin");
    assert_eq!(got.policy_name(), "s3");
    assert!(same_json(&doc(got.policy_document()), S3_READ));
    let names = iam
        .list_user_policies()
        .user_name("erin")
        .send()
        .await
        .expect("ListUserPolicies");
    assert_eq!(names.policy_names(), ["s3"]);

    let f = rejects!(
        iam,
        iam.put_user_policy()
            .user_name("erin")
            .policy_name("p")
            .policy_document(IDENTITY_WITH_PRINCIPAL)
            .send(),
        "MalformedPolicyDocument"
    );
    assert!(f.err.is_malformed_policy_document_exception());
    let f = rejects!(
        iam,
        iam.put_user_policy()
            .user_name("erin")
            .policy_name("p")
            .policy_document(NOT_JSON)
            .send(),
        "MalformedPolicyDocument"
    );
    assert!(f.err.is_malformed_policy_document_exception());
    let f = rejects!(
        iam,
        iam.put_user_policy()
            .user_name("nope")
            .policy_name("p")
            .policy_document(S3_READ)
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    // The aggregate size of a user's inline policies is at most 2,048 characters.
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}/*"}}]}}"#,
        "b".repeat(2000)
    );
    let f = rejects!(
        iam,
        iam.put_user_policy()
            .user_name("erin")
            .policy_name("big")
            .policy_document(&big)
            .send(),
        "LimitExceeded"
    );
    assert!(f.message.contains("2048"), "{f:?}");
    let f = rejects!(
        iam,
        iam.get_user_policy()
            .user_name("erin")
            .policy_name("missing")
            .send(),
        "NoSuchEntity"
    );
    assert_eq!(
        f.message,
        "The user policy with name missing cannot be found."
    );
    let f = rejects!(
        iam,
        iam.delete_user_policy()
            .user_name("erin")
            .policy_name("missing")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.list_user_policies().user_name("nope").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    iam.delete_user_policy()
        .user_name("erin")
        .policy_name("s3")
        .send()
        .await
        .expect("DeleteUserPolicy");
    assert!(
        iam.list_user_policies()
            .user_name("erin")
            .send()
            .await
            .unwrap()
            .policy_names()
            .is_empty()
    );

    // Attached managed policies, ten at most.
    let names = [
        "ReadOnlyAccess",
        "PowerUserAccess",
        "IAMReadOnlyAccess",
        "AmazonS3ReadOnlyAccess",
        "AmazonEC2ReadOnlyAccess",
        "AmazonDynamoDBReadOnlyAccess",
        "AmazonSQSReadOnlyAccess",
        "AmazonSNSReadOnlyAccess",
        "CloudWatchReadOnlyAccess",
        "AWSLambda_ReadOnlyAccess",
    ];
    for n in names {
        iam.attach_user_policy()
            .user_name("erin")
            .policy_arn(aws_policy(n))
            .send()
            .await
            .unwrap_or_else(|e| panic!("AttachUserPolicy {n}: {e:?}"));
    }
    let attached = iam
        .list_attached_user_policies()
        .user_name("erin")
        .send()
        .await
        .expect("ListAttachedUserPolicies");
    let mut got: Vec<_> = attached
        .attached_policies()
        .iter()
        .map(|p| p.policy_name().unwrap().to_string())
        .collect();
    got.sort();
    let mut want: Vec<_> = names.iter().map(|n| n.to_string()).collect();
    want.sort();
    assert_eq!(got, want);
    let f = rejects!(
        iam,
        iam.attach_user_policy()
            .user_name("erin")
            .policy_arn(aws_policy("AmazonRDSReadOnlyAccess"))
            .send(),
        "LimitExceeded"
    );
    assert!(f.message.contains("PoliciesPerUser: 10"), "{f:?}");
    let f = rejects!(
        iam,
        iam.attach_user_policy()
            .user_name("nope")
            .policy_arn(aws_policy("ReadOnlyAccess"))
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.list_attached_user_policies().user_name("nope").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    iam.detach_user_policy()
        .user_name("erin")
        .policy_arn(aws_policy("ReadOnlyAccess"))
        .send()
        .await
        .expect("DetachUserPolicy");
    let f = rejects!(
        iam,
        iam.detach_user_policy()
            .user_name("erin")
            .policy_arn(aws_policy("ReadOnlyAccess"))
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let attached = iam
        .list_attached_user_policies()
        .user_name("erin")
        .send()
        .await
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 9);
}

#[tokio::test]
async fn groups() {
    let server = Server::start();
    let iam = iam(&server);
    for u in ["u1", "u2"] {
        iam.create_user().user_name(u).send().await.unwrap();
    }

    let created = iam
        .create_group()
        .group_name("admins")
        .path("/org/")
        .send()
        .await
        .expect("CreateGroup");
    let g = created.group().expect("Group");
    assert_eq!(g.group_name(), "admins");
    assert_eq!(g.path(), "/org/");
    assert_eq!(g.arn(), "arn:aws:iam::123456789012:group/org/admins");
    assert!(g.group_id().starts_with("AGPA"), "{}", g.group_id());
    assert_eq!(g.group_id().len(), 21);
    assert_recent(g.create_date());
    let group_id = g.group_id().to_string();
    iam.create_group()
        .group_name("readers")
        .send()
        .await
        .unwrap();

    let f = rejects!(
        iam,
        iam.create_group().group_name("admins").send(),
        "EntityAlreadyExists"
    );
    assert!(f.err.is_entity_already_exists_exception());
    let f = rejects!(
        iam,
        iam.create_group().group_name("bad name").send(),
        "ValidationError"
    );
    assert!(f.message.contains("groupName"), "{f:?}");
    let f = rejects!(
        iam,
        iam.create_group().group_name("g").path("noslash").send(),
        "ValidationError"
    );
    assert!(f.message.contains("'path'"), "{f:?}");

    // Members.
    for u in ["u2", "u1"] {
        iam.add_user_to_group()
            .group_name("admins")
            .user_name(u)
            .send()
            .await
            .expect("AddUserToGroup");
    }
    iam.add_user_to_group()
        .group_name("readers")
        .user_name("u1")
        .send()
        .await
        .unwrap();
    let f = rejects!(
        iam,
        iam.add_user_to_group()
            .group_name("admins")
            .user_name("nope")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.add_user_to_group()
            .group_name("nope")
            .user_name("u1")
            .send(),
        "NoSuchEntity"
    );
    assert_eq!(f.message, "The group with name nope cannot be found.");

    let got = iam
        .get_group()
        .group_name("admins")
        .send()
        .await
        .expect("GetGroup");
    let g = got.group().expect("Group");
    assert_eq!(g.group_id(), group_id);
    assert_eq!(g.arn(), "arn:aws:iam::123456789012:group/org/admins");
    let mut members: Vec<_> = got
        .users()
        .iter()
        .map(|u| (u.user_name(), u.arn()))
        .collect();
    members.sort();
    assert_eq!(
        members,
        [
            ("u1", "arn:aws:iam::123456789012:user/u1"),
            ("u2", "arn:aws:iam::123456789012:user/u2")
        ]
    );
    assert!(!got.is_truncated());
    let f = rejects!(
        iam,
        iam.get_group().group_name("nope").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());

    let listed = iam.list_groups().send().await.expect("ListGroups");
    assert_eq!(
        listed
            .groups()
            .iter()
            .map(|g| g.group_name())
            .collect::<Vec<_>>(),
        ["admins", "readers"]
    );
    let org = iam.list_groups().path_prefix("/org/").send().await.unwrap();
    assert_eq!(org.groups().len(), 1);
    let f = rejects!(
        iam,
        iam.list_groups().path_prefix("noslash").send(),
        "ValidationError"
    );
    assert!(f.message.contains("pathPrefix"), "{f:?}");

    let for_user = iam
        .list_groups_for_user()
        .user_name("u1")
        .send()
        .await
        .expect("ListGroupsForUser");
    assert_eq!(
        for_user
            .groups()
            .iter()
            .map(|g| g.group_name())
            .collect::<Vec<_>>(),
        ["admins", "readers"]
    );
    let f = rejects!(
        iam,
        iam.list_groups_for_user().user_name("nope").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());

    // Rename: members stay.
    iam.update_group()
        .group_name("admins")
        .new_group_name("owners")
        .new_path("/top/")
        .send()
        .await
        .expect("UpdateGroup");
    let got = iam.get_group().group_name("owners").send().await.unwrap();
    assert_eq!(got.group().unwrap().group_id(), group_id);
    assert_eq!(
        got.group().unwrap().arn(),
        "arn:aws:iam::123456789012:group/top/owners"
    );
    assert_eq!(got.users().len(), 2);
    let f = fail(iam.get_group().group_name("admins").send().await);
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.update_group()
            .group_name("owners")
            .new_group_name("readers")
            .send(),
        "EntityAlreadyExists"
    );
    assert!(f.err.is_entity_already_exists_exception());
    let f = rejects!(
        iam,
        iam.update_group()
            .group_name("nope")
            .new_group_name("x")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());

    // Group policies.
    iam.put_group_policy()
        .group_name("owners")
        .policy_name("ec2")
        .policy_document(EC2_DESCRIBE)
        .send()
        .await
        .expect("PutGroupPolicy");
    let gp = iam
        .get_group_policy()
        .group_name("owners")
        .policy_name("ec2")
        .send()
        .await
        .expect("GetGroupPolicy");
    assert_eq!(gp.group_name(), "owners");
    assert!(same_json(&doc(gp.policy_document()), EC2_DESCRIBE));
    let names = iam
        .list_group_policies()
        .group_name("owners")
        .send()
        .await
        .expect("ListGroupPolicies");
    assert_eq!(names.policy_names(), ["ec2"]);
    let f = rejects!(
        iam,
        iam.put_group_policy()
            .group_name("owners")
            .policy_name("p")
            .policy_document(IDENTITY_WITH_PRINCIPAL)
            .send(),
        "MalformedPolicyDocument"
    );
    assert!(f.err.is_malformed_policy_document_exception());
    let f = rejects!(
        iam,
        iam.put_group_policy()
            .group_name("nope")
            .policy_name("p")
            .policy_document(S3_READ)
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.get_group_policy()
            .group_name("owners")
            .policy_name("missing")
            .send(),
        "NoSuchEntity"
    );
    assert_eq!(
        f.message,
        "The group policy with name missing cannot be found."
    );
    let f = rejects!(
        iam,
        iam.list_group_policies().group_name("nope").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.delete_group_policy()
            .group_name("owners")
            .policy_name("missing")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());

    iam.attach_group_policy()
        .group_name("owners")
        .policy_arn(aws_policy("ReadOnlyAccess"))
        .send()
        .await
        .expect("AttachGroupPolicy");
    let attached = iam
        .list_attached_group_policies()
        .group_name("owners")
        .send()
        .await
        .expect("ListAttachedGroupPolicies");
    assert_eq!(attached.attached_policies().len(), 1);
    assert_eq!(
        attached.attached_policies()[0].policy_name(),
        Some("ReadOnlyAccess")
    );
    assert_eq!(
        attached.attached_policies()[0].policy_arn(),
        Some("arn:aws:iam::aws:policy/ReadOnlyAccess")
    );
    let f = rejects!(
        iam,
        iam.attach_group_policy()
            .group_name("owners")
            .policy_arn(aws_policy("NoSuchPolicyAnywhere"))
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.list_attached_group_policies().group_name("nope").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());

    // DeleteGroup refuses while it has members, then policies.
    let f = rejects!(
        iam,
        iam.delete_group().group_name("owners").send(),
        "DeleteConflict"
    );
    assert!(f.err.is_delete_conflict_exception());
    assert_eq!(
        f.message,
        "Cannot delete entity, must remove users from group first."
    );
    for u in ["u1", "u2"] {
        iam.remove_user_from_group()
            .group_name("owners")
            .user_name(u)
            .send()
            .await
            .expect("RemoveUserFromGroup");
    }
    let f = rejects!(
        iam,
        iam.remove_user_from_group()
            .group_name("owners")
            .user_name("nope")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    assert!(
        iam.get_group()
            .group_name("owners")
            .send()
            .await
            .unwrap()
            .users()
            .is_empty()
    );
    let f = rejects!(
        iam,
        iam.delete_group().group_name("owners").send(),
        "DeleteConflict"
    );
    assert_eq!(
        f.message,
        "Cannot delete entity, must detach all policies first."
    );
    iam.detach_group_policy()
        .group_name("owners")
        .policy_arn(aws_policy("ReadOnlyAccess"))
        .send()
        .await
        .expect("DetachGroupPolicy");
    let f = rejects!(
        iam,
        iam.detach_group_policy()
            .group_name("owners")
            .policy_arn(aws_policy("ReadOnlyAccess"))
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.delete_group().group_name("owners").send(),
        "DeleteConflict"
    );
    assert_eq!(
        f.message,
        "Cannot delete entity, must delete policies first."
    );
    iam.delete_group_policy()
        .group_name("owners")
        .policy_name("ec2")
        .send()
        .await
        .expect("DeleteGroupPolicy");
    iam.delete_group()
        .group_name("owners")
        .send()
        .await
        .expect("DeleteGroup");
    let f = rejects!(
        iam,
        iam.delete_group().group_name("owners").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let listed = iam.list_groups().send().await.unwrap();
    assert_eq!(
        listed
            .groups()
            .iter()
            .map(|g| g.group_name())
            .collect::<Vec<_>>(),
        ["readers"]
    );
    let for_user = iam
        .list_groups_for_user()
        .user_name("u1")
        .send()
        .await
        .unwrap();
    assert_eq!(for_user.groups().len(), 1);
}

#[tokio::test]
async fn access_keys() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_user().user_name("frank").send().await.unwrap();
    iam.create_user().user_name("grace").send().await.unwrap();

    let k1 = iam
        .create_access_key()
        .user_name("frank")
        .send()
        .await
        .expect("CreateAccessKey");
    let k1 = k1.access_key().expect("AccessKey").clone();
    assert_eq!(k1.user_name(), "frank");
    assert!(
        k1.access_key_id().starts_with("AKIA"),
        "{}",
        k1.access_key_id()
    );
    assert_eq!(k1.access_key_id().len(), 20);
    assert!(
        k1.access_key_id()
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );
    assert_eq!(k1.secret_access_key().len(), 40);
    assert_eq!(k1.status(), &StatusType::Active);
    assert_recent(k1.create_date().expect("CreateDate"));
    let k2 = iam
        .create_access_key()
        .user_name("frank")
        .send()
        .await
        .unwrap();
    let k2 = k2.access_key().unwrap().clone();
    assert_ne!(k1.access_key_id(), k2.access_key_id());
    assert_ne!(k1.secret_access_key(), k2.secret_access_key());

    // The new key works, for STS and IAM, as the user.
    let who = sts_with(&server, k1.access_key_id(), k1.secret_access_key())
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity with the new key");
    assert_eq!(who.arn(), Some("arn:aws:iam::123456789012:user/frank"));
    assert_eq!(who.account(), Some(ACCOUNT_ID));
    let frank = iam.get_user().user_name("frank").send().await.unwrap();
    assert_eq!(who.user_id(), Some(frank.user().unwrap().user_id()));

    // A third key is over the quota.
    let f = rejects!(
        iam,
        iam.create_access_key().user_name("frank").send(),
        "LimitExceeded"
    );
    assert!(f.err.is_limit_exceeded_exception());
    assert_eq!(f.status, 409);
    assert_eq!(f.message, "Cannot exceed quota for AccessKeysPerUser: 2");
    let f = rejects!(
        iam,
        iam.create_access_key().user_name("nope").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());

    let listed = iam
        .list_access_keys()
        .user_name("frank")
        .send()
        .await
        .expect("ListAccessKeys");
    let mut ids: Vec<_> = listed
        .access_key_metadata()
        .iter()
        .map(|k| k.access_key_id().unwrap().to_string())
        .collect();
    ids.sort();
    let mut want = vec![
        k1.access_key_id().to_string(),
        k2.access_key_id().to_string(),
    ];
    want.sort();
    assert_eq!(ids, want);
    for k in listed.access_key_metadata() {
        assert_eq!(k.user_name(), Some("frank"));
        assert_eq!(k.status(), Some(&StatusType::Active));
        assert_recent(k.create_date().unwrap());
    }
    assert!(
        iam.list_access_keys()
            .user_name("grace")
            .send()
            .await
            .unwrap()
            .access_key_metadata()
            .is_empty()
    );
    let f = rejects!(
        iam,
        iam.list_access_keys().user_name("nope").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    // Root's own keys (no UserName): the root key of the server.
    let root_keys = iam.list_access_keys().send().await.unwrap();
    assert_eq!(
        root_keys
            .access_key_metadata()
            .iter()
            .map(|k| k.access_key_id().unwrap())
            .collect::<Vec<_>>(),
        [server.root().access_key_id.as_str()]
    );

    // GetAccessKeyLastUsed: k1 was used for STS above; k2 never.
    let mut used = None;
    for _ in 0..50 {
        let r = iam
            .get_access_key_last_used()
            .access_key_id(k1.access_key_id())
            .send()
            .await
            .expect("GetAccessKeyLastUsed");
        if r.access_key_last_used()
            .and_then(|l| l.last_used_date())
            .is_some()
        {
            used = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let used = used.expect("the use of k1 is recorded");
    assert_eq!(used.user_name(), Some("frank"));
    let last = used.access_key_last_used().unwrap();
    assert_eq!(last.service_name(), "sts");
    assert_eq!(last.region(), "us-east-1");
    assert_recent(last.last_used_date().unwrap());
    let unused = iam
        .get_access_key_last_used()
        .access_key_id(k2.access_key_id())
        .send()
        .await
        .unwrap();
    let last = unused.access_key_last_used().unwrap();
    assert!(last.last_used_date().is_none());
    assert_eq!(last.service_name(), "N/A");
    assert_eq!(last.region(), "N/A");
    let f = rejects!(
        iam,
        iam.get_access_key_last_used()
            .access_key_id("AKIAAAAAAAAAAAAAAAAA")
            .send(),
        "AccessDenied"
    );
    assert_eq!(f.status, 403);
    let f = rejects!(
        iam,
        iam.get_access_key_last_used().access_key_id("short").send(),
        "ValidationError"
    );
    assert!(f.message.contains("accessKeyId"), "{f:?}");

    // UpdateAccessKey: Inactive, then Active again.
    iam.update_access_key()
        .user_name("frank")
        .access_key_id(k2.access_key_id())
        .status(StatusType::Inactive)
        .send()
        .await
        .expect("UpdateAccessKey");
    let listed = iam
        .list_access_keys()
        .user_name("frank")
        .send()
        .await
        .unwrap();
    let k2_meta = listed
        .access_key_metadata()
        .iter()
        .find(|k| k.access_key_id() == Some(k2.access_key_id()))
        .unwrap();
    assert_eq!(k2_meta.status(), Some(&StatusType::Inactive));
    let f = fail(
        sts_with(&server, k2.access_key_id(), k2.secret_access_key())
            .get_caller_identity()
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidClientTokenId", "an inactive key is refused");
    iam.update_access_key()
        .user_name("frank")
        .access_key_id(k2.access_key_id())
        .status(StatusType::Active)
        .send()
        .await
        .unwrap();
    sts_with(&server, k2.access_key_id(), k2.secret_access_key())
        .get_caller_identity()
        .send()
        .await
        .expect("active again");
    let f = rejects!(
        iam,
        iam.update_access_key()
            .user_name("frank")
            .access_key_id(k2.access_key_id())
            .status(StatusType::from("Bogus"))
            .send(),
        "ValidationError"
    );
    assert!(f.message.contains("status"), "{f:?}");
    let f = rejects!(
        iam,
        iam.update_access_key()
            .user_name("grace")
            .access_key_id(k2.access_key_id())
            .status(StatusType::Inactive)
            .send(),
        "NoSuchEntity"
    );
    assert_eq!(
        f.message,
        format!(
            "The Access Key with id {} cannot be found.",
            k2.access_key_id()
        )
    );
    let f = rejects!(
        iam,
        iam.update_access_key()
            .user_name("frank")
            .access_key_id("AKIAAAAAAAAAAAAAAAAA")
            .status(StatusType::Inactive)
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());

    // DeleteAccessKey: only the owner's key; then the key no longer authenticates.
    let f = rejects!(
        iam,
        iam.delete_access_key()
            .user_name("grace")
            .access_key_id(k1.access_key_id())
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    iam.delete_access_key()
        .user_name("frank")
        .access_key_id(k1.access_key_id())
        .send()
        .await
        .expect("DeleteAccessKey");
    let f = fail(
        sts_with(&server, k1.access_key_id(), k1.secret_access_key())
            .get_caller_identity()
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidClientTokenId");
    assert_eq!(f.status, 403);
    let listed = iam
        .list_access_keys()
        .user_name("frank")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.access_key_metadata().len(), 1);
    // A slot is free again.
    iam.create_access_key()
        .user_name("frank")
        .send()
        .await
        .expect("a second key after a deletion");
}

#[tokio::test]
async fn get_user_without_name_as_iam_user() {
    let server = Server::start();
    let root = iam(&server);
    let (id, secret) = user_with_key(&root, "henry").await;
    root.put_user_policy()
        .user_name("henry")
        .policy_name("self")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:ListAccessKeys"],"Resource":"arn:aws:iam::123456789012:user/henry"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let henry = iam_with(&server, &id, &secret);
    let me = henry.get_user().send().await.expect("GetUser as henry");
    let me = me.user().unwrap();
    assert_eq!(me.user_name(), "henry");
    assert_eq!(me.arn(), "arn:aws:iam::123456789012:user/henry");
    // Access-key operations without UserName are about the caller too.
    let keys = henry
        .list_access_keys()
        .send()
        .await
        .expect("ListAccessKeys as henry");
    assert_eq!(
        keys.access_key_metadata()
            .iter()
            .map(|k| k.access_key_id().unwrap())
            .collect::<Vec<_>>(),
        [id.as_str()]
    );
    // Another user is outside the policy's resource.
    root.create_user().user_name("ivy").send().await.unwrap();
    let f = fail(henry.get_user().user_name("ivy").send().await);
    assert_eq!(f.code, "AccessDenied");
    assert!(
        f.message.starts_with(
            "User: arn:aws:iam::123456789012:user/henry is not authorized to perform: iam:GetUser on resource: "
        ),
        "{f:?}"
    );
    assert!(
        f.message
            .ends_with("because no identity-based policy allows the iam:GetUser action"),
        "{f:?}"
    );
}
