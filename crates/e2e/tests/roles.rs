//! Roles through the AWS SDK for Rust: create/read/list/update/delete, trust policies,
//! tags, permissions boundaries, inline and attached policies, service-linked roles and
//! instance profiles, with the errors AWS gives for invalid input.

#[macro_use]
mod common;

use aws_sdk_iam::types::DeletionTaskStatusType;
use common::*;

#[tokio::test]
async fn role_lifecycle() {
    let server = Server::start();
    let iam = iam(&server);
    let boundary = aws_policy("PowerUserAccess");

    let created = iam
        .create_role()
        .role_name("app-role")
        .path("/app/")
        .assume_role_policy_document(TRUST_EC2)
        .description("runs the app")
        .max_session_duration(7200)
        .tags(tag("team", "core"))
        .tags(tag("env", "test"))
        .permissions_boundary(&boundary)
        .send()
        .await
        .expect("CreateRole");
    let role = created.role().expect("Role");
    assert_eq!(role.role_name(), "app-role");
    assert_eq!(role.path(), "/app/");
    assert_eq!(role.arn(), "arn:aws:iam::123456789012:role/app/app-role");
    assert!(role.role_id().starts_with("AROA"), "{}", role.role_id());
    assert_eq!(role.role_id().len(), 21);
    assert!(
        role.role_id()[4..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );
    assert_recent(role.create_date());
    assert!(same_json(
        &doc(role.assume_role_policy_document().expect("trust policy")),
        TRUST_EC2
    ));
    // AWS's CreateRole answer has no MaxSessionDuration (GetRole has it).
    assert_eq!(role.max_session_duration(), None);
    assert_eq!(
        tag_pairs(role.tags()),
        [
            ("team".into(), "core".into()),
            ("env".into(), "test".into())
        ]
    );
    let role_id = role.role_id().to_string();

    // GetRole shows everything, including what CreateRole does not echo.
    let got = iam
        .get_role()
        .role_name("app-role")
        .send()
        .await
        .expect("GetRole");
    let got = got.role().expect("Role");
    assert_eq!(got.role_id(), role_id);
    assert_eq!(got.arn(), "arn:aws:iam::123456789012:role/app/app-role");
    assert_eq!(got.description(), Some("runs the app"));
    assert_eq!(got.max_session_duration(), Some(7200));
    let pb = got.permissions_boundary().expect("PermissionsBoundary");
    assert_eq!(pb.permissions_boundary_arn(), Some(boundary.as_str()));
    // AWS answers `Policy`, which the SDK's enum (from the model's
    // `PermissionsBoundaryPolicy`) does not know.
    assert_eq!(
        pb.permissions_boundary_type().map(|t| t.as_str()),
        Some("Policy")
    );
    assert_eq!(tag_pairs(got.tags()).len(), 2);
    assert!(same_json(
        &doc(got.assume_role_policy_document().unwrap()),
        TRUST_EC2
    ));
    // Role names are unique without regard to case, and GetRole finds them either way.
    let got = iam
        .get_role()
        .role_name("APP-ROLE")
        .send()
        .await
        .expect("GetRole");
    assert_eq!(got.role().unwrap().role_name(), "app-role");

    // ListRoles with and without PathPrefix.
    iam.create_role()
        .role_name("other")
        .assume_role_policy_document(TRUST_LAMBDA)
        .send()
        .await
        .expect("CreateRole");
    let all = iam.list_roles().send().await.expect("ListRoles");
    let names: Vec<_> = all.roles().iter().map(|r| r.role_name()).collect();
    assert_eq!(names, ["app-role", "other"]);
    assert!(!all.is_truncated());
    assert_eq!(all.marker(), None);
    // ListRoles leaves out tags, permissions boundary and last use, as AWS does.
    let listed = &all.roles()[0];
    assert!(listed.tags().is_empty() && listed.permissions_boundary().is_none());
    assert!(listed.role_last_used().is_none());
    assert_eq!(listed.max_session_duration(), Some(7200));
    let listed = &all.roles()[1];
    assert_eq!(listed.path(), "/");
    assert_eq!(listed.max_session_duration(), Some(3600));
    let app = iam
        .list_roles()
        .path_prefix("/app/")
        .send()
        .await
        .expect("ListRoles");
    let names: Vec<_> = app.roles().iter().map(|r| r.role_name()).collect();
    assert_eq!(names, ["app-role"]);
    let none = iam
        .list_roles()
        .path_prefix("/nothing/")
        .send()
        .await
        .expect("ListRoles");
    assert!(none.roles().is_empty());

    // UpdateRole changes the description and the maximum session duration.
    iam.update_role()
        .role_name("app-role")
        .description("new description")
        .max_session_duration(43200)
        .send()
        .await
        .expect("UpdateRole");
    let got = iam.get_role().role_name("app-role").send().await.unwrap();
    assert_eq!(got.role().unwrap().description(), Some("new description"));
    assert_eq!(got.role().unwrap().max_session_duration(), Some(43200));

    // UpdateRoleDescription answers with the role.
    let updated = iam
        .update_role_description()
        .role_name("app-role")
        .description("third description")
        .send()
        .await
        .expect("UpdateRoleDescription");
    let r = updated.role().expect("Role");
    assert_eq!(r.description(), Some("third description"));
    assert_eq!(r.role_id(), role_id);
    // Without the maximum session duration, last use or boundary, as AWS answers.
    assert_eq!(r.max_session_duration(), None);
    assert!(r.role_last_used().is_none() && r.permissions_boundary().is_none());

    // UpdateAssumeRolePolicy replaces the trust policy.
    iam.update_assume_role_policy()
        .role_name("app-role")
        .policy_document(TRUST_LAMBDA)
        .send()
        .await
        .expect("UpdateAssumeRolePolicy");
    let got = iam.get_role().role_name("app-role").send().await.unwrap();
    assert!(same_json(
        &doc(got.role().unwrap().assume_role_policy_document().unwrap()),
        TRUST_LAMBDA
    ));

    // DeleteRole.
    iam.delete_role()
        .role_name("app-role")
        .send()
        .await
        .expect("DeleteRole");
    let f = fail(iam.get_role().role_name("app-role").send().await);
    assert!(f.err.is_no_such_entity_exception(), "{f:?}");
    assert_eq!(f.status, 404);
    assert_eq!(f.message, "The role with name app-role cannot be found.");
    assert_eq!(all_role_names(&iam).await, ["other"]);
}

#[tokio::test]
async fn role_invalid_input() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_role()
        .role_name("existing")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap();

    let create = |name: &str, doc: &str| {
        iam.create_role()
            .role_name(name)
            .assume_role_policy_document(doc)
    };

    // EntityAlreadyExists, also for a name that differs only in case.
    let f = rejects!(
        iam,
        create("existing", TRUST_EC2).send(),
        "EntityAlreadyExists"
    );
    assert!(f.err.is_entity_already_exists_exception());
    assert_eq!(f.status, 409);
    assert_eq!(f.message, "Role with name existing already exists.");
    let f = rejects!(
        iam,
        create("EXISTING", TRUST_EC2).send(),
        "EntityAlreadyExists"
    );
    assert!(f.err.is_entity_already_exists_exception());

    // MalformedPolicyDocument: a trust policy with Resource, an identity policy as trust
    // policy (no Principal), and text that is not JSON.
    let f = rejects!(
        iam,
        create("r1", TRUST_WITH_RESOURCE).send(),
        "MalformedPolicyDocument"
    );
    assert!(f.err.is_malformed_policy_document_exception());
    assert_eq!(f.status, 400);
    assert!(f.message.contains("Resource"), "{f:?}");
    let f = rejects!(iam, create("r1", S3_READ).send(), "MalformedPolicyDocument");
    assert!(f.err.is_malformed_policy_document_exception());
    let f = rejects!(
        iam,
        create("r1", NOT_JSON).send(),
        "MalformedPolicyDocument"
    );
    assert!(f.err.is_malformed_policy_document_exception());
    assert_eq!(f.message, "This policy contains invalid Json");

    // ValidationError from the model's constraints.
    let f = rejects!(iam, create("bad name", TRUST_EC2).send(), "ValidationError");
    assert_eq!(f.status, 400);
    assert!(
        f.message.contains("'roleName'") && f.message.contains("regular expression pattern"),
        "{f:?}"
    );
    let long = "r".repeat(65);
    let f = rejects!(iam, create(&long, TRUST_EC2).send(), "ValidationError");
    assert!(
        f.message.contains("length less than or equal to 64"),
        "{f:?}"
    );
    // 64 characters is fine.
    let ok = "r".repeat(64);
    create(&ok, TRUST_EC2)
        .send()
        .await
        .expect("a 64-character name");
    iam.delete_role().role_name(&ok).send().await.unwrap();
    let f = rejects!(
        iam,
        create("r1", TRUST_EC2).path("noslash").send(),
        "ValidationError"
    );
    assert!(f.message.contains("'path'"), "{f:?}");
    let f = rejects!(
        iam,
        create("r1", TRUST_EC2).max_session_duration(100).send(),
        "ValidationError"
    );
    assert!(
        f.message.contains("maxSessionDuration")
            && f.message.contains("greater than or equal to 3600"),
        "{f:?}"
    );
    let f = rejects!(
        iam,
        create("r1", TRUST_EC2).max_session_duration(43201).send(),
        "ValidationError"
    );
    assert!(f.message.contains("less than or equal to 43200"), "{f:?}");

    // A permissions boundary that does not exist.
    let f = rejects!(
        iam,
        create("r1", TRUST_EC2)
            .permissions_boundary(local_policy("missing"))
            .send(),
        "NoSuchEntity"
    );
    assert!(
        f.message.contains("does not exist or is not attachable"),
        "{f:?}"
    );

    // Tags: reserved prefix, duplicate keys (case-insensitive).
    let f = rejects!(
        iam,
        create("r1", TRUST_EC2).tags(tag("aws:x", "1")).send(),
        "InvalidInput"
    );
    assert!(f.err.is_invalid_input_exception());
    let f = rejects!(
        iam,
        create("r1", TRUST_EC2)
            .tags(tag("k", "1"))
            .tags(tag("K", "2"))
            .send(),
        "InvalidInput"
    );
    assert!(f.message.contains("Duplicate tag keys"), "{f:?}");

    // Operations on a role that does not exist.
    let f = rejects!(iam, iam.get_role().role_name("nope").send(), "NoSuchEntity");
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.update_role().role_name("nope").description("d").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.update_role_description()
            .role_name("nope")
            .description("d")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.update_assume_role_policy()
            .role_name("nope")
            .policy_document(TRUST_EC2)
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.delete_role().role_name("nope").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());

    // Invalid updates of an existing role.
    let f = rejects!(
        iam,
        iam.update_role()
            .role_name("existing")
            .max_session_duration(100)
            .send(),
        "ValidationError"
    );
    assert!(f.message.contains("maxSessionDuration"), "{f:?}");
    let f = rejects!(
        iam,
        iam.update_assume_role_policy()
            .role_name("existing")
            .policy_document(TRUST_WITH_RESOURCE)
            .send(),
        "MalformedPolicyDocument"
    );
    assert!(f.err.is_malformed_policy_document_exception());
    let f = rejects!(
        iam,
        iam.update_assume_role_policy()
            .role_name("existing")
            .policy_document(NOT_JSON)
            .send(),
        "MalformedPolicyDocument"
    );
    assert!(f.err.is_malformed_policy_document_exception());
    assert_eq!(f.message, "This policy contains invalid Json");
    let f = rejects!(
        iam,
        iam.update_role_description()
            .role_name("existing")
            .description("x".repeat(1001))
            .send(),
        "ValidationError"
    );
    assert!(f.message.contains("description"), "{f:?}");
    let f = rejects!(
        iam,
        iam.list_roles().path_prefix("noslash").send(),
        "ValidationError"
    );
    assert!(f.message.contains("pathPrefix"), "{f:?}");

    assert_eq!(all_role_names(&iam).await, ["existing"]);
}

#[tokio::test]
async fn role_tags_and_boundaries() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_role()
        .role_name("tagged")
        .assume_role_policy_document(TRUST_EC2)
        .tags(tag("a", "1"))
        .send()
        .await
        .unwrap();

    // TagRole adds and overwrites (keys compare without regard to case).
    iam.tag_role()
        .role_name("tagged")
        .tags(tag("b", "2"))
        .tags(tag("A", "one"))
        .send()
        .await
        .expect("TagRole");
    let tags = iam
        .list_role_tags()
        .role_name("tagged")
        .send()
        .await
        .expect("ListRoleTags");
    let pairs = tag_pairs(tags.tags());
    assert_eq!(pairs.len(), 2, "{pairs:?}");
    assert!(
        pairs
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("a") && v == "one"),
        "TagRole replaces the value of a key present in another case: {pairs:?}"
    );
    assert!(pairs.contains(&("b".into(), "2".into())), "{pairs:?}");
    assert!(!tags.is_truncated());

    // UntagRole; removing a key that is not there is fine.
    iam.untag_role()
        .role_name("tagged")
        .tag_keys("a")
        .tag_keys("absent")
        .send()
        .await
        .expect("UntagRole");
    let tags = iam
        .list_role_tags()
        .role_name("tagged")
        .send()
        .await
        .unwrap();
    assert_eq!(tag_pairs(tags.tags()), [("b".into(), "2".into())]);

    // 50 tags at most.
    let many: Vec<_> = (0..49).map(|i| tag(&format!("k{i:02}"), "v")).collect();
    iam.tag_role()
        .role_name("tagged")
        .set_tags(Some(many))
        .send()
        .await
        .expect("TagRole up to 50");
    let f = rejects!(
        iam,
        iam.tag_role()
            .role_name("tagged")
            .tags(tag("one-more", "v"))
            .send(),
        "LimitExceeded"
    );
    assert!(f.err.is_limit_exceeded_exception());
    let f = rejects!(
        iam,
        iam.tag_role()
            .role_name("tagged")
            .tags(tag("aws:reserved", "v"))
            .send(),
        "InvalidInput"
    );
    assert!(f.err.is_invalid_input_exception());
    let f = rejects!(
        iam,
        iam.tag_role().role_name("nope").tags(tag("k", "v")).send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.untag_role().role_name("nope").tag_keys("k").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.list_role_tags().role_name("nope").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.untag_role().role_name("tagged").send(),
        "ValidationError"
    );
    assert!(f.message.contains("tagKeys"), "{f:?}");

    // Permissions boundaries: AWS managed and customer managed.
    let readonly = aws_policy("ReadOnlyAccess");
    iam.put_role_permissions_boundary()
        .role_name("tagged")
        .permissions_boundary(&readonly)
        .send()
        .await
        .expect("PutRolePermissionsBoundary");
    let got = iam.get_role().role_name("tagged").send().await.unwrap();
    assert_eq!(
        got.role()
            .unwrap()
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn()),
        Some(readonly.as_str())
    );
    let f = rejects!(
        iam,
        iam.put_role_permissions_boundary()
            .role_name("tagged")
            .permissions_boundary(local_policy("missing"))
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.put_role_permissions_boundary()
            .role_name("nope")
            .permissions_boundary(&readonly)
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.put_role_permissions_boundary()
            .role_name("tagged")
            .permissions_boundary("not-an-arn")
            .send(),
        "ValidationError"
    );
    assert!(f.message.contains("permissionsBoundary"), "{f:?}");
    iam.delete_role_permissions_boundary()
        .role_name("tagged")
        .send()
        .await
        .expect("DeleteRolePermissionsBoundary");
    let got = iam.get_role().role_name("tagged").send().await.unwrap();
    assert!(got.role().unwrap().permissions_boundary().is_none());
    let f = rejects!(
        iam,
        iam.delete_role_permissions_boundary()
            .role_name("nope")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
}

#[tokio::test]
async fn role_policies() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_role()
        .role_name("worker")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap();

    // Inline policies.
    iam.put_role_policy()
        .role_name("worker")
        .policy_name("s3")
        .policy_document(S3_READ)
        .send()
        .await
        .expect("PutRolePolicy");
    iam.put_role_policy()
        .role_name("worker")
        .policy_name("ec2")
        .policy_document(EC2_DESCRIBE)
        .send()
        .await
        .expect("PutRolePolicy");
    let got = iam
        .get_role_policy()
        .role_name("worker")
        .policy_name("s3")
        .send()
        .await
        .expect("GetRolePolicy");
    assert_eq!(got.role_name(), "worker");
    assert_eq!(got.policy_name(), "s3");
    assert!(
        same_json(&doc(got.policy_document()), S3_READ),
        "{}",
        got.policy_document()
    );
    let names = iam
        .list_role_policies()
        .role_name("worker")
        .send()
        .await
        .expect("ListRolePolicies");
    assert_eq!(names.policy_names(), ["ec2", "s3"]);
    assert!(!names.is_truncated());
    // Put again replaces.
    iam.put_role_policy()
        .role_name("worker")
        .policy_name("s3")
        .policy_document(EC2_DESCRIBE)
        .send()
        .await
        .unwrap();
    let got = iam
        .get_role_policy()
        .role_name("worker")
        .policy_name("s3")
        .send()
        .await
        .unwrap();
    assert!(same_json(&doc(got.policy_document()), EC2_DESCRIBE));

    let f = rejects!(
        iam,
        iam.put_role_policy()
            .role_name("worker")
            .policy_name("p")
            .policy_document(IDENTITY_WITH_PRINCIPAL)
            .send(),
        "MalformedPolicyDocument"
    );
    assert!(f.err.is_malformed_policy_document_exception());
    assert!(f.message.to_lowercase().contains("principal"), "{f:?}");
    let f = rejects!(
        iam,
        iam.put_role_policy()
            .role_name("worker")
            .policy_name("p")
            .policy_document(NOT_JSON)
            .send(),
        "MalformedPolicyDocument"
    );
    assert!(f.err.is_malformed_policy_document_exception());
    let f = rejects!(
        iam,
        iam.put_role_policy()
            .role_name("nope")
            .policy_name("p")
            .policy_document(S3_READ)
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.put_role_policy()
            .role_name("worker")
            .policy_name("bad name")
            .policy_document(S3_READ)
            .send(),
        "ValidationError"
    );
    assert!(f.message.contains("policyName"), "{f:?}");
    let f = rejects!(
        iam,
        iam.get_role_policy()
            .role_name("worker")
            .policy_name("missing")
            .send(),
        "NoSuchEntity"
    );
    assert_eq!(
        f.message,
        "The role policy with name missing cannot be found."
    );
    let f = rejects!(
        iam,
        iam.list_role_policies().role_name("nope").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.delete_role_policy()
            .role_name("worker")
            .policy_name("missing")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());

    // DeleteRole refuses while inline policies remain.
    let f = rejects!(
        iam,
        iam.delete_role().role_name("worker").send(),
        "DeleteConflict"
    );
    assert!(f.err.is_delete_conflict_exception());
    assert_eq!(f.status, 409);
    assert_eq!(
        f.message,
        "Cannot delete entity, must delete policies first."
    );
    iam.delete_role_policy()
        .role_name("worker")
        .policy_name("s3")
        .send()
        .await
        .expect("DeleteRolePolicy");
    iam.delete_role_policy()
        .role_name("worker")
        .policy_name("ec2")
        .send()
        .await
        .unwrap();
    let names = iam
        .list_role_policies()
        .role_name("worker")
        .send()
        .await
        .unwrap();
    assert!(names.policy_names().is_empty());

    // Managed policies: attach ten, the eleventh is over the quota.
    let aws: Vec<String> = [
        "ReadOnlyAccess",
        "PowerUserAccess",
        "IAMReadOnlyAccess",
        "AmazonS3ReadOnlyAccess",
        "AmazonEC2ReadOnlyAccess",
        "AmazonDynamoDBReadOnlyAccess",
        "AmazonSQSReadOnlyAccess",
        "AmazonSNSReadOnlyAccess",
        "CloudWatchReadOnlyAccess",
    ]
    .iter()
    .map(|n| aws_policy(n))
    .collect();
    let local = iam
        .create_policy()
        .policy_name("mine")
        .policy_document(S3_READ)
        .send()
        .await
        .unwrap();
    let local_arn = local.policy().unwrap().arn().unwrap().to_string();
    for arn in aws.iter().chain([&local_arn]) {
        iam.attach_role_policy()
            .role_name("worker")
            .policy_arn(arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("AttachRolePolicy {arn}: {e:?}"));
    }
    // Attaching one already attached changes nothing and is not an error.
    iam.attach_role_policy()
        .role_name("worker")
        .policy_arn(&local_arn)
        .send()
        .await
        .expect("attaching twice");
    let attached = iam
        .list_attached_role_policies()
        .role_name("worker")
        .send()
        .await
        .expect("ListAttachedRolePolicies");
    assert_eq!(attached.attached_policies().len(), 10);
    let mut arns: Vec<_> = attached
        .attached_policies()
        .iter()
        .map(|p| p.policy_arn().unwrap().to_string())
        .collect();
    arns.sort();
    let mut expected: Vec<_> = aws.iter().cloned().chain([local_arn.clone()]).collect();
    expected.sort();
    assert_eq!(arns, expected);
    let ro = attached
        .attached_policies()
        .iter()
        .find(|p| p.policy_arn() == Some(aws[0].as_str()))
        .unwrap();
    assert_eq!(ro.policy_name(), Some("ReadOnlyAccess"));
    let f = rejects!(
        iam,
        iam.attach_role_policy()
            .role_name("worker")
            .policy_arn(aws_policy("AWSLambda_ReadOnlyAccess"))
            .send(),
        "LimitExceeded"
    );
    assert!(f.err.is_limit_exceeded_exception());
    assert_eq!(f.status, 409);
    assert!(f.message.contains("PoliciesPerRole: 10"), "{f:?}");
    let f = rejects!(
        iam,
        iam.attach_role_policy()
            .role_name("worker")
            .policy_arn(local_policy("missing"))
            .send(),
        "NoSuchEntity"
    );
    assert!(
        f.message.contains("does not exist or is not attachable"),
        "{f:?}"
    );
    let f = rejects!(
        iam,
        iam.attach_role_policy()
            .role_name("nope")
            .policy_arn(&aws[0])
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.attach_role_policy()
            .role_name("worker")
            .policy_arn("not-an-arn")
            .send(),
        "ValidationError"
    );
    assert!(f.message.contains("policyArn"), "{f:?}");
    let f = rejects!(
        iam,
        iam.list_attached_role_policies().role_name("nope").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());

    // DeleteRole refuses while policies are attached; so does DeletePolicy.
    let f = rejects!(
        iam,
        iam.delete_role().role_name("worker").send(),
        "DeleteConflict"
    );
    assert_eq!(
        f.message,
        "Cannot delete entity, must detach all policies first."
    );
    let f = rejects!(
        iam,
        iam.delete_policy().policy_arn(&local_arn).send(),
        "DeleteConflict"
    );
    assert!(f.err.is_delete_conflict_exception());

    for arn in aws.iter().chain([&local_arn]) {
        iam.detach_role_policy()
            .role_name("worker")
            .policy_arn(arn)
            .send()
            .await
            .expect("DetachRolePolicy");
    }
    let f = rejects!(
        iam,
        iam.detach_role_policy()
            .role_name("worker")
            .policy_arn(&local_arn)
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.detach_role_policy()
            .role_name("nope")
            .policy_arn(&local_arn)
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let attached = iam
        .list_attached_role_policies()
        .role_name("worker")
        .send()
        .await
        .unwrap();
    assert!(attached.attached_policies().is_empty());
    iam.delete_role()
        .role_name("worker")
        .send()
        .await
        .expect("DeleteRole");
    assert!(all_role_names(&iam).await.is_empty());
}

#[tokio::test]
async fn service_linked_roles() {
    let server = Server::start();
    let iam = iam(&server);

    let created = iam
        .create_service_linked_role()
        .aws_service_name("elasticloadbalancing.amazonaws.com")
        .send()
        .await
        .expect("CreateServiceLinkedRole");
    let role = created.role().expect("Role");
    let name = "AWSServiceRoleForElasticLoadBalancing";
    assert_eq!(role.role_name(), name);
    assert_eq!(
        role.path(),
        "/aws-service-role/elasticloadbalancing.amazonaws.com/"
    );
    assert_eq!(
        role.arn(),
        format!(
            "arn:aws:iam::123456789012:role/aws-service-role/elasticloadbalancing.amazonaws.com/{name}"
        )
    );
    let trust = doc(role.assume_role_policy_document().unwrap());
    assert!(
        trust.contains("elasticloadbalancing.amazonaws.com"),
        "{trust}"
    );
    assert!(trust.contains("sts:AssumeRole"), "{trust}");
    let attached = iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attached
            .attached_policies()
            .iter()
            .map(|p| p.policy_arn().unwrap())
            .collect::<Vec<_>>(),
        ["arn:aws:iam::aws:policy/aws-service-role/AWSElasticLoadBalancingServiceRolePolicy"]
    );

    // A custom suffix for a service that allows several.
    let custom = iam
        .create_service_linked_role()
        .aws_service_name("autoscaling.amazonaws.com")
        .custom_suffix("fleet")
        .description("for the fleet")
        .send()
        .await
        .expect("CreateServiceLinkedRole with a suffix");
    assert_eq!(
        custom.role().unwrap().role_name(),
        "AWSServiceRoleForAutoScaling_fleet"
    );
    assert_eq!(custom.role().unwrap().description(), Some("for the fleet"));

    // The same role again, and a service name that is not one.
    let f = rejects!(
        iam,
        iam.create_service_linked_role()
            .aws_service_name("elasticloadbalancing.amazonaws.com")
            .send(),
        "InvalidInput"
    );
    assert!(f.err.is_invalid_input_exception());
    assert!(
        f.message.contains("has been taken in this account"),
        "{f:?}"
    );
    let f = rejects!(
        iam,
        iam.create_service_linked_role()
            .aws_service_name("not-a-service")
            .send(),
        "InvalidInput"
    );
    assert!(f.err.is_invalid_input_exception());

    // Service-linked roles are protected.
    let f = rejects!(
        iam,
        iam.update_role()
            .role_name(name)
            .description("mine now")
            .send(),
        "UnmodifiableEntity"
    );
    assert!(f.err.is_unmodifiable_entity_exception());
    assert_eq!(f.status, 400);
    assert!(f.message.contains("protected role"), "{f:?}");
    let f = rejects!(
        iam,
        iam.update_assume_role_policy()
            .role_name(name)
            .policy_document(TRUST_EC2)
            .send(),
        "UnmodifiableEntity"
    );
    assert!(f.err.is_unmodifiable_entity_exception());
    let f = rejects!(
        iam,
        iam.attach_role_policy()
            .role_name(name)
            .policy_arn(aws_policy("ReadOnlyAccess"))
            .send(),
        "UnmodifiableEntity"
    );
    assert!(f.err.is_unmodifiable_entity_exception());
    let f = rejects!(
        iam,
        iam.put_role_policy()
            .role_name(name)
            .policy_name("p")
            .policy_document(S3_READ)
            .send(),
        "UnmodifiableEntity"
    );
    assert!(f.err.is_unmodifiable_entity_exception());
    let f = rejects!(
        iam,
        iam.delete_role().role_name(name).send(),
        "UnmodifiableEntity"
    );
    assert!(f.err.is_unmodifiable_entity_exception());

    // DeleteServiceLinkedRole only for service-linked roles.
    iam.create_role()
        .role_name("plain")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap();
    let f = rejects!(
        iam,
        iam.delete_service_linked_role().role_name("plain").send(),
        one_of ["InvalidInput", "UnmodifiableEntity", "NoSuchEntity"]
    );
    assert_eq!(f.status, 400);
    let f = rejects!(
        iam,
        iam.delete_service_linked_role().role_name("nope").send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());

    let deleted = iam
        .delete_service_linked_role()
        .role_name(name)
        .send()
        .await
        .expect("DeleteServiceLinkedRole");
    let task = deleted.deletion_task_id();
    assert!(
        task.starts_with(&format!(
            "task/aws-service-role/elasticloadbalancing.amazonaws.com/{name}/"
        )),
        "{task}"
    );
    let status = iam
        .get_service_linked_role_deletion_status()
        .deletion_task_id(task)
        .send()
        .await
        .expect("GetServiceLinkedRoleDeletionStatus");
    assert_eq!(status.status(), &DeletionTaskStatusType::Succeeded);
    assert!(status.reason().is_none());
    let f = fail(iam.get_role().role_name(name).send().await);
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.get_service_linked_role_deletion_status()
            .deletion_task_id("task/not-a-task")
            .send(),
        "InvalidInput"
    );
    assert!(f.err.is_invalid_input_exception());
    let mut names = all_role_names(&iam).await;
    names.sort();
    assert_eq!(names, ["AWSServiceRoleForAutoScaling_fleet", "plain"]);
}

#[tokio::test]
async fn instance_profiles() {
    let server = Server::start();
    let iam = iam(&server);
    for name in ["web", "batch"] {
        iam.create_role()
            .role_name(name)
            .assume_role_policy_document(TRUST_EC2)
            .send()
            .await
            .unwrap();
    }

    let created = iam
        .create_instance_profile()
        .instance_profile_name("web-profile")
        .path("/fleet/")
        .tags(tag("tier", "web"))
        .send()
        .await
        .expect("CreateInstanceProfile");
    let p = created.instance_profile().expect("InstanceProfile");
    assert_eq!(p.instance_profile_name(), "web-profile");
    assert_eq!(p.path(), "/fleet/");
    assert_eq!(
        p.arn(),
        "arn:aws:iam::123456789012:instance-profile/fleet/web-profile"
    );
    assert!(
        p.instance_profile_id().starts_with("AIPA"),
        "{}",
        p.instance_profile_id()
    );
    assert_eq!(p.instance_profile_id().len(), 21);
    assert!(p.roles().is_empty());
    assert_recent(p.create_date());
    assert_eq!(tag_pairs(p.tags()), [("tier".into(), "web".into())]);
    let profile_id = p.instance_profile_id().to_string();

    iam.create_instance_profile()
        .instance_profile_name("other-profile")
        .send()
        .await
        .unwrap();
    let f = rejects!(
        iam,
        iam.create_instance_profile()
            .instance_profile_name("web-profile")
            .send(),
        "EntityAlreadyExists"
    );
    assert!(f.err.is_entity_already_exists_exception());
    let f = rejects!(
        iam,
        iam.create_instance_profile()
            .instance_profile_name("bad name")
            .send(),
        "ValidationError"
    );
    assert!(f.message.contains("instanceProfileName"), "{f:?}");

    // One role per instance profile.
    iam.add_role_to_instance_profile()
        .instance_profile_name("web-profile")
        .role_name("web")
        .send()
        .await
        .expect("AddRoleToInstanceProfile");
    let f = rejects!(
        iam,
        iam.add_role_to_instance_profile()
            .instance_profile_name("web-profile")
            .role_name("batch")
            .send(),
        "LimitExceeded"
    );
    assert!(f.err.is_limit_exceeded_exception());
    assert!(
        f.message.contains("InstanceSessionsPerInstanceProfile: 1"),
        "{f:?}"
    );
    let f = rejects!(
        iam,
        iam.add_role_to_instance_profile()
            .instance_profile_name("other-profile")
            .role_name("nope")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.add_role_to_instance_profile()
            .instance_profile_name("nope")
            .role_name("web")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());

    let got = iam
        .get_instance_profile()
        .instance_profile_name("web-profile")
        .send()
        .await
        .expect("GetInstanceProfile");
    let p = got.instance_profile().unwrap();
    assert_eq!(p.instance_profile_id(), profile_id);
    assert_eq!(
        p.roles().iter().map(|r| r.role_name()).collect::<Vec<_>>(),
        ["web"]
    );
    assert_eq!(p.roles()[0].arn(), "arn:aws:iam::123456789012:role/web");
    let f = rejects!(
        iam,
        iam.get_instance_profile()
            .instance_profile_name("nope")
            .send(),
        "NoSuchEntity"
    );
    assert_eq!(f.message, "Instance Profile nope cannot be found.");

    let listed = iam
        .list_instance_profiles()
        .send()
        .await
        .expect("ListInstanceProfiles");
    let names: Vec<_> = listed
        .instance_profiles()
        .iter()
        .map(|p| p.instance_profile_name())
        .collect();
    assert_eq!(names, ["other-profile", "web-profile"]);
    let fleet = iam
        .list_instance_profiles()
        .path_prefix("/fleet/")
        .send()
        .await
        .unwrap();
    assert_eq!(fleet.instance_profiles().len(), 1);
    assert_eq!(fleet.instance_profiles()[0].roles().len(), 1);
    let f = rejects!(
        iam,
        iam.list_instance_profiles().path_prefix("bad").send(),
        "ValidationError"
    );
    assert!(f.message.contains("pathPrefix"), "{f:?}");

    let for_role = iam
        .list_instance_profiles_for_role()
        .role_name("web")
        .send()
        .await
        .expect("ListInstanceProfilesForRole");
    assert_eq!(
        for_role
            .instance_profiles()
            .iter()
            .map(|p| p.instance_profile_name())
            .collect::<Vec<_>>(),
        ["web-profile"]
    );
    let batch = iam
        .list_instance_profiles_for_role()
        .role_name("batch")
        .send()
        .await
        .unwrap();
    assert!(batch.instance_profiles().is_empty());
    let f = rejects!(
        iam,
        iam.list_instance_profiles_for_role()
            .role_name("nope")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());

    // Deleting the role or the profile while they are linked.
    let f = rejects!(
        iam,
        iam.delete_role().role_name("web").send(),
        "DeleteConflict"
    );
    assert_eq!(
        f.message,
        "Cannot delete entity, must remove roles from instance profile first."
    );
    let f = rejects!(
        iam,
        iam.delete_instance_profile()
            .instance_profile_name("web-profile")
            .send(),
        "DeleteConflict"
    );
    assert!(f.err.is_delete_conflict_exception());

    // Tags.
    iam.tag_instance_profile()
        .instance_profile_name("web-profile")
        .tags(tag("owner", "ops"))
        .send()
        .await
        .expect("TagInstanceProfile");
    let tags = iam
        .list_instance_profile_tags()
        .instance_profile_name("web-profile")
        .send()
        .await
        .expect("ListInstanceProfileTags");
    let mut pairs = tag_pairs(tags.tags());
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("owner".into(), "ops".into()),
            ("tier".into(), "web".into())
        ]
    );
    iam.untag_instance_profile()
        .instance_profile_name("web-profile")
        .tag_keys("tier")
        .send()
        .await
        .expect("UntagInstanceProfile");
    let tags = iam
        .list_instance_profile_tags()
        .instance_profile_name("web-profile")
        .send()
        .await
        .unwrap();
    assert_eq!(tag_pairs(tags.tags()), [("owner".into(), "ops".into())]);
    let f = rejects!(
        iam,
        iam.tag_instance_profile()
            .instance_profile_name("nope")
            .tags(tag("k", "v"))
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.tag_instance_profile()
            .instance_profile_name("web-profile")
            .tags(tag("aws:k", "v"))
            .send(),
        "InvalidInput"
    );
    assert!(f.err.is_invalid_input_exception());
    let f = rejects!(
        iam,
        iam.untag_instance_profile()
            .instance_profile_name("nope")
            .tag_keys("k")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.list_instance_profile_tags()
            .instance_profile_name("nope")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());

    // Remove the role, then delete.
    let f = rejects!(
        iam,
        iam.remove_role_from_instance_profile()
            .instance_profile_name("web-profile")
            .role_name("batch")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    iam.remove_role_from_instance_profile()
        .instance_profile_name("web-profile")
        .role_name("web")
        .send()
        .await
        .expect("RemoveRoleFromInstanceProfile");
    let got = iam
        .get_instance_profile()
        .instance_profile_name("web-profile")
        .send()
        .await
        .unwrap();
    assert!(got.instance_profile().unwrap().roles().is_empty());
    iam.delete_instance_profile()
        .instance_profile_name("web-profile")
        .send()
        .await
        .expect("DeleteInstanceProfile");
    let f = rejects!(
        iam,
        iam.delete_instance_profile()
            .instance_profile_name("web-profile")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let listed = iam.list_instance_profiles().send().await.unwrap();
    assert_eq!(listed.instance_profiles().len(), 1);
    iam.delete_role()
        .role_name("web")
        .send()
        .await
        .expect("role is free again");
}
