//! The embedded store: SQLite in WAL mode with synchronous commits for entities. Audit
//! events go through a second connection to the same file whose commits are synced to
//! disk either each time ([`EventSync::Always`]) or at the next [`Store::sync_events`]
//! ([`EventSync::Periodic`]); either way a committed event is in the WAL file, so it
//! survives the death of the process.

use crate::error::StoreError;
use crate::events::{EventAttribute, EventQuery, EventRecord, StoredEvent};
use crate::migrations::MIGRATIONS;
use crate::record::{Change, Kind, Record};
use crate::{Store, StoreFuture};
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The columns of an event row that an insert binds.
const EVENT_COLUMNS: usize = 16;

/// When committed audit events reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSync {
    /// At each commit (`synchronous = FULL`).
    Always,
    /// At the next [`Store::sync_events`] (`synchronous = NORMAL`: a commit is written to
    /// the WAL file, which a checkpoint syncs).
    Periodic,
}

/// Records in an SQLite database file, or in memory.
pub struct SqliteStore {
    pool: SqlitePool,
    events: SqlitePool,
    path: Option<PathBuf>,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database file and applies pending migrations.
    /// Audit events are synced periodically ([`EventSync::Periodic`]).
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(path, EventSync::Periodic).await
    }

    /// Opens (creating it if missing) the database file, with audit events synced as
    /// `sync` says, and applies pending migrations.
    pub async fn open_with(path: &Path, sync: EventSync) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        let store = SqliteStore {
            pool,
            events: SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.synchronous(match sync {
                    EventSync::Always => SqliteSynchronous::Full,
                    EventSync::Periodic => SqliteSynchronous::Normal,
                }))
                .await?,
            path: Some(path.to_path_buf()),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// An empty database that lives as long as the store (for tests and `--in-memory`).
    pub async fn in_memory() -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?;
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
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

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
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
            let mut conn = self.pool.acquire().await?;
            sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
            let result: Result<(), StoreError> = async {
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
                            .execute(&mut *conn)
                            .await?;
                        }
                        Change::Delete { account, kind, key } => {
                            sqlx::query("DELETE FROM entities WHERE account_id = $1 AND kind = $2 AND key = $3")
                                .bind(account)
                                .bind(kind.as_str())
                                .bind(key)
                                .execute(&mut *conn)
                                .await?;
                        }
                    }
                }
                Ok(())
            }
            .await;
            match result {
                Ok(()) => {
                    sqlx::query("COMMIT").execute(&mut *conn).await?;
                    Ok(())
                }
                Err(e) => {
                    sqlx::query("ROLLBACK").execute(&mut *conn).await?;
                    Err(e)
                }
            }
        })
    }

    fn append_events<'a>(&'a self, events: &'a [EventRecord]) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            if events.is_empty() {
                return Ok(());
            }
            // Multi-row inserts of up to 256 rows, each its own transaction (a batch need
            // not be atomic: each event only has to be committed before its answer), so a
            // batch is usually one statement; only five statement texts to prepare.
            let mut rest = events;
            while !rest.is_empty() {
                let rows = [256, 64, 16, 4, 1]
                    .into_iter()
                    .find(|n| *n <= rest.len())
                    .unwrap_or(1);
                let (chunk, tail) = rest.split_at(rows);
                rest = tail;
                let mut sql = String::from(
                    "INSERT INTO events (event_id, account_id, event_time, event_name, event_source, username,
                        access_key_id, read_only, principal_arn, issuer_arn, action, resource_arn, authorized,
                        error_code, resources, body) VALUES ",
                );
                for i in 0..rows {
                    if i > 0 {
                        sql.push(',');
                    }
                    sql.push('(');
                    for c in 0..EVENT_COLUMNS {
                        if c > 0 {
                            sql.push(',');
                        }
                        sql.push_str(&format!("${}", i * EVENT_COLUMNS + c + 1));
                    }
                    sql.push(')');
                }
                // A retried batch may hold events already committed: they stay as they are.
                sql.push_str(" ON CONFLICT (event_id) DO NOTHING");
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for e in chunk {
                    let resources = serde_json::to_string(
                        &e.resources
                            .iter()
                            .map(|(t, n)| serde_json::json!({"type": t, "name": n}))
                            .collect::<Vec<_>>(),
                    )
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    q = q
                        .bind(&e.event_id)
                        .bind(&e.account)
                        .bind(e.time)
                        .bind(&e.name)
                        .bind(&e.source)
                        .bind(&e.username)
                        .bind(&e.access_key_id)
                        .bind(e.read_only)
                        .bind(&e.principal_arn)
                        .bind(&e.issuer_arn)
                        .bind(&e.action)
                        .bind(&e.resource_arn)
                        .bind(e.authorized)
                        .bind(&e.error_code)
                        .bind(resources)
                        .bind(&e.body);
                }
                q.execute(&self.events).await?;
            }
            Ok(())
        })
    }

    fn sync_events(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            if self.path.is_some() {
                // With synchronous = NORMAL, SQLite syncs the WAL file before a checkpoint.
                sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&self.events)
                    .await?;
            }
            Ok(())
        })
    }

    fn events<'a>(&'a self, query: &'a EventQuery) -> StoreFuture<'a, Vec<StoredEvent>> {
        Box::pin(async move {
            let mut sql = String::from(
                "SELECT position, event_id, account_id, event_time, event_name, event_source, username,
                    access_key_id, read_only, principal_arn, issuer_arn, action, resource_arn, authorized,
                    error_code, resources, body
                 FROM events WHERE account_id = $1",
            );
            let mut n = 1;
            let mut next = |sql: &mut String, clause: &str| {
                n += 1;
                sql.push_str(&clause.replace('?', &format!("${n}")));
            };
            if query.start.is_some() {
                next(&mut sql, " AND event_time >= ?");
            }
            if query.end.is_some() {
                next(&mut sql, " AND event_time <= ?");
            }
            if query.before.is_some() {
                next(&mut sql, " AND position < ?");
            }
            for (attribute, _) in &query.attributes {
                let clause = match attribute {
                    EventAttribute::EventId => " AND event_id = ?",
                    EventAttribute::EventName => " AND event_name = ?",
                    EventAttribute::EventSource => " AND event_source = ?",
                    EventAttribute::Username => " AND username = ?",
                    EventAttribute::AccessKeyId => " AND access_key_id = ?",
                    EventAttribute::ReadOnly => " AND read_only = (? = 'true')",
                    EventAttribute::ResourceName => {
                        " AND EXISTS (SELECT 1 FROM json_each(events.resources) WHERE json_extract(value, '$.name') = ?)"
                    }
                    EventAttribute::ResourceType => {
                        " AND EXISTS (SELECT 1 FROM json_each(events.resources) WHERE json_extract(value, '$.type') = ?)"
                    }
                    EventAttribute::Principal => " AND ? IN (principal_arn, issuer_arn)",
                };
                next(&mut sql, clause);
            }
            sql.push_str(" ORDER BY position DESC");
            if query.limit > 0 {
                sql.push_str(&format!(" LIMIT {}", query.limit));
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&query.account);
            if let Some(t) = query.start {
                q = q.bind(t);
            }
            if let Some(t) = query.end {
                q = q.bind(t);
            }
            if let Some(p) = query.before {
                q = q.bind(p);
            }
            for (_, value) in &query.attributes {
                q = q.bind(value);
            }
            let rows = q.fetch_all(&self.pool).await?;
            rows.iter()
                .map(|r| {
                    let resources: Vec<serde_json::Value> =
                        serde_json::from_str(r.get::<&str, _>(15))
                            .map_err(|e| StoreError::Corrupt(format!("event resources: {e}")))?;
                    Ok(StoredEvent {
                        position: r.get(0),
                        event: EventRecord {
                            event_id: r.get(1),
                            account: r.get(2),
                            time: r.get(3),
                            name: r.get(4),
                            source: r.get(5),
                            username: r.get(6),
                            access_key_id: r.get(7),
                            read_only: r.get(8),
                            principal_arn: r.get(9),
                            issuer_arn: r.get(10),
                            action: r.get(11),
                            resource_arn: r.get(12),
                            authorized: r.get(13),
                            error_code: r.get(14),
                            resources: resources
                                .iter()
                                .map(|v| {
                                    let field = |k: &str| {
                                        v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string()
                                    };
                                    (field("type"), field("name"))
                                })
                                .collect(),
                            body: r.get(16),
                        },
                    })
                })
                .collect()
        })
    }

    fn prune_events(&self, before: i64) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            let done = sqlx::query("DELETE FROM events WHERE event_time < $1")
                .bind(before)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected())
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
            sqlx::query("SELECT 1").execute(&self.pool).await?;
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

    #[tokio::test]
    async fn events_are_appended_filtered_paged_and_pruned_but_never_updated() {
        let store = SqliteStore::in_memory().await.unwrap();
        store
            .append_events(&[
                event("a", 1_000, "GetRole", &[("AWS::IAM::Role", "Admin")]),
                event("b", 2_000, "CreateUser", &[("AWS::IAM::User", "bob")]),
                event("c", 3_000, "GetRole", &[("AWS::IAM::Role", "Reader")]),
            ])
            .await
            .unwrap();
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
        assert!(
            sqlx::query("UPDATE events SET body = 'x'")
                .execute(&store.pool)
                .await
                .is_err(),
            "the trail is append-only"
        );
        store
            .append_events(&[event("a", 9, "GetRole", &[])])
            .await
            .unwrap();
        q = EventQuery {
            account: "1".into(),
            attributes: vec![(EventAttribute::EventId, "a".into())],
            ..EventQuery::default()
        };
        let again = store.events(&q).await.unwrap();
        assert_eq!(again.len(), 1, "an event appended again is kept once");
        assert_eq!(again[0].event.time, 1_000, "and as it was first committed");
        assert_eq!(store.prune_events(2_500).await.unwrap(), 2);
        q = EventQuery {
            account: "1".into(),
            ..EventQuery::default()
        };
        assert_eq!(ids(store.events(&q).await.unwrap()), ["c"]);
    }

    #[tokio::test]
    async fn a_large_batch_is_inserted_whole_and_in_order() {
        let store = SqliteStore::in_memory().await.unwrap();
        let batch: Vec<EventRecord> = (0..85)
            .map(|i| event(&format!("e{i:02}"), i, "GetUser", &[]))
            .collect();
        store.append_events(&batch).await.unwrap();
        let found = store
            .events(&EventQuery {
                account: "1".into(),
                ..EventQuery::default()
            })
            .await
            .unwrap();
        let ids: Vec<String> = found.into_iter().rev().map(|e| e.event.event_id).collect();
        let want: Vec<String> = batch.into_iter().map(|e| e.event_id).collect();
        assert_eq!(ids, want);
    }
}
