//! Trusted identity propagation on OIDC and SAML providers: the `ContextProvider` that
//! CreateOpenIDConnectProvider, UpdateOpenIDConnectProvider, CreateSAMLProvider and
//! UpdateSAMLProvider set, and the `IdentityCenterInstanceArn` association.
//!
//! The rules are those of the botocore 1.44.18 documentation:
//! - a key holds only ASCII letters, digits, single spaces and `_ . : / = + - @ #`, and
//!   neither starts nor ends with a space;
//! - `SubjectTypeValue` and `SubjectTypeSourceKey` exclude each other;
//! - at most 10 key definitions;
//! - a request gives a new value or its `Remove…` flag, not both; an update changes the
//!   context provider or the Identity Center association, not both;
//! - an Identity Center instance needs a context provider, and the context provider cannot be
//!   removed while an instance is associated.
//!
//! Portcullis runs no IAM Identity Center, so no instance exists to associate: a request
//! naming one is refused with InvalidInput, as IAM refuses an instance it cannot find. The
//! wording of the messages is Portcullis's.

use crate::error::Error;
use portcullis_protocol::iam;
use portcullis_store::{ContextKeyDefinition, ContextProvider};

/// Key definitions per context provider (the model's `keyDefinitionListType` maximum).
pub(crate) const KEY_DEFINITIONS: usize = 10;

fn is_valid_key(key: &str) -> bool {
    !key.starts_with(' ')
        && !key.ends_with(' ')
        && !key.contains("  ")
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " _.:/=+-@#".contains(c))
}

fn check_key(member: &str, key: &str) -> Result<String, Error> {
    if is_valid_key(key) {
        Ok(key.to_string())
    } else {
        Err(Error::invalid_input(format!(
            "{member} {key:?} is not valid: a key holds only ASCII letters, digits, single spaces and the characters _ . : / = + - @ #, and does not start or end with a space."
        )))
    }
}

/// Reads and checks a `ContextProvider` input member.
fn parse(value: &iam::ContextProvider) -> Result<ContextProvider, Error> {
    let subject_source_key = check_key("SubjectSourceKey", &value.subject_source_key)?;
    let subject_type_value = value.subject_type_value.clone();
    let subject_type_source_key = value
        .subject_type_source_key
        .as_deref()
        .map(|k| check_key("SubjectTypeSourceKey", k))
        .transpose()?;
    if subject_type_value.is_some() && subject_type_source_key.is_some() {
        return Err(Error::invalid_input(
            "Specify either SubjectTypeValue or SubjectTypeSourceKey, but not both.",
        ));
    }
    let definitions = value.key_definition_list.as_deref().unwrap_or_default();
    if definitions.len() > KEY_DEFINITIONS {
        return Err(Error::invalid_input(format!(
            "A context provider can map at most {KEY_DEFINITIONS} keys."
        )));
    }
    let mut key_definitions = Vec::with_capacity(definitions.len());
    for d in definitions {
        key_definitions.push(ContextKeyDefinition {
            source_key: check_key("SourceKey", &d.source_key)?,
            target_key: d
                .target_key
                .as_deref()
                .map(|t| check_key("TargetKey", t))
                .transpose()?,
        });
    }
    Ok(ContextProvider {
        subject_source_key,
        subject_type_value,
        subject_type_source_key,
        key_definitions,
    })
}

fn no_identity_center(arn: &str) -> Error {
    Error::invalid_input(format!(
        "The IAM Identity Center instance {arn} cannot be found."
    ))
}

/// The context provider a Create call sets, if any, from its `ContextProvider` and
/// `IdentityCenterInstanceArn` members. An Identity Center instance needs a context
/// provider, and none can be found.
pub(crate) fn for_create(
    provider: Option<&iam::ContextProvider>,
    instance_arn: Option<&str>,
) -> Result<Option<ContextProvider>, Error> {
    let provider = provider.map(parse).transpose()?;
    if let Some(arn) = instance_arn {
        if provider.is_none() {
            return Err(Error::invalid_input(
                "IdentityCenterInstanceArn requires a ContextProvider.",
            ));
        }
        return Err(no_identity_center(arn));
    }
    Ok(provider)
}

/// What an Update call does to the context provider, from its `ContextProvider`,
/// `IdentityCenterInstanceArn`, `RemoveContextProvider` and `RemoveIdentityCenterInstance`
/// members: `None` to leave it, `Some(None)` to remove it, `Some(Some(p))` to set it.
/// `required` says whether the call must change something (UpdateOpenIDConnectProvider has
/// nothing else to change).
pub(crate) fn for_update(
    provider: Option<&iam::ContextProvider>,
    instance_arn: Option<&str>,
    remove_provider: Option<bool>,
    remove_instance: Option<bool>,
    required: bool,
) -> Result<Option<Option<ContextProvider>>, Error> {
    let remove = remove_provider == Some(true);
    let remove_instance = remove_instance == Some(true);
    if provider.is_some() && remove {
        return Err(Error::invalid_input(
            "Specify either ContextProvider or RemoveContextProvider, but not both.",
        ));
    }
    if instance_arn.is_some() && remove_instance {
        return Err(Error::invalid_input(
            "Specify either IdentityCenterInstanceArn or RemoveIdentityCenterInstance, but not both.",
        ));
    }
    let changes_context = provider.is_some() || remove;
    let changes_instance = instance_arn.is_some() || remove_instance;
    if changes_context && changes_instance {
        return Err(Error::invalid_input(
            "A request can change either the context provider or the IAM Identity Center association, but not both.",
        ));
    }
    if let Some(arn) = instance_arn {
        return Err(no_identity_center(arn));
    }
    if required && !changes_context && !changes_instance {
        return Err(Error::invalid_input(
            "Specify a configuration to change: ContextProvider, RemoveContextProvider, IdentityCenterInstanceArn or RemoveIdentityCenterInstance.",
        ));
    }
    if remove {
        return Ok(Some(None));
    }
    provider.map(|p| parse(p).map(Some)).transpose()
}

/// The `ContextProvider` answer member (its `KeyDefinitionList` always present).
pub(crate) fn view(p: &ContextProvider) -> iam::ContextProvider {
    iam::ContextProvider {
        subject_source_key: p.subject_source_key.clone(),
        subject_type_value: p.subject_type_value.clone(),
        subject_type_source_key: p.subject_type_source_key.clone(),
        key_definition_list: Some(
            p.key_definitions
                .iter()
                .map(|d| iam::ContextProviderKeyDefinition {
                    source_key: d.source_key.clone(),
                    target_key: d.target_key.clone(),
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// `for_create` on the members of a CreateOpenIDConnectProvider request.
    fn create(members: &Value) -> Result<Option<ContextProvider>, Error> {
        let mut request = members.clone();
        request["Url"] = json!("https://idp.example.com");
        let input: iam::CreateOpenIDConnectProviderInput = serde_json::from_value(request).unwrap();
        for_create(
            input.context_provider.as_ref(),
            input.identity_center_instance_arn.as_deref(),
        )
    }

    /// `for_update` on the members of an UpdateOpenIDConnectProvider request.
    fn update(members: &Value, required: bool) -> Result<Option<Option<ContextProvider>>, Error> {
        let mut request = members.clone();
        request["OpenIDConnectProviderArn"] =
            json!("arn:aws:iam::123456789012:oidc-provider/idp.example.com");
        let input: iam::UpdateOpenIDConnectProviderInput = serde_json::from_value(request).unwrap();
        for_update(
            input.context_provider.as_ref(),
            input.identity_center_instance_arn.as_deref(),
            input.remove_context_provider,
            input.remove_identity_center_instance,
            required,
        )
    }

    #[test]
    fn keys_follow_the_documented_alphabet() {
        for good in [
            "sub",
            "email address",
            "https://example.com/claims/x#1",
            "a@b=c+d-e",
        ] {
            assert!(is_valid_key(good), "{good}");
        }
        for bad in [
            " sub",
            "sub ",
            "two  spaces",
            "tab\tkey",
            "ünïcode",
            "semi;colon",
        ] {
            assert!(!is_valid_key(bad), "{bad}");
        }
    }

    #[test]
    fn create_reads_the_context_provider() {
        let v = json!({ "ContextProvider": {
            "SubjectSourceKey": "sub",
            "SubjectTypeValue": "user",
            "KeyDefinitionList": [{ "SourceKey": "email", "TargetKey": "Email" }, { "SourceKey": "team" }]
        }});
        let p = create(&v).unwrap().unwrap();
        assert_eq!(p.subject_source_key, "sub");
        assert_eq!(p.subject_type_value.as_deref(), Some("user"));
        assert_eq!(p.key_definitions.len(), 2);
        assert_eq!(p.key_definitions[1].target_key, None);
        let shown = view(&p);
        assert_eq!(
            shown.key_definition_list.unwrap()[0].target_key.as_deref(),
            Some("Email")
        );
        assert_eq!(shown.subject_type_value.as_deref(), Some("user"));
    }

    #[test]
    fn subject_type_value_and_source_key_exclude_each_other() {
        let v = json!({ "ContextProvider": {
            "SubjectSourceKey": "sub", "SubjectTypeValue": "user", "SubjectTypeSourceKey": "kind"
        }});
        let err = create(&v).unwrap_err().into_aws();
        assert_eq!(err.code(), "InvalidInput");
    }

    #[test]
    fn an_identity_center_instance_needs_a_context_provider_and_cannot_be_found() {
        let arn = "arn:aws:sso:::instance/ssoins-1234567890abcdef";
        let alone = json!({ "IdentityCenterInstanceArn": arn });
        let err = create(&alone).unwrap_err().into_aws();
        assert!(
            err.message().contains("requires a ContextProvider"),
            "{}",
            err.message()
        );
        let both = json!({ "IdentityCenterInstanceArn": arn, "ContextProvider": { "SubjectSourceKey": "sub" } });
        let err = create(&both).unwrap_err().into_aws();
        assert!(
            err.message().contains("cannot be found"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn update_rules() {
        let cp = json!({ "SubjectSourceKey": "sub" });
        let set = json!({ "ContextProvider": cp });
        assert!(matches!(update(&set, true).unwrap(), Some(Some(_))));
        let remove = json!({ "RemoveContextProvider": true });
        assert_eq!(update(&remove, true).unwrap(), Some(None));
        let nothing = json!({});
        assert!(update(&nothing, true).is_err());
        assert_eq!(update(&nothing, false).unwrap(), None);
        for bad in [
            json!({ "ContextProvider": cp, "RemoveContextProvider": true }),
            json!({ "IdentityCenterInstanceArn": "arn:aws:sso:::instance/ssoins-1", "RemoveIdentityCenterInstance": true }),
            json!({ "RemoveContextProvider": true, "RemoveIdentityCenterInstance": true }),
        ] {
            let err = update(&bad, true).unwrap_err().into_aws();
            assert_eq!(err.code(), "InvalidInput", "{bad}");
        }
        let remove_instance = json!({ "RemoveIdentityCenterInstance": true });
        assert_eq!(update(&remove_instance, true).unwrap(), None);
    }
}
