//! Managed policies through the AWS SDK for Rust: customer managed policies and their
//! versions, tags and attachments, the AWS managed policies, ListPolicies filters,
//! ListEntitiesForPolicy, GetAccountSummary and GetAccountAuthorizationDetails.

#[macro_use]
mod common;

use aws_sdk_iam::types::{EntityType, PolicyScopeType, PolicyUsageType, SummaryKeyType};
use common::*;
use std::collections::BTreeSet;

#[tokio::test]
async fn customer_managed_policy_lifecycle() {
    let server = Server::start();
    let iam = iam(&server);

    let created = iam
        .create_policy()
        .policy_name("app-policy")
        .path("/team/")
        .description("what the app may do")
        .policy_document(S3_READ)
        .tags(tag("owner", "team"))
        .send()
        .await
        .expect("CreatePolicy");
    let p = created.policy().expect("Policy");
    let arn = "arn:aws:iam::123456789012:policy/team/app-policy";
    assert_eq!(p.policy_name(), Some("app-policy"));
    assert_eq!(p.arn(), Some(arn));
    assert_eq!(p.path(), Some("/team/"));
    assert_eq!(p.default_version_id(), Some("v1"));
    assert_eq!(p.attachment_count(), Some(0));
    assert_eq!(p.permissions_boundary_usage_count(), Some(0));
    assert!(p.is_attachable());
    let policy_id = p.policy_id().expect("PolicyId").to_string();
    assert!(policy_id.starts_with("ANPA"), "{policy_id}");
    assert_eq!(policy_id.len(), 21);
    assert_recent(p.create_date().unwrap());
    assert_eq!(tag_pairs(p.tags()), [("owner".into(), "team".into())]);

    let got = iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .expect("GetPolicy");
    let g = got.policy().unwrap();
    assert_eq!(g.policy_id(), Some(policy_id.as_str()));
    assert_eq!(g.description(), Some("what the app may do"));
    assert_eq!(g.default_version_id(), Some("v1"));
    assert_eq!(tag_pairs(g.tags()), [("owner".into(), "team".into())]);

    let v1 = iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id("v1")
        .send()
        .await
        .expect("GetPolicyVersion");
    let v1 = v1.policy_version().unwrap();
    assert_eq!(v1.version_id(), Some("v1"));
    assert!(v1.is_default_version());
    assert!(same_json(&doc(v1.document().unwrap()), S3_READ));
    assert_recent(v1.create_date().unwrap());

    // Versions: v2 not default, v3 default, then v4 and v5; a sixth is over the limit.
    let v2 = iam
        .create_policy_version()
        .policy_arn(arn)
        .policy_document(EC2_DESCRIBE)
        .send()
        .await
        .expect("CreatePolicyVersion");
    let v2 = v2.policy_version().unwrap();
    assert_eq!(v2.version_id(), Some("v2"));
    assert!(!v2.is_default_version());
    let v3 = iam
        .create_policy_version()
        .policy_arn(arn)
        .policy_document(EC2_DESCRIBE)
        .set_as_default(true)
        .send()
        .await
        .unwrap();
    assert_eq!(v3.policy_version().unwrap().version_id(), Some("v3"));
    assert!(v3.policy_version().unwrap().is_default_version());
    let got = iam.get_policy().policy_arn(arn).send().await.unwrap();
    assert_eq!(got.policy().unwrap().default_version_id(), Some("v3"));
    for _ in 0..2 {
        iam.create_policy_version()
            .policy_arn(arn)
            .policy_document(S3_READ)
            .send()
            .await
            .unwrap();
    }
    let f = rejects!(
        iam,
        iam.create_policy_version()
            .policy_arn(arn)
            .policy_document(S3_READ)
            .send(),
        "LimitExceeded"
    );
    assert!(f.err.is_limit_exceeded_exception());
    assert_eq!(f.status, 409);
    assert!(f.message.contains("up to 5 versions"), "{f:?}");
    let versions = iam
        .list_policy_versions()
        .policy_arn(arn)
        .send()
        .await
        .expect("ListPolicyVersions");
    let ids: Vec<_> = versions
        .versions()
        .iter()
        .map(|v| (v.version_id().unwrap(), v.is_default_version()))
        .collect();
    assert_eq!(
        ids,
        [
            ("v5", false),
            ("v4", false),
            ("v3", true),
            ("v2", false),
            ("v1", false)
        ]
    );
    assert!(!versions.is_truncated());
    assert!(versions.versions().iter().all(|v| v.document().is_none()));

    // SetDefaultPolicyVersion.
    iam.set_default_policy_version()
        .policy_arn(arn)
        .version_id("v1")
        .send()
        .await
        .expect("SetDefaultPolicyVersion");
    let got = iam.get_policy().policy_arn(arn).send().await.unwrap();
    assert_eq!(got.policy().unwrap().default_version_id(), Some("v1"));
    let v3 = iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id("v3")
        .send()
        .await
        .unwrap();
    assert!(!v3.policy_version().unwrap().is_default_version());
    assert!(same_json(
        &doc(v3.policy_version().unwrap().document().unwrap()),
        EC2_DESCRIBE
    ));
    let f = rejects!(
        iam,
        iam.set_default_policy_version()
            .policy_arn(arn)
            .version_id("v9")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.set_default_policy_version()
            .policy_arn(arn)
            .version_id("x1")
            .send(),
        "ValidationError"
    );
    assert!(f.message.contains("versionId"), "{f:?}");

    // DeletePolicyVersion: never the default one.
    let f = rejects!(
        iam,
        iam.delete_policy_version()
            .policy_arn(arn)
            .version_id("v1")
            .send(),
        "DeleteConflict"
    );
    assert!(f.err.is_delete_conflict_exception());
    assert_eq!(f.message, "Cannot delete the default version of a policy.");
    iam.delete_policy_version()
        .policy_arn(arn)
        .version_id("v2")
        .send()
        .await
        .expect("DeletePolicyVersion");
    let f = rejects!(
        iam,
        iam.delete_policy_version()
            .policy_arn(arn)
            .version_id("v2")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.get_policy_version()
            .policy_arn(arn)
            .version_id("v2")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    // Version numbers are never reused.
    let v6 = iam
        .create_policy_version()
        .policy_arn(arn)
        .policy_document(S3_READ)
        .send()
        .await
        .unwrap();
    assert_eq!(v6.policy_version().unwrap().version_id(), Some("v6"));

    // DeletePolicy refuses while other versions exist.
    let f = rejects!(
        iam,
        iam.delete_policy().policy_arn(arn).send(),
        "DeleteConflict"
    );
    assert!(f.err.is_delete_conflict_exception());
    assert!(f.message.contains("more than one version"), "{f:?}");

    // Tags.
    iam.tag_policy()
        .policy_arn(arn)
        .tags(tag("cost", "42"))
        .send()
        .await
        .expect("TagPolicy");
    iam.untag_policy()
        .policy_arn(arn)
        .tag_keys("owner")
        .send()
        .await
        .expect("UntagPolicy");
    let tags = iam
        .list_policy_tags()
        .policy_arn(arn)
        .send()
        .await
        .expect("ListPolicyTags");
    assert_eq!(tag_pairs(tags.tags()), [("cost".into(), "42".into())]);
    assert!(!tags.is_truncated());

    // Attachments and ListEntitiesForPolicy.
    iam.create_user().user_name("u").send().await.unwrap();
    iam.create_group().group_name("g").send().await.unwrap();
    iam.create_role()
        .role_name("r")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap();
    iam.attach_user_policy()
        .user_name("u")
        .policy_arn(arn)
        .send()
        .await
        .unwrap();
    iam.attach_group_policy()
        .group_name("g")
        .policy_arn(arn)
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name("r")
        .policy_arn(arn)
        .send()
        .await
        .unwrap();
    let got = iam.get_policy().policy_arn(arn).send().await.unwrap();
    assert_eq!(got.policy().unwrap().attachment_count(), Some(3));
    let entities = iam
        .list_entities_for_policy()
        .policy_arn(arn)
        .send()
        .await
        .expect("ListEntitiesForPolicy");
    assert_eq!(
        entities
            .policy_users()
            .iter()
            .map(|u| u.user_name().unwrap())
            .collect::<Vec<_>>(),
        ["u"]
    );
    assert_eq!(
        entities
            .policy_groups()
            .iter()
            .map(|g| g.group_name().unwrap())
            .collect::<Vec<_>>(),
        ["g"]
    );
    assert_eq!(
        entities
            .policy_roles()
            .iter()
            .map(|r| r.role_name().unwrap())
            .collect::<Vec<_>>(),
        ["r"]
    );
    assert!(
        entities.policy_users()[0]
            .user_id()
            .unwrap()
            .starts_with("AIDA")
    );
    assert!(
        entities.policy_roles()[0]
            .role_id()
            .unwrap()
            .starts_with("AROA")
    );
    assert!(!entities.is_truncated());
    let roles_only = iam
        .list_entities_for_policy()
        .policy_arn(arn)
        .entity_filter(EntityType::Role)
        .send()
        .await
        .unwrap();
    assert!(roles_only.policy_users().is_empty());
    assert!(roles_only.policy_groups().is_empty());
    assert_eq!(roles_only.policy_roles().len(), 1);
    let f = rejects!(
        iam,
        iam.list_entities_for_policy()
            .policy_arn(local_policy("missing"))
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());

    // Delete: versions first, then attachments; DeletePolicy says which.
    for v in ["v3", "v4", "v5", "v6"] {
        iam.delete_policy_version()
            .policy_arn(arn)
            .version_id(v)
            .send()
            .await
            .unwrap();
    }
    let f = rejects!(
        iam,
        iam.delete_policy().policy_arn(arn).send(),
        "DeleteConflict"
    );
    assert_eq!(f.message, "Cannot delete a policy attached to entities.");
    iam.detach_user_policy()
        .user_name("u")
        .policy_arn(arn)
        .send()
        .await
        .unwrap();
    iam.detach_group_policy()
        .group_name("g")
        .policy_arn(arn)
        .send()
        .await
        .unwrap();
    iam.detach_role_policy()
        .role_name("r")
        .policy_arn(arn)
        .send()
        .await
        .unwrap();
    let entities = iam
        .list_entities_for_policy()
        .policy_arn(arn)
        .send()
        .await
        .unwrap();
    assert!(
        entities.policy_users().is_empty()
            && entities.policy_groups().is_empty()
            && entities.policy_roles().is_empty()
    );
    iam.delete_policy()
        .policy_arn(arn)
        .send()
        .await
        .expect("DeletePolicy");
    let f = rejects!(iam, iam.get_policy().policy_arn(arn).send(), "NoSuchEntity");
    assert!(f.err.is_no_such_entity_exception());
    assert_eq!(f.message, format!("Policy {arn} was not found."));
    let local = iam
        .list_policies()
        .scope(PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    assert!(local.policies().is_empty());
}

#[tokio::test]
async fn policy_invalid_input() {
    let server = Server::start();
    let iam = iam(&server);
    let arn = local_policy("existing");
    iam.create_policy()
        .policy_name("existing")
        .policy_document(S3_READ)
        .send()
        .await
        .unwrap();
    let create = |name: &str, doc: &str| iam.create_policy().policy_name(name).policy_document(doc);

    let f = rejects!(
        iam,
        create("existing", S3_READ).send(),
        "EntityAlreadyExists"
    );
    assert!(f.err.is_entity_already_exists_exception());
    assert_eq!(f.status, 409);
    let f = rejects!(
        iam,
        create("p1", IDENTITY_WITH_PRINCIPAL).send(),
        "MalformedPolicyDocument"
    );
    assert!(f.err.is_malformed_policy_document_exception());
    assert!(f.message.to_lowercase().contains("principal"), "{f:?}");
    let f = rejects!(
        iam,
        create("p1", NOT_JSON).send(),
        "MalformedPolicyDocument"
    );
    assert!(f.err.is_malformed_policy_document_exception());
    // Not a trust policy: IAM keeps its generic text here.
    assert_eq!(f.message, "Syntax errors in policy.");
    let f = rejects!(
        iam,
        create("p1", TRUST_EC2).send(),
        "MalformedPolicyDocument"
    );
    assert!(f.err.is_malformed_policy_document_exception());
    let f = rejects!(iam, create("bad name", S3_READ).send(), "ValidationError");
    assert!(f.message.contains("policyName"), "{f:?}");
    let f = rejects!(
        iam,
        create(&"p".repeat(129), S3_READ).send(),
        "ValidationError"
    );
    assert!(
        f.message.contains("length less than or equal to 128"),
        "{f:?}"
    );
    let f = rejects!(
        iam,
        create("p1", S3_READ).path("noslash").send(),
        "ValidationError"
    );
    assert!(f.message.contains("'path'"), "{f:?}");
    let f = rejects!(
        iam,
        create("p1", S3_READ).tags(tag("aws:x", "1")).send(),
        "InvalidInput"
    );
    assert!(f.err.is_invalid_input_exception());

    let f = rejects!(
        iam,
        iam.get_policy().policy_arn(local_policy("missing")).send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.get_policy().policy_arn("short").send(),
        "ValidationError"
    );
    assert!(f.message.contains("policyArn"), "{f:?}");
    let f = rejects!(
        iam,
        iam.delete_policy()
            .policy_arn(local_policy("missing"))
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.delete_policy()
            .policy_arn(aws_policy("ReadOnlyAccess"))
            .send(),
        "AccessDenied"
    );
    assert_eq!(f.status, 403);
    assert_eq!(
        f.message,
        "Cannot delete policies outside your own account."
    );

    let f = rejects!(
        iam,
        iam.create_policy_version()
            .policy_arn(&arn)
            .policy_document(IDENTITY_WITH_PRINCIPAL)
            .send(),
        "MalformedPolicyDocument"
    );
    assert!(f.err.is_malformed_policy_document_exception());
    let f = rejects!(
        iam,
        iam.create_policy_version()
            .policy_arn(&arn)
            .policy_document(NOT_JSON)
            .send(),
        "MalformedPolicyDocument"
    );
    assert!(f.err.is_malformed_policy_document_exception());
    let f = rejects!(
        iam,
        iam.create_policy_version()
            .policy_arn(local_policy("missing"))
            .policy_document(S3_READ)
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.create_policy_version()
            .policy_arn(aws_policy("ReadOnlyAccess"))
            .policy_document(S3_READ)
            .send(),
        one_of ["AccessDenied", "InvalidInput"]
    );
    assert_eq!(f.status, 403);
    let f = rejects!(
        iam,
        iam.get_policy_version()
            .policy_arn(&arn)
            .version_id("v7")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.list_policy_versions()
            .policy_arn(local_policy("missing"))
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.delete_policy_version()
            .policy_arn(local_policy("missing"))
            .version_id("v1")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.set_default_policy_version()
            .policy_arn(local_policy("missing"))
            .version_id("v1")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    // AWS names the version even though the whole policy is missing.
    assert_eq!(
        f.message,
        format!(
            "Policy {} version v1 does not exist or is not attachable.",
            local_policy("missing")
        )
    );

    let f = rejects!(
        iam,
        iam.tag_policy()
            .policy_arn(local_policy("missing"))
            .tags(tag("a", "b"))
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.tag_policy()
            .policy_arn(&arn)
            .tags(tag("aws:a", "b"))
            .send(),
        "InvalidInput"
    );
    assert!(f.err.is_invalid_input_exception());
    let f = rejects!(
        iam,
        iam.tag_policy()
            .policy_arn(aws_policy("ReadOnlyAccess"))
            .tags(tag("a", "b"))
            .send(),
        one_of ["AccessDenied", "InvalidInput"]
    );
    assert_eq!(f.status, 403);
    let f = rejects!(
        iam,
        iam.untag_policy()
            .policy_arn(local_policy("missing"))
            .tag_keys("a")
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.list_policy_tags()
            .policy_arn(local_policy("missing"))
            .send(),
        "NoSuchEntity"
    );
    assert!(f.err.is_no_such_entity_exception());
    let f = rejects!(
        iam,
        iam.list_policies()
            .scope(PolicyScopeType::from("Bogus"))
            .send(),
        "ValidationError"
    );
    assert!(f.message.contains("scope"), "{f:?}");

    let local = iam
        .list_policies()
        .scope(PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    assert_eq!(
        local
            .policies()
            .iter()
            .map(|p| p.arn().unwrap())
            .collect::<Vec<_>>(),
        [arn.as_str()]
    );
}

/// All pages of ListPolicies with this request shape.
async fn list_all_policies(
    iam: &aws_sdk_iam::Client,
    scope: PolicyScopeType,
    only_attached: bool,
    path_prefix: Option<&str>,
    usage: Option<PolicyUsageType>,
) -> Vec<aws_sdk_iam::types::Policy> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = iam
            .list_policies()
            .scope(scope.clone())
            .only_attached(only_attached)
            .set_path_prefix(path_prefix.map(str::to_string))
            .set_policy_usage_filter(usage.clone())
            .max_items(1000)
            .set_marker(marker)
            .send()
            .await
            .expect("ListPolicies");
        out.extend(page.policies().iter().cloned());
        marker = page.marker().map(str::to_string);
        if !page.is_truncated() {
            return out;
        }
        assert!(marker.is_some(), "a truncated page has a marker");
    }
}

#[tokio::test]
async fn aws_managed_policies() {
    let server = Server::start();
    let iam = iam(&server);
    let readonly = aws_policy("ReadOnlyAccess");

    let got = iam
        .get_policy()
        .policy_arn(&readonly)
        .send()
        .await
        .expect("GetPolicy (AWS)");
    let p = got.policy().unwrap();
    assert_eq!(p.policy_name(), Some("ReadOnlyAccess"));
    assert_eq!(p.arn(), Some(readonly.as_str()));
    assert_eq!(p.path(), Some("/"));
    assert!(p.is_attachable());
    assert_eq!(p.attachment_count(), Some(0));
    assert!(p.policy_id().unwrap().starts_with("ANPA"));
    let default_version = p.default_version_id().unwrap().to_string();
    assert!(default_version.starts_with('v'), "{default_version}");
    assert!(p.create_date().unwrap().secs() < p.update_date().unwrap().secs());
    let v = iam
        .get_policy_version()
        .policy_arn(&readonly)
        .version_id(&default_version)
        .send()
        .await
        .expect("GetPolicyVersion (AWS)");
    let v = v.policy_version().unwrap();
    assert!(v.is_default_version());
    let text = doc(v.document().unwrap());
    assert!(
        text.contains("\"Effect\"") && text.contains("s3:Get"),
        "{}",
        &text[..200.min(text.len())]
    );
    let versions = iam
        .list_policy_versions()
        .policy_arn(&readonly)
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 1);
    assert_eq!(
        versions.versions()[0].version_id(),
        Some(default_version.as_str())
    );
    // A job-function policy and a service-role policy, with their paths.
    let view = iam
        .get_policy()
        .policy_arn(aws_policy("job-function/ViewOnlyAccess"))
        .send()
        .await
        .expect("GetPolicy ViewOnlyAccess");
    assert_eq!(view.policy().unwrap().path(), Some("/job-function/"));
    let lambda = iam
        .get_policy()
        .policy_arn(aws_policy("service-role/AWSLambdaBasicExecutionRole"))
        .send()
        .await
        .expect("GetPolicy AWSLambdaBasicExecutionRole");
    assert_eq!(lambda.policy().unwrap().path(), Some("/service-role/"));
    let f = fail(
        iam.get_policy()
            .policy_arn(aws_policy("NoSuchPolicyAnywhere"))
            .send()
            .await,
    );
    assert!(f.err.is_no_such_entity_exception());

    // All 1,582 AWS managed policies, each once.
    let all_aws = list_all_policies(&iam, PolicyScopeType::Aws, false, None, None).await;
    assert_eq!(all_aws.len(), 1582);
    let arns: BTreeSet<_> = all_aws
        .iter()
        .map(|p| p.arn().unwrap().to_string())
        .collect();
    assert_eq!(arns.len(), 1582, "no policy twice");
    assert!(
        arns.iter()
            .all(|a| a.starts_with("arn:aws:iam::aws:policy/"))
    );
    for name in [
        "AdministratorAccess",
        "ReadOnlyAccess",
        "IAMFullAccess",
        "PowerUserAccess",
    ] {
        assert!(arns.contains(&aws_policy(name)), "{name}");
    }
    assert!(
        all_aws.iter().all(|p| p.description().is_none()),
        "ListPolicies shows no description"
    );

    // Local and All.
    iam.create_policy()
        .policy_name("mine")
        .path("/team/")
        .policy_document(S3_READ)
        .send()
        .await
        .unwrap();
    iam.create_policy()
        .policy_name("bound")
        .policy_document(S3_READ)
        .send()
        .await
        .unwrap();
    let local = list_all_policies(&iam, PolicyScopeType::Local, false, None, None).await;
    assert_eq!(
        local
            .iter()
            .map(|p| p.policy_name().unwrap())
            .collect::<Vec<_>>(),
        ["bound", "mine"]
    );
    let all = list_all_policies(&iam, PolicyScopeType::All, false, None, None).await;
    assert_eq!(all.len(), 1584);
    let default_scope = iam.list_policies().max_items(1000).send().await.unwrap();
    assert!(default_scope.is_truncated(), "Scope defaults to All");

    // PathPrefix.
    let job = list_all_policies(
        &iam,
        PolicyScopeType::Aws,
        false,
        Some("/job-function/"),
        None,
    )
    .await;
    assert!(!job.is_empty());
    assert!(job.iter().all(|p| p.path() == Some("/job-function/")));
    assert!(
        job.iter()
            .any(|p| p.policy_name() == Some("ViewOnlyAccess"))
    );
    let team = list_all_policies(&iam, PolicyScopeType::All, false, Some("/team/"), None).await;
    assert_eq!(
        team.iter()
            .map(|p| p.policy_name().unwrap())
            .collect::<Vec<_>>(),
        ["mine"]
    );

    // OnlyAttached and PolicyUsageFilter.
    iam.create_role()
        .role_name("r")
        .assume_role_policy_document(TRUST_EC2)
        .permissions_boundary(local_policy("bound"))
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name("r")
        .policy_arn(&readonly)
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name("r")
        .policy_arn("arn:aws:iam::123456789012:policy/team/mine")
        .send()
        .await
        .unwrap();
    let attached = list_all_policies(&iam, PolicyScopeType::All, true, None, None).await;
    let mut names: Vec<_> = attached.iter().map(|p| p.policy_name().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["ReadOnlyAccess", "bound", "mine"]);
    let permissions = list_all_policies(
        &iam,
        PolicyScopeType::All,
        true,
        None,
        Some(PolicyUsageType::PermissionsPolicy),
    )
    .await;
    let mut names: Vec<_> = permissions
        .iter()
        .map(|p| p.policy_name().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["ReadOnlyAccess", "mine"]);
    let boundaries = list_all_policies(
        &iam,
        PolicyScopeType::Local,
        true,
        None,
        Some(PolicyUsageType::PermissionsBoundary),
    )
    .await;
    assert_eq!(
        boundaries
            .iter()
            .map(|p| p.policy_name().unwrap())
            .collect::<Vec<_>>(),
        ["bound"]
    );
    assert_eq!(boundaries[0].permissions_boundary_usage_count(), Some(1));
    assert_eq!(boundaries[0].attachment_count(), Some(0));
    let aws_attached = list_all_policies(&iam, PolicyScopeType::Aws, true, None, None).await;
    assert_eq!(
        aws_attached
            .iter()
            .map(|p| p.arn().unwrap())
            .collect::<Vec<_>>(),
        [readonly.as_str()]
    );
    assert_eq!(aws_attached[0].attachment_count(), Some(1));
    let entities = iam
        .list_entities_for_policy()
        .policy_arn(local_policy("bound"))
        .policy_usage_filter(PolicyUsageType::PermissionsBoundary)
        .send()
        .await
        .unwrap();
    assert_eq!(entities.policy_roles()[0].role_name(), Some("r"));
    let entities = iam
        .list_entities_for_policy()
        .policy_arn(&readonly)
        .send()
        .await
        .unwrap();
    assert_eq!(entities.policy_roles()[0].role_name(), Some("r"));
}

#[tokio::test]
async fn account_summary_and_authorization_details() {
    let server = Server::start();
    let iam = iam(&server);
    let summary = |m: &std::collections::HashMap<SummaryKeyType, i32>, k: SummaryKeyType| {
        *m.get(&k).unwrap_or_else(|| panic!("{k:?} in the summary"))
    };

    let empty = iam
        .get_account_summary()
        .send()
        .await
        .expect("GetAccountSummary");
    let m = empty.summary_map().unwrap();
    assert_eq!(summary(m, SummaryKeyType::Users), 0);
    assert_eq!(summary(m, SummaryKeyType::Roles), 0);
    assert_eq!(summary(m, SummaryKeyType::UsersQuota), 5000);
    assert_eq!(summary(m, SummaryKeyType::RolesQuota), 1000);
    assert_eq!(summary(m, SummaryKeyType::AccessKeysPerUserQuota), 2);
    assert_eq!(summary(m, SummaryKeyType::AttachedPoliciesPerRoleQuota), 10);
    assert_eq!(summary(m, SummaryKeyType::VersionsPerPolicyQuota), 5);
    assert_eq!(summary(m, SummaryKeyType::AccountAccessKeysPresent), 1);

    for u in ["ann", "ben"] {
        iam.create_user().user_name(u).send().await.unwrap();
    }
    iam.create_group().group_name("grp").send().await.unwrap();
    iam.add_user_to_group()
        .group_name("grp")
        .user_name("ann")
        .send()
        .await
        .unwrap();
    iam.put_user_policy()
        .user_name("ann")
        .policy_name("inline-s3")
        .policy_document(S3_READ)
        .send()
        .await
        .unwrap();
    iam.put_group_policy()
        .group_name("grp")
        .policy_name("inline-ec2")
        .policy_document(EC2_DESCRIBE)
        .send()
        .await
        .unwrap();
    for r in ["r1", "r2", "r3"] {
        iam.create_role()
            .role_name(r)
            .assume_role_policy_document(TRUST_EC2)
            .send()
            .await
            .unwrap();
    }
    iam.tag_role()
        .role_name("r1")
        .tags(tag("k", "v"))
        .send()
        .await
        .unwrap();
    iam.create_instance_profile()
        .instance_profile_name("ip")
        .send()
        .await
        .unwrap();
    iam.add_role_to_instance_profile()
        .instance_profile_name("ip")
        .role_name("r1")
        .send()
        .await
        .unwrap();
    let p1 = iam
        .create_policy()
        .policy_name("p1")
        .policy_document(S3_READ)
        .send()
        .await
        .unwrap();
    let p1 = p1.policy().unwrap().arn().unwrap().to_string();
    iam.create_policy_version()
        .policy_arn(&p1)
        .policy_document(EC2_DESCRIBE)
        .send()
        .await
        .unwrap();
    iam.create_policy()
        .policy_name("p2")
        .policy_document(S3_READ)
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name("r1")
        .policy_arn(&p1)
        .send()
        .await
        .unwrap();
    iam.attach_user_policy()
        .user_name("ben")
        .policy_arn(aws_policy("ReadOnlyAccess"))
        .send()
        .await
        .unwrap();

    let s = iam.get_account_summary().send().await.unwrap();
    let m = s.summary_map().unwrap();
    assert_eq!(summary(m, SummaryKeyType::Users), 2);
    assert_eq!(summary(m, SummaryKeyType::Groups), 1);
    assert_eq!(summary(m, SummaryKeyType::Roles), 3);
    assert_eq!(summary(m, SummaryKeyType::Policies), 2);
    assert_eq!(summary(m, SummaryKeyType::InstanceProfiles), 1);
    assert_eq!(summary(m, SummaryKeyType::PolicyVersionsInUse), 3);

    // Everything at once.
    let d = iam
        .get_account_authorization_details()
        .send()
        .await
        .expect("GetAccountAuthorizationDetails");
    assert!(!d.is_truncated());
    let users: Vec<_> = d
        .user_detail_list()
        .iter()
        .map(|u| u.user_name().unwrap())
        .collect();
    assert_eq!(users, ["ann", "ben"]);
    let ann = &d.user_detail_list()[0];
    assert_eq!(ann.group_list(), ["grp"]);
    assert_eq!(ann.user_policy_list().len(), 1);
    assert_eq!(ann.user_policy_list()[0].policy_name(), Some("inline-s3"));
    assert!(same_json(
        &doc(ann.user_policy_list()[0].policy_document().unwrap()),
        S3_READ
    ));
    let ben = &d.user_detail_list()[1];
    assert_eq!(
        ben.attached_managed_policies()[0].policy_arn(),
        Some(aws_policy("ReadOnlyAccess").as_str())
    );
    let grp = &d.group_detail_list()[0];
    assert_eq!(grp.group_name(), Some("grp"));
    assert_eq!(grp.group_policy_list()[0].policy_name(), Some("inline-ec2"));
    let roles: Vec<_> = d
        .role_detail_list()
        .iter()
        .map(|r| r.role_name().unwrap())
        .collect();
    assert_eq!(roles, ["r1", "r2", "r3"]);
    let r1 = &d.role_detail_list()[0];
    assert_eq!(r1.instance_profile_list()[0].instance_profile_name(), "ip");
    assert_eq!(
        r1.attached_managed_policies()[0].policy_arn(),
        Some(p1.as_str())
    );
    assert_eq!(tag_pairs(r1.tags()), [("k".into(), "v".into())]);
    assert!(same_json(
        &doc(r1.assume_role_policy_document().unwrap()),
        TRUST_EC2
    ));
    let mut policies: Vec<_> = d
        .policies()
        .iter()
        .map(|p| p.policy_name().unwrap())
        .collect();
    policies.sort();
    assert_eq!(
        policies,
        ["ReadOnlyAccess", "p1", "p2"],
        "customer policies and AWS policies in use"
    );
    let p1d = d
        .policies()
        .iter()
        .find(|p| p.policy_name() == Some("p1"))
        .unwrap();
    assert_eq!(p1d.policy_version_list().len(), 2);
    assert_eq!(p1d.attachment_count(), Some(1));

    // Filters.
    let only_roles = iam
        .get_account_authorization_details()
        .filter(EntityType::Role)
        .send()
        .await
        .unwrap();
    assert_eq!(only_roles.role_detail_list().len(), 3);
    assert!(only_roles.user_detail_list().is_empty());
    assert!(only_roles.group_detail_list().is_empty());
    assert!(only_roles.policies().is_empty());
    let aws_only = iam
        .get_account_authorization_details()
        .filter(EntityType::AwsManagedPolicy)
        .send()
        .await
        .unwrap();
    assert_eq!(
        aws_only
            .policies()
            .iter()
            .map(|p| p.policy_name().unwrap())
            .collect::<Vec<_>>(),
        ["ReadOnlyAccess"]
    );
    let local_only = iam
        .get_account_authorization_details()
        .filter(EntityType::LocalManagedPolicy)
        .filter(EntityType::User)
        .send()
        .await
        .unwrap();
    assert_eq!(local_only.policies().len(), 2);
    assert_eq!(local_only.user_detail_list().len(), 2);
    assert!(local_only.role_detail_list().is_empty());

    // Invalid input, and a caller without permission.
    let f = rejects!(
        iam,
        iam.get_account_authorization_details()
            .filter(EntityType::from("Bogus"))
            .send(),
        "ValidationError"
    );
    assert!(f.message.contains("filter"), "{f:?}");
    let f = rejects!(
        iam,
        iam.get_account_authorization_details().max_items(0).send(),
        "ValidationError"
    );
    assert!(f.message.contains("maxItems"), "{f:?}");
    let key = iam
        .create_access_key()
        .user_name("ann")
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    let ann = iam_with(&server, key.access_key_id(), key.secret_access_key());
    let f = rejects!(iam, ann.get_account_summary().send(), "AccessDenied");
    assert!(
        f.message
            .ends_with("because no identity-based policy allows the iam:GetAccountSummary action"),
        "{f:?}"
    );
    let f = rejects!(
        iam,
        ann.get_account_authorization_details().send(),
        "AccessDenied"
    );
    assert!(
        f.message.contains("iam:GetAccountAuthorizationDetails"),
        "{f:?}"
    );

    // Paged: 2 users + 1 group + 3 roles + 3 policies = 9 items, 2 per page.
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = iam
            .get_account_authorization_details()
            .max_items(2)
            .set_marker(marker)
            .send()
            .await
            .unwrap();
        pages += 1;
        let n = page.user_detail_list().len()
            + page.group_detail_list().len()
            + page.role_detail_list().len()
            + page.policies().len();
        assert!(n <= 2);
        seen.extend(
            page.user_detail_list()
                .iter()
                .map(|u| u.user_name().unwrap().to_string()),
        );
        seen.extend(
            page.group_detail_list()
                .iter()
                .map(|g| g.group_name().unwrap().to_string()),
        );
        seen.extend(
            page.role_detail_list()
                .iter()
                .map(|r| r.role_name().unwrap().to_string()),
        );
        seen.extend(
            page.policies()
                .iter()
                .map(|p| p.policy_name().unwrap().to_string()),
        );
        marker = page.marker().map(str::to_string);
        if !page.is_truncated() {
            assert!(marker.is_none());
            break;
        }
    }
    assert_eq!(pages, 5);
    seen.sort();
    assert_eq!(
        seen,
        [
            "ReadOnlyAccess",
            "ann",
            "ben",
            "grp",
            "p1",
            "p2",
            "r1",
            "r2",
            "r3"
        ]
    );
}
