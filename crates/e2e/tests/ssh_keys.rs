//! SSH public keys through the AWS SDK for Rust: UploadSSHPublicKey (OpenSSH and PEM
//! input), GetSSHPublicKey in both encodings, ListSSHPublicKeys, UpdateSSHPublicKey,
//! DeleteSSHPublicKey, the MD5 fingerprint as `ssh-keygen -E md5` prints it, the quota of
//! 5 keys per user, DeleteUser's conflict, and AWS's errors.

#[macro_use]
mod common;

use aws_sdk_iam::types::{EncodingType, StatusType};
use common::*;

const RSA: &str = include_str!("../../server/src/iam/testdata/id_rsa.pub");
const RSA_MD5: &str = include_str!("../../server/src/iam/testdata/id_rsa.md5");
const RSA_PEM: &str = include_str!("../../server/src/iam/testdata/id_rsa.pem");
const ED25519: &str = include_str!("../../server/src/iam/testdata/id_ed25519.pub");
const RSA_1024: &str = include_str!("../../server/src/iam/testdata/id_rsa_1024.pub");

#[tokio::test]
async fn ssh_public_key_lifecycle() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_user().user_name("dev").send().await.unwrap();

    let up = iam
        .upload_ssh_public_key()
        .user_name("dev")
        .ssh_public_key_body(RSA)
        .send()
        .await
        .expect("UploadSSHPublicKey");
    let k = up.ssh_public_key().unwrap();
    let id = k.ssh_public_key_id().to_string();
    assert!(id.starts_with("APKA") && id.len() == 20, "{id}");
    assert_eq!(k.fingerprint(), RSA_MD5.trim());
    assert_eq!(k.status(), &StatusType::Active);
    assert_eq!(k.user_name(), "dev");

    let ssh = iam
        .get_ssh_public_key()
        .user_name("dev")
        .ssh_public_key_id(&id)
        .encoding(EncodingType::Ssh)
        .send()
        .await
        .expect("GetSSHPublicKey SSH");
    assert_eq!(
        ssh.ssh_public_key().unwrap().ssh_public_key_body(),
        RSA.trim()
    );
    let pem = iam
        .get_ssh_public_key()
        .user_name("dev")
        .ssh_public_key_id(&id)
        .encoding(EncodingType::Pem)
        .send()
        .await
        .expect("GetSSHPublicKey PEM");
    assert_eq!(
        pem.ssh_public_key().unwrap().ssh_public_key_body().trim(),
        RSA_PEM.trim()
    );

    // The same key again, even as PEM, is a duplicate.
    let f = fail(
        iam.upload_ssh_public_key()
            .user_name("dev")
            .ssh_public_key_body(RSA_PEM)
            .send()
            .await,
    );
    assert_eq!(f.code, "DuplicateSSHPublicKey");
    // Ed25519 keys are not taken; short RSA keys and garbage are invalid.
    let f = fail(
        iam.upload_ssh_public_key()
            .user_name("dev")
            .ssh_public_key_body(ED25519)
            .send()
            .await,
    );
    assert_eq!(f.code, "UnrecognizedPublicKeyEncoding");
    let f = fail(
        iam.upload_ssh_public_key()
            .user_name("dev")
            .ssh_public_key_body(RSA_1024)
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidPublicKey");
    let f = fail(
        iam.upload_ssh_public_key()
            .user_name("dev")
            .ssh_public_key_body("ssh-rsa not-base64!")
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidPublicKey");
    let f = fail(
        iam.upload_ssh_public_key()
            .user_name("nobody")
            .ssh_public_key_body(RSA)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");

    iam.update_ssh_public_key()
        .user_name("dev")
        .ssh_public_key_id(&id)
        .status(StatusType::Inactive)
        .send()
        .await
        .expect("UpdateSSHPublicKey");
    let listed = iam
        .list_ssh_public_keys()
        .user_name("dev")
        .send()
        .await
        .expect("ListSSHPublicKeys");
    let keys = listed.ssh_public_keys();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].status(), &StatusType::Inactive);
    assert_recent(keys[0].upload_date());
    let f = fail(
        iam.update_ssh_public_key()
            .user_name("dev")
            .ssh_public_key_id(&id)
            .status(StatusType::Expired)
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidInput");
    let f = fail(
        iam.get_ssh_public_key()
            .user_name("dev")
            .ssh_public_key_id("APKAAAAAAAAAAAAAAAAA")
            .encoding(EncodingType::Ssh)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");

    let f = fail(iam.delete_user().user_name("dev").send().await);
    assert_eq!(f.code, "DeleteConflict");
    iam.delete_ssh_public_key()
        .user_name("dev")
        .ssh_public_key_id(&id)
        .send()
        .await
        .expect("DeleteSSHPublicKey");
    let f = fail(
        iam.delete_ssh_public_key()
            .user_name("dev")
            .ssh_public_key_id(&id)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
    iam.delete_user().user_name("dev").send().await.unwrap();
}

/// A fresh RSA 2048 key in OpenSSH format, made by `ssh-keygen`.
fn fresh_key(dir: &std::path::Path, n: usize) -> String {
    let path = dir.join(format!("k{n}"));
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f"])
        .arg(&path)
        .status()
        .expect("ssh-keygen runs");
    assert!(status.success());
    std::fs::read_to_string(path.with_extension("pub")).unwrap()
}

#[tokio::test]
async fn five_keys_per_user_and_pagination() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_user().user_name("many").send().await.unwrap();
    let dir = std::env::temp_dir().join(format!("portcullis-ssh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for n in 0..5 {
        iam.upload_ssh_public_key()
            .user_name("many")
            .ssh_public_key_body(fresh_key(&dir, n))
            .send()
            .await
            .expect("UploadSSHPublicKey");
    }
    let f = fail(
        iam.upload_ssh_public_key()
            .user_name("many")
            .ssh_public_key_body(fresh_key(&dir, 5))
            .send()
            .await,
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(f.code, "LimitExceeded");
    assert_eq!(f.message, "Cannot exceed quota for PublicKeysPerUser: 5");

    let mut ids = Vec::new();
    let mut marker = None;
    loop {
        let page = iam
            .list_ssh_public_keys()
            .user_name("many")
            .max_items(2)
            .set_marker(marker)
            .send()
            .await
            .unwrap();
        ids.extend(
            page.ssh_public_keys()
                .iter()
                .map(|k| k.ssh_public_key_id().to_string()),
        );
        marker = page.marker().map(str::to_string);
        if !page.is_truncated() {
            break;
        }
    }
    assert_eq!(ids.len(), 5);
    let f = fail(iam.list_ssh_public_keys().user_name("nobody").send().await);
    assert_eq!(f.code, "NoSuchEntity");
}
