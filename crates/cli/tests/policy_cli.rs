//! The `portcullis policy` commands as a user runs them: a real process, real files,
//! real pipes. The examples are those of the README.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn portcullis(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("portcullis starts");
    let written = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    // A command refused for its arguments exits without reading its input.
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        panic!("write stdin: {e}");
    }
    child.wait_with_output().expect("portcullis finishes")
}

#[test]
fn validate_reports_iam_errors_and_exit_status() {
    let file = examples().join("bad-trust-policy.json");
    let out = portcullis(
        &[
            "policy",
            "validate",
            "--kind",
            "trust",
            file.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["findings"][0]["code"], "MalformedPolicyDocument");
    assert_eq!(
        report["findings"][0]["message"],
        "Has prohibited field Resource"
    );

    let file = examples().join("lambda-role-policy.json");
    let out = portcullis(
        &[
            "policy",
            "validate",
            "--format",
            "text",
            file.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "valid: no findings\n");
}

#[test]
fn validate_reads_standard_input_and_inline_quotas() {
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}"}}}}"#,
        "b".repeat(3000)
    );
    let out = portcullis(&["policy", "validate", "--inline", "user", "-"], &big);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"][0]["code"], "LimitExceeded");
    let out = portcullis(&["policy", "validate", "--inline", "role", "-"], &big);
    assert_eq!(out.status.code(), Some(0));
    let out = portcullis(
        &[
            "policy", "validate", "--kind", "scp", "--inline", "user", "-",
        ],
        &big,
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn simulate_answers_every_line_in_order() {
    let requests = std::fs::read_to_string(examples().join("requests.jsonl")).unwrap();
    let input = format!(
        "{requests}this line is not JSON\n{}",
        requests.lines().next().unwrap()
    );
    let out = portcullis(&["policy", "simulate", "--time", "1763900000"], &input);
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let decisions: Vec<&str> = lines
        .iter()
        .map(|l| l["decision"].as_str().unwrap_or("error"))
        .collect();
    assert_eq!(
        decisions,
        [
            "allowed",
            "allowed",
            "explicitDeny",
            "implicitDeny",
            "allowed",
            "implicitDeny",
            "error",
            "allowed"
        ]
    );
    assert_eq!(lines[0]["matched_statements"][0]["sid"], "CloudWatchLogs");
    assert!(
        lines[2]["explanation"]
            .as_str()
            .unwrap()
            .contains("with an explicit deny in a permissions boundary")
    );
    assert!(
        lines[6]["error"]
            .as_str()
            .unwrap()
            .contains("not a simulation request")
    );
}
