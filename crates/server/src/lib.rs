//! The Portcullis server: AWS IAM and STS over the Query protocol, with SigV4
//! authentication, authorization of every call by the policy engine, and an embedded
//! store.
//!
//! A request flows through: [`http`] (routing, parameters) → [`caller`] (SigV4, access
//! keys) → [`portcullis_protocol`] (operation and input from the botocore model) →
//! [`authz`] (the policy engine) → [`iam`] / [`sts`] (the operations) → [`audit`] (the
//! CloudTrail event, durable before the answer) → [`portcullis_protocol`] (XML).

pub mod app;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod caller;
pub mod config;
pub mod denial;
pub mod error;
pub mod http;
pub mod iam;
mod listener;
pub mod secrets;
pub mod sts;
pub mod time;
pub mod workloads;

pub use app::{App, NewRootCredentials};
pub use config::Config;
pub use error::Error;
pub use listener::HttpLimits;

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
    pub issuer_url_source: workloads::issuer::UrlSource,
}

impl Server {
    /// Opens the store, bootstraps the account, binds the listener and starts the metadata
    /// listeners of registered instances. The OpenID Connect issuer's URL is the one the
    /// data directory kept, unless one is given (see [`workloads::issuer::resolve_url`]).
    pub async fn bind(mut config: Config) -> Result<Server, Error> {
        let listen = config.listen;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| Error::io(format!("listening on {listen}"), e))?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| Error::io("reading the listening address", e))?;
        config.listen = local_addr;
        let issuer = workloads::issuer::resolve_url(
            config.data_dir.as_deref(),
            config.issuer_url.as_deref(),
            local_addr,
        )?;
        if let workloads::issuer::UrlSource::Changed { previous } = &issuer.source {
            tracing::warn!(
                previous = %previous,
                issuer = %issuer.url,
                "the OpenID Connect issuer URL CHANGED (--issuer-url): OpenID Connect providers made for the previous URL no longer accept this server's tokens"
            );
        }
        config.issuer_url = Some(issuer.url);
        let (app, new_root_credentials) = App::open(config).await?;
        let app = Arc::new(app);
        workloads::Workloads::start_all(&app).await;
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
