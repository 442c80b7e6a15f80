//! Workload credentials: what a program running as an EC2 instance, an ECS task or a
//! Kubernetes pod gets instead of static keys.
//!
//! - [`instances`]: instances registered through the EC2 API (`RunInstances`), each with
//!   its own instance metadata listener ([`imds`], IMDSv1 and IMDSv2) that hands out the
//!   credentials of its instance profile's role;
//! - [`tasks`]: tasks registered through the ECS API (`RunTask`) and the container
//!   credentials endpoint that hands out their task role's credentials;
//! - [`issuer`]: a built-in OpenID Connect issuer whose signed tokens work with
//!   `AssumeRoleWithWebIdentity` (`AWS_WEB_IDENTITY_TOKEN_FILE`);
//! - [`vend`]: the trust-policy check for the service principal and the session it yields;
//! - [`limits`]: the operator's limits: where metadata listeners may bind, how many
//!   instances and tasks an account runs.
//!
//! Credentials are cached per workload and replaced before they expire, as EC2 and ECS
//! do; every vending checks the role's trust policy anew.

pub mod imds;
pub mod instances;
pub mod issuer;
pub mod limits;
pub mod tasks;
pub mod vend;

use crate::app::App;
use crate::time::now_millis;
use portcullis_store::Instance;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use vend::{ServiceAssumption, VendError};

/// Credentials handed to a workload, kept until they are due for replacement.
#[derive(Debug, Clone)]
pub struct Cached {
    /// The role they are for (its unique ID).
    pub role_id: String,
    /// Expiry (seconds since the Unix epoch).
    pub expires: i64,
    /// When they were issued (milliseconds since the Unix epoch).
    pub issued_millis: i64,
    /// `AccessKeyId`, `SecretAccessKey`, `SessionToken`, `Expiration`.
    pub credentials: Value,
}

struct Listener {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Listener {
    /// Stops the listener, returning once its socket is closed (an aborted task is
    /// dropped by the runtime a moment later, and until then the kernel still accepts
    /// connections on it).
    async fn close(self) {
        self.task.abort();
        // The task was aborted: its end (cancelled, or done before the abort) is all
        // there is to wait for.
        let _ = self.task.await;
    }
}

/// The running parts of the workloads: metadata listeners and cached credentials.
#[derive(Default)]
pub struct Workloads {
    listeners: Mutex<HashMap<String, Listener>>,
    cache: Mutex<HashMap<String, Cached>>,
    /// Held while instances are launched (their count checked against the quota, their
    /// listeners bound, the instances stored), so that launches at once cannot together
    /// pass the quota or bind listeners beyond it.
    launches: tokio::sync::Mutex<()>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How long before expiry cached credentials are replaced: five minutes, as EC2 promises,
/// or a third of their lifetime when that is shorter.
pub fn refresh_margin(duration_seconds: i64) -> i64 {
    (duration_seconds / 3).min(300)
}

impl Workloads {
    /// The address of an instance's metadata listener, while it runs.
    pub fn imds_address(&self, instance_id: &str) -> Option<SocketAddr> {
        lock(&self.listeners).get(instance_id).map(|l| l.addr)
    }

    /// Binds and starts the metadata listener of an instance. The address must be one the
    /// operator allows (see [`limits`]); the caller checks that.
    pub async fn start_imds(
        app: &Arc<App>,
        instance: &Instance,
    ) -> Result<SocketAddr, std::io::Error> {
        let listener = tokio::net::TcpListener::bind(&instance.imds_listen).await?;
        let addr = listener.local_addr()?;
        let router = imds::router(app.clone(), instance.id.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::warn!(error = %e, "instance metadata listener stopped");
            }
        });
        if let Some(old) =
            lock(&app.workloads.listeners).insert(instance.id.clone(), Listener { addr, task })
        {
            old.task.abort();
        }
        Ok(addr)
    }

    /// Starts the metadata listeners of every registered instance (at server start).
    pub async fn start_all(app: &Arc<App>) {
        let instances: Vec<Instance> = app.read(|e| e.instances.values().cloned().collect());
        for instance in instances {
            // The allow-list may have shrunk since the instance was launched.
            let allowed = instance
                .imds_listen
                .parse::<SocketAddr>()
                .is_ok_and(|a| app.config.workload_limits.imds_allowed(a.ip()));
            if !allowed {
                tracing::warn!(
                    instance = %instance.id,
                    listen = %instance.imds_listen,
                    allowed = %app.config.workload_limits.imds_allow_list(),
                    "instance metadata listener not started: its address is not allowed (--imds-allow)"
                );
                continue;
            }
            match Workloads::start_imds(app, &instance).await {
                Ok(addr) => {
                    tracing::info!(instance = %instance.id, %addr, "instance metadata listener")
                }
                Err(e) => {
                    tracing::warn!(instance = %instance.id, error = %e, "instance metadata listener not started")
                }
            }
        }
    }

    /// Waits for the turn to launch instances (see the `launches` field).
    pub async fn launch_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.launches.lock().await
    }

    /// Stops a workload: its cached credentials and its listener, if any (returning once
    /// the listener no longer takes connections).
    pub async fn stop(&self, id: &str) {
        lock(&self.cache).retain(|k, _| k.split('/').next() != Some(id));
        let listener = lock(&self.listeners).remove(id);
        if let Some(l) = listener {
            l.close().await;
        }
    }

    /// Stops every workload (on reset).
    pub async fn stop_all(&self) {
        lock(&self.cache).clear();
        let listeners: Vec<Listener> = lock(&self.listeners).drain().map(|(_, l)| l).collect();
        for l in listeners {
            l.close().await;
        }
    }

    /// The credentials of a workload (`key` names it: `i-…`, `TASKID/task`): the cached
    /// ones while they are for the same role and not due for replacement, else new ones
    /// after the trust policy is checked again.
    pub async fn credentials(
        app: &App,
        key: &str,
        assumption: &ServiceAssumption<'_>,
    ) -> Result<Cached, VendError> {
        let now = crate::time::now_seconds();
        let margin = refresh_margin(assumption.duration_seconds);
        if let Some(c) = lock(&app.workloads.cache).get(key)
            && c.role_id == assumption.role.id
            && c.expires - now > margin
        {
            return Ok(c.clone());
        }
        let (expires, credentials) = vend::assume(app, assumption).await?;
        let fresh = Cached {
            role_id: assumption.role.id.clone(),
            expires,
            issued_millis: now_millis(),
            credentials,
        };
        lock(&app.workloads.cache).insert(key.to_string(), fresh.clone());
        Ok(fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::refresh_margin;

    #[test]
    fn credentials_are_replaced_five_minutes_or_a_third_of_their_life_early() {
        assert_eq!(refresh_margin(21_600), 300);
        assert_eq!(refresh_margin(900), 300);
        assert_eq!(refresh_margin(600), 200);
        assert_eq!(refresh_margin(15), 5);
    }
}
