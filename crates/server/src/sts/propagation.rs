//! Trusted identity propagation: the `aws:OriginIdentity/*` and
//! `aws:TransactionContext/IdentityProvider/*` keys that AssumeRoleWithWebIdentity and
//! AssumeRoleWithSAML set in a session when the identity provider has a context provider
//! (see `iam::context_provider`), and the `TrustedIdentityPropagationContext` answer member
//! that reports them (botocore 1.44.18).
//!
//! A key whose claim the token lacks is not set, and the answer leaves its member out, as
//! the model documents ("A member is absent when the session does not have the key").

use portcullis_protocol::IndexMap;
use portcullis_protocol::sts::{
    OriginIdentity, TransactionContext, TrustedIdentityPropagationContext,
};
use portcullis_store::ContextProvider;

const SUBJECT: &str = "aws:OriginIdentity/Subject";
const SUBJECT_TYPE: &str = "aws:OriginIdentity/SubjectType";
const ISSUER: &str = "aws:OriginIdentity/Issuer";
const PROVIDER_ARN: &str = "aws:OriginIdentity/FederatedProviderArn";
const TRANSACTION_PREFIX: &str = "aws:TransactionContext/IdentityProvider/";

/// The longest value a transaction context key holds (the model's maximum).
const VALUE_MAX: usize = 128;

/// The session keys a context provider sets from a token. `claim` reads one claim or
/// attribute of the token; `issuer` is what `aws:OriginIdentity/Issuer` holds.
pub(crate) fn session_keys(
    provider: &ContextProvider,
    claim: impl Fn(&str) -> Option<String>,
    issuer: &str,
    provider_arn: &str,
) -> Vec<(String, String)> {
    let mut keys = Vec::new();
    if let Some(subject) = claim(&provider.subject_source_key) {
        keys.push((SUBJECT.to_string(), subject));
    }
    let subject_type = match (
        &provider.subject_type_value,
        &provider.subject_type_source_key,
    ) {
        (Some(v), _) if !v.is_empty() => Some(v.clone()),
        (_, Some(k)) => claim(k),
        _ => None,
    };
    if let Some(t) = subject_type {
        keys.push((SUBJECT_TYPE.to_string(), t));
    }
    keys.push((ISSUER.to_string(), issuer.to_string()));
    keys.push((PROVIDER_ARN.to_string(), provider_arn.to_string()));
    for d in &provider.key_definitions {
        if let Some(value) = claim(&d.source_key) {
            let target = d.target_key.as_deref().unwrap_or(&d.source_key);
            let value: String = value.chars().take(VALUE_MAX).collect();
            keys.push((format!("{TRANSACTION_PREFIX}{target}"), value));
        }
    }
    keys
}

/// The `TrustedIdentityPropagationContext` answer member for a session's keys; `None` when
/// the session has none of them.
pub(crate) fn answer(keys: &[(String, String)]) -> Option<TrustedIdentityPropagationContext> {
    let mut origin = OriginIdentity::default();
    let mut transaction = IndexMap::new();
    for (k, v) in keys {
        let member = match k.as_str() {
            SUBJECT => &mut origin.subject,
            SUBJECT_TYPE => &mut origin.subject_type,
            ISSUER => &mut origin.issuer,
            PROVIDER_ARN => &mut origin.federated_provider_arn,
            _ => {
                if let Some(name) = k.strip_prefix(TRANSACTION_PREFIX) {
                    transaction.insert(name.to_string(), v.clone());
                }
                continue;
            }
        };
        *member = Some(v.clone());
    }
    let origin = (origin != OriginIdentity::default()).then_some(origin);
    let transaction = (!transaction.is_empty()).then_some(TransactionContext {
        identity_provider: Some(transaction),
    });
    if origin.is_none() && transaction.is_none() {
        return None;
    }
    Some(TrustedIdentityPropagationContext {
        origin_identity: origin,
        transaction_context: transaction,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_store::ContextKeyDefinition;

    #[test]
    fn maps_claims_to_session_keys_and_back() {
        let provider = ContextProvider {
            subject_source_key: "sub".into(),
            subject_type_value: Some("user".into()),
            subject_type_source_key: None,
            key_definitions: vec![
                ContextKeyDefinition {
                    source_key: "email".into(),
                    target_key: Some("Email".into()),
                },
                ContextKeyDefinition {
                    source_key: "team".into(),
                    target_key: None,
                },
                ContextKeyDefinition {
                    source_key: "absent".into(),
                    target_key: None,
                },
            ],
        };
        let claims = [
            ("sub", "alice"),
            ("email", "alice@example.com"),
            ("team", "ml"),
        ];
        let claim = |name: &str| {
            claims
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        let arn = "arn:aws:iam::123456789012:oidc-provider/idp.example.com";
        let keys = session_keys(&provider, claim, "idp.example.com", arn);
        assert!(keys.contains(&(SUBJECT.into(), "alice".into())));
        assert!(keys.contains(&(SUBJECT_TYPE.into(), "user".into())));
        assert!(keys.contains(&(
            "aws:TransactionContext/IdentityProvider/Email".into(),
            "alice@example.com".into()
        )));
        assert!(!keys.iter().any(|(k, _)| k.ends_with("/absent")));
        let shown = serde_json::to_value(answer(&keys).unwrap()).unwrap();
        assert_eq!(shown["OriginIdentity"]["Subject"], "alice");
        assert_eq!(shown["OriginIdentity"]["Issuer"], "idp.example.com");
        assert_eq!(shown["OriginIdentity"]["FederatedProviderArn"], arn);
        assert_eq!(
            shown["TransactionContext"]["IdentityProvider"]["team"],
            "ml"
        );
        assert!(answer(&[("saml:sub".into(), "x".into())]).is_none());
    }
}
