//! IAM workload identity templates over the wire: signed Query requests to a real server
//! for CreateWorkloadIdentityTemplate, Get/List/Delete, the attestation policy operations
//! and the tag operations, checking the XML answers, AWS's error codes and Portcullis's
//! messages, and that what was written survives a restart.

#[macro_use]
mod common;

use common::*;

const CLUSTER: &str = "aws:WorkloadAttestation/aws/eks/ClusterName";
const NAMESPACE: &str = "aws:WorkloadAttestation/aws/eks/Namespace";

/// Sends an IAM Query request signed with the root keys and returns the raw answer.
fn raw(server: &Server, params: &[(&str, &str)]) -> HttpResponse {
    let mut all = vec![("Version", "2010-05-08")];
    all.extend_from_slice(params);
    let body = form(&all);
    let headers = signed_query_headers(server, &body);
    http_request(server.addr, "POST", "/", &headers, body.as_bytes()).expect("HTTP request")
}

/// A successful answer's body.
fn ok(server: &Server, params: &[(&str, &str)]) -> String {
    let r = raw(server, params);
    assert_eq!(r.status, 200, "{params:?}: {}", r.text());
    r.text()
}

/// A failed answer: its status, code and message.
fn failed(server: &Server, params: &[(&str, &str)]) -> (u16, String, String) {
    let r = raw(server, params);
    assert_ne!(r.status, 200, "{params:?}: {}", r.text());
    (
        r.status,
        r.xml("Code").unwrap_or_default(),
        r.xml("Message").unwrap_or_default(),
    )
}

/// Creates a SPIFFE provider and returns its ARN.
fn provider(server: &Server, name: &str) -> String {
    let body = ok(
        server,
        &[
            ("Action", "CreateWorkloadIdentityProvider"),
            ("ProviderName", name),
            ("Scheme", "SPIFFE"),
            ("WorkloadIdentityDomain", "corp.example.com"),
        ],
    );
    xml_text(&body, "Arn").expect("the provider's ARN")
}

fn pattern() -> String {
    format!("{{{CLUSTER}}}/ns/{{{NAMESPACE}}}")
}

fn policy(service: &str, key: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:IssueWorkloadIdentityContext","Resource":"*","Condition":{{"StringEquals":{{"{key}":"cluster-1"}}}}}}]}}"#
    )
}

/// Every `<tag>` text of a body, in order.
fn all_xml(body: &str, tag: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(text) = xml_text(rest, tag) {
        out.push(text);
        let open = format!("<{tag}>");
        let at = rest.find(&open).unwrap() + open.len();
        rest = &rest[at..];
    }
    out
}

#[tokio::test]
async fn template_lifecycle_over_the_wire() {
    let dir = TempDir::new("workload-templates");
    let root = Credentials::generate();
    let server = Server::start_on(dir.path(), &root);
    let provider_arn = provider(&server, "corp");
    let account = provider_arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|r| r.split(':').next())
        .unwrap()
        .to_string();
    let arn = format!("arn:aws:iam::{account}:workload-identity-template/Payments");
    let eks = policy("eks.amazonaws.com", CLUSTER);
    let pattern = pattern();

    let body = ok(
        &server,
        &[
            ("Action", "CreateWorkloadIdentityTemplate"),
            ("Name", "Payments"),
            ("WorkloadIdentityProviderArn", &provider_arn),
            ("PathPattern", &pattern),
            ("PathPrefix", "analytics/jobs"),
            ("Description", "payments pods"),
            ("AttestationPolicy", &eks),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "pay"),
        ],
    );
    assert!(
        body.contains("<CreateWorkloadIdentityTemplateResult>"),
        "{body}"
    );
    assert_eq!(xml_text(&body, "Arn").as_deref(), Some(arn.as_str()));
    assert_eq!(xml_text(&body, "ResourceScope").as_deref(), Some("ACCOUNT"));
    assert_eq!(xml_text(&body, "PathPattern"), Some(pattern.clone()));
    assert_eq!(
        xml_text(&body, "PathPrefix").as_deref(),
        Some("analytics/jobs")
    );
    assert_eq!(
        xml_text(&body, "WorkloadIdentityProviderArn"),
        Some(provider_arn.clone())
    );
    let echoed = percent_decode(&xml_text(&body, "AttestationPolicy").expect("echoed policy"));
    assert!(same_json(&echoed, &eks), "{echoed}");
    let id = xml_text(&body, "TemplateId").unwrap();
    assert!(id.starts_with("AWTA") && id.len() == 21, "{id}");
    assert_eq!(xml_text(&body, "Key").as_deref(), Some("team"));

    // Get: everything but the policy.
    let get = ok(
        &server,
        &[
            ("Action", "GetWorkloadIdentityTemplate"),
            ("WorkloadIdentityTemplateArn", &arn),
        ],
    );
    assert_eq!(xml_text(&get, "TemplateId"), Some(id.clone()));
    assert_eq!(
        xml_text(&get, "Description").as_deref(),
        Some("payments pods")
    );
    assert!(!get.contains("AttestationPolicy"), "{get}");
    assert!(get.contains("<Tags>"), "{get}");

    // A second template without a policy nor tags: Create omits both.
    let body = ok(
        &server,
        &[
            ("Action", "CreateWorkloadIdentityTemplate"),
            ("Name", "Plain"),
            ("WorkloadIdentityProviderArn", &provider_arn),
            ("PathPattern", &pattern),
        ],
    );
    assert!(
        !body.contains("AttestationPolicy") && !body.contains("<Tags"),
        "{body}"
    );
    assert!(
        !body.contains("PathPrefix") && !body.contains("Description"),
        "{body}"
    );
    let plain = xml_text(&body, "Arn").unwrap();

    // Names are unique in the account without regard to case.
    let (status, code, message) = failed(
        &server,
        &[
            ("Action", "CreateWorkloadIdentityTemplate"),
            ("Name", "payments"),
            ("WorkloadIdentityProviderArn", &provider_arn),
            ("PathPattern", &pattern),
        ],
    );
    assert_eq!((status, code.as_str()), (409, "EntityAlreadyExists"));
    assert_eq!(
        message,
        "A workload identity template with the name payments already exists."
    );

    // List, filtered by the service principal the policy admits, and paged.
    let all = ok(
        &server,
        &[
            ("Action", "ListWorkloadIdentityTemplates"),
            ("WorkloadIdentityProviderArn", &provider_arn),
        ],
    );
    assert_eq!(all_xml(&all, "Name"), ["Payments", "Plain"]);
    assert!(
        !all.contains("TemplateId") && !all.contains("<Tags"),
        "{all}"
    );
    let filtered = ok(
        &server,
        &[
            ("Action", "ListWorkloadIdentityTemplates"),
            ("WorkloadIdentityProviderArn", &provider_arn),
            ("Filter", "service_principal = \"eks.amazonaws.com\""),
        ],
    );
    assert_eq!(all_xml(&filtered, "Name"), ["Payments"]);
    let first = ok(
        &server,
        &[
            ("Action", "ListWorkloadIdentityTemplates"),
            ("WorkloadIdentityProviderArn", &provider_arn),
            ("MaxItems", "1"),
        ],
    );
    assert_eq!(all_xml(&first, "Name"), ["Payments"]);
    assert_eq!(xml_text(&first, "IsTruncated").as_deref(), Some("true"));
    let marker = xml_text(&first, "Marker").unwrap();
    let second = ok(
        &server,
        &[
            ("Action", "ListWorkloadIdentityTemplates"),
            ("WorkloadIdentityProviderArn", &provider_arn),
            ("MaxItems", "1"),
            ("Marker", &marker),
        ],
    );
    assert_eq!(all_xml(&second, "Name"), ["Plain"]);
    assert_eq!(xml_text(&second, "IsTruncated").as_deref(), Some("false"));
    let (status, code, _) = failed(
        &server,
        &[
            ("Action", "ListWorkloadIdentityTemplates"),
            ("WorkloadIdentityProviderArn", &provider_arn),
            ("Filter", "name = \"Payments\""),
        ],
    );
    assert_eq!((status, code.as_str()), (400, "InvalidInput"));

    // Tags: case-sensitive keys, a case-only twin refused.
    ok(
        &server,
        &[
            ("Action", "TagWorkloadIdentityTemplate"),
            ("WorkloadIdentityTemplateArn", &arn),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "payments"),
            ("Tags.member.2.Key", "env"),
            ("Tags.member.2.Value", "prod"),
        ],
    );
    let (status, code, message) = failed(
        &server,
        &[
            ("Action", "TagWorkloadIdentityTemplate"),
            ("WorkloadIdentityTemplateArn", &arn),
            ("Tags.member.1.Key", "TEAM"),
            ("Tags.member.1.Value", "x"),
        ],
    );
    assert_eq!((status, code.as_str()), (400, "InvalidInput"));
    assert_eq!(
        message,
        "Duplicate tag keys found. Please note that Tag keys are case insensitive."
    );
    ok(
        &server,
        &[
            ("Action", "UntagWorkloadIdentityTemplate"),
            ("WorkloadIdentityTemplateArn", &arn),
            ("TagKeys.member.1", "env"),
            ("TagKeys.member.2", "absent"),
        ],
    );
    let tags = ok(
        &server,
        &[
            ("Action", "ListWorkloadIdentityTemplateTags"),
            ("WorkloadIdentityTemplateArn", &arn),
        ],
    );
    assert_eq!(all_xml(&tags, "Key"), ["team"]);
    assert_eq!(all_xml(&tags, "Value"), ["payments"]);

    // The attestation policy: an unfit policy, an upsert, a delete.
    let unfit = policy(
        "eks.amazonaws.com",
        "aws:WorkloadAttestation/aws/eks/PodName",
    );
    let (status, code, message) = failed(
        &server,
        &[
            ("Action", "PutWorkloadIdentityTemplateAttestationPolicy"),
            ("WorkloadIdentityTemplateArn", &plain),
            ("AttestationPolicy", &unfit),
        ],
    );
    assert_eq!((status, code.as_str()), (400, "InvalidInput"));
    assert!(
        message.contains("aws:WorkloadAttestation/aws/eks/PodName"),
        "{message}"
    );
    let (_, code, _) = failed(
        &server,
        &[
            ("Action", "PutWorkloadIdentityTemplateAttestationPolicy"),
            ("WorkloadIdentityTemplateArn", &plain),
            ("AttestationPolicy", NOT_JSON),
        ],
    );
    assert_eq!(code, "MalformedPolicyDocument");
    let (status, code, message) = failed(
        &server,
        &[
            ("Action", "GetWorkloadIdentityTemplateAttestationPolicy"),
            ("WorkloadIdentityTemplateArn", &plain),
        ],
    );
    assert_eq!((status, code.as_str()), (404, "NoSuchEntity"));
    assert_eq!(
        message,
        format!("The workload identity template {plain} has no attestation policy.")
    );
    let bedrock = policy("bedrock-agentcore.amazonaws.com", NAMESPACE);
    ok(
        &server,
        &[
            ("Action", "PutWorkloadIdentityTemplateAttestationPolicy"),
            ("WorkloadIdentityTemplateArn", &plain),
            ("AttestationPolicy", &bedrock),
        ],
    );
    let read = ok(
        &server,
        &[
            ("Action", "GetWorkloadIdentityTemplateAttestationPolicy"),
            ("WorkloadIdentityTemplateArn", &plain),
        ],
    );
    assert_eq!(
        xml_text(&read, "WorkloadIdentityTemplateArn"),
        Some(plain.clone())
    );
    let stored = percent_decode(&xml_text(&read, "AttestationPolicy").unwrap());
    assert!(same_json(&stored, &bedrock), "{stored}");
    let bedrock_only = ok(
        &server,
        &[
            ("Action", "ListWorkloadIdentityTemplates"),
            ("WorkloadIdentityProviderArn", &provider_arn),
            (
                "Filter",
                "service_principal=\"bedrock-agentcore.amazonaws.com\"",
            ),
        ],
    );
    assert_eq!(all_xml(&bedrock_only, "Name"), ["Plain"]);
    ok(
        &server,
        &[
            ("Action", "DeleteWorkloadIdentityTemplateAttestationPolicy"),
            ("WorkloadIdentityTemplateArn", &arn),
        ],
    );
    let (_, code, _) = failed(
        &server,
        &[
            ("Action", "DeleteWorkloadIdentityTemplateAttestationPolicy"),
            ("WorkloadIdentityTemplateArn", &arn),
        ],
    );
    assert_eq!(code, "NoSuchEntity");

    // What was written survives a restart.
    server.kill();
    let server = Server::start_on(dir.path(), &root);
    let read = ok(
        &server,
        &[
            ("Action", "GetWorkloadIdentityTemplateAttestationPolicy"),
            ("WorkloadIdentityTemplateArn", &plain),
        ],
    );
    assert!(same_json(
        &percent_decode(&xml_text(&read, "AttestationPolicy").unwrap()),
        &bedrock
    ));
    let get = ok(
        &server,
        &[
            ("Action", "GetWorkloadIdentityTemplate"),
            ("WorkloadIdentityTemplateArn", &arn),
        ],
    );
    assert_eq!(xml_text(&get, "TemplateId"), Some(id));

    // Delete: SUCCEEDED once, then NoSuchEntity.
    let deleted = ok(
        &server,
        &[
            ("Action", "DeleteWorkloadIdentityTemplate"),
            ("WorkloadIdentityTemplateArn", &arn),
        ],
    );
    assert_eq!(xml_text(&deleted, "Status").as_deref(), Some("SUCCEEDED"));
    assert_eq!(
        xml_text(&deleted, "WorkloadIdentityTemplateArn"),
        Some(arn.clone())
    );
    let (status, code, message) = failed(
        &server,
        &[
            ("Action", "GetWorkloadIdentityTemplate"),
            ("WorkloadIdentityTemplateArn", &arn),
        ],
    );
    assert_eq!((status, code.as_str()), (404, "NoSuchEntity"));
    assert_eq!(
        message,
        format!("The workload identity template {arn} cannot be found.")
    );
}

#[tokio::test]
async fn create_refuses_what_the_rules_forbid() {
    let server = Server::start();
    let provider_arn = provider(&server, "corp");
    let pattern = pattern();
    let create = |extra: &[(&str, &str)]| {
        let mut params = vec![("Action", "CreateWorkloadIdentityTemplate")];
        params.extend_from_slice(extra);
        failed(&server, &params)
    };

    // Template definition mode: only Tags besides; Portcullis has no definitions.
    let definition = "arn:aws:iam::aws:workload-identity-template-definition/eks.amazonaws.com/account-provider-default:1";
    let (status, code, message) = create(&[
        ("TemplateDefinition.TemplateDefinitionArn", definition),
        ("PathPattern", &pattern),
    ]);
    assert_eq!((status, code.as_str()), (400, "InvalidInput"));
    assert!(
        message.starts_with("PathPattern cannot be specified with TemplateDefinition"),
        "{message}"
    );
    let (status, code, message) =
        create(&[("TemplateDefinition.TemplateDefinitionArn", definition)]);
    assert_eq!((status, code.as_str()), (404, "NoSuchEntity"));
    assert_eq!(
        message,
        format!("The template definition {definition} cannot be found.")
    );

    // Direct authoring mode needs its three members.
    let (_, code, message) = create(&[("Name", "x"), ("PathPattern", &pattern)]);
    assert_eq!(code, "InvalidInput");
    assert!(
        message.ends_with("missing WorkloadIdentityProviderArn."),
        "{message}"
    );

    // What the model's regular expression says is checked first (ValidationError); what it
    // cannot say is InvalidInput.
    for bad in [
        "prod/jobs".to_string(),
        format!("{pattern}/"),
        format!("../{pattern}"),
        format!("x{pattern}"),
    ] {
        let (status, code, message) = create(&[
            ("Name", "x"),
            ("WorkloadIdentityProviderArn", &provider_arn),
            ("PathPattern", &bad),
        ]);
        assert_eq!(
            (status, code.as_str()),
            (400, "ValidationError"),
            "{bad}: {message}"
        );
        assert!(message.contains("'pathPattern'"), "{bad}: {message}");
    }
    for (bad, reason) in [
        ("{aws:PrincipalArn}/x", "resolves to the caller"),
        ("{aws:SourceAccount}", "resolves to the caller"),
        ("{team}/x", "not a known attestation context key"),
        (
            "{aws:WorkloadAttestation/aws/ClusterName}",
            "not a known attestation context key",
        ),
    ] {
        let (status, code, message) = create(&[
            ("Name", "x"),
            ("WorkloadIdentityProviderArn", &provider_arn),
            ("PathPattern", bad),
        ]);
        assert_eq!(
            (status, code.as_str()),
            (400, "InvalidInput"),
            "{bad}: {message}"
        );
        assert!(
            message.starts_with(&format!("The PathPattern {bad} is not valid: "))
                && message.contains(reason),
            "{bad}: {message}"
        );
    }
    let (_, code, message) = create(&[
        ("Name", "x"),
        ("WorkloadIdentityProviderArn", &provider_arn),
        ("PathPattern", &pattern),
        ("PathPrefix", "a//b"),
    ]);
    assert_eq!(code, "ValidationError");
    assert!(message.contains("'pathPrefix'"), "{message}");

    // An unknown provider, an organization scope, a policy that does not fit.
    let gone = provider_arn.replace("/corp", "/gone");
    let (status, code, message) = create(&[
        ("Name", "x"),
        ("WorkloadIdentityProviderArn", &gone),
        ("PathPattern", &pattern),
    ]);
    assert_eq!((status, code.as_str()), (404, "NoSuchEntity"));
    assert_eq!(
        message,
        format!("The workload identity provider {gone} cannot be found.")
    );
    let (_, code, _) = create(&[
        ("Name", "x"),
        ("WorkloadIdentityProviderArn", &provider_arn),
        ("PathPattern", &pattern),
        ("ResourceScope", "ORGANIZATION"),
    ]);
    assert_eq!(code, "InvalidInput");
    let (_, code, _) = create(&[
        ("Name", "x"),
        ("WorkloadIdentityProviderArn", &provider_arn),
        ("PathPattern", &pattern),
        (
            "AttestationPolicy",
            &policy(
                "eks.amazonaws.com",
                "aws:WorkloadAttestation/aws/eks/PodName",
            ),
        ),
    ]);
    assert_eq!(code, "InvalidInput");
    let (_, code, _) = create(&[
        ("Name", "x"),
        ("WorkloadIdentityProviderArn", &provider_arn),
        ("PathPattern", &pattern),
        ("AttestationPolicy", S3_READ),
    ]);
    assert_eq!(code, "MalformedPolicyDocument");

    // Nothing was created.
    let list = ok(
        &server,
        &[
            ("Action", "ListWorkloadIdentityTemplates"),
            ("WorkloadIdentityProviderArn", &provider_arn),
        ],
    );
    assert!(all_xml(&list, "Name").is_empty(), "{list}");
    let (status, code, _) = failed(
        &server,
        &[
            ("Action", "ListWorkloadIdentityTemplates"),
            ("WorkloadIdentityProviderArn", &gone),
        ],
    );
    assert_eq!((status, code.as_str()), (404, "NoSuchEntity"));
}
