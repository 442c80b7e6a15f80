//! OpenID Connect identity providers: the external issuers whose ID tokens may be exchanged
//! for role sessions with AssumeRoleWithWebIdentity.
//!
//! The URL must be `https://` as in IAM; Portcullis also accepts `http://` on a loopback
//! address (`127.0.0.0/8`, `::1`, `localhost`) so that a local test issuer can be used (see
//! `auth::oidc` for where the keys come from). The ThumbprintList is optional, as IAM now
//! allows: Portcullis keeps and returns the thumbprints but does not use them.
//!
//! AWS's messages come from recorded IAM answers (LocalStack's AWS-validated snapshots of
//! `test_iam_oidc.py`, 2026): "Invalid Open ID Connect Provider URL" (ValidationError),
//! "Provider with url … already exists." (EntityAlreadyExists), "Thumbprint list must
//! contain fewer than 5 entries." (InvalidInput, for six), "Cannot exceed quota for
//! ClientIdsPerOpenIdConnectProvider: 100" (LimitExceeded), "OpenIDConnect Provider not
//! found for arn …" and "OpenId connect Provider … cannot be found." (NoSuchEntity, Get and
//! Delete), "The number of tags has reached the maximum limit." (LimitExceeded).

use super::context_provider;
use super::rules::{check_tags, merge_tags, over_quota};
use super::views;
use crate::auth::oidc::ProviderUrl;
use crate::call::Ctx;
use crate::call::input::Page;
use crate::error::Error;
use crate::time::now_millis;
use portcullis_protocol::Timestamp;
use portcullis_protocol::iam::{
    AddClientIDToOpenIDConnectProviderInput, CreateOpenIDConnectProviderInput,
    CreateOpenIDConnectProviderOutput, DeleteOpenIDConnectProviderInput,
    GetOpenIDConnectProviderInput, GetOpenIDConnectProviderOutput,
    ListOpenIDConnectProviderTagsInput, ListOpenIDConnectProviderTagsOutput,
    ListOpenIDConnectProvidersInput, ListOpenIDConnectProvidersOutput,
    OpenIDConnectProviderListEntry, RemoveClientIDFromOpenIDConnectProviderInput,
    TagOpenIDConnectProviderInput, UntagOpenIDConnectProviderInput,
    UpdateOpenIDConnectProviderInput, UpdateOpenIDConnectProviderThumbprintInput,
};
use portcullis_store::{Change, Entities, OidcProvider, Tag};

/// OpenID Connect providers per account (IAM and STS quotas).
pub(crate) const PROVIDERS_PER_ACCOUNT: usize = 100;
/// Client IDs per provider.
pub(crate) const CLIENT_IDS_PER_PROVIDER: usize = 100;
/// Thumbprints per provider.
pub(crate) const THUMBPRINTS_PER_PROVIDER: usize = 5;

/// The ARN of the provider at `url`: `arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH`.
pub(crate) fn provider_arn(account: &str, url_without_scheme: &str) -> String {
    format!("arn:aws:iam::{account}:oidc-provider/{url_without_scheme}")
}

/// The provider an IAM call acts on, for authorization: its ARN and tags (the ARN that
/// CreateOpenIDConnectProvider would give, for a provider that does not exist yet).
pub(crate) fn target(
    account: &str,
    arn: Option<&str>,
    url: Option<&str>,
    e: &Entities,
) -> Option<(String, Vec<Tag>)> {
    if let Some(arn) = arn {
        let tags = e
            .oidc_provider(arn)
            .map(|p| p.tags.clone())
            .unwrap_or_default();
        return Some((arn.to_string(), tags));
    }
    let parsed = ProviderUrl::parse(url?)?;
    Some((provider_arn(account, parsed.without_scheme), Vec::new()))
}

fn not_found(arn: &str) -> Error {
    Error::no_such_entity(format!("OpenIDConnect Provider not found for arn {arn}"))
}

/// The provider with this ARN, or IAM's NoSuchEntity.
pub(crate) fn find<'e>(e: &'e Entities, arn: &str) -> Result<&'e OidcProvider, Error> {
    e.oidc_provider(arn).ok_or_else(|| not_found(arn))
}

fn check_thumbprints<T>(list: &[T]) -> Result<(), Error> {
    if list.len() > THUMBPRINTS_PER_PROVIDER {
        return Err(Error::invalid_input(
            "Thumbprint list must contain fewer than 5 entries.",
        ));
    }
    Ok(())
}

fn client_id_quota() -> Error {
    over_quota("ClientIdsPerOpenIdConnectProvider", CLIENT_IDS_PER_PROVIDER)
}

/// The list without repeats, in order. Linear: a ClientIDList as long as a request can
/// carry (tens of thousands of members) must not cost a quadratic number of comparisons.
fn dedup<S: AsRef<str>>(list: Vec<S>) -> Vec<String> {
    let mut seen = std::collections::HashSet::with_capacity(list.len());
    list.iter()
        .map(AsRef::as_ref)
        .filter(|item| seen.insert(*item))
        .map(str::to_string)
        .collect()
}

/// CreateOpenIDConnectProvider.
pub(crate) async fn create_open_id_connect_provider(
    ctx: &Ctx<'_>,
    input: CreateOpenIDConnectProviderInput,
) -> Result<CreateOpenIDConnectProviderOutput, Error> {
    let url = input.url.as_str();
    let parsed = ProviderUrl::parse(url)
        .filter(ProviderUrl::is_acceptable)
        .ok_or_else(|| Error::validation("Invalid Open ID Connect Provider URL"))?;
    let thumbprints = input.thumbprint_list.unwrap_or_default();
    check_thumbprints(&thumbprints)?;
    let client_ids = dedup(input.client_id_list.unwrap_or_default());
    if client_ids.len() > CLIENT_IDS_PER_PROVIDER {
        return Err(client_id_quota());
    }
    let tags = views::stored_tags(input.tags);
    check_tags(&tags, true)?;
    let context_provider = context_provider::for_create(
        input.context_provider.as_ref(),
        input.identity_center_instance_arn.as_deref(),
    )?;
    let account = ctx.account();
    let provider = OidcProvider {
        arn: provider_arn(account, parsed.without_scheme),
        url: url.to_string(),
        client_ids,
        thumbprints,
        create_date: now_millis(),
        tags,
        context_provider,
    };
    ctx.app
        .write(|e| {
            if e.oidc_provider(&provider.arn).is_some() {
                return Err(Error::already_exists(format!(
                    "Provider with url {url} already exists."
                )));
            }
            if e.oidc_providers.len() >= PROVIDERS_PER_ACCOUNT {
                return Err(over_quota(
                    "OpenIdConnectProvidersPerAccount",
                    PROVIDERS_PER_ACCOUNT,
                ));
            }
            let out = CreateOpenIDConnectProviderOutput {
                open_id_connect_provider_arn: Some(provider.arn.clone()),
                tags: (!provider.tags.is_empty()).then(|| views::tags(&provider.tags)),
            };
            Ok((vec![Change::put(account, &provider)], out))
        })
        .await
}

/// GetOpenIDConnectProvider: the URL without its scheme, as IAM answers it.
pub(crate) fn get_open_id_connect_provider(
    ctx: &Ctx<'_>,
    input: GetOpenIDConnectProviderInput,
) -> Result<GetOpenIDConnectProviderOutput, Error> {
    ctx.app.read(|e| {
        let p = find(e, &input.open_id_connect_provider_arn)?;
        Ok(GetOpenIDConnectProviderOutput {
            url: Some(p.url_without_scheme().to_string()),
            client_id_list: Some(p.client_ids.clone()),
            thumbprint_list: Some(p.thumbprints.clone()),
            create_date: Some(Timestamp::from_millis(p.create_date)),
            tags: Some(views::tags(&p.tags)),
            context_provider: p.context_provider.as_ref().map(context_provider::view),
            identity_center_instance_arn: None,
            identity_store_arn: None,
        })
    })
}

/// ListOpenIDConnectProviders: every provider's ARN (IAM does not paginate it), and whether
/// trusted identity propagation is enabled (an Identity Center instance is associated,
/// which never happens here: Portcullis runs no Identity Center).
pub(crate) fn list_open_id_connect_providers(
    ctx: &Ctx<'_>,
    _input: ListOpenIDConnectProvidersInput,
) -> Result<ListOpenIDConnectProvidersOutput, Error> {
    ctx.app.read(|e| {
        let items = e
            .oidc_providers
            .keys()
            .map(|arn| OpenIDConnectProviderListEntry {
                arn: Some(arn.clone()),
                is_trusted_identity_propagation_enabled: Some(false),
            })
            .collect();
        Ok(ListOpenIDConnectProvidersOutput {
            open_id_connect_provider_list: Some(items),
        })
    })
}

/// DeleteOpenIDConnectProvider (not idempotent: a second delete is NoSuchEntity).
pub(crate) async fn delete_open_id_connect_provider(
    ctx: &Ctx<'_>,
    input: DeleteOpenIDConnectProviderInput,
) -> Result<(), Error> {
    let arn = input.open_id_connect_provider_arn.as_str();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let p = e.oidc_provider(arn).ok_or_else(|| {
                Error::no_such_entity(format!("OpenId connect Provider {arn} cannot be found."))
            })?;
            Ok((vec![Change::delete(account, p)], ()))
        })
        .await
}

/// Runs a change of the provider `arn`.
async fn update(
    ctx: &Ctx<'_>,
    arn: &str,
    change: impl FnOnce(&mut OidcProvider) -> Result<(), Error>,
) -> Result<(), Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut p = find(e, arn)?.clone();
            change(&mut p)?;
            Ok((vec![Change::put(account, &p)], ()))
        })
        .await
}

/// UpdateOpenIDConnectProviderThumbprint: replaces the whole list.
pub(crate) async fn update_open_id_connect_provider_thumbprint(
    ctx: &Ctx<'_>,
    input: UpdateOpenIDConnectProviderThumbprintInput,
) -> Result<(), Error> {
    let list = input.thumbprint_list;
    check_thumbprints(&list)?;
    update(ctx, &input.open_id_connect_provider_arn, |p| {
        p.thumbprints = list;
        Ok(())
    })
    .await
}

/// AddClientIDToOpenIDConnectProvider (adding a client ID already there changes nothing).
pub(crate) async fn add_client_id_to_open_id_connect_provider(
    ctx: &Ctx<'_>,
    input: AddClientIDToOpenIDConnectProviderInput,
) -> Result<(), Error> {
    let id = input.client_id;
    update(ctx, &input.open_id_connect_provider_arn, |p| {
        if p.client_ids.contains(&id) {
            return Ok(());
        }
        if p.client_ids.len() >= CLIENT_IDS_PER_PROVIDER {
            return Err(client_id_quota());
        }
        p.client_ids.push(id);
        Ok(())
    })
    .await
}

/// RemoveClientIDFromOpenIDConnectProvider (removing a client ID not there changes nothing).
pub(crate) async fn remove_client_id_from_open_id_connect_provider(
    ctx: &Ctx<'_>,
    input: RemoveClientIDFromOpenIDConnectProviderInput,
) -> Result<(), Error> {
    let id = input.client_id;
    update(ctx, &input.open_id_connect_provider_arn, |p| {
        p.client_ids.retain(|c| *c != id);
        Ok(())
    })
    .await
}

/// TagOpenIDConnectProvider.
pub(crate) async fn tag_open_id_connect_provider(
    ctx: &Ctx<'_>,
    input: TagOpenIDConnectProviderInput,
) -> Result<(), Error> {
    let new = views::stored_tags(Some(input.tags));
    update(ctx, &input.open_id_connect_provider_arn, |p| {
        p.tags =
            merge_tags(&p.tags, &new, "TagsPerOpenIdConnectProvider", true).map_err(
                |e| match e {
                    Error::Aws(a) if a.code() == "LimitExceeded" => {
                        Error::limit_exceeded("The number of tags has reached the maximum limit.")
                    }
                    other => other,
                },
            )?;
        Ok(())
    })
    .await
}

/// UntagOpenIDConnectProvider (keys compare without regard to case).
pub(crate) async fn untag_open_id_connect_provider(
    ctx: &Ctx<'_>,
    input: UntagOpenIDConnectProviderInput,
) -> Result<(), Error> {
    let keys = input.tag_keys;
    update(ctx, &input.open_id_connect_provider_arn, |p| {
        p.tags
            .retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
        Ok(())
    })
    .await
}

/// ListOpenIDConnectProviderTags, paginated.
pub(crate) fn list_open_id_connect_provider_tags(
    ctx: &Ctx<'_>,
    input: ListOpenIDConnectProviderTagsInput,
) -> Result<ListOpenIDConnectProviderTagsOutput, Error> {
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let tags = &find(e, &input.open_id_connect_provider_arn)?.tags;
        let keys: Vec<String> = (0..tags.len()).map(|i| format!("{i:08}")).collect();
        let (items, next) = page.take(keys.iter().map(String::as_str).zip(tags.iter()));
        let items: Vec<Tag> = items.into_iter().cloned().collect();
        Ok(ListOpenIDConnectProviderTagsOutput {
            tags: views::tags(&items),
            is_truncated: Some(next.is_some()),
            marker: next,
        })
    })
}

/// UpdateOpenIDConnectProvider: sets or removes the trusted identity propagation context
/// provider (see [`context_provider`] for the rules; thumbprints are not touched).
pub(crate) async fn update_open_id_connect_provider(
    ctx: &Ctx<'_>,
    input: UpdateOpenIDConnectProviderInput,
) -> Result<(), Error> {
    let change = context_provider::for_update(
        input.context_provider.as_ref(),
        input.identity_center_instance_arn.as_deref(),
        input.remove_context_provider,
        input.remove_identity_center_instance,
        true,
    )?;
    update(ctx, &input.open_id_connect_provider_arn, |p| {
        if let Some(new) = change {
            p.context_provider = new;
        }
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_providers_by_url() {
        assert_eq!(
            provider_arn("123456789012", "token.actions.githubusercontent.com"),
            "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
        );
        let mut e = Entities::default();
        let p = OidcProvider {
            arn: provider_arn("123456789012", "idp.example.com/t"),
            url: "https://idp.example.com/t".into(),
            client_ids: vec![],
            thumbprints: vec![],
            create_date: 0,
            tags: vec![Tag {
                key: "k".into(),
                value: "v".into(),
            }],
            context_provider: None,
        };
        e.apply(&Change::put("123456789012", &p)).unwrap();
        assert_eq!(
            target("123456789012", Some(&p.arn), None, &e),
            Some((p.arn.clone(), p.tags.clone()))
        );
        assert_eq!(
            target("123456789012", None, Some("http://127.0.0.1:9/x"), &e),
            Some((
                "arn:aws:iam::123456789012:oidc-provider/127.0.0.1:9/x".into(),
                vec![]
            ))
        );
        assert_eq!(target("123456789012", None, Some("nope"), &e), None);
        assert_eq!(target("123456789012", None, None, &e), None);
    }

    #[test]
    fn checks_lists() {
        assert!(check_thumbprints(&["a"; 5]).is_ok());
        let e = check_thumbprints(&["a"; 6]).unwrap_err().into_aws();
        assert_eq!(e.code(), "InvalidInput");
        assert_eq!(dedup(vec!["a", "b", "a"]), ["a", "b"]);
        assert_eq!(
            client_id_quota().into_aws().message(),
            "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100"
        );
    }
}
