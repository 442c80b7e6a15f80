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
use crate::call::input::paged;
use crate::error::Error;
use crate::time::{iso8601, now_millis};
use portcullis_store::{Change, Entities, OidcProvider, Tag};
use serde_json::{Value, json};

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
pub(crate) fn target(account: &str, input: &Value, e: &Entities) -> Option<(String, Vec<Tag>)> {
    if let Some(arn) = input
        .get("OpenIDConnectProviderArn")
        .and_then(Value::as_str)
    {
        let tags = e
            .oidc_provider(arn)
            .map(|p| p.tags.clone())
            .unwrap_or_default();
        return Some((arn.to_string(), tags));
    }
    let url = input.get("Url").and_then(Value::as_str)?;
    let parsed = ProviderUrl::parse(url)?;
    Some((provider_arn(account, parsed.without_scheme), Vec::new()))
}

fn not_found(arn: &str) -> Error {
    Error::no_such_entity(format!("OpenIDConnect Provider not found for arn {arn}"))
}

/// The provider with this ARN, or IAM's NoSuchEntity.
pub(crate) fn find<'e>(e: &'e Entities, arn: &str) -> Result<&'e OidcProvider, Error> {
    e.oidc_provider(arn).ok_or_else(|| not_found(arn))
}

fn check_thumbprints(list: &[&str]) -> Result<(), Error> {
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
fn dedup(list: Vec<&str>) -> Vec<String> {
    let mut seen = std::collections::HashSet::with_capacity(list.len());
    list.into_iter()
        .filter(|item| seen.insert(*item))
        .map(str::to_string)
        .collect()
}

/// CreateOpenIDConnectProvider.
pub(crate) async fn create(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let i = &ctx.input;
    let url = i.str("Url")?;
    let parsed = ProviderUrl::parse(url)
        .filter(ProviderUrl::is_acceptable)
        .ok_or_else(|| Error::validation("Invalid Open ID Connect Provider URL"))?;
    let thumbprints = i.str_list("ThumbprintList");
    check_thumbprints(&thumbprints)?;
    let client_ids = dedup(i.str_list("ClientIDList"));
    if client_ids.len() > CLIENT_IDS_PER_PROVIDER {
        return Err(client_id_quota());
    }
    let tags = i.tags("Tags");
    check_tags(&tags, true)?;
    let context_provider = context_provider::for_create(i)?;
    let account = ctx.account();
    let provider = OidcProvider {
        arn: provider_arn(account, parsed.without_scheme),
        url: url.to_string(),
        client_ids,
        thumbprints: thumbprints.iter().map(|t| t.to_string()).collect(),
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
            let mut out = json!({ "OpenIDConnectProviderArn": provider.arn });
            if !provider.tags.is_empty() {
                out["Tags"] = views::tags(&provider.tags);
            }
            Ok((vec![Change::put(account, &provider)], out))
        })
        .await
}

/// GetOpenIDConnectProvider: the URL without its scheme, as IAM answers it.
pub(crate) fn get(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("OpenIDConnectProviderArn")?;
    ctx.app.read(|e| {
        let p = find(e, arn)?;
        let mut out = json!({
            "Url": p.url_without_scheme(),
            "ClientIDList": p.client_ids,
            "ThumbprintList": p.thumbprints,
            "CreateDate": iso8601(p.create_date),
            "Tags": views::tags(&p.tags),
        });
        if let Some(cp) = &p.context_provider {
            out["ContextProvider"] = context_provider::view(cp);
        }
        Ok(out)
    })
}

/// ListOpenIDConnectProviders: every provider's ARN (IAM does not paginate it), and whether
/// trusted identity propagation is enabled (an Identity Center instance is associated,
/// which never happens here: Portcullis runs no Identity Center).
pub(crate) fn list(ctx: &Ctx<'_>) -> Result<Value, Error> {
    ctx.app.read(|e| {
        let items: Vec<Value> = e
            .oidc_providers
            .keys()
            .map(|arn| json!({ "Arn": arn, "IsTrustedIdentityPropagationEnabled": false }))
            .collect();
        Ok(json!({ "OpenIDConnectProviderList": items }))
    })
}

/// DeleteOpenIDConnectProvider (not idempotent: a second delete is NoSuchEntity).
pub(crate) async fn delete(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("OpenIDConnectProviderArn")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let p = e.oidc_provider(arn).ok_or_else(|| {
                Error::no_such_entity(format!("OpenId connect Provider {arn} cannot be found."))
            })?;
            Ok((vec![Change::delete(account, p)], json!({})))
        })
        .await
}

/// Runs a change of one provider.
async fn update(
    ctx: &Ctx<'_>,
    change: impl FnOnce(&mut OidcProvider) -> Result<(), Error>,
) -> Result<Value, Error> {
    let arn = ctx.input.str("OpenIDConnectProviderArn")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut p = find(e, arn)?.clone();
            change(&mut p)?;
            Ok((vec![Change::put(account, &p)], json!({})))
        })
        .await
}

/// UpdateOpenIDConnectProviderThumbprint: replaces the whole list.
pub(crate) async fn update_thumbprints(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let list = ctx.input.str_list("ThumbprintList");
    check_thumbprints(&list)?;
    update(ctx, |p| {
        p.thumbprints = list.iter().map(|t| t.to_string()).collect();
        Ok(())
    })
    .await
}

/// AddClientIDToOpenIDConnectProvider (adding a client ID already there changes nothing).
pub(crate) async fn add_client_id(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let id = ctx.input.str("ClientID")?;
    update(ctx, |p| {
        if p.client_ids.iter().any(|c| c == id) {
            return Ok(());
        }
        if p.client_ids.len() >= CLIENT_IDS_PER_PROVIDER {
            return Err(client_id_quota());
        }
        p.client_ids.push(id.to_string());
        Ok(())
    })
    .await
}

/// RemoveClientIDFromOpenIDConnectProvider (removing a client ID not there changes nothing).
pub(crate) async fn remove_client_id(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let id = ctx.input.str("ClientID")?;
    update(ctx, |p| {
        p.client_ids.retain(|c| c != id);
        Ok(())
    })
    .await
}

/// TagOpenIDConnectProvider.
pub(crate) async fn tag(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let new = ctx.input.tags("Tags");
    update(ctx, |p| {
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
pub(crate) async fn untag(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let keys = ctx.input.str_list("TagKeys");
    update(ctx, |p| {
        p.tags
            .retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
        Ok(())
    })
    .await
}

/// ListOpenIDConnectProviderTags, paginated.
pub(crate) fn list_tags(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("OpenIDConnectProviderArn")?;
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let tags = &find(e, arn)?.tags;
        let keys: Vec<String> = (0..tags.len()).map(|i| format!("{i:08}")).collect();
        let (items, next) = page.take(keys.iter().map(String::as_str).zip(tags.iter()));
        let items: Vec<Tag> = items.into_iter().cloned().collect();
        Ok(paged(json!({ "Tags": views::tags(&items) }), next))
    })
}

/// UpdateOpenIDConnectProvider: sets or removes the trusted identity propagation context
/// provider (see [`context_provider`] for the rules; thumbprints are not touched).
pub(crate) async fn update_configuration(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let change = context_provider::for_update(&ctx.input, true)?;
    update(ctx, |p| {
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
        let by_arn = json!({"OpenIDConnectProviderArn": p.arn});
        assert_eq!(
            target("123456789012", &by_arn, &e),
            Some((p.arn.clone(), p.tags.clone()))
        );
        let by_url = json!({"Url": "http://127.0.0.1:9/x"});
        assert_eq!(
            target("123456789012", &by_url, &e),
            Some((
                "arn:aws:iam::123456789012:oidc-provider/127.0.0.1:9/x".into(),
                vec![]
            ))
        );
        assert_eq!(target("123456789012", &json!({"Url": "nope"}), &e), None);
        assert_eq!(target("123456789012", &json!({}), &e), None);
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
