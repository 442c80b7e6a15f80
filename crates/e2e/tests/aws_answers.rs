//! Answers that must read exactly as AWS's: which members an output carries (checked on the
//! raw XML where the SDK cannot tell absent from empty), AWS's error codes and texts, the
//! service-linked roles AWS makes, the order of validation errors, and input that is
//! refused before any authorization.

#[macro_use]
mod common;

use common::*;

const PASSWORD_POLICY_MISSING: &str =
    "The account policy with name PasswordPolicy cannot be found.";

/// Sends an IAM Query request signed with the root keys and returns the raw answer.
fn raw(server: &Server, params: &[(&str, &str)]) -> HttpResponse {
    let mut all = vec![("Version", "2010-05-08")];
    all.extend_from_slice(params);
    let body = form(&all);
    let headers = signed_query_headers(server, &body);
    http_request(server.addr, "POST", "/", &headers, body.as_bytes()).expect("HTTP request")
}

/// A user with an access key whose policy allows `actions` on everything; its IAM and STS
/// clients.
async fn user_allowed(
    server: &Server,
    root: &aws_sdk_iam::Client,
    name: &str,
    actions: &[&str],
) -> (aws_sdk_iam::Client, aws_sdk_sts::Client) {
    let (key, secret) = user_with_key(root, name).await;
    if !actions.is_empty() {
        let actions: Vec<String> = actions.iter().map(|a| format!("\"{a}\"")).collect();
        root.put_user_policy()
            .user_name(name)
            .policy_name("allowed")
            .policy_document(format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{}],"Resource":"*"}}]}}"#,
                actions.join(",")
            ))
            .send()
            .await
            .expect("PutUserPolicy");
    }
    (
        iam_with(server, &key, &secret),
        sts_with(server, &key, &secret),
    )
}

// ---------------------------------------------------------------------------------------
// 1. CreatePolicy's Policy
// ---------------------------------------------------------------------------------------

/// AWS's CreatePolicy answer never shows the description (GetPolicy does), and shows `Tags`
/// only when tags were passed.
#[tokio::test]
async fn create_policy_answers_without_description_and_tags_only_when_given() {
    let server = Server::start();
    let r = raw(
        &server,
        &[
            ("Action", "CreatePolicy"),
            ("PolicyName", "plain"),
            ("PolicyDocument", S3_READ),
            ("Description", "what it is for"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.text();
    assert!(body.contains("<PolicyName>plain</PolicyName>"), "{body}");
    assert!(!body.contains("Description"), "{body}");
    assert!(!body.contains("Tags"), "{body}");

    let r = raw(
        &server,
        &[
            ("Action", "CreatePolicy"),
            ("PolicyName", "tagged"),
            ("PolicyDocument", S3_READ),
            ("Description", "what it is for"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "core"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.text();
    assert!(!body.contains("Description"), "{body}");
    assert!(
        body.contains("<Tags><member><Key>team</Key><Value>core</Value></member></Tags>"),
        "{body}"
    );

    // GetPolicy still has the description.
    let iam = iam(&server);
    let got = iam
        .get_policy()
        .policy_arn(local_policy("plain"))
        .send()
        .await
        .expect("GetPolicy");
    assert_eq!(got.policy().unwrap().description(), Some("what it is for"));
}

// ---------------------------------------------------------------------------------------
// 2, 3. CreateRole's and UpdateRoleDescription's Role; the boundary's type
// ---------------------------------------------------------------------------------------

/// CreateRole's Role has no MaxSessionDuration; UpdateRoleDescription's has no
/// MaxSessionDuration, RoleLastUsed or PermissionsBoundary. GetRole has them all, and the
/// boundary's type is `Policy` (not the model's `PermissionsBoundaryPolicy`).
#[tokio::test]
async fn role_answers_carry_what_aws_shows() {
    let server = Server::start();
    let boundary = aws_policy("PowerUserAccess");
    let r = raw(
        &server,
        &[
            ("Action", "CreateRole"),
            ("RoleName", "app"),
            ("AssumeRolePolicyDocument", TRUST_EC2),
            ("MaxSessionDuration", "7200"),
            ("PermissionsBoundary", &boundary),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.text();
    assert!(body.contains("<RoleName>app</RoleName>"), "{body}");
    assert!(!body.contains("MaxSessionDuration"), "{body}");
    assert!(!body.contains("RoleLastUsed"), "{body}");

    let r = raw(
        &server,
        &[
            ("Action", "UpdateRoleDescription"),
            ("RoleName", "app"),
            ("Description", "runs the app"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.text();
    assert!(
        body.contains("<Description>runs the app</Description>"),
        "{body}"
    );
    for absent in ["MaxSessionDuration", "RoleLastUsed", "PermissionsBoundary"] {
        assert!(!body.contains(absent), "{absent} in {body}");
    }

    let r = raw(&server, &[("Action", "GetRole"), ("RoleName", "app")]);
    let body = r.text();
    assert!(
        body.contains("<MaxSessionDuration>7200</MaxSessionDuration>"),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "<PermissionsBoundary><PermissionsBoundaryType>Policy</PermissionsBoundaryType><PermissionsBoundaryArn>{boundary}</PermissionsBoundaryArn></PermissionsBoundary>"
        )),
        "{body}"
    );

    // The same through the SDK, for users too.
    let iam = iam(&server);
    let role = iam.get_role().role_name("app").send().await.unwrap();
    let pb = role.role().unwrap().permissions_boundary().unwrap();
    assert_eq!(pb.permissions_boundary_type().unwrap().as_str(), "Policy");
    iam.create_user()
        .user_name("bounded")
        .permissions_boundary(&boundary)
        .send()
        .await
        .unwrap();
    let user = iam.get_user().user_name("bounded").send().await.unwrap();
    let pb = user.user().unwrap().permissions_boundary().unwrap();
    assert_eq!(pb.permissions_boundary_type().unwrap().as_str(), "Policy");
    let details = raw(&server, &[("Action", "GetAccountAuthorizationDetails")]).text();
    assert!(
        details.contains("<PermissionsBoundaryType>Policy</PermissionsBoundaryType>"),
        "{details}"
    );
    assert!(!details.contains("PermissionsBoundaryPolicy"), "{details}");
}

// ---------------------------------------------------------------------------------------
// 5. Service-linked roles
// ---------------------------------------------------------------------------------------

/// The role AWS makes for each of the recorded services: its name, path, trust policy and
/// policies; a custom suffix only where AWS accepts one.
#[tokio::test]
async fn service_linked_roles_as_aws_makes_them() {
    let server = Server::start();
    let iam = iam(&server);

    let acm = iam
        .create_service_linked_role()
        .aws_service_name("acm.amazonaws.com")
        .send()
        .await
        .expect("CreateServiceLinkedRole acm");
    let role = acm.role().unwrap();
    assert_eq!(role.role_name(), "AWSServiceRoleForCertificateManager");
    assert_eq!(role.path(), "/aws-service-role/acm.amazonaws.com/");
    assert_eq!(
        role.arn(),
        format!(
            "arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/acm.amazonaws.com/AWSServiceRoleForCertificateManager"
        )
    );
    let trust: serde_json::Value =
        serde_json::from_str(&doc(role.assume_role_policy_document().unwrap())).unwrap();
    assert_eq!(
        trust,
        serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "acm.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    );
    let attached = iam
        .list_attached_role_policies()
        .role_name("AWSServiceRoleForCertificateManager")
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .collect();
    assert_eq!(
        arns,
        ["arn:aws:iam::aws:policy/aws-service-role/CertificateManagerServiceRolePolicy"]
    );

    let cache = iam
        .create_service_linked_role()
        .aws_service_name("elasticache.amazonaws.com")
        .send()
        .await
        .expect("CreateServiceLinkedRole elasticache");
    assert_eq!(
        cache.role().unwrap().role_name(),
        "AWSServiceRoleForElastiCache"
    );

    // 68 of the 71 recorded services refuse a custom suffix.
    let f = rejects!(
        iam,
        iam.create_service_linked_role()
            .aws_service_name("acm.amazonaws.com")
            .custom_suffix("two")
            .send(),
        "InvalidInput"
    );
    assert_eq!(
        f.message,
        "Custom suffix is not allowed for acm.amazonaws.com"
    );
    let f = rejects!(
        iam,
        iam.create_service_linked_role()
            .aws_service_name("elasticache.amazonaws.com")
            .custom_suffix("two")
            .send(),
        "InvalidInput"
    );
    assert_eq!(
        f.message,
        "Custom suffix is not allowed for elasticache.amazonaws.com"
    );

    // Lex V2 takes one.
    let lex = iam
        .create_service_linked_role()
        .aws_service_name("lexv2.amazonaws.com")
        .custom_suffix("OrderBot")
        .send()
        .await
        .expect("CreateServiceLinkedRole lexv2");
    assert_eq!(
        lex.role().unwrap().role_name(),
        "AWSServiceRoleForLexV2Bots_OrderBot"
    );
    let attached = iam
        .list_attached_role_policies()
        .role_name("AWSServiceRoleForLexV2Bots_OrderBot")
        .send()
        .await
        .unwrap();
    assert_eq!(
        attached.attached_policies()[0].policy_arn(),
        Some("arn:aws:iam::aws:policy/aws-service-role/AmazonLexV2BotPolicy")
    );

    // RDS's role has AWS's description when the call gives none.
    iam.create_service_linked_role()
        .aws_service_name("rds.amazonaws.com")
        .send()
        .await
        .expect("CreateServiceLinkedRole rds");
    let rds = iam
        .get_role()
        .role_name("AWSServiceRoleForRDS")
        .send()
        .await
        .unwrap();
    assert_eq!(
        rds.role().unwrap().description(),
        Some("Allows Amazon RDS to manage AWS resources on your behalf")
    );

    // A service outside the table: AWSServiceRoleFor + its name, per AWS's naming docs.
    let other = iam
        .create_service_linked_role()
        .aws_service_name("example.amazonaws.com")
        .send()
        .await
        .expect("CreateServiceLinkedRole example");
    assert_eq!(
        other.role().unwrap().role_name(),
        "AWSServiceRoleForExample"
    );
}

// ---------------------------------------------------------------------------------------
// 6, 14. The account password policy
// ---------------------------------------------------------------------------------------

/// DeleteAccountPasswordPolicy without one names the policy; a policy updated without
/// HardExpiry shows none.
#[tokio::test]
async fn password_policy_answers() {
    let server = Server::start();
    let iam = iam(&server);
    let f = rejects!(
        iam,
        iam.delete_account_password_policy().send(),
        "NoSuchEntity"
    );
    assert_eq!(f.status, 404);
    assert_eq!(f.message, PASSWORD_POLICY_MISSING);

    iam.update_account_password_policy()
        .send()
        .await
        .expect("UpdateAccountPasswordPolicy without arguments");
    let got = iam.get_account_password_policy().send().await.unwrap();
    let p = got.password_policy().unwrap();
    assert_eq!(p.hard_expiry(), None);
    assert_eq!(p.minimum_password_length(), Some(6));
    let body = raw(&server, &[("Action", "GetAccountPasswordPolicy")]).text();
    assert!(!body.contains("HardExpiry"), "{body}");

    iam.update_account_password_policy()
        .hard_expiry(true)
        .send()
        .await
        .unwrap();
    let got = iam.get_account_password_policy().send().await.unwrap();
    assert_eq!(got.password_policy().unwrap().hard_expiry(), Some(true));
    iam.delete_account_password_policy().send().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// 9. Permissions boundaries that are not ARNs
// ---------------------------------------------------------------------------------------

/// A boundary that is not an ARN is InvalidInput "ARN … is not valid."; the ARN of a
/// policy that does not exist keeps NoSuchEntity "Scope ARN: … does not exist or is not
/// attachable.".
#[tokio::test]
async fn malformed_boundary_arns() {
    let server = Server::start();
    let iam = iam(&server);
    let bad = "this-is-not-an-arn-at-all";
    let f = rejects!(
        iam,
        iam.create_role()
            .role_name("r")
            .assume_role_policy_document(TRUST_EC2)
            .permissions_boundary(bad)
            .send(),
        "InvalidInput"
    );
    assert_eq!(f.message, format!("ARN {bad} is not valid."));
    let f = rejects!(
        iam,
        iam.create_user()
            .user_name("u")
            .permissions_boundary(bad)
            .send(),
        "InvalidInput"
    );
    assert_eq!(f.message, format!("ARN {bad} is not valid."));

    iam.create_role()
        .role_name("r")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap();
    let f = rejects!(
        iam,
        iam.put_role_permissions_boundary()
            .role_name("r")
            .permissions_boundary(bad)
            .send(),
        "InvalidInput"
    );
    assert_eq!(f.message, format!("ARN {bad} is not valid."));
    let missing = local_policy("missing");
    let f = rejects!(
        iam,
        iam.put_role_permissions_boundary()
            .role_name("r")
            .permissions_boundary(&missing)
            .send(),
        "NoSuchEntity"
    );
    assert_eq!(
        f.message,
        format!("Scope ARN: {missing} does not exist or is not attachable.")
    );
}

// ---------------------------------------------------------------------------------------
// 10. Markers
// ---------------------------------------------------------------------------------------

/// A Marker that is not one of this server's is ValidationError "Invalid Marker.".
#[tokio::test]
async fn invalid_marker_is_a_validation_error() {
    let server = Server::start();
    let iam = iam(&server);
    let f = rejects!(
        iam,
        iam.list_roles().marker("!!not-a-marker!!").send(),
        "ValidationError"
    );
    assert_eq!(f.status, 400);
    assert_eq!(f.message, "Invalid Marker.");
    let f = rejects!(
        iam,
        iam.list_policies().marker("%%%").send(),
        "ValidationError"
    );
    assert_eq!(f.message, "Invalid Marker.");
}

// ---------------------------------------------------------------------------------------
// 11. Validation errors: lists of strings, and AWS's order
// ---------------------------------------------------------------------------------------

/// A bad element of a list of strings is reported at the list, with every constraint of
/// its elements; the violations come in AWS's order (clientIDList, thumbprintList, url;
/// passwordReusePrevention before maxPasswordAge).
#[tokio::test]
async fn validation_errors_name_lists_in_aws_order() {
    let server = Server::start();
    let long = "c".repeat(256);
    let r = raw(
        &server,
        &[
            ("Action", "CreateOpenIDConnectProvider"),
            ("Url", ""),
            ("ClientIDList.member.1", &long),
            ("ThumbprintList.member.1", "too-short"),
        ],
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.xml("Code").as_deref(), Some("ValidationError"));
    assert_eq!(
        r.xml("Message").unwrap(),
        "3 validation errors detected: Value at 'clientIDList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1]; Value at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]; Value at 'url' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );

    let iam = iam(&server);
    let f = rejects!(
        iam,
        iam.update_account_password_policy()
            .max_password_age(0)
            .password_reuse_prevention(25)
            .send(),
        "ValidationError"
    );
    assert_eq!(
        f.message,
        "2 validation errors detected: Value at 'passwordReusePrevention' failed to satisfy constraint: Member must have value less than or equal to 24; Value at 'maxPasswordAge' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );
}

// ---------------------------------------------------------------------------------------
// 15, 17. Refused before authorization
// ---------------------------------------------------------------------------------------

/// Input that cannot be right is refused before anything is authorized: AssumeRole with a
/// RoleArn that is not an ARN, Attach…Policy with a PolicyArn that is not one, GetUser
/// without a UserName from a role session. Callers without any permission get the same
/// ValidationError as the root.
#[tokio::test]
async fn invalid_input_is_refused_before_authorization() {
    let server = Server::start();
    let root = iam(&server);
    let (nobody_iam, nobody_sts) = user_allowed(&server, &root, "nobody", &[]).await;

    for sts in [&sts(&server), &nobody_sts] {
        let f = fail(
            sts.assume_role()
                .role_arn("nothing-valid-in-here")
                .role_session_name("session")
                .send()
                .await,
        );
        assert_eq!(
            (f.code.as_str(), f.status, f.message.as_str()),
            ("ValidationError", 400, "nothing-valid-in-here is invalid")
        );
    }

    root.create_role()
        .role_name("target")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap();
    root.create_user()
        .user_name("someone")
        .send()
        .await
        .unwrap();
    for iam in [&root, &nobody_iam] {
        let f = rejects!(
            root,
            iam.attach_role_policy()
                .role_name("target")
                .policy_arn("not-a-policy-arn-at-all")
                .send(),
            "ValidationError"
        );
        assert_eq!(f.message, "Invalid ARN:  Could not be parsed!");
        let f = rejects!(
            root,
            iam.attach_user_policy()
                .user_name("someone")
                .policy_arn("not-a-policy-arn-at-all")
                .send(),
            "ValidationError"
        );
        assert_eq!(f.message, "Invalid ARN:  Could not be parsed!");
    }

    // A role session calling GetUser without naming a user (a role with no permission).
    let (_, assumer) = user_allowed(&server, &root, "assumer", &["sts:AssumeRole"]).await;
    let user_arn = format!("arn:aws:iam::{ACCOUNT_ID}:user/assumer");
    root.create_role()
        .role_name("session-role")
        .assume_role_policy_document(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{user_arn}"}},"Action":"sts:AssumeRole"}}]}}"#
        ))
        .send()
        .await
        .unwrap();
    let assumed = assumer
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT_ID}:role/session-role"))
        .role_session_name("session")
        .send()
        .await
        .expect("AssumeRole");
    let session = iam_session(&server, assumed.credentials().unwrap());
    let f = rejects!(root, session.get_user().send(), "ValidationError");
    assert_eq!(f.status, 400);
    assert_eq!(
        f.message,
        "Must specify userName when calling with non-User credentials"
    );
    // The root and a user still get themselves.
    let me = root.get_user().send().await.unwrap();
    assert_eq!(me.user().unwrap().user_name(), "root");
}

// ---------------------------------------------------------------------------------------
// 16. Service-specific credentials
// ---------------------------------------------------------------------------------------

/// An unknown service is NoSuchEntity in AWS's words, an unknown user is reported before
/// it, and ListServiceSpecificCredentials answers without IsTruncated.
#[tokio::test]
async fn service_specific_credential_answers() {
    let server = Server::start();
    let iam = iam(&server);
    let f = rejects!(
        iam,
        iam.create_service_specific_credential()
            .user_name("ghost")
            .service_name("nonexistentservice.amazonaws.com")
            .send(),
        "NoSuchEntity"
    );
    assert_eq!(f.message, "The user with name ghost cannot be found.");

    iam.create_user().user_name("git").send().await.unwrap();
    let f = rejects!(
        iam,
        iam.create_service_specific_credential()
            .user_name("git")
            .service_name("nonexistentservice.amazonaws.com")
            .send(),
        "NoSuchEntity"
    );
    assert_eq!(f.status, 404);
    assert_eq!(
        f.message,
        "No such service nonexistentservice.amazonaws.com is supported for Service Specific Credentials"
    );

    iam.create_service_specific_credential()
        .user_name("git")
        .service_name("codecommit.amazonaws.com")
        .send()
        .await
        .expect("CreateServiceSpecificCredential");
    let r = raw(
        &server,
        &[
            ("Action", "ListServiceSpecificCredentials"),
            ("UserName", "git"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.text();
    assert!(
        body.contains("<ServiceName>codecommit.amazonaws.com</ServiceName>"),
        "{body}"
    );
    assert!(!body.contains("IsTruncated"), "{body}");

    let f = rejects!(
        iam,
        iam.delete_user().user_name("git").send(),
        "DeleteConflict"
    );
    assert_eq!(
        f.message,
        "Cannot delete entity, must remove referenced objects first."
    );
}
