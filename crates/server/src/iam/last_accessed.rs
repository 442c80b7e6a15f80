//! Service last accessed data: GenerateServiceLastAccessedDetails,
//! GetServiceLastAccessedDetails and GetServiceLastAccessedDetailsWithEntities.
//!
//! The server records, for every authenticated request of an IAM user or role (a role's
//! sessions count for the role), the action and when and where it was made — at most once
//! a minute per entity and action, like the last use of access keys. A report on a user,
//! role, group or managed policy lists every service its identity-based policies allow (see
//! `service_access::grants`), sorted by namespace, with the last authentication by the
//! entity — for a group, by its members; for a policy, by the users (directly or through
//! groups) and roles it is attached to — and how many of them were authenticated.
//! ACTION_LEVEL reports add the tracked actions (for the services this server answers,
//! IAM and STS) with their last access. Reports are generated at once (COMPLETED) and kept.

use super::service_access::Allows;
use crate::account::find_policy;
use crate::auth::session::SessionPrincipal;
use crate::call::Ctx;
use crate::call::input::Page;
use crate::caller::Caller;
use crate::error::Error;
use crate::time::now_millis;
use portcullis_catalog::catalog;
use portcullis_protocol::iam::{
    EntityDetails, EntityInfo, GenerateServiceLastAccessedDetailsInput,
    GenerateServiceLastAccessedDetailsOutput, GetServiceLastAccessedDetailsInput,
    GetServiceLastAccessedDetailsOutput, GetServiceLastAccessedDetailsWithEntitiesInput,
    GetServiceLastAccessedDetailsWithEntitiesOutput, ServiceLastAccessed,
    TrackedActionLastAccessed,
};
use portcullis_protocol::{CommonErrorCode, Timestamp};
use portcullis_store::{AccessReport, ActionAccess, Change, Entities};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;

/// The services whose actions are tracked at ACTION_LEVEL: those this server answers.
const TRACKED: &[&str] = &["iam", "sts"];

/// The user or role an authenticated caller counts as, by unique ID.
pub(crate) fn accessor(caller: &Caller) -> Option<String> {
    match caller.session.as_deref().map(|s| &s.principal) {
        Some(SessionPrincipal::AssumedRole { role_id, .. }) => Some(role_id.clone()),
        Some(SessionPrincipal::FederatedUser { .. } | SessionPrincipal::Root) => None,
        Some(SessionPrincipal::User { user_id }) => Some(user_id.clone()),
        None if caller.is_root() => None,
        None => caller.user_id.clone(),
    }
}

/// Records that `entity_id` was authenticated for `action` now, in `region`.
pub(crate) async fn record(
    app: &crate::app::App,
    entity_id: &str,
    action: &str,
    region: &str,
) -> Result<(), Error> {
    let access = ActionAccess {
        entity_id: entity_id.to_string(),
        action: action.to_string(),
        date: now_millis(),
        region: region.to_string(),
    };
    let account = app.account_id().to_string();
    app.write(|e| {
        let known = e.user_by_id(entity_id).is_some() || e.role_by_id(entity_id).is_some();
        Ok((
            if known {
                vec![Change::put(&account, &access)]
            } else {
                Vec::new()
            },
            (),
        ))
    })
    .await
}

/// One user or role the report counts: its `EntityInfo` and unique ID.
struct Accessor {
    id: String,
    arn: String,
    info: EntityInfo,
}

/// Policies (as documents) and the entities whose accesses count, for a report target.
fn target(e: &Entities, arn: &str) -> Result<(Vec<String>, Vec<Accessor>), Error> {
    let invalid = || Error::invalid_input(format!("ARN {arn} is not valid."));
    let resource = arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|r| r.split_once(':'))
        .map(|(_, r)| r)
        .ok_or_else(invalid)?;
    let inline_and_attached = |inline: &BTreeMap<String, String>, attached: &[String]| {
        let mut docs: Vec<String> = inline.values().cloned().collect();
        docs.extend(
            attached
                .iter()
                .filter_map(|a| find_policy(e, a))
                .map(|p| p.default_document().to_string()),
        );
        docs
    };
    let user_info = |u: &portcullis_store::User| Accessor {
        id: u.id.clone(),
        arn: u.arn.clone(),
        info: EntityInfo {
            arn: u.arn.clone(),
            name: u.name.clone(),
            r#type: "USER".into(),
            id: u.id.clone(),
            path: Some(u.path.clone()),
        },
    };
    let role_info = |r: &portcullis_store::Role| Accessor {
        id: r.id.clone(),
        arn: r.arn.clone(),
        info: EntityInfo {
            arn: r.arn.clone(),
            name: r.name.clone(),
            r#type: "ROLE".into(),
            id: r.id.clone(),
            path: Some(r.path.clone()),
        },
    };
    let name = resource.rsplit('/').next().unwrap_or_default();
    if resource.starts_with("user/") {
        let u = e
            .users
            .values()
            .find(|u| u.arn == arn)
            .ok_or_else(|| super::users::not_found(name))?;
        let mut docs = inline_and_attached(&u.inline_policies, &u.attached_policies);
        for g in u.groups.iter().filter_map(|id| e.group_by_id(id)) {
            docs.extend(inline_and_attached(
                &g.inline_policies,
                &g.attached_policies,
            ));
        }
        Ok((docs, vec![user_info(u)]))
    } else if resource.starts_with("role/") {
        let r = e.roles.values().find(|r| r.arn == arn).ok_or_else(|| {
            Error::no_such_entity(format!("The role with name {name} cannot be found."))
        })?;
        Ok((
            inline_and_attached(&r.inline_policies, &r.attached_policies),
            vec![role_info(r)],
        ))
    } else if resource.starts_with("group/") {
        let g = e.groups.values().find(|g| g.arn == arn).ok_or_else(|| {
            Error::no_such_entity(format!("The group with name {name} cannot be found."))
        })?;
        let members = e.group_members(&g.id).map(|(_, u)| user_info(u)).collect();
        Ok((
            inline_and_attached(&g.inline_policies, &g.attached_policies),
            members,
        ))
    } else if resource.starts_with("policy/") || arn.starts_with("arn:aws:iam::aws:policy/") {
        let p = find_policy(e, arn).ok_or_else(|| {
            Error::no_such_entity(format!("Policy {arn} does not exist or is not attachable."))
        })?;
        let has = |list: &[String]| list.iter().any(|a| a == arn);
        let mut entities: Vec<Accessor> = Vec::new();
        for u in e.users.values() {
            let through_group = u
                .groups
                .iter()
                .filter_map(|id| e.group_by_id(id))
                .any(|g| has(&g.attached_policies));
            if has(&u.attached_policies) || through_group {
                entities.push(user_info(u));
            }
        }
        entities.extend(
            e.roles
                .values()
                .filter(|r| has(&r.attached_policies))
                .map(role_info),
        );
        Ok((vec![p.default_document().to_string()], entities))
    } else {
        Err(invalid())
    }
}

/// The error of a report entry that does not fit its answer member: a fault of the server.
fn unfit(e: &serde_json::Error) -> Error {
    Error::aws(
        CommonErrorCode::InternalFailure,
        format!("An access report entry does not fit its answer: {e}"),
    )
}

/// A report entry as the store keeps it: in the shape IAM answers it.
fn stored(entry: &impl Serialize) -> Result<Value, Error> {
    serde_json::to_value(entry).map_err(|e| unfit(&e))
}

/// A stored report entry as its answer member.
fn answered<T: DeserializeOwned>(entry: &Value) -> Result<T, Error> {
    T::deserialize(entry).map_err(|e| unfit(&e))
}

/// Builds the report on `arn` from the entities.
fn build(e: &Entities, arn: &str, granularity: &str) -> Result<AccessReport, Error> {
    let (documents, accessors) = target(e, arn)?;
    let allows: Vec<Allows> = documents.iter().map(|d| Allows::of(d)).collect();
    let group_or_policy = !arn.contains(":user/") && !arn.contains(":role/");
    let mut prefixes: Vec<&str> = catalog()
        .services()
        .map(|s| s.prefix.as_str())
        .filter(|ns| allows.iter().any(|a| a.grant(ns)))
        .collect();
    prefixes.sort_unstable();
    prefixes.dedup();
    let mut services = Vec::with_capacity(prefixes.len());
    let mut entities = BTreeMap::new();
    for ns in prefixes {
        let service = catalog().service(ns).map_or(ns, |s| s.name.as_str());
        let mut v = ServiceLastAccessed {
            service_name: service.to_string(),
            service_namespace: ns.to_string(),
            last_authenticated: None,
            last_authenticated_entity: None,
            last_authenticated_region: None,
            total_authenticated_entities: None,
            tracked_actions_last_accessed: None,
        };
        let mut latest: Option<(&ActionAccess, &Accessor)> = None;
        let mut authenticated = 0;
        let mut details = Vec::new();
        let mut actions: BTreeMap<String, (&ActionAccess, &Accessor)> = BTreeMap::new();
        for a in &accessors {
            let mut mine: Option<&ActionAccess> = None;
            for access in e.accesses_of(&a.id) {
                let Some((svc, action)) = access.action.split_once(':') else {
                    continue;
                };
                if svc != ns {
                    continue;
                }
                if mine.is_none_or(|m| access.date > m.date) {
                    mine = Some(access);
                }
                let slot = actions.entry(action.to_string()).or_insert((access, a));
                if access.date > slot.0.date {
                    *slot = (access, a);
                }
            }
            let mut detail = EntityDetails {
                entity_info: a.info.clone(),
                last_authenticated: None,
            };
            if let Some(m) = mine {
                authenticated += 1;
                detail.last_authenticated = Some(Timestamp::from_millis(m.date));
                if latest.is_none_or(|(l, _)| m.date > l.date) {
                    latest = Some((m, a));
                }
            }
            details.push(stored(&detail)?);
        }
        if let Some((access, who)) = latest {
            v.last_authenticated = Some(Timestamp::from_millis(access.date));
            v.last_authenticated_entity = Some(who.arn.clone());
            v.last_authenticated_region = Some(access.region.clone());
        }
        v.total_authenticated_entities = Some(authenticated);
        if granularity == "ACTION_LEVEL" && TRACKED.contains(&ns) {
            let tracked: Vec<TrackedActionLastAccessed> = actions
                .values()
                .map(|(access, who)| TrackedActionLastAccessed {
                    action_name: Some(
                        access
                            .action
                            .split_once(':')
                            .map_or("", |(_, a)| a)
                            .to_string(),
                    ),
                    last_accessed_entity: Some(who.arn.clone()),
                    last_accessed_time: Some(Timestamp::from_millis(access.date)),
                    last_accessed_region: Some(access.region.clone()),
                })
                .collect();
            v.tracked_actions_last_accessed = Some(tracked);
        }
        services.push(stored(&v)?);
        if group_or_policy {
            entities.insert(ns.to_string(), details);
        }
    }
    Ok(AccessReport {
        job_id: uuid::Uuid::new_v4().to_string(),
        granularity: granularity.to_string(),
        created: now_millis(),
        services,
        entities,
    })
}

/// How many reports an account keeps: generating one more deletes the oldest (its job ID
/// then answers NoSuchEntity). Every call of GenerateServiceLastAccessedDetails stores a
/// report, and IAMReadOnlyAccess allows it: without a bound, a read-only caller could grow
/// the store without end.
pub(crate) const MAX_ACCESS_REPORTS: usize = 100;

/// GenerateServiceLastAccessedDetails.
pub(crate) async fn generate_service_last_accessed_details(
    ctx: &Ctx<'_>,
    input: GenerateServiceLastAccessedDetailsInput,
) -> Result<GenerateServiceLastAccessedDetailsOutput, Error> {
    let arn = &input.arn;
    let granularity = input.granularity.as_deref().unwrap_or("SERVICE_LEVEL");
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut report = build(e, arn, granularity)?;
            // Distinct creation times, so that the oldest report is well defined.
            if let Some(newest) = e.access_reports.values().map(|r| r.created).max() {
                report.created = report.created.max(newest + 1);
            }
            let out = GenerateServiceLastAccessedDetailsOutput {
                job_id: Some(report.job_id.clone()),
            };
            let mut changes = Vec::new();
            let over = (e.access_reports.len() + 1).saturating_sub(MAX_ACCESS_REPORTS);
            if over > 0 {
                let mut oldest: Vec<&AccessReport> = e.access_reports.values().collect();
                oldest.sort_by(|a, b| (a.created, &a.job_id).cmp(&(b.created, &b.job_id)));
                changes.extend(
                    oldest
                        .into_iter()
                        .take(over)
                        .map(|r| Change::delete(account, r)),
                );
            }
            changes.push(Change::put(account, &report));
            Ok((changes, out))
        })
        .await
}

fn find<'e>(e: &'e Entities, job: &str) -> Result<&'e AccessReport, Error> {
    e.access_reports
        .get(job)
        .ok_or_else(|| Error::no_such_entity(format!("The job with ID {job} cannot be found.")))
}

/// GetServiceLastAccessedDetails.
pub(crate) fn get_service_last_accessed_details(
    ctx: &Ctx<'_>,
    input: GetServiceLastAccessedDetailsInput,
) -> Result<GetServiceLastAccessedDetailsOutput, Error> {
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let r = find(e, &input.job_id)?;
        let keys: Vec<String> = (0..r.services.len()).map(|i| format!("{i:06}")).collect();
        let (items, next) = page.take(keys.iter().map(String::as_str).zip(&r.services));
        Ok(GetServiceLastAccessedDetailsOutput {
            job_status: "COMPLETED".into(),
            job_creation_date: Timestamp::from_millis(r.created),
            job_completion_date: Timestamp::from_millis(r.created),
            job_type: Some(r.granularity.clone()),
            services_last_accessed: items.into_iter().map(answered).collect::<Result<_, _>>()?,
            error: None,
            is_truncated: Some(next.is_some()),
            marker: next,
        })
    })
}

/// GetServiceLastAccessedDetailsWithEntities: for a report on a group or policy, the users
/// and roles and when each last used the service.
pub(crate) fn get_service_last_accessed_details_with_entities(
    ctx: &Ctx<'_>,
    input: GetServiceLastAccessedDetailsWithEntitiesInput,
) -> Result<GetServiceLastAccessedDetailsWithEntitiesOutput, Error> {
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let r = find(e, &input.job_id)?;
        let empty = Vec::new();
        let list = r.entities.get(&input.service_namespace).unwrap_or(&empty);
        let keys: Vec<String> = (0..list.len()).map(|i| format!("{i:06}")).collect();
        let (items, next) = page.take(keys.iter().map(String::as_str).zip(list));
        Ok(GetServiceLastAccessedDetailsWithEntitiesOutput {
            job_status: "COMPLETED".into(),
            job_creation_date: Timestamp::from_millis(r.created),
            job_completion_date: Timestamp::from_millis(r.created),
            entity_details_list: items.into_iter().map(answered).collect::<Result<_, _>>()?,
            error: None,
            is_truncated: Some(next.is_some()),
            marker: next,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_store::User;
    use serde_json::json;

    fn user(attached: &[&str]) -> User {
        User {
            id: "AIDAALICE".into(),
            name: "alice".into(),
            path: "/".into(),
            arn: "arn:aws:iam::123456789012:user/alice".into(),
            create_date: 0,
            permissions_boundary: None,
            tags: vec![],
            groups: vec![],
            attached_policies: attached.iter().map(|s| s.to_string()).collect(),
            inline_policies: BTreeMap::new(),
            password_last_used: None,
        }
    }

    #[test]
    fn reports_the_services_a_large_managed_policy_allows() {
        let mut e = Entities::default();
        let account = "123456789012";
        let u = user(&["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
        e.apply(&Change::put(account, &u)).unwrap();
        let access = ActionAccess {
            entity_id: u.id.clone(),
            action: "sts:GetCallerIdentity".into(),
            date: 5_000,
            region: "eu-west-1".into(),
        };
        e.apply(&Change::put(account, &access)).unwrap();
        let started = std::time::Instant::now();
        let report = build(&e, &u.arn, "SERVICE_LEVEL").unwrap();
        assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
        let namespaces: Vec<&str> = report
            .services
            .iter()
            .filter_map(|s| s["ServiceNamespace"].as_str())
            .collect();
        assert!(namespaces.contains(&"s3"));
        assert!(namespaces.contains(&"ec2"));
        assert!(namespaces.windows(2).all(|w| w[0] < w[1]));
        let sts = report
            .services
            .iter()
            .find(|s| s["ServiceNamespace"] == "sts")
            .expect("ReadOnlyAccess allows sts reads");
        assert_eq!(sts["LastAuthenticatedRegion"], "eu-west-1");
        assert_eq!(sts["TotalAuthenticatedEntities"], 1);
        assert!(report.entities.is_empty());
        assert!(build(&e, "arn:aws:iam::123456789012:user/nobody", "SERVICE_LEVEL").is_err());
    }

    #[tokio::test]
    async fn an_account_keeps_the_newest_reports() {
        use crate::app::App;
        use crate::call::Ctx;
        use crate::caller::Caller;
        use crate::config::Config;
        use crate::iam::call;
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        let caller = Caller::test_root();
        let run = |op: &'static str, input: Value| {
            let (app, caller) = (&app, &caller);
            async move {
                let ctx = Ctx { app, caller };
                call(op, &ctx, &input).await.unwrap()
            }
        };
        run("CreateUser", json!({"UserName": "alice"}))
            .await
            .unwrap();
        let arn = "arn:aws:iam::123456789012:user/alice";
        let mut jobs = Vec::new();
        for _ in 0..MAX_ACCESS_REPORTS + 5 {
            let out = run("GenerateServiceLastAccessedDetails", json!({"Arn": arn}))
                .await
                .unwrap();
            jobs.push(out["JobId"].as_str().unwrap().to_string());
        }
        assert_eq!(app.read(|e| e.access_reports.len()), MAX_ACCESS_REPORTS);
        for (i, job) in jobs.iter().enumerate() {
            let got = run("GetServiceLastAccessedDetails", json!({"JobId": job})).await;
            if i < 5 {
                let e = got.unwrap_err().into_aws();
                assert_eq!(e.code(), "NoSuchEntity");
            } else {
                assert!(got.is_ok(), "{job}");
            }
        }
    }
}
