//! The server state: configuration, the store, the entities of the account in memory, the
//! server key. Reads see a consistent view; writes are serialized, committed durably, then
//! applied to the view.

use crate::auth::session::{KeyRing, SessionClaims};
use crate::config::Config;
use crate::error::Error;
use crate::policy_cache::PolicyCache;
use crate::secrets::{self, ServerKey};
use crate::time::now_millis;
use crate::trail::Trail;
use portcullis_store::{
    AccessKey, Account, Change, Entities, EventQuery, KeyLastUsed, KeyStatus, RoleLastUsed, Store,
    StoredEvent,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Root credentials made when the account was bootstrapped, to be shown once.
#[derive(Debug, Clone)]
pub struct NewRootCredentials {
    /// The access key ID.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// Where they were written, if anywhere.
    pub written_to: Option<std::path::PathBuf>,
}

/// The state shared by every request.
pub struct App {
    /// The configuration.
    pub config: Config,
    store: Arc<dyn Store>,
    entities: Arc<RwLock<Entities>>,
    writer: Arc<tokio::sync::Mutex<()>>,
    /// Encrypts secrets at rest.
    pub(crate) server_key: ServerKey,
    /// Seals and opens session tokens.
    pub(crate) sessions: KeyRing,
    open_sessions: std::sync::Mutex<rustc_hash::FxHashMap<String, (String, Arc<SessionClaims>)>>,
    /// Compiled policies of the account's principals.
    pub(crate) policies: PolicyCache,
    /// The key sets of OpenID Connect providers.
    pub(crate) oidc_keys: crate::auth::oidc::KeySets,
    generation: Arc<AtomicU64>,
    key_use_marks: std::sync::Mutex<rustc_hash::FxHashMap<String, i64>>,
    /// Metadata listeners and cached credentials of instances and tasks.
    pub(crate) workloads: crate::registry::Workloads,
    /// The built-in OpenID Connect issuer.
    pub issuer: crate::auth::issuer::Issuer,
    trail: Trail,
}

/// How long the health check waits for the store's write lock.
const HEALTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How many opened session tokens are kept.
const OPEN_SESSION_CACHE: usize = 10_000;

/// How often the last use of an access key is written, at most (milliseconds).
const KEY_USE_INTERVAL_MS: i64 = 60_000;

impl App {
    /// Opens the store named by the configuration ([`Config::store_location`]: the
    /// `--database-url`, else the data directory's database, else memory), loads the
    /// account and bootstraps it on first start. Returns the root credentials when it made
    /// new ones.
    pub async fn open(config: Config) -> Result<(App, Option<NewRootCredentials>), Error> {
        let location = config.store_location()?;
        if let Some(dir) = &config.data_dir {
            secrets::make_private_dir(dir)?;
        }
        if let Some(file) = location.file() {
            private_database_file(file)?;
        }
        let store = location.open().await?;
        let (server_key, sessions) = match &config.data_dir {
            Some(dir) => {
                let key = match &config.server_key {
                    Some(k) => ServerKey::from_base64(k)?,
                    None => ServerKey::load_or_create(&dir.join("server-key"))?.0,
                };
                let ring = match &config.session_keys {
                    Some(k) => KeyRing::from_json(k)?,
                    None => KeyRing::load_or_create(&dir.join("session-keys"))?,
                };
                (key, ring)
            }
            None => {
                let key = match &config.server_key {
                    Some(k) => ServerKey::from_base64(k)?,
                    None => ServerKey::generate(),
                };
                let ring = match &config.session_keys {
                    Some(k) => KeyRing::from_json(k)?,
                    None => KeyRing::generate(),
                };
                (key, ring)
            }
        };
        let records = store.load().await?;
        let mine: Vec<_> = records
            .iter()
            .filter(|r| r.account == config.account_id)
            .collect();
        let entities = Entities::from_records(mine)?;
        let oidc_keys = crate::auth::oidc::KeySets::open(config.oidc_keys.as_deref())?;
        let issuer_url = config
            .issuer_url
            .clone()
            .unwrap_or_else(|| crate::auth::issuer::default_url(config.listen));
        let issuer = crate::auth::issuer::Issuer::open(config.data_dir.as_deref(), &issuer_url)?;
        if let Some(id) = crate::auth::oidc::provider_id(issuer.url()) {
            oidc_keys.register(id, issuer.key_set().clone());
        }
        let trail = Trail::start(store.clone(), config.data_dir.as_deref(), &config.audit).await?;
        let app = App {
            config,
            store,
            entities: Arc::new(RwLock::new(entities)),
            writer: Arc::default(),
            server_key,
            sessions,
            open_sessions: std::sync::Mutex::default(),
            policies: PolicyCache::default(),
            oidc_keys,
            generation: Arc::default(),
            key_use_marks: std::sync::Mutex::default(),
            workloads: crate::registry::Workloads::default(),
            issuer,
            trail,
        };
        let created = app.bootstrap().await?;
        Ok((app, created))
    }

    /// The ID of the account this server serves.
    pub fn account_id(&self) -> &str {
        &self.config.account_id
    }

    /// What kind of store holds the data.
    pub fn store_description(&self) -> String {
        self.store.describe()
    }

    /// Checks that the store answers and can take a write within `HEALTH_TIMEOUT`.
    pub(crate) async fn store_health(&self) -> Result<(), Error> {
        match tokio::time::timeout(HEALTH_TIMEOUT, self.store.health()).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(Error::Io {
                context: "checking the store".into(),
                source: std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no write lock within {} s", HEALTH_TIMEOUT.as_secs()),
                ),
            }),
        }
    }

    /// A counter that changes whenever a write is applied (for caches of derived data).
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Runs `f` on a consistent view of the account's entities.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Entities) -> T) -> T {
        let guard = self.entities.read().unwrap_or_else(|p| p.into_inner());
        f(&guard)
    }

    /// Runs a write: `f` sees the current entities, checks what it must, and returns the
    /// changes to make and its answer. The changes are committed durably before they are
    /// applied and before the answer is returned; writes run one at a time, so checks
    /// such as uniqueness and quotas cannot race.
    ///
    /// Once its changes are known, a write runs to its end in a task of its own: a client
    /// that goes away (its request dropped) cannot leave a commit half done, the store
    /// inside a transaction, or the view behind the store.
    pub async fn write<T>(
        &self,
        f: impl FnOnce(&Entities) -> Result<(Vec<Change>, T), Error>,
    ) -> Result<T, Error> {
        let turn = self.writer.clone().lock_owned().await;
        let (changes, answer) = self.read(f)?;
        if changes.is_empty() {
            return Ok(answer);
        }
        let store = self.store.clone();
        let entities = self.entities.clone();
        let generation = self.generation.clone();
        let commit = tokio::spawn(async move {
            let _turn = turn;
            store.commit(&changes).await?;
            let mut guard = entities.write().unwrap_or_else(|p| p.into_inner());
            for change in &changes {
                guard.apply(change)?;
            }
            generation.fetch_add(1, Ordering::AcqRel);
            Ok::<(), Error>(())
        });
        match commit.await {
            Ok(result) => result.map(|()| answer),
            Err(e) => Err(Error::Io {
                context: "committing a write".into(),
                source: std::io::Error::other(e.to_string()),
            }),
        }
    }

    /// Records the event of a request, given as its line and its time; returns once it is
    /// durable (see `crate::trail`).
    pub(crate) async fn record_event(&self, line: &[u8], time: i64) -> Result<(), Error> {
        self.trail.record(line, time).await
    }

    /// True when requests are audited.
    pub(crate) fn audits(&self) -> bool {
        self.trail.enabled()
    }

    /// The audit events `query` selects, newest first.
    pub(crate) async fn lookup_events(
        &self,
        query: &EventQuery,
    ) -> Result<Vec<StoredEvent>, Error> {
        self.trail.flush().await?;
        Ok(self.store.events(query).await?)
    }

    /// Opens a session token presented with temporary access key `access_key_id`, using a
    /// cache of recently opened tokens. `None` when the ring cannot open it.
    pub(crate) fn open_session(
        &self,
        access_key_id: &str,
        token: &str,
    ) -> Option<Arc<SessionClaims>> {
        {
            let cache = self.open_sessions.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((t, claims)) = cache.get(access_key_id)
                && t == token
            {
                return Some(claims.clone());
            }
        }
        let claims = Arc::new(self.sessions.open(token)?);
        let mut cache = self.open_sessions.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= OPEN_SESSION_CACHE {
            cache.clear();
        }
        cache.insert(
            access_key_id.to_string(),
            (token.to_string(), claims.clone()),
        );
        Some(claims)
    }

    /// True when the last use of this access key (or `role:NAME`) is due to be written (at
    /// most once a minute, so that recording use does not turn reads into writes).
    pub(crate) fn key_use_due(&self, access_key_id: &str) -> bool {
        let now = now_millis();
        let mut marks = self.key_use_marks.lock().unwrap_or_else(|p| p.into_inner());
        match marks.get(access_key_id) {
            Some(t) if now - t < KEY_USE_INTERVAL_MS => false,
            _ => {
                marks.insert(access_key_id.to_string(), now);
                true
            }
        }
    }

    /// Records that a role was assumed now, in `region` (its RoleLastUsed), at most once a
    /// minute per role.
    pub(crate) async fn record_role_use(&self, role_name: &str, region: &str) -> Result<(), Error> {
        if !self.role_use_due(role_name) {
            return Ok(());
        }
        self.write_role_use(role_name, region).await
    }

    /// True when the last use of role `role_name` is due to be written (see
    /// [`App::key_use_due`]).
    pub(crate) fn role_use_due(&self, role_name: &str) -> bool {
        self.key_use_due(&format!("role:{}", role_name.to_lowercase()))
    }

    /// Writes that role `role_name` was used now, in `region` (its RoleLastUsed).
    pub(crate) async fn write_role_use(&self, role_name: &str, region: &str) -> Result<(), Error> {
        let account = self.account_id().to_string();
        self.write(|e| {
            let Some(role) = e.role(role_name) else {
                return Ok((vec![], ()));
            };
            let mut role = role.clone();
            role.last_used = Some(RoleLastUsed {
                date: now_millis(),
                region: region.to_string(),
            });
            Ok((vec![Change::put(&account, &role)], ()))
        })
        .await
    }

    /// Records that an access key was used now, for `service` in `region`.
    pub(crate) async fn record_key_use(
        &self,
        access_key_id: &str,
        service: &str,
        region: &str,
    ) -> Result<(), Error> {
        let account = self.account_id().to_string();
        self.write(|e| {
            let Some(key) = e.access_keys.get(access_key_id) else {
                return Ok((vec![], ()));
            };
            let mut key = key.clone();
            key.last_used = Some(KeyLastUsed {
                date: now_millis(),
                service: service.to_string(),
                region: region.to_string(),
            });
            Ok((vec![Change::put(&account, &key)], ()))
        })
        .await
    }

    /// Wipes every entity and bootstraps the account again (`--dev` only).
    pub(crate) async fn reset(&self) -> Result<Option<NewRootCredentials>, Error> {
        {
            let _turn = self.writer.lock().await;
            self.store.reset().await?;
            *self.entities.write().unwrap_or_else(|p| p.into_inner()) = Entities::default();
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        self.workloads.stop_all().await;
        self.bootstrap().await
    }

    /// Creates the account and its root access key when missing.
    async fn bootstrap(&self) -> Result<Option<NewRootCredentials>, Error> {
        let account_id = self.config.account_id.clone();
        let given = match (
            &self.config.root_access_key_id,
            &self.config.root_secret_access_key,
        ) {
            (Some(id), Some(secret)) => Some((id.clone(), secret.clone())),
            (None, None) => None,
            _ => {
                return Err(Error::Config(
                    "PORTCULLIS_ROOT_ACCESS_KEY_ID and PORTCULLIS_ROOT_SECRET_ACCESS_KEY must be set together"
                        .to_string(),
                ));
            }
        };
        let generated = self
            .write(|e| {
                let mut changes = Vec::new();
                let now = now_millis();
                if e.account.is_none() {
                    changes.push(Change::put(
                        &account_id,
                        &Account {
                            id: account_id.clone(),
                            create_date: now,
                        },
                    ));
                }
                let has_root_key = !e.access_keys_of(None).is_empty();
                let new_key = match &given {
                    Some((id, secret)) if !e.access_keys.contains_key(id) => {
                        Some((id.clone(), secret.clone(), false))
                    }
                    Some(_) => None,
                    None if !has_root_key => Some((
                        secrets::unique_id("AKIA", 16),
                        secrets::secret_access_key(),
                        true,
                    )),
                    None => None,
                };
                let mut generated = None;
                if let Some((id, secret, made)) = new_key {
                    changes.push(Change::put(
                        &account_id,
                        &AccessKey {
                            id: id.clone(),
                            user_id: None,
                            secret_ciphertext: self.server_key.encrypt(&secret),
                            status: KeyStatus::Active,
                            create_date: now,
                            last_used: None,
                        },
                    ));
                    if made {
                        generated = Some((id, secret));
                    }
                }
                Ok((changes, generated))
            })
            .await?;
        let Some((access_key_id, secret_access_key)) = generated else {
            return Ok(None);
        };
        let written_to = match &self.config.data_dir {
            Some(dir) => {
                let path = dir.join("root-credentials");
                let _ = std::fs::remove_file(&path);
                secrets::write_private(
                    &path,
                    &format!(
                        "[default]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {secret_access_key}\n"
                    ),
                )?;
                Some(path)
            }
            None => None,
        };
        Ok(Some(NewRootCredentials {
            access_key_id,
            secret_access_key,
            written_to,
        }))
    }
}

/// Makes an SQLite database file its owner's alone before the store opens it, since
/// SQLite makes its WAL and shared-memory files with the database file's mode: creates
/// the folders that are missing (0700) and the file when missing, and sets it and its
/// WAL and shared-memory files, when they exist, to 0600.
/// (The data directory's own database is covered by [`secrets::make_private_dir`] too;
/// this covers a `--database-url` file elsewhere.)
fn private_database_file(path: &std::path::Path) -> Result<(), Error> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.exists()
    {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(parent)
            .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    }
    secrets::create_private_file(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut files = vec![path.to_path_buf()];
        for suffix in ["-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            files.push(name.into());
        }
        for file in files.iter().filter(|f| *f == path || f.is_file()) {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| Error::io(format!("making {} private", file.display()), e))?;
        }
    }
    Ok(())
}
