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
use crate::call::input::Page;
use crate::error::Error;
use crate::iam::rules::{check_tags, over_quota};
use crate::iam::views;
use crate::secrets::unique_id;
use crate::time::now_millis;
use portcullis_protocol::Timestamp;
use portcullis_protocol::iam::{
    CreateWorkloadIdentityTemplateInput, CreateWorkloadIdentityTemplateOutput,
    DeleteWorkloadIdentityTemplateAttestationPolicyInput,
    DeleteWorkloadIdentityTemplateAttestationPolicyOutput, DeleteWorkloadIdentityTemplateInput,
    DeleteWorkloadIdentityTemplateOutput, GetWorkloadIdentityTemplateAttestationPolicyInput,
    GetWorkloadIdentityTemplateAttestationPolicyOutput, GetWorkloadIdentityTemplateInput,
    GetWorkloadIdentityTemplateOutput, ListWorkloadIdentityTemplateTagsInput,
    ListWorkloadIdentityTemplateTagsOutput, ListWorkloadIdentityTemplatesInput,
    ListWorkloadIdentityTemplatesOutput, PutWorkloadIdentityTemplateAttestationPolicyInput,
    PutWorkloadIdentityTemplateAttestationPolicyOutput, TagWorkloadIdentityTemplateInput,
    UntagWorkloadIdentityTemplateInput, WorkloadIdentityTemplateSummary,
};
use portcullis_store::{Change, Entities, WorkloadIdentityTemplate};

/// Workload identity templates per account (Portcullis's quota).
pub(crate) const TEMPLATES_PER_ACCOUNT: usize = 1000;

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
fn check_scope(resource_scope: Option<&str>) -> Result<&'static str, Error> {
    match resource_scope {
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
pub(crate) async fn create_workload_identity_template(
    ctx: &Ctx<'_>,
    input: CreateWorkloadIdentityTemplateInput,
) -> Result<CreateWorkloadIdentityTemplateOutput, Error> {
    let CreateWorkloadIdentityTemplateInput {
        attestation_policy,
        description,
        name,
        path_pattern,
        path_prefix,
        resource_scope,
        tags,
        template_definition,
        workload_identity_provider_arn,
    } = input;
    let tags = views::stored_tags(tags);
    if let Some(definition) = template_definition {
        // The members template definition mode forbids, in the order they are reported.
        let direct = [
            ("Name", name.is_some()),
            ("Description", description.is_some()),
            ("ResourceScope", resource_scope.is_some()),
            (
                "WorkloadIdentityProviderArn",
                workload_identity_provider_arn.is_some(),
            ),
            ("PathPrefix", path_prefix.is_some()),
            ("PathPattern", path_pattern.is_some()),
            ("AttestationPolicy", attestation_policy.is_some()),
        ];
        if let Some((member, _)) = direct.iter().find(|(_, given)| *given) {
            return Err(Error::invalid_input(format!(
                "{member} cannot be specified with TemplateDefinition: in template definition mode, Tags is the only other parameter allowed."
            )));
        }
        check_tags(&tags, true)?;
        return Err(Error::no_such_entity(format!(
            "The template definition {} cannot be found.",
            definition.template_definition_arn
        )));
    }
    let (Some(name), Some(provider_arn), Some(path_pattern)) = (
        name.as_deref(),
        workload_identity_provider_arn.as_deref(),
        path_pattern.as_deref(),
    ) else {
        let missing = [
            ("Name", name.is_none()),
            (
                "WorkloadIdentityProviderArn",
                workload_identity_provider_arn.is_none(),
            ),
            ("PathPattern", path_pattern.is_none()),
        ]
        .into_iter()
        .filter(|(_, absent)| *absent)
        .map(|(member, _)| member)
        .collect::<Vec<_>>()
        .join(", ");
        return Err(Error::invalid_input(format!(
            "Specify TemplateDefinition, or Name, WorkloadIdentityProviderArn and PathPattern: missing {missing}."
        )));
    };
    let scope = check_scope(resource_scope.as_deref())?;
    if let Some(prefix) = path_prefix.as_deref() {
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
    if let Some(document) = attestation_policy.as_deref() {
        attestation::check(document, path_pattern)?;
    }
    let account = ctx.account();
    let template = WorkloadIdentityTemplate {
        arn: template_arn(account, name),
        name: name.to_string(),
        id: unique_id("AWTA", 17),
        scope: scope.to_string(),
        provider_arn: provider_arn.to_string(),
        description,
        path_prefix: path_prefix.clone(),
        path_pattern: path_pattern.to_string(),
        attestation_policy: attestation_policy.clone(),
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
            let out = created(describe(&template), template.attestation_policy.clone());
            Ok((vec![Change::put(account, &template)], out))
        })
        .await
}

/// The members every answer about a template carries (never its policy); `Tags` when it
/// has any.
fn describe(t: &WorkloadIdentityTemplate) -> GetWorkloadIdentityTemplateOutput {
    let WorkloadIdentityTemplateSummary {
        arn,
        create_date,
        description,
        name,
        path_pattern,
        path_prefix,
        resource_scope,
        workload_identity_provider_arn,
    } = summary(t);
    GetWorkloadIdentityTemplateOutput {
        arn,
        create_date,
        description,
        name,
        path_pattern,
        path_prefix,
        resource_scope,
        tags: (!t.tags.is_empty()).then(|| views::tags(&t.tags)),
        template_id: t.id.clone(),
        workload_identity_provider_arn,
    }
}

/// A template as Create answers it: what [`describe`] gives, and the attestation policy
/// when the call set one.
fn created(
    d: GetWorkloadIdentityTemplateOutput,
    attestation_policy: Option<String>,
) -> CreateWorkloadIdentityTemplateOutput {
    let GetWorkloadIdentityTemplateOutput {
        arn,
        create_date,
        description,
        name,
        path_pattern,
        path_prefix,
        resource_scope,
        tags,
        template_id,
        workload_identity_provider_arn,
    } = d;
    CreateWorkloadIdentityTemplateOutput {
        arn,
        attestation_policy,
        create_date,
        description,
        name,
        path_pattern,
        path_prefix,
        resource_scope,
        tags,
        template_id,
        workload_identity_provider_arn,
    }
}

/// A template as ListWorkloadIdentityTemplates lists it.
fn summary(t: &WorkloadIdentityTemplate) -> WorkloadIdentityTemplateSummary {
    WorkloadIdentityTemplateSummary {
        name: t.name.clone(),
        arn: t.arn.clone(),
        workload_identity_provider_arn: t.provider_arn.clone(),
        resource_scope: t.scope.clone(),
        path_pattern: t.path_pattern.clone(),
        create_date: Timestamp::from_millis(t.create_date),
        description: t.description.clone(),
        path_prefix: t.path_prefix.clone(),
    }
}

/// GetWorkloadIdentityTemplate: everything but the attestation policy.
pub(crate) fn get_workload_identity_template(
    ctx: &Ctx<'_>,
    input: GetWorkloadIdentityTemplateInput,
) -> Result<GetWorkloadIdentityTemplateOutput, Error> {
    let arn = &input.workload_identity_template_arn;
    ctx.app.read(|e| Ok(describe(find(e, arn)?)))
}

/// ListWorkloadIdentityTemplates: the templates under one provider, by ARN, paginated,
/// optionally only those whose attestation policy admits a service principal.
pub(crate) fn list_workload_identity_templates(
    ctx: &Ctx<'_>,
    input: ListWorkloadIdentityTemplatesInput,
) -> Result<ListWorkloadIdentityTemplatesOutput, Error> {
    let provider_arn = &input.workload_identity_provider_arn;
    check_scope(input.resource_scope.as_deref())?;
    let service = input
        .filter
        .as_deref()
        .map(attestation::parse_filter)
        .transpose()?;
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        check_provider(e, provider_arn)?;
        let matching = e.workload_templates.iter().filter(|(_, t)| {
            t.provider_arn == *provider_arn
                && service.as_deref().is_none_or(|s| {
                    t.attestation_policy
                        .as_deref()
                        .is_some_and(|p| attestation::admits(p, s))
                })
        });
        let (items, next) = page.take(matching.map(|(arn, t)| (arn.as_str(), t)));
        Ok(ListWorkloadIdentityTemplatesOutput {
            workload_identity_templates: items.into_iter().map(summary).collect(),
            is_truncated: next.is_some(),
            marker: next,
        })
    })
}

/// DeleteWorkloadIdentityTemplate (synchronous: `SUCCEEDED`; not idempotent).
pub(crate) async fn delete_workload_identity_template(
    ctx: &Ctx<'_>,
    input: DeleteWorkloadIdentityTemplateInput,
) -> Result<DeleteWorkloadIdentityTemplateOutput, Error> {
    let arn = input.workload_identity_template_arn;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let t = find(e, &arn)?;
            Ok((vec![Change::delete(account, t)], ()))
        })
        .await?;
    Ok(DeleteWorkloadIdentityTemplateOutput {
        workload_identity_template_arn: arn,
        status: "SUCCEEDED".to_string(),
    })
}

/// Runs a change of the template with ARN `arn`.
async fn update(
    ctx: &Ctx<'_>,
    arn: &str,
    change: impl FnOnce(&mut WorkloadIdentityTemplate) -> Result<(), Error>,
) -> Result<(), Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut t = find(e, arn)?.clone();
            change(&mut t)?;
            Ok((vec![Change::put(account, &t)], ()))
        })
        .await
}

fn no_policy(arn: &str) -> Error {
    Error::no_such_entity(format!(
        "The workload identity template {arn} has no attestation policy."
    ))
}

/// PutWorkloadIdentityTemplateAttestationPolicy: sets or replaces the policy.
pub(crate) async fn put_workload_identity_template_attestation_policy(
    ctx: &Ctx<'_>,
    input: PutWorkloadIdentityTemplateAttestationPolicyInput,
) -> Result<PutWorkloadIdentityTemplateAttestationPolicyOutput, Error> {
    let document = input.attestation_policy;
    update(ctx, &input.workload_identity_template_arn, |t| {
        attestation::check(&document, &t.path_pattern)?;
        t.attestation_policy = Some(document);
        Ok(())
    })
    .await?;
    Ok(PutWorkloadIdentityTemplateAttestationPolicyOutput {})
}

/// GetWorkloadIdentityTemplateAttestationPolicy.
pub(crate) fn get_workload_identity_template_attestation_policy(
    ctx: &Ctx<'_>,
    input: GetWorkloadIdentityTemplateAttestationPolicyInput,
) -> Result<GetWorkloadIdentityTemplateAttestationPolicyOutput, Error> {
    let arn = input.workload_identity_template_arn;
    let policy = ctx.app.read(|e| {
        let t = find(e, &arn)?;
        t.attestation_policy.clone().ok_or_else(|| no_policy(&arn))
    })?;
    Ok(GetWorkloadIdentityTemplateAttestationPolicyOutput {
        workload_identity_template_arn: arn,
        attestation_policy: policy,
    })
}

/// DeleteWorkloadIdentityTemplateAttestationPolicy: the template stays and admits nothing.
pub(crate) async fn delete_workload_identity_template_attestation_policy(
    ctx: &Ctx<'_>,
    input: DeleteWorkloadIdentityTemplateAttestationPolicyInput,
) -> Result<DeleteWorkloadIdentityTemplateAttestationPolicyOutput, Error> {
    let arn = &input.workload_identity_template_arn;
    update(ctx, arn, |t| {
        t.attestation_policy
            .take()
            .map(|_| ())
            .ok_or_else(|| no_policy(arn))
    })
    .await?;
    Ok(DeleteWorkloadIdentityTemplateAttestationPolicyOutput {})
}

/// TagWorkloadIdentityTemplate.
pub(crate) async fn tag_workload_identity_template(
    ctx: &Ctx<'_>,
    input: TagWorkloadIdentityTemplateInput,
) -> Result<(), Error> {
    let new = views::stored_tags(Some(input.tags));
    update(ctx, &input.workload_identity_template_arn, |t| {
        t.tags = tags::add(&t.tags, &new, "TagsPerWorkloadIdentityTemplate")?;
        Ok(())
    })
    .await
}

/// UntagWorkloadIdentityTemplate (keys are case sensitive; absent keys are ignored).
pub(crate) async fn untag_workload_identity_template(
    ctx: &Ctx<'_>,
    input: UntagWorkloadIdentityTemplateInput,
) -> Result<(), Error> {
    let keys = input.tag_keys;
    update(ctx, &input.workload_identity_template_arn, |t| {
        t.tags.retain(|tag| !keys.contains(&tag.key));
        Ok(())
    })
    .await
}

/// ListWorkloadIdentityTemplateTags, paginated.
pub(crate) fn list_workload_identity_template_tags(
    ctx: &Ctx<'_>,
    input: ListWorkloadIdentityTemplateTagsInput,
) -> Result<ListWorkloadIdentityTemplateTagsOutput, Error> {
    let arn = &input.workload_identity_template_arn;
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    let (tags, next) = ctx
        .app
        .read(|e| find(e, arn).map(|t| tags::list(&page, &t.tags)))?;
    Ok(ListWorkloadIdentityTemplateTagsOutput {
        tags,
        is_truncated: Some(next.is_some()),
        marker: next,
    })
}

#[cfg(test)]
mod tests;
