//! GenerateServiceLastAccessedDetails and GetServiceLastAccessedDetails, fed from the
//! audit trail: for a user, group, role or managed policy, each service its policies allow
//! with the last authorized request to it (when, by whom, in which region) and how many
//! entities made one; with `ACTION_LEVEL`, the same per action for the actions AWS tracks
//! (IAM's, here every action of IAM and STS).
//!
//! A job is answered when it is made (its status is `COMPLETED` at once) and kept in memory
//! for [`JOB_LIFETIME_MS`]; AWS keeps jobs for a limited time too.

use super::Ctx;
use crate::audit::review::{granted_actions, principal_query};
use crate::error::Error;
use crate::iam::rules::find_policy;
use crate::time::{iso8601, now_millis};
use portcullis_catalog::catalog;
use portcullis_store::{Entities, EventRecord};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// How long a job's answer is kept (milliseconds).
pub const JOB_LIFETIME_MS: i64 = 24 * 3600 * 1000;

/// Services whose actions are tracked one by one with `ACTION_LEVEL`.
const TRACKED_SERVICES: &[&str] = &["iam", "sts"];

/// A finished job.
#[derive(Debug, Clone)]
pub struct Job {
    /// When it was made (milliseconds since the Unix epoch).
    pub created: i64,
    /// `SERVICE_LEVEL` or `ACTION_LEVEL`.
    pub granularity: String,
    /// `ServicesLastAccessed`.
    pub services: Vec<Value>,
}

/// The entity a job is about: its ARN, the ARNs whose requests count, and its policies.
struct Subject {
    principals: Vec<String>,
    documents: Vec<String>,
}

fn subject(e: &Entities, arn: &str) -> Result<Subject, Error> {
    let missing = || Error::no_such_entity(format!("The entity {arn} does not exist."));
    let documents = |inline: Vec<&String>, attached: Vec<&String>| -> Vec<String> {
        inline
            .into_iter()
            .cloned()
            .chain(
                attached
                    .into_iter()
                    .filter_map(|a| find_policy(e, a).map(|p| p.default_document().to_string())),
            )
            .collect()
    };
    let resource = arn
        .split_once(":iam::")
        .and_then(|(_, rest)| rest.split_once(':'))
        .map(|(_, r)| r)
        .ok_or_else(|| Error::invalid_input(format!("ARN {arn} is not valid.")))?;
    if resource.starts_with("user/") {
        let u = e
            .users
            .values()
            .find(|u| u.arn == arn)
            .ok_or_else(missing)?;
        let groups: Vec<_> = u.groups.iter().filter_map(|g| e.group_by_id(g)).collect();
        Ok(Subject {
            principals: vec![u.arn.clone()],
            documents: documents(
                u.inline_policies
                    .values()
                    .chain(groups.iter().flat_map(|g| g.inline_policies.values()))
                    .collect(),
                u.attached_policies
                    .iter()
                    .chain(groups.iter().flat_map(|g| g.attached_policies.iter()))
                    .collect(),
            ),
        })
    } else if resource.starts_with("role/") {
        let r = e
            .roles
            .values()
            .find(|r| r.arn == arn)
            .ok_or_else(missing)?;
        Ok(Subject {
            principals: vec![r.arn.clone()],
            documents: documents(
                r.inline_policies.values().collect(),
                r.attached_policies.iter().collect(),
            ),
        })
    } else if resource.starts_with("group/") {
        let g = e
            .groups
            .values()
            .find(|g| g.arn == arn)
            .ok_or_else(missing)?;
        Ok(Subject {
            principals: e
                .users
                .values()
                .filter(|u| u.groups.contains(&g.id))
                .map(|u| u.arn.clone())
                .collect(),
            documents: documents(
                g.inline_policies.values().collect(),
                g.attached_policies.iter().collect(),
            ),
        })
    } else if resource.starts_with("policy/") {
        let p = find_policy(e, arn).ok_or_else(missing)?;
        let attached = |list: &Vec<String>| list.iter().any(|a| a == arn);
        let mut principals: Vec<String> = e
            .roles
            .values()
            .filter(|r| attached(&r.attached_policies))
            .map(|r| r.arn.clone())
            .collect();
        let groups: BTreeSet<&str> = e
            .groups
            .values()
            .filter(|g| attached(&g.attached_policies))
            .map(|g| g.id.as_str())
            .collect();
        principals.extend(
            e.users
                .values()
                .filter(|u| {
                    attached(&u.attached_policies)
                        || u.groups.iter().any(|g| groups.contains(g.as_str()))
                })
                .map(|u| u.arn.clone()),
        );
        Ok(Subject {
            principals,
            documents: vec![p.default_document().to_string()],
        })
    } else {
        Err(Error::invalid_input(format!(
            "ARN {arn} is not the ARN of a user, group, role or policy."
        )))
    }
}

/// The last use of a service or an action: time, entity, region; and who used it.
#[derive(Default)]
struct Use {
    last: Option<(i64, String, String)>,
    entities: BTreeSet<String>,
}

impl Use {
    fn add(&mut self, time: i64, entity: &str, region: &str) {
        if self.last.as_ref().is_none_or(|(t, _, _)| time > *t) {
            self.last = Some((time, entity.to_string(), region.to_string()));
        }
        self.entities.insert(entity.to_string());
    }
}

fn region_of(e: &EventRecord) -> String {
    serde_json::from_str::<Value>(&e.body)
        .ok()
        .and_then(|v| {
            v.get("awsRegion")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "us-east-1".to_string())
}

/// The report of a job over `events` (the requests of the subject's principals).
fn report(
    documents: &[String],
    events: &[(String, EventRecord)],
    action_level: bool,
) -> Vec<Value> {
    let mut granted = BTreeSet::new();
    for d in documents {
        granted_actions(d, &mut granted);
    }
    let granted_lower: BTreeSet<String> = granted.iter().map(|a| a.to_ascii_lowercase()).collect();
    let mut services: BTreeMap<String, Use> = BTreeMap::new();
    let mut actions: BTreeMap<String, Use> = BTreeMap::new();
    for a in &granted {
        let service = a.split(':').next().unwrap_or_default().to_string();
        services.entry(service).or_default();
    }
    for (entity, e) in events.iter().filter(|(_, e)| e.authorized) {
        if !granted_lower.contains(&e.action.to_ascii_lowercase()) {
            continue;
        }
        let service = e.action.split(':').next().unwrap_or_default();
        let region = region_of(e);
        if let Some(u) = services.get_mut(service) {
            u.add(e.time, entity, &region);
        }
        actions
            .entry(e.action.clone())
            .or_default()
            .add(e.time, entity, &region);
    }
    services
        .iter()
        .map(|(namespace, used)| {
            let name = catalog()
                .service(namespace)
                .map_or(namespace.clone(), |s| s.name.clone());
            let mut v = json!({"ServiceName": name, "ServiceNamespace": namespace,
                "TotalAuthenticatedEntities": used.entities.len()});
            if let Some((time, entity, region)) = &used.last {
                v["LastAuthenticated"] = json!(iso8601(*time));
                v["LastAuthenticatedEntity"] = json!(entity);
                v["LastAuthenticatedRegion"] = json!(region);
            }
            if action_level && TRACKED_SERVICES.contains(&namespace.as_str()) {
                let tracked: Vec<Value> = granted
                    .iter()
                    .filter(|a| a.split(':').next() == Some(namespace.as_str()))
                    .map(|a| {
                        let name = a.split(':').nth(1).unwrap_or_default();
                        let mut t = json!({"ActionName": name});
                        if let Some((time, entity, region)) =
                            actions.get(a).and_then(|u| u.last.as_ref())
                        {
                            t["LastAccessedTime"] = json!(iso8601(*time));
                            t["LastAccessedEntity"] = json!(entity);
                            t["LastAccessedRegion"] = json!(region);
                        }
                        t
                    })
                    .collect();
                v["TrackedActionsLastAccessed"] = json!(tracked);
            }
            v
        })
        .collect()
}

/// GenerateServiceLastAccessedDetails.
pub async fn generate(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let arn = ctx.input.str("Arn")?;
    let granularity = ctx
        .input
        .opt_str("Granularity")
        .unwrap_or("SERVICE_LEVEL")
        .to_string();
    let subject = ctx.app.read(|e| subject(e, arn))?;
    let mut events = Vec::new();
    for principal in &subject.principals {
        let mut query = principal_query(principal, 0);
        query.account = ctx.account().to_string();
        for found in ctx.app.lookup_events(&query).await? {
            events.push((principal.clone(), found.event));
        }
    }
    let services = report(&subject.documents, &events, granularity == "ACTION_LEVEL");
    let id = crate::audit::event_id();
    ctx.app.keep_job(
        id.clone(),
        Job {
            created: now_millis(),
            granularity,
            services,
        },
    );
    Ok(json!({"JobId": id}))
}

/// GetServiceLastAccessedDetails.
pub fn get(ctx: &Ctx<'_>) -> Result<Value, Error> {
    let id = ctx.input.str("JobId")?;
    let job = ctx
        .app
        .job(id)
        .ok_or_else(|| Error::no_such_entity(format!("The job with ID {id} does not exist.")))?;
    let page = ctx.input.page()?;
    let (services, next) = page.take(job.services.iter().map(|s| {
        (
            s["ServiceNamespace"].as_str().unwrap_or_default(),
            s.clone(),
        )
    }));
    let out = json!({
        "JobStatus": "COMPLETED",
        "JobType": job.granularity,
        "JobCreationDate": iso8601(job.created),
        "JobCompletionDate": iso8601(job.created),
        "ServicesLastAccessed": services,
    });
    Ok(super::input::paged(out, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(action: &str, time: i64, authorized: bool) -> (String, EventRecord) {
        let entity = "arn:aws:iam::1:user/a".to_string();
        let record = EventRecord {
            event_id: format!("{action}{time}"),
            account: "1".into(),
            time,
            name: action.split(':').nth(1).unwrap().into(),
            source: String::new(),
            username: None,
            access_key_id: None,
            read_only: true,
            principal_arn: Some(entity.clone()),
            issuer_arn: None,
            action: action.into(),
            resource_arn: None,
            authorized,
            error_code: None,
            resources: Vec::new(),
            body: r#"{"awsRegion":"eu-west-1"}"#.into(),
        };
        (entity, record)
    }

    #[test]
    fn services_granted_are_listed_with_their_last_authorized_use() {
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetRole","iam:ListRoles","s3:GetObject"],"Resource":"*"}]}"#;
        let events = [
            used("iam:GetRole", 5_000, true),
            used("iam:GetRole", 9_000, false),
            used("iam:ListRoles", 2_000, true),
            used("ec2:DescribeInstances", 7_000, true),
        ];
        let got = report(&[doc.to_string()], &events, true);
        assert_eq!(got.len(), 2, "{got:?}");
        let iam = &got[0];
        assert_eq!(iam["ServiceNamespace"], "iam");
        assert_eq!(iam["LastAuthenticated"], iso8601(5_000));
        assert_eq!(iam["LastAuthenticatedRegion"], "eu-west-1");
        assert_eq!(iam["TotalAuthenticatedEntities"], 1);
        let tracked = iam["TrackedActionsLastAccessed"].as_array().unwrap();
        assert_eq!(tracked.len(), 2);
        assert_eq!(tracked[1]["ActionName"], "ListRoles");
        assert_eq!(tracked[1]["LastAccessedTime"], iso8601(2_000));
        let s3 = &got[1];
        assert_eq!(s3["ServiceNamespace"], "s3");
        assert!(s3.get("LastAuthenticated").is_none());
        assert!(s3.get("TrackedActionsLastAccessed").is_none());
    }
}
