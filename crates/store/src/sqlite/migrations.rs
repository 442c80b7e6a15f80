//! The schema of the SQLite store, as numbered migrations applied in order when it opens
//! ([`SqliteStore::open`](super::SqliteStore::open)).

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
    // The audit trail in blocks: one row per batch of events, their lines
    // (`EventRecord::line`) one after the other, so that appending costs one insert per
    // batch rather than one per event (with its index updates). `journal_end` is where
    // the batch ended in the server's journal. The rows of `events` are moved into blocks
    // by `SqliteStore::migrate` when this migration applies, and the table dropped.
    (
        3,
        "CREATE TABLE event_blocks (
        position INTEGER PRIMARY KEY,
        first_time BIGINT NOT NULL,
        last_time BIGINT NOT NULL,
        count INTEGER NOT NULL,
        journal_end BIGINT,
        lines BLOB NOT NULL
    );
    CREATE INDEX event_blocks_by_time ON event_blocks (last_time);
    CREATE TRIGGER event_blocks_append_only BEFORE UPDATE ON event_blocks
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
    ),
    // Blocks compressed: `encoding` 1 marks `lines` as one LZ4 block with its
    // uncompressed size in front (`lz4_flex::block::compress_prepend_size`); 0, the
    // blocks written before, as the lines themselves. Events repeat most of their text,
    // so this cuts what each event writes to the WAL and the database file many times.
    (
        4,
        "ALTER TABLE event_blocks ADD COLUMN encoding INTEGER NOT NULL DEFAULT 0",
    ),
];
