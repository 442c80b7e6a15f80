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
    let by_relative: Value = serde_json::from_str(&get(server.addr, relative, &[]).text()).unwrap();
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
