//! `portcullis serve` as a user runs it, for what it says when it cannot start.

use std::process::{Command, Output, Stdio};

fn portcullis(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portcullis"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("PORTCULLIS_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("portcullis runs")
}

#[test]
fn a_bind_failure_is_reported_once() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = portcullis(&["serve", "--in-memory", "--listen", &addr]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("(os error").count(),
        1,
        "the error once, not twice: {stderr:?}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(
        stderr.starts_with(&format!("portcullis: listening on {addr}: ")),
        "{stderr:?}"
    );
}

#[test]
fn a_data_directory_that_is_a_file_is_reported_once() {
    let file = std::env::temp_dir().join(format!("portcullis-not-a-dir-{}", std::process::id()));
    std::fs::write(&file, "").unwrap();
    let out = portcullis(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        file.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_file(&file);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("(os error").count(),
        1,
        "the error once, not twice: {stderr:?}"
    );
}
