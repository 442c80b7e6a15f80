//! What the durable store holds: one record per entity, keyed by account, kind and key.

use crate::entity::{
    AccessKey, AccessReport, Account, AccountSettings, ActionAccess, Group, Instance,
    InstanceProfile, LoginProfile, ManagedPolicy, MfaDevice, OidcProvider, Role, SamlProvider,
    ServerCertificate, ServiceSpecificCredential, SigningCertificate, SshPublicKey, Task, User,
    WorkloadIdentityProvider, WorkloadIdentityTemplate, WorkloadProviderDeletion,
};
use crate::error::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The kinds of entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// [`Account`], keyed by account ID.
    Account,
    /// [`User`], keyed by lower-cased name.
    User,
    /// [`Group`], keyed by lower-cased name.
    Group,
    /// [`Role`], keyed by lower-cased name.
    Role,
    /// [`ManagedPolicy`], keyed by lower-cased name.
    Policy,
    /// [`InstanceProfile`], keyed by lower-cased name.
    InstanceProfile,
    /// [`AccessKey`], keyed by access key ID.
    AccessKey,
    /// [`MfaDevice`], keyed by serial number.
    MfaDevice,
    /// [`OidcProvider`], keyed by ARN.
    OidcProvider,
    /// [`Instance`], keyed by instance ID.
    Instance,
    /// [`Task`], keyed by task ID.
    Task,
    /// [`LoginProfile`], keyed by the user's ID.
    LoginProfile,
    /// [`AccountSettings`], one per account, keyed `settings`.
    AccountSettings,
    /// [`SshPublicKey`], keyed by key ID.
    SshPublicKey,
    /// [`SigningCertificate`], keyed by certificate ID.
    SigningCertificate,
    /// [`ServerCertificate`], keyed by lower-cased name.
    ServerCertificate,
    /// [`ServiceSpecificCredential`], keyed by credential ID.
    ServiceSpecificCredential,
    /// [`SamlProvider`], keyed by ARN.
    SamlProvider,
    /// [`ActionAccess`], keyed by entity ID and action.
    ActionAccess,
    /// [`AccessReport`], keyed by job ID.
    AccessReport,
    /// [`WorkloadIdentityProvider`], keyed by ARN.
    WorkloadIdentityProvider,
    /// [`WorkloadIdentityTemplate`], keyed by ARN.
    WorkloadIdentityTemplate,
    /// [`WorkloadProviderDeletion`], keyed by deletion task ID.
    WorkloadProviderDeletion,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 23] = [
        Kind::Account,
        Kind::User,
        Kind::Group,
        Kind::Role,
        Kind::Policy,
        Kind::InstanceProfile,
        Kind::AccessKey,
        Kind::MfaDevice,
        Kind::OidcProvider,
        Kind::Instance,
        Kind::Task,
        Kind::LoginProfile,
        Kind::AccountSettings,
        Kind::SshPublicKey,
        Kind::SigningCertificate,
        Kind::ServerCertificate,
        Kind::ServiceSpecificCredential,
        Kind::SamlProvider,
        Kind::ActionAccess,
        Kind::AccessReport,
        Kind::WorkloadIdentityProvider,
        Kind::WorkloadIdentityTemplate,
        Kind::WorkloadProviderDeletion,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Account => "account",
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Role => "role",
            Kind::Policy => "policy",
            Kind::InstanceProfile => "instance_profile",
            Kind::AccessKey => "access_key",
            Kind::MfaDevice => "mfa_device",
            Kind::OidcProvider => "oidc_provider",
            Kind::Instance => "instance",
            Kind::Task => "task",
            Kind::LoginProfile => "login_profile",
            Kind::AccountSettings => "account_settings",
            Kind::SshPublicKey => "ssh_public_key",
            Kind::SigningCertificate => "signing_certificate",
            Kind::ServerCertificate => "server_certificate",
            Kind::ServiceSpecificCredential => "service_specific_credential",
            Kind::SamlProvider => "saml_provider",
            Kind::ActionAccess => "action_access",
            Kind::AccessReport => "access_report",
            Kind::WorkloadIdentityProvider => "workload_identity_provider",
            Kind::WorkloadIdentityTemplate => "workload_identity_template",
            Kind::WorkloadProviderDeletion => "workload_provider_deletion",
        }
    }

    /// Reads a stored kind name.
    pub fn parse(text: &str) -> Result<Kind, StoreError> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown entity kind {text:?}")))
    }
}

/// One stored entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The account it belongs to.
    pub account: String,
    /// Its kind.
    pub kind: Kind,
    /// Its key within the kind (lower-cased name, or ID).
    pub key: String,
    /// The entity as JSON.
    pub body: String,
}

/// A change to the stored state. A list of changes commits atomically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Create or replace a record.
    Put(Record),
    /// Remove a record.
    Delete {
        /// The account.
        account: String,
        /// The kind.
        kind: Kind,
        /// The key.
        key: String,
    },
}

/// An entity that can be stored.
pub trait Entity: Serialize + DeserializeOwned {
    /// Its kind.
    const KIND: Kind;
    /// Its key within the kind.
    fn key(&self) -> String;
}

macro_rules! named_entity {
    ($t:ty, $kind:expr) => {
        impl Entity for $t {
            const KIND: Kind = $kind;
            fn key(&self) -> String {
                self.name.to_lowercase()
            }
        }
    };
}

named_entity!(User, Kind::User);
named_entity!(Group, Kind::Group);
named_entity!(Role, Kind::Role);
named_entity!(ManagedPolicy, Kind::Policy);
named_entity!(InstanceProfile, Kind::InstanceProfile);
named_entity!(ServerCertificate, Kind::ServerCertificate);

impl Entity for Account {
    const KIND: Kind = Kind::Account;
    fn key(&self) -> String {
        self.id.clone()
    }
}

impl Entity for AccessKey {
    const KIND: Kind = Kind::AccessKey;
    fn key(&self) -> String {
        self.id.clone()
    }
}

impl Entity for MfaDevice {
    const KIND: Kind = Kind::MfaDevice;
    fn key(&self) -> String {
        self.serial_number.clone()
    }
}

impl Entity for OidcProvider {
    const KIND: Kind = Kind::OidcProvider;
    fn key(&self) -> String {
        self.arn.clone()
    }
}

impl Entity for Instance {
    const KIND: Kind = Kind::Instance;
    fn key(&self) -> String {
        self.id.clone()
    }
}

impl Entity for Task {
    const KIND: Kind = Kind::Task;
    fn key(&self) -> String {
        self.id.clone()
    }
}

macro_rules! id_entity {
    ($t:ty, $kind:expr, $field:ident) => {
        impl Entity for $t {
            const KIND: Kind = $kind;
            fn key(&self) -> String {
                self.$field.clone()
            }
        }
    };
}

id_entity!(LoginProfile, Kind::LoginProfile, user_id);
id_entity!(SshPublicKey, Kind::SshPublicKey, id);
id_entity!(SigningCertificate, Kind::SigningCertificate, id);
id_entity!(
    ServiceSpecificCredential,
    Kind::ServiceSpecificCredential,
    id
);
id_entity!(SamlProvider, Kind::SamlProvider, arn);
id_entity!(
    WorkloadIdentityProvider,
    Kind::WorkloadIdentityProvider,
    arn
);
id_entity!(
    WorkloadIdentityTemplate,
    Kind::WorkloadIdentityTemplate,
    arn
);
id_entity!(WorkloadProviderDeletion, Kind::WorkloadProviderDeletion, id);
id_entity!(AccessReport, Kind::AccessReport, job_id);

impl Entity for ActionAccess {
    const KIND: Kind = Kind::ActionAccess;
    fn key(&self) -> String {
        ActionAccess::record_key(&self.entity_id, &self.action)
    }
}

/// The key of the one [`AccountSettings`] record of an account.
pub(crate) const SETTINGS_KEY: &str = "settings";

impl Entity for AccountSettings {
    const KIND: Kind = Kind::AccountSettings;
    fn key(&self) -> String {
        SETTINGS_KEY.to_string()
    }
}

impl Change {
    /// A change that stores `entity` in `account`.
    pub fn put<E: Entity>(account: &str, entity: &E) -> Change {
        Change::Put(Record {
            account: account.to_string(),
            kind: E::KIND,
            key: entity.key(),
            body: serde_json::to_string(entity).expect("entities serialize to JSON"),
        })
    }

    /// A change that removes `entity` from `account`.
    pub fn delete<E: Entity>(account: &str, entity: &E) -> Change {
        Change::Delete {
            account: account.to_string(),
            kind: E::KIND,
            key: entity.key(),
        }
    }
}
