//! Access review from the audit trail, as IAM Access Analyzer does it: a least-privilege
//! policy generated from what a principal did ([`generate_policy`]), and what is granted
//! but not used ([`unused_access`]). [`Archive`] reads a data directory directly, for the
//! `portcullis audit` and `portcullis policy generate` commands.

use crate::account::find_policy;
use crate::error::Error;
use portcullis_catalog::catalog;
use portcullis_policy::{Effect, PolicyDocument, wildcard_match};
use portcullis_store::{
    Entities, EventAttribute, EventQuery, EventRecord, Location, SqliteStore, Store, StoredEvent,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Actions that need no permission (STS API reference): never part of a generated policy.
const UNAUTHORIZED_ACTIONS: &[&str] = &["sts:GetCallerIdentity", "sts:GetSessionToken"];

/// The audit trail and entities of a data directory, read directly (SQLite lets a server
/// write while this reads), with the events a running server has journaled but not yet
/// moved to its store.
pub struct Archive {
    store: SqliteStore,
    /// Journaled events not in the store, oldest first.
    pending: Vec<EventRecord>,
    account: String,
}

impl Archive {
    /// Opens the store of `data_dir` for account `account`: `DATA_DIR/portcullis.db`, or
    /// the SQLite file `database_url` names (as `portcullis serve --database-url` does).
    pub async fn open(
        data_dir: &Path,
        database_url: Option<&str>,
        account: &str,
    ) -> Result<Archive, Error> {
        let path = match database_url {
            None => data_dir.join("portcullis.db"),
            Some(url) => match Location::parse(url)? {
                Location::SqliteFile(path) => path,
                Location::SqliteMemory => {
                    return Err(Error::Config(
                        "an in-memory store cannot be read by another process".to_string(),
                    ));
                }
            },
        };
        if !path.exists() {
            return Err(Error::Config(format!(
                "no Portcullis database at {}",
                path.display()
            )));
        }
        let store = SqliteStore::open(&path).await?;
        let pending = crate::trail::journal::pending(data_dir, &store).await?;
        Ok(Archive {
            store,
            pending,
            account: account.to_string(),
        })
    }

    /// The events `query` selects (in this archive's account), newest first; the journaled
    /// ones come first, without a position to page from.
    pub async fn events(&self, query: &EventQuery) -> Result<Vec<StoredEvent>, Error> {
        let query = EventQuery {
            account: self.account.clone(),
            ..query.clone()
        };
        let stored = self.store.events(&query).await?;
        // The server may have moved journaled events to the store since they were read:
        // those are the newest in the store, so they are among the first it answers.
        let moved: std::collections::HashSet<&str> =
            stored.iter().map(|e| e.event.event_id.as_str()).collect();
        let mut found: Vec<StoredEvent> = self
            .pending
            .iter()
            .rev()
            .filter(|e| query.before.is_none() && query.matches(e))
            .filter(|e| !moved.contains(e.event_id.as_str()))
            .map(|e| StoredEvent {
                position: i64::MAX,
                event: e.clone(),
            })
            .collect();
        found.extend(stored);
        if query.limit > 0 {
            found.truncate(query.limit);
        }
        Ok(found)
    }

    /// The account's entities.
    pub async fn entities(&self) -> Result<Entities, Error> {
        let records = self.store.load().await?;
        Ok(Entities::from_records(
            records.iter().filter(|r| r.account == self.account),
        )?)
    }

    /// Removes the events older than `before` (milliseconds since the Unix epoch).
    pub async fn prune(&self, before: i64) -> Result<u64, Error> {
        Ok(self.store.prune_events(before).await?)
    }
}

/// The query for the events of `principal` (its own ARN, or the ARN of the role or user
/// whose sessions it made) since `since` (milliseconds since the Unix epoch).
pub fn principal_query(principal: &str, since: i64) -> EventQuery {
    EventQuery {
        start: Some(since),
        attributes: vec![(EventAttribute::Principal, principal.to_string())],
        ..EventQuery::default()
    }
}

/// The resource a generated statement names for an action used on `resource`: `*` for
/// actions that support no resource-level permissions, or when the request named none.
fn policy_resource(action: &str, resource: Option<&str>) -> String {
    let scoped = catalog()
        .action(action)
        .is_some_and(|a| !a.is_wildcard_only());
    match resource {
        Some(r) if scoped && r != "*" => r.to_string(),
        _ => "*".to_string(),
    }
}

/// A least-privilege identity policy allowing exactly the actions `events` show were
/// authorized, on the resources they acted on (where the action supports resource-level
/// permissions); actions on the same resources share a statement.
pub fn generate_policy(events: &[EventRecord]) -> Value {
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in events.iter().filter(|e| e.authorized && !e.name.is_empty()) {
        if UNAUTHORIZED_ACTIONS.contains(&e.action.as_str()) {
            continue;
        }
        used.entry(e.action.clone())
            .or_default()
            .insert(policy_resource(&e.action, e.resource_arn.as_deref()));
    }
    let mut statements: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for (action, resources) in used {
        let resources: Vec<String> = if resources.contains("*") {
            vec!["*".to_string()]
        } else {
            resources.into_iter().collect()
        };
        statements.entry(resources).or_default().push(action);
    }
    let one_or_list = |v: Vec<String>| {
        if v.len() == 1 { json!(v[0]) } else { json!(v) }
    };
    let statements: Vec<Value> = statements
        .into_iter()
        .map(|(resources, actions)| {
            json!({"Effect": "Allow", "Action": one_or_list(actions), "Resource": one_or_list(resources)})
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// What one principal has been granted but has not used in the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusedAccess {
    /// `user` or `role`.
    pub kind: &'static str,
    /// The principal's ARN.
    pub arn: String,
    /// True when the principal made no request at all in the window (a role: nobody
    /// assumed it nor used its sessions).
    pub unused: bool,
    /// When it was last used before the window, as IAM's last-used data knows it
    /// (milliseconds since the Unix epoch).
    pub last_used: Option<i64>,
    /// Services granted of which no action was used: (service prefix, how many actions
    /// of it are granted).
    pub unused_services: Vec<(String, usize)>,
    /// Actions granted but not used, of the services that were used.
    pub unused_actions: Vec<String>,
    /// Access keys (of a user) not used in the window.
    pub unused_access_keys: Vec<String>,
}

/// The actions an identity policy document allows (its `Allow` statements' `Action`
/// elements, expanded over the service authorization reference; conditions and
/// resources aside).
pub(crate) fn granted_actions(document: &str, into: &mut BTreeSet<String>) {
    let Ok(doc) = PolicyDocument::parse(document) else {
        return;
    };
    for s in doc.statements.iter().filter(|s| s.effect == Effect::Allow) {
        let Some(actions) = s.action.as_ref().filter(|a| !a.negated) else {
            continue;
        };
        for pattern in &actions.values {
            let pattern = pattern.to_ascii_lowercase();
            let (service, _) = pattern.split_once(':').unwrap_or((pattern.as_str(), ""));
            for info in catalog().services() {
                if !wildcard_match(service, &info.prefix.to_ascii_lowercase()) {
                    continue;
                }
                for a in info.actions() {
                    let full = format!("{}:{}", info.prefix, a.name);
                    if pattern == "*" || wildcard_match(&pattern, &full.to_ascii_lowercase()) {
                        into.insert(full);
                    }
                }
            }
        }
    }
}

fn documents_of<'a>(
    e: &'a Entities,
    inline: impl Iterator<Item = &'a String>,
    attached: impl Iterator<Item = &'a String>,
) -> Vec<String> {
    inline
        .cloned()
        .chain(
            attached
                .filter_map(|arn| find_policy(e, arn).map(|p| p.default_document().to_string())),
        )
        .collect()
}

fn unused_for(
    kind: &'static str,
    arn: &str,
    documents: &[String],
    events: &[&EventRecord],
    last_used: Option<i64>,
) -> UnusedAccess {
    let mut granted = BTreeSet::new();
    for d in documents {
        granted_actions(d, &mut granted);
    }
    let used: BTreeSet<String> = events
        .iter()
        .filter(|e| e.authorized)
        .map(|e| e.action.to_ascii_lowercase())
        .collect();
    let mut by_service: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for action in &granted {
        let service = action.split(':').next().unwrap_or_default().to_string();
        by_service.entry(service).or_default().push(action.clone());
    }
    let mut unused_services = Vec::new();
    let mut unused_actions = Vec::new();
    for (service, actions) in by_service {
        let unused: Vec<String> = actions
            .iter()
            .filter(|a| !used.contains(&a.to_ascii_lowercase()))
            .cloned()
            .collect();
        if unused.len() == actions.len() {
            unused_services.push((service, actions.len()));
        } else {
            unused_actions.extend(unused);
        }
    }
    UnusedAccess {
        kind,
        arn: arn.to_string(),
        unused: events.is_empty(),
        last_used,
        unused_services,
        unused_actions,
        unused_access_keys: Vec::new(),
    }
}

/// For every user and role of `e`: what it was granted and did not use in `events` (the
/// events of the window), whether it was used at all, and which of its access keys were
/// not used.
pub fn unused_access(e: &Entities, events: &[EventRecord]) -> Vec<UnusedAccess> {
    let mut out = Vec::new();
    for user in e.users.values() {
        let mine: Vec<&EventRecord> = events
            .iter()
            .filter(|ev| {
                ev.principal_arn.as_deref() == Some(&user.arn)
                    || ev.issuer_arn.as_deref() == Some(&user.arn)
            })
            .collect();
        let groups: Vec<_> = user
            .groups
            .iter()
            .filter_map(|g| e.group_by_id(g))
            .collect();
        let documents = documents_of(
            e,
            user.inline_policies
                .values()
                .chain(groups.iter().flat_map(|g| g.inline_policies.values())),
            user.attached_policies
                .iter()
                .chain(groups.iter().flat_map(|g| g.attached_policies.iter())),
        );
        let keys = e.access_keys_of(Some(&user.id));
        let last_used = keys
            .iter()
            .filter_map(|k| k.last_used.as_ref().map(|l| l.date))
            .chain(user.password_last_used)
            .max();
        let mut finding = unused_for("user", &user.arn, &documents, &mine, last_used);
        finding.unused_access_keys = keys
            .iter()
            .filter(|k| {
                !events
                    .iter()
                    .any(|ev| ev.access_key_id.as_deref() == Some(k.id.as_str()))
            })
            .map(|k| k.id.clone())
            .collect();
        out.push(finding);
    }
    for role in e.roles.values() {
        let mine: Vec<&EventRecord> = events
            .iter()
            .filter(|ev| {
                ev.issuer_arn.as_deref() == Some(&role.arn)
                    || (ev.name.starts_with("AssumeRole")
                        && ev.error_code.is_none()
                        && ev.resource_arn.as_deref() == Some(&role.arn))
            })
            .collect();
        let documents = documents_of(
            e,
            role.inline_policies.values(),
            role.attached_policies.iter(),
        );
        let mut finding = unused_for(
            "role",
            &role.arn,
            &documents,
            &mine,
            role.last_used.as_ref().map(|l| l.date),
        );
        // Assuming the role is not one of its permissions.
        finding.unused = !mine
            .iter()
            .any(|ev| ev.issuer_arn.as_deref() == Some(&role.arn))
            && !mine.iter().any(|ev| ev.name.starts_with("AssumeRole"));
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(action: &str, resource: Option<&str>, authorized: bool) -> EventRecord {
        let (service, name) = action.split_once(':').unwrap();
        EventRecord {
            event_id: format!("{action}{resource:?}"),
            account: "123456789012".into(),
            time: 0,
            name: name.into(),
            source: format!("{service}.amazonaws.com"),
            username: None,
            access_key_id: None,
            read_only: true,
            principal_arn: Some("arn:aws:iam::123456789012:user/alice".into()),
            issuer_arn: None,
            action: action.into(),
            resource_arn: resource.map(str::to_string),
            authorized,
            error_code: (!authorized).then(|| "AccessDenied".to_string()),
            resources: Vec::new(),
            body: "{}".into(),
        }
    }

    #[test]
    fn generated_policies_group_actions_by_resource_and_skip_denials() {
        let role = "arn:aws:iam::123456789012:role/Reader";
        let events = [
            used("iam:GetRole", Some(role), true),
            used("iam:ListRolePolicies", Some(role), true),
            used(
                "iam:ListRoles",
                Some("arn:aws:iam::123456789012:role/"),
                true,
            ),
            used("iam:GetRole", Some(role), true),
            used("iam:DeleteRole", Some(role), false),
            used("sts:GetCallerIdentity", None, true),
        ];
        assert_eq!(
            generate_policy(&events),
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"},
                {"Effect": "Allow", "Action": ["iam:GetRole", "iam:ListRolePolicies"], "Resource": role},
            ]})
        );
    }

    #[test]
    fn granted_actions_expand_wildcards_over_the_reference() {
        let mut got = BTreeSet::new();
        granted_actions(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetRole*","sts:AssumeRole"],"Resource":"*"},
                {"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
            &mut got,
        );
        assert!(got.contains("iam:GetRole") && got.contains("iam:GetRolePolicy"));
        assert!(got.contains("sts:AssumeRole"));
        assert!(!got.iter().any(|a| a.starts_with("s3:")));
    }
}
