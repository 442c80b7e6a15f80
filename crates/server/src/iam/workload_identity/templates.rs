//! Workload identity templates: CreateWorkloadIdentityTemplate, GetWorkloadIdentityTemplate,
//! ListWorkloadIdentityTemplates, DeleteWorkloadIdentityTemplate,
//! Put/Get/DeleteWorkloadIdentityTemplateAttestationPolicy, Tag/UntagWorkloadIdentityTemplate
//! and ListWorkloadIdentityTemplateTags.
//!
//! A template renders the identifiers of the workloads attested through it under a
//! provider (see [`pattern`] for the `PathPattern`/`PathPrefix` grammar and
//! [`render_subject`](pattern::render_subject)) and holds the attestation policy that decides which workloads may be
//! attested (see [`attestation`]).
//!
//! - ARNs are `arn:aws:iam::ACCOUNT:workload-identity-template/NAME`, IDs `AWTA` and 17
//!   random characters. Names are unique in the account without regard to case, as IAM
//!   names are; at most [`TEMPLATES_PER_ACCOUNT`] templates (a Portcullis quota).
//! - CreateWorkloadIdentityTemplate has two modes. Direct authoring (`PathPattern`) needs
//!   `Name`, `WorkloadIdentityProviderArn` and `PathPattern`; template definition mode
//!   (`TemplateDefinition`) allows only `Tags` besides. A member missing or forbidden in the
//!   mode is InvalidInput. Portcullis has no service-owned template definitions, so a
//!   well-formed definition request is NoSuchEntity for its definition ARN.
//! - A Portcullis account is in no organization: `ResourceScope` `ORGANIZATION` is answered
//!   as for providers (InvalidInput with IAM's "no organization is associated with your
//!   account": OrganizationNotFoundException is not among these operations' errors). An `ACCOUNT` template references a provider of the account;
//!   one that does not exist is NoSuchEntity.
//! - GetWorkloadIdentityTemplate never returns the attestation policy; Create echoes it only
//!   when the call set one. Put is an upsert; Get and Delete of a policy that is not there
//!   are NoSuchEntity.
//! - Tag keys are case sensitive: a tag replaces the value of the tag with the same key, and
//!   a request that would leave two keys differing only in case is InvalidInput. Untag
//!   removes exactly the keys named and ignores the others.
//!
//! AWS's messages for these operations are not published; the wording here is Portcullis's,
//! in IAM's style.

mod attestation;
pub(crate) mod pattern;

#[cfg(test)]
use pattern::{placeholders, render_subject};

use super::tags;
use crate::call::Ctx;
use crate::call::input::paged;
use crate::error::Error;
use crate::iam::rules::{check_tags, over_quota};
use crate::iam::views;
use crate::secrets::unique_id;
use crate::time::{iso8601, now_millis};
use portcullis_store::{Change, Entities, WorkloadIdentityTemplate};
use serde_json::{Value, json};

/// Workload identity templates per account (Portcullis's quota).
pub(crate) const TEMPLATES_PER_ACCOUNT: usize = 1000;

/// The members CreateWorkloadIdentityTemplate forbids in template definition mode.
const DIRECT_MEMBERS: &[&str] = &[
    "Name",
    "Description",
    "ResourceScope",
    "WorkloadIdentityProviderArn",
    "PathPrefix",
    "PathPattern",
    "AttestationPolicy",
];

/// Runs one of the templates operations. `None` when `op` is not one.
pub(super) async fn call(op: &str, ctx: &Ctx<'_>) -> Option<Result<Value, Error>> {
    Some(match op {
        "CreateWorkloadIdentityTemplate" => create(ctx).await,
        "GetWorkloadIdentityTemplate" => get(ctx),
        "ListWorkloadIdentityTemplates" => list(ctx),
        "DeleteWorkloadIdentityTemplate" => delete(ctx).await,
        "PutWorkloadIdentityTemplateAttestationPolicy" => put_policy(ctx).await,
        "GetWorkloadIdentityTemplateAttestationPolicy" => get_policy(ctx),
        "DeleteWorkloadIdentityTemplateAttestationPolicy" => delete_policy(ctx).await,
        "TagWorkloadIdentityTemplate" => tag(ctx).await,
        "UntagWorkloadIdentityTemplate" => untag(ctx).await,
        "ListWorkloadIdentityTemplateTags" => list_tags(ctx),
        _ => return None,
    })
}

/// The ARN of the template `name` of `account`.
pub(crate) fn template_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:workload-identity-template/{name}")
}

fn not_found(arn: &str) -> Error {
    Error::no_such_entity(format!(
        "The workload identity template {arn} cannot be found."
    ))
}

/// The template with this ARN, or NoSuchEntity.
pub(crate) fn find<'e>(e: &'e Entities, arn: &str) -> Result<&'e WorkloadIdentityTemplate, Error> {
    e.workload_templates.get(arn).ok_or_else(|| not_found(arn))
}

/// Checks a `ResourceScope`: `ACCOUNT` (the default) is the only scope of an account that
/// is in no organization.
fn check_scope(ctx: &Ctx<'_>) -> Result<&'static str, Error> {
    match ctx.input.opt_str("ResourceScope") {
        None | Some("ACCOUNT") => Ok("ACCOUNT"),
        Some(_) => Err(super::providers::no_organization()),
    }
}

/// The provider a template is created under, or NoSuchEntity.
fn check_provider(e: &Entities, arn: &str) -> Result<(), Error> {
    if e.workload_providers.contains_key(arn) {
        Ok(())
    } else {
        Err(Error::no_such_entity(format!(
            "The workload identity provider {arn} cannot be found."
        )))
    }
}

/// CreateWorkloadIdentityTemplate.
pub(crate) async fn create(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let i = &ctx.input;
    let tags = i.tags("Tags");
    if let Some(definition) = i.0.get("TemplateDefinition") {
        if let Some(member) = DIRECT_MEMBERS.iter().find(|m| i.0.get(**m).is_some()) {
            return Err(Error::invalid_input(format!(
                "{member} cannot be specified with TemplateDefinition: in template definition mode, Tags is the only other parameter allowed."
            )));
        }
        check_tags(&tags, true)?;
        let arn = definition
            .get("TemplateDefinitionArn")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return Err(Error::no_such_entity(format!(
            "The template definition {arn} cannot be found."
        )));
    }
    let (Some(name), Some(provider_arn), Some(path_pattern)) = (
        i.opt_str("Name"),
        i.opt_str("WorkloadIdentityProviderArn"),
        i.opt_str("PathPattern"),
    ) else {
        let missing = ["Name", "WorkloadIdentityProviderArn", "PathPattern"]
            .into_iter()
            .filter(|m| i.opt_str(m).is_none())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Error::invalid_input(format!(
            "Specify TemplateDefinition, or Name, WorkloadIdentityProviderArn and PathPattern: missing {missing}."
        )));
    };
    let scope = check_scope(ctx)?;
    let path_prefix = i.opt_str("PathPrefix");
    if let Some(prefix) = path_prefix {
        pattern::check_prefix(prefix).map_err(|reason| {
            Error::invalid_input(format!("The PathPrefix {prefix} is not valid: {reason}."))
        })?;
    }
    pattern::parse(path_pattern).map_err(|reason| {
        Error::invalid_input(format!(
            "The PathPattern {path_pattern} is not valid: {reason}."
        ))
    })?;
    check_tags(&tags, true)?;
    let policy = i.opt_str("AttestationPolicy");
    if let Some(document) = policy {
        attestation::check(document, path_pattern)?;
    }
    let account = ctx.account();
    let template = WorkloadIdentityTemplate {
        arn: template_arn(account, name),
        name: name.to_string(),
        id: unique_id("AWTA", 17),
        scope: scope.to_string(),
        provider_arn: provider_arn.to_string(),
        description: i.opt_str("Description").map(str::to_string),
        path_prefix: path_prefix.map(str::to_string),
        path_pattern: path_pattern.to_string(),
        attestation_policy: policy.map(str::to_string),
        create_date: now_millis(),
        tags,
    };
    ctx.app
        .write(|e| {
            check_provider(e, provider_arn)?;
            if e.workload_templates
                .values()
                .any(|t| t.name.eq_ignore_ascii_case(name))
            {
                return Err(Error::already_exists(format!(
                    "A workload identity template with the name {name} already exists."
                )));
            }
            if e.workload_templates.len() >= TEMPLATES_PER_ACCOUNT {
                return Err(over_quota(
                    "WorkloadIdentityTemplatesPerAccount",
                    TEMPLATES_PER_ACCOUNT,
                ));
            }
            let mut out = describe(&template);
            if let Some(p) = &template.attestation_policy {
                out["AttestationPolicy"] = json!(p);
            }
            Ok((vec![Change::put(account, &template)], out))
        })
        .await
}

/// The members every answer about a template carries (never its policy); `Tags` when it
/// has any.
fn describe(t: &WorkloadIdentityTemplate) -> Value {
    let mut out = summary(t);
    out["TemplateId"] = json!(t.id);
    if !t.tags.is_empty() {
        out["Tags"] = views::tags(&t.tags);
    }
    out
}

/// A template as ListWorkloadIdentityTemplates lists it.
fn summary(t: &WorkloadIdentityTemplate) -> Value {
    let mut out = json!({
        "Name": t.name,
        "Arn": t.arn,
        "WorkloadIdentityProviderArn": t.provider_arn,
        "ResourceScope": t.scope,
        "PathPattern": t.path_pattern,
        "CreateDate": iso8601(t.create_date),
    });
    if let Some(d) = &t.description {
        out["Description"] = json!(d);
    }
    if let Some(p) = &t.path_prefix {
        out["PathPrefix"] = json!(p);
    }
    out
}

/// GetWorkloadIdentityTemplate: everything but the attestation policy.
pub(crate) fn get(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("WorkloadIdentityTemplateArn")?;
    ctx.app.read(|e| Ok(describe(find(e, arn)?)))
}

/// ListWorkloadIdentityTemplates: the templates under one provider, by ARN, paginated,
/// optionally only those whose attestation policy admits a service principal.
pub(crate) fn list(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let i = &ctx.input;
    let provider_arn = i.str("WorkloadIdentityProviderArn")?;
    check_scope(ctx)?;
    let service = i
        .opt_str("Filter")
        .map(attestation::parse_filter)
        .transpose()?;
    let page = i.page()?;
    ctx.app.read(|e| {
        check_provider(e, provider_arn)?;
        let matching = e.workload_templates.iter().filter(|(_, t)| {
            t.provider_arn == provider_arn
                && service.as_deref().is_none_or(|s| {
                    t.attestation_policy
                        .as_deref()
                        .is_some_and(|p| attestation::admits(p, s))
                })
        });
        let (items, next) = page.take(matching.map(|(arn, t)| (arn.as_str(), t)));
        let items: Vec<Value> = items.into_iter().map(summary).collect();
        Ok(paged(json!({ "WorkloadIdentityTemplates": items }), next))
    })
}

/// DeleteWorkloadIdentityTemplate (synchronous: `SUCCEEDED`; not idempotent).
pub(crate) async fn delete(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("WorkloadIdentityTemplateArn")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let t = find(e, arn)?;
            Ok((
                vec![Change::delete(account, t)],
                json!({ "WorkloadIdentityTemplateArn": arn, "Status": "SUCCEEDED" }),
            ))
        })
        .await
}

/// Runs a change of one template.
async fn update(
    ctx: &Ctx<'_>,
    change: impl FnOnce(&mut WorkloadIdentityTemplate) -> Result<(), Error>,
) -> Result<Value, Error> {
    let arn = ctx.input.str("WorkloadIdentityTemplateArn")?;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut t = find(e, arn)?.clone();
            change(&mut t)?;
            Ok((vec![Change::put(account, &t)], json!({})))
        })
        .await
}

fn no_policy(arn: &str) -> Error {
    Error::no_such_entity(format!(
        "The workload identity template {arn} has no attestation policy."
    ))
}

/// PutWorkloadIdentityTemplateAttestationPolicy: sets or replaces the policy.
pub(crate) async fn put_policy(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let document = ctx.input.str("AttestationPolicy")?;
    update(ctx, |t| {
        attestation::check(document, &t.path_pattern)?;
        t.attestation_policy = Some(document.to_string());
        Ok(())
    })
    .await
}

/// GetWorkloadIdentityTemplateAttestationPolicy.
pub(crate) fn get_policy(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("WorkloadIdentityTemplateArn")?;
    ctx.app.read(|e| {
        let t = find(e, arn)?;
        let policy = t
            .attestation_policy
            .as_deref()
            .ok_or_else(|| no_policy(arn))?;
        Ok(json!({ "WorkloadIdentityTemplateArn": arn, "AttestationPolicy": policy }))
    })
}

/// DeleteWorkloadIdentityTemplateAttestationPolicy: the template stays and admits nothing.
pub(crate) async fn delete_policy(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("WorkloadIdentityTemplateArn")?;
    update(ctx, |t| {
        t.attestation_policy
            .take()
            .map(|_| ())
            .ok_or_else(|| no_policy(arn))
    })
    .await
}

/// TagWorkloadIdentityTemplate.
pub(crate) async fn tag(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let new = ctx.input.tags("Tags");
    update(ctx, |t| {
        t.tags = tags::add(&t.tags, &new, "TagsPerWorkloadIdentityTemplate")?;
        Ok(())
    })
    .await
}

/// UntagWorkloadIdentityTemplate (keys are case sensitive; absent keys are ignored).
pub(crate) async fn untag(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let keys = ctx.input.str_list("TagKeys");
    update(ctx, |t| {
        t.tags.retain(|tag| !keys.contains(&tag.key.as_str()));
        Ok(())
    })
    .await
}

/// ListWorkloadIdentityTemplateTags, paginated.
pub(crate) fn list_tags(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("WorkloadIdentityTemplateArn")?;
    let page = ctx.input.page()?;
    ctx.app.read(|e| Ok(tags::list(&page, &find(e, arn)?.tags)))
}

#[cfg(test)]
mod tests;
