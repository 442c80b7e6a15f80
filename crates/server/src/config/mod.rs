//! How a server is configured.

pub(crate) mod limits;

use portcullis_store::{Location, StoreError};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The configuration of `portcullis serve`.
#[derive(Debug, Clone)]
pub struct Config {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The data directory (database, server key, root credentials); `None` keeps
    /// everything in memory.
    pub data_dir: Option<PathBuf>,
    /// Where the store is, as a store URL (`--database-url`; the forms are those of
    /// [`portcullis_store::Location`]). `None`: `sqlite://DATA_DIR/portcullis.db`, or
    /// `sqlite::memory:` without a data directory ([`Config::store_location`]).
    pub database_url: Option<String>,
    /// The ID of the default account.
    pub account_id: String,
    /// Development mode: signatures are not checked; credentials Portcullis issued still
    /// identify their principal, any other access key acts as the root of the default
    /// account; unless `enforce` is also set, nothing is authorized.
    pub dev: bool,
    /// With `dev`: authorize every call as in default mode.
    pub enforce: bool,
    /// Root access key ID to bootstrap the account with (otherwise generated).
    pub root_access_key_id: Option<String>,
    /// Root secret access key to bootstrap the account with (otherwise generated).
    pub root_secret_access_key: Option<String>,
    /// The server key (base64 of 32 bytes) that encrypts secrets at rest; otherwise read
    /// from, or created in, the data directory.
    pub server_key: Option<String>,
    /// The key ring that seals session tokens, as JSON (`[{"id": 0, "key": "base64"}]`);
    /// otherwise read from, or created in, the data directory. Nodes that share a database
    /// must share it.
    pub session_keys: Option<String>,
    /// The directory of JWKS files of OpenID Connect providers that are not on a loopback
    /// address (`--oidc-keys`; see `auth::oidc`).
    pub oidc_keys: Option<PathBuf>,
    /// How long the credentials handed to instances and tasks last, in seconds (EC2 and
    /// ECS hand out six-hour credentials; tests use less to see them rotate).
    pub workload_session_seconds: i64,
    /// The issuer URL of the built-in OpenID Connect issuer (`None`: derived from the
    /// listening address, `http://ADDR/oidc`).
    pub issuer_url: Option<String>,
    /// How the audit trail is kept (log file, retention).
    pub audit: crate::trail::AuditConfig,
    /// The API listener's connection cap and time limits.
    pub http: crate::listener::HttpLimits,
    /// Where instance metadata listeners may bind and how many instances and tasks an
    /// account may run (`--imds-allow`, `--max-instances`, `--max-tasks`).
    pub workload_limits: limits::WorkloadLimits,
    /// Regions that credential scopes may name besides AWS's own
    /// ([`portcullis_protocol::sigv4::AWS_REGIONS`]): `--region`, for on-premises deployments.
    pub regions: Vec<String>,
}

/// How long workload credentials last unless configured: six hours, as on EC2.
pub const DEFAULT_WORKLOAD_SESSION_SECONDS: i64 = 21_600;

/// The database file's name in the data directory.
pub(crate) const DATABASE_FILE: &str = "portcullis.db";

impl Config {
    /// An in-memory server of account 123456789012 on a free loopback port, for tests.
    #[cfg(test)]
    pub(crate) fn in_memory(dev: bool) -> Config {
        Config {
            regions: Vec::new(),
            listen: "127.0.0.1:0".parse().expect("a socket address"),
            data_dir: None,
            database_url: None,
            account_id: "123456789012".into(),
            dev,
            enforce: false,
            root_access_key_id: None,
            root_secret_access_key: None,
            server_key: None,
            session_keys: None,
            oidc_keys: None,
            workload_session_seconds: DEFAULT_WORKLOAD_SESSION_SECONDS,
            issuer_url: None,
            audit: crate::trail::AuditConfig::default(),
            http: crate::listener::HttpLimits::default(),
            workload_limits: limits::WorkloadLimits::default(),
        }
    }

    /// Where the store is: `--database-url` when given, else the database file of the data
    /// directory (`sqlite://DATA_DIR/portcullis.db`), else a database in memory.
    pub(crate) fn store_location(&self) -> Result<Location, StoreError> {
        match (&self.database_url, &self.data_dir) {
            (Some(url), _) => Location::parse(url),
            (None, Some(dir)) => Ok(Location::SqliteFile(dir.join(DATABASE_FILE))),
            (None, None) => Ok(Location::SqliteMemory),
        }
    }

    /// True when every call is authorized by the policy engine.
    pub(crate) fn authorizes(&self) -> bool {
        !self.dev || self.enforce
    }

    /// True when signatures are verified.
    pub(crate) fn verifies_signatures(&self) -> bool {
        !self.dev
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_store_is_the_database_url_else_the_data_directory_else_memory() {
        let mut config = Config::in_memory(false);
        assert_eq!(config.store_location().unwrap(), Location::SqliteMemory);
        config.data_dir = Some(PathBuf::from("/var/lib/portcullis"));
        let location = config.store_location().unwrap();
        assert_eq!(
            location.file(),
            Some(Path::new("/var/lib/portcullis/portcullis.db"))
        );
        assert_eq!(
            location.to_string(),
            "sqlite:///var/lib/portcullis/portcullis.db"
        );
        config.database_url = Some("sqlite:///srv/iam.db".into());
        assert_eq!(
            config.store_location().unwrap(),
            Location::SqliteFile(PathBuf::from("/srv/iam.db"))
        );
        config.database_url = Some("sqlite::memory:".into());
        assert_eq!(config.store_location().unwrap(), Location::SqliteMemory);
        config.database_url = Some("postgres://localhost/iam".into());
        assert!(config.store_location().is_err());
    }
}
