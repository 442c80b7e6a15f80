//! The audit trail with the real binary and the AWS SDK: every answered request has its
//! event after a SIGKILL under load; no secret ever reaches an event or the log file;
//! `portcullis policy generate` allows exactly what a principal did; the role's and the
//! access key's last-used data follow the trail.

#[macro_use]
mod common;

use aws_sdk_iam::operation::RequestId;
use common::*;
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

/// Runs `portcullis ARGS` and returns its standard output (panics when it fails).
fn portcullis(args: &[&str]) -> String {
    let out = Command::new(binary())
        .args(args)
        .env_remove("PORTCULLIS_DATA_DIR")
        .env_remove("PORTCULLIS_ACCOUNT_ID")
        .output()
        .expect("running portcullis");
    assert!(
        out.status.success(),
        "portcullis {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Every CloudTrail record of the data directory, newest first.
fn all_events(dir: &Path) -> Vec<Value> {
    portcullis(&[
        "audit",
        "--data-dir",
        dir.to_str().unwrap(),
        "--max-results",
        "0",
        "--format",
        "json",
    ])
    .lines()
    .map(|l| serde_json::from_str(l).expect("a CloudTrail record per line"))
    .collect()
}

fn allow(actions: &[&str]) -> String {
    serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": "*"}]})
    .to_string()
}

fn trust_account() -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT_ID}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

#[tokio::test]
async fn every_answered_request_has_its_event_after_sigkill_under_load() {
    kill_under_load("audit-kill", Vec::new()).await;
}

#[tokio::test]
async fn with_audit_sync_always_too() {
    kill_under_load(
        "audit-kill-sync",
        vec![("PORTCULLIS_AUDIT_SYNC".to_string(), "always".to_string())],
    )
    .await;
}

/// Sixteen clients load a server on a data directory (started with `env`), which is
/// killed with SIGKILL under them; every answer they got must have its event.
async fn kill_under_load(label: &str, env: Vec<(String, String)>) {
    let dir = TempDir::new(label);
    let root = Credentials::generate();
    let server = Server::start_with(Options {
        storage: Storage::DataDir(dir.path().to_path_buf()),
        root: Some(root.clone()),
        env,
    });
    let iam = iam(&server);
    iam.create_role()
        .role_name("Target")
        .assume_role_policy_document(trust_account())
        .send()
        .await
        .expect("CreateRole");
    let (key, secret) = user_with_key(&iam, "nobody").await;
    let denied = iam_with(&server, &key, &secret);

    // Sixteen clients: reads, writes and denied calls, as fast as they can, until the
    // server dies under them. Each keeps the request ID of every answer it got.
    let mut tasks = Vec::new();
    for t in 0..16 {
        let (iam, denied) = (iam.clone(), denied.clone());
        tasks.push(tokio::spawn(async move {
            let mut answered = Vec::new();
            for i in 0.. {
                let id = match (t + i) % 3 {
                    0 => match iam.get_role().role_name("Target").send().await {
                        Ok(o) => o.request_id().map(str::to_string),
                        Err(e) => match e.raw_response() {
                            Some(_) => e.request_id().map(str::to_string),
                            None => break,
                        },
                    },
                    1 => match iam
                        .create_user()
                        .user_name(format!("u-{t}-{i}"))
                        .send()
                        .await
                    {
                        Ok(o) => o.request_id().map(str::to_string),
                        Err(e) => match e.raw_response() {
                            Some(_) => e.request_id().map(str::to_string),
                            None => break,
                        },
                    },
                    _ => match denied.list_users().send().await {
                        Ok(o) => o.request_id().map(str::to_string),
                        Err(e) => match e.raw_response() {
                            Some(_) => e.request_id().map(str::to_string),
                            None => break,
                        },
                    },
                };
                answered.push(id.expect("every answer carries a request ID"));
            }
            answered
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    server.kill();
    let mut answered = Vec::new();
    for t in tasks {
        answered.extend(t.await.unwrap());
    }
    assert!(
        answered.len() > 100,
        "only {} requests were answered",
        answered.len()
    );

    // Read the trail straight from the data directory, then from a restarted server.
    let events = all_events(dir.path());
    let recorded: HashSet<&str> = events
        .iter()
        .filter_map(|e| e["requestID"].as_str())
        .collect();
    let missing: Vec<&String> = answered
        .iter()
        .filter(|id| !recorded.contains(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} answered requests have no event: {:?}",
        missing.len(),
        answered.len(),
        &missing[..missing.len().min(5)]
    );
    let denials = events
        .iter()
        .filter(|e| e["eventName"] == "ListUsers")
        .collect::<Vec<_>>();
    assert!(!denials.is_empty());
    for d in denials {
        assert_eq!(d["errorCode"], "AccessDenied", "{d}");
        assert_eq!(d["userIdentity"]["type"], "IAMUser");
        assert_eq!(d["userIdentity"]["userName"], "nobody");
        assert_eq!(d["userIdentity"]["accessKeyId"], key.as_str());
    }
    let server = Server::start_on(dir.path(), &root);
    common::iam(&server)
        .get_role()
        .role_name("Target")
        .send()
        .await
        .expect("the restarted server answers");
}

#[tokio::test]
async fn no_secret_reaches_an_event_or_the_log_file() {
    let dir = TempDir::new("audit-secrets");
    let log = dir.path().join("audit.jsonl");
    let root = Credentials::generate();
    let server = Server::start_with(Options {
        storage: Storage::DataDir(dir.path().join("data")),
        root: Some(root.clone()),
        env: vec![(
            "PORTCULLIS_AUDIT_LOG".to_string(),
            log.to_str().unwrap().to_string(),
        )],
    });
    let iam = iam(&server);
    let mut secrets = vec![root.secret_access_key.clone()];

    let (key, secret) = user_with_key(&iam, "alice").await;
    secrets.push(secret.clone());
    iam.put_user_policy()
        .user_name("alice")
        .policy_name("assume")
        .policy_document(allow(&[
            "sts:AssumeRole",
            "iam:GetUser",
            "sts:GetFederationToken",
        ]))
        .send()
        .await
        .unwrap();
    iam.create_role()
        .role_name("Analyst")
        .assume_role_policy_document(trust_account())
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name("Analyst")
        .policy_name("read")
        .policy_document(allow(&["iam:GetRole"]))
        .send()
        .await
        .unwrap();
    let alice_sts = sts_with(&server, &key, &secret);
    let assumed = alice_sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT_ID}:role/Analyst"))
        .role_session_name("audit-check")
        .send()
        .await
        .expect("AssumeRole");
    let creds = assumed.credentials().unwrap().clone();
    secrets.push(creds.secret_access_key().to_string());
    secrets.push(creds.session_token().to_string());
    iam_session(&server, &creds)
        .get_role()
        .role_name("Analyst")
        .send()
        .await
        .expect("GetRole in the session");
    for c in [
        alice_sts
            .get_session_token()
            .send()
            .await
            .unwrap()
            .credentials,
        alice_sts
            .get_federation_token()
            .name("fed")
            .send()
            .await
            .unwrap()
            .credentials,
    ] {
        let c = c.unwrap();
        secrets.push(c.secret_access_key().to_string());
        secrets.push(c.session_token().to_string());
    }
    let device = iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("alice-device")
        .send()
        .await
        .unwrap();
    let seed = device
        .virtual_mfa_device()
        .unwrap()
        .base32_string_seed()
        .unwrap();
    secrets.push(String::from_utf8(seed.as_ref().to_vec()).unwrap());
    // A password: Portcullis has no login profiles yet, but the request carrying it is
    // recorded all the same, and its password must be hidden.
    let password = "Audit-Check-Passw0rd!";
    secrets.push(password.to_string());
    let _ = iam
        .create_login_profile()
        .user_name("alice")
        .password(password)
        .send()
        .await;
    // A failed sign-in with a wrong secret.
    let _ = iam_with(&server, &key, "wrong-secret-wrong-secret-wrong-secret-00")
        .get_user()
        .send()
        .await;

    let events = all_events(&dir.path().join("data"));
    // The file copy is written after each batch reaches the store, within moments.
    let mut log_text = String::new();
    for _ in 0..100 {
        log_text = std::fs::read_to_string(&log).expect("the audit log file");
        if log_text.lines().count() >= events.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        log_text.lines().count(),
        events.len(),
        "the log file holds every event"
    );
    let trail = serde_json::to_string(&events).unwrap();
    for s in &secrets {
        assert!(!trail.contains(s.as_str()), "a secret is in the trail: {s}");
        assert!(
            !log_text.contains(s.as_str()),
            "a secret is in the log: {s}"
        );
    }
    let login = events
        .iter()
        .find(|e| e["eventName"] == "CreateLoginProfile")
        .expect("the CreateLoginProfile event");
    assert_eq!(
        login["requestParameters"]["password"],
        "HIDDEN_DUE_TO_SECURITY_REASONS"
    );
    let failed = events
        .iter()
        .find(|e| e["errorCode"] == "SignatureDoesNotMatch")
        .expect("the failed authentication's event");
    assert_eq!(failed["userIdentity"]["accessKeyId"], key.as_str());

    // The session's call names its issuer, and AssumeRole names the role.
    let session_call = events
        .iter()
        .find(|e| e["eventName"] == "GetRole" && e["userIdentity"]["type"] == "AssumedRole")
        .expect("the session's GetRole");
    let identity = &session_call["userIdentity"];
    assert_eq!(
        identity["arn"],
        format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/Analyst/audit-check")
    );
    assert_eq!(identity["accessKeyId"], creds.access_key_id());
    assert_eq!(
        identity["sessionContext"]["sessionIssuer"]["userName"],
        "Analyst"
    );
    assert_eq!(
        identity["sessionContext"]["attributes"]["mfaAuthenticated"],
        "false"
    );
    let assume = events
        .iter()
        .find(|e| e["eventName"] == "AssumeRole")
        .expect("the AssumeRole event");
    assert_eq!(assume["eventSource"], "sts.amazonaws.com");
    assert_eq!(assume["userIdentity"]["userName"], "alice");
    assert_eq!(
        assume["requestParameters"]["roleSessionName"],
        "audit-check"
    );
    assert_eq!(
        assume["responseElements"]["credentials"]["accessKeyId"],
        creds.access_key_id()
    );

    // Last-used data: the role was assumed, alice's key was used for STS and IAM.
    let role = iam.get_role().role_name("Analyst").send().await.unwrap();
    let last = role.role().unwrap().role_last_used().expect("RoleLastUsed");
    assert!(last.last_used_date().is_some());
    assert_eq!(last.region(), Some("us-east-1"));
    let key_use = iam
        .get_access_key_last_used()
        .access_key_id(&key)
        .send()
        .await
        .unwrap();
    let used = key_use.access_key_last_used().unwrap();
    assert!(used.last_used_date().is_some());
    assert_eq!(used.service_name(), "sts");
}

#[tokio::test]
async fn a_generated_policy_allows_exactly_the_five_calls_made() {
    let dir = TempDir::new("audit-generate");
    let root = Credentials::generate();
    let server = Server::start_on(dir.path(), &root);
    let iam = iam(&server);
    iam.create_role()
        .role_name("Data")
        .assume_role_policy_document(trust_account())
        .send()
        .await
        .unwrap();
    let (key, secret) = user_with_key(&iam, "reviewer").await;
    iam.put_user_policy()
        .user_name("reviewer")
        .policy_name("broad")
        .policy_document(allow(&["iam:Get*", "iam:List*"]))
        .send()
        .await
        .unwrap();
    let reviewer = iam_with(&server, &key, &secret);
    // Five distinct calls, one of them twice, and one denied call.
    reviewer.get_role().role_name("Data").send().await.unwrap();
    reviewer.get_role().role_name("Data").send().await.unwrap();
    reviewer.list_roles().send().await.unwrap();
    reviewer
        .get_user()
        .user_name("reviewer")
        .send()
        .await
        .unwrap();
    reviewer
        .list_attached_role_policies()
        .role_name("Data")
        .send()
        .await
        .unwrap();
    reviewer
        .list_role_tags()
        .role_name("Data")
        .send()
        .await
        .unwrap();
    let denied = reviewer.delete_role().role_name("Data").send().await;
    assert_eq!(fail(denied).code, "AccessDenied");

    let user_arn = format!("arn:aws:iam::{ACCOUNT_ID}:user/reviewer");
    let role_arn = format!("arn:aws:iam::{ACCOUNT_ID}:role/Data");
    let text = portcullis(&[
        "policy",
        "generate",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--principal",
        &user_arn,
        "--since",
        "1h",
    ]);
    let policy: Value = serde_json::from_str(&text).expect("a JSON policy");
    let mut actions: Vec<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| match &s["Action"] {
            Value::String(a) => vec![a.clone()],
            Value::Array(a) => a.iter().map(|v| v.as_str().unwrap().to_string()).collect(),
            _ => vec![],
        })
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        [
            "iam:GetRole",
            "iam:GetUser",
            "iam:ListAttachedRolePolicies",
            "iam:ListRoleTags",
            "iam:ListRoles"
        ],
        "{text}"
    );

    // The simulator agrees: those five on what they touched are allowed; nothing else is.
    let decide = |action: &'static str, resource: String| {
        let iam = iam.clone();
        let text = text.clone();
        async move {
            let out = iam
                .simulate_custom_policy()
                .policy_input_list(text)
                .action_names(action)
                .resource_arns(resource)
                .send()
                .await
                .expect("SimulateCustomPolicy");
            out.evaluation_results()[0]
                .eval_decision()
                .as_str()
                .to_string()
        }
    };
    let other_role = format!("arn:aws:iam::{ACCOUNT_ID}:role/Other");
    let other_user = format!("arn:aws:iam::{ACCOUNT_ID}:user/other");
    for (action, resource) in [
        ("iam:GetRole", role_arn.clone()),
        ("iam:ListRoles", "*".to_string()),
        ("iam:GetUser", user_arn.clone()),
        ("iam:ListAttachedRolePolicies", role_arn.clone()),
        ("iam:ListRoleTags", role_arn.clone()),
    ] {
        assert_eq!(
            decide(action, resource.clone()).await,
            "allowed",
            "{action} on {resource}"
        );
    }
    for (action, resource) in [
        ("iam:DeleteRole", role_arn.clone()),
        ("iam:GetRole", other_role.clone()),
        ("iam:GetUser", other_user),
        ("iam:ListUsers", "*".to_string()),
        ("iam:GetRolePolicy", role_arn.clone()),
        ("iam:CreateRole", other_role),
        ("sts:AssumeRole", role_arn.clone()),
    ] {
        assert_eq!(
            decide(action, resource.clone()).await,
            "implicitDeny",
            "{action} on {resource}"
        );
    }

    // Service last accessed, from the same trail: IAM, by the reviewer, action by action.
    let job = iam
        .generate_service_last_accessed_details()
        .arn(&user_arn)
        .granularity(aws_sdk_iam::types::AccessAdvisorUsageGranularityType::ActionLevel)
        .send()
        .await
        .expect("GenerateServiceLastAccessedDetails");
    let details = iam
        .get_service_last_accessed_details()
        .job_id(job.job_id().unwrap())
        .send()
        .await
        .expect("GetServiceLastAccessedDetails");
    assert_eq!(details.job_status().as_str(), "COMPLETED");
    let services = details.services_last_accessed();
    assert_eq!(services.len(), 1, "{services:?}");
    let iam_service = &services[0];
    assert_eq!(iam_service.service_namespace(), "iam");
    assert!(iam_service.last_authenticated().is_some());
    assert_eq!(
        iam_service.last_authenticated_entity(),
        Some(user_arn.as_str())
    );
    assert_eq!(iam_service.total_authenticated_entities(), Some(1));
    let tracked = iam_service.tracked_actions_last_accessed();
    // An action never used is either listed without a time or not listed.
    let accessed = |name: &str| {
        tracked
            .iter()
            .any(|t| t.action_name() == Some(name) && t.last_accessed_time().is_some())
    };
    assert!(accessed("GetRole") && accessed("ListRoleTags"));
    assert!(!accessed("GetGroup") && !accessed("ListUsers"));
    let unknown = iam
        .get_service_last_accessed_details()
        .job_id("00000000-0000-0000-0000-000000000000")
        .send()
        .await;
    assert_eq!(fail(unknown).code, "NoSuchEntity");

    // `audit unused`: the role was never used; the reviewer used some of its grants.
    let unused: Vec<Value> = portcullis(&[
        "audit",
        "unused",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--since",
        "1h",
        "--format",
        "json",
    ])
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect();
    let of = |arn: &str| unused.iter().find(|u| u["arn"] == arn).cloned().unwrap();
    assert_eq!(of(&role_arn)["unused"], true);
    let reviewer_findings = of(&user_arn);
    assert_eq!(reviewer_findings["unused"], false);
    let still_unused: Vec<&str> = reviewer_findings["unusedActions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(still_unused.contains(&"iam:GetGroup"), "{still_unused:?}");
    assert!(!still_unused.contains(&"iam:GetRole"), "{still_unused:?}");
    assert_eq!(reviewer_findings["unusedAccessKeys"], serde_json::json!([]));
}
