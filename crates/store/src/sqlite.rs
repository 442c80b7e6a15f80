//! The embedded store: SQLite in WAL mode with synchronous commits.

use crate::error::StoreError;
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

/// Records in an SQLite database file, or in memory.
pub struct SqliteStore {
    pool: SqlitePool,
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
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        let store = SqliteStore {
            pool,
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
        let store = SqliteStore { pool, path: None };
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
}
