//! IAM workload identity providers against a real server, over signed Query requests: the
//! provider's life (create, read, list, delete, deletion status), its JWT signers, its
//! X.509 outbound signers (attach, rotate, cancel, disable, enable, delete), its resource
//! policy and its tags, with the errors AWS's model names.

#[macro_use]
mod common;

use common::*;

/// Sends an IAM Query request signed with the root keys and returns the raw answer.
fn call(server: &Server, action: &str, params: &[(&str, &str)]) -> HttpResponse {
    let mut all = vec![("Action", action), ("Version", "2010-05-08")];
    all.extend_from_slice(params);
    let body = form(&all);
    let headers = signed_query_headers(server, &body);
    http_request(server.addr, "POST", "/", &headers, body.as_bytes()).expect("HTTP request")
}

/// Asserts a successful answer and returns its body.
fn ok(r: HttpResponse) -> String {
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

/// Asserts a failure with this status and code; returns the message.
fn failed(r: HttpResponse, status: u16, code: &str) -> String {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.xml("Code").as_deref(), Some(code), "{}", r.text());
    r.xml("Message").unwrap_or_default()
}

fn provider_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:workload-identity-provider/{name}")
}

/// Every text of `<tag>` in `xml`, in order.
fn all_texts(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(after[..end].to_string());
        rest = &after[end + close.len()..];
    }
    out
}

fn create_none(server: &Server, name: &str) -> String {
    ok(call(
        server,
        "CreateWorkloadIdentityProvider",
        &[("ProviderName", name), ("Scheme", "NONE")],
    ))
}

#[test]
fn a_provider_is_created_read_listed_and_deleted() {
    let server = Server::start();
    let body = ok(call(
        &server,
        "CreateWorkloadIdentityProvider",
        &[
            ("ProviderName", "PaymentsProd"),
            ("Scheme", "SPIFFE"),
            ("WorkloadIdentityDomain", "payments.example.org"),
            ("Description", "payments workloads"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "payments"),
        ],
    ));
    let arn = provider_arn("PaymentsProd");
    assert_eq!(xml_text(&body, "Arn"), Some(arn.clone()), "{body}");
    assert_eq!(xml_text(&body, "ResourceScope").as_deref(), Some("ACCOUNT"));
    assert_eq!(xml_text(&body, "Scheme").as_deref(), Some("SPIFFE"));
    let id = xml_text(&body, "ProviderId").unwrap();
    assert!(id.starts_with("AWPA") && id.len() == 21, "{id}");
    assert!(
        id[4..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
        "{id}"
    );
    assert_eq!(
        xml_text(&body, "WorkloadIdentityDomain").as_deref(),
        Some("payments.example.org")
    );
    assert_eq!(all_texts(&body, "SigningAlgorithm"), ["RS256", "ES384"]);
    assert_eq!(
        all_texts(&body, "KeyAlgorithm"),
        ["RSA_2048", "ECC_NIST_P384"]
    );
    let issuer = xml_text(&body, "OidcIssuerUri").unwrap();
    assert!(
        issuer.ends_with(&format!("/workload-identity/{id}")),
        "{issuer}"
    );
    assert_eq!(
        xml_text(&body, "BundleEndpointUrl"),
        Some(format!("{issuer}/bundle"))
    );
    assert!(
        !body.contains("<X509><member>"),
        "no X.509 signer yet: {body}"
    );
    assert_eq!(xml_text(&body, "Key").as_deref(), Some("team"));

    // Get answers the same provider.
    let got = ok(call(
        &server,
        "GetWorkloadIdentityProvider",
        &[("WorkloadIdentityProviderArn", &arn)],
    ));
    assert_eq!(xml_text(&got, "ProviderId"), Some(id.clone()));
    assert_eq!(
        xml_text(&got, "Description").as_deref(),
        Some("payments workloads")
    );
    assert_eq!(
        all_texts(&got, "StartSigningTime"),
        all_texts(&body, "StartSigningTime")
    );

    // The name is taken.
    let msg = failed(
        call(
            &server,
            "CreateWorkloadIdentityProvider",
            &[("ProviderName", "PaymentsProd"), ("Scheme", "NONE")],
        ),
        409,
        "EntityAlreadyExists",
    );
    assert!(msg.contains("PaymentsProd"), "{msg}");

    // Paged listing, trimmed entries.
    create_none(&server, "Another");
    let page = ok(call(
        &server,
        "ListWorkloadIdentityProviders",
        &[("MaxItems", "1")],
    ));
    assert_eq!(xml_text(&page, "IsTruncated").as_deref(), Some("true"));
    assert_eq!(all_texts(&page, "ProviderName"), ["Another"]);
    assert!(!page.contains("OutboundSigners"), "{page}");
    let marker = xml_text(&page, "Marker").unwrap();
    let rest = ok(call(
        &server,
        "ListWorkloadIdentityProviders",
        &[("Marker", &marker)],
    ));
    assert_eq!(all_texts(&rest, "ProviderName"), ["PaymentsProd"]);
    assert_eq!(xml_text(&rest, "IsTruncated").as_deref(), Some("false"));

    // Delete, then read the deletion.
    let deleted = ok(call(
        &server,
        "DeleteWorkloadIdentityProvider",
        &[("WorkloadIdentityProviderArn", &arn)],
    ));
    let task = xml_text(&deleted, "DeletionTaskId").unwrap();
    let status = ok(call(
        &server,
        "GetWorkloadIdentityProviderDeletionStatus",
        &[("DeletionTaskId", &task)],
    ));
    assert_eq!(xml_text(&status, "Status").as_deref(), Some("SUCCEEDED"));
    assert_eq!(
        xml_text(&status, "WorkloadIdentityProviderArn"),
        Some(arn.clone())
    );
    failed(
        call(
            &server,
            "GetWorkloadIdentityProvider",
            &[("WorkloadIdentityProviderArn", &arn)],
        ),
        404,
        "NoSuchEntity",
    );
    failed(
        call(
            &server,
            "DeleteWorkloadIdentityProvider",
            &[("WorkloadIdentityProviderArn", &arn)],
        ),
        404,
        "NoSuchEntity",
    );
    failed(
        call(
            &server,
            "GetWorkloadIdentityProviderDeletionStatus",
            &[("DeletionTaskId", "no-such-task")],
        ),
        404,
        "NoSuchEntity",
    );
}

#[test]
fn bad_creates_are_refused() {
    let server = Server::start();
    let create = "CreateWorkloadIdentityProvider";
    let msg = failed(
        call(
            &server,
            create,
            &[("ProviderName", "p"), ("Scheme", "SPIFFE")],
        ),
        400,
        "InvalidInput",
    );
    assert!(msg.contains("WorkloadIdentityDomain"), "{msg}");
    failed(
        call(
            &server,
            create,
            &[
                ("ProviderName", "p"),
                ("Scheme", "NONE"),
                ("WorkloadIdentityDomain", "example.org"),
            ],
        ),
        400,
        "InvalidInput",
    );
    let msg = failed(
        call(
            &server,
            create,
            &[
                ("ProviderName", "p"),
                ("Scheme", "NONE"),
                ("ResourceScope", "ORGANIZATION"),
            ],
        ),
        400,
        "InvalidInput",
    );
    assert_eq!(
        msg,
        "The request was rejected because no organization is associated with your account."
    );
    failed(
        call(
            &server,
            "ListWorkloadIdentityProviders",
            &[("ResourceScope", "ORGANIZATION")],
        ),
        400,
        "InvalidInput",
    );
    // The model's checks: an enum, a name pattern.
    failed(
        call(
            &server,
            create,
            &[("ProviderName", "p"), ("Scheme", "OTHER")],
        ),
        400,
        "ValidationError",
    );
    failed(
        call(
            &server,
            create,
            &[("ProviderName", "bad name"), ("Scheme", "NONE")],
        ),
        400,
        "ValidationError",
    );
    // Tags: reserved prefix, keys differing only in case.
    failed(
        call(
            &server,
            create,
            &[
                ("ProviderName", "p"),
                ("Scheme", "NONE"),
                ("Tags.member.1.Key", "aws:reserved"),
                ("Tags.member.1.Value", "v"),
            ],
        ),
        400,
        "InvalidInput",
    );
    failed(
        call(
            &server,
            create,
            &[
                ("ProviderName", "p"),
                ("Scheme", "NONE"),
                ("Tags.member.1.Key", "Env"),
                ("Tags.member.1.Value", "a"),
                ("Tags.member.2.Key", "env"),
                ("Tags.member.2.Value", "b"),
            ],
        ),
        400,
        "InvalidInput",
    );
    // Nothing was made.
    let list = ok(call(&server, "ListWorkloadIdentityProviders", &[]));
    assert!(all_texts(&list, "Arn").is_empty(), "{list}");
}

const CA_A: &str = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111";
const CA_B: &str = "b1b2c3d4-5678-90ab-cdef-EXAMPLE22222";

fn signer_call(
    server: &Server,
    action: &str,
    arn: &str,
    ca: &str,
    extra: &[(&str, &str)],
) -> HttpResponse {
    let mut params = vec![
        ("WorkloadIdentityProviderArn", arn),
        ("OutboundSigner.X509.CertificateAuthorityId", ca),
        ("OutboundSigner.X509.AccountId", ACCOUNT_ID),
    ];
    params.extend_from_slice(extra);
    call(server, action, &params)
}

/// The X.509 entries of ListWorkloadIdentityProviderOutboundSigners: (CA ID, status).
fn x509_signers(server: &Server, arn: &str) -> Vec<(String, String)> {
    let body = ok(call(
        server,
        "ListWorkloadIdentityProviderOutboundSigners",
        &[("WorkloadIdentityProviderArn", arn)],
    ));
    let mut out: Vec<(String, String)> = all_texts(&body, "member")
        .iter()
        .filter(|m| m.contains("<SignerType>X509</SignerType>"))
        .map(|m| {
            (
                xml_text(m, "CertificateAuthorityId").unwrap(),
                xml_text(m, "Status").unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn x509_signers_are_attached_rotated_disabled_enabled_and_deleted() {
    let server = Server::start();
    create_none(&server, "Signing");
    let arn = provider_arn("Signing");

    // JWT signers cannot be disabled or enabled.
    failed(
        call(
            &server,
            "DisableWorkloadIdentityProviderOutboundSigner",
            &[("WorkloadIdentityProviderArn", &arn), ("SignerType", "JWT")],
        ),
        400,
        "InvalidInput",
    );

    // Attach: waits one hour by default.
    ok(signer_call(
        &server,
        "CreateWorkloadIdentityProviderOutboundSigner",
        &arn,
        CA_A,
        &[],
    ));
    assert_eq!(
        x509_signers(&server, &arn),
        [(CA_A.to_string(), "IN_TRANSITION".to_string())]
    );
    let got = ok(call(
        &server,
        "GetWorkloadIdentityProvider",
        &[("WorkloadIdentityProviderArn", &arn)],
    ));
    assert_eq!(
        xml_text(&got, "CertificateAuthorityId").as_deref(),
        Some(CA_A)
    );
    assert_eq!(xml_text(&got, "Status").as_deref(), Some("IN_TRANSITION"));
    assert!(!got.contains("EndSigningTime"), "{got}");

    // The slot is full; another account's authority cannot be found here.
    failed(
        signer_call(
            &server,
            "CreateWorkloadIdentityProviderOutboundSigner",
            &arn,
            CA_B,
            &[],
        ),
        409,
        "EntityAlreadyExists",
    );
    failed(
        call(
            &server,
            "UpdateWorkloadIdentityProviderOutboundSigner",
            &[
                ("WorkloadIdentityProviderArn", &arn),
                ("OutboundSigner.X509.CertificateAuthorityId", CA_B),
                ("OutboundSigner.X509.AccountId", "111122223333"),
            ],
        ),
        400,
        "InvalidInput",
    );

    // Rotate to B, then cancel by naming A: B stops before it ever signs.
    ok(signer_call(
        &server,
        "UpdateWorkloadIdentityProviderOutboundSigner",
        &arn,
        CA_B,
        &[("SigningDelayInHours", "2")],
    ));
    assert_eq!(
        x509_signers(&server, &arn),
        [
            (CA_A.to_string(), "IN_TRANSITION".to_string()),
            (CA_B.to_string(), "IN_TRANSITION".to_string())
        ]
    );
    ok(signer_call(
        &server,
        "UpdateWorkloadIdentityProviderOutboundSigner",
        &arn,
        CA_A,
        &[],
    ));
    assert_eq!(
        x509_signers(&server, &arn),
        [
            (CA_A.to_string(), "IN_TRANSITION".to_string()),
            (CA_B.to_string(), "VALIDATING".to_string())
        ]
    );

    // A waiting signer cannot be deleted; a stopped one can.
    let msg = failed(
        signer_call(
            &server,
            "DeleteWorkloadIdentityProviderOutboundSigner",
            &arn,
            CA_A,
            &[],
        ),
        400,
        "InvalidInput",
    );
    assert!(msg.contains("IN_TRANSITION"), "{msg}");
    let deleted = ok(signer_call(
        &server,
        "DeleteWorkloadIdentityProviderOutboundSigner",
        &arn,
        CA_B,
        &[],
    ));
    assert_eq!(xml_text(&deleted, "Status").as_deref(), Some("SUCCEEDED"));
    assert_eq!(
        xml_text(&deleted, "WorkloadIdentityProviderArn"),
        Some(arn.clone())
    );
    assert_eq!(
        xml_text(&deleted, "CertificateAuthorityId").as_deref(),
        Some(CA_B)
    );
    failed(
        signer_call(
            &server,
            "DeleteWorkloadIdentityProviderOutboundSigner",
            &arn,
            CA_B,
            &[],
        ),
        404,
        "NoSuchEntity",
    );

    // The provider cannot go while an X.509 signer remains.
    failed(
        call(
            &server,
            "DeleteWorkloadIdentityProvider",
            &[("WorkloadIdentityProviderArn", &arn)],
        ),
        409,
        "DeleteConflict",
    );

    // Disable: VALIDATING, with its end now and its trust material for 12 more hours.
    let disable = [
        ("WorkloadIdentityProviderArn", arn.as_str()),
        ("SignerType", "X509"),
    ];
    ok(call(
        &server,
        "DisableWorkloadIdentityProviderOutboundSigner",
        &disable,
    ));
    ok(call(
        &server,
        "DisableWorkloadIdentityProviderOutboundSigner",
        &disable,
    ));
    let got = ok(call(
        &server,
        "GetWorkloadIdentityProvider",
        &[("WorkloadIdentityProviderArn", &arn)],
    ));
    assert_eq!(xml_text(&got, "Status").as_deref(), Some("VALIDATING"));
    let end = xml_text(&got, "EndSigningTime").unwrap();
    let expiry = xml_text(&got, "DiscoveryExpirationTime").unwrap();
    let secs = |t: &str| -> i64 {
        let dt = aws_sdk_iam::primitives::DateTime::from_str(
            t,
            aws_sdk_iam::primitives::DateTimeFormat::DateTime,
        )
        .unwrap();
        dt.secs()
    };
    assert_eq!(secs(&expiry) - secs(&end), 12 * 3600);

    // Enable resumes it, after the delay.
    ok(call(
        &server,
        "EnableWorkloadIdentityProviderOutboundSigner",
        &[
            ("WorkloadIdentityProviderArn", &arn),
            ("SignerType", "X509"),
            ("SigningDelayInHours", "3"),
        ],
    ));
    assert_eq!(
        x509_signers(&server, &arn),
        [(CA_A.to_string(), "IN_TRANSITION".to_string())]
    );

    // Disabled again, it can be deleted, and then the provider too.
    ok(call(
        &server,
        "DisableWorkloadIdentityProviderOutboundSigner",
        &disable,
    ));
    ok(signer_call(
        &server,
        "DeleteWorkloadIdentityProviderOutboundSigner",
        &arn,
        CA_A,
        &[],
    ));
    ok(call(
        &server,
        "DeleteWorkloadIdentityProvider",
        &[("WorkloadIdentityProviderArn", &arn)],
    ));
}

#[test]
fn outbound_signers_list_in_pages_tied_to_the_provider() {
    let server = Server::start();
    create_none(&server, "Paged");
    create_none(&server, "Other");
    let arn = provider_arn("Paged");
    ok(signer_call(
        &server,
        "CreateWorkloadIdentityProviderOutboundSigner",
        &arn,
        CA_A,
        &[],
    ));
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut params = vec![
            ("WorkloadIdentityProviderArn", arn.as_str()),
            ("MaxItems", "1"),
        ];
        if let Some(m) = &marker {
            params.push(("Marker", m));
        }
        let body = ok(call(
            &server,
            "ListWorkloadIdentityProviderOutboundSigners",
            &params,
        ));
        seen.extend(all_texts(&body, "SignerType"));
        if xml_text(&body, "IsTruncated").as_deref() == Some("false") {
            break;
        }
        let m = xml_text(&body, "Marker").unwrap();
        // The marker does not work for another provider.
        failed(
            call(
                &server,
                "ListWorkloadIdentityProviderOutboundSigners",
                &[
                    ("WorkloadIdentityProviderArn", &provider_arn("Other")),
                    ("Marker", &m),
                ],
            ),
            400,
            "ValidationError",
        );
        marker = Some(m);
    }
    seen.sort();
    assert_eq!(seen, ["JWT", "JWT", "X509"]);
}

#[test]
fn resource_policy_and_tags() {
    let server = Server::start();
    create_none(&server, "Shared");
    let arn = provider_arn("Shared");
    let by_arn = [("WorkloadIdentityProviderArn", arn.as_str())];
    failed(
        call(
            &server,
            "GetWorkloadIdentityProviderResourcePolicy",
            &by_arn,
        ),
        404,
        "NoSuchEntity",
    );
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::111122223333:root"}},"Action":"iam:AssociateWorkloadIdentityTemplate","Resource":"{arn}"}}]}}"#
    );
    ok(call(
        &server,
        "PutWorkloadIdentityProviderResourcePolicy",
        &[
            ("WorkloadIdentityProviderArn", &arn),
            ("PolicyDocument", &policy),
        ],
    ));
    let got = ok(call(
        &server,
        "GetWorkloadIdentityProviderResourcePolicy",
        &by_arn,
    ));
    assert_eq!(xml_text(&got, "Arn"), Some(arn.clone()));
    assert_eq!(
        percent_decode(&xml_text(&got, "PolicyDocument").unwrap()),
        policy
    );
    // No Principal: not a resource policy.
    failed(
        call(
            &server,
            "PutWorkloadIdentityProviderResourcePolicy",
            &[
                ("WorkloadIdentityProviderArn", &arn),
                ("PolicyDocument", S3_READ),
            ],
        ),
        400,
        "MalformedPolicyDocument",
    );
    ok(call(
        &server,
        "DeleteWorkloadIdentityProviderResourcePolicy",
        &by_arn,
    ));
    failed(
        call(
            &server,
            "DeleteWorkloadIdentityProviderResourcePolicy",
            &by_arn,
        ),
        404,
        "NoSuchEntity",
    );

    // Tags: replace by the same key, refuse a key differing only in case.
    ok(call(
        &server,
        "TagWorkloadIdentityProvider",
        &[
            ("WorkloadIdentityProviderArn", &arn),
            ("Tags.member.1.Key", "env"),
            ("Tags.member.1.Value", "dev"),
            ("Tags.member.2.Key", "team"),
            ("Tags.member.2.Value", "core"),
        ],
    ));
    ok(call(
        &server,
        "TagWorkloadIdentityProvider",
        &[
            ("WorkloadIdentityProviderArn", &arn),
            ("Tags.member.1.Key", "env"),
            ("Tags.member.1.Value", "prod"),
        ],
    ));
    failed(
        call(
            &server,
            "TagWorkloadIdentityProvider",
            &[
                ("WorkloadIdentityProviderArn", &arn),
                ("Tags.member.1.Key", "ENV"),
                ("Tags.member.1.Value", "x"),
            ],
        ),
        400,
        "InvalidInput",
    );
    let tags = ok(call(&server, "ListWorkloadIdentityProviderTags", &by_arn));
    assert_eq!(all_texts(&tags, "Key"), ["env", "team"]);
    assert_eq!(all_texts(&tags, "Value"), ["prod", "core"]);
    ok(call(
        &server,
        "UntagWorkloadIdentityProvider",
        &[
            ("WorkloadIdentityProviderArn", &arn),
            ("TagKeys.member.1", "team"),
            ("TagKeys.member.2", "absent"),
        ],
    ));
    let page = ok(call(
        &server,
        "ListWorkloadIdentityProviderTags",
        &[("WorkloadIdentityProviderArn", &arn), ("MaxItems", "1")],
    ));
    assert_eq!(all_texts(&page, "Key"), ["env"]);
    assert_eq!(xml_text(&page, "IsTruncated").as_deref(), Some("false"));
    failed(
        call(
            &server,
            "TagWorkloadIdentityProvider",
            &[
                ("WorkloadIdentityProviderArn", &provider_arn("Missing")),
                ("Tags.member.1.Key", "a"),
                ("Tags.member.1.Value", "b"),
            ],
        ),
        404,
        "NoSuchEntity",
    );
}
