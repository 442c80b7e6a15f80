//! Running the server: its request log (one line per API call, plain or JSON, coloured only
//! on a terminal), an OpenID Connect issuer URL that stays put across restarts, and a
//! start-up banner that says where the saved root credentials are.

mod common;

use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The lines of the server's log that satisfy `pick`, once at least one has come (the
/// log is read on a thread, so a line may arrive a moment after the answer).
fn wait_for_lines(server: &Server, pick: impl Fn(&str) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let lines: Vec<String> = server
            .log()
            .lines()
            .filter(|l| pick(l))
            .map(str::to_string)
            .collect();
        if !lines.is_empty() || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The JSON objects of the log whose `request_id` is `id`.
fn json_lines_of(server: &Server, id: &str) -> Vec<Value> {
    wait_for_lines(server, |l| l.starts_with('{') && l.contains(id))
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?} is not JSON: {e}")))
        .filter(|v: &Value| v["request_id"] == id)
        .collect()
}

/// A signed IAM Query call as the root; returns the answer.
fn root_call(server: &Server, body: &str) -> HttpResponse {
    http_request(
        server.addr,
        "POST",
        "/",
        &signed_query_headers(server, body),
        body.as_bytes(),
    )
    .expect("the call is answered")
}

fn request_id(r: &HttpResponse) -> String {
    r.header("x-amzn-requestid")
        .expect("an x-amzn-requestid header")
        .to_string()
}

fn logging_server(format: &str) -> Server {
    Server::start_with(Options {
        env: vec![
            ("RUST_LOG".to_string(), "info".to_string()),
            ("PORTCULLIS_LOG_FORMAT".to_string(), format.to_string()),
        ],
        ..Options::default()
    })
}

#[test]
fn json_request_log_has_one_line_per_call_with_its_facts() {
    let server = logging_server("json");
    let created = root_call(
        &server,
        "Action=CreateUser&UserName=logged&Version=2010-05-08",
    );
    assert_eq!(created.status, 200, "{}", created.text());
    let id = request_id(&created);
    let lines = json_lines_of(&server, &id);
    assert_eq!(
        lines.len(),
        1,
        "exactly one line per request:\n{}",
        server.log()
    );
    let line = &lines[0];
    assert_eq!(line["level"], "INFO", "{line}");
    assert_eq!(line["method"], "POST", "{line}");
    assert_eq!(line["action"], "CreateUser", "{line}");
    assert_eq!(
        line["principal"],
        format!("arn:aws:iam::{ACCOUNT_ID}:root").as_str(),
        "{line}"
    );
    assert_eq!(line["status"], 200, "{line}");
    let latency = line["latency_ms"].as_f64().expect("latency_ms is a number");
    assert!((0.0..60_000.0).contains(&latency), "{line}");

    // A refused call: its action and status, and no principal (nobody was authenticated).
    let body = "Action=GetUser&Version=2010-05-08";
    let headers = sign_post(
        server.addr,
        (
            "AKIAUNKNOWNKEY000000",
            "not-a-secret-this-server-knows-of-at-all",
        ),
        "iam",
        &[("content-type", FORM)],
        body,
        now_epoch(),
    );
    let refused = http_request(server.addr, "POST", "/", &headers, body.as_bytes()).unwrap();
    assert_eq!(refused.status, 403, "{}", refused.text());
    let lines = json_lines_of(&server, &request_id(&refused));
    assert_eq!(lines.len(), 1, "{}", server.log());
    assert_eq!(lines[0]["action"], "GetUser", "{}", lines[0]);
    assert_eq!(lines[0]["status"], 403, "{}", lines[0]);
    assert!(lines[0].get("principal").is_none(), "{}", lines[0]);

    // Every line after the banner is a JSON object.
    let log = server.log();
    let after_banner = log
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("mode:"));
    for l in after_banner.skip(1) {
        assert!(
            serde_json::from_str::<Value>(l).is_ok_and(|v| v.is_object()),
            "{l:?} is not a JSON object"
        );
    }
}

#[test]
fn text_log_has_no_colour_codes_when_stderr_is_not_a_terminal() {
    let server = logging_server("text");
    let created = root_call(&server, "Action=ListUsers&Version=2010-05-08");
    assert_eq!(created.status, 200, "{}", created.text());
    let id = request_id(&created);
    let lines = wait_for_lines(&server, |l| l.contains(&id));
    assert_eq!(lines.len(), 1, "one line per request:\n{}", server.log());
    for part in ["ListUsers", "POST", "status=200", "latency_ms="] {
        assert!(lines[0].contains(part), "{part} in {:?}", lines[0]);
    }
    assert!(
        !server.log().contains("\x1b["),
        "colour codes in a log that is not a terminal:\n{:?}",
        server.log()
    );
}

#[test]
fn no_request_lines_at_the_default_level() {
    let server = Server::start();
    let r = root_call(&server, "Action=ListUsers&Version=2010-05-08");
    assert_eq!(r.status, 200);
    let id = request_id(&r);
    std::thread::sleep(Duration::from_millis(200));
    assert!(!server.log().contains(&id), "{}", server.log());
}

/// The `issuer` of the built-in issuer's discovery document.
fn discovery_issuer(server: &Server) -> String {
    let r = http_request(
        server.addr,
        "GET",
        "/oidc/.well-known/openid-configuration",
        &[],
        b"",
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let doc: Value = serde_json::from_str(&r.text()).unwrap();
    doc["issuer"].as_str().unwrap().to_string()
}

/// Signs an ID token with the data directory's issuer (`portcullis token issue`).
fn issue_token(dir: &std::path::Path, sub: &str) -> String {
    let out = std::process::Command::new(binary())
        .args(["token", "issue", "--sub", sub, "--aud", "sts.amazonaws.com"])
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_issuer_url_of_a_data_directory_survives_a_restart_on_another_port() {
    let dir = TempDir::new("issuer-kept");
    let root = Credentials::generate();
    let first = Server::start_on(dir.path(), &root);
    let issuer = discovery_issuer(&first);
    assert_eq!(issuer, format!("{}/oidc", first.endpoint));
    let iam = iam(&first);
    let provider = iam
        .create_open_id_connect_provider()
        .url(&issuer)
        .client_id_list("sts.amazonaws.com")
        .send()
        .await
        .unwrap()
        .open_id_connect_provider_arn
        .unwrap();
    let host = issuer.trim_start_matches("http://");
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"{host}:sub":"pod"}}}}}}]}}"#
    );
    let role = iam
        .create_role()
        .role_name("pod")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap()
        .role
        .unwrap()
        .arn;
    let first_port = first.addr.port();
    first.kill();

    let second = Server::start_on(dir.path(), &root);
    assert_ne!(second.addr.port(), first_port, "restarted on another port");
    assert_eq!(discovery_issuer(&second), issuer, "{}", second.log());
    assert!(second.log().contains(&issuer), "{}", second.log());
    // The provider made for it still takes the issuer's tokens.
    let assumed = sts(&second)
        .assume_role_with_web_identity()
        .role_arn(&role)
        .role_session_name("pod")
        .web_identity_token(issue_token(dir.path(), "pod"))
        .send()
        .await
        .unwrap();
    assert_eq!(assumed.provider(), Some(provider.as_str()));
}

#[test]
fn issuer_url_given_replaces_the_kept_one_and_says_so() {
    let dir = TempDir::new("issuer-changed");
    let root = Credentials::generate();
    let first = Server::start_on(dir.path(), &root);
    let old = discovery_issuer(&first);
    assert!(
        !first.log().contains("CHANGED"),
        "a first start changes nothing:\n{}",
        first.log()
    );
    first.kill();

    let new = "https://issuer.example.com/oidc";
    let with_flag = |url: &str| Options {
        storage: Storage::DataDir(dir.path().to_path_buf()),
        root: Some(root.clone()),
        env: vec![("PORTCULLIS_ISSUER_URL".to_string(), url.to_string())],
    };
    let second = Server::start_with(with_flag(new));
    assert_eq!(discovery_issuer(&second), new);
    assert!(!wait_for_lines(&second, |l| l.contains("CHANGED")).is_empty());
    let banner = second.log();
    let change = &banner[banner.find("CHANGED").unwrap()..];
    assert!(
        change.contains(&format!("was  {old}")) && change.contains(&format!("now  {new}")),
        "{banner}"
    );
    second.kill();

    // Given again, or not at all: kept, and nothing to say.
    let third = Server::start_with(with_flag(new));
    assert_eq!(discovery_issuer(&third), new);
    third.kill();
    let fourth = Server::start_on(dir.path(), &root);
    assert_eq!(discovery_issuer(&fourth), new);
    std::thread::sleep(Duration::from_millis(200));
    assert!(!fourth.log().contains("CHANGED"), "{}", fourth.log());
}

#[test]
fn the_banner_says_where_saved_root_credentials_are() {
    let dir = TempDir::new("root-saved");
    let options = Options {
        storage: Storage::DataDir(dir.path().to_path_buf()),
        root: None,
        env: Vec::new(),
    };
    let path = dir.path().join("root-credentials");
    let first = Server::start_with(options.clone());
    assert!(first.root.is_some(), "a first start prints the new key");
    assert!(path.exists());
    first.kill();

    let again = Server::start_with(options);
    let line = format!("root credentials: saved in {}", path.display());
    let found = wait_for_lines(&again, |l| l.contains(&line));
    assert_eq!(found.len(), 1, "{line:?} in:\n{}", again.log());
    again.kill();

    // Without the file (keys given by the environment), the banner says nothing of it.
    let given = TempDir::new("root-given");
    let server = Server::start_on(given.path(), &Credentials::generate());
    assert!(!given.path().join("root-credentials").exists());
    assert!(
        !server.log().contains("root credentials: saved"),
        "{}",
        server.log()
    );
}

/// Form-encodes `pairs` for a Query body (every byte but the unreserved ones escaped).
fn form(pairs: &[(&str, &str)]) -> String {
    let escape = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[test]
fn instance_metadata_requests_are_logged_and_instance_run_reads_the_ec2_endpoint_variable() {
    let server = logging_server("json");
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    for body in [
        form(&[
            ("Action", "CreateRole"),
            ("Version", "2010-05-08"),
            ("RoleName", "logged-instance"),
            ("AssumeRolePolicyDocument", trust),
        ]),
        form(&[
            ("Action", "CreateInstanceProfile"),
            ("Version", "2010-05-08"),
            ("InstanceProfileName", "logged-instance"),
        ]),
        form(&[
            ("Action", "AddRoleToInstanceProfile"),
            ("Version", "2010-05-08"),
            ("InstanceProfileName", "logged-instance"),
            ("RoleName", "logged-instance"),
        ]),
    ] {
        let r = root_call(&server, &body);
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // No --endpoint-url: the EC2 variable wins over a global one that points nowhere.
    let out = std::process::Command::new(binary())
        .args(["instance", "run", "--instance-profile", "logged-instance"])
        .args(["--http-tokens", "optional"])
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ENDPOINT_URL_EC2", &server.endpoint)
        .env("AWS_ACCESS_KEY_ID", &server.root().access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &server.root().secret_access_key)
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .expect("running portcullis instance run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (id, url) = stdout.trim().split_once('\t').expect("ID<TAB>URL");
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let r = http_request(addr, "GET", "/latest/meta-data/instance-id", &[], b"").unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), id);
    let lines = wait_for_lines(&server, |l| {
        l.contains("instance metadata request") && l.contains(id)
    });
    assert_eq!(lines.len(), 1, "{}", server.log());
    let line: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(line["method"], "GET", "{line}");
    assert_eq!(line["path"], "/latest/meta-data/instance-id", "{line}");
    assert_eq!(line["status"], 200, "{line}");
    assert_eq!(line["instance"], id, "{line}");
    assert!(line["latency_ms"].as_f64().is_some(), "{line}");
}
