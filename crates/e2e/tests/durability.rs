//! Durability with `--data-dir`: every acknowledged write survives a SIGKILL right after
//! its acknowledgement; a restart keeps the root credentials and the server key; secrets
//! are not stored in clear.

#[macro_use]
mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;

/// What one acknowledged write created.
enum Write {
    User(String),
    Role(String),
    RolePolicy {
        role: String,
        name: String,
        document: String,
    },
}

#[tokio::test]
async fn acknowledged_writes_survive_sigkill() {
    let dir = TempDir::new("durability");
    let root = Credentials::generate();
    let server = Server::start_on(dir.path(), &root);
    let iam = iam(&server);

    let mut acknowledged = Vec::new();
    let mut last_role = String::new();
    for i in 0..30 {
        match i % 3 {
            0 => {
                let name = format!("user-{i:02}");
                iam.create_user()
                    .user_name(&name)
                    .send()
                    .await
                    .expect("CreateUser");
                acknowledged.push(Write::User(name));
            }
            1 => {
                let name = format!("role-{i:02}");
                iam.create_role()
                    .role_name(&name)
                    .assume_role_policy_document(TRUST_EC2)
                    .send()
                    .await
                    .expect("CreateRole");
                last_role = name.clone();
                acknowledged.push(Write::Role(name));
            }
            _ => {
                let name = format!("policy-{i:02}");
                let document = format!(
                    r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-{i}/*"}}]}}"#
                );
                iam.put_role_policy()
                    .role_name(&last_role)
                    .policy_name(&name)
                    .policy_document(&document)
                    .send()
                    .await
                    .expect("PutRolePolicy");
                acknowledged.push(Write::RolePolicy {
                    role: last_role.clone(),
                    name,
                    document,
                });
            }
        }
    }
    // A burst of concurrent writes, all acknowledged, then SIGKILL at once.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let iam = iam.clone();
        let name = format!("burst-{i:02}");
        tasks.push(tokio::spawn(async move {
            iam.create_user()
                .user_name(&name)
                .send()
                .await
                .map(|_| name)
        }));
    }
    for t in tasks {
        let name = t.await.unwrap().expect("CreateUser in the burst");
        acknowledged.push(Write::User(name));
    }
    server.kill();

    let server = Server::start_on(dir.path(), &root);
    let iam = common::iam(&server);
    for w in &acknowledged {
        match w {
            Write::User(name) => {
                let u = iam
                    .get_user()
                    .user_name(name)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("user {name} lost: {e:?}"));
                assert_eq!(u.user().unwrap().user_name(), name);
            }
            Write::Role(name) => {
                let r = iam
                    .get_role()
                    .role_name(name)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("role {name} lost: {e:?}"));
                assert!(same_json(
                    &doc(r.role().unwrap().assume_role_policy_document().unwrap()),
                    TRUST_EC2
                ));
            }
            Write::RolePolicy {
                role,
                name,
                document,
            } => {
                let p = iam
                    .get_role_policy()
                    .role_name(role)
                    .policy_name(name)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("policy {role}/{name} lost: {e:?}"));
                assert!(same_json(&doc(p.policy_document()), document));
            }
        }
    }
    assert_eq!(all_user_names(&iam).await.len(), 10 + 20);
    assert_eq!(all_role_names(&iam).await.len(), 10);

    // The root secret given through the environment is not stored in clear.
    for file in files_under(dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !contains_bytes(&bytes, root.secret_access_key.as_bytes()),
            "the root secret is in clear in {}",
            file.display()
        );
    }
}

#[tokio::test]
async fn restart_keeps_root_credentials_and_server_key_and_hides_secrets() {
    let dir = TempDir::new("restart");
    // No root credentials given: the server makes them and prints them once.
    let server = Server::start_with(Options {
        storage: Storage::DataDir(dir.path().to_path_buf()),
        root: None,
        env: Vec::new(),
    });
    let root = server.root().clone();
    assert!(root.access_key_id.starts_with("AKIA"), "{root:?}");
    assert_eq!(root.secret_access_key.len(), 40);
    let saved = dir.path().join("root-credentials");
    let saved_text = std::fs::read_to_string(&saved).expect("root-credentials file");
    assert!(saved_text.contains(&root.access_key_id));
    let key_file = dir.path().join("server-key");
    let server_key = std::fs::read(&key_file).expect("server-key file");
    for f in [&saved, &key_file] {
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode,
            0o600,
            "{} is readable by others: {mode:o}",
            f.display()
        );
    }

    let iam = iam(&server);
    let (key_id, secret) = user_with_key(&iam, "keeper").await;
    iam.put_user_policy()
        .user_name("keeper")
        .policy_name("list")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let second = iam
        .create_access_key()
        .user_name("keeper")
        .send()
        .await
        .unwrap();
    let second_secret = second.access_key().unwrap().secret_access_key().to_string();
    server.kill();

    // The secret access keys are nowhere in clear in the data directory.
    let files = files_under(dir.path());
    assert!(
        files.iter().any(|f| f.ends_with("portcullis.db")),
        "{files:?}"
    );
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        for s in [&secret, &second_secret] {
            assert!(
                !contains_bytes(&bytes, s.as_bytes()),
                "a user's secret access key is in clear in {}",
                file.display()
            );
        }
        if !file.ends_with("root-credentials") {
            assert!(
                !contains_bytes(&bytes, root.secret_access_key.as_bytes()),
                "the root secret is in clear in {}",
                file.display()
            );
        }
    }

    // Restart without credentials: none are made, the old ones still work, and so do the
    // users' keys (their secrets are sealed with the server key, which must be the same).
    let server = Server::start_with(Options {
        storage: Storage::DataDir(dir.path().to_path_buf()),
        root: None,
        env: Vec::new(),
    });
    assert!(
        !server.log().contains("AWS_SECRET_ACCESS_KEY="),
        "a restart makes no new root credentials:\n{}",
        server.log()
    );
    assert_eq!(
        std::fs::read(&key_file).unwrap(),
        server_key,
        "the server key is kept"
    );
    let iam = iam_with(&server, &root.access_key_id, &root.secret_access_key);
    let who = sts_with(&server, &root.access_key_id, &root.secret_access_key)
        .get_caller_identity()
        .send()
        .await
        .expect("the root credentials survive a restart");
    assert_eq!(who.arn(), Some("arn:aws:iam::123456789012:root"));
    assert_eq!(all_user_names(&iam).await, ["keeper"]);
    let keeper = iam_with(&server, &key_id, &secret);
    let users = keeper
        .list_users()
        .send()
        .await
        .expect("a user's key works after a restart");
    assert_eq!(users.users()[0].user_name(), "keeper");
    let who = sts_with(&server, &key_id, &secret)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(who.arn(), Some("arn:aws:iam::123456789012:user/keeper"));
    let listed = iam
        .list_access_keys()
        .user_name("keeper")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.access_key_metadata().len(), 2);

    // A third start, now with the same root credentials in the environment: still the
    // same account, the same keys, no duplicate root key.
    server.kill();
    let server = Server::start_on(dir.path(), &root);
    let iam = common::iam(&server);
    let root_keys = iam.list_access_keys().send().await.unwrap();
    assert_eq!(root_keys.access_key_metadata().len(), 1);
    assert_eq!(all_user_names(&iam).await, ["keeper"]);
}

#[tokio::test]
async fn state_is_identical_after_restart() {
    let dir = TempDir::new("state");
    let root = Credentials::generate();
    let server = Server::start_on(dir.path(), &root);
    let iam = iam(&server);
    iam.create_user()
        .user_name("u")
        .path("/p/")
        .tags(tag("k", "v"))
        .permissions_boundary(aws_policy("PowerUserAccess"))
        .send()
        .await
        .unwrap();
    iam.create_group().group_name("g").send().await.unwrap();
    iam.add_user_to_group()
        .group_name("g")
        .user_name("u")
        .send()
        .await
        .unwrap();
    iam.attach_group_policy()
        .group_name("g")
        .policy_arn(aws_policy("ReadOnlyAccess"))
        .send()
        .await
        .unwrap();
    iam.create_role()
        .role_name("r")
        .assume_role_policy_document(TRUST_LAMBDA)
        .description("d")
        .max_session_duration(7200)
        .tags(tag("a", "b"))
        .send()
        .await
        .unwrap();
    let p = iam
        .create_policy()
        .policy_name("p")
        .policy_document(S3_READ)
        .tags(tag("x", "y"))
        .send()
        .await
        .unwrap();
    let arn = p.policy().unwrap().arn().unwrap().to_string();
    iam.create_policy_version()
        .policy_arn(&arn)
        .policy_document(EC2_DESCRIBE)
        .set_as_default(true)
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name("r")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    iam.create_instance_profile()
        .instance_profile_name("ip")
        .tags(tag("t", "1"))
        .send()
        .await
        .unwrap();
    iam.add_role_to_instance_profile()
        .instance_profile_name("ip")
        .role_name("r")
        .send()
        .await
        .unwrap();
    let (key_id, _) = user_with_key(&iam, "v").await;
    iam.update_access_key()
        .user_name("v")
        .access_key_id(&key_id)
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .unwrap();
    iam.create_service_linked_role()
        .aws_service_name("rds.amazonaws.com")
        .send()
        .await
        .unwrap();
    let before = state(&iam).await;
    server.kill();

    let server = Server::start_on(dir.path(), &root);
    let after = state(&common::iam(&server)).await;
    assert_same_state(&before, &after);
}

#[tokio::test]
async fn credentials_and_settings_survive_sigkill_and_secrets_stay_sealed() {
    const CERT: &str = include_str!("../../server/src/iam/testdata/server.crt");
    const KEY: &str = include_str!("../../server/src/iam/testdata/server.key");
    const SSH: &str = include_str!("../../server/src/iam/testdata/id_rsa.pub");
    let dir = TempDir::new("credentials");
    let root = Credentials::generate();
    let server = Server::start_on(dir.path(), &root);
    let iam = iam(&server);
    iam.create_user().user_name("dora").send().await.unwrap();
    iam.create_login_profile()
        .user_name("dora")
        .password("Doras-Password-1")
        .send()
        .await
        .unwrap();
    iam.update_account_password_policy()
        .minimum_password_length(10)
        .send()
        .await
        .unwrap();
    iam.create_account_alias()
        .account_alias("durable-corp")
        .send()
        .await
        .unwrap();
    iam.upload_ssh_public_key()
        .user_name("dora")
        .ssh_public_key_body(SSH)
        .send()
        .await
        .unwrap();
    iam.upload_server_certificate()
        .server_certificate_name("web")
        .certificate_body(CERT)
        .private_key(KEY)
        .send()
        .await
        .unwrap();
    let cred = iam
        .create_service_specific_credential()
        .user_name("dora")
        .service_name("codecommit.amazonaws.com")
        .send()
        .await
        .unwrap();
    let service_password = cred
        .service_specific_credential()
        .unwrap()
        .service_password()
        .to_string();
    server.kill();

    let server = Server::start_on(dir.path(), &root);
    let iam = common::iam(&server);
    iam.get_login_profile()
        .user_name("dora")
        .send()
        .await
        .expect("the login profile survives");
    let policy = iam.get_account_password_policy().send().await.unwrap();
    assert_eq!(
        policy.password_policy().unwrap().minimum_password_length(),
        Some(10)
    );
    assert_eq!(
        iam.list_account_aliases()
            .send()
            .await
            .unwrap()
            .account_aliases(),
        ["durable-corp"]
    );
    let keys = iam
        .list_ssh_public_keys()
        .user_name("dora")
        .send()
        .await
        .unwrap();
    assert_eq!(keys.ssh_public_keys().len(), 1);
    iam.get_server_certificate()
        .server_certificate_name("web")
        .send()
        .await
        .expect("the server certificate survives");
    let creds = iam
        .list_service_specific_credentials()
        .user_name("dora")
        .send()
        .await
        .unwrap();
    assert_eq!(creds.service_specific_credentials().len(), 1);

    // Neither the password, the private key nor the service password is stored in clear.
    let key_body: String = KEY
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .take(1)
        .collect();
    for file in files_under(dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        for secret in [
            "Doras-Password-1",
            key_body.as_str(),
            service_password.as_str(),
        ] {
            assert!(
                !contains_bytes(&bytes, secret.as_bytes()),
                "a secret is in clear in {}",
                file.display()
            );
        }
    }
}
