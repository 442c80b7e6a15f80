//! The entities of one account, held in memory and indexed for the server's reads. The
//! durable store is the source of truth; this is rebuilt from it at start and kept in step
//! by applying each committed change.

use crate::entity::{
    AccessKey, AccessReport, Account, AccountSettings, ActionAccess, Group, Instance,
    InstanceProfile, LoginProfile, ManagedPolicy, MfaDevice, OidcProvider, Role, SamlProvider,
    ServerCertificate, ServiceSpecificCredential, SigningCertificate, SshPublicKey, Task, User,
    WorkloadIdentityProvider, WorkloadIdentityTemplate, WorkloadProviderDeletion,
};
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
    /// Virtual MFA devices by serial number.
    pub mfa_devices: BTreeMap<String, MfaDevice>,
    /// OpenID Connect providers by ARN.
    pub oidc_providers: BTreeMap<String, OidcProvider>,
    /// Registered instances by ID.
    pub instances: BTreeMap<String, Instance>,
    /// Registered tasks by ID.
    pub tasks: BTreeMap<String, Task>,
    /// Login profiles by user ID.
    pub login_profiles: BTreeMap<String, LoginProfile>,
    /// The account-wide settings (default until something is set).
    pub settings: AccountSettings,
    /// SSH public keys by ID.
    pub ssh_public_keys: BTreeMap<String, SshPublicKey>,
    /// Signing certificates by ID.
    pub signing_certificates: BTreeMap<String, SigningCertificate>,
    /// Server certificates by lower-cased name.
    pub server_certificates: BTreeMap<String, ServerCertificate>,
    /// Service-specific credentials by ID.
    pub service_credentials: BTreeMap<String, ServiceSpecificCredential>,
    /// SAML providers by ARN.
    pub saml_providers: BTreeMap<String, SamlProvider>,
    /// Workload identity providers by ARN.
    pub workload_providers: BTreeMap<String, WorkloadIdentityProvider>,
    /// Workload identity templates by ARN.
    pub workload_templates: BTreeMap<String, WorkloadIdentityTemplate>,
    /// Deletions of workload identity providers by task ID.
    pub workload_provider_deletions: BTreeMap<String, WorkloadProviderDeletion>,
    /// Recorded action accesses by entity ID and lower-cased action.
    pub action_accesses: BTreeMap<String, ActionAccess>,
    /// Service last accessed reports by job ID.
    pub access_reports: BTreeMap<String, AccessReport>,
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
            Kind::MfaDevice => {
                self.mfa_devices.insert(key, decode(r)?);
            }
            Kind::OidcProvider => {
                self.oidc_providers.insert(key, decode(r)?);
            }
            Kind::Instance => {
                self.instances.insert(key, decode(r)?);
            }
            Kind::Task => {
                self.tasks.insert(key, decode(r)?);
            }
            Kind::LoginProfile => {
                self.login_profiles.insert(key, decode(r)?);
            }
            Kind::AccountSettings => self.settings = decode(r)?,
            Kind::SshPublicKey => {
                self.ssh_public_keys.insert(key, decode(r)?);
            }
            Kind::SigningCertificate => {
                self.signing_certificates.insert(key, decode(r)?);
            }
            Kind::ServerCertificate => {
                self.server_certificates.insert(key, decode(r)?);
            }
            Kind::ServiceSpecificCredential => {
                self.service_credentials.insert(key, decode(r)?);
            }
            Kind::SamlProvider => {
                self.saml_providers.insert(key, decode(r)?);
            }
            Kind::ActionAccess => {
                self.action_accesses.insert(key, decode(r)?);
            }
            Kind::AccessReport => {
                self.access_reports.insert(key, decode(r)?);
            }
            Kind::WorkloadIdentityProvider => {
                self.workload_providers.insert(key, decode(r)?);
            }
            Kind::WorkloadIdentityTemplate => {
                self.workload_templates.insert(key, decode(r)?);
            }
            Kind::WorkloadProviderDeletion => {
                self.workload_provider_deletions.insert(key, decode(r)?);
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
            Kind::MfaDevice => {
                self.mfa_devices.remove(key);
            }
            Kind::OidcProvider => {
                self.oidc_providers.remove(key);
            }
            Kind::Instance => {
                self.instances.remove(key);
            }
            Kind::Task => {
                self.tasks.remove(key);
            }
            Kind::LoginProfile => {
                self.login_profiles.remove(key);
            }
            Kind::AccountSettings => self.settings = AccountSettings::default(),
            Kind::SshPublicKey => {
                self.ssh_public_keys.remove(key);
            }
            Kind::SigningCertificate => {
                self.signing_certificates.remove(key);
            }
            Kind::ServerCertificate => {
                self.server_certificates.remove(key);
            }
            Kind::ServiceSpecificCredential => {
                self.service_credentials.remove(key);
            }
            Kind::SamlProvider => {
                self.saml_providers.remove(key);
            }
            Kind::ActionAccess => {
                self.action_accesses.remove(key);
            }
            Kind::AccessReport => {
                self.access_reports.remove(key);
            }
            Kind::WorkloadIdentityProvider => {
                self.workload_providers.remove(key);
            }
            Kind::WorkloadIdentityTemplate => {
                self.workload_templates.remove(key);
            }
            Kind::WorkloadProviderDeletion => {
                self.workload_provider_deletions.remove(key);
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

    /// The virtual MFA device with this serial number.
    pub fn mfa_device(&self, serial_number: &str) -> Option<&MfaDevice> {
        self.mfa_devices.get(serial_number)
    }

    /// The MFA devices enabled for a user, in the order they were enabled.
    pub fn mfa_devices_of(&self, user_id: &str) -> Vec<&MfaDevice> {
        let mut devices: Vec<&MfaDevice> = self
            .mfa_devices
            .values()
            .filter(|d| d.user_id.as_deref() == Some(user_id))
            .collect();
        devices.sort_by_key(|d| d.enable_date);
        devices
    }

    /// The number of MFA devices enabled for some user.
    pub fn mfa_devices_in_use(&self) -> usize {
        self.mfa_devices
            .values()
            .filter(|d| d.user_id.is_some())
            .count()
    }

    /// The OpenID Connect provider with this ARN.
    pub fn oidc_provider(&self, arn: &str) -> Option<&OidcProvider> {
        self.oidc_providers.get(arn)
    }

    /// The OpenID Connect provider for an issuer URL given without its scheme
    /// (`token.actions.githubusercontent.com`, `oidc.example.com/realms/dev`), as the `iss`
    /// claim of a token names it. URLs compare exactly, as IAM compares them.
    pub fn oidc_provider_for(&self, url_without_scheme: &str) -> Option<&OidcProvider> {
        self.oidc_providers
            .values()
            .find(|p| p.url_without_scheme() == url_without_scheme)
    }

    /// The login profile of a user.
    pub fn login_profile(&self, user_id: &str) -> Option<&LoginProfile> {
        self.login_profiles.get(user_id)
    }

    /// The SSH public keys of a user, oldest first.
    pub fn ssh_public_keys_of(&self, user_id: &str) -> Vec<&SshPublicKey> {
        let mut keys: Vec<&SshPublicKey> = self
            .ssh_public_keys
            .values()
            .filter(|k| k.user_id == user_id)
            .collect();
        keys.sort_by(|a, b| (a.upload_date, &a.id).cmp(&(b.upload_date, &b.id)));
        keys
    }

    /// The signing certificates of a user (`None`: of the account root), oldest first.
    pub fn signing_certificates_of(&self, user_id: Option<&str>) -> Vec<&SigningCertificate> {
        let mut certs: Vec<&SigningCertificate> = self
            .signing_certificates
            .values()
            .filter(|c| c.user_id.as_deref() == user_id)
            .collect();
        certs.sort_by(|a, b| (a.upload_date, &a.id).cmp(&(b.upload_date, &b.id)));
        certs
    }

    /// The server certificate with this name (names compare case-insensitively).
    pub fn server_certificate(&self, name: &str) -> Option<&ServerCertificate> {
        self.server_certificates.get(&name.to_lowercase())
    }

    /// The service-specific credentials of a user, oldest first.
    pub fn service_credentials_of(&self, user_id: &str) -> Vec<&ServiceSpecificCredential> {
        let mut creds: Vec<&ServiceSpecificCredential> = self
            .service_credentials
            .values()
            .filter(|c| c.user_id == user_id)
            .collect();
        creds.sort_by(|a, b| (a.create_date, &a.id).cmp(&(b.create_date, &b.id)));
        creds
    }

    /// The recorded accesses of a user or role (by unique ID).
    pub fn accesses_of<'a>(&'a self, entity_id: &'a str) -> impl Iterator<Item = &'a ActionAccess> {
        let prefix = format!("{entity_id}|");
        self.action_accesses
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(|(_, a)| a)
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

    fn device(name: &str, user_id: Option<&str>, enabled: Option<i64>) -> MfaDevice {
        MfaDevice {
            serial_number: format!("arn:aws:iam::123456789012:mfa/{name}"),
            name: name.into(),
            path: "/".into(),
            seed_ciphertext: "sealed".into(),
            user_id: user_id.map(str::to_string),
            enable_date: enabled,
            create_date: 1,
            tags: vec![],
            last_used_step: None,
            drift_steps: 0,
        }
    }

    #[test]
    fn indexes_mfa_devices_by_serial_number_and_user() {
        let mut e = Entities::default();
        let account = "123456789012";
        let late = device("late", Some("AIDAALICE"), Some(20));
        let early = device("early", Some("AIDAALICE"), Some(10));
        let other = device("other", Some("AIDABOB"), Some(5));
        let spare = device("spare", None, None);
        for d in [&late, &early, &other, &spare] {
            e.apply(&Change::put(account, d)).unwrap();
        }
        assert_eq!(
            e.mfa_device("arn:aws:iam::123456789012:mfa/spare"),
            Some(&spare)
        );
        assert!(e.mfa_device("arn:aws:iam::123456789012:mfa/none").is_none());
        let names: Vec<&str> = e
            .mfa_devices_of("AIDAALICE")
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        assert_eq!(names, ["early", "late"]);
        assert_eq!(e.mfa_devices_in_use(), 3);

        // Deactivation is a put without the user; deletion removes the record.
        let mut freed = early.clone();
        freed.user_id = None;
        freed.enable_date = None;
        freed.last_used_step = Some(42);
        e.apply(&Change::put(account, &freed)).unwrap();
        assert_eq!(e.mfa_devices_of("AIDAALICE").len(), 1);
        assert_eq!(e.mfa_devices_in_use(), 2);
        assert_eq!(
            e.mfa_device(&freed.serial_number).unwrap().last_used_step,
            Some(42)
        );
        e.apply(&Change::delete(account, &late)).unwrap();
        assert!(e.mfa_devices_of("AIDAALICE").is_empty());
        assert_eq!(e.mfa_devices.len(), 3);
    }

    #[test]
    fn mfa_devices_round_trip_through_records() {
        let mut d = device("roundtrip", Some("AIDAALICE"), Some(7));
        d.tags.push(crate::entity::Tag {
            key: "team".into(),
            value: "ml".into(),
        });
        d.last_used_step = Some(58_000_000);
        d.drift_steps = -2;
        let Change::Put(record) = Change::put("123456789012", &d) else {
            panic!("a put")
        };
        assert_eq!(record.kind, Kind::MfaDevice);
        assert_eq!(record.key, d.serial_number);
        assert_eq!(Kind::parse("mfa_device").unwrap(), Kind::MfaDevice);
        let e = Entities::from_records([&record]).unwrap();
        assert_eq!(e.mfa_device(&d.serial_number), Some(&d));
        // Optional members are left out when empty, and read back as empty.
        let bare = device("bare", None, None);
        let Change::Put(record) = Change::put("123456789012", &bare) else {
            panic!("a put")
        };
        assert!(!record.body.contains("user_id"));
        assert!(!record.body.contains("last_used_step"));
        assert!(!record.body.contains("drift_steps"));
        let e = Entities::from_records([&record]).unwrap();
        assert_eq!(e.mfa_device(&bare.serial_number), Some(&bare));
    }

    fn provider(host_path: &str) -> OidcProvider {
        OidcProvider {
            arn: format!("arn:aws:iam::123456789012:oidc-provider/{host_path}"),
            url: format!("https://{host_path}"),
            client_ids: vec!["sts.amazonaws.com".into()],
            thumbprints: vec![],
            create_date: 1,
            tags: vec![],
            context_provider: None,
        }
    }

    #[test]
    fn indexes_oidc_providers_by_arn_and_url() {
        let mut e = Entities::default();
        let account = "123456789012";
        let github = provider("token.actions.githubusercontent.com");
        let eks = provider("oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE");
        let mut local = provider("127.0.0.1:4567/realm");
        local.url = "http://127.0.0.1:4567/realm".into();
        for p in [&github, &eks, &local] {
            e.apply(&Change::put(account, p)).unwrap();
        }
        assert_eq!(e.oidc_provider(&github.arn), Some(&github));
        assert_eq!(
            e.oidc_provider_for("oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"),
            Some(&eks)
        );
        assert_eq!(local.url_without_scheme(), "127.0.0.1:4567/realm");
        assert_eq!(e.oidc_provider_for("127.0.0.1:4567/realm"), Some(&local));
        // URLs compare exactly: another path, or a trailing slash, is another provider.
        assert!(
            e.oidc_provider_for("oidc.eks.us-west-2.amazonaws.com/id")
                .is_none()
        );
        assert!(
            e.oidc_provider_for("token.actions.githubusercontent.com/")
                .is_none()
        );

        let mut updated = github.clone();
        updated.client_ids.push("my-app".into());
        e.apply(&Change::put(account, &updated)).unwrap();
        assert_eq!(e.oidc_providers.len(), 3);
        assert_eq!(e.oidc_provider(&github.arn).unwrap().client_ids.len(), 2);
        e.apply(&Change::delete(account, &eks)).unwrap();
        assert!(e.oidc_provider(&eks.arn).is_none());
        assert!(
            e.oidc_provider_for("oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE")
                .is_none()
        );
    }

    #[test]
    fn oidc_providers_round_trip_through_records() {
        let mut p = provider("login.example.com/realms/dev");
        p.thumbprints.push("a".repeat(40));
        p.tags.push(crate::entity::Tag {
            key: "team".into(),
            value: "ml".into(),
        });
        let Change::Put(record) = Change::put("123456789012", &p) else {
            panic!("a put")
        };
        assert_eq!(record.kind, Kind::OidcProvider);
        assert_eq!(record.key, p.arn);
        assert_eq!(Kind::parse("oidc_provider").unwrap(), Kind::OidcProvider);
        let e = Entities::from_records([&record]).unwrap();
        assert_eq!(e.oidc_provider(&p.arn), Some(&p));
    }

    #[test]
    fn credentials_and_settings_round_trip_and_index_by_owner() {
        use crate::entity::{
            AccountSettings, CredentialStatus, LoginProfile, PasswordPolicy, ServerCertificate,
            ServiceSpecificCredential, SigningCertificate, SshPublicKey,
        };
        let account = "123456789012";
        let profile = LoginProfile {
            user_id: "AIDAALICE".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            previous_hashes: vec![],
            password_reset_required: true,
            create_date: 1,
            password_set_date: 1,
            max_signin_session_duration: None,
        };
        let settings = AccountSettings {
            alias: Some("example".into()),
            password_policy: Some(PasswordPolicy {
                minimum_password_length: 8,
                require_symbols: false,
                require_numbers: true,
                require_uppercase_characters: false,
                require_lowercase_characters: false,
                allow_users_to_change_password: true,
                max_password_age: Some(90),
                password_reuse_prevention: None,
                hard_expiry: false,
            }),
            ..AccountSettings::default()
        };
        let late = SshPublicKey {
            id: "APKAAAA".into(),
            user_id: "AIDAALICE".into(),
            body: "ssh-rsa AAAA".into(),
            fingerprint: "00".into(),
            status: CredentialStatus::Active,
            upload_date: 20,
        };
        let early = SshPublicKey {
            id: "APKAZZZ".into(),
            upload_date: 10,
            ..late.clone()
        };
        let root_cert = SigningCertificate {
            id: "CERT1".into(),
            user_id: None,
            body: "pem".into(),
            status: CredentialStatus::Inactive,
            upload_date: 1,
        };
        let server_cert = ServerCertificate {
            id: "ASCA1".into(),
            name: "Web".into(),
            path: "/".into(),
            arn: "arn:aws:iam::123456789012:server-certificate/Web".into(),
            body: "pem".into(),
            chain: None,
            private_key_ciphertext: "sealed".into(),
            expiration: 5,
            upload_date: 1,
            tags: vec![],
        };
        let cred = ServiceSpecificCredential {
            id: "ACCA1".into(),
            user_id: "AIDAALICE".into(),
            service_name: "codecommit.amazonaws.com".into(),
            service_user_name: Some("alice-at-123456789012".into()),
            service_credential_alias: None,
            secret_ciphertext: "sealed".into(),
            status: CredentialStatus::Active,
            create_date: 1,
            expiration_date: None,
        };
        let changes = [
            Change::put(account, &profile),
            Change::put(account, &settings),
            Change::put(account, &late),
            Change::put(account, &early),
            Change::put(account, &root_cert),
            Change::put(account, &server_cert),
            Change::put(account, &cred),
        ];
        let records: Vec<Record> = changes
            .iter()
            .map(|c| match c {
                Change::Put(r) => r.clone(),
                Change::Delete { .. } => unreachable!(),
            })
            .collect();
        for r in &records {
            assert_eq!(Kind::parse(r.kind.as_str()).unwrap(), r.kind);
        }
        let mut e = Entities::from_records(&records).unwrap();
        assert_eq!(e.login_profile("AIDAALICE"), Some(&profile));
        assert_eq!(e.settings, settings);
        let ids: Vec<&str> = e
            .ssh_public_keys_of("AIDAALICE")
            .iter()
            .map(|k| k.id.as_str())
            .collect();
        assert_eq!(ids, ["APKAZZZ", "APKAAAA"]);
        assert_eq!(e.signing_certificates_of(None), [&root_cert]);
        assert!(e.signing_certificates_of(Some("AIDAALICE")).is_empty());
        assert_eq!(e.server_certificate("web"), Some(&server_cert));
        assert_eq!(e.service_credentials_of("AIDAALICE"), [&cred]);
        e.apply(&Change::delete(account, &settings)).unwrap();
        assert_eq!(e.settings, AccountSettings::default());
        e.apply(&Change::delete(account, &profile)).unwrap();
        assert!(e.login_profile("AIDAALICE").is_none());
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
