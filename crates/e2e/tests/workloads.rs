//! Workload credentials end to end: instances (EC2 API, `portcullis instance run`) whose
//! metadata listeners hand out their instance profile's role to the Rust SDK's default
//! credential chain (IMDSv2), with IMDSv1 refused when tokens are required; tasks (ECS
//! API, `portcullis task run`) and the container credentials endpoint; the built-in OIDC
//! issuer (`portcullis token issue`) with AssumeRoleWithWebIdentity; trust policies of the
//! service principals; rotation; and restarts.

mod common;

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::imds;
use aws_config::provider_config::ProviderConfig;
use common::*;
use serde_json::Value;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

const ROLE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}"#;
const TRUST_ECS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// Runs `portcullis ARGS` signed with `creds` against `server`; returns its status and
/// standard output, or its standard error when it failed.
fn portcullis(server: &Server, creds: &Credentials, args: &[&str]) -> Result<String, String> {
    let out = Command::new(binary())
        .args(args)
        .args(["--endpoint-url", &server.endpoint])
        .env("AWS_ACCESS_KEY_ID", &creds.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &creds.secret_access_key)
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .expect("running portcullis");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Launches an instance of `profile`; returns its ID and its metadata listener's address.
fn run_instance(server: &Server, profile: &str, tokens: &str) -> (String, SocketAddr) {
    let out = portcullis(
        server,
        server.root(),
        &[
            "instance",
            "run",
            "--instance-profile",
            profile,
            "--http-tokens",
            tokens,
        ],
    )
    .unwrap_or_else(|e| panic!("instance run: {e}"));
    let (id, url) = out.trim().split_once('\t').expect("ID<TAB>URL");
    assert!(id.starts_with("i-") && id.len() == 19, "{id}");
    (
        id.to_string(),
        url.trim_start_matches("http://")
            .parse()
            .expect("an address"),
    )
}

/// A role with `trust` and permission to read roles, in an instance profile of its name.
async fn role_in_profile(iam: &aws_sdk_iam::Client, name: &str, trust: &str) -> String {
    let arn = role_with_policy(iam, name, trust, Some(ROLE_POLICY)).await;
    iam.create_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .unwrap();
    iam.add_role_to_instance_profile()
        .instance_profile_name(name)
        .role_name(name)
        .send()
        .await
        .unwrap();
    arn
}

fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    http_request(addr, "GET", path, &headers, b"").expect("the metadata listener answers")
}

fn imds_token(addr: SocketAddr, ttl: &str) -> HttpResponse {
    http_request(
        addr,
        "PUT",
        "/latest/api/token",
        &[("X-aws-ec2-metadata-token-ttl-seconds".into(), ttl.into())],
        b"",
    )
    .unwrap()
}

fn token_of(addr: SocketAddr) -> String {
    let r = imds_token(addr, "21600");
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

fn credentials_json(addr: SocketAddr, role: &str) -> Value {
    let token = token_of(addr);
    let r = get(
        addr,
        &format!("/latest/meta-data/iam/security-credentials/{role}"),
        &[("X-aws-ec2-metadata-token", &token)],
    );
    assert_eq!(r.status, 200);
    serde_json::from_str(&r.text()).unwrap()
}

/// The SDK's default credential chain with its IMDS client pointed at `addr`.
fn default_chain(addr: SocketAddr) -> DefaultCredentialsChain {
    let config = ProviderConfig::without_region()
        .with_http_client(http_client())
        .with_region(Some(aws_config::Region::new("us-east-1")));
    let imds = imds::Client::builder()
        .endpoint(format!("http://{addr}/"))
        .expect("a valid endpoint")
        .configure(&config)
        .build();
    futures_block(
        DefaultCredentialsChain::builder()
            .configure(config)
            .imds_client(imds)
            .build(),
    )
}

fn futures_block<F: std::future::Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

#[tokio::test(flavor = "multi_thread")]
async fn imdsv2_gives_the_sdk_default_chain_the_instance_role() {
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        assert!(
            std::env::var_os(var).is_none(),
            "unset {var}: the default chain must reach IMDS"
        );
    }
    let server = Server::start();
    let iam = iam(&server);
    role_in_profile(&iam, "web-server", TRUST_EC2).await;
    let (id, addr) = run_instance(&server, "web-server", "required");
    let chain = default_chain(addr);
    let who = sts_from(&server, chain)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/web-server/{id}").as_str())
    );
    assert!(who.user_id().unwrap().ends_with(&format!(":{id}")));
    let role_iam = iam_from(&server, default_chain(addr));
    let role = role_iam
        .get_role()
        .role_name("web-server")
        .send()
        .await
        .unwrap();
    assert_eq!(role.role.unwrap().role_name, "web-server");
    let denied = fail(role_iam.list_users().send().await);
    assert_eq!(denied.code, "AccessDenied");
    assert!(
        denied.message.contains(&format!(
            "assumed-role/web-server/{id} is not authorized to perform: iam:ListUsers"
        )),
        "{}",
        denied.message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn imds_keeps_to_the_v1_and_v2_rules() {
    let server = Server::start();
    let iam = iam(&server);
    role_in_profile(&iam, "app", TRUST_EC2).await;
    let (id, required) = run_instance(&server, "app", "required");
    let path = "/latest/meta-data/iam/security-credentials/";
    assert_eq!(
        get(required, path, &[]).status,
        401,
        "IMDSv1 refused when tokens are required"
    );
    assert_eq!(imds_token(required, "0").status, 400);
    assert_eq!(imds_token(required, "21601").status, 400);
    let no_ttl = http_request(required, "PUT", "/latest/api/token", &[], b"").unwrap();
    assert_eq!(no_ttl.status, 400);
    let proxied = http_request(
        required,
        "PUT",
        "/latest/api/token",
        &[
            ("X-aws-ec2-metadata-token-ttl-seconds".into(), "60".into()),
            ("X-Forwarded-For".into(), "203.0.113.9".into()),
        ],
        b"",
    )
    .unwrap();
    assert_eq!(proxied.status, 403, "a PUT through a proxy is refused");
    let issued = imds_token(required, "60");
    assert_eq!(
        issued.header("x-aws-ec2-metadata-token-ttl-seconds"),
        Some("60")
    );
    let token = issued.text();
    let with = |p: &str| get(required, p, &[("X-aws-ec2-metadata-token", &token)]);
    assert_eq!(with(path).text(), "app");
    assert_eq!(with("/latest/meta-data/instance-id").text(), id);
    assert_eq!(
        with("/latest/meta-data/placement/region").text(),
        "us-east-1"
    );
    let doc: Value =
        serde_json::from_str(&with("/latest/dynamic/instance-identity/document").text()).unwrap();
    assert_eq!(doc["accountId"], ACCOUNT_ID);
    assert_eq!(doc["instanceId"], id.as_str());
    let info: Value = serde_json::from_str(&with("/latest/meta-data/iam/info").text()).unwrap();
    assert_eq!(info["Code"], "Success");
    assert_eq!(
        info["InstanceProfileArn"],
        format!("arn:aws:iam::{ACCOUNT_ID}:instance-profile/app").as_str()
    );
    assert!(
        info["InstanceProfileId"]
            .as_str()
            .unwrap()
            .starts_with("AIPA")
    );
    assert_eq!(with("/latest/meta-data/no-such-thing").status, 404);
    assert_eq!(with(&format!("{path}other-role")).status, 404);
    assert_eq!(
        get(required, path, &[("X-aws-ec2-metadata-token", "forged")]).status,
        401
    );

    let (_, optional) = run_instance(&server, "app", "optional");
    assert_eq!(
        get(optional, path, &[]).text(),
        "app",
        "IMDSv1 served when tokens are optional"
    );
    assert_eq!(
        get(optional, path, &[("X-aws-ec2-metadata-token", &token)]).status,
        401,
        "a token of another instance is refused"
    );
    let creds: Value =
        serde_json::from_str(&get(optional, &format!("{path}app"), &[]).text()).unwrap();
    assert_eq!(creds["Code"], "Success");
    assert_eq!(creds["Type"], "AWS-HMAC");
    assert!(creds["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_that_does_not_trust_ec2_is_not_served() {
    let server = Server::start();
    let iam = iam(&server);
    role_in_profile(&iam, "lambda-only", TRUST_LAMBDA).await;
    let conditional = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"999999999999"}}}]}"#;
    role_in_profile(&iam, "other-account", conditional).await;
    let scoped = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"ec2.amazonaws.com"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"aws:SourceAccount":"{ACCOUNT_ID}"}},"ArnLike":{{"aws:SourceArn":"arn:aws:ec2:*:{ACCOUNT_ID}:instance/i-*"}}}}}}]}}"#
    );
    role_in_profile(&iam, "this-account", &scoped).await;
    for role in ["lambda-only", "other-account"] {
        let (_, addr) = run_instance(&server, role, "required");
        let creds = credentials_json(addr, role);
        assert_eq!(creds["Code"], "AssumeRoleUnauthorizedAccess", "{role}");
        assert!(creds.get("AccessKeyId").is_none());
        assert!(
            creds["Message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("EC2 cannot assume the role {role}.")),
            "{creds}"
        );
    }
    let (_, addr) = run_instance(&server, "this-account", "required");
    assert_eq!(credentials_json(addr, "this-account")["Code"], "Success");
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_rotate_before_they_expire() {
    let server = Server::start_with(Options {
        env: vec![("PORTCULLIS_WORKLOAD_SESSION_SECONDS".into(), "15".into())],
        ..Options::default()
    });
    let iam = iam(&server);
    role_in_profile(&iam, "rotating", TRUST_EC2).await;
    let (_, addr) = run_instance(&server, "rotating", "required");
    let first = credentials_json(addr, "rotating");
    assert_eq!(
        credentials_json(addr, "rotating")["AccessKeyId"],
        first["AccessKeyId"],
        "cached while fresh"
    );
    // Replaced once a third of their life (5 s) is left.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let second = credentials_json(addr, "rotating");
    assert_ne!(second["AccessKeyId"], first["AccessKeyId"]);
    assert!(second["Expiration"].as_str() > first["Expiration"].as_str());
    tokio::time::sleep(Duration::from_secs(5)).await;
    let session = |c: &Value| {
        aws_sdk_sts::config::Credentials::new(
            c["AccessKeyId"].as_str().unwrap(),
            c["SecretAccessKey"].as_str().unwrap(),
            Some(c["Token"].as_str().unwrap().to_string()),
            None,
            "imds",
        )
    };
    let expired = fail(
        sts_from(&server, session(&first))
            .get_caller_identity()
            .send()
            .await,
    );
    assert_eq!(expired.code, "ExpiredToken");
    sts_from(&server, session(&second))
        .get_caller_identity()
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn launching_needs_pass_role_and_an_existing_profile() {
    let server = Server::start();
    let iam = iam(&server);
    let role_arn = role_in_profile(&iam, "passed", TRUST_EC2).await;
    let unknown = portcullis(
        &server,
        server.root(),
        &["instance", "run", "--instance-profile", "nope"],
    )
    .unwrap_err();
    assert!(unknown.contains("InvalidParameterValue: Value (nope) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name"), "{unknown}");
    let (key, secret) = user_with_key(&iam, "launcher").await;
    let launcher = Credentials {
        access_key_id: key,
        secret_access_key: secret,
    };
    iam.put_user_policy()
        .user_name("launcher")
        .policy_name("run")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    let args = ["instance", "run", "--instance-profile", "passed"];
    let denied = portcullis(&server, &launcher, &args).unwrap_err();
    assert!(denied.contains("UnauthorizedOperation: You are not authorized to perform this operation. Encoded authorization failure message: "), "{denied}");
    iam.put_user_policy()
        .user_name("launcher")
        .policy_name("pass")
        .policy_document(format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"iam:PassRole","Resource":"{role_arn}","Condition":{{"StringEquals":{{"iam:PassedToService":"ec2.amazonaws.com"}}}}}}]}}"#))
        .send()
        .await
        .unwrap();
    let out = portcullis(&server, &launcher, &args).unwrap();
    let (id, url) = out.trim().split_once('\t').unwrap();
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    assert_eq!(credentials_json(addr, "passed")["Code"], "Success");
    let stopped = portcullis(&server, server.root(), &["instance", "terminate", id]).unwrap();
    assert_eq!(stopped.trim(), id);
    assert!(
        std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err(),
        "the listener stops with its instance"
    );
    let again = portcullis(&server, server.root(), &["instance", "terminate", id]).unwrap_err();
    assert!(
        again.contains(&format!(
            "InvalidInstanceID.NotFound: The instance ID '{id}' does not exist"
        )),
        "{again}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn instances_survive_a_restart() {
    let dir = TempDir::new("workloads-restart");
    let root = Credentials::generate();
    let server = Server::start_on(dir.path(), &root);
    let iam = iam(&server);
    role_in_profile(&iam, "durable", TRUST_EC2).await;
    let (id, addr) = run_instance(&server, "durable", "required");
    server.kill();
    let server = Server::start_on(dir.path(), &root);
    let creds = credentials_json(addr, "durable");
    assert_eq!(
        creds["Code"], "Success",
        "the listener is back on its address"
    );
    let who = sts_from(
        &server,
        aws_sdk_sts::config::Credentials::new(
            creds["AccessKeyId"].as_str().unwrap(),
            creds["SecretAccessKey"].as_str().unwrap(),
            Some(creds["Token"].as_str().unwrap().to_string()),
            None,
            "imds",
        ),
    )
    .get_caller_identity()
    .send()
    .await
    .unwrap();
    assert!(
        who.arn()
            .unwrap()
            .ends_with(&format!("assumed-role/durable/{id}"))
    );
}

/// The `export NAME=VALUE` lines of `portcullis task run`.
fn exports(out: &str) -> Vec<(String, String)> {
    out.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn tasks_get_their_task_role_from_the_container_endpoint() {
    let server = Server::start();
    let iam = iam(&server);
    let task_role = role_with_policy(&iam, "task", TRUST_ECS, Some(ROLE_POLICY)).await;
    let untrusting = role_with_policy(&iam, "ec2-only", TRUST_EC2, None).await;
    let refused = portcullis(
        &server,
        server.root(),
        &[
            "task",
            "run",
            "--task-role-arn",
            &task_role,
            "--execution-role-arn",
            &untrusting,
        ],
    )
    .unwrap_err();
    assert!(refused.contains(&format!("ClientException: ECS was unable to assume the role '{untrusting}' that was provided for this task.")), "{refused}");
    let out = portcullis(
        &server,
        server.root(),
        &[
            "task",
            "run",
            "--task-role-arn",
            &task_role,
            "--execution-role-arn",
            &task_role,
        ],
    )
    .unwrap();
    let task_arn = out
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("# ")
        .to_string();
    let task_id = task_arn.rsplit('/').next().unwrap().to_string();
    let vars = exports(&out);
    let var = |n: &str| {
        vars.iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let full = var("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    let token = var("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    let path = full
        .split_once(&server.addr.to_string())
        .unwrap()
        .1
        .to_string();
    assert_eq!(
        get(server.addr, &path, &[]).status,
        401,
        "the full URI needs the token"
    );
    assert_eq!(
        get(server.addr, &path, &[("Authorization", "wrong")]).status,
        401
    );
    let answer = get(server.addr, &path, &[("Authorization", &token)]);
    assert_eq!(answer.status, 200, "{}", answer.text());
    let creds: Value = serde_json::from_str(&answer.text()).unwrap();
    assert_eq!(creds["RoleArn"], task_role.as_str());
    let relative = out
        .lines()
        .find_map(|l| l.split("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=").nth(1))
        .unwrap();
    assert_eq!(
        get(server.addr, relative, &[]).status,
        401,
        "the relative URI needs the token too on the API listener"
    );
    let by_relative: Value =
        serde_json::from_str(&get(server.addr, relative, &[("Authorization", &token)]).text())
            .unwrap();
    assert_eq!(
        by_relative["AccessKeyId"], creds["AccessKeyId"],
        "one cached session per task"
    );
    let session = aws_sdk_iam::config::Credentials::new(
        creds["AccessKeyId"].as_str().unwrap(),
        creds["SecretAccessKey"].as_str().unwrap(),
        Some(creds["Token"].as_str().unwrap().to_string()),
        None,
        "ecs",
    );
    let who = sts_from(&server, session.clone())
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        who.arn().unwrap(),
        format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/task/{task_id}")
    );
    let task_iam = iam_from(&server, session);
    task_iam.get_role().role_name("task").send().await.unwrap();
    assert_eq!(
        fail(task_iam.list_roles().send().await).code,
        "AccessDenied"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_built_in_issuer_signs_tokens_for_web_identity() {
    let dir = TempDir::new("issuer");
    let server = Server::start_on(dir.path(), &Credentials::generate());
    let issuer = format!("{}/oidc", server.endpoint);
    let discovery: Value = serde_json::from_str(
        &get(server.addr, "/oidc/.well-known/openid-configuration", &[]).text(),
    )
    .unwrap();
    assert_eq!(discovery["issuer"], issuer.as_str());
    assert_eq!(
        discovery["jwks_uri"],
        format!("{issuer}/jwks.json").as_str()
    );
    let keys: Value =
        serde_json::from_str(&get(server.addr, "/oidc/jwks.json", &[]).text()).unwrap();
    assert_eq!(keys["keys"][0]["alg"], "ES256");

    let iam = iam(&server);
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
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"{host}:sub":"system:serviceaccount:ml:trainer","{host}:aud":"sts.amazonaws.com"}}}}}}]}}"#
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
    let token_file = dir.path().join("token");
    let issue = |sub: &str| {
        let out = Command::new(binary())
            .args([
                "token",
                "issue",
                "--sub",
                sub,
                "--aud",
                "sts.amazonaws.com",
                "--out",
            ])
            .arg(&token_file)
            .arg("--data-dir")
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(&token_file).unwrap()
    };
    let sts = sts(&server);
    let assumed = sts
        .assume_role_with_web_identity()
        .role_arn(&role)
        .role_session_name("trainer")
        .web_identity_token(issue("system:serviceaccount:ml:trainer"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        assumed.subject_from_web_identity_token(),
        Some("system:serviceaccount:ml:trainer")
    );
    assert_eq!(assumed.provider(), Some(provider.as_str()));
    let denied = fail(
        sts.assume_role_with_web_identity()
            .role_arn(&role)
            .role_session_name("intruder")
            .web_identity_token(issue("system:serviceaccount:ml:other"))
            .send()
            .await,
    );
    assert_eq!(denied.code, "AccessDenied");
}

/// A request signed with `creds`: for `ecs`, JSON 1.1 named by `target`; for `ec2`, a
/// Query form (`target` is `None`).
fn signed(
    addr: SocketAddr,
    creds: &Credentials,
    service: &str,
    target: Option<&str>,
    body: &str,
) -> HttpResponse {
    let content_type = match target {
        Some(_) => "application/x-amz-json-1.1",
        None => FORM,
    };
    let mut headers = vec![("content-type", content_type)];
    if let Some(t) = target {
        headers.push(("x-amz-target", t));
    }
    let all = sign_post(
        addr,
        (&creds.access_key_id, &creds.secret_access_key),
        service,
        &headers,
        body,
        now_epoch(),
    );
    http_request(addr, "POST", "/", &all, body.as_bytes()).expect("HTTP request")
}

/// An ECS call: its status and JSON answer.
fn ecs(addr: SocketAddr, creds: &Credentials, operation: &str, input: &Value) -> (u16, Value) {
    let target = format!("AmazonEC2ContainerServiceV20141113.{operation}");
    let r = signed(addr, creds, "ecs", Some(&target), &input.to_string());
    let text = r.text();
    let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (r.status, v)
}

/// RunInstances of `profile` with `MinCount`, `MaxCount` and, when given, the tag
/// `portcullis:imds-listen`.
fn run_instances(
    addr: SocketAddr,
    creds: &Credentials,
    profile: &str,
    listen: Option<&str>,
    min: u32,
    max: u32,
) -> HttpResponse {
    let (min, max) = (min.to_string(), max.to_string());
    let mut pairs = vec![
        ("Action", "RunInstances"),
        ("Version", "2016-11-15"),
        ("ImageId", "ami-12345678"),
        ("InstanceType", "t3.micro"),
        ("MinCount", min.as_str()),
        ("MaxCount", max.as_str()),
        ("IamInstanceProfile.Name", profile),
    ];
    if let Some(listen) = listen {
        pairs.extend([
            ("TagSpecification.1.ResourceType", "instance"),
            ("TagSpecification.1.Tag.1.Key", "portcullis:imds-listen"),
            ("TagSpecification.1.Tag.1.Value", listen),
        ]);
    }
    signed(addr, creds, "ec2", None, &form(&pairs))
}

/// The IDs of the instances DescribeInstances lists.
fn described_instances(addr: SocketAddr, creds: &Credentials) -> Vec<String> {
    let r = signed(
        addr,
        creds,
        "ec2",
        None,
        &form(&[("Action", "DescribeInstances"), ("Version", "2016-11-15")]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
        .split("<instanceId>")
        .skip(1)
        .filter_map(|s| s.split_once("</instanceId>").map(|(id, _)| id.to_string()))
        .collect()
}

/// Asserts that an EC2 answer is the error `code` whose message contains `part`.
fn ec2_refused(r: &HttpResponse, code: &str, part: &str) -> String {
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.xml("Code").as_deref(), Some(code), "{}", r.text());
    let message = r.xml("Message").unwrap_or_default();
    assert!(
        message.contains(part),
        "{message:?} does not contain {part:?}"
    );
    message
}

/// Asserts that `text` (an answer) says nothing that leads to a task's credentials: not the
/// credentials ID, not the token, not the endpoints' paths or variables.
fn no_credentials_in(text: &str, id: &str, token: &str) {
    for secret in [
        id,
        token,
        "/v2/credentials",
        "/_portcullis/ecs/credentials",
        "AWS_CONTAINER",
        "portcullisContainerCredentials",
    ] {
        assert!(!text.contains(secret), "{secret:?} is in {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_user_learns_nothing_that_leads_to_a_task_roles_credentials() {
    let server = Server::start();
    let iam = iam(&server);
    let admin = role_with_policy(&iam, "EcsRole", TRUST_ECS, None).await;
    iam.attach_role_policy()
        .role_name("EcsRole")
        .policy_arn(aws_policy("AdministratorAccess"))
        .send()
        .await
        .unwrap();
    let out = portcullis(
        &server,
        server.root(),
        &["task", "run", "--task-role-arn", &admin],
    )
    .unwrap();
    let task_arn = out.lines().next().unwrap().trim_start_matches("# ");
    let vars = exports(&out);
    let var = |n: &str| {
        vars.iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let (full, token) = (
        var("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
        var("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
    );
    let id = full.rsplit('/').next().unwrap().to_string();

    let (key, secret) = user_with_key(&iam, "reader").await;
    iam.attach_user_policy()
        .user_name("reader")
        .policy_arn(aws_policy("ReadOnlyAccess"))
        .send()
        .await
        .unwrap();
    let reader = Credentials {
        access_key_id: key,
        secret_access_key: secret,
    };
    let (status, described) = ecs(
        server.addr,
        &reader,
        "DescribeTasks",
        &serde_json::json!({"tasks": [task_arn]}),
    );
    assert_eq!(status, 200, "{described}");
    let task = &described["tasks"][0];
    assert_eq!(task["taskArn"], task_arn);
    assert_eq!(task["overrides"]["taskRoleArn"], admin.as_str());
    assert_eq!(
        task["overrides"]["containerOverrides"],
        serde_json::json!([])
    );
    no_credentials_in(&described.to_string(), &id, &token);

    // Without the token, the relative path on the API listener gives nothing, nor does
    // the full one, nor another token.
    let relative = format!("/v2/credentials/{id}");
    for (path, headers) in [
        (relative.as_str(), vec![]),
        (relative.as_str(), vec![("Authorization", "0".repeat(64))]),
        (full.split_once(&server.addr.to_string()).unwrap().1, vec![]),
    ] {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = get(server.addr, path, &headers);
        assert_eq!(r.status, 401, "{path}: {}", r.text());
        assert!(!r.text().contains("AccessKeyId"), "{}", r.text());
    }
    let with_token = get(server.addr, &relative, &[("Authorization", &token)]);
    assert_eq!(with_token.status, 200, "the task itself still gets them");

    // The reader may not run a task to be told the variables either.
    let (status, refused) = ecs(
        server.addr,
        &reader,
        "RunTask",
        &serde_json::json!({"taskDefinition": "app:1", "overrides": {"taskRoleArn": admin}, "portcullisContainerCredentials": true}),
    );
    assert_eq!(status, 400);
    assert_eq!(refused["__type"], "AccessDeniedException");

    // No answer but the opted-in RunTask's carries them: a RunTask that does not ask,
    // the root's DescribeTasks, StopTask.
    let (status, plain) = ecs(
        server.addr,
        server.root(),
        "RunTask",
        &serde_json::json!({"taskDefinition": "app:1", "overrides": {"taskRoleArn": admin}}),
    );
    assert_eq!(status, 200, "{plain}");
    assert!(plain.get("portcullisContainerCredentials").is_none());
    for text in [&plain.to_string(), &out] {
        assert!(text.contains("arn:aws:ecs:us-east-1:"), "{text}");
    }
    let plain_text = plain.to_string();
    for forbidden in ["/v2/credentials", "/_portcullis/ecs", "AWS_CONTAINER"] {
        assert!(!plain_text.contains(forbidden), "{plain_text}");
    }
    let (_, by_root) = ecs(
        server.addr,
        server.root(),
        "DescribeTasks",
        &serde_json::json!({"tasks": [task_arn]}),
    );
    no_credentials_in(&by_root.to_string(), &id, &token);
    let (status, stopped) = ecs(
        server.addr,
        server.root(),
        "StopTask",
        &serde_json::json!({"task": task_arn}),
    );
    assert_eq!(status, 200, "{stopped}");
    no_credentials_in(&stopped.to_string(), &id, &token);
    let gone = get(server.addr, &relative, &[("Authorization", &token)]);
    assert_eq!(gone.status, 400, "stopped: {}", gone.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_listeners_bind_only_where_the_operator_allows() {
    let server = Server::start();
    let iam = iam(&server);
    role_in_profile(&iam, "placed", TRUST_EC2).await;
    let root = server.root();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let wildcard = format!("0.0.0.0:{port}");
    for listen in [
        wildcard.as_str(),
        "[::]:0",
        "192.0.2.10:8080",
        "169.254.169.254:80",
        "[::ffff:10.0.0.1]:0",
    ] {
        let r = run_instances(server.addr, root, "placed", Some(listen), 1, 1);
        let message = ec2_refused(
            &r,
            "InvalidParameterValue",
            &format!("Value ({listen}) for tag portcullis:imds-listen is invalid. The address "),
        );
        assert!(
            message.contains("allowed: 127.0.0.0/8, ::1/128")
                && message.contains("portcullis serve --imds-allow"),
            "{message}"
        );
    }
    assert!(
        std::net::TcpStream::connect_timeout(
            &format!("127.0.0.1:{port}").parse().unwrap(),
            Duration::from_secs(2)
        )
        .is_err(),
        "nothing listens where the refused instance asked"
    );
    assert_eq!(described_instances(server.addr, root), Vec::<String>::new());
    let ok = run_instances(server.addr, root, "placed", Some("127.0.0.1:0"), 1, 1);
    assert_eq!(ok.status, 200, "{}", ok.text());

    // The operator's own list replaces the default.
    let server = Server::start_with(Options {
        env: vec![(
            "PORTCULLIS_IMDS_ALLOW".into(),
            "127.0.0.2/32,192.0.2.0/24".into(),
        )],
        ..Options::default()
    });
    let iam = crate::iam(&server);
    role_in_profile(&iam, "placed", TRUST_EC2).await;
    let root = server.root();
    let refused = run_instances(server.addr, root, "placed", None, 1, 1);
    ec2_refused(
        &refused,
        "InvalidParameterValue",
        "The address 127.0.0.1 is not one instance metadata listeners may bind to (allowed: 127.0.0.2/32, 192.0.2.0/24;",
    );
    let placed = run_instances(server.addr, root, "placed", Some("127.0.0.2:0"), 1, 1);
    assert_eq!(placed.status, 200, "{}", placed.text());
    let url = placed
        .text()
        .split("<key>portcullis:imds-endpoint</key><value>")
        .nth(1)
        .and_then(|s| s.split_once("</value>"))
        .map(|(v, _)| v.to_string())
        .unwrap();
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    assert_eq!(addr.ip().to_string(), "127.0.0.2");
    assert_eq!(credentials_json(addr, "placed")["Code"], "Success");
    // Allowed, but not an address of this host: the caller's error, with the reason.
    let unavailable = run_instances(server.addr, root, "placed", Some("192.0.2.10:0"), 1, 1);
    ec2_refused(
        &unavailable,
        "InvalidParameterValue",
        "Value (192.0.2.10:0) for tag portcullis:imds-listen is invalid. The instance metadata listener cannot bind to it: ",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listener_that_cannot_bind_is_the_callers_error() {
    let server = Server::start();
    let iam = iam(&server);
    role_in_profile(&iam, "busy", TRUST_EC2).await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let r = run_instances(server.addr, server.root(), "busy", Some(&listen), 1, 1);
    let message = ec2_refused(
        &r,
        "InvalidParameterValue",
        &format!(
            "Value ({listen}) for tag portcullis:imds-listen is invalid. The instance metadata listener cannot bind to it: "
        ),
    );
    assert!(message.to_lowercase().contains("in use"), "{message}");
    assert_eq!(
        described_instances(server.addr, server.root()),
        Vec::<String>::new(),
        "no instance is left behind"
    );
    drop(taken);
    let r = run_instances(server.addr, server.root(), "busy", Some(&listen), 1, 1);
    assert_eq!(r.status, 200, "once free: {}", r.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn instances_and_tasks_are_limited_per_account() {
    let server = Server::start_with(Options {
        env: vec![
            ("PORTCULLIS_MAX_INSTANCES".into(), "3".into()),
            ("PORTCULLIS_MAX_TASKS".into(), "2".into()),
        ],
        ..Options::default()
    });
    let iam = iam(&server);
    role_in_profile(&iam, "counted", TRUST_EC2).await;
    let task_role = role_with_policy(&iam, "counted-task", TRUST_ECS, None).await;
    let (addr, root) = (server.addr, server.root().clone());

    // Eight launches at once against a limit of three: three instances, no more.
    let answers: Vec<HttpResponse> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| run_instances(addr, &root, "counted", None, 1, 1)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let launched = answers.iter().filter(|r| r.status == 200).count();
    assert_eq!(launched, 3);
    for r in answers.iter().filter(|r| r.status != 200) {
        ec2_refused(
            r,
            "InstanceLimitExceeded",
            "You have requested more instances (4) than your current instance limit of 3 allows for the specified instance type.",
        );
    }
    let running = described_instances(addr, &root);
    assert_eq!(running.len(), 3);
    let r = run_instances(addr, &root, "counted", None, 2, 5);
    ec2_refused(
        &r,
        "InstanceLimitExceeded",
        "You have requested more instances (5) than your current instance limit of 3",
    );
    let terminated = signed(
        addr,
        &root,
        "ec2",
        None,
        &form(&[
            ("Action", "TerminateInstances"),
            ("Version", "2016-11-15"),
            ("InstanceId.1", &running[0]),
        ]),
    );
    assert_eq!(terminated.status, 200);
    // Room for one: as EC2 does, MaxCount is cut to what fits when MinCount does.
    let r = run_instances(addr, &root, "counted", None, 1, 5);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text().matches("<instanceId>").count(), 1);
    assert_eq!(described_instances(addr, &root).len(), 3);

    let run_task = |count: u32| {
        ecs(
            addr,
            &root,
            "RunTask",
            &serde_json::json!({"taskDefinition": "app:1", "count": count, "overrides": {"taskRoleArn": task_role}}),
        )
    };
    let (status, first) = run_task(2);
    assert_eq!(status, 200, "{first}");
    let (status, refused) = run_task(1);
    assert_eq!(status, 400);
    assert_eq!(refused["__type"], "ClientException");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .starts_with("You've reached the limit on the number of tasks you can run concurrently: 2 of 2 are running"),
        "{refused}"
    );
    let (status, _) = ecs(
        addr,
        &root,
        "StopTask",
        &serde_json::json!({"task": first["tasks"][0]["taskArn"]}),
    );
    assert_eq!(status, 200);
    let (status, refused) = run_task(2);
    assert_eq!(
        (status, refused["__type"].as_str()),
        (400, Some("ClientException"))
    );
    let (status, _) = run_task(1);
    assert_eq!(status, 200);
}
