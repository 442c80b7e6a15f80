//! Account-wide answers: GetAccountSummary and GetAccountAuthorizationDetails.
//!
//! The summary counts what the account holds; the root user has no console password in
//! Portcullis (AccountPasswordPresent is 0) and no MFA device (AccountMFAEnabled is 0).

use super::rules::quota;
use super::views::{self, Detail};
use crate::account::{PolicyRef, find_policy};
use crate::call::Ctx;
use crate::call::input::{MEMBER_BYTES, answer_bytes, paged};
use crate::error::Error;
use crate::time::iso8601;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portcullis_store::{Entities, Group, PolicyUsage, Role, User};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// GetAccountSummary: real counts and the default quotas.
pub(super) fn summary(ctx: &Ctx<'_>) -> Result<Value, Error> {
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
    if let Some(b) = views::boundary(boundary) {
        v.insert("PermissionsBoundary".into(), b);
    }
    if !tags.is_empty() {
        v.insert("Tags".into(), views::tags(tags));
    }
}

/// A page of GetAccountAuthorizationDetails stops before the item that would take its
/// XML past this many bytes (the first item always goes in): a page of 1,000 managed
/// policies with five versions of 6,144 characters each would otherwise take tens of
/// megabytes. The API reference allows it: "IAM might return fewer results, even when
/// there are more results available."
pub(super) const DETAILS_PAGE_BYTES: usize = 1024 * 1024;

/// An entity GetAccountAuthorizationDetails lists.
enum Detailed<'e> {
    User(&'e User),
    Group(&'e Group),
    Role(&'e Role),
    Policy(PolicyRef<'e>),
}

/// GetAccountAuthorizationDetails: every user, group, role and managed policy in use,
/// with their policies, filtered and paginated. Only the page's entities are written out.
pub(super) fn authorization_details(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let filter = ctx.input.str_list("Filter");
    let want = |kind: &str| filter.is_empty() || filter.contains(&kind);
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let mut items: Vec<(String, Detailed<'_>)> = Vec::new();
        if want("User") {
            items.extend(e.users.iter().map(|(k, u)| (format!("1{k}"), Detailed::User(u))));
        }
        if want("Group") {
            items.extend(e.groups.iter().map(|(k, g)| (format!("2{k}"), Detailed::Group(g))));
        }
        if want("Role") {
            items.extend(e.roles.iter().map(|(k, r)| (format!("3{k}"), Detailed::Role(r))));
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
        items.extend(
            policies
                .into_iter()
                .map(|(k, p)| (format!("4{k}\u{0}{}", p.arn()), Detailed::Policy(p))),
        );
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let usage = e.policy_usage();
        let mut out = json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []});
        let (mut count, mut bytes) = (0usize, 0usize);
        let mut next = None;
        let rest = items
            .iter()
            .skip_while(|(k, _)| page.start.as_deref().is_some_and(|s| k.as_str() < s));
        for (key, item) in rest {
            if count == page.max_items {
                next = Some(key);
                break;
            }
            let (list, v) = match item {
                Detailed::User(u) => ("UserDetailList", user_detail(e, u)),
                Detailed::Group(g) => ("GroupDetailList", group_detail(e, g)),
                Detailed::Role(r) => ("RoleDetailList", role_detail(e, r)),
                Detailed::Policy(p) => {
                    let used = usage.get(p.arn()).copied().unwrap_or_default();
                    ("Policies", policy_detail(p, used))
                }
            };
            let size = answer_bytes(&v) + MEMBER_BYTES;
            if count > 0 && bytes + size > DETAILS_PAGE_BYTES {
                next = Some(key);
                break;
            }
            count += 1;
            bytes += size;
            if let Some(a) = out[list].as_array_mut() {
                a.push(v);
            }
        }
        Ok(paged(out, next.map(|k| URL_SAFE_NO_PAD.encode(k))))
    })
}

fn user_detail(e: &Entities, u: &User) -> Value {
    let mut v = views::user_head(u);
    v.insert("UserPolicyList".into(), policy_list(&u.inline_policies));
    v.insert(
        "GroupList".into(),
        json!(
            u.groups
                .iter()
                .filter_map(|g| e.group_by_id(g))
                .map(|g| g.name.clone())
                .collect::<Vec<_>>()
        ),
    );
    v.insert(
        "AttachedManagedPolicies".into(),
        attached(e, &u.attached_policies),
    );
    with_boundary_and_tags(&mut v, &u.permissions_boundary, &u.tags);
    Value::Object(v)
}

fn group_detail(e: &Entities, g: &Group) -> Value {
    json!({
        "Path": g.path, "GroupName": g.name, "GroupId": g.id, "Arn": g.arn,
        "CreateDate": iso8601(g.create_date),
        "GroupPolicyList": policy_list(&g.inline_policies),
        "AttachedManagedPolicies": attached(e, &g.attached_policies),
    })
}

fn role_detail(e: &Entities, r: &Role) -> Value {
    let mut v = views::role_head(r);
    let profiles: Vec<Value> = e
        .instance_profiles
        .values()
        .filter(|p| p.roles.iter().any(|n| n.eq_ignore_ascii_case(&r.name)))
        .map(|p| views::instance_profile(p, e, false))
        .collect();
    v.insert("InstanceProfileList".into(), Value::Array(profiles));
    v.insert("RolePolicyList".into(), policy_list(&r.inline_policies));
    v.insert(
        "AttachedManagedPolicies".into(),
        attached(e, &r.attached_policies),
    );
    with_boundary_and_tags(&mut v, &r.permissions_boundary, &r.tags);
    if let Value::Object(full) = views::role(r, Detail::Full)
        && let Some(last) = full.get("RoleLastUsed")
    {
        v.insert("RoleLastUsed".into(), last.clone());
    }
    Value::Object(v)
}

fn policy_detail(p: &PolicyRef<'_>, used: PolicyUsage) -> Value {
    let mut v = match p {
        PolicyRef::Customer(c) => views::policy(c, used, true),
        PolicyRef::Aws(a) => views::aws_policy(a, used),
    };
    let versions: Vec<Value> = match p {
        PolicyRef::Customer(c) => c
            .versions
            .iter()
            .map(|ver| {
                json!({
                    "Document": ver.document,
                    "VersionId": ver.version_id,
                    "IsDefaultVersion": ver.version_id == c.default_version_id,
                    "CreateDate": iso8601(ver.create_date),
                })
            })
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
    v
}

#[cfg(test)]
mod tests {
    use super::super::call;
    use super::*;
    use crate::app::App;
    use crate::call::{Ctx, Input};
    use crate::caller::Caller;
    use crate::config::Config;

    async fn run(app: &App, op: &str, input: Value) -> Value {
        let caller = Caller::test_root();
        let ctx = Ctx {
            app,
            caller: &caller,
            input: Input(&input),
        };
        call(op, &ctx).await.unwrap().unwrap()
    }

    /// A policy document of about 6,000 characters.
    fn large_document(n: usize) -> String {
        let actions: Vec<String> = (0..420).map(|i| format!("\"s3:Get{n}x{i:03}\"")).collect();
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{}],"Resource":"*"}}]}}"#,
            actions.join(",")
        )
    }

    #[tokio::test]
    async fn authorization_details_pages_stay_small() {
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        for p in 0..40 {
            let arn = run(
                &app,
                "CreatePolicy",
                json!({"PolicyName": format!("large-{p:02}"), "PolicyDocument": large_document(0)}),
            )
            .await["Policy"]["Arn"]
                .as_str()
                .unwrap()
                .to_string();
            for v in 1..5 {
                run(
                    &app,
                    "CreatePolicyVersion",
                    json!({"PolicyArn": arn, "PolicyDocument": large_document(v)}),
                )
                .await;
            }
        }
        let mut seen = Vec::new();
        let mut marker: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut input = json!({"MaxItems": 1000});
            if let Some(m) = &marker {
                input["Marker"] = json!(m);
            }
            let page = run(&app, "GetAccountAuthorizationDetails", input).await;
            pages += 1;
            assert!(
                answer_bytes(&page) <= 2 * DETAILS_PAGE_BYTES,
                "{}",
                answer_bytes(&page)
            );
            for p in page["Policies"].as_array().unwrap() {
                assert_eq!(p["PolicyVersionList"].as_array().unwrap().len(), 5);
                seen.push(p["PolicyName"].as_str().unwrap().to_string());
            }
            marker = page
                .get("Marker")
                .and_then(Value::as_str)
                .map(str::to_string);
            assert_eq!(page["IsTruncated"], marker.is_some());
            if marker.is_none() {
                break;
            }
        }
        let expected: Vec<String> = (0..40).map(|p| format!("large-{p:02}")).collect();
        assert_eq!(seen, expected);
        assert!(pages >= 3, "{pages} pages");
    }
}
