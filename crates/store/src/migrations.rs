//! The database schema, as numbered migrations applied in order at start.

/// Migrations: version and SQL. Append only; never edit an applied migration.
pub(crate) const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE entities (
        account_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        body TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, kind, key)
    )",
    ),
    // The audit trail: append-only (an update aborts); rows leave only by retention, oldest
    // first, so positions (row IDs) only grow. Few indexes: each costs every insert.
    (
        2,
        "CREATE TABLE events (
        position INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        account_id TEXT NOT NULL,
        event_time BIGINT NOT NULL,
        event_name TEXT NOT NULL,
        event_source TEXT NOT NULL,
        username TEXT,
        access_key_id TEXT,
        read_only INTEGER NOT NULL,
        principal_arn TEXT,
        issuer_arn TEXT,
        action TEXT NOT NULL,
        resource_arn TEXT,
        authorized INTEGER NOT NULL,
        error_code TEXT,
        resources TEXT NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX events_by_time ON events (account_id, event_time);
    CREATE INDEX events_by_name ON events (account_id, event_name);
    CREATE TRIGGER events_append_only BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
    ),
];
