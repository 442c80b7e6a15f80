//! Issuing temporary credentials: a new `ASIA…` key, its secret, and the sealed session
//! token that carries them with everything authorization needs.

use crate::app::App;
use crate::auth::session::{SessionClaims, SessionPrincipal, SessionTag, WorkloadIdentity};
use crate::error::Error;
use crate::secrets::{secret_access_key, unique_id};
use crate::time::now_seconds;
use portcullis_protocol::Timestamp;
use portcullis_protocol::sts::{Credentials, StsErrorCode};

/// What a new session is.
pub(crate) struct SessionRequest {
    /// Who it acts as.
    pub principal: SessionPrincipal,
    /// How long it lasts, in seconds.
    pub duration_seconds: i64,
    /// Inline session policy.
    pub policies: Vec<String>,
    /// Managed session policies.
    pub policy_arns: Vec<String>,
    /// Session tags.
    pub tags: Vec<SessionTag>,
    /// Tags that pass on to chained sessions.
    pub transitive_tag_keys: Vec<String>,
    /// The source identity.
    pub source_identity: Option<String>,
    /// When the caller authenticated with MFA.
    pub mfa_authenticated_at: Option<i64>,
    /// Role-chaining depth.
    pub chain_depth: u8,
    /// Condition keys from the identity provider that the session's requests carry.
    pub provider_keys: Vec<(String, String)>,
}

/// Issues a session: returns its claims and the `Credentials` answer.
pub(crate) fn issue_credentials(
    app: &App,
    request: SessionRequest,
) -> (SessionClaims, Credentials) {
    issue_with_workload(app, request, None)
}

/// Issues a session as [`issue_credentials`] does, carrying `workload_identity` (a role
/// session from a workload identity context).
pub(crate) fn issue_with_workload(
    app: &App,
    request: SessionRequest,
    workload_identity: Option<WorkloadIdentity>,
) -> (SessionClaims, Credentials) {
    let issued = now_seconds();
    let claims = SessionClaims {
        account: app.account_id().to_string(),
        access_key_id: unique_id("ASIA", 16),
        secret_access_key: secret_access_key(),
        issued,
        expires: issued + request.duration_seconds,
        principal: request.principal,
        policies: request.policies,
        policy_arns: request.policy_arns,
        tags: request.tags,
        transitive_tag_keys: request.transitive_tag_keys,
        source_identity: request.source_identity,
        mfa_authenticated_at: request.mfa_authenticated_at,
        chain_depth: request.chain_depth,
        provider_keys: request.provider_keys,
        workload_identity,
        scope_policies: Vec::new(),
        padding: String::new(),
    };
    let token = app.sessions.seal(&claims);
    let credentials = Credentials {
        access_key_id: claims.access_key_id.clone(),
        secret_access_key: claims.secret_access_key.clone(),
        session_token: token,
        expiration: Timestamp::from_millis(claims.expires * 1000),
    };
    (claims, credentials)
}

/// The budget of the packed form, in characters. AWS packs session policies and tags into a
/// compressed binary form whose exact size is not published; Portcullis counts the
/// characters of the policies without whitespace, the ARNs and the tags against a budget of
/// 2,048 characters, which matches the inline-policy limit.
const PACKED_BUDGET: usize = 2048;

/// The packed size of a request's session policies and tags as a percentage of what STS
/// allows (rounded up), or `None` when the request passes neither (AWS then leaves
/// PackedPolicySize out of the answer). Fails with STS's PackedPolicyTooLarge, worded as AWS
/// words it for the part that takes most of the space, when the size exceeds 100 %.
pub(crate) fn packed_size(
    policies: &[String],
    policy_arns: &[String],
    tags: &[SessionTag],
) -> Result<Option<i64>, Error> {
    if policies.is_empty() && policy_arns.is_empty() && tags.is_empty() {
        return Ok(None);
    }
    let policy: usize = policies
        .iter()
        .map(|p| p.chars().filter(|c| !c.is_whitespace()).count())
        .sum::<usize>()
        + policy_arns.iter().map(String::len).sum::<usize>();
    let tag: usize = tags.iter().map(|t| t.key.len() + t.value.len() + 2).sum();
    let percent = ((policy + tag) * 100).div_ceil(PACKED_BUDGET) as i64;
    if percent > 100 {
        let message = if tag > policy {
            format!("Packed size of session tags consumes {percent}% of allotted space.")
        } else {
            format!(
                "Packed policy consumes {percent}% of allotted space, please use smaller policy."
            )
        };
        return Err(Error::aws(StsErrorCode::PackedPolicyTooLarge, message));
    }
    Ok(Some(percent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_size_grows_with_policies_and_tags() {
        assert_eq!(packed_size(&[], &[], &[]).unwrap(), None);
        let small = packed_size(&["{ \"a\": 1 }".into()], &[], &[]).unwrap();
        assert_eq!(small, Some(1));
        let message = |e: Error| match e {
            Error::Aws(a) => (a.code().to_string(), a.message().to_string()),
            other => panic!("{other}"),
        };
        let (code, text) = message(packed_size(&["x".repeat(3000)], &[], &[]).unwrap_err());
        assert_eq!(code, "PackedPolicyTooLarge");
        assert_eq!(
            text,
            "Packed policy consumes 147% of allotted space, please use smaller policy."
        );
        let tags: Vec<SessionTag> = (0..20)
            .map(|i| SessionTag {
                key: format!("k{i:03}{}", "k".repeat(100)),
                value: "v".repeat(100),
            })
            .collect();
        let (_, text) = message(packed_size(&[], &[], &tags).unwrap_err());
        assert!(
            text.starts_with("Packed size of session tags consumes "),
            "{text}"
        );
    }
}
