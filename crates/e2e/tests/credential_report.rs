//! The credential report through the AWS SDK for Rust: GetCredentialReport before one
//! exists (ReportNotPresent), GenerateCredentialReport (STARTED, then COMPLETE while it is
//! fresh), and the CSV with IAM's 22 columns, a row for the root and one per user.

#[macro_use]
mod common;

use aws_sdk_iam::types::ReportStateType;
use common::*;

#[tokio::test]
async fn credential_report() {
    let server = Server::start();
    let iam = iam(&server);
    let f = fail(iam.get_credential_report().send().await);
    assert_eq!(f.code, "ReportNotPresent");
    assert_eq!(f.status, 410);
    assert!(f.err.is_credential_report_not_present_exception());

    iam.create_user().user_name("alice").send().await.unwrap();
    iam.create_login_profile()
        .user_name("alice")
        .password("Alices-Password-1")
        .send()
        .await
        .unwrap();
    iam.create_access_key()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    iam.create_user().user_name("bob").send().await.unwrap();

    let started = iam
        .generate_credential_report()
        .send()
        .await
        .expect("GenerateCredentialReport");
    assert_eq!(started.state(), Some(&ReportStateType::Started));
    let again = iam.generate_credential_report().send().await.unwrap();
    assert_eq!(again.state(), Some(&ReportStateType::Complete));

    let report = iam
        .get_credential_report()
        .send()
        .await
        .expect("GetCredentialReport");
    assert_eq!(report.report_format().map(|f| f.as_str()), Some("text/csv"));
    assert_recent(report.generated_time().unwrap());
    let csv = String::from_utf8(report.content().unwrap().as_ref().to_vec()).unwrap();
    let lines: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        lines[0],
        [
            "user",
            "arn",
            "user_creation_time",
            "password_enabled",
            "password_last_used",
            "password_last_changed",
            "password_next_rotation",
            "mfa_active",
            "access_key_1_active",
            "access_key_1_last_rotated",
            "access_key_1_last_used_date",
            "access_key_1_last_used_region",
            "access_key_1_last_used_service",
            "access_key_2_active",
            "access_key_2_last_rotated",
            "access_key_2_last_used_date",
            "access_key_2_last_used_region",
            "access_key_2_last_used_service",
            "cert_1_active",
            "cert_1_last_rotated",
            "cert_2_active",
            "cert_2_last_rotated",
        ]
    );
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[1][0], "<root_account>");
    assert_eq!(lines[1][1], format!("arn:aws:iam::{ACCOUNT_ID}:root"));
    // The root signs these requests with its access key.
    assert_eq!(lines[1][8], "true");
    let alice = &lines[2];
    assert_eq!(alice[0], "alice");
    assert_eq!(alice[3], "true");
    assert_eq!(alice[4], "no_information");
    assert!(alice[5].ends_with("+00:00"), "{}", alice[5]);
    assert_eq!(alice[8], "true");
    assert_eq!(alice[13], "false");
    let bob = &lines[3];
    assert_eq!(bob[0], "bob");
    assert_eq!(&bob[3..7], ["false", "N/A", "N/A", "N/A"]);
    assert_eq!(bob[8], "false");
}
