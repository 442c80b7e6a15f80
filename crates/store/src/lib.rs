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
//!
//! # Opening a store by URL
//!
//! [`open`] takes a store URL; its scheme names the [`Engine`] that runs the store, and
//! [`Location`] is the URL parsed. Today the one engine is SQLite: `sqlite:///abs/path.db`,
//! `sqlite://relative/path.db` and `sqlite::memory:` (the forms are listed in
//! [`Location`]'s module, [`engine`]); `postgres://` is refused as not supported yet. Each
//! engine keeps its schema beside its code and migrates it when a store opens (SQLite:
//! `sqlite/migrations.rs`, numbered migrations recorded in `schema_migrations`, applied
//! in order, each in a transaction of its own).
//!
//! # The single-writer contract
//!
//! A database has one writer of entities: the server process that opened it (its `App`).
//! The contract, as the server and [`SqliteStore`] keep it:
//!
//! - **Writes run one at a time.** The server holds one write turn (a mutex); a write
//!   takes it, computes its changes from the in-memory [`Entities`] (so checks such as
//!   uniqueness and quotas see every earlier write), commits them, applies them, and only
//!   then gives the turn back. Nothing else in the process calls [`Store::commit`] or
//!   [`Store::reset`] (the development-mode reset takes the same turn). Once its changes
//!   are known a write runs to its end in a task of its own, so a client going away cannot
//!   cut it short.
//! - **A commit is one `BEGIN IMMEDIATE` transaction.** [`SqliteStore::commit`](Store::commit)
//!   takes SQLite's write lock at the start of the transaction (not at its first write), so
//!   a commit never fails half-way for want of the lock; it waits up to the busy timeout
//!   (10 s) for another connection holding it. A batch is all or nothing: a failed or
//!   abandoned commit rolls back, and a connection is never handed back to the pool inside
//!   a transaction.
//! - **Committed means durable.** The database is in WAL mode with `synchronous = FULL`:
//!   when `commit` returns `Ok`, the changes are on disk and survive a crash of the process
//!   or the machine. When it fails, none of them is stored.
//! - **The view follows the store.** [`Entities`] is loaded from the store once, at start
//!   ([`Store::load`], the server's own account only), and afterwards changed only by
//!   applying ([`Entities::apply`]) the changes of each commit that succeeded, in commit
//!   order, under the view's write lock, after the commit and before the write answers. A
//!   failed commit leaves the view as it was. Readers see the view before or after a whole
//!   write, never half of one. The store is the source of truth: the view is never written
//!   back, and it does not see changes made to the database by anyone else, so a second
//!   process writing entities to the same database would leave the server's view stale
//!   until its next start. (Should applying a committed change fail, which only a record
//!   the view cannot decode would cause, the write reports an error and the view is right
//!   again at the next start.)
//! - **The audit trail is the exception, and is append-only.** Events are appended
//!   ([`Store::append_events`], also `BEGIN IMMEDIATE`, on a second connection so that
//!   large batches do not hold up entity commits) by the server's one audit task, and
//!   pruned by retention ([`Store::prune_events`]) by the server or by `portcullis audit`
//!   from another process. Events are never held in memory as entities are, so this needs
//!   no view kept in step; `portcullis audit` and `portcullis policy generate` read a live
//!   database while the server writes it (WAL lets readers and the writer run together).
//!
//! A store in memory (`sqlite::memory:`) lives and dies with its process, so only the
//! process that opened it can write it, and nothing survives the process.
pub mod engine;
mod entities;
mod entity;
mod error;
mod events;
mod record;
mod sqlite;

pub use engine::{Engine, Location, SUPPORTED_URLS, open};

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
