//! The context assertion of a workload identity context: what IssueWorkloadIdentityContext
//! binds (subject, provider, template, target role, the caller that may redeem it, expiry,
//! latest session end), sealed with the server key (AES-256-GCM, so it is both encrypted
//! and authenticated) for AssumeRole to open.
//!
//! Layout: `PWIC1` followed by the server key's sealed form (base64 of nonce and
//! ciphertext) of the JSON claims. The claims carry a type tag so that no other value the
//! server key sealed can pass for an assertion.

use crate::app::App;
use serde::{Deserialize, Serialize};

const PREFIX: &str = "PWIC1";
const TYPE: &str = "workload-identity-context";

/// What a context assertion carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ContextClaims {
    /// Always `workload-identity-context`.
    #[serde(rename = "typ")]
    pub kind: String,
    /// The workload identifier.
    pub subject: String,
    /// The ARN of the workload identity provider.
    pub provider_arn: String,
    /// The ARN of the workload identity template.
    pub template_arn: String,
    /// The role the context may be redeemed for.
    pub role_arn: String,
    /// The principal ARN of the caller that may redeem it (the context's audience).
    pub audience: String,
    /// The account the caller acted for (`aws:SourceAccount`).
    pub source_account: String,
    /// When it was issued (milliseconds since the Unix epoch).
    pub issued: i64,
    /// When AssumeRole stops accepting it (milliseconds since the Unix epoch).
    pub expires: i64,
    /// The latest end of a role session from it (milliseconds since the Unix epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_expires: Option<i64>,
}

impl ContextClaims {
    /// The type tag every assertion carries.
    pub(super) fn kind() -> String {
        TYPE.to_string()
    }
}

/// Seals claims into a context assertion.
pub(super) fn seal(app: &App, claims: &ContextClaims) -> String {
    let json = serde_json::to_string(claims).expect("context claims serialize to JSON");
    format!("{PREFIX}{}", app.server_key.encrypt(&json))
}

/// Opens a context assertion this server sealed; `None` when it was not made here, was
/// altered, or is not a workload identity context.
pub(super) fn open(app: &App, assertion: &str) -> Option<ContextClaims> {
    let sealed = assertion.strip_prefix(PREFIX)?;
    let json = app.server_key.decrypt(sealed)?;
    let claims: ContextClaims = serde_json::from_str(&json).ok()?;
    (claims.kind == TYPE).then_some(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[tokio::test]
    async fn assertions_round_trip_and_resist_tampering() {
        let (app, _) = App::open(Config::in_memory(false))
            .await
            .expect("an in-memory app");
        let claims = ContextClaims {
            kind: ContextClaims::kind(),
            subject: "spiffe://example.org/payments".into(),
            provider_arn: "arn:aws:iam::123456789012:workload-identity-provider/p".into(),
            template_arn: "arn:aws:iam::123456789012:workload-identity-template/t".into(),
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            audience: "arn:aws:iam::123456789012:user/svc".into(),
            source_account: "123456789012".into(),
            issued: 1,
            expires: 2,
            session_expires: Some(3),
        };
        let sealed = seal(&app, &claims);
        assert!(sealed.starts_with("PWIC1"));
        assert!(!sealed.contains("spiffe"));
        assert_eq!(open(&app, &sealed), Some(claims));
        let mut bytes = sealed.clone().into_bytes();
        let i = bytes.len() - 6;
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        assert_eq!(open(&app, &String::from_utf8(bytes).unwrap()), None);
        // Another value sealed with the server key is not an assertion.
        let other = format!("PWIC1{}", app.server_key.encrypt(r#"{"secret":"x"}"#));
        assert_eq!(open(&app, &other), None);
        assert_eq!(open(&app, "garbage"), None);
    }
}
