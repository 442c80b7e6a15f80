//! The entities of one account, held in memory and indexed for the server's reads. The
//! durable store is the source of truth; this is rebuilt from it at start and kept in step
//! by applying each committed change.

use crate::entity::{AccessKey, Account, Group, InstanceProfile, ManagedPolicy, Role, User};
use crate::error::StoreError;
use crate::record::{Change, Kind, Record};
use std::collections::{BTreeMap, HashMap};

/// How a managed policy is used in an account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PolicyUsage {
    /// Users, groups and roles it is attached to.
    pub attachments: usize,
    /// Users and roles it bounds.
    pub boundaries: usize,
}

/// Every entity of one account, by kind, sorted by key (lower-cased name), with indexes by ID.
#[derive(Debug, Clone, Default)]
pub struct Entities {
    /// The account, once bootstrapped.
    pub account: Option<Account>,
    /// Users by lower-cased name.
    pub users: BTreeMap<String, User>,
    /// Groups by lower-cased name.
    pub groups: BTreeMap<String, Group>,
    /// Roles by lower-cased name.
    pub roles: BTreeMap<String, Role>,
    /// Customer managed policies by lower-cased name.
    pub policies: BTreeMap<String, ManagedPolicy>,
    /// Instance profiles by lower-cased name.
    pub instance_profiles: BTreeMap<String, InstanceProfile>,
    /// Access keys by ID.
    pub access_keys: BTreeMap<String, AccessKey>,
    users_by_id: HashMap<String, String>,
    groups_by_id: HashMap<String, String>,
    roles_by_id: HashMap<String, String>,
    policies_by_arn: HashMap<String, String>,
}

fn decode<T: serde::de::DeserializeOwned>(record: &Record) -> Result<T, StoreError> {
    serde_json::from_str(&record.body).map_err(|e| {
        StoreError::Corrupt(format!(
            "{} {} of account {}: {e}",
            record.kind.as_str(),
            record.key,
            record.account
        ))
    })
}

impl Entities {
    /// Builds the entities of an account from its stored records.
    pub fn from_records<'a>(
        records: impl IntoIterator<Item = &'a Record>,
    ) -> Result<Entities, StoreError> {
        let mut e = Entities::default();
        for r in records {
            e.put(r)?;
        }
        Ok(e)
    }

    /// Applies a committed change.
    pub fn apply(&mut self, change: &Change) -> Result<(), StoreError> {
        match change {
            Change::Put(record) => self.put(record),
            Change::Delete { kind, key, .. } => {
                self.remove(*kind, key);
                Ok(())
            }
        }
    }

    fn put(&mut self, r: &Record) -> Result<(), StoreError> {
        self.remove(r.kind, &r.key);
        let key = r.key.clone();
        match r.kind {
            Kind::Account => self.account = Some(decode(r)?),
            Kind::User => {
                let u: User = decode(r)?;
                self.users_by_id.insert(u.id.clone(), key.clone());
                self.users.insert(key, u);
            }
            Kind::Group => {
                let g: Group = decode(r)?;
                self.groups_by_id.insert(g.id.clone(), key.clone());
                self.groups.insert(key, g);
            }
            Kind::Role => {
                let role: Role = decode(r)?;
                self.roles_by_id.insert(role.id.clone(), key.clone());
                self.roles.insert(key, role);
            }
            Kind::Policy => {
                let p: ManagedPolicy = decode(r)?;
                self.policies_by_arn.insert(p.arn.clone(), key.clone());
                self.policies.insert(key, p);
            }
            Kind::InstanceProfile => {
                self.instance_profiles.insert(key, decode(r)?);
            }
            Kind::AccessKey => {
                self.access_keys.insert(key, decode(r)?);
            }
        }
        Ok(())
    }

    fn remove(&mut self, kind: Kind, key: &str) {
        match kind {
            Kind::Account => self.account = None,
            Kind::User => {
                if let Some(u) = self.users.remove(key) {
                    self.users_by_id.remove(&u.id);
                }
            }
            Kind::Group => {
                if let Some(g) = self.groups.remove(key) {
                    self.groups_by_id.remove(&g.id);
                }
            }
            Kind::Role => {
                if let Some(r) = self.roles.remove(key) {
                    self.roles_by_id.remove(&r.id);
                }
            }
            Kind::Policy => {
                if let Some(p) = self.policies.remove(key) {
                    self.policies_by_arn.remove(&p.arn);
                }
            }
            Kind::InstanceProfile => {
                self.instance_profiles.remove(key);
            }
            Kind::AccessKey => {
                self.access_keys.remove(key);
            }
        }
    }

    /// The user with this name (names compare case-insensitively).
    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.get(&name.to_lowercase())
    }

    /// The user with this ID.
    pub fn user_by_id(&self, id: &str) -> Option<&User> {
        self.users.get(self.users_by_id.get(id)?)
    }

    /// The group with this name.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(&name.to_lowercase())
    }

    /// The group with this ID.
    pub fn group_by_id(&self, id: &str) -> Option<&Group> {
        self.groups.get(self.groups_by_id.get(id)?)
    }

    /// The role with this name.
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.get(&name.to_lowercase())
    }

    /// The role with this ID.
    pub fn role_by_id(&self, id: &str) -> Option<&Role> {
        self.roles.get(self.roles_by_id.get(id)?)
    }

    /// The customer managed policy with this ARN.
    pub fn policy_by_arn(&self, arn: &str) -> Option<&ManagedPolicy> {
        self.policies.get(self.policies_by_arn.get(arn)?)
    }

    /// The instance profile with this name.
    pub fn instance_profile(&self, name: &str) -> Option<&InstanceProfile> {
        self.instance_profiles.get(&name.to_lowercase())
    }

    /// The users that belong to a group, with their keys, sorted by name.
    pub fn group_members(&self, group_id: &str) -> impl Iterator<Item = (&str, &User)> {
        self.users
            .iter()
            .filter(move |(_, u)| u.groups.iter().any(|g| g == group_id))
            .map(|(k, u)| (k.as_str(), u))
    }

    /// The access keys of a user (`None`: of the account root), oldest first.
    pub fn access_keys_of(&self, user_id: Option<&str>) -> Vec<&AccessKey> {
        let mut keys: Vec<&AccessKey> = self
            .access_keys
            .values()
            .filter(|k| k.user_id.as_deref() == user_id)
            .collect();
        keys.sort_by_key(|k| k.create_date);
        keys
    }

    /// For every managed policy in use: how many users, groups and roles have it attached,
    /// and how many users and roles use it as their permissions boundary.
    pub fn policy_usage(&self) -> HashMap<&str, PolicyUsage> {
        let mut usage: HashMap<&str, PolicyUsage> = HashMap::new();
        let attached = self
            .users
            .values()
            .flat_map(|u| u.attached_policies.iter())
            .chain(
                self.groups
                    .values()
                    .flat_map(|g| g.attached_policies.iter()),
            )
            .chain(self.roles.values().flat_map(|r| r.attached_policies.iter()));
        for arn in attached {
            usage.entry(arn).or_default().attachments += 1;
        }
        let boundaries = self
            .users
            .values()
            .filter_map(|u| u.permissions_boundary.as_deref())
            .chain(
                self.roles
                    .values()
                    .filter_map(|r| r.permissions_boundary.as_deref()),
            );
        for arn in boundaries {
            usage.entry(arn).or_default().boundaries += 1;
        }
        usage
    }

    /// How one managed policy is used (see [`Entities::policy_usage`]).
    pub fn usage_of(&self, policy_arn: &str) -> PolicyUsage {
        PolicyUsage {
            attachments: self.attachment_count(policy_arn),
            boundaries: self.boundary_usage_count(policy_arn),
        }
    }

    /// The number of users, groups and roles that have a managed policy attached.
    pub fn attachment_count(&self, policy_arn: &str) -> usize {
        let has = |list: &[String]| list.iter().any(|a| a == policy_arn);
        self.users
            .values()
            .filter(|u| has(&u.attached_policies))
            .count()
            + self
                .groups
                .values()
                .filter(|g| has(&g.attached_policies))
                .count()
            + self
                .roles
                .values()
                .filter(|r| has(&r.attached_policies))
                .count()
    }

    /// The number of users and roles that use a managed policy as their permissions boundary.
    pub fn boundary_usage_count(&self, policy_arn: &str) -> usize {
        let is = |b: &Option<String>| b.as_deref() == Some(policy_arn);
        self.users
            .values()
            .filter(|u| is(&u.permissions_boundary))
            .count()
            + self
                .roles
                .values()
                .filter(|r| is(&r.permissions_boundary))
                .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::KeyStatus;

    fn user(name: &str, id: &str) -> User {
        User {
            id: id.into(),
            name: name.into(),
            path: "/".into(),
            arn: format!("arn:aws:iam::123456789012:user/{name}"),
            create_date: 1,
            permissions_boundary: None,
            tags: vec![],
            groups: vec!["AGPAG".into()],
            attached_policies: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
            inline_policies: BTreeMap::new(),
            password_last_used: None,
        }
    }

    #[test]
    fn applies_changes_and_keeps_indexes() {
        let mut e = Entities::default();
        let alice = user("Alice", "AIDAALICE");
        e.apply(&Change::put("123456789012", &alice)).unwrap();
        assert_eq!(e.user("alice").unwrap().id, "AIDAALICE");
        assert_eq!(e.user_by_id("AIDAALICE").unwrap().name, "Alice");
        assert_eq!(e.group_members("AGPAG").count(), 1);
        assert_eq!(
            e.attachment_count("arn:aws:iam::aws:policy/ReadOnlyAccess"),
            1
        );
        let key = AccessKey {
            id: "AKIAEXAMPLE".into(),
            user_id: Some("AIDAALICE".into()),
            secret_ciphertext: "x".into(),
            status: KeyStatus::Active,
            create_date: 2,
            last_used: None,
        };
        e.apply(&Change::put("123456789012", &key)).unwrap();
        assert_eq!(e.access_keys_of(Some("AIDAALICE")).len(), 1);
        assert!(e.access_keys_of(None).is_empty());
        e.apply(&Change::delete("123456789012", &alice)).unwrap();
        assert!(e.user("Alice").is_none());
        assert!(e.user_by_id("AIDAALICE").is_none());
    }

    #[test]
    fn corrupt_records_are_reported() {
        let r = Record {
            account: "123456789012".into(),
            kind: Kind::Role,
            key: "r".into(),
            body: "{".into(),
        };
        assert!(matches!(
            Entities::from_records([&r]),
            Err(StoreError::Corrupt(_))
        ));
    }
}
