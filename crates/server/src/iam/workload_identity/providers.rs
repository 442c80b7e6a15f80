//! Workload identity providers: CreateWorkloadIdentityProvider, GetWorkloadIdentityProvider,
//! ListWorkloadIdentityProviders, DeleteWorkloadIdentityProvider,
//! GetWorkloadIdentityProviderDeletionStatus, the resource policy (Put/Get/Delete), the tags
//! (Tag/Untag/List), and the outbound signer operations (in [`super::signers`]).
//!
//! - ARNs are `arn:aws:iam::ACCOUNT:workload-identity-provider/NAME`, provider IDs `AWPA`
//!   and 17 random characters (21 in all, as IAM IDs). Names are unique as spelled.
//! - A Portcullis account is standalone, in no AWS Organization. `ResourceScope`
//!   `ORGANIZATION` (on Create and List) is therefore answered with the text IAM gives an
//!   account in no organization ("The request was rejected because no organization is
//!   associated with your account."), under InvalidInput: OrganizationNotFoundException is
//!   not among the errors these operations model, and InvalidInput is the closest that is.
//! - `Scheme` `SPIFFE` needs a `WorkloadIdentityDomain`; `NONE` must not have one
//!   (InvalidInput).
//! - Each provider gets one JWT signer per supported algorithm at creation
//!   ([`super::jwt_signers`]). Its `OidcIssuerUri` is
//!   `{issuer}/workload-identity/{ProviderId}` and its `BundleEndpointUrl` that and
//!   `/bundle`, where `{issuer}` is the server's own OpenID Connect issuer URL
//!   (`--issuer-url`, by default `http://ADDR/oidc`): the documents live under the one
//!   public base URL the server already has. (Serving them is not done here.)
//! - Delete refuses (DeleteConflict) while a workload identity template refers to the
//!   provider or while it has X.509 signers, deletes at once otherwise, and records the
//!   deletion (status SUCCEEDED) under a new task ID readable for 24 hours.
//! - The resource policy is validated as a resource-based policy
//!   (MalformedPolicyDocument); IAM documents no size for it below the model's 131072, so
//!   Portcullis applies [`RESOURCE_POLICY_CHARS`] non-whitespace characters, the limit of
//!   a managed policy document (LimitExceeded beyond).
//! - Tag keys are case sensitive (see [`super::tags`]): a tag whose key differs only in case from one in the
//!   request or on the provider is refused (InvalidInput); at most 50 tags; `aws:` keys
//!   are reserved.
//! - At most [`PROVIDERS_PER_ACCOUNT`] providers (LimitExceeded): IAM documents no quota.
//!
//! IAM's exact messages for these operations are not known: the wording of every message
//! here is Portcullis's, in IAM's style.

use super::signers;
use super::tags;
use crate::app::App;
use crate::call::Ctx;
use crate::call::input::Page;
use crate::error::Error;
use crate::iam::rules::{check_policy, check_tags, over_quota, policy_size};
use crate::iam::views;
use crate::secrets::unique_id;
use crate::time::now_millis;
use portcullis_policy::PolicyKind;
use portcullis_protocol::Timestamp;
use portcullis_protocol::iam::{
    CreateWorkloadIdentityProviderInput, CreateWorkloadIdentityProviderOutput,
    DeleteWorkloadIdentityProviderInput, DeleteWorkloadIdentityProviderOutput,
    DeleteWorkloadIdentityProviderResourcePolicyInput,
    DeleteWorkloadIdentityProviderResourcePolicyOutput,
    GetWorkloadIdentityProviderDeletionStatusInput,
    GetWorkloadIdentityProviderDeletionStatusOutput, GetWorkloadIdentityProviderInput,
    GetWorkloadIdentityProviderOutput, GetWorkloadIdentityProviderResourcePolicyInput,
    GetWorkloadIdentityProviderResourcePolicyOutput, ListWorkloadIdentityProviderTagsInput,
    ListWorkloadIdentityProviderTagsOutput, ListWorkloadIdentityProvidersInput,
    ListWorkloadIdentityProvidersOutput, PutWorkloadIdentityProviderResourcePolicyInput,
    PutWorkloadIdentityProviderResourcePolicyOutput, TagWorkloadIdentityProviderInput,
    UntagWorkloadIdentityProviderInput, WorkloadIdentityJwtOutboundSignerDetail,
    WorkloadIdentityJwtSignerConfiguration, WorkloadIdentityOutboundSigners,
    WorkloadIdentityProviderListEntry,
};
use portcullis_store::{Change, Entities, WorkloadIdentityProvider, WorkloadProviderDeletion};

/// Providers per account: IAM documents no quota, so Portcullis sets this one.
pub(crate) const PROVIDERS_PER_ACCOUNT: usize = 100;

/// The largest resource policy, in characters other than whitespace (as a managed policy).
pub(crate) const RESOURCE_POLICY_CHARS: usize = 6144;

/// How long a deletion task can be read after the delete (24 hours, in milliseconds).
pub(crate) const DELETION_TASK_MILLIS: i64 = 24 * 3600 * 1000;

/// `arn:aws:iam::ACCOUNT:workload-identity-provider/NAME`.
pub(crate) fn provider_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:workload-identity-provider/{name}")
}

/// The answer to `ResourceScope` `ORGANIZATION`: the account is in no organization.
pub(super) fn no_organization() -> Error {
    Error::invalid_input(
        "The request was rejected because no organization is associated with your account.",
    )
}

fn not_found(arn: &str) -> Error {
    Error::no_such_entity(format!(
        "The workload identity provider with ARN {arn} cannot be found."
    ))
}

/// The provider with this ARN, or NoSuchEntity.
pub(crate) fn find<'e>(e: &'e Entities, arn: &str) -> Result<&'e WorkloadIdentityProvider, Error> {
    e.workload_providers.get(arn).ok_or_else(|| not_found(arn))
}

/// The provider's OpenID Connect issuer URI: `{issuer}/workload-identity/{ProviderId}`
/// (the `iss` of the JWT-SVIDs it issues).
pub(crate) fn oidc_issuer_uri(app: &App, p: &WorkloadIdentityProvider) -> String {
    format!("{}/workload-identity/{}", app.issuer.url(), p.id)
}

/// The provider's SPIFFE trust bundle endpoint: its issuer URI and `/bundle`.
pub(crate) fn bundle_endpoint_url(app: &App, p: &WorkloadIdentityProvider) -> String {
    format!("{}/bundle", oidc_issuer_uri(app, p))
}

/// The members every view of a provider has (ListWorkloadIdentityProviders' entry).
fn summary(p: &WorkloadIdentityProvider) -> WorkloadIdentityProviderListEntry {
    WorkloadIdentityProviderListEntry {
        arn: p.arn.clone(),
        provider_name: p.name.clone(),
        provider_id: p.id.clone(),
        resource_scope: p.scope.clone(),
        scheme: p.scheme.clone(),
        create_date: Timestamp::from_millis(p.create_date),
        description: p.description.clone(),
        workload_identity_domain: p.domain.clone(),
    }
}

/// The whole provider, as Get answers it (and Create, through [`created`]).
fn detail(app: &App, p: &WorkloadIdentityProvider, now: i64) -> GetWorkloadIdentityProviderOutput {
    let WorkloadIdentityProviderListEntry {
        arn,
        create_date,
        description,
        provider_id,
        provider_name,
        resource_scope,
        scheme,
        workload_identity_domain,
    } = summary(p);
    let jwt = p
        .jwt_signers
        .iter()
        .map(|s| WorkloadIdentityJwtOutboundSignerDetail {
            signing_algorithm: Some(s.signing_algorithm.clone()),
            configuration: Some(WorkloadIdentityJwtSignerConfiguration {
                key_algorithm: s.key_algorithm.clone(),
            }),
            start_signing_time: Some(Timestamp::from_millis(s.start_signing_time)),
        })
        .collect();
    GetWorkloadIdentityProviderOutput {
        arn,
        create_date,
        description,
        outbound_signers: Some(WorkloadIdentityOutboundSigners {
            x509: Some(signers::x509_details(p, now)),
            jwt: Some(jwt),
            oidc_issuer_uri: Some(oidc_issuer_uri(app, p)),
            bundle_endpoint_url: Some(bundle_endpoint_url(app, p)),
        }),
        provider_id,
        provider_name,
        resource_scope,
        scheme,
        tags: (!p.tags.is_empty()).then(|| views::tags(&p.tags)),
        workload_identity_domain,
    }
}

/// The whole provider as Create answers it: the same members as Get.
fn created(d: GetWorkloadIdentityProviderOutput) -> CreateWorkloadIdentityProviderOutput {
    let GetWorkloadIdentityProviderOutput {
        arn,
        create_date,
        description,
        outbound_signers,
        provider_id,
        provider_name,
        resource_scope,
        scheme,
        tags,
        workload_identity_domain,
    } = d;
    CreateWorkloadIdentityProviderOutput {
        arn,
        create_date,
        description,
        outbound_signers,
        provider_id,
        provider_name,
        resource_scope,
        scheme,
        tags,
        workload_identity_domain,
    }
}

/// The scope asked for (ACCOUNT when not given); ORGANIZATION is refused.
fn account_scope(resource_scope: Option<&str>) -> Result<&'static str, Error> {
    match resource_scope {
        None | Some("ACCOUNT") => Ok("ACCOUNT"),
        Some(_) => Err(no_organization()),
    }
}

/// CreateWorkloadIdentityProvider.
pub(crate) async fn create_workload_identity_provider(
    ctx: &Ctx<'_>,
    input: CreateWorkloadIdentityProviderInput,
) -> Result<CreateWorkloadIdentityProviderOutput, Error> {
    let name = input.provider_name.as_str();
    let scheme = input.scheme.as_str();
    let scope = account_scope(input.resource_scope.as_deref())?;
    let domain = input.workload_identity_domain.as_deref();
    match (scheme, domain) {
        ("SPIFFE", None) => {
            return Err(Error::invalid_input(
                "WorkloadIdentityDomain is required when Scheme is SPIFFE.",
            ));
        }
        ("NONE", Some(_)) => {
            return Err(Error::invalid_input(
                "WorkloadIdentityDomain must not be specified when Scheme is NONE.",
            ));
        }
        _ => {}
    }
    let tags = views::stored_tags(input.tags);
    check_tags(&tags, true)?;
    let account = ctx.account();
    let arn = provider_arn(account, name);
    let check = |e: &Entities| {
        if e.workload_providers.contains_key(&arn) {
            return Err(Error::already_exists(format!(
                "A workload identity provider named {name} already exists."
            )));
        }
        if e.workload_providers.len() >= PROVIDERS_PER_ACCOUNT {
            return Err(over_quota(
                "WorkloadIdentityProvidersPerAccount",
                PROVIDERS_PER_ACCOUNT,
            ));
        }
        Ok(())
    };
    // Making the keys takes a while: refuse what is bound to fail first.
    ctx.app.read(check)?;
    let now = now_millis();
    let jwt_signers = super::jwt_signers::new_signers(&ctx.app.server_key, now).await?;
    let provider = WorkloadIdentityProvider {
        arn: arn.clone(),
        name: name.to_string(),
        id: unique_id("AWPA", 17),
        scope: scope.to_string(),
        scheme: scheme.to_string(),
        domain: domain.map(str::to_string),
        description: input.description,
        jwt_signers,
        x509_signers: Vec::new(),
        resource_policy: None,
        create_date: now,
        tags,
    };
    let out = created(detail(ctx.app, &provider, now));
    ctx.app
        .write(|e| {
            check(e)?;
            Ok((vec![Change::put(account, &provider)], out))
        })
        .await
}

/// GetWorkloadIdentityProvider.
pub(crate) fn get_workload_identity_provider(
    ctx: &Ctx<'_>,
    input: GetWorkloadIdentityProviderInput,
) -> Result<GetWorkloadIdentityProviderOutput, Error> {
    let arn = &input.workload_identity_provider_arn;
    let now = now_millis();
    ctx.app.read(|e| Ok(detail(ctx.app, find(e, arn)?, now)))
}

/// ListWorkloadIdentityProviders, paginated, in ARN order.
pub(crate) fn list_workload_identity_providers(
    ctx: &Ctx<'_>,
    input: ListWorkloadIdentityProvidersInput,
) -> Result<ListWorkloadIdentityProvidersOutput, Error> {
    account_scope(input.resource_scope.as_deref())?;
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let (items, next) = page.take(
            e.workload_providers
                .iter()
                .map(|(arn, p)| (arn.as_str(), summary(p))),
        );
        Ok(ListWorkloadIdentityProvidersOutput {
            workload_identity_providers: items,
            is_truncated: Some(next.is_some()),
            marker: next,
        })
    })
}

/// DeleteWorkloadIdentityProvider: refused while templates refer to it or X.509 signers
/// remain; answers the task ID of the deletion, which has already succeeded.
pub(crate) async fn delete_workload_identity_provider(
    ctx: &Ctx<'_>,
    input: DeleteWorkloadIdentityProviderInput,
) -> Result<DeleteWorkloadIdentityProviderOutput, Error> {
    let arn = &input.workload_identity_provider_arn;
    let account = ctx.account();
    let now = now_millis();
    ctx.app
        .write(|e| {
            let p = find(e, arn)?;
            if e.workload_templates.values().any(|t| t.provider_arn == p.arn) {
                return Err(Error::delete_conflict(
                    "Cannot delete entity, must delete the workload identity templates that reference it first.",
                ));
            }
            if !p.x509_signers.is_empty() {
                return Err(Error::delete_conflict(
                    "Cannot delete entity, must delete its X.509 outbound signers first.",
                ));
            }
            let deletion = WorkloadProviderDeletion {
                id: uuid::Uuid::new_v4().to_string(),
                provider_arn: p.arn.clone(),
                status: "SUCCEEDED".to_string(),
                create_date: now,
            };
            let mut changes = vec![Change::delete(account, p), Change::put(account, &deletion)];
            // Deletion tasks past their 24 hours are forgotten.
            changes.extend(
                e.workload_provider_deletions
                    .values()
                    .filter(|d| !readable(d, now))
                    .map(|d| Change::delete(account, d)),
            );
            Ok((
                changes,
                DeleteWorkloadIdentityProviderOutput {
                    deletion_task_id: Some(deletion.id),
                },
            ))
        })
        .await
}

/// Whether a deletion task can still be read at `now`.
fn readable(d: &WorkloadProviderDeletion, now: i64) -> bool {
    now < d.create_date + DELETION_TASK_MILLIS
}

/// GetWorkloadIdentityProviderDeletionStatus: NoSuchEntity for an unknown or expired task.
pub(crate) fn get_workload_identity_provider_deletion_status(
    ctx: &Ctx<'_>,
    input: GetWorkloadIdentityProviderDeletionStatusInput,
) -> Result<GetWorkloadIdentityProviderDeletionStatusOutput, Error> {
    let id = &input.deletion_task_id;
    let now = now_millis();
    ctx.app
        .read(|e| match e.workload_provider_deletions.get(id) {
            Some(d) if readable(d, now) => Ok(GetWorkloadIdentityProviderDeletionStatusOutput {
                workload_identity_provider_arn: d.provider_arn.clone(),
                status: d.status.clone(),
            }),
            _ => Err(Error::no_such_entity(format!(
                "The deletion task with ID {id} cannot be found."
            ))),
        })
}

/// Runs a change of the provider with ARN `arn`.
pub(super) async fn change(
    ctx: &Ctx<'_>,
    arn: &str,
    f: impl FnOnce(&mut WorkloadIdentityProvider) -> Result<(), Error>,
) -> Result<(), Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let before = find(e, arn)?;
            let mut p = before.clone();
            f(&mut p)?;
            let changes = if p == *before {
                Vec::new()
            } else {
                vec![Change::put(account, &p)]
            };
            Ok((changes, ()))
        })
        .await
}

/// PutWorkloadIdentityProviderResourcePolicy: replaces the policy, validated as a
/// resource-based policy.
pub(crate) async fn put_workload_identity_provider_resource_policy(
    ctx: &Ctx<'_>,
    input: PutWorkloadIdentityProviderResourcePolicyInput,
) -> Result<PutWorkloadIdentityProviderResourcePolicyOutput, Error> {
    let document = input.policy_document;
    if policy_size(&document) > RESOURCE_POLICY_CHARS {
        return Err(over_quota(
            "WorkloadIdentityProviderResourcePolicySize",
            RESOURCE_POLICY_CHARS,
        ));
    }
    check_policy(&document, PolicyKind::Resource, None)?;
    change(ctx, &input.workload_identity_provider_arn, |p| {
        p.resource_policy = Some(document);
        Ok(())
    })
    .await?;
    Ok(PutWorkloadIdentityProviderResourcePolicyOutput {})
}

fn no_policy(arn: &str) -> Error {
    Error::no_such_entity(format!(
        "The workload identity provider with ARN {arn} has no resource policy."
    ))
}

/// GetWorkloadIdentityProviderResourcePolicy: NoSuchEntity when the provider has none.
pub(crate) fn get_workload_identity_provider_resource_policy(
    ctx: &Ctx<'_>,
    input: GetWorkloadIdentityProviderResourcePolicyInput,
) -> Result<GetWorkloadIdentityProviderResourcePolicyOutput, Error> {
    let arn = &input.workload_identity_provider_arn;
    ctx.app.read(|e| {
        let p = find(e, arn)?;
        let document = p.resource_policy.as_ref().ok_or_else(|| no_policy(arn))?;
        Ok(GetWorkloadIdentityProviderResourcePolicyOutput {
            arn: p.arn.clone(),
            policy_document: document.clone(),
        })
    })
}

/// DeleteWorkloadIdentityProviderResourcePolicy: NoSuchEntity when the provider has none.
pub(crate) async fn delete_workload_identity_provider_resource_policy(
    ctx: &Ctx<'_>,
    input: DeleteWorkloadIdentityProviderResourcePolicyInput,
) -> Result<DeleteWorkloadIdentityProviderResourcePolicyOutput, Error> {
    change(ctx, &input.workload_identity_provider_arn, |p| {
        match p.resource_policy.take() {
            Some(_) => Ok(()),
            None => Err(no_policy(&p.arn)),
        }
    })
    .await?;
    Ok(DeleteWorkloadIdentityProviderResourcePolicyOutput {})
}

/// TagWorkloadIdentityProvider.
pub(crate) async fn tag_workload_identity_provider(
    ctx: &Ctx<'_>,
    input: TagWorkloadIdentityProviderInput,
) -> Result<(), Error> {
    let new = views::stored_tags(Some(input.tags));
    change(ctx, &input.workload_identity_provider_arn, |p| {
        p.tags = tags::add(&p.tags, &new, "TagsPerWorkloadIdentityProvider")?;
        Ok(())
    })
    .await
}

/// UntagWorkloadIdentityProvider (keys as spelled; keys not attached are ignored).
pub(crate) async fn untag_workload_identity_provider(
    ctx: &Ctx<'_>,
    input: UntagWorkloadIdentityProviderInput,
) -> Result<(), Error> {
    let keys = input.tag_keys;
    change(ctx, &input.workload_identity_provider_arn, |p| {
        p.tags.retain(|t| !keys.contains(&t.key));
        Ok(())
    })
    .await
}

/// ListWorkloadIdentityProviderTags, paginated.
pub(crate) fn list_workload_identity_provider_tags(
    ctx: &Ctx<'_>,
    input: ListWorkloadIdentityProviderTagsInput,
) -> Result<ListWorkloadIdentityProviderTagsOutput, Error> {
    let arn = &input.workload_identity_provider_arn;
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    let (tags, next) = ctx
        .app
        .read(|e| find(e, arn).map(|p| tags::list(&page, &p.tags)))?;
    Ok(ListWorkloadIdentityProviderTagsOutput {
        tags,
        is_truncated: Some(next.is_some()),
        marker: next,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::caller::Caller;
    use crate::config::Config;
    use serde_json::{Value, json};

    /// An App in memory.
    pub(crate) async fn app() -> App {
        App::open(Config::in_memory(false)).await.unwrap().0
    }

    /// Runs an operation as root.
    pub(crate) async fn run(app: &App, op: &str, input: Value) -> Result<Value, Error> {
        let caller = Caller::test_root();
        let ctx = Ctx {
            app,
            caller: &caller,
        };
        crate::iam::call(op, &ctx, &input)
            .await
            .expect("a provider operation")
    }

    /// The error code and message of a failed operation.
    pub(crate) async fn fails(app: &App, op: &str, input: Value) -> (String, String) {
        let e = run(app, op, input).await.unwrap_err().into_aws();
        (e.code().to_string(), e.message().to_string())
    }

    /// Creates a provider `name` (scheme NONE) and returns its ARN.
    pub(crate) async fn provider(app: &App, name: &str) -> String {
        let out = run(
            app,
            "CreateWorkloadIdentityProvider",
            json!({"ProviderName": name, "Scheme": "NONE"}),
        )
        .await
        .unwrap();
        out["Arn"].as_str().unwrap().to_string()
    }

    #[tokio::test]
    async fn creates_reads_and_lists_providers() {
        let app = app().await;
        let out = run(
            &app,
            "CreateWorkloadIdentityProvider",
            json!({"ProviderName": "PaymentsProd", "Scheme": "SPIFFE",
                   "WorkloadIdentityDomain": "example.org", "Description": "payments",
                   "Tags": [{"Key": "team", "Value": "pay"}]}),
        )
        .await
        .unwrap();
        let arn = provider_arn(app.account_id(), "PaymentsProd");
        assert_eq!(out["Arn"], arn);
        assert_eq!(out["ResourceScope"], "ACCOUNT");
        let id = out["ProviderId"].as_str().unwrap();
        assert!(id.starts_with("AWPA") && id.len() == 21, "{id}");
        assert_eq!(out["WorkloadIdentityDomain"], "example.org");
        assert_eq!(out["Description"], "payments");
        let signers = &out["OutboundSigners"];
        assert_eq!(signers["X509"], json!([]));
        assert_eq!(signers["Jwt"][0]["SigningAlgorithm"], "RS256");
        assert_eq!(
            signers["Jwt"][1]["Configuration"]["KeyAlgorithm"],
            "ECC_NIST_P384"
        );
        assert_eq!(
            signers["OidcIssuerUri"],
            format!("{}/workload-identity/{id}", app.issuer.url())
        );
        assert_eq!(
            signers["BundleEndpointUrl"],
            format!("{}/workload-identity/{id}/bundle", app.issuer.url())
        );
        assert_eq!(out["Tags"][0]["Key"], "team");

        let got = run(
            &app,
            "GetWorkloadIdentityProvider",
            json!({"WorkloadIdentityProviderArn": arn}),
        )
        .await
        .unwrap();
        assert_eq!(got, out);

        provider(&app, "Another").await;
        let page = run(
            &app,
            "ListWorkloadIdentityProviders",
            json!({"MaxItems": 1}),
        )
        .await
        .unwrap();
        assert_eq!(page["IsTruncated"], true);
        assert_eq!(
            page["WorkloadIdentityProviders"][0]["ProviderName"],
            "Another"
        );
        assert!(
            page["WorkloadIdentityProviders"][0]
                .get("OutboundSigners")
                .is_none()
        );
        let rest = run(
            &app,
            "ListWorkloadIdentityProviders",
            json!({"Marker": page["Marker"]}),
        )
        .await
        .unwrap();
        assert_eq!(rest["IsTruncated"], false);
        assert_eq!(rest["WorkloadIdentityProviders"][0]["Arn"], arn);
    }

    #[tokio::test]
    async fn refuses_bad_creates() {
        let app = app().await;
        let create = "CreateWorkloadIdentityProvider";
        let (code, msg) = fails(
            &app,
            create,
            json!({"ProviderName": "a", "Scheme": "SPIFFE"}),
        )
        .await;
        assert_eq!(code, "InvalidInput");
        assert!(msg.contains("WorkloadIdentityDomain is required"), "{msg}");
        let (code, _) = fails(
            &app,
            create,
            json!({"ProviderName": "a", "Scheme": "NONE", "WorkloadIdentityDomain": "x.org"}),
        )
        .await;
        assert_eq!(code, "InvalidInput");
        let (code, msg) = fails(
            &app,
            create,
            json!({"ProviderName": "a", "Scheme": "NONE", "ResourceScope": "ORGANIZATION"}),
        )
        .await;
        assert_eq!(code, "InvalidInput");
        assert!(msg.contains("no organization"), "{msg}");
        let (code, _) = fails(
            &app,
            "ListWorkloadIdentityProviders",
            json!({"ResourceScope": "ORGANIZATION"}),
        )
        .await;
        assert_eq!(code, "InvalidInput");
        let (code, _) = fails(
            &app,
            create,
            json!({"ProviderName": "a", "Scheme": "NONE",
                   "Tags": [{"Key": "aws:x", "Value": "v"}]}),
        )
        .await;
        assert_eq!(code, "InvalidInput");
        provider(&app, "a").await;
        let (code, msg) = fails(&app, create, json!({"ProviderName": "a", "Scheme": "NONE"})).await;
        assert_eq!(code, "EntityAlreadyExists");
        assert_eq!(msg, "A workload identity provider named a already exists.");
    }

    #[tokio::test]
    async fn deletes_and_reports_the_deletion() {
        let app = app().await;
        let arn = provider(&app, "gone").await;
        let input = json!({"WorkloadIdentityProviderArn": arn});
        let out = run(&app, "DeleteWorkloadIdentityProvider", input.clone())
            .await
            .unwrap();
        let task = out["DeletionTaskId"].as_str().unwrap().to_string();
        let status = run(
            &app,
            "GetWorkloadIdentityProviderDeletionStatus",
            json!({"DeletionTaskId": task}),
        )
        .await
        .unwrap();
        assert_eq!(
            status,
            json!({"WorkloadIdentityProviderArn": arn, "Status": "SUCCEEDED"})
        );
        let (code, _) = fails(&app, "DeleteWorkloadIdentityProvider", input.clone()).await;
        assert_eq!(code, "NoSuchEntity");
        let (code, _) = fails(&app, "GetWorkloadIdentityProvider", input).await;
        assert_eq!(code, "NoSuchEntity");
        let (code, _) = fails(
            &app,
            "GetWorkloadIdentityProviderDeletionStatus",
            json!({"DeletionTaskId": "nope"}),
        )
        .await;
        assert_eq!(code, "NoSuchEntity");
        // A task is readable for 24 hours only.
        let d = WorkloadProviderDeletion {
            id: "t".into(),
            provider_arn: arn.clone(),
            status: "SUCCEEDED".into(),
            create_date: 1_000,
        };
        assert!(readable(&d, 1_000 + DELETION_TASK_MILLIS - 1));
        assert!(!readable(&d, 1_000 + DELETION_TASK_MILLIS));
    }

    #[tokio::test]
    async fn templates_hold_their_provider() {
        let app = app().await;
        let arn = provider(&app, "held").await;
        let template = portcullis_store::WorkloadIdentityTemplate {
            arn: format!(
                "arn:aws:iam::{}:workload-identity-template/t",
                app.account_id()
            ),
            name: "t".into(),
            id: "AWTAEXAMPLE0000000000".into(),
            scope: "ACCOUNT".into(),
            provider_arn: arn.clone(),
            description: None,
            path_prefix: None,
            path_pattern: "/x".into(),
            attestation_policy: None,
            create_date: 0,
            tags: vec![],
        };
        let account = app.account_id().to_string();
        app.write(|_| Ok((vec![Change::put(&account, &template)], ())))
            .await
            .unwrap();
        let (code, _) = fails(
            &app,
            "DeleteWorkloadIdentityProvider",
            json!({"WorkloadIdentityProviderArn": arn}),
        )
        .await;
        assert_eq!(code, "DeleteConflict");
    }

    #[tokio::test]
    async fn keeps_a_resource_policy() {
        let app = app().await;
        let arn = provider(&app, "p").await;
        let input = json!({"WorkloadIdentityProviderArn": arn});
        let (code, _) = fails(
            &app,
            "GetWorkloadIdentityProviderResourcePolicy",
            input.clone(),
        )
        .await;
        assert_eq!(code, "NoSuchEntity");
        let policy = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::111122223333:root"}},"Action":"iam:AssociateWorkloadIdentityTemplate","Resource":"{arn}"}}]}}"#
        );
        let mut put = input.clone();
        put["PolicyDocument"] = json!(policy);
        run(&app, "PutWorkloadIdentityProviderResourcePolicy", put)
            .await
            .unwrap();
        let got = run(
            &app,
            "GetWorkloadIdentityProviderResourcePolicy",
            input.clone(),
        )
        .await
        .unwrap();
        assert_eq!(got, json!({"Arn": arn, "PolicyDocument": policy}));
        // A resource policy needs a Principal.
        let mut bad = input.clone();
        bad["PolicyDocument"] = json!(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#
        );
        let (code, _) = fails(&app, "PutWorkloadIdentityProviderResourcePolicy", bad).await;
        assert_eq!(code, "MalformedPolicyDocument");
        let mut big = input.clone();
        big["PolicyDocument"] = json!(format!(
            "{{\"Sid\":\"{}\"}}",
            "x".repeat(RESOURCE_POLICY_CHARS)
        ));
        let (code, _) = fails(&app, "PutWorkloadIdentityProviderResourcePolicy", big).await;
        assert_eq!(code, "LimitExceeded");
        run(
            &app,
            "DeleteWorkloadIdentityProviderResourcePolicy",
            input.clone(),
        )
        .await
        .unwrap();
        let (code, _) = fails(&app, "DeleteWorkloadIdentityProviderResourcePolicy", input).await;
        assert_eq!(code, "NoSuchEntity");
    }

    #[tokio::test]
    async fn tags_untags_and_lists_tags() {
        let app = app().await;
        let arn = provider(&app, "tagged").await;
        let input = json!({"WorkloadIdentityProviderArn": arn});
        let mut tag_in = input.clone();
        tag_in["Tags"] = json!([{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}, {"Key": "c", "Value": "3"}]);
        run(&app, "TagWorkloadIdentityProvider", tag_in)
            .await
            .unwrap();
        let mut untag_in = input.clone();
        untag_in["TagKeys"] = json!(["b", "B", "zz"]);
        run(&app, "UntagWorkloadIdentityProvider", untag_in)
            .await
            .unwrap();
        let mut list_in = input.clone();
        list_in["MaxItems"] = json!(1);
        let page = run(&app, "ListWorkloadIdentityProviderTags", list_in)
            .await
            .unwrap();
        assert_eq!(page["Tags"], json!([{"Key": "a", "Value": "1"}]));
        assert_eq!(page["IsTruncated"], true);
        let mut next = input.clone();
        next["Marker"] = page["Marker"].clone();
        let page = run(&app, "ListWorkloadIdentityProviderTags", next)
            .await
            .unwrap();
        assert_eq!(page["Tags"], json!([{"Key": "c", "Value": "3"}]));
        assert_eq!(page["IsTruncated"], false);
    }
}
