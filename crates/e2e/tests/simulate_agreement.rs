//! SimulateCustomPolicy agrees with `portcullis policy simulate` on the request cases of the
//! conformance corpus (`crates/policy/tests/corpus/*.json`).
//!
//! Every case SimulateCustomPolicy can express is sent to a running server and, unchanged,
//! to the `portcullis policy simulate` binary; their decisions must be equal (or both must
//! reject the case). A case is expressible when its principal is an IAM user or role (the
//! only callers `CallerArn` takes), it has no session policy and no RCPs (SimulateCustomPolicy
//! has no parameter for them), and its values fit the API's constraints. The mapping:
//! `principal` → `CallerArn`, `identity_policies` → `PolicyInputList`,
//! `permissions_boundary` → `PermissionsBoundaryPolicyInputList`, `resource_policy` →
//! `ResourcePolicy`, `resource` → `ResourceArns`, `resource_account` → `ResourceOwner`,
//! `scps` → `OrderedOrganizationPolicyInputList`, `context` and `principal_tags` →
//! `ContextEntries` (strings as `string`/`stringList`, numbers as `numeric…`, booleans as
//! `boolean…`).
//!
//! Two things are made explicit on both sides, so that both evaluate the same request: the
//! time (`aws:CurrentTime`/`aws:EpochTime`, the corpus's fixed 2024-06-01T12:00:00Z unless
//! the case gives them: the simulator takes the time only from `ContextEntries`), and the
//! owner of a resource whose ARN names no account (the caller's account, as
//! SimulateCustomPolicy assumes without `ResourceOwner`).

mod common;

use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum, OrderedOrganizationPolicyType};
use common::*;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// 2024-06-01T12:00:00Z, the time the corpus runs at.
const NOW: i64 = 1_717_243_200;
const NOW_TEXT: &str = "2024-06-01T12:00:00Z";

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../policy/tests/corpus")
}

/// A request case of the corpus, made explicit.
struct Case {
    name: String,
    request: Map<String, Value>,
    /// The decision the corpus documents for AWS.
    expect: Option<String>,
}

fn account_of(arn: &str) -> Option<&str> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// A policy document as the API takes it: the text of a string, or an object written out.
fn doc_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The text fits `policyDocumentType` (`[\u0009\u000A\u000D\u0020-\u00FF]+`).
fn fits_document(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'))
}

fn documents(r: &Map<String, Value>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(Value::Array(ps)) = r.get("identity_policies") {
        out.extend(ps.iter().map(doc_text));
    }
    for k in ["resource_policy", "permissions_boundary"] {
        if let Some(v) = r.get(k).filter(|v| !v.is_null()) {
            out.push(doc_text(v));
        }
    }
    if let Some(Value::Array(levels)) = r.get("scps") {
        for level in levels {
            if let Value::Array(ps) = level {
                out.extend(ps.iter().map(doc_text));
            }
        }
    }
    out
}

/// Why SimulateCustomPolicy cannot express a request, if it cannot.
fn inexpressible(r: &Map<String, Value>) -> Option<String> {
    let principal = r
        .get("principal")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let is_iam = |kind: &str| {
        principal.starts_with("arn:aws:iam::")
            && principal
                .split(':')
                .nth(5)
                .is_some_and(|p| p.starts_with(kind))
    };
    if !(is_iam("user/") || is_iam("role/")) {
        let kind = if principal.contains(":assumed-role/") {
            "an assumed-role session"
        } else if principal.ends_with(":root") {
            "an account root"
        } else if principal.contains(":federated-user/") {
            "a federated user"
        } else {
            "a service, provider or anonymous caller"
        };
        return Some(format!(
            "the principal is {kind} (CallerArn takes IAM users and roles)"
        ));
    }
    if r.get("session_policy").is_some_and(|v| !v.is_null()) {
        return Some("it has a session policy (no SimulateCustomPolicy parameter)".into());
    }
    if r.get("rcps")
        .is_some_and(|v| v.as_array().is_some_and(|a| !a.is_empty()))
    {
        return Some("it has RCPs (no SimulateCustomPolicy parameter)".into());
    }
    let action = r.get("action").and_then(Value::as_str).unwrap_or_default();
    if !(3..=128).contains(&action.len()) {
        return Some("the action does not fit ActionNameType (3 to 128 characters)".into());
    }
    if documents(r).iter().any(|d| !fits_document(d)) {
        return Some(
            "a policy has characters policyDocumentType does not take (beyond \\u00FF)".into(),
        );
    }
    if let Some(Value::Object(context)) = r.get("context") {
        for (k, v) in context {
            if !(5..=256).contains(&k.len()) {
                return Some(
                    "a context key does not fit ContextKeyNameType (5 to 256 characters)".into(),
                );
            }
            let scalar =
                |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
            let ok = match v {
                Value::Array(items) => items.iter().all(scalar),
                other => scalar(other),
            };
            if !ok {
                return Some("a context value is not a scalar or a list of scalars".into());
            }
        }
    }
    if let (Some(owner), Some(resource)) = (
        r.get("resource_account").and_then(Value::as_str),
        r.get("resource").and_then(Value::as_str),
    ) && account_of(resource).is_some_and(|a| a != owner)
    {
        return Some(
            "resource_account differs from the account in the resource ARN (ResourceOwner applies only to ARNs without one)".into(),
        );
    }
    None
}

/// The case with its time and resource owner made explicit (see the module comment).
fn explicit(mut r: Map<String, Value>) -> Map<String, Value> {
    let context = r
        .entry("context")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(c) = context {
        let has = |c: &Map<String, Value>, k: &str| c.keys().any(|x| x.eq_ignore_ascii_case(k));
        if !has(c, "aws:CurrentTime") {
            c.insert("aws:CurrentTime".into(), Value::String(NOW_TEXT.into()));
        }
        if !has(c, "aws:EpochTime") {
            c.insert("aws:EpochTime".into(), Value::String(NOW.to_string()));
        }
    }
    let resource = r
        .get("resource")
        .and_then(Value::as_str)
        .unwrap_or("*")
        .to_string();
    if !r.contains_key("resource_account") && account_of(&resource).is_none() {
        let principal = r["principal"].as_str().unwrap_or_default();
        if let Some(a) = account_of(principal) {
            r.insert("resource_account".into(), Value::String(a.to_string()));
        }
    }
    r
}

fn read_cases() -> (Vec<Case>, BTreeMap<String, usize>) {
    let mut cases = Vec::new();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .expect("the corpus directory")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let file: Value = serde_json::from_str(&text).unwrap();
        let family = path.file_stem().unwrap().to_string_lossy().to_string();
        for case in file["cases"].as_array().unwrap() {
            let Some(Value::Object(request)) = case.get("request") else {
                continue;
            };
            match inexpressible(request) {
                Some(reason) => *skipped.entry(reason).or_default() += 1,
                None => cases.push(Case {
                    name: format!("{family}: {}", case["name"].as_str().unwrap_or_default()),
                    request: explicit(request.clone()),
                    expect: case["expect"].as_str().map(str::to_string),
                }),
            }
        }
    }
    (cases, skipped)
}

/// Runs the requests through `portcullis policy simulate`, one line each.
fn reference_decisions(cases: &[Case]) -> Vec<Value> {
    let mut child = Command::new(binary())
        .args(["policy", "simulate"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("running portcullis policy simulate");
    let mut stdin = child.stdin.take().unwrap();
    let input: String = cases
        .iter()
        .map(|c| format!("{}\n", Value::Object(c.request.clone())))
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out: Vec<Value> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    writer.join().unwrap().unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(out.len(), cases.len());
    out
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn context_entry(key: &str, value: &Value) -> ContextEntry {
    let (kind, values): (ContextKeyTypeEnum, Vec<String>) = match value {
        Value::Array(items) => {
            let kind = if !items.is_empty() && items.iter().all(Value::is_number) {
                ContextKeyTypeEnum::NumericList
            } else if !items.is_empty() && items.iter().all(Value::is_boolean) {
                ContextKeyTypeEnum::BooleanList
            } else {
                ContextKeyTypeEnum::StringList
            };
            (kind, items.iter().map(scalar_text).collect())
        }
        Value::Number(_) => (ContextKeyTypeEnum::Numeric, vec![scalar_text(value)]),
        Value::Bool(_) => (ContextKeyTypeEnum::Boolean, vec![scalar_text(value)]),
        other => (ContextKeyTypeEnum::String, vec![scalar_text(other)]),
    };
    ContextEntry::builder()
        .context_key_name(key)
        .context_key_type(kind)
        .set_context_key_values(Some(values))
        .build()
}

/// The decision SimulateCustomPolicy gives for a case, or `error` with the error.
async fn server_decision(
    iam: &aws_sdk_iam::Client,
    r: &Map<String, Value>,
) -> Result<String, String> {
    let mut call = iam
        .simulate_custom_policy()
        .caller_arn(r["principal"].as_str().unwrap())
        .action_names(r["action"].as_str().unwrap());
    let identity: Vec<String> = match r.get("identity_policies") {
        Some(Value::Array(ps)) => ps.iter().map(doc_text).collect(),
        _ => Vec::new(),
    };
    call = call.set_policy_input_list(Some(identity));
    if let Some(b) = r.get("permissions_boundary").filter(|v| !v.is_null()) {
        call = call.permissions_boundary_policy_input_list(doc_text(b));
    }
    if let Some(p) = r.get("resource_policy").filter(|v| !v.is_null()) {
        call = call.resource_policy(doc_text(p));
    }
    if let Some(resource) = r.get("resource").and_then(Value::as_str) {
        call = call.resource_arns(resource);
    }
    if let Some(owner) = r.get("resource_account").and_then(Value::as_str) {
        call = call.resource_owner(owner);
    }
    if let Some(Value::Array(levels)) = r.get("scps") {
        for level in levels {
            let docs = level
                .as_array()
                .map(|ps| ps.iter().map(doc_text).collect())
                .unwrap_or_default();
            call = call.ordered_organization_policy_input_list(
                OrderedOrganizationPolicyType::builder()
                    .set_service_control_policy_input_list(Some(docs))
                    .build(),
            );
        }
    }
    let context = r.get("context").and_then(Value::as_object);
    if let Some(context) = context {
        for (k, v) in context {
            call = call.context_entries(context_entry(k, v));
        }
    }
    if let Some(Value::Object(tags)) = r.get("principal_tags") {
        for (k, v) in tags {
            let key = format!("aws:PrincipalTag/{k}");
            let given = context.is_some_and(|c| c.keys().any(|x| x.eq_ignore_ascii_case(&key)));
            if !given {
                call = call.context_entries(context_entry(&key, v));
            }
        }
    }
    match call.send().await {
        Ok(out) => {
            let results = out.evaluation_results();
            assert_eq!(results.len(), 1, "one action, one result: {out:?}");
            Ok(results[0].eval_decision().as_str().to_string())
        }
        Err(e) => {
            use aws_sdk_iam::error::ProvideErrorMetadata;
            Err(format!(
                "{}: {}",
                e.code().unwrap_or("no code"),
                e.message().unwrap_or_default()
            ))
        }
    }
}

#[tokio::test]
async fn simulate_custom_policy_agrees_with_policy_simulate() {
    let (cases, skipped) = read_cases();
    let reference = reference_decisions(&cases);
    let server = Server::start();
    let iam = iam(&server);
    let mut agreed_decisions = 0;
    let mut agreed_rejections = 0;
    let mut disagreements = Vec::new();
    let mut by_decision: BTreeMap<String, usize> = BTreeMap::new();
    let mut as_documented = 0;
    for (case, want) in cases.iter().zip(&reference) {
        let got = server_decision(&iam, &case.request).await;
        match (want.get("decision").and_then(Value::as_str), &got) {
            (Some(w), Ok(g)) if w == g => {
                agreed_decisions += 1;
                *by_decision.entry(g.clone()).or_default() += 1;
                if case.expect.as_deref() == Some(g) {
                    as_documented += 1;
                }
            }
            (None, Err(_)) => agreed_rejections += 1,
            _ => disagreements.push(format!(
                "{}\n    policy simulate: {want}\n    SimulateCustomPolicy: {got:?}\n    request: {}",
                case.name,
                Value::Object(case.request.clone())
            )),
        }
    }
    let compared = cases.len();
    let skipped_total: usize = skipped.values().sum();
    println!(
        "compared {compared} corpus cases: {agreed_decisions} equal decisions, {agreed_rejections} rejected by both, {} disagreements",
        disagreements.len()
    );
    println!(
        "  decisions: {by_decision:?}; {as_documented} of them as the corpus documents for AWS"
    );
    println!("skipped {skipped_total} request cases:");
    for (reason, n) in &skipped {
        println!("  {n:4}  {reason}");
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert!(
        agreed_decisions >= 100,
        "only {agreed_decisions} decisions compared"
    );
}
