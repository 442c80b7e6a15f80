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
use crate::call::input::paged;
use crate::caller::Caller;
use crate::error::Error;
use crate::time::{iso8601, now_millis};
use portcullis_catalog::catalog;
use portcullis_store::{AccessReport, ActionAccess, Change, Entities};
use serde_json::{Value, json};
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
    info: Value,
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
        info: json!({"Arn": u.arn, "Name": u.name, "Type": "USER", "Id": u.id, "Path": u.path}),
    };
    let role_info = |r: &portcullis_store::Role| Accessor {
        id: r.id.clone(),
        arn: r.arn.clone(),
        info: json!({"Arn": r.arn, "Name": r.name, "Type": "ROLE", "Id": r.id, "Path": r.path}),
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
        let mut v = json!({ "ServiceName": service, "ServiceNamespace": ns });
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
            let mut detail = json!({ "EntityInfo": a.info });
            if let Some(m) = mine {
                authenticated += 1;
                detail["LastAuthenticated"] = json!(iso8601(m.date));
                if latest.is_none_or(|(l, _)| m.date > l.date) {
                    latest = Some((m, a));
                }
            }
            details.push(detail);
        }
        if let Some((access, who)) = latest {
            v["LastAuthenticated"] = json!(iso8601(access.date));
            v["LastAuthenticatedEntity"] = json!(who.arn);
            v["LastAuthenticatedRegion"] = json!(access.region);
        }
        v["TotalAuthenticatedEntities"] = json!(authenticated);
        if granularity == "ACTION_LEVEL" && TRACKED.contains(&ns) {
            let tracked: Vec<Value> = actions
                .values()
                .map(|(access, who)| {
                    json!({
                        "ActionName": access.action.split_once(':').map_or("", |(_, a)| a),
                        "LastAccessedEntity": who.arn,
                        "LastAccessedTime": iso8601(access.date),
                        "LastAccessedRegion": access.region,
                    })
                })
                .collect();
            v["TrackedActionsLastAccessed"] = json!(tracked);
        }
        services.push(v);
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
pub(crate) async fn generate(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("Arn")?;
    let granularity = ctx.input.opt_str("Granularity").unwrap_or("SERVICE_LEVEL");
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut report = build(e, arn, granularity)?;
            // Distinct creation times, so that the oldest report is well defined.
            if let Some(newest) = e.access_reports.values().map(|r| r.created).max() {
                report.created = report.created.max(newest + 1);
            }
            let out = json!({ "JobId": report.job_id });
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

fn job_fields(r: &AccessReport) -> Value {
    json!({
        "JobStatus": "COMPLETED",
        "JobCreationDate": iso8601(r.created),
        "JobCompletionDate": iso8601(r.created),
    })
}

/// GetServiceLastAccessedDetails.
pub(crate) fn get(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let job = ctx.input.str("JobId")?;
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let r = find(e, job)?;
        let keys: Vec<String> = (0..r.services.len()).map(|i| format!("{i:06}")).collect();
        let (items, next) = page.take(keys.iter().map(String::as_str).zip(&r.services));
        let mut out = job_fields(r);
        out["JobType"] = json!(r.granularity);
        out["ServicesLastAccessed"] = json!(items);
        Ok(paged(out, next))
    })
}

/// GetServiceLastAccessedDetailsWithEntities: for a report on a group or policy, the users
/// and roles and when each last used the service.
pub(crate) fn get_with_entities(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let job = ctx.input.str("JobId")?;
    let ns = ctx.input.str("ServiceNamespace")?;
    let page = ctx.input.page()?;
    ctx.app.read(|e| {
        let r = find(e, job)?;
        let empty = Vec::new();
        let list = r.entities.get(ns).unwrap_or(&empty);
        let keys: Vec<String> = (0..list.len()).map(|i| format!("{i:06}")).collect();
        let (items, next) = page.take(keys.iter().map(String::as_str).zip(list));
        let mut out = job_fields(r);
        out["EntityDetailsList"] = json!(items);
        Ok(paged(out, next))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_store::User;

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
        use crate::call::{Ctx, Input};
        use crate::caller::Caller;
        use crate::config::Config;
        use crate::iam::call;
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        let caller = Caller::test_root();
        let run = |op: &'static str, input: Value| {
            let (app, caller) = (&app, &caller);
            async move {
                let ctx = Ctx {
                    app,
                    caller,
                    input: Input(&input),
                };
                call(op, &ctx).await.unwrap()
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
