//! Signing and server certificates through the AWS SDK for Rust: UploadSigningCertificate,
//! ListSigningCertificates, UpdateSigningCertificate, DeleteSigningCertificate (for users
//! and for the root), and UploadServerCertificate, GetServerCertificate,
//! ListServerCertificates, UpdateServerCertificate, DeleteServerCertificate, tags; the
//! private key never returned; key-pair checks; quotas and AWS's errors.

#[macro_use]
mod common;

use aws_sdk_iam::types::{StatusType, SummaryKeyType};
use common::*;

const CERT: &str = include_str!("../../server/src/iam/testdata/server.crt");
const KEY: &str = include_str!("../../server/src/iam/testdata/server.key");
const OTHER_KEY: &str = include_str!("../../server/src/iam/testdata/other.key");
const EC_CERT: &str = include_str!("../../server/src/iam/testdata/ec.crt");
const EC_KEY: &str = include_str!("../../server/src/iam/testdata/ec.key");

#[tokio::test]
async fn signing_certificates() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_user().user_name("signer").send().await.unwrap();

    let up = iam
        .upload_signing_certificate()
        .user_name("signer")
        .certificate_body(CERT)
        .send()
        .await
        .expect("UploadSigningCertificate");
    let c = up.certificate().unwrap();
    let id = c.certificate_id().to_string();
    assert!(id.len() >= 24, "{id}");
    assert_eq!(c.status(), &StatusType::Active);
    // The body comes back exactly as uploaded, its trailing newline included.
    assert!(CERT.ends_with('\n'));
    assert_eq!(c.certificate_body(), CERT);
    let listed = iam
        .list_signing_certificates()
        .user_name("signer")
        .send()
        .await
        .expect("ListSigningCertificates");
    assert_eq!(listed.certificates()[0].certificate_body(), CERT);

    let f = fail(
        iam.upload_signing_certificate()
            .user_name("signer")
            .certificate_body(CERT)
            .send()
            .await,
    );
    assert_eq!(f.code, "DuplicateCertificate");
    let f = fail(
        iam.upload_signing_certificate()
            .user_name("signer")
            .certificate_body("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
            .send()
            .await,
    );
    assert_eq!(f.code, "MalformedCertificate");
    assert_eq!(f.message, "Certificate BODY is malformed.");
    let f = fail(
        iam.upload_signing_certificate()
            .user_name("signer")
            .certificate_body("not a certificate at all")
            .send()
            .await,
    );
    assert_eq!(f.code, "MalformedCertificate");
    assert_eq!(f.message, "Certificate BODY is malformed.");
    let f = fail(
        iam.upload_signing_certificate()
            .user_name("nobody")
            .certificate_body(EC_CERT)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");

    iam.upload_signing_certificate()
        .user_name("signer")
        .certificate_body(EC_CERT)
        .send()
        .await
        .expect("a second certificate");

    iam.update_signing_certificate()
        .user_name("signer")
        .certificate_id(&id)
        .status(StatusType::Inactive)
        .send()
        .await
        .expect("UpdateSigningCertificate");
    let listed = iam
        .list_signing_certificates()
        .user_name("signer")
        .send()
        .await
        .expect("ListSigningCertificates");
    assert_eq!(listed.certificates().len(), 2);
    assert_eq!(listed.certificates()[0].status(), &StatusType::Inactive);
    let f = fail(
        iam.list_signing_certificates()
            .user_name("nobody")
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
    let f = fail(
        iam.update_signing_certificate()
            .user_name("signer")
            .certificate_id("AAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            .status(StatusType::Active)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");

    let f = fail(iam.delete_user().user_name("signer").send().await);
    assert_eq!(f.code, "DeleteConflict");
    iam.delete_signing_certificate()
        .user_name("signer")
        .certificate_id(&id)
        .send()
        .await
        .expect("DeleteSigningCertificate");
    let f = fail(
        iam.delete_signing_certificate()
            .user_name("signer")
            .certificate_id(&id)
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");

    // The root's own certificates (no user name), counted by the account summary.
    iam.upload_signing_certificate()
        .certificate_body(CERT)
        .send()
        .await
        .expect("a root signing certificate");
    let summary = iam.get_account_summary().send().await.unwrap();
    let map = summary.summary_map().unwrap();
    assert_eq!(map[&SummaryKeyType::AccountSigningCertificatesPresent], 1);
    let root_certs = iam.list_signing_certificates().send().await.unwrap();
    assert_eq!(root_certs.certificates().len(), 1);
    assert_eq!(root_certs.certificates()[0].user_name(), "root");
}

#[tokio::test]
async fn two_signing_certificates_per_user() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_user().user_name("u").send().await.unwrap();
    for body in [CERT, EC_CERT] {
        iam.upload_signing_certificate()
            .user_name("u")
            .certificate_body(body)
            .send()
            .await
            .unwrap();
    }
    // A third certificate: generated here, as the others are taken.
    let dir = std::env::temp_dir().join(format!("portcullis-cert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=third",
            "-days",
            "1",
        ])
        .arg("-keyout")
        .arg(dir.join("k.pem"))
        .arg("-out")
        .arg(dir.join("c.pem"))
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success());
    let third = std::fs::read_to_string(dir.join("c.pem")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let f = fail(
        iam.upload_signing_certificate()
            .user_name("u")
            .certificate_body(third)
            .send()
            .await,
    );
    assert_eq!(f.code, "LimitExceeded");
    assert_eq!(f.message, "Cannot exceed quota for CertificatesPerUser: 2");
}

#[tokio::test]
async fn server_certificates() {
    let server = Server::start();
    let iam = iam(&server);

    let up = iam
        .upload_server_certificate()
        .server_certificate_name("web")
        .path("/cloudfront/")
        .certificate_body(CERT)
        .private_key(KEY)
        .certificate_chain(EC_CERT)
        .tags(tag("env", "prod"))
        .send()
        .await
        .expect("UploadServerCertificate");
    let m = up.server_certificate_metadata().unwrap();
    assert_eq!(m.server_certificate_name(), "web");
    assert_eq!(m.path(), "/cloudfront/");
    assert_eq!(
        m.arn(),
        format!("arn:aws:iam::{ACCOUNT_ID}:server-certificate/cloudfront/web")
    );
    assert!(m.server_certificate_id().starts_with("ASCA"));
    // The expiration is the certificate's notAfter (2036-11-30T18:06:38Z).
    assert_eq!(m.expiration().unwrap().secs(), 2_111_681_198);
    assert_eq!(tag_pairs(up.tags()), [("env".into(), "prod".into())]);

    let got = iam
        .get_server_certificate()
        .server_certificate_name("web")
        .send()
        .await
        .expect("GetServerCertificate");
    let c = got.server_certificate().unwrap();
    // The body comes back exactly as uploaded, its trailing newline included.
    assert_eq!(c.certificate_body(), CERT);
    assert_eq!(c.certificate_chain(), Some(EC_CERT.trim()));
    assert_eq!(tag_pairs(c.tags()), [("env".into(), "prod".into())]);
    // The private key is never returned.
    let raw = format!("{got:?}");
    assert!(!raw.contains("PRIVATE KEY"));

    for (key, code) in [
        (OTHER_KEY, "KeyPairMismatch"),
        (EC_KEY, "KeyPairMismatch"),
        ("not a key", "MalformedCertificate"),
    ] {
        let f = fail(
            iam.upload_server_certificate()
                .server_certificate_name("bad")
                .certificate_body(CERT)
                .private_key(key)
                .send()
                .await,
        );
        assert_eq!(f.code, code);
    }
    let f = fail(
        iam.upload_server_certificate()
            .server_certificate_name("bad")
            .certificate_body("garbage")
            .private_key(KEY)
            .send()
            .await,
    );
    assert_eq!(f.code, "MalformedCertificate");
    let f = fail(
        iam.upload_server_certificate()
            .server_certificate_name("bad")
            .path("no-slashes")
            .certificate_body(CERT)
            .private_key(KEY)
            .send()
            .await,
    );
    assert_eq!(f.code, "ValidationError");
    let f = fail(
        iam.upload_server_certificate()
            .server_certificate_name("WEB")
            .certificate_body(EC_CERT)
            .private_key(EC_KEY)
            .send()
            .await,
    );
    assert_eq!(f.code, "EntityAlreadyExists");

    iam.upload_server_certificate()
        .server_certificate_name("api")
        .certificate_body(EC_CERT)
        .private_key(EC_KEY)
        .send()
        .await
        .expect("an EC certificate");
    let listed = iam
        .list_server_certificates()
        .path_prefix("/cloudfront/")
        .send()
        .await
        .expect("ListServerCertificates");
    let names: Vec<&str> = listed
        .server_certificate_metadata_list()
        .iter()
        .map(|m| m.server_certificate_name())
        .collect();
    assert_eq!(names, ["web"]);
    let f = fail(
        iam.list_server_certificates()
            .path_prefix("no-leading-slash")
            .send()
            .await,
    );
    assert_eq!(f.code, "ValidationError");
    let page = iam
        .list_server_certificates()
        .max_items(1)
        .send()
        .await
        .unwrap();
    assert!(page.is_truncated());
    let next = iam
        .list_server_certificates()
        .marker(page.marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(next.server_certificate_metadata_list().len(), 1);
    let summary = iam.get_account_summary().send().await.unwrap();
    assert_eq!(
        summary.summary_map().unwrap()[&SummaryKeyType::ServerCertificates],
        2
    );

    iam.update_server_certificate()
        .server_certificate_name("web")
        .new_server_certificate_name("www")
        .new_path("/")
        .send()
        .await
        .expect("UpdateServerCertificate");
    let f = fail(
        iam.get_server_certificate()
            .server_certificate_name("web")
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
    assert_eq!(
        f.message,
        "The Server Certificate with name web cannot be found."
    );
    let got = iam
        .get_server_certificate()
        .server_certificate_name("www")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.server_certificate()
            .unwrap()
            .server_certificate_metadata()
            .unwrap()
            .arn(),
        format!("arn:aws:iam::{ACCOUNT_ID}:server-certificate/www")
    );
    let f = fail(
        iam.update_server_certificate()
            .server_certificate_name("www")
            .new_server_certificate_name("api")
            .send()
            .await,
    );
    assert_eq!(f.code, "EntityAlreadyExists");

    iam.tag_server_certificate()
        .server_certificate_name("www")
        .tags(tag("team", "edge"))
        .send()
        .await
        .expect("TagServerCertificate");
    iam.untag_server_certificate()
        .server_certificate_name("www")
        .tag_keys("ENV")
        .send()
        .await
        .expect("UntagServerCertificate");
    let tags = iam
        .list_server_certificate_tags()
        .server_certificate_name("www")
        .send()
        .await
        .expect("ListServerCertificateTags");
    assert_eq!(tag_pairs(tags.tags()), [("team".into(), "edge".into())]);
    let f = fail(
        iam.tag_server_certificate()
            .server_certificate_name("www")
            .tags(tag("aws:reserved", "x"))
            .send()
            .await,
    );
    assert_eq!(f.code, "InvalidInput");
    let f = fail(
        iam.list_server_certificate_tags()
            .server_certificate_name("nope")
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
    let f = fail(
        iam.untag_server_certificate()
            .server_certificate_name("nope")
            .tag_keys("x")
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");

    iam.delete_server_certificate()
        .server_certificate_name("www")
        .send()
        .await
        .expect("DeleteServerCertificate");
    let f = fail(
        iam.delete_server_certificate()
            .server_certificate_name("www")
            .send()
            .await,
    );
    assert_eq!(f.code, "NoSuchEntity");
}

#[tokio::test]
async fn server_certificate_authorization_uses_its_arn() {
    let server = Server::start();
    let root = iam(&server);
    let (key, secret) = user_with_key(&root, "ops").await;
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"iam:GetServerCertificate","Resource":"arn:aws:iam::{ACCOUNT_ID}:server-certificate/allowed"}}]}}"#
    );
    root.put_user_policy()
        .user_name("ops")
        .policy_name("read-one")
        .policy_document(policy)
        .send()
        .await
        .unwrap();
    for name in ["allowed", "denied"] {
        root.upload_server_certificate()
            .server_certificate_name(name)
            .certificate_body(CERT)
            .private_key(KEY)
            .send()
            .await
            .unwrap();
    }
    let ops = iam_with(&server, &key, &secret);
    ops.get_server_certificate()
        .server_certificate_name("allowed")
        .send()
        .await
        .expect("allowed by the policy");
    let f = fail(
        ops.get_server_certificate()
            .server_certificate_name("denied")
            .send()
            .await,
    );
    assert_eq!(f.code, "AccessDenied");
    assert!(
        f.message.contains("server-certificate/denied"),
        "{}",
        f.message
    );
}
