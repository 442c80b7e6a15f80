//! The Rust SDK's default credential chain, configured only by the environment as in a
//! container or a pod: from the ECS container credentials endpoint
//! (`AWS_CONTAINER_CREDENTIALS_FULL_URI`, `AWS_CONTAINER_AUTHORIZATION_TOKEN`), then from a
//! token of the built-in OIDC issuer (`AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`).
//!
//! The chain reads the process environment, so this file holds one test, run on one
//! thread, and sets the variables itself.

mod common;

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::provider_config::ProviderConfig;
use common::*;
use std::process::Command;

const READ_ROLES: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}"#;

async fn chain() -> DefaultCredentialsChain {
    let config = ProviderConfig::without_region()
        .with_http_client(http_client())
        .with_region(Some(aws_config::Region::new("us-east-1")));
    DefaultCredentialsChain::builder()
        .configure(config)
        .build()
        .await
}

fn run(args: &[&str], server: &Server) -> String {
    let out = Command::new(binary())
        .args(args)
        .env("AWS_ACCESS_KEY_ID", &server.root().access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &server.root().secret_access_key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Checks who the chain's credentials are, that the role's read works and that what it
/// does not allow is denied.
async fn check(server: &Server, arn_suffix: &str) {
    let who = sts_from(server, chain().await)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert!(who.arn().unwrap().ends_with(arn_suffix), "{:?}", who.arn());
    let iam = iam_from(server, chain().await);
    iam.get_role().role_name("task").send().await.unwrap();
    assert_eq!(fail(iam.list_users().send().await).code, "AccessDenied");
}

#[tokio::test(flavor = "current_thread")]
async fn the_default_chain_finds_container_and_web_identity_credentials() {
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ] {
        assert!(
            std::env::var_os(var).is_none(),
            "unset {var} to run this test"
        );
    }
    let dir = TempDir::new("default-chain");
    let server = Server::start_on(dir.path(), &Credentials::generate());
    let iam = iam(&server);
    let trust_ecs = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let task_role = role_with_policy(&iam, "task", trust_ecs, Some(READ_ROLES)).await;
    let out = run(
        &[
            "task",
            "run",
            "--task-role-arn",
            &task_role,
            "--endpoint-url",
            &server.endpoint,
        ],
        &server,
    );
    let task_id = out
        .lines()
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let home = dir.path().join("home");
    // SAFETY: this test runs alone in its process, on one thread, and nothing else reads
    // the environment while it is changed.
    unsafe {
        std::env::set_var("HOME", &home);
        std::env::set_var("AWS_CONFIG_FILE", dir.path().join("no-config"));
        std::env::set_var(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.path().join("no-credentials"),
        );
        for line in out.lines().filter_map(|l| l.strip_prefix("export ")) {
            let (k, v) = line.split_once('=').unwrap();
            std::env::set_var(k, v);
        }
    }
    check(&server, &format!("assumed-role/task/{task_id}")).await;

    let issuer = format!("{}/oidc", server.endpoint);
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
    let trust_pod = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"{host}:sub":"system:serviceaccount:ml:trainer"}}}}}}]}}"#
    );
    let pod_role = role_with_policy(&iam, "pod", &trust_pod, Some(READ_ROLES)).await;
    let token = dir.path().join("token");
    let data_dir = dir.path().to_string_lossy().into_owned();
    let token_path = token.to_string_lossy().into_owned();
    run(
        &[
            "token",
            "issue",
            "--sub",
            "system:serviceaccount:ml:trainer",
            "--out",
            &token_path,
            "--data-dir",
            &data_dir,
        ],
        &server,
    );
    // SAFETY: as above.
    unsafe {
        std::env::remove_var("AWS_CONTAINER_CREDENTIALS_FULL_URI");
        std::env::remove_var("AWS_CONTAINER_AUTHORIZATION_TOKEN");
        std::env::set_var("AWS_WEB_IDENTITY_TOKEN_FILE", &token);
        std::env::set_var("AWS_ROLE_ARN", &pod_role);
        std::env::set_var("AWS_ROLE_SESSION_NAME", "trainer");
        std::env::set_var("AWS_ENDPOINT_URL", &server.endpoint);
    }
    check(&server, "assumed-role/pod/trainer").await;
}
