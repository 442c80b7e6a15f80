//! The database schema, as numbered migrations applied in order at start.

/// Migrations: version and SQL. Append only; never edit an applied migration.
pub(crate) const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "CREATE TABLE entities (
        account_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        body TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, kind, key)
    )",
)];
