//! The error type of this crate.

/// What can go wrong in a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed (I/O, locking, a constraint).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored record cannot be read back.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// A record that must be unique exists already (another writer was first).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A store URL names no store this build can open (see [`crate::Location`]); the
    /// message says why and names the supported forms.
    #[error("{0}")]
    Url(String),
}
