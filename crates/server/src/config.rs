//! How a server is configured.

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
    /// The ID of the default account.
    pub account_id: String,
    /// Development mode: signatures are not checked and every access key acts as the root
    /// of the default account; unless `enforce` is also set, nothing is authorized.
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
    /// How the audit trail is kept (log file, retention).
    pub audit: crate::audit::AuditConfig,
}

impl Config {
    /// True when every call is authorized by the policy engine.
    pub fn authorizes(&self) -> bool {
        !self.dev || self.enforce
    }

    /// True when signatures are verified.
    pub fn verifies_signatures(&self) -> bool {
        !self.dev
    }
}
