//! Storage of IAM entities.
//!
//! Every entity (user, group, role, managed policy, instance profile, access key, MFA device,
//! OIDC provider, login profile, SSH key, signing and server certificate, service-specific
//! credential, registered instance and task, the account and its settings) is one record:
//! account, kind, key (the lower-cased name, so names are unique without regard to case, as in
//! IAM; IDs, serial numbers or ARNs for the others) and the entity as JSON. Changes commit
//! atomically in batches
//! through the [`Store`] trait; [`SqliteStore`] is the embedded implementation (WAL,
//! synchronous commits: a committed change survives a crash). [`Entities`] holds an
//! account's entities in memory, indexed for reads, kept in step with what is committed.
//!
//! Beside the entities the store keeps the audit trail: [`EventRecord`]s, appended in
//! batches ([`EventBatch`], kept as blocks of lines) and never changed, read back newest
//! first by [`EventQuery`], removed only by retention ([`Store::prune_events`]).

mod entities;
mod entity;
mod error;
mod events;
mod migrations;
mod record;
mod sqlite;

pub use entities::{Entities, PolicyUsage};
pub use entity::{
    AccessKey, AccessReport, Account, AccountSettings, ActionAccess, ContextKeyDefinition,
    ContextProvider, CredentialReport, CredentialStatus, Group, HttpTokens, Instance,
    InstanceProfile, KeyLastUsed, KeyStatus, LoginProfile, ManagedPolicy, MfaDevice, OidcProvider,
    PasswordPolicy, PolicyVersion, Role, RoleLastUsed, SamlPrivateKey, SamlProvider,
    ServerCertificate, ServiceSpecificCredential, SigningCertificate, SshPublicKey, Tag, Task,
    User, WorkloadIdentityProvider, WorkloadIdentityTemplate, WorkloadJwtSigner,
    WorkloadProviderDeletion, WorkloadX509Signer,
};
pub use error::StoreError;
pub use events::{EventAttribute, EventBatch, EventColumns, EventQuery, EventRecord, StoredEvent};
pub use record::{Change, Entity, Kind, Record};
pub use sqlite::SqliteStore;

use std::future::Future;
use std::pin::Pin;

/// A future returned by a [`Store`].
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Durable storage of records.
pub trait Store: Send + Sync {
    /// Every stored record.
    fn load(&self) -> StoreFuture<'_, Vec<Record>>;

    /// Commits changes atomically and durably: when the future resolves `Ok`, all of them
    /// are on disk; when it fails, none is.
    fn commit<'a>(&'a self, changes: &'a [Change]) -> StoreFuture<'a, ()>;

    /// Appends a batch of audit events, in order after every event appended before:
    /// when the future resolves `Ok`, all of them are committed and on disk; when it
    /// fails, none is.
    fn append_events<'a>(&'a self, batch: &'a EventBatch) -> StoreFuture<'a, ()>;

    /// The largest [`EventBatch::journal_end`] appended, if any.
    fn journal_end(&self) -> StoreFuture<'_, Option<i64>>;

    /// The events `query` selects, newest first.
    fn events<'a>(&'a self, query: &'a EventQuery) -> StoreFuture<'a, Vec<StoredEvent>>;

    /// Removes the events older than `before` (milliseconds since the Unix epoch); returns
    /// how many it removed.
    fn prune_events(&self, before: i64) -> StoreFuture<'_, u64>;

    /// Removes every record (the audit trail stays).
    fn reset(&self) -> StoreFuture<'_, ()>;

    /// Checks that the store answers and can take a write.
    fn health(&self) -> StoreFuture<'_, ()>;

    /// The kind of store, for status reports (`sqlite`, `sqlite (in memory)`).
    fn describe(&self) -> String;
}
