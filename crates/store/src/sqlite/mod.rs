//! The embedded store: SQLite in WAL mode with synchronous commits (`synchronous =
//! FULL`: a commit is on disk when it returns). Audit events go through a second
//! connection to the same file, so that their large batches do not hold up the entities.
//! The schema is this engine's own: [`migrations`], applied in order when a store opens.

mod migrations;

use crate::error::StoreError;
use crate::events::{EventBatch, EventQuery, EventRecord, StoredEvent, complete_lines};
use crate::record::{Change, Kind, Record};
use crate::{Store, StoreFuture};
use migrations::MIGRATIONS;
use portcullis_time::now_millis;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// The most events one row of `event_blocks` holds.
const BLOCK_EVENTS: usize = 4_096;

/// An event's position is its block's position shifted by this much, plus its index in
/// the block.
const BLOCK_SHIFT: u32 = 20;

/// `event_blocks.encoding` of a block that holds the lines as they are (migration 3).
const ENCODING_PLAIN: i64 = 0;

/// `event_blocks.encoding` of a block that holds the lines compressed as one LZ4 block,
/// its uncompressed size in front (migration 4).
const ENCODING_LZ4: i64 = 1;

/// How many blocks a lookup reads at a time.
const BLOCKS_PER_READ: i64 = 16;

/// Records in an SQLite database file, or in memory.
pub struct SqliteStore {
    pool: SqlitePool,
    events: SqlitePool,
    path: Option<PathBuf>,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database file and applies pending migrations.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = pool_options().connect_with(options.clone()).await?;
        let store = SqliteStore {
            pool,
            events: pool_options().connect_with(options).await?,
            path: Some(path.to_path_buf()),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// An empty database that lives as long as the store (for tests and `--in-memory`).
    pub async fn in_memory() -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?;
        let pool = pool_options()
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        let store = SqliteStore {
            events: pool.clone(),
            pool,
            path: None,
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.get::<i64, _>(0))
            .collect();
        for (version, sql) in MIGRATIONS {
            if applied.contains(version) {
                continue;
            }
            let mut tx = self.pool.begin().await?;
            sqlx::query(*sql).execute(&mut *tx).await?;
            if *version == 3 {
                events_into_blocks(&mut tx).await?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(version)
                .bind(now_millis())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }
}

/// A pool of one connection that is handed back only outside a transaction.
fn pool_options() -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(1)
        .after_release(|conn, _| Box::pin(release_outside_transaction(conn)))
}

/// Ends whatever transaction a connection being handed back to the pool is still in, so
/// that the next user of the connection never starts inside someone else's transaction.
/// Answers whether the connection may go back to the pool: not when it cannot be brought
/// out of its transaction (the pool then closes it, which rolls the transaction back).
async fn release_outside_transaction(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    if !in_transaction(conn).await? {
        return Ok(true);
    }
    sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await?;
    Ok(!in_transaction(conn).await?)
}

/// True when SQLite says the connection is inside a transaction (whether or not sqlx
/// started it).
async fn in_transaction(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle();
    // SAFETY: `db` is the connection's open database handle, locked out of its worker
    // thread for as long as `handle` lives; sqlite3_get_autocommit only reads its state.
    let autocommit = unsafe { libsqlite3_sys::sqlite3_get_autocommit(db.as_ptr()) };
    Ok(autocommit == 0)
}

/// Moves the rows of the `events` table (migration 2) into `event_blocks` (migration 3),
/// in order, and drops the table.
async fn events_into_blocks(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
) -> Result<(), StoreError> {
    let rows = sqlx::query(
        "SELECT event_id, account_id, event_time, event_name, event_source, username,
            access_key_id, read_only, principal_arn, issuer_arn, action, resource_arn, authorized,
            error_code, resources, body
         FROM events ORDER BY position",
    )
    .fetch_all(&mut **tx)
    .await?;
    for chunk in rows.chunks(BLOCK_EVENTS) {
        let mut batch = EventBatch::default();
        for r in chunk {
            let resources: Vec<serde_json::Value> = serde_json::from_str(r.get::<&str, _>(14))
                .map_err(|e| StoreError::Corrupt(format!("event resources: {e}")))?;
            let event = EventRecord {
                event_id: r.get(0),
                account: r.get(1),
                time: r.get(2),
                name: r.get(3),
                source: r.get(4),
                username: r.get(5),
                access_key_id: r.get(6),
                read_only: r.get(7),
                principal_arn: r.get(8),
                issuer_arn: r.get(9),
                action: r.get(10),
                resource_arn: r.get(11),
                authorized: r.get(12),
                error_code: r.get(13),
                resources: resources
                    .iter()
                    .map(|v| {
                        let field =
                            |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
                        (field("type"), field("name"))
                    })
                    .collect(),
                body: r.get(15),
            };
            batch.push_line(&event.line(), event.time);
        }
        sqlx::query(
            "INSERT INTO event_blocks (first_time, last_time, count, lines) VALUES (?, ?, ?, ?)",
        )
        .bind(batch.first_time)
        .bind(batch.last_time)
        .bind(batch.count as i64)
        .bind(&batch.lines)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("DROP TABLE events").execute(&mut **tx).await?;
    Ok(())
}

impl Store for SqliteStore {
    fn load(&self) -> StoreFuture<'_, Vec<Record>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT account_id, kind, key, body FROM entities ORDER BY account_id, kind, key",
            )
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(Record {
                        account: r.get(0),
                        kind: Kind::parse(r.get::<&str, _>(1))?,
                        key: r.get(2),
                        body: r.get(3),
                    })
                })
                .collect()
        })
    }

    fn commit<'a>(&'a self, changes: &'a [Change]) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            if changes.is_empty() {
                return Ok(());
            }
            let now = now_millis();
            // The transaction rolls back when dropped: a commit cut short (its future
            // dropped, an error) leaves no transaction open on the connection, and the
            // pool's release check (`release_outside_transaction`) makes sure of it.
            let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            for change in changes {
                match change {
                    Change::Put(r) => {
                        sqlx::query(
                            "INSERT INTO entities (account_id, kind, key, body, updated_at) VALUES ($1, $2, $3, $4, $5)
                             ON CONFLICT (account_id, kind, key) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                        )
                        .bind(&r.account)
                        .bind(r.kind.as_str())
                        .bind(&r.key)
                        .bind(&r.body)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    }
                    Change::Delete { account, kind, key } => {
                        sqlx::query(
                            "DELETE FROM entities WHERE account_id = $1 AND kind = $2 AND key = $3",
                        )
                        .bind(account)
                        .bind(kind.as_str())
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn append_events<'a>(&'a self, batch: &'a EventBatch) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            if batch.count == 0 {
                return Ok(());
            }
            // One transaction, one row per block of at most BLOCK_EVENTS lines: a block
            // costs one insert however many events it holds.
            let mut tx = self.events.begin_with("BEGIN IMMEDIATE").await?;
            let mut rest = &batch.lines[..];
            let mut left = batch.count;
            while !rest.is_empty() {
                // The rest in one block when it fits: no need to look for line ends.
                let (end, count) = match left {
                    ..=BLOCK_EVENTS => (rest.len(), left),
                    _ => (
                        memchr::memchr_iter(b'\n', rest)
                            .nth(BLOCK_EVENTS - 1)
                            .map_or(rest.len(), |i| i + 1),
                        BLOCK_EVENTS,
                    ),
                };
                left = left.saturating_sub(count);
                let (block, tail) = rest.split_at(end);
                rest = tail;
                sqlx::query(
                    "INSERT INTO event_blocks (first_time, last_time, count, journal_end, lines, encoding)
                     VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(batch.first_time)
                .bind(batch.last_time)
                .bind(count as i64)
                .bind(batch.journal_end)
                .bind(lz4_flex::block::compress_prepend_size(block))
                .bind(ENCODING_LZ4)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn journal_end(&self) -> StoreFuture<'_, Option<i64>> {
        Box::pin(async move {
            let row = sqlx::query("SELECT MAX(journal_end) FROM event_blocks")
                .fetch_one(&self.events)
                .await?;
            Ok(row.get(0))
        })
    }

    fn events<'a>(&'a self, query: &'a EventQuery) -> StoreFuture<'a, Vec<StoredEvent>> {
        Box::pin(async move {
            let mask = (1i64 << BLOCK_SHIFT) - 1;
            let mut found = Vec::new();
            let mut below = query.before.map_or(i64::MAX, |p| p >> BLOCK_SHIFT);
            let mut skip_from = query.before.map(|p| p & mask);
            loop {
                let rows = sqlx::query(
                    "SELECT position, lines, encoding FROM event_blocks
                     WHERE position <= ? AND last_time >= ? AND first_time <= ?
                     ORDER BY position DESC LIMIT ?",
                )
                .bind(below)
                .bind(query.start.unwrap_or(i64::MIN))
                .bind(query.end.unwrap_or(i64::MAX))
                .bind(BLOCKS_PER_READ)
                .fetch_all(&self.events)
                .await?;
                for row in &rows {
                    let block: i64 = row.get(0);
                    let stored: &[u8] = row.get(1);
                    let decoded;
                    let bytes = match row.get::<i64, _>(2) {
                        ENCODING_PLAIN => stored,
                        ENCODING_LZ4 => {
                            decoded = lz4_flex::block::decompress_size_prepended(stored)
                                .map_err(|e| StoreError::Corrupt(format!("block {block}: {e}")))?;
                            &decoded
                        }
                        other => {
                            return Err(StoreError::Corrupt(format!(
                                "block {block}: unknown encoding {other}"
                            )));
                        }
                    };
                    let lines: Vec<&[u8]> = complete_lines(bytes).collect();
                    let until = match skip_from.take() {
                        Some(index) if block == below => (index as usize).min(lines.len()),
                        _ => lines.len(),
                    };
                    for (index, line) in lines[..until].iter().enumerate().rev() {
                        let event = EventRecord::from_line(line).ok_or_else(|| {
                            StoreError::Corrupt(format!("audit event {index} of block {block}"))
                        })?;
                        if query.matches(&event) {
                            found.push(StoredEvent {
                                position: (block << BLOCK_SHIFT) | index as i64,
                                event,
                            });
                            if found.len() == query.limit {
                                return Ok(found);
                            }
                        }
                    }
                    below = block - 1;
                }
                if (rows.len() as i64) < BLOCKS_PER_READ {
                    return Ok(found);
                }
            }
        })
    }

    fn prune_events(&self, before: i64) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            // The write lock first: a read that later turns into a write fails at once
            // ("database is locked") when the entities' connection wrote in between.
            let mut tx = self.events.begin_with("BEGIN IMMEDIATE").await?;
            let row =
                sqlx::query("SELECT COALESCE(SUM(count), 0) FROM event_blocks WHERE last_time < ?")
                    .bind(before)
                    .fetch_one(&mut *tx)
                    .await?;
            sqlx::query("DELETE FROM event_blocks WHERE last_time < ?")
                .bind(before)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(row.get::<i64, _>(0) as u64)
        })
    }

    fn reset(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query("DELETE FROM entities")
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn health(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            // Takes the write lock and lets it go: a store that answers reads but cannot
            // write is not healthy.
            let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            tx.rollback().await?;
            Ok(())
        })
    }

    fn describe(&self) -> String {
        match &self.path {
            Some(p) => format!("sqlite ({})", p.display()),
            None => "sqlite (in memory)".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::Account;
    use crate::events::EventAttribute;

    #[tokio::test]
    async fn commits_survive_reopening() {
        let dir =
            std::env::temp_dir().join(format!("portcullis-store-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        let _ = std::fs::remove_file(&path);
        {
            let store = SqliteStore::open(&path).await.unwrap();
            let account = Account {
                id: "123456789012".into(),
                create_date: 5,
            };
            store
                .commit(&[Change::put("123456789012", &account)])
                .await
                .unwrap();
            store.health().await.unwrap();
        }
        let store = SqliteStore::open(&path).await.unwrap();
        let records = store.load().await.unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].kind, Kind::Account);
        store.reset().await.unwrap();
        assert!(store.load().await.unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_failed_batch_changes_nothing() {
        let store = SqliteStore::in_memory().await.unwrap();
        let good = Change::put(
            "1",
            &Account {
                id: "1".into(),
                create_date: 1,
            },
        );
        store.commit(std::slice::from_ref(&good)).await.unwrap();
        sqlx::query("CREATE TRIGGER no_roles BEFORE INSERT ON entities WHEN NEW.kind = 'role' BEGIN SELECT RAISE(ABORT, 'no roles'); END")
            .execute(&store.pool)
            .await
            .unwrap();
        let bad = Change::Put(Record {
            account: "1".into(),
            kind: Kind::Role,
            key: "r".into(),
            body: "{}".into(),
        });
        let other = Change::Delete {
            account: "1".into(),
            kind: Kind::Account,
            key: "1".into(),
        };
        assert!(store.commit(&[other, bad]).await.is_err());
        assert_eq!(store.load().await.unwrap().len(), 1);
    }

    fn event(id: &str, time: i64, name: &str, resources: &[(&str, &str)]) -> EventRecord {
        EventRecord {
            event_id: id.into(),
            account: "1".into(),
            time,
            name: name.into(),
            source: "iam.amazonaws.com".into(),
            username: Some("alice".into()),
            access_key_id: Some("AKIAEXAMPLE".into()),
            read_only: name.starts_with("Get"),
            principal_arn: Some("arn:aws:iam::1:user/alice".into()),
            issuer_arn: None,
            action: format!("iam:{name}"),
            resource_arn: None,
            authorized: true,
            error_code: None,
            resources: resources
                .iter()
                .map(|(t, n)| (t.to_string(), n.to_string()))
                .collect(),
            body: "{}".into(),
        }
    }

    fn batch(events: &[EventRecord], journal_end: Option<i64>) -> EventBatch {
        let mut batch = EventBatch {
            journal_end,
            ..EventBatch::default()
        };
        for e in events {
            batch.push_line(&e.line(), e.time);
        }
        batch
    }

    #[tokio::test]
    async fn events_are_appended_filtered_paged_and_pruned_but_never_updated() {
        let store = SqliteStore::in_memory().await.unwrap();
        assert_eq!(store.journal_end().await.unwrap(), None);
        let first = [
            event("a", 1_000, "GetRole", &[("AWS::IAM::Role", "Admin")]),
            event("b", 2_000, "CreateUser", &[("AWS::IAM::User", "bob")]),
        ];
        store.append_events(&batch(&first, Some(40))).await.unwrap();
        let second = [event(
            "c",
            3_000,
            "GetRole",
            &[("AWS::IAM::Role", "Reader")],
        )];
        store
            .append_events(&batch(&second, Some(60)))
            .await
            .unwrap();
        assert_eq!(store.journal_end().await.unwrap(), Some(60));
        let ids = |found: Vec<StoredEvent>| -> Vec<String> {
            found.into_iter().map(|e| e.event.event_id).collect()
        };
        let mut q = EventQuery {
            account: "1".into(),
            ..EventQuery::default()
        };
        assert_eq!(ids(store.events(&q).await.unwrap()), ["c", "b", "a"]);
        q.attributes = vec![(EventAttribute::EventName, "GetRole".into())];
        assert_eq!(ids(store.events(&q).await.unwrap()), ["c", "a"]);
        q.attributes = vec![(EventAttribute::ResourceName, "bob".into())];
        assert_eq!(ids(store.events(&q).await.unwrap()), ["b"]);
        q.attributes = vec![(EventAttribute::ReadOnly, "false".into())];
        assert_eq!(ids(store.events(&q).await.unwrap()), ["b"]);
        q.attributes = vec![(
            EventAttribute::Principal,
            "arn:aws:iam::1:user/alice".into(),
        )];
        q.limit = 2;
        let page = store.events(&q).await.unwrap();
        assert_eq!(ids(page.clone()), ["c", "b"]);
        q.before = Some(page[1].position);
        assert_eq!(ids(store.events(&q).await.unwrap()), ["a"]);
        q = EventQuery {
            account: "1".into(),
            start: Some(1_500),
            end: Some(2_500),
            ..EventQuery::default()
        };
        assert_eq!(ids(store.events(&q).await.unwrap()), ["b"]);
        q.account = "2".into();
        assert!(store.events(&q).await.unwrap().is_empty());
        assert!(
            sqlx::query("UPDATE event_blocks SET lines = x'00'")
                .execute(&store.pool)
                .await
                .is_err(),
            "the trail is append-only"
        );
        assert_eq!(store.prune_events(2_500).await.unwrap(), 2);
        q = EventQuery {
            account: "1".into(),
            ..EventQuery::default()
        };
        assert_eq!(ids(store.events(&q).await.unwrap()), ["c"]);
    }

    /// A fresh database file in a directory of its own, removed with it.
    struct TempDb(PathBuf);

    impl TempDb {
        fn new(label: &str) -> TempDb {
            static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!(
                "portcullis-store-{label}-{}-{n}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDb(dir)
        }

        fn path(&self) -> PathBuf {
            self.0.join("db.sqlite")
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn accounts(from: usize, count: usize) -> Vec<Change> {
        (from..from + count)
            .map(|i| {
                let id = format!("{i:012}");
                Change::put(
                    &id,
                    &Account {
                        id: id.clone(),
                        create_date: 1,
                    },
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn a_commit_cut_short_leaves_no_transaction_open() {
        let db = TempDb::new("cut-short");
        let store = SqliteStore::open(&db.path()).await.unwrap();
        let big = accounts(0, 2_000);
        for (round, wait) in [0u64, 50, 200, 1_000, 3_000, 10_000]
            .into_iter()
            .enumerate()
        {
            // The commit's future is dropped after `wait` µs, wherever it is.
            let _ = tokio::time::timeout(Duration::from_micros(wait), store.commit(&big)).await;
            store
                .commit(&accounts(10_000 + round, 1))
                .await
                .unwrap_or_else(|e| panic!("a commit after one cut at {wait} µs: {e}"));
            store.health().await.unwrap();
        }
        let mut conn = store.pool.acquire().await.unwrap();
        assert!(!in_transaction(&mut conn).await.unwrap());
    }

    #[tokio::test]
    async fn a_connection_left_in_a_transaction_is_rolled_back_on_release() {
        let db = TempDb::new("left-open");
        let store = SqliteStore::open(&db.path()).await.unwrap();
        {
            let mut conn = store.pool.acquire().await.unwrap();
            sqlx::raw_sql("BEGIN IMMEDIATE")
                .execute(&mut *conn)
                .await
                .unwrap();
            sqlx::query("INSERT INTO entities (account_id, kind, key, body, updated_at) VALUES ('1', 'account', 'x', '{}', 0)")
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        store.commit(&accounts(1, 1)).await.unwrap();
        let rows: i64 = sqlx::query("SELECT COUNT(*) FROM entities WHERE key = 'x'")
            .fetch_one(&store.pool)
            .await
            .unwrap()
            .get(0);
        assert_eq!(rows, 0, "the abandoned transaction was rolled back");
        assert_eq!(store.load().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn health_fails_while_the_store_cannot_write() {
        let db = TempDb::new("locked");
        let store = SqliteStore::open(&db.path()).await.unwrap();
        store.health().await.unwrap();
        let other = SqliteStore::open(&db.path()).await.unwrap();
        let mut conn = other.pool.acquire().await.unwrap();
        sqlx::raw_sql("BEGIN IMMEDIATE")
            .execute(&mut *conn)
            .await
            .unwrap();
        let checked = tokio::time::timeout(Duration::from_secs(1), store.health()).await;
        assert!(!matches!(checked, Ok(Ok(()))), "healthy while locked");
        sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await.unwrap();
        drop(conn);
        store.health().await.unwrap();
    }

    #[tokio::test]
    async fn a_large_batch_is_stored_whole_in_blocks_and_read_in_order() {
        let store = SqliteStore::in_memory().await.unwrap();
        let events: Vec<EventRecord> = (0..BLOCK_EVENTS as i64 * 2 + 5)
            .map(|i| event(&format!("e{i:05}"), i, "GetUser", &[]))
            .collect();
        store.append_events(&batch(&events, None)).await.unwrap();
        let blocks: i64 = sqlx::query("SELECT COUNT(*) FROM event_blocks")
            .fetch_one(&store.pool)
            .await
            .unwrap()
            .get(0);
        assert_eq!(blocks, 3);
        let (stored, encodings): (i64, i64) =
            sqlx::query_as("SELECT SUM(LENGTH(lines)), MIN(encoding) FROM event_blocks")
                .fetch_one(&store.pool)
                .await
                .unwrap();
        assert_eq!(encodings, ENCODING_LZ4);
        let plain = batch(&events, None).lines.len() as i64;
        assert!(stored * 4 < plain, "{stored} bytes stored for {plain}");
        let mut query = EventQuery {
            account: "1".into(),
            limit: 1_000,
            ..EventQuery::default()
        };
        let mut ids = Vec::new();
        loop {
            let page = store.events(&query).await.unwrap();
            let Some(last) = page.last() else { break };
            query.before = Some(last.position);
            ids.extend(page.into_iter().map(|e| e.event.event_id));
        }
        ids.reverse();
        let want: Vec<String> = events.into_iter().map(|e| e.event_id).collect();
        assert_eq!(ids, want);
    }

    #[tokio::test]
    async fn events_of_an_older_database_move_into_blocks() {
        let dir = std::env::temp_dir().join(format!("portcullis-store-v2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        let _ = std::fs::remove_file(&path);
        {
            let options = SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .unwrap();
            sqlx::query("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
                .execute(&pool)
                .await
                .unwrap();
            for (version, sql) in &MIGRATIONS[..2] {
                sqlx::query(*sql).execute(&pool).await.unwrap();
                sqlx::query("INSERT INTO schema_migrations VALUES (?, 0)")
                    .bind(version)
                    .execute(&pool)
                    .await
                    .unwrap();
            }
            sqlx::query(
                "INSERT INTO events (event_id, account_id, event_time, event_name, event_source,
                    read_only, action, authorized, resources, body)
                 VALUES ('old1', '1', 5, 'GetRole', 'iam.amazonaws.com', 1, 'iam:GetRole', 1,
                    '[{\"type\":\"AWS::IAM::Role\",\"name\":\"Admin\"}]', '{\"eventName\":\"GetRole\"}'),
                        ('old2', '1', 6, 'CreateUser', 'iam.amazonaws.com', 0, 'iam:CreateUser', 1,
                    '[]', '{}')",
            )
            .execute(&pool)
            .await
            .unwrap();
            pool.close().await;
        }
        let store = SqliteStore::open(&path).await.unwrap();
        let found = store
            .events(&EventQuery {
                account: "1".into(),
                ..EventQuery::default()
            })
            .await
            .unwrap();
        let ids: Vec<_> = found.iter().map(|e| e.event.event_id.as_str()).collect();
        assert_eq!(ids, ["old2", "old1"]);
        assert_eq!(
            found[1].event.resources,
            [("AWS::IAM::Role".to_string(), "Admin".to_string())]
        );
        assert_eq!(found[1].event.body, r#"{"eventName":"GetRole"}"#);
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
