//! Account-wide settings: the account alias (CreateAccountAlias, DeleteAccountAlias,
//! ListAccountAliases), STS preferences (SetSecurityTokenServicePreferences), account
//! properties (GetAccountProperties, PutAccountProperties) and outbound identity federation
//! (EnableOutboundWebIdentityFederation, DisableOutboundWebIdentityFederation,
//! GetOutboundWebIdentityFederationInfo). They live in the account's one
//! [`AccountSettings`] record.

use super::rules::over_quota;
use crate::call::Ctx;
use crate::call::input::Page;
use crate::error::Error;
use portcullis_protocol::iam::{
    CreateAccountAliasInput, DeleteAccountAliasInput, DisableOutboundWebIdentityFederationInput,
    EnableOutboundWebIdentityFederationInput, EnableOutboundWebIdentityFederationOutput,
    GetAccountPropertiesInput, GetAccountPropertiesOutput,
    GetOutboundWebIdentityFederationInfoInput, GetOutboundWebIdentityFederationInfoOutput,
    IamErrorCode, ListAccountAliasesInput, ListAccountAliasesOutput, PutAccountPropertiesInput,
    PutAccountPropertiesOutput, SetSecurityTokenServicePreferencesInput,
};
use portcullis_store::{AccountSettings, Change};

/// Aliases per account (IAM and STS quotas).
pub(crate) const ALIASES_PER_ACCOUNT: usize = 1;

/// Commits a change of the settings record; `change` gives the answer.
async fn change_settings<T>(
    ctx: &Ctx<'_>,
    change: impl FnOnce(&mut AccountSettings) -> Result<T, Error>,
) -> Result<T, Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut settings = e.settings.clone();
            let out = change(&mut settings)?;
            Ok((vec![Change::put(account, &settings)], out))
        })
        .await
}

/// CreateAccountAlias: one per account (the pattern is checked against the model).
pub(crate) async fn create_account_alias(
    ctx: &Ctx<'_>,
    input: CreateAccountAliasInput,
) -> Result<(), Error> {
    let alias = input.account_alias.as_str();
    change_settings(ctx, |s| match &s.alias {
        Some(a) if a == alias => Err(Error::already_exists(format!(
            "The account alias {alias} already exists."
        ))),
        Some(_) => Err(over_quota("AccountAliasesPerAccount", ALIASES_PER_ACCOUNT)),
        None => {
            s.alias = Some(alias.to_string());
            Ok(())
        }
    })
    .await
}

/// DeleteAccountAlias.
pub(crate) async fn delete_account_alias(
    ctx: &Ctx<'_>,
    input: DeleteAccountAliasInput,
) -> Result<(), Error> {
    let alias = input.account_alias.as_str();
    change_settings(ctx, |s| {
        if s.alias.as_deref() != Some(alias) {
            return Err(Error::no_such_entity(format!(
                "The account alias {alias} cannot be found."
            )));
        }
        s.alias = None;
        Ok(())
    })
    .await
}

/// ListAccountAliases, paginated like every IAM list.
pub(crate) fn list_account_aliases(
    ctx: &Ctx<'_>,
    input: ListAccountAliasesInput,
) -> Result<ListAccountAliasesOutput, Error> {
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let (items, next) = page.take(e.settings.alias.iter().map(|a| (a.as_str(), a.clone())));
        Ok(ListAccountAliasesOutput {
            account_aliases: items,
            is_truncated: Some(next.is_some()),
            marker: next,
        })
    })
}

/// SetSecurityTokenServicePreferences: the version of tokens the global STS endpoint
/// issues (`v1Token`, valid only in Regions enabled by default; `v2Token`, valid in all).
/// GetAccountSummary reports it as GlobalEndpointTokenVersion (1 or 2).
pub(crate) async fn set_security_token_service_preferences(
    ctx: &Ctx<'_>,
    input: SetSecurityTokenServicePreferencesInput,
) -> Result<(), Error> {
    let version = input.global_endpoint_token_version;
    change_settings(ctx, |s| {
        s.global_endpoint_token_version = Some(version);
        Ok(())
    })
    .await
}

/// The GlobalEndpointTokenVersion of the account summary: 1 or 2.
pub(crate) fn token_version(s: &AccountSettings) -> usize {
    match s.global_endpoint_token_version.as_deref() {
        Some("v2Token") => 2,
        _ => 1,
    }
}

/// GetAccountProperties: every property set so far.
pub(crate) fn get_account_properties(
    ctx: &Ctx<'_>,
    _input: GetAccountPropertiesInput,
) -> Result<GetAccountPropertiesOutput, Error> {
    ctx.app.read(|e| {
        Ok(GetAccountPropertiesOutput {
            properties: Some(e.settings.properties.clone().into_iter().collect()),
        })
    })
}

/// Checks a property key: `Namespace/PropertyName`, exactly one `/`, neither at the start
/// nor at the end, 1 to 50 characters of `^[A-Za-z][A-Za-z0-9/_-]*$`; returns its namespace.
fn property_namespace(key: &str) -> Result<&str, Error> {
    let well_formed = (1..=50).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-'))
        && key.matches('/').count() == 1
        && !key.ends_with('/');
    if !well_formed {
        return Err(Error::invalid_input(format!(
            "Invalid account property key {key}: keys must have the form Namespace/PropertyName."
        )));
    }
    Ok(key.split_once('/').map_or(key, |(ns, _)| ns))
}

/// PutAccountProperties: every key of one request in the same namespace; values of 1 to
/// 1,024 characters.
pub(crate) async fn put_account_properties(
    ctx: &Ctx<'_>,
    input: PutAccountPropertiesInput,
) -> Result<PutAccountPropertiesOutput, Error> {
    let mut namespace: Option<&str> = None;
    for (key, value) in &input.properties {
        let ns = property_namespace(key)?;
        if namespace.is_some_and(|n| n != ns) {
            return Err(Error::invalid_input(
                "All properties in a request must belong to the same namespace.",
            ));
        }
        namespace = Some(ns);
        if !(1..=1024).contains(&value.chars().count()) {
            return Err(Error::invalid_input(format!(
                "Invalid value for account property {key}: values must have 1 to 1024 characters."
            )));
        }
    }
    change_settings(ctx, |s| {
        s.properties.extend(input.properties);
        Ok(PutAccountPropertiesOutput {})
    })
    .await
}

/// EnableOutboundWebIdentityFederation: generates the account's issuer URL (as AWS:
/// `https://UUID.tokens.sts.global.api.aws`) and turns the feature on.
pub(crate) async fn enable_outbound_web_identity_federation(
    ctx: &Ctx<'_>,
    _input: EnableOutboundWebIdentityFederationInput,
) -> Result<EnableOutboundWebIdentityFederationOutput, Error> {
    let issuer = format!("https://{}.tokens.sts.global.api.aws", uuid::Uuid::new_v4());
    change_settings(ctx, |s| {
        if s.outbound_issuer.is_some() {
            return Err(Error::aws(
                IamErrorCode::FeatureEnabled,
                "Outbound identity federation is already enabled for this account.",
            ));
        }
        s.outbound_issuer = Some(issuer.clone());
        Ok(EnableOutboundWebIdentityFederationOutput {
            issuer_identifier: Some(issuer),
        })
    })
    .await
}

/// IAM's FeatureDisabled while outbound identity federation is off.
fn outbound_disabled() -> Error {
    Error::aws(
        IamErrorCode::FeatureDisabled,
        "Outbound identity federation is disabled for this account.",
    )
}

/// DisableOutboundWebIdentityFederation.
pub(crate) async fn disable_outbound_web_identity_federation(
    ctx: &Ctx<'_>,
    _input: DisableOutboundWebIdentityFederationInput,
) -> Result<(), Error> {
    change_settings(ctx, |s| {
        if s.outbound_issuer.take().is_none() {
            return Err(outbound_disabled());
        }
        Ok(())
    })
    .await
}

/// GetOutboundWebIdentityFederationInfo.
pub(crate) fn get_outbound_web_identity_federation_info(
    ctx: &Ctx<'_>,
    _input: GetOutboundWebIdentityFederationInfoInput,
) -> Result<GetOutboundWebIdentityFederationInfoOutput, Error> {
    ctx.app.read(|e| match &e.settings.outbound_issuer {
        Some(issuer) => Ok(GetOutboundWebIdentityFederationInfoOutput {
            issuer_identifier: Some(issuer.clone()),
            jwt_vending_enabled: Some(true),
        }),
        None => Err(outbound_disabled()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_property_keys() {
        assert_eq!(
            property_namespace("RoleManager/Enabled").unwrap(),
            "RoleManager"
        );
        for bad in [
            "NoSlash",
            "/Lead",
            "Trail/",
            "Two/Sla/shes",
            "9Digit/x",
            "Sp ace/x",
        ] {
            let e = property_namespace(bad).unwrap_err().into_aws();
            assert_eq!(e.code(), "InvalidInput", "{bad}");
        }
        assert!(property_namespace(&format!("A/{}", "b".repeat(49))).is_err());
    }

    #[test]
    fn reports_the_token_version() {
        let mut s = AccountSettings::default();
        assert_eq!(token_version(&s), 1);
        s.global_endpoint_token_version = Some("v2Token".into());
        assert_eq!(token_version(&s), 2);
    }
}
