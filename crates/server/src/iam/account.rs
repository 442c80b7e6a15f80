//! Account-wide answers: GetAccountSummary and GetAccountAuthorizationDetails.
//!
//! The summary counts what the account holds; the root user has no console password in
//! Portcullis (AccountPasswordPresent is 0) and no MFA device (AccountMFAEnabled is 0).

use super::rules::quota;
use super::views::{self, Detail};
use crate::account::{PolicyRef, find_policy};
use crate::call::Ctx;
use crate::call::input::{MEMBER_BYTES, Page, answer_bytes};
use crate::error::Error;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portcullis_protocol::iam::{
    AttachedPolicy, GetAccountAuthorizationDetailsInput, GetAccountAuthorizationDetailsOutput,
    GetAccountSummaryInput, GetAccountSummaryOutput, GroupDetail, ManagedPolicyDetail,
    PolicyDetail, PolicyVersion, RoleDetail, UserDetail,
};
use portcullis_protocol::{IndexMap, Timestamp};
use portcullis_store::{Entities, Group, PolicyUsage, Role, User};
use serde::Serialize;
use std::collections::BTreeMap;

/// GetAccountSummary: real counts and the default quotas.
pub(crate) fn get_account_summary(
    ctx: &Ctx<'_>,
    _input: GetAccountSummaryInput,
) -> Result<GetAccountSummaryOutput, Error> {
    ctx.app.read(|e| {
        let versions: usize = e.policies.values().map(|p| p.versions.len()).sum();
        let root_keys = !e.access_keys_of(None).is_empty();
        let root_certificates = !e.signing_certificates_of(None).is_empty();
        let map: IndexMap<String, i64> = [
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
        .map(|(name, count): (&str, usize)| (name.to_string(), count as i64))
        .collect();
        Ok(GetAccountSummaryOutput {
            summary_map: Some(map),
        })
    })
}

fn policy_list(policies: &BTreeMap<String, String>) -> Vec<PolicyDetail> {
    policies
        .iter()
        .map(|(n, d)| PolicyDetail {
            policy_name: Some(n.clone()),
            policy_document: Some(d.clone()),
        })
        .collect()
}

fn attached(e: &Entities, arns: &[String]) -> Vec<AttachedPolicy> {
    arns.iter()
        .filter_map(|a| find_policy(e, a))
        .map(|p| AttachedPolicy {
            policy_name: Some(p.name().to_string()),
            policy_arn: Some(p.arn().to_string()),
        })
        .collect()
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

/// An entity as GetAccountAuthorizationDetails shows it, in one of its four lists.
enum Shown {
    User(UserDetail),
    Group(GroupDetail),
    Role(RoleDetail),
    Policy(ManagedPolicyDetail),
}

impl Shown {
    /// An upper bound of the bytes the item takes in the XML answer, its `<member>`
    /// wrapper included.
    fn bytes(&self) -> usize {
        match self {
            Shown::User(d) => item_bytes(d),
            Shown::Group(d) => item_bytes(d),
            Shown::Role(d) => item_bytes(d),
            Shown::Policy(d) => item_bytes(d),
        }
    }
}

/// [`answer_bytes`] of a list item, its `<member>` wrapper included.
fn item_bytes(item: &impl Serialize) -> usize {
    serde_json::to_value(item).map_or(0, |v| answer_bytes(&v)) + MEMBER_BYTES
}

/// GetAccountAuthorizationDetails: every user, group, role and managed policy in use,
/// with their policies, filtered and paginated. Only the page's entities are written out.
pub(crate) fn get_account_authorization_details(
    ctx: &Ctx<'_>,
    input: GetAccountAuthorizationDetailsInput,
) -> Result<GetAccountAuthorizationDetailsOutput, Error> {
    let filter = input.filter.unwrap_or_default();
    let want = |kind: &str| filter.is_empty() || filter.iter().any(|f| f == kind);
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let mut items: Vec<(String, Detailed<'_>)> = Vec::new();
        if want("User") {
            items.extend(
                e.users
                    .iter()
                    .map(|(k, u)| (format!("1{k}"), Detailed::User(u))),
            );
        }
        if want("Group") {
            items.extend(
                e.groups
                    .iter()
                    .map(|(k, g)| (format!("2{k}"), Detailed::Group(g))),
            );
        }
        if want("Role") {
            items.extend(
                e.roles
                    .iter()
                    .map(|(k, r)| (format!("3{k}"), Detailed::Role(r))),
            );
        }
        let mut policies: Vec<(String, PolicyRef<'_>)> = Vec::new();
        if want("LocalManagedPolicy") {
            policies.extend(
                e.policies
                    .iter()
                    .map(|(k, p)| (k.clone(), PolicyRef::Customer(p))),
            );
        }
        if want("AWSManagedPolicy") {
            let mut used: Vec<&str> = e
                .users
                .values()
                .flat_map(|u| u.attached_policies.iter().chain(&u.permissions_boundary))
                .chain(e.groups.values().flat_map(|g| g.attached_policies.iter()))
                .chain(
                    e.roles
                        .values()
                        .flat_map(|r| r.attached_policies.iter().chain(&r.permissions_boundary)),
                )
                .map(String::as_str)
                .filter(|a| a.starts_with("arn:aws:iam::aws:"))
                .collect();
            used.sort_unstable();
            used.dedup();
            policies.extend(
                used.into_iter()
                    .filter_map(|a| find_policy(e, a))
                    .map(|p| (p.name().to_lowercase(), p)),
            );
        }
        items.extend(
            policies
                .into_iter()
                .map(|(k, p)| (format!("4{k}\u{0}{}", p.arn()), Detailed::Policy(p))),
        );
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let usage = e.policy_usage();
        let (mut users, mut groups, mut roles, mut managed) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
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
            let shown = match item {
                Detailed::User(u) => Shown::User(user_detail(e, u)),
                Detailed::Group(g) => Shown::Group(group_detail(e, g)),
                Detailed::Role(r) => Shown::Role(role_detail(e, r)),
                Detailed::Policy(p) => {
                    let used = usage.get(p.arn()).copied().unwrap_or_default();
                    Shown::Policy(policy_detail(p, used))
                }
            };
            let size = shown.bytes();
            if count > 0 && bytes + size > DETAILS_PAGE_BYTES {
                next = Some(key);
                break;
            }
            count += 1;
            bytes += size;
            match shown {
                Shown::User(d) => users.push(d),
                Shown::Group(d) => groups.push(d),
                Shown::Role(d) => roles.push(d),
                Shown::Policy(d) => managed.push(d),
            }
        }
        let next = next.map(|k| URL_SAFE_NO_PAD.encode(k));
        Ok(GetAccountAuthorizationDetailsOutput {
            group_detail_list: Some(groups),
            is_truncated: Some(next.is_some()),
            marker: next,
            policies: Some(managed),
            role_detail_list: Some(roles),
            user_detail_list: Some(users),
        })
    })
}

fn user_detail(e: &Entities, u: &User) -> UserDetail {
    UserDetail {
        path: Some(u.path.clone()),
        user_name: Some(u.name.clone()),
        user_id: Some(u.id.clone()),
        arn: Some(u.arn.clone()),
        create_date: Some(Timestamp::from_millis(u.create_date)),
        user_policy_list: Some(policy_list(&u.inline_policies)),
        group_list: Some(
            u.groups
                .iter()
                .filter_map(|g| e.group_by_id(g))
                .map(|g| g.name.clone())
                .collect(),
        ),
        attached_managed_policies: Some(attached(e, &u.attached_policies)),
        permissions_boundary: views::boundary(&u.permissions_boundary),
        tags: (!u.tags.is_empty()).then(|| views::tags(&u.tags)),
    }
}

fn group_detail(e: &Entities, g: &Group) -> GroupDetail {
    GroupDetail {
        path: Some(g.path.clone()),
        group_name: Some(g.name.clone()),
        group_id: Some(g.id.clone()),
        arn: Some(g.arn.clone()),
        create_date: Some(Timestamp::from_millis(g.create_date)),
        group_policy_list: Some(policy_list(&g.inline_policies)),
        attached_managed_policies: Some(attached(e, &g.attached_policies)),
    }
}

fn role_detail(e: &Entities, r: &Role) -> RoleDetail {
    let profiles = e
        .instance_profiles
        .values()
        .filter(|p| p.roles.iter().any(|n| n.eq_ignore_ascii_case(&r.name)))
        .map(|p| views::instance_profile(p, e, false))
        .collect();
    RoleDetail {
        path: Some(r.path.clone()),
        role_name: Some(r.name.clone()),
        role_id: Some(r.id.clone()),
        arn: Some(r.arn.clone()),
        create_date: Some(Timestamp::from_millis(r.create_date)),
        assume_role_policy_document: Some(r.assume_role_policy_document.clone()),
        instance_profile_list: Some(profiles),
        role_policy_list: Some(policy_list(&r.inline_policies)),
        attached_managed_policies: Some(attached(e, &r.attached_policies)),
        permissions_boundary: views::boundary(&r.permissions_boundary),
        tags: (!r.tags.is_empty()).then(|| views::tags(&r.tags)),
        role_last_used: views::role(r, Detail::Full).role_last_used,
    }
}

fn policy_detail(p: &PolicyRef<'_>, used: PolicyUsage) -> ManagedPolicyDetail {
    let shown = match p {
        PolicyRef::Customer(c) => views::policy(c, used, true),
        PolicyRef::Aws(a) => views::aws_policy(a, used),
    };
    let versions = match p {
        PolicyRef::Customer(c) => c
            .versions
            .iter()
            .map(|ver| PolicyVersion {
                document: Some(ver.document.clone()),
                version_id: Some(ver.version_id.clone()),
                is_default_version: Some(ver.version_id == c.default_version_id),
                create_date: Some(Timestamp::from_millis(ver.create_date)),
            })
            .collect(),
        PolicyRef::Aws(a) => vec![PolicyVersion {
            document: Some(a.document.clone()),
            version_id: Some(a.default_version_id.clone()),
            is_default_version: Some(true),
            create_date: Some(Timestamp::from_millis(views::date_millis(&a.update_date))),
        }],
    };
    ManagedPolicyDetail {
        policy_name: shown.policy_name,
        policy_id: shown.policy_id,
        arn: shown.arn,
        path: shown.path,
        default_version_id: shown.default_version_id,
        attachment_count: shown.attachment_count,
        permissions_boundary_usage_count: shown.permissions_boundary_usage_count,
        is_attachable: shown.is_attachable,
        description: shown.description,
        create_date: shown.create_date,
        update_date: shown.update_date,
        policy_version_list: Some(versions),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::App;
    use crate::call::Ctx;
    use crate::caller::Caller;
    use crate::config::Config;
    use crate::iam::call;
    use serde_json::{Value, json};

    async fn run(app: &App, op: &str, input: Value) -> Value {
        let caller = Caller::test_root();
        let ctx = Ctx {
            app,
            caller: &caller,
        };
        call(op, &ctx, &input).await.unwrap().unwrap()
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
