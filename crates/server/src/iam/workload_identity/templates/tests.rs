//! The template operations against an in-memory App.

use super::*;
use crate::app::App;
use crate::caller::Caller;
use crate::config::Config;
use portcullis_store::WorkloadIdentityProvider;
use serde_json::{Value, json};

const CLUSTER: &str = "aws:WorkloadAttestation/aws/eks/ClusterName";
const NAMESPACE: &str = "aws:WorkloadAttestation/aws/eks/Namespace";

async fn app() -> App {
    let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
    app
}

/// Stores a provider record as the providers module would (fields it may add later take
/// their defaults).
async fn add_provider(app: &App, name: &str) -> String {
    let account = app.account_id().to_string();
    let arn = format!("arn:aws:iam::{account}:workload-identity-provider/{name}");
    let provider: WorkloadIdentityProvider = serde_json::from_value(json!({
        "arn": arn,
        "name": name,
        "id": "AWPAEXAMPLEEXAMPLEEX",
        "scope": "ACCOUNT",
        "scheme": "SPIFFE",
        "domain": "corp.example.com",
        "create_date": 0,
    }))
    .unwrap();
    app.write(|_| Ok((vec![Change::put(&account, &provider)], ())))
        .await
        .unwrap();
    arn
}

async fn run(app: &App, op: &str, input: Value) -> Result<Value, Error> {
    let caller = Caller::test_root();
    let ctx = Ctx {
        app,
        caller: &caller,
    };
    crate::iam::call(op, &ctx, &input)
        .await
        .expect("a template operation")
}

fn err(r: Result<Value, Error>) -> (String, String) {
    let e = r.unwrap_err().into_aws();
    (e.code().to_string(), e.message().to_string())
}

fn pattern() -> String {
    format!("{{{CLUSTER}}}/ns/{{{NAMESPACE}}}")
}

fn policy(service: &str, condition_key: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:IssueWorkloadIdentityContext",
            "Resource": "*",
            "Condition": {"StringEquals": {condition_key: "x"}}
        }]
    })
    .to_string()
}

#[tokio::test]
async fn creates_gets_lists_and_deletes() {
    let app = app().await;
    let provider = add_provider(&app, "corp").await;
    let account = app.account_id().to_string();
    let created = run(
        &app,
        "CreateWorkloadIdentityTemplate",
        json!({
            "Name": "Payments",
            "WorkloadIdentityProviderArn": provider,
            "PathPattern": pattern(),
            "PathPrefix": "analytics/jobs",
            "Description": "payments pods",
            "Tags": [{"Key": "team", "Value": "pay"}],
        }),
    )
    .await
    .unwrap();
    let arn = format!("arn:aws:iam::{account}:workload-identity-template/Payments");
    assert_eq!(created["Arn"], arn);
    assert_eq!(created["Name"], "Payments");
    assert_eq!(created["ResourceScope"], "ACCOUNT");
    assert_eq!(created["PathPrefix"], "analytics/jobs");
    assert_eq!(created["Description"], "payments pods");
    assert_eq!(created["Tags"], json!([{"Key": "team", "Value": "pay"}]));
    assert!(created.get("AttestationPolicy").is_none());
    let id = created["TemplateId"].as_str().unwrap();
    assert!(id.starts_with("AWTA") && id.len() == 21, "{id}");

    let got = run(
        &app,
        "GetWorkloadIdentityTemplate",
        json!({"WorkloadIdentityTemplateArn": arn}),
    )
    .await
    .unwrap();
    assert_eq!(got, created);

    // Names are unique without regard to case.
    let again = run(
        &app,
        "CreateWorkloadIdentityTemplate",
        json!({"Name": "payments", "WorkloadIdentityProviderArn": provider, "PathPattern": pattern()}),
    )
    .await;
    assert_eq!(err(again).0, "EntityAlreadyExists");

    let listed = run(
        &app,
        "ListWorkloadIdentityTemplates",
        json!({"WorkloadIdentityProviderArn": provider}),
    )
    .await
    .unwrap();
    assert_eq!(listed["IsTruncated"], false);
    let items = listed["WorkloadIdentityTemplates"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["Arn"], arn);
    assert!(items[0].get("Tags").is_none() && items[0].get("TemplateId").is_none());

    let deleted = run(
        &app,
        "DeleteWorkloadIdentityTemplate",
        json!({"WorkloadIdentityTemplateArn": arn}),
    )
    .await
    .unwrap();
    assert_eq!(
        deleted,
        json!({"WorkloadIdentityTemplateArn": arn, "Status": "SUCCEEDED"})
    );
    let (code, message) = err(run(
        &app,
        "DeleteWorkloadIdentityTemplate",
        json!({"WorkloadIdentityTemplateArn": arn}),
    )
    .await);
    assert_eq!(code, "NoSuchEntity");
    assert_eq!(
        message,
        format!("The workload identity template {arn} cannot be found.")
    );
    // Recreated under the same name: same ARN, new ID.
    let recreated = run(
        &app,
        "CreateWorkloadIdentityTemplate",
        json!({"Name": "Payments", "WorkloadIdentityProviderArn": provider, "PathPattern": pattern()}),
    )
    .await
    .unwrap();
    assert_eq!(recreated["Arn"], arn);
    assert_ne!(recreated["TemplateId"], created["TemplateId"]);
}

#[tokio::test]
async fn enforces_the_modes_and_the_grammar() {
    let app = app().await;
    let provider = add_provider(&app, "corp").await;
    let create = |input: Value| run(&app, "CreateWorkloadIdentityTemplate", input);
    let definition = json!({"TemplateDefinitionArn": "arn:aws:iam::aws:workload-identity-template-definition/eks.amazonaws.com/account-provider-default:1"});
    let (code, message) = err(create(json!({"TemplateDefinition": definition, "Name": "x"})).await);
    assert_eq!(code, "InvalidInput");
    assert!(
        message.starts_with("Name cannot be specified with TemplateDefinition"),
        "{message}"
    );
    let (code, message) = err(create(json!({
        "TemplateDefinition": definition,
        "Tags": [{"Key": "a", "Value": "1"}],
    }))
    .await);
    assert_eq!(code, "NoSuchEntity");
    assert!(
        message.contains("account-provider-default:1 cannot be found"),
        "{message}"
    );
    let (code, message) = err(create(json!({"Name": "x", "PathPattern": pattern()})).await);
    assert_eq!(code, "InvalidInput");
    assert!(
        message.ends_with("missing WorkloadIdentityProviderArn."),
        "{message}"
    );
    let (code, _) = err(create(json!({})).await);
    assert_eq!(code, "InvalidInput");

    let (code, message) = err(create(json!({
        "Name": "x", "WorkloadIdentityProviderArn": provider, "PathPattern": "{aws:PrincipalArn}/x",
    }))
    .await);
    assert_eq!(code, "InvalidInput");
    assert!(message.contains("resolves to the caller"), "{message}");
    let (code, message) = err(create(json!({
        "Name": "x", "WorkloadIdentityProviderArn": provider, "PathPattern": pattern(), "PathPrefix": "a/../b",
    }))
    .await);
    assert_eq!(code, "InvalidInput");
    assert_eq!(
        message,
        "The PathPrefix a/../b is not valid: segment 2 is the relative path modifier ..."
    );
    let (code, message) = err(create(json!({
        "Name": "x", "WorkloadIdentityProviderArn": provider, "PathPattern": pattern(), "ResourceScope": "ORGANIZATION",
    }))
    .await);
    assert_eq!(code, "InvalidInput");
    assert!(message.contains("no organization"), "{message}");
    let missing = provider.replace("corp", "gone");
    let (code, message) = err(create(json!({
        "Name": "x", "WorkloadIdentityProviderArn": missing, "PathPattern": pattern(),
    }))
    .await);
    assert_eq!(code, "NoSuchEntity");
    assert_eq!(
        message,
        format!("The workload identity provider {missing} cannot be found.")
    );
    let (code, _) = err(create(json!({
        "Name": "x", "WorkloadIdentityProviderArn": provider, "PathPattern": pattern(),
        "Tags": [{"Key": "Team", "Value": "a"}, {"Key": "team", "Value": "b"}],
    }))
    .await);
    assert_eq!(code, "InvalidInput");
    assert!(app.read(|e| e.workload_templates.is_empty()));
}

#[tokio::test]
async fn manages_the_attestation_policy() {
    let app = app().await;
    let provider = add_provider(&app, "corp").await;
    let eks = policy("eks.amazonaws.com", CLUSTER);
    let created = run(
        &app,
        "CreateWorkloadIdentityTemplate",
        json!({"Name": "a", "WorkloadIdentityProviderArn": provider, "PathPattern": pattern(), "AttestationPolicy": eks}),
    )
    .await
    .unwrap();
    assert_eq!(created["AttestationPolicy"], eks);
    let arn = created["Arn"].as_str().unwrap().to_string();
    let by_arn = json!({"WorkloadIdentityTemplateArn": arn});
    let got = run(&app, "GetWorkloadIdentityTemplate", by_arn.clone())
        .await
        .unwrap();
    assert!(got.get("AttestationPolicy").is_none());
    let read = run(
        &app,
        "GetWorkloadIdentityTemplateAttestationPolicy",
        by_arn.clone(),
    )
    .await
    .unwrap();
    assert_eq!(
        read,
        json!({"WorkloadIdentityTemplateArn": arn, "AttestationPolicy": eks})
    );

    // A policy on a fact the pattern does not render does not fit.
    let unfit = policy(
        "eks.amazonaws.com",
        "aws:WorkloadAttestation/aws/eks/PodName",
    );
    let (code, _) = err(run(
        &app,
        "PutWorkloadIdentityTemplateAttestationPolicy",
        json!({"WorkloadIdentityTemplateArn": arn, "AttestationPolicy": unfit}),
    )
    .await);
    assert_eq!(code, "InvalidInput");
    let (code, _) = err(run(
        &app,
        "PutWorkloadIdentityTemplateAttestationPolicy",
        json!({"WorkloadIdentityTemplateArn": arn, "AttestationPolicy": "{\"Statement\": 5}"}),
    )
    .await);
    assert_eq!(code, "MalformedPolicyDocument");

    // Upsert.
    let bedrock = policy("bedrock-agentcore.amazonaws.com", NAMESPACE);
    run(
        &app,
        "PutWorkloadIdentityTemplateAttestationPolicy",
        json!({"WorkloadIdentityTemplateArn": arn, "AttestationPolicy": bedrock}),
    )
    .await
    .unwrap();
    let read = run(
        &app,
        "GetWorkloadIdentityTemplateAttestationPolicy",
        by_arn.clone(),
    )
    .await
    .unwrap();
    assert_eq!(read["AttestationPolicy"], bedrock);

    run(
        &app,
        "DeleteWorkloadIdentityTemplateAttestationPolicy",
        by_arn.clone(),
    )
    .await
    .unwrap();
    for op in [
        "GetWorkloadIdentityTemplateAttestationPolicy",
        "DeleteWorkloadIdentityTemplateAttestationPolicy",
    ] {
        let (code, message) = err(run(&app, op, by_arn.clone()).await);
        assert_eq!(code, "NoSuchEntity");
        assert_eq!(
            message,
            format!("The workload identity template {arn} has no attestation policy.")
        );
    }
    // The template itself stays.
    run(&app, "GetWorkloadIdentityTemplate", by_arn)
        .await
        .unwrap();
}

#[tokio::test]
async fn filters_and_pages_lists() {
    let app = app().await;
    let provider = add_provider(&app, "corp").await;
    let other = add_provider(&app, "other").await;
    for (name, service, under) in [
        ("t1", Some("eks.amazonaws.com"), &provider),
        ("t2", None, &provider),
        ("t3", Some("bedrock-agentcore.amazonaws.com"), &provider),
        ("t4", Some("eks.amazonaws.com"), &provider),
        ("t5", Some("eks.amazonaws.com"), &other),
    ] {
        let mut input =
            json!({"Name": name, "WorkloadIdentityProviderArn": under, "PathPattern": pattern()});
        if let Some(s) = service {
            input["AttestationPolicy"] = json!(policy(s, CLUSTER));
        }
        run(&app, "CreateWorkloadIdentityTemplate", input)
            .await
            .unwrap();
    }
    let names = |v: &Value| -> Vec<String> {
        v["WorkloadIdentityTemplates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["Name"].as_str().unwrap().to_string())
            .collect()
    };
    let eks = run(
        &app,
        "ListWorkloadIdentityTemplates",
        json!({"WorkloadIdentityProviderArn": provider, "Filter": "service_principal=\"eks.amazonaws.com\""}),
    )
    .await
    .unwrap();
    assert_eq!(names(&eks), ["t1", "t4"]);
    let first = run(
        &app,
        "ListWorkloadIdentityTemplates",
        json!({"WorkloadIdentityProviderArn": provider, "MaxItems": 2}),
    )
    .await
    .unwrap();
    assert_eq!(names(&first), ["t1", "t2"]);
    assert_eq!(first["IsTruncated"], true);
    let rest = run(
        &app,
        "ListWorkloadIdentityTemplates",
        json!({"WorkloadIdentityProviderArn": provider, "MaxItems": 2, "Marker": first["Marker"]}),
    )
    .await
    .unwrap();
    assert_eq!(names(&rest), ["t3", "t4"]);
    assert_eq!(rest["IsTruncated"], false);

    let (code, _) = err(run(
        &app,
        "ListWorkloadIdentityTemplates",
        json!({"WorkloadIdentityProviderArn": provider, "Filter": "name = \"t1\""}),
    )
    .await);
    assert_eq!(code, "InvalidInput");
    let (code, _) = err(run(
        &app,
        "ListWorkloadIdentityTemplates",
        json!({"WorkloadIdentityProviderArn": provider.replace("corp", "gone")}),
    )
    .await);
    assert_eq!(code, "NoSuchEntity");
    let (code, _) = err(run(
        &app,
        "ListWorkloadIdentityTemplates",
        json!({"WorkloadIdentityProviderArn": provider, "ResourceScope": "ORGANIZATION"}),
    )
    .await);
    assert_eq!(code, "InvalidInput");
}

#[tokio::test]
async fn tags_templates() {
    let app = app().await;
    let provider = add_provider(&app, "corp").await;
    let created = run(
        &app,
        "CreateWorkloadIdentityTemplate",
        json!({"Name": "a", "WorkloadIdentityProviderArn": provider, "PathPattern": pattern(),
               "Tags": [{"Key": "Team", "Value": "pay"}]}),
    )
    .await
    .unwrap();
    let arn = created["Arn"].as_str().unwrap().to_string();
    let tag = |tags: Value| {
        run(
            &app,
            "TagWorkloadIdentityTemplate",
            json!({"WorkloadIdentityTemplateArn": arn, "Tags": tags}),
        )
    };
    tag(json!([{"Key": "Team", "Value": "payments"}, {"Key": "env", "Value": "prod"}]))
        .await
        .unwrap();
    let (code, message) = err(tag(json!([{"Key": "team", "Value": "x"}])).await);
    assert_eq!(code, "InvalidInput");
    assert_eq!(
        message,
        "Duplicate tag keys found. Please note that Tag keys are case insensitive."
    );
    let (code, _) = err(tag(json!([{"Key": "aws:x", "Value": "x"}])).await);
    assert_eq!(code, "InvalidInput");
    let many: Vec<Value> = (0..49)
        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
        .collect();
    let (code, message) = err(tag(json!(many)).await);
    assert_eq!(code, "LimitExceeded");
    assert_eq!(
        message,
        "Cannot exceed quota for TagsPerWorkloadIdentityTemplate: 50"
    );
    let listed = run(
        &app,
        "ListWorkloadIdentityTemplateTags",
        json!({"WorkloadIdentityTemplateArn": arn, "MaxItems": 1}),
    )
    .await
    .unwrap();
    assert_eq!(
        listed["Tags"],
        json!([{"Key": "Team", "Value": "payments"}])
    );
    assert_eq!(listed["IsTruncated"], true);
    let rest = run(
        &app,
        "ListWorkloadIdentityTemplateTags",
        json!({"WorkloadIdentityTemplateArn": arn, "Marker": listed["Marker"]}),
    )
    .await
    .unwrap();
    assert_eq!(rest["Tags"], json!([{"Key": "env", "Value": "prod"}]));
    // Keys are case sensitive: "TEAM" removes nothing; unknown keys are ignored.
    run(
        &app,
        "UntagWorkloadIdentityTemplate",
        json!({"WorkloadIdentityTemplateArn": arn, "TagKeys": ["TEAM", "env", "nope"]}),
    )
    .await
    .unwrap();
    let got = run(
        &app,
        "GetWorkloadIdentityTemplate",
        json!({"WorkloadIdentityTemplateArn": arn}),
    )
    .await
    .unwrap();
    assert_eq!(got["Tags"], json!([{"Key": "Team", "Value": "payments"}]));
    run(
        &app,
        "UntagWorkloadIdentityTemplate",
        json!({"WorkloadIdentityTemplateArn": arn, "TagKeys": ["Team"]}),
    )
    .await
    .unwrap();
    let got = run(
        &app,
        "GetWorkloadIdentityTemplate",
        json!({"WorkloadIdentityTemplateArn": arn}),
    )
    .await
    .unwrap();
    assert!(got.get("Tags").is_none());
    let (code, _) = err(run(
        &app,
        "ListWorkloadIdentityTemplateTags",
        json!({"WorkloadIdentityTemplateArn": format!("{arn}x")}),
    )
    .await);
    assert_eq!(code, "NoSuchEntity");
}

#[tokio::test]
async fn renders_subjects_of_stored_templates() {
    let app = app().await;
    let provider_arn = add_provider(&app, "corp").await;
    let created = run(
        &app,
        "CreateWorkloadIdentityTemplate",
        json!({"Name": "a", "WorkloadIdentityProviderArn": provider_arn, "PathPattern": pattern(), "PathPrefix": "payments"}),
    )
    .await
    .unwrap();
    let arn = created["Arn"].as_str().unwrap();
    let values: std::collections::BTreeMap<String, String> = [
        (CLUSTER.to_string(), "cluster-1".to_string()),
        (NAMESPACE.to_string(), "checkout".to_string()),
    ]
    .into();
    let subject = app.read(|e| {
        let t = &e.workload_templates[arn];
        let p = &e.workload_providers[&t.provider_arn];
        render_subject(p, t, &values)
    });
    assert_eq!(
        subject.unwrap(),
        "spiffe://corp.example.com/payments/cluster-1/ns/checkout"
    );
    assert_eq!(
        app.read(|e| placeholders(&e.workload_templates[arn].path_pattern)),
        [CLUSTER, NAMESPACE]
    );
}
