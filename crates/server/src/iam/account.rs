//! Account-wide answers: GetAccountSummary and GetAccountAuthorizationDetails.
//!
//! The summary counts what the account holds; the root user has no console password in
//! Portcullis (AccountPasswordPresent is 0) and no MFA device (AccountMFAEnabled is 0).

use super::Ctx;
use super::input::paged;
use super::rules::{PolicyRef, find_policy, quota};
use super::views::{self, Detail};
use crate::error::Error;
use crate::time::iso8601;
use portcullis_store::Entities;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// GetAccountSummary: real counts and the default quotas.
pub fn summary(ctx: &Ctx<'_>) -> Result<Value, Error> {
    ctx.app.read(|e| {
        let versions: usize = e.policies.values().map(|p| p.versions.len()).sum();
        let root_keys = !e.access_keys_of(None).is_empty();
        let root_certificates = !e.signing_certificates_of(None).is_empty();
        let map: BTreeMap<&str, usize> = [
            ("Users", e.users.len()),
            ("UsersQuota", quota::USERS),
            ("Groups", e.groups.len()),
            ("GroupsQuota", quota::GROUPS),
            ("Roles", e.roles.len()),
            ("RolesQuota", quota::ROLES),
            ("Policies", e.policies.len()),
            ("PoliciesQuota", quota::POLICIES),
            ("InstanceProfiles", e.instance_profiles.len()),
            ("InstanceProfilesQuota", quota::INSTANCE_PROFILES),
            ("PolicyVersionsInUse", versions),
            ("PolicyVersionsInUseQuota", 10000),
            ("VersionsPerPolicyQuota", quota::POLICY_VERSIONS),
            ("PolicySizeQuota", 6144),
            ("UserPolicySizeQuota", 2048),
            ("GroupPolicySizeQuota", 5120),
            ("RolePolicySizeQuota", 10240),
            ("AssumeRolePolicySizeQuota", 2048),
            ("GroupsPerUserQuota", quota::GROUPS_PER_USER),
            ("AttachedPoliciesPerUserQuota", quota::ATTACHED_POLICIES),
            ("AttachedPoliciesPerGroupQuota", quota::ATTACHED_POLICIES),
            ("AttachedPoliciesPerRoleQuota", quota::ATTACHED_POLICIES),
            ("AccessKeysPerUserQuota", quota::ACCESS_KEYS_PER_USER),
            (
                "SigningCertificatesPerUserQuota",
                super::signing_certificates::CERTIFICATES_PER_USER,
            ),
            ("ServerCertificates", e.server_certificates.len()),
            (
                "ServerCertificatesQuota",
                super::server_certificates::CERTIFICATES_PER_ACCOUNT,
            ),
            ("MFADevices", e.mfa_devices.len()),
            ("MFADevicesInUse", e.mfa_devices_in_use()),
            ("AccountMFAEnabled", 0),
            ("AccountAccessKeysPresent", usize::from(root_keys)),
            (
                "AccountSigningCertificatesPresent",
                usize::from(root_certificates),
            ),
            ("AccountPasswordPresent", 0),
            ("Providers", e.oidc_providers.len() + e.saml_providers.len()),
            (
                "GlobalEndpointTokenVersion",
                super::account_settings::token_version(&e.settings),
            ),
        ]
        .into_iter()
        .collect();
        Ok(json!({ "SummaryMap": map }))
    })
}

fn policy_list(policies: &BTreeMap<String, String>) -> Value {
    Value::Array(
        policies
            .iter()
            .map(|(n, d)| json!({"PolicyName": n, "PolicyDocument": d}))
            .collect(),
    )
}

fn attached(e: &Entities, arns: &[String]) -> Value {
    Value::Array(
        arns.iter()
            .filter_map(|a| find_policy(e, a))
            .map(|p| json!({"PolicyName": p.name(), "PolicyArn": p.arn()}))
            .collect(),
    )
}

fn with_boundary_and_tags(
    v: &mut Map<String, Value>,
    boundary: &Option<String>,
    tags: &[portcullis_store::Tag],
) {
    if let Some(b) = boundary {
        v.insert(
            "PermissionsBoundary".into(),
            json!({"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": b}),
        );
    }
    if !tags.is_empty() {
        v.insert("Tags".into(), views::tags(tags));
    }
}

/// GetAccountAuthorizationDetails: every user, group, role and managed policy in use,
/// with their policies, filtered and paginated.
pub fn authorization_details(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let filter = ctx.input.str_list("Filter");
    let want = |kind: &str| filter.is_empty() || filter.contains(&kind);
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let mut items: Vec<(String, &'static str, Value)> = Vec::new();
        if want("User") {
            for (k, u) in &e.users {
                let mut v = Map::new();
                v.insert("Path".into(), json!(u.path));
                v.insert("UserName".into(), json!(u.name));
                v.insert("UserId".into(), json!(u.id));
                v.insert("Arn".into(), json!(u.arn));
                v.insert("CreateDate".into(), json!(iso8601(u.create_date)));
                v.insert("UserPolicyList".into(), policy_list(&u.inline_policies));
                v.insert(
                    "GroupList".into(),
                    json!(u.groups.iter().filter_map(|g| e.group_by_id(g)).map(|g| g.name.clone()).collect::<Vec<_>>()),
                );
                v.insert("AttachedManagedPolicies".into(), attached(e, &u.attached_policies));
                with_boundary_and_tags(&mut v, &u.permissions_boundary, &u.tags);
                items.push((format!("1{k}"), "UserDetailList", Value::Object(v)));
            }
        }
        if want("Group") {
            for (k, g) in &e.groups {
                items.push((
                    format!("2{k}"),
                    "GroupDetailList",
                    json!({
                        "Path": g.path, "GroupName": g.name, "GroupId": g.id, "Arn": g.arn,
                        "CreateDate": iso8601(g.create_date),
                        "GroupPolicyList": policy_list(&g.inline_policies),
                        "AttachedManagedPolicies": attached(e, &g.attached_policies),
                    }),
                ));
            }
        }
        if want("Role") {
            for (k, r) in &e.roles {
                let mut v = Map::new();
                v.insert("Path".into(), json!(r.path));
                v.insert("RoleName".into(), json!(r.name));
                v.insert("RoleId".into(), json!(r.id));
                v.insert("Arn".into(), json!(r.arn));
                v.insert("CreateDate".into(), json!(iso8601(r.create_date)));
                v.insert("AssumeRolePolicyDocument".into(), json!(r.assume_role_policy_document));
                let profiles: Vec<Value> = e
                    .instance_profiles
                    .values()
                    .filter(|p| p.roles.iter().any(|n| n.eq_ignore_ascii_case(&r.name)))
                    .map(|p| views::instance_profile(p, e, false))
                    .collect();
                v.insert("InstanceProfileList".into(), Value::Array(profiles));
                v.insert("RolePolicyList".into(), policy_list(&r.inline_policies));
                v.insert("AttachedManagedPolicies".into(), attached(e, &r.attached_policies));
                with_boundary_and_tags(&mut v, &r.permissions_boundary, &r.tags);
                if let Value::Object(full) = views::role(r, Detail::Full)
                    && let Some(last) = full.get("RoleLastUsed")
                {
                    v.insert("RoleLastUsed".into(), last.clone());
                }
                items.push((format!("3{k}"), "RoleDetailList", Value::Object(v)));
            }
        }
        let mut policies: Vec<(String, PolicyRef<'_>)> = Vec::new();
        if want("LocalManagedPolicy") {
            policies.extend(e.policies.iter().map(|(k, p)| (k.clone(), PolicyRef::Customer(p))));
        }
        if want("AWSManagedPolicy") {
            let mut used: Vec<&str> = e
                .users
                .values()
                .flat_map(|u| u.attached_policies.iter().chain(&u.permissions_boundary))
                .chain(e.groups.values().flat_map(|g| g.attached_policies.iter()))
                .chain(e.roles.values().flat_map(|r| r.attached_policies.iter().chain(&r.permissions_boundary)))
                .map(String::as_str)
                .filter(|a| a.starts_with("arn:aws:iam::aws:"))
                .collect();
            used.sort_unstable();
            used.dedup();
            policies.extend(used.into_iter().filter_map(|a| find_policy(e, a)).map(|p| (p.name().to_lowercase(), p)));
        }
        let usage = e.policy_usage();
        for (k, p) in policies {
            let used = usage.get(p.arn()).copied().unwrap_or_default();
            let mut v = match &p {
                PolicyRef::Customer(c) => views::policy(c, used, true),
                PolicyRef::Aws(a) => views::aws_policy(a, used),
            };
            let versions: Vec<Value> = match &p {
                PolicyRef::Customer(c) => c
                    .versions
                    .iter()
                    .map(|ver| json!({
                        "Document": ver.document,
                        "VersionId": ver.version_id,
                        "IsDefaultVersion": ver.version_id == c.default_version_id,
                        "CreateDate": iso8601(ver.create_date),
                    }))
                    .collect(),
                PolicyRef::Aws(a) => vec![json!({
                    "Document": a.document,
                    "VersionId": a.default_version_id,
                    "IsDefaultVersion": true,
                    "CreateDate": iso8601(views::date_millis(&a.update_date)),
                })],
            };
            if let Value::Object(m) = &mut v {
                m.remove("Tags");
                m.insert("PolicyVersionList".into(), Value::Array(versions));
            }
            items.push((format!("4{k}\u{0}{}", p.arn()), "Policies", v));
        }
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let (page_items, next) = page.take(items.iter().map(|(k, list, v)| (k.as_str(), (*list, v))));
        let mut out = json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []});
        for (list, v) in page_items {
            if let Some(a) = out[list].as_array_mut() {
                a.push(v.clone());
            }
        }
        Ok(paged(out, next))
    })
}
