//! The credential report: GenerateCredentialReport takes a CSV snapshot of the root's and
//! every user's credentials, with IAM's 22 columns (IAM User Guide, "Generate credential
//! reports for your AWS account"); GetCredentialReport returns it. A report is reused for
//! four hours, as IAM does, and expires after that (ReportExpired); before the first one,
//! GetCredentialReport answers ReportNotPresent.
//!
//! Values as IAM writes them: dates in ISO 8601 with `+00:00`; `N/A` where a credential does
//! not exist; `no_information` for a password never used; `not_supported` for the root's
//! password fields (Portcullis keeps no root password).

use crate::call::Ctx;
use crate::error::Error;
use crate::time::now_millis;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use portcullis_protocol::Timestamp;
use portcullis_protocol::iam::{
    GenerateCredentialReportInput, GenerateCredentialReportOutput, GetCredentialReportInput,
    GetCredentialReportOutput, IamErrorCode,
};
use portcullis_store::{
    AccessKey, Change, CredentialReport, CredentialStatus, Entities, KeyStatus,
};

/// The report's columns, in IAM's order.
pub(super) const COLUMNS: [&str; 22] = [
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
];

/// How long a report is reused, and then how long until it expires (four hours).
const REPORT_LIFETIME_MS: i64 = 4 * 3_600_000;

/// Milliseconds in a day.
const DAY_MS: i64 = portcullis_time::MILLIS_PER_DAY;

/// A date as the report writes it: `2026-12-03T18:00:00+00:00`.
fn date(millis: i64) -> String {
    let text = crate::time::iso8601(millis);
    match text.strip_suffix('Z') {
        Some(base) => format!("{base}+00:00"),
        None => text,
    }
}

fn na() -> String {
    "N/A".to_string()
}

/// The eight columns of up to two access keys.
fn key_columns(keys: &[&AccessKey]) -> Vec<String> {
    let mut out = Vec::with_capacity(10);
    for i in 0..2 {
        match keys.get(i) {
            Some(k) => {
                out.push((k.status == KeyStatus::Active).to_string());
                out.push(date(k.create_date));
                match &k.last_used {
                    Some(u) => {
                        out.push(date(u.date));
                        out.push(u.region.clone());
                        out.push(u.service.clone());
                    }
                    None => out.extend([na(), na(), na()]),
                }
            }
            None => out.extend(["false".to_string(), na(), na(), na(), na()]),
        }
    }
    out
}

/// The four columns of up to two signing certificates.
fn cert_columns(e: &Entities, user_id: Option<&str>) -> Vec<String> {
    let certs = e.signing_certificates_of(user_id);
    let mut out = Vec::with_capacity(4);
    for i in 0..2 {
        match certs.get(i) {
            Some(c) => {
                out.push((c.status == CredentialStatus::Active).to_string());
                out.push(date(c.upload_date));
            }
            None => out.extend(["false".to_string(), na()]),
        }
    }
    out
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The report's CSV for the account's entities.
pub(super) fn build(e: &Entities, account: &str) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut root = vec![
        "<root_account>".to_string(),
        format!("arn:aws:iam::{account}:root"),
        date(e.account.as_ref().map_or(0, |a| a.create_date)),
        "not_supported".to_string(),
        "no_information".to_string(),
        "not_supported".to_string(),
        "not_supported".to_string(),
        "false".to_string(),
    ];
    root.extend(key_columns(&e.access_keys_of(None)));
    root.extend(cert_columns(e, None));
    rows.push(root);
    let policy = e.settings.password_policy.as_ref();
    for user in e.users.values() {
        let profile = e.login_profile(&user.id);
        let mut row = vec![
            user.name.clone(),
            user.arn.clone(),
            date(user.create_date),
            profile.is_some().to_string(),
        ];
        match profile {
            Some(p) => {
                row.push(
                    user.password_last_used
                        .map_or("no_information".into(), date),
                );
                row.push(date(p.password_set_date));
                row.push(
                    policy
                        .and_then(|pol| pol.max_password_age)
                        .map_or_else(na, |days| date(p.password_set_date + days * DAY_MS)),
                );
            }
            None => row.extend([na(), na(), na()]),
        }
        row.push((!e.mfa_devices_of(&user.id).is_empty()).to_string());
        row.extend(key_columns(&e.access_keys_of(Some(&user.id))));
        row.extend(cert_columns(e, Some(&user.id)));
        rows.push(row);
    }
    debug_assert!(rows.iter().all(|r| r.len() == COLUMNS.len()));
    let mut csv = COLUMNS.join(",");
    for row in rows {
        csv.push('\n');
        csv.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
    }
    csv
}

/// GenerateCredentialReport: STARTED when a new report is made, COMPLETE while the last one
/// is less than four hours old.
pub(crate) async fn generate_credential_report(
    ctx: &Ctx<'_>,
    _input: GenerateCredentialReportInput,
) -> Result<GenerateCredentialReportOutput, Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let now = now_millis();
            if let Some(r) = &e.settings.credential_report
                && now - r.generated < REPORT_LIFETIME_MS
            {
                let out = GenerateCredentialReportOutput {
                    state: Some("COMPLETE".to_string()),
                    description: None,
                };
                return Ok((Vec::new(), out));
            }
            let mut settings = e.settings.clone();
            settings.credential_report = Some(CredentialReport {
                generated: now,
                csv: build(e, account),
            });
            Ok((
                vec![Change::put(account, &settings)],
                GenerateCredentialReportOutput {
                    state: Some("STARTED".to_string()),
                    description: Some(
                        "No report exists. Starting a new report generation task".to_string(),
                    ),
                },
            ))
        })
        .await
}

/// GetCredentialReport.
pub(crate) fn get_credential_report(
    ctx: &Ctx<'_>,
    _input: GetCredentialReportInput,
) -> Result<GetCredentialReportOutput, Error> {
    ctx.app.read(|e| match &e.settings.credential_report {
        None => Err(Error::aws(
            IamErrorCode::ReportNotPresent,
            "The credential report does not exist. To generate a credential report, use GenerateCredentialReport.",
        )),
        Some(r) if now_millis() - r.generated >= REPORT_LIFETIME_MS => Err(Error::aws(
            IamErrorCode::ReportExpired,
            "The most recent credential report has expired. To generate a new credential report, use GenerateCredentialReport.",
        )),
        Some(r) => Ok(GetCredentialReportOutput {
            content: Some(STANDARD.encode(&r.csv)),
            report_format: Some("text/csv".to_string()),
            generated_time: Some(Timestamp::from_millis(r.generated)),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_store::{Account, LoginProfile, User};
    use std::collections::BTreeMap;

    #[test]
    fn writes_iam_columns_and_values() {
        let mut e = Entities::default();
        let account = "123456789012";
        e.apply(&Change::put(
            account,
            &Account {
                id: account.into(),
                create_date: 0,
            },
        ))
        .unwrap();
        let user = User {
            id: "AIDAALICE".into(),
            name: "alice".into(),
            path: "/".into(),
            arn: "arn:aws:iam::123456789012:user/alice".into(),
            create_date: 86_400_000,
            permissions_boundary: None,
            tags: vec![],
            groups: vec![],
            attached_policies: vec![],
            inline_policies: BTreeMap::new(),
            password_last_used: None,
        };
        e.apply(&Change::put(account, &user)).unwrap();
        let profile = LoginProfile {
            user_id: user.id.clone(),
            password_hash: "h".into(),
            previous_hashes: vec![],
            password_reset_required: false,
            create_date: 86_400_000,
            password_set_date: 86_400_000,
            max_signin_session_duration: None,
        };
        e.apply(&Change::put(account, &profile)).unwrap();
        e.apply(&Change::put(
            account,
            &AccessKey {
                id: "AKIA1".into(),
                user_id: Some(user.id.clone()),
                secret_ciphertext: "x".into(),
                status: KeyStatus::Inactive,
                create_date: 172_800_000,
                last_used: None,
            },
        ))
        .unwrap();
        let csv = build(&e, account);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], COLUMNS.join(","));
        assert_eq!(
            lines[1],
            "<root_account>,arn:aws:iam::123456789012:root,1970-01-01T00:00:00+00:00,not_supported,no_information,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
        );
        assert_eq!(
            lines[2],
            "alice,arn:aws:iam::123456789012:user/alice,1970-01-02T00:00:00+00:00,true,no_information,1970-01-02T00:00:00+00:00,N/A,false,false,1970-01-03T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
        );
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
