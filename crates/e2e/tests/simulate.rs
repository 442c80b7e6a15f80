//! The IAM policy simulator through the Rust SDK: SimulatePrincipalPolicy and
//! SimulateCustomPolicy (decisions, matched statements with their positions, permissions
//! boundaries, explicit denies, missing context values, context entries of every type,
//! resource policies, pagination) and GetContextKeysFor{Principal,Custom}Policy.
//!
//! Positions follow AWS's examples (awscli/examples/iam/simulate-custom-policy.rst: the
//! one-line policy there gives StartPosition 1:38 and EndPosition 1:167).

#[macro_use]
mod common;

use aws_sdk_iam::types::{
    ContextEntry, ContextKeyTypeEnum, EvaluationResult, PolicyEvaluationDecisionType as Decision,
    PolicySourceType,
};
use common::*;

/// The AWS CLI's `simulate-custom-policy` example policy.
const CLI_EXAMPLE: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}"#;

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

fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:user/{name}")
}

fn entry(name: &str, kind: ContextKeyTypeEnum, values: &[&str]) -> ContextEntry {
    ContextEntry::builder()
        .context_key_name(name)
        .context_key_type(kind)
        .set_context_key_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
}

fn decisions(results: &[EvaluationResult]) -> Vec<(&str, &Decision)> {
    results
        .iter()
        .map(|r| (r.eval_action_name(), r.eval_decision()))
        .collect()
}

/// POSTs a Query request signed with the server's root credentials.
fn signed_post(server: &Server, body: &str) -> HttpResponse {
    let root = server.root().clone();
    signed_post_as(server, &root.access_key_id, &root.secret_access_key, body)
}

/// POSTs a Query request signed with these keys.
fn signed_post_as(server: &Server, key_id: &str, secret: &str, body: &str) -> HttpResponse {
    let headers = sign_post(
        server.addr,
        (key_id, secret),
        "iam",
        &[("content-type", FORM)],
        body,
        now_epoch(),
    );
    http_request(server.addr, "POST", "/", &headers, body.as_bytes()).expect("HTTP request")
}

/// The text of a policy between two positions (1-based line and column, end exclusive).
fn between(text: &str, start: (i32, i32), end: (i32, i32)) -> String {
    let offset = |(line, column): (i32, i32)| {
        let mut l = 1;
        let mut c = 1;
        for (i, ch) in text.char_indices() {
            if (l, c) == (line, column) {
                return i;
            }
            if ch == '\n' {
                l += 1;
                c = 1;
            } else {
                c += 1;
            }
        }
        text.len()
    };
    text[offset(start)..offset(end)].to_string()
}

#[tokio::test]
async fn a_user_with_read_only_access() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_user().user_name("reader").send().await.unwrap();
    iam.attach_user_policy()
        .user_name("reader")
        .policy_arn(aws_policy("ReadOnlyAccess"))
        .send()
        .await
        .unwrap();
    let out = iam
        .simulate_principal_policy()
        .policy_source_arn(user_arn("reader"))
        .action_names("iam:GetRole")
        .action_names("iam:CreateRole")
        .send()
        .await
        .unwrap();
    let results = out.evaluation_results();
    assert_eq!(
        decisions(results),
        [
            ("iam:GetRole", &Decision::Allowed),
            ("iam:CreateRole", &Decision::ImplicitDeny)
        ]
    );
    assert!(!out.is_truncated());
    let get = &results[0];
    assert_eq!(get.eval_resource_name(), Some("*"));
    let [m] = get.matched_statements() else {
        panic!("one matched statement: {get:?}")
    };
    assert_eq!(m.source_policy_id(), Some("ReadOnlyAccess"));
    assert_eq!(m.source_policy_type(), Some(&PolicySourceType::AwsManaged));
    // The positions delimit the statement of ReadOnlyAccess that grants iam:Get*.
    let version = iam
        .get_policy_version()
        .policy_arn(aws_policy("ReadOnlyAccess"))
        .version_id(
            iam.get_policy()
                .policy_arn(aws_policy("ReadOnlyAccess"))
                .send()
                .await
                .unwrap()
                .policy()
                .unwrap()
                .default_version_id()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let text = doc(version.policy_version().unwrap().document().unwrap());
    let (start, end) = (m.start_position().unwrap(), m.end_position().unwrap());
    let statement = between(
        &text,
        (start.line(), start.column()),
        (end.line(), end.column()),
    );
    let statement = statement.trim_start_matches([',', '[', ' ', '\n', '\r', '\t']);
    assert!(
        statement.starts_with('{') && statement.ends_with('}'),
        "{statement}"
    );
    assert!(statement.contains("\"iam:Get*\""), "{statement}");
    assert!(!statement[1..].contains("\"Statement\""), "{statement}");
    // ReadOnlyAccess has a condition on s3express:SessionMode, which nothing gave.
    assert_eq!(get.missing_context_values(), ["s3express:SessionMode"]);
    assert!(get.permissions_boundary_decision_detail().is_none());

    let create = &results[1];
    assert!(create.matched_statements().is_empty());

    // Unknown entities.
    let f = fail(
        iam.simulate_principal_policy()
            .policy_source_arn(user_arn("nobody"))
            .action_names("iam:GetRole")
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity", "{f:?}");

    // An IAM user needs iam:SimulatePrincipalPolicy to call it: ReadOnlyAccess has
    // iam:Simulate*.
    let key = iam
        .create_access_key()
        .user_name("reader")
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    let reader = iam_with(&server, key.access_key_id(), key.secret_access_key());
    let out = reader
        .simulate_principal_policy()
        .policy_source_arn(user_arn("reader"))
        .action_names("iam:GetRole")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.evaluation_results()[0].eval_decision(),
        &Decision::Allowed
    );
    iam.create_user().user_name("nobody").send().await.unwrap();
    let key = iam
        .create_access_key()
        .user_name("nobody")
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    let nobody = iam_with(&server, key.access_key_id(), key.secret_access_key());
    let f = fail(
        nobody
            .simulate_custom_policy()
            .policy_input_list(allow(r#""s3:*""#, "*"))
            .action_names("s3:GetObject")
            .send()
            .await,
    );
    assert_eq!(f.code, "AccessDenied", "{f:?}");
}

#[tokio::test]
async fn permissions_boundaries_and_explicit_denies() {
    let server = Server::start();
    let iam = iam(&server);
    let boundary = iam
        .create_policy()
        .policy_name("S3Only")
        .policy_document(allow(r#""s3:*""#, "*"))
        .send()
        .await
        .unwrap();
    let boundary_arn = boundary.policy().unwrap().arn().unwrap().to_string();
    iam.create_user()
        .user_name("bounded")
        .permissions_boundary(&boundary_arn)
        .send()
        .await
        .unwrap();
    iam.attach_user_policy()
        .user_name("bounded")
        .policy_arn(aws_policy("AdministratorAccess"))
        .send()
        .await
        .unwrap();
    iam.create_group()
        .group_name("careful")
        .send()
        .await
        .unwrap();
    iam.add_user_to_group()
        .group_name("careful")
        .user_name("bounded")
        .send()
        .await
        .unwrap();
    let no_delete = deny(r#""s3:DeleteBucket""#, "*");
    iam.put_group_policy()
        .group_name("careful")
        .policy_name("NoDelete")
        .policy_document(&no_delete)
        .send()
        .await
        .unwrap();

    let out = iam
        .simulate_principal_policy()
        .policy_source_arn(user_arn("bounded"))
        .action_names("s3:GetObject")
        .action_names("iam:CreateRole")
        .action_names("s3:DeleteBucket")
        .send()
        .await
        .unwrap();
    let results = out.evaluation_results();
    assert_eq!(
        decisions(results),
        [
            ("s3:GetObject", &Decision::Allowed),
            ("iam:CreateRole", &Decision::ImplicitDeny),
            ("s3:DeleteBucket", &Decision::ExplicitDeny)
        ]
    );
    let boundary = |r: &EvaluationResult| {
        r.permissions_boundary_decision_detail()
            .map(|d| d.allowed_by_permissions_boundary())
    };
    assert_eq!(boundary(&results[0]), Some(true));
    assert_eq!(boundary(&results[1]), Some(false));
    assert_eq!(boundary(&results[2]), Some(true));
    assert_eq!(
        results[0].matched_statements()[0].source_policy_id(),
        Some("AdministratorAccess")
    );
    // The explicit deny is the only matched statement: the group's inline policy.
    let [m] = results[2].matched_statements() else {
        panic!("one statement: {:?}", results[2])
    };
    assert_eq!(m.source_policy_id(), Some("group_careful_NoDelete"));
    assert_eq!(m.source_policy_type(), Some(&PolicySourceType::Group));
    let start = m.start_position().unwrap();
    let end = m.end_position().unwrap();
    assert_eq!((start.line(), start.column()), (1, 38));
    assert_eq!((end.line(), end.column()), (1, no_delete.len() as i32 - 1));

    // A boundary given in the request replaces the user's.
    let out = iam
        .simulate_principal_policy()
        .policy_source_arn(user_arn("bounded"))
        .permissions_boundary_policy_input_list(allow(r#""iam:*""#, "*"))
        .action_names("s3:GetObject")
        .action_names("iam:CreateRole")
        .send()
        .await
        .unwrap();
    assert_eq!(
        decisions(out.evaluation_results()),
        [
            ("s3:GetObject", &Decision::ImplicitDeny),
            ("iam:CreateRole", &Decision::Allowed)
        ]
    );

    // PolicyExclusionList, as botocore sends it (the Rust SDK 1.133 writes the union's
    // members as `….member.1.member.X`, which names no member of the model).
    let exclude = |exclusion: &[(&str, &str)], action: &str| {
        let mut pairs = vec![
            ("Action", "SimulatePrincipalPolicy".to_string()),
            ("Version", "2010-05-08".to_string()),
            ("PolicySourceArn", user_arn("bounded")),
            ("ActionNames.member.1", action.to_string()),
        ];
        for (k, v) in exclusion {
            pairs.push((k, v.to_string()));
        }
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = signed_post(&server, &form(&pairs));
        assert_eq!(r.status, 200, "{}", r.text());
        r.xml("EvalDecision").unwrap()
    };
    let no_group_policy = [
        (
            "PolicyExclusionList.member.1.InlinePolicyIdentifier.PolicyName",
            "NoDelete",
        ),
        (
            "PolicyExclusionList.member.1.InlinePolicyIdentifier.AttachmentType",
            "group",
        ),
        (
            "PolicyExclusionList.member.1.InlinePolicyIdentifier.AttachmentName",
            "careful",
        ),
    ];
    assert_eq!(exclude(&[], "s3:DeleteBucket"), "explicitDeny");
    assert_eq!(exclude(&no_group_policy, "s3:DeleteBucket"), "allowed");
    let no_aws_managed = [("PolicyExclusionList.member.1.PolicyType", "aws-managed")];
    assert_eq!(exclude(&no_aws_managed, "s3:GetObject"), "implicitDeny");
    let by_arn = [(
        "PolicyExclusionList.member.1.PolicyArn",
        "arn:aws:iam::aws:policy/Admin*",
    )];
    assert_eq!(exclude(&by_arn, "s3:GetObject"), "implicitDeny");
    let no_boundary = [(
        "PolicyExclusionList.member.1.PolicyType",
        "permission-boundary",
    )];
    assert_eq!(exclude(&no_boundary, "iam:CreateRole"), "allowed");

    // The same with SimulateCustomPolicy.
    let out = iam
        .simulate_custom_policy()
        .policy_input_list(allow(r#""*""#, "*"))
        .policy_input_list(&no_delete)
        .permissions_boundary_policy_input_list(allow(r#""s3:*""#, "*"))
        .action_names("s3:GetObject")
        .action_names("s3:DeleteBucket")
        .action_names("ec2:RunInstances")
        .send()
        .await
        .unwrap();
    let results = out.evaluation_results();
    assert_eq!(
        decisions(results),
        [
            ("s3:GetObject", &Decision::Allowed),
            ("s3:DeleteBucket", &Decision::ExplicitDeny),
            ("ec2:RunInstances", &Decision::ImplicitDeny)
        ]
    );
    assert_eq!(
        results[1].matched_statements()[0].source_policy_id(),
        Some("PolicyInputList.2")
    );
    assert_eq!(
        results[1].matched_statements()[0].source_policy_type(),
        Some(&PolicySourceType::None)
    );
    assert_eq!(boundary(&results[2]), Some(false));
}

#[tokio::test]
async fn missing_context_values_and_context_entries_of_every_type() {
    let server = Server::start();
    let iam = iam(&server);

    // The AWS CLI example: allowed with a late enough time, at the positions AWS gives.
    let out = iam
        .simulate_custom_policy()
        .policy_input_list(CLI_EXAMPLE)
        .action_names("dynamodb:CreateBackup")
        .context_entries(entry(
            "aws:CurrentTime",
            ContextKeyTypeEnum::Date,
            &["2019-04-25T11:00:00Z"],
        ))
        .send()
        .await
        .unwrap();
    let r = &out.evaluation_results()[0];
    assert_eq!(r.eval_decision(), &Decision::Allowed);
    let m = &r.matched_statements()[0];
    assert_eq!(m.source_policy_id(), Some("PolicyInputList.1"));
    let (start, end) = (m.start_position().unwrap(), m.end_position().unwrap());
    assert_eq!((start.line(), start.column()), (1, 38));
    assert_eq!((end.line(), end.column()), (1, 167));
    assert!(r.missing_context_values().is_empty());
    // Without the key: not allowed, and the key is reported missing.
    let out = iam
        .simulate_custom_policy()
        .policy_input_list(CLI_EXAMPLE)
        .action_names("dynamodb:CreateBackup")
        .send()
        .await
        .unwrap();
    let r = &out.evaluation_results()[0];
    assert_eq!(r.eval_decision(), &Decision::ImplicitDeny);
    assert_eq!(r.missing_context_values(), ["aws:CurrentTime"]);

    // One statement per context key type, each for its own action.
    let policy = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "test:String", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ml"}}},
    {"Effect": "Allow", "Action": "test:StringList", "Resource": "*", "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}},
    {"Effect": "Allow", "Action": "test:Numeric", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": "10"}}},
    {"Effect": "Allow", "Action": "test:NumericList", "Resource": "*", "Condition": {"ForAnyValue:NumericGreaterThan": {"test:sizes": "100"}}},
    {"Effect": "Allow", "Action": "test:Boolean", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
    {"Effect": "Allow", "Action": "test:BooleanList", "Resource": "*", "Condition": {"ForAllValues:Bool": {"test:flags": "true"}}},
    {"Effect": "Allow", "Action": "test:Ip", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
    {"Effect": "Allow", "Action": "test:IpList", "Resource": "*", "Condition": {"ForAnyValue:IpAddress": {"test:hops": "192.168.0.0/16"}}},
    {"Effect": "Allow", "Action": "test:Binary", "Resource": "*", "Condition": {"BinaryEquals": {"test:blob": "QmluYXJ5"}}},
    {"Effect": "Allow", "Action": "test:BinaryList", "Resource": "*", "Condition": {"ForAnyValue:BinaryEquals": {"test:blobs": "QQ=="}}},
    {"Effect": "Allow", "Action": "test:Date", "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}},
    {"Effect": "Allow", "Action": "test:DateList", "Resource": "*", "Condition": {"ForAllValues:DateLessThan": {"test:dates": "2020-01-01T00:00:00Z"}}}
  ]
}"#;
    use ContextKeyTypeEnum as T;
    let cases: [(&str, ContextEntry, ContextEntry); 12] = [
        (
            "test:String",
            entry("aws:PrincipalTag/team", T::String, &["ml"]),
            entry("aws:PrincipalTag/team", T::String, &["ops"]),
        ),
        (
            "test:StringList",
            entry("aws:TagKeys", T::StringList, &["a", "b"]),
            entry("aws:TagKeys", T::StringList, &["a", "c"]),
        ),
        (
            "test:Numeric",
            entry("s3:max-keys", T::Numeric, &["9.5"]),
            entry("s3:max-keys", T::Numeric, &["10"]),
        ),
        (
            "test:NumericList",
            entry("test:sizes", T::NumericList, &["1", "200"]),
            entry("test:sizes", T::NumericList, &["1", "2"]),
        ),
        (
            "test:Boolean",
            entry("aws:SecureTransport", T::Boolean, &["true"]),
            entry("aws:SecureTransport", T::Boolean, &["false"]),
        ),
        (
            "test:BooleanList",
            entry("test:flags", T::BooleanList, &["true", "true"]),
            entry("test:flags", T::BooleanList, &["true", "false"]),
        ),
        (
            "test:Ip",
            entry("aws:SourceIp", T::Ip, &["10.1.2.3"]),
            entry("aws:SourceIp", T::Ip, &["11.1.2.3"]),
        ),
        (
            "test:IpList",
            entry("test:hops", T::IpList, &["10.0.0.1", "192.168.1.1"]),
            entry("test:hops", T::IpList, &["10.0.0.1"]),
        ),
        (
            "test:Binary",
            entry("test:blob", T::Binary, &["QmluYXJ5"]),
            entry("test:blob", T::Binary, &["QQ=="]),
        ),
        (
            "test:BinaryList",
            entry("test:blobs", T::BinaryList, &["Qg==", "QQ=="]),
            entry("test:blobs", T::BinaryList, &["Qg=="]),
        ),
        (
            "test:Date",
            entry("aws:CurrentTime", T::Date, &["2024-06-01T12:00:00Z"]),
            entry("aws:CurrentTime", T::Date, &["2019-06-01T12:00:00Z"]),
        ),
        (
            "test:DateList",
            entry(
                "test:dates",
                T::DateList,
                &["2019-01-01T00:00:00Z", "1500000000"],
            ),
            entry(
                "test:dates",
                T::DateList,
                &["2019-01-01T00:00:00Z", "2021-01-01T00:00:00Z"],
            ),
        ),
    ];
    for (action, yes, no) in cases {
        let key = yes.context_key_name().unwrap().to_string();
        for (entry, want) in [(yes, Decision::Allowed), (no, Decision::ImplicitDeny)] {
            let out = iam
                .simulate_custom_policy()
                .policy_input_list(policy)
                .action_names(action)
                .context_entries(entry.clone())
                .send()
                .await
                .unwrap();
            let r = &out.evaluation_results()[0];
            assert_eq!(r.eval_decision(), &want, "{action} with {entry:?}");
            assert!(
                !r.missing_context_values()
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&key)),
                "{action}: {:?}",
                r.missing_context_values()
            );
            if want == Decision::Allowed {
                // Each statement sits on its own line, from after the previous token to
                // after its closing brace.
                let m = &r.matched_statements()[0];
                let (s, e) = (m.start_position().unwrap(), m.end_position().unwrap());
                let text = between(policy, (s.line(), s.column()), (e.line(), e.column()));
                assert!(text.contains(&format!("\"{action}\"")), "{text}");
                assert_eq!(e.line(), s.line() + 1, "{action}");
            }
        }
    }
    // A value that is not of its type is InvalidInput.
    let f = fail(
        iam.simulate_custom_policy()
            .policy_input_list(policy)
            .action_names("test:Numeric")
            .context_entries(entry("s3:max-keys", T::Numeric, &["ten"]))
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidInput", "{f:?}");
}

#[tokio::test]
async fn custom_policy_with_a_resource_policy() {
    let server = Server::start();
    let iam = iam(&server);
    let bucket_policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Alice","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}"#;
    let simulate = |identity: String, owner: &'static str| {
        iam.simulate_custom_policy()
            .policy_input_list(identity)
            .resource_policy(bucket_policy)
            .caller_arn("arn:aws:iam::111122223333:user/alice")
            .resource_owner(owner)
            .action_names("s3:GetObject")
            .resource_arns("arn:aws:s3:::shared/report.csv")
            .resource_arns("arn:aws:s3:::private/secret.txt")
            .send()
    };
    // Same account: the bucket policy alone allows the shared object.
    let out = simulate(allow(r#""ec2:*""#, "*"), "111122223333")
        .await
        .unwrap();
    let r = &out.evaluation_results()[0];
    assert_eq!(
        r.eval_decision(),
        &Decision::ImplicitDeny,
        "most restrictive"
    );
    assert_eq!(
        r.eval_resource_name(),
        Some("arn:aws:s3:::${BucketName}/${ObjectName}")
    );
    let specific = r.resource_specific_results();
    assert_eq!(specific.len(), 2);
    assert_eq!(
        specific[0].eval_resource_name(),
        "arn:aws:s3:::shared/report.csv"
    );
    assert_eq!(specific[0].eval_resource_decision(), &Decision::Allowed);
    let m = &specific[0].matched_statements()[0];
    assert_eq!(m.source_policy_id(), Some("ResourcePolicy"));
    assert_eq!(m.source_policy_type(), Some(&PolicySourceType::Resource));
    assert_eq!(
        specific[1].eval_resource_decision(),
        &Decision::ImplicitDeny
    );

    // Across accounts the identity side must allow too; EvalDecisionDetails says which
    // side did not.
    let out = simulate(allow(r#""ec2:*""#, "*"), "arn:aws:iam::444455556666:root")
        .await
        .unwrap();
    let shared = &out.evaluation_results()[0].resource_specific_results()[0];
    assert_eq!(shared.eval_resource_decision(), &Decision::ImplicitDeny);
    let details = shared.eval_decision_details().unwrap();
    assert_eq!(details.get("IAM Policy"), Some(&Decision::ImplicitDeny));
    assert_eq!(details.get("Resource Policy"), Some(&Decision::Allowed));
    let out = simulate(allow(r#""s3:GetObject""#, "*"), "444455556666")
        .await
        .unwrap();
    let shared = &out.evaluation_results()[0].resource_specific_results()[0];
    assert_eq!(shared.eval_resource_decision(), &Decision::Allowed);
    assert_eq!(shared.matched_statements().len(), 2);

    // A resource policy needs a caller.
    let f = fail(
        iam.simulate_custom_policy()
            .policy_input_list(allow(r#""s3:*""#, "*"))
            .resource_policy(bucket_policy)
            .action_names("s3:GetObject")
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidInput", "{f:?}");
}

#[tokio::test]
async fn assume_role_evaluates_the_roles_trust_policy() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_user().user_name("alice").send().await.unwrap();
    iam.put_user_policy()
        .user_name("alice")
        .policy_name("Assume")
        .policy_document(allow(r#""sts:AssumeRole""#, "*"))
        .send()
        .await
        .unwrap();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT_ID}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    iam.create_role()
        .role_name("open")
        .assume_role_policy_document(&trust)
        .send()
        .await
        .unwrap();
    iam.create_role()
        .role_name("ec2-only")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap();
    let role = |name: &str| format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}");
    let out = iam
        .simulate_principal_policy()
        .policy_source_arn(user_arn("alice"))
        .action_names("sts:AssumeRole")
        .resource_arns(role("open"))
        .resource_arns(role("ec2-only"))
        .send()
        .await
        .unwrap();
    let specific = out.evaluation_results()[0].resource_specific_results();
    assert_eq!(specific[0].eval_resource_decision(), &Decision::Allowed);
    let sources: Vec<_> = specific[0]
        .matched_statements()
        .iter()
        .map(|m| {
            (
                m.source_policy_id().unwrap(),
                m.source_policy_type().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        sources,
        [
            (role("open").as_str(), &PolicySourceType::Resource),
            ("user_alice_Assume", &PolicySourceType::User)
        ]
    );
    assert_eq!(
        specific[1].eval_resource_decision(),
        &Decision::ImplicitDeny
    );
}

#[tokio::test]
async fn results_are_paginated() {
    let server = Server::start();
    let iam = iam(&server);
    let actions = [
        "s3:GetObject",
        "s3:PutObject",
        "ec2:RunInstances",
        "iam:GetRole",
        "sqs:SendMessage",
    ];
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = iam
            .simulate_custom_policy()
            .policy_input_list(allow(r#""s3:*""#, "*"))
            .set_action_names(Some(actions.iter().map(|a| a.to_string()).collect()))
            .max_items(2)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(out.evaluation_results().len() <= 2);
        seen.extend(
            out.evaluation_results()
                .iter()
                .map(|r| (r.eval_action_name().to_string(), r.eval_decision().clone())),
        );
        if !out.is_truncated() {
            assert!(out.marker().is_none());
            break;
        }
        marker = out.marker().map(str::to_string);
    }
    assert_eq!(pages, 3);
    let names: Vec<&str> = seen.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(names, actions);
    assert_eq!(seen[1].1, Decision::Allowed);
    assert_eq!(seen[2].1, Decision::ImplicitDeny);

    // The SDK's paginator walks the same pages.
    iam.create_user().user_name("paged").send().await.unwrap();
    let items: Vec<_> = iam
        .simulate_principal_policy()
        .policy_source_arn(user_arn("paged"))
        .policy_input_list(allow(r#""s3:*""#, "*"))
        .set_action_names(Some(actions.iter().map(|a| a.to_string()).collect()))
        .max_items(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(items.len(), actions.len());
}

#[tokio::test]
async fn context_keys_of_policies() {
    let server = Server::start();
    let iam = iam(&server);
    // The AWS CLI's get-context-keys-for-custom-policy example.
    let example = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2015-08-16T12:00:00Z"}}}}"#;
    let out = iam
        .get_context_keys_for_custom_policy()
        .policy_input_list(example)
        .send()
        .await
        .unwrap();
    assert_eq!(out.context_key_names(), ["aws:username", "aws:CurrentTime"]);

    iam.create_user().user_name("saanvi").send().await.unwrap();
    iam.put_user_policy()
        .user_name("saanvi")
        .policy_name("Tables")
        .policy_document(example)
        .send()
        .await
        .unwrap();
    iam.create_group().group_name("net").send().await.unwrap();
    iam.add_user_to_group()
        .group_name("net")
        .user_name("saanvi")
        .send()
        .await
        .unwrap();
    iam.put_group_policy()
        .group_name("net")
        .policy_name("FromOffice")
        .policy_document(r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"},"Bool":{"aws:ViaAWSService":"false"}}}}"#)
        .send()
        .await
        .unwrap();
    let out = iam
        .get_context_keys_for_principal_policy()
        .policy_source_arn(user_arn("saanvi"))
        .policy_input_list(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"AWS:SourceIP":"x","s3:prefix":"home/"}}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.context_key_names(),
        [
            "aws:username",
            "aws:CurrentTime",
            "aws:SourceIp",
            "aws:ViaAWSService",
            "s3:prefix"
        ]
    );
    let out = iam
        .get_context_keys_for_principal_policy()
        .policy_source_arn(format!("arn:aws:iam::{ACCOUNT_ID}:group/net"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.context_key_names(),
        ["aws:SourceIp", "aws:ViaAWSService"]
    );
    let f = fail(
        iam.get_context_keys_for_custom_policy()
            .policy_input_list(NOT_JSON)
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidInput", "{f:?}");
    let f = fail(
        iam.get_context_keys_for_principal_policy()
            .policy_source_arn(format!("arn:aws:iam::{ACCOUNT_ID}:role/none"))
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity", "{f:?}");
}

/// A SimulateCustomPolicy form body.
fn simulation_body(actions: &[String], resources: &[String], max_items: Option<usize>) -> String {
    let policy = allow(r#""s3:*""#, "*");
    let max = max_items.map(|m| m.to_string());
    let mut pairs: Vec<(String, &str)> = vec![
        ("Action".into(), "SimulateCustomPolicy"),
        ("Version".into(), "2010-05-08"),
        ("PolicyInputList.member.1".into(), policy.as_str()),
    ];
    for (i, a) in actions.iter().enumerate() {
        pairs.push((format!("ActionNames.member.{}", i + 1), a));
    }
    for (i, r) in resources.iter().enumerate() {
        pairs.push((format!("ResourceArns.member.{}", i + 1), r));
    }
    if let Some(m) = &max {
        pairs.push(("MaxItems".into(), m));
    }
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    form(&pairs)
}

/// The most bytes a page of simulation results may take: 2 MiB (one page's items, plus
/// one item over) and the XML envelope.
const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024 + 4096;

#[tokio::test]
async fn a_read_only_users_huge_simulation_is_refused_or_paged_small() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_user().user_name("reader").send().await.unwrap();
    iam.attach_user_policy()
        .user_name("reader")
        .policy_arn(aws_policy("IAMReadOnlyAccess"))
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("reader")
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    let (id, secret) = (key.access_key_id(), key.secret_access_key());
    let actions = |n: usize| -> Vec<String> { (0..n).map(|i| format!("s3:Action{i}")).collect() };

    // The security review's request: 100 actions on 8,000 resources (half a megabyte),
    // 800,000 evaluations. Refused at once, in a few hundred bytes.
    let resources: Vec<String> = (0..8000)
        .map(|i| format!("arn:aws:s3:::bucket/object-{i}"))
        .collect();
    let body = simulation_body(&actions(100), &resources, None);
    assert!(body.len() > 400_000, "{}", body.len());
    let r = signed_post_as(&server, id, secret, &body);
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        r.xml("Code").as_deref(),
        Some("InvalidInput"),
        "{}",
        r.text()
    );
    let message = r.xml("Message").unwrap();
    assert!(
        message.contains("ResourceArns has 8000 members, more than the 1000"),
        "{message}"
    );
    assert!(r.body.len() < 1024, "{} bytes", r.body.len());

    // Within the per-list limits but past the evaluations a simulation may have.
    let resources: Vec<String> = (0..1000)
        .map(|i| format!("arn:aws:s3:::bucket/object-{i}"))
        .collect();
    let r = signed_post_as(
        &server,
        id,
        secret,
        &simulation_body(&actions(11), &resources, None),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.xml("Code").as_deref(), Some("InvalidInput"));
    assert!(
        r.xml("Message")
            .unwrap()
            .contains("needs 11000 evaluations, more than the 10000"),
        "{}",
        r.text()
    );

    // The largest accepted simulation, with 1,000-character ARNs and MaxItems 1000: each
    // page stays small, and the pages hold all 10,000 results.
    let resources: Vec<String> = (0..1000)
        .map(|i| format!("arn:aws:s3:::bucket/{i:04}-{}", "x".repeat(975)))
        .collect();
    let mut marker: Option<String> = None;
    let (mut pages, mut results, mut largest) = (0, 0, 0);
    loop {
        let mut body = simulation_body(&actions(10), &resources, Some(1000));
        if let Some(m) = &marker {
            body.push_str(&format!("&Marker={}", percent_encode(m)));
        }
        let r = signed_post_as(&server, id, secret, &body);
        assert_eq!(r.status, 200, "{}", &r.text()[..500.min(r.body.len())]);
        assert!(r.body.len() <= MAX_PAGE_BYTES, "{} bytes", r.body.len());
        largest = largest.max(r.body.len());
        pages += 1;
        let on_page = r.text().matches("<EvalResourceDecision>").count();
        assert!((1..=1000).contains(&on_page), "{on_page}");
        results += on_page;
        marker = r.xml("Marker");
        assert_eq!(
            r.xml("IsTruncated").as_deref(),
            Some(if marker.is_some() { "true" } else { "false" })
        );
        if marker.is_none() {
            break;
        }
        assert!(pages < 100);
    }
    assert_eq!(results, 10_000);
    assert!(pages >= 10, "{pages} pages");
    assert!(largest > 512 * 1024, "{largest}");
}

#[tokio::test]
async fn paging_through_resource_specific_results_gives_each_once() {
    let server = Server::start();
    let iam = iam(&server);
    let actions = ["s3:GetObject", "s3:PutObject", "sqs:SendMessage"];
    let resources: Vec<String> = (0..250)
        .map(|i| format!("arn:aws:s3:::bucket/object-{i:03}"))
        .collect();
    // One object is denied: the decision of each S3 action, on every page that answers
    // it, is the one over all its resources.
    let policies = [
        allow(r#""s3:*""#, "*"),
        deny(r#""s3:*""#, "arn:aws:s3:::bucket/object-123"),
    ];
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = iam
            .simulate_custom_policy()
            .set_policy_input_list(Some(policies.to_vec()))
            .set_action_names(Some(actions.iter().map(|a| a.to_string()).collect()))
            .set_resource_arns(Some(resources.clone()))
            .max_items(100)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        let mut on_page = 0;
        for result in out.evaluation_results() {
            let expected = if result.eval_action_name().starts_with("s3:") {
                Decision::ExplicitDeny
            } else {
                Decision::ImplicitDeny
            };
            assert_eq!(result.eval_decision(), &expected, "{result:?}");
            assert!(!result.resource_specific_results().is_empty());
            for r in result.resource_specific_results() {
                on_page += 1;
                seen.push((
                    result.eval_action_name().to_string(),
                    r.eval_resource_name().to_string(),
                ));
            }
        }
        assert!(on_page <= 100, "{on_page} results on page {pages}");
        if !out.is_truncated() {
            break;
        }
        marker = out.marker().map(str::to_string);
    }
    let expected: Vec<(String, String)> = actions
        .iter()
        .flat_map(|a| resources.iter().map(move |r| (a.to_string(), r.clone())))
        .collect();
    assert_eq!(seen.len(), 750);
    assert_eq!(seen, expected);
    assert_eq!(pages, 8);

    // The SDK's paginator walks the same pages: every (action, resource) once.
    let items: Vec<EvaluationResult> = iam
        .simulate_custom_policy()
        .set_policy_input_list(Some(policies.to_vec()))
        .set_action_names(Some(actions.iter().map(|a| a.to_string()).collect()))
        .set_resource_arns(Some(resources.clone()))
        .max_items(100)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let walked: Vec<(String, String)> = items
        .iter()
        .flat_map(|e| {
            e.resource_specific_results().iter().map(|r| {
                (
                    e.eval_action_name().to_string(),
                    r.eval_resource_name().to_string(),
                )
            })
        })
        .collect();
    assert_eq!(walked, expected);
}
