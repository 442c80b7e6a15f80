//! The Portcullis server: AWS IAM and STS over the Query protocol, with SigV4
//! authentication, authorization of every call by the policy engine, and an embedded
//! store.
//!
//! A request flows through: `http` (routing, parameters) → `caller` (SigV4, access
//! keys) → [`portcullis_protocol`] (operation and input from the botocore model) →
//! `authz` (the policy engine) → `iam` / `sts` (the operations, sharing `call::Ctx`) →
//! `audit` (the CloudTrail event, which `trail` makes durable before the answer) →
//! [`portcullis_protocol`] (XML).
//!
//! The modules are the crate's own: the state of a server ([`App`]) is a plain set of parts
//! that imports no module above it, and `scripts/module_cycles.py` checks that the
//! modules import each other in no circle. What this crate exports is what the
//! `portcullis` command, the end-to-end tests and the benchmarks use, below.

mod account;
mod app;
mod audit;
mod auth;
mod authz;
mod call;
mod caller;
mod config;
mod denial;
mod error;
mod http;
mod iam;
mod listener;
mod pem;
mod policy_cache;
mod registry;
mod secrets;
mod sts;
mod time;
mod trail;
mod workloads;

// Running a server (`portcullis serve`).
pub use app::{App, NewRootCredentials};
pub use auth::issuer::{Issuer, UrlSource, default_url as default_issuer_url};
pub use config::limits::{DEFAULT_MAX_INSTANCES, DEFAULT_MAX_TASKS, IpBlock, WorkloadLimits};
pub use config::{Config, DEFAULT_WORKLOAD_SESSION_SECONDS};
pub use error::Error;
pub use listener::HttpLimits;
pub use trail::AuditConfig;

// Reading the audit trail (`portcullis audit`, `portcullis policy generate`).
pub use audit::lookup::attribute as lookup_attribute;
pub use audit::review::{Archive, UnusedAccess, generate_policy, principal_query, unused_access};

// Writing a private file as the server does (`portcullis token issue --out`).
pub use secrets::write_private;

// Sessions and MFA codes as the end-to-end tests make them.
pub use auth::session::{KeyRing, SessionClaims, SessionPrincipal};
pub use iam::mfa::totp_code;

// What the enforcement benchmark times: authorization and the audit event of a call.
pub use audit::record::{Facts, write_event};
pub use authz::{Authorization, authorize_call, iam_authorization, resource_arn};
pub use caller::Caller;

use std::net::SocketAddr;
use std::sync::Arc;

/// A server bound to its address, ready to run.
pub struct Server {
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    /// The address it listens on.
    pub local_addr: SocketAddr,
    /// Root credentials made at this start (first start only), to be shown once.
    pub new_root_credentials: Option<NewRootCredentials>,
    /// Where the OpenID Connect issuer's URL comes from at this start (it changed when
    /// `--issuer-url` replaced the one the data directory kept).
    pub issuer_url_source: UrlSource,
}

impl Server {
    /// Opens the store, bootstraps the account, binds the listener and starts the metadata
    /// listeners of registered instances. The OpenID Connect issuer's URL is the one the
    /// data directory kept, unless one is given (see `auth::issuer::resolve_url`).
    pub async fn bind(mut config: Config) -> Result<Server, Error> {
        let listen = config.listen;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| Error::io(format!("listening on {listen}"), e))?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| Error::io("reading the listening address", e))?;
        config.listen = local_addr;
        let issuer = auth::issuer::resolve_url(
            config.data_dir.as_deref(),
            config.issuer_url.as_deref(),
            local_addr,
        )?;
        if let auth::issuer::UrlSource::Changed { previous } = &issuer.source {
            tracing::warn!(
                previous = %previous,
                issuer = %issuer.url,
                "the OpenID Connect issuer URL CHANGED (--issuer-url): OpenID Connect providers made for the previous URL no longer accept this server's tokens"
            );
        }
        config.issuer_url = Some(issuer.url);
        let (app, new_root_credentials) = App::open(config).await?;
        let app = Arc::new(app);
        workloads::start_all(&app).await;
        Ok(Server {
            app,
            listener,
            local_addr,
            new_root_credentials,
            issuer_url_source: issuer.source,
        })
    }

    /// The server state.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// Serves until the process receives Ctrl-C or SIGTERM.
    pub async fn run(self) -> Result<(), Error> {
        let limits = self.app.config.http;
        listener::serve(self.listener, http::router(self.app), limits, shutdown()).await;
        Ok(())
    }
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
