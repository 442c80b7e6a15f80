//! Workload credentials: what a program running as an EC2 instance, an ECS task or a
//! Kubernetes pod gets instead of static keys.
//!
//! - [`instances`]: instances registered through the EC2 API (`RunInstances`), each with
//!   its own instance metadata listener ([`imds`], IMDSv1 and IMDSv2) that hands out the
//!   credentials of its instance profile's role;
//! - [`tasks`]: tasks registered through the ECS API (`RunTask`) and the container
//!   credentials endpoint that hands out their task role's credentials;
//! - [`vend`]: the trust-policy check for the service principal and the session it yields.
//!
//! The built-in OpenID Connect issuer, whose signed tokens work with
//! `AssumeRoleWithWebIdentity` (`AWS_WEB_IDENTITY_TOKEN_FILE`), is `crate::auth::issuer`;
//! the operator's limits (where metadata listeners may bind, how many instances and tasks
//! an account runs) are `crate::config::limits`; the running listeners and cached
//! credentials are plain data in `crate::registry`, which the server state owns.
//!
//! Credentials are cached per workload and replaced before they expire, as EC2 and ECS
//! do; every vending checks the role's trust policy anew.

pub(crate) mod imds;
pub(crate) mod instances;
pub(crate) mod tasks;
pub(crate) mod vend;

use crate::app::App;
use crate::registry::{Cached, Listener};
use crate::time::now_millis;
use portcullis_store::Instance;
use std::net::SocketAddr;
use std::sync::Arc;
use vend::{ServiceAssumption, VendError};

/// How long before expiry cached credentials are replaced: five minutes, as EC2 promises,
/// or a third of their lifetime when that is shorter.
pub(crate) fn refresh_margin(duration_seconds: i64) -> i64 {
    (duration_seconds / 3).min(300)
}

/// Binds and starts the metadata listener of an instance. The address must be one the
/// operator allows (see `crate::config::limits`); the caller checks that.
pub(crate) async fn start_imds(
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
    app.workloads.keep_listener(&instance.id, Listener { task });
    Ok(addr)
}

/// Starts the metadata listeners of every registered instance (at server start).
pub(crate) async fn start_all(app: &Arc<App>) {
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
        match start_imds(app, &instance).await {
            Ok(addr) => {
                tracing::info!(instance = %instance.id, %addr, "instance metadata listener")
            }
            Err(e) => {
                tracing::warn!(instance = %instance.id, error = %e, "instance metadata listener not started")
            }
        }
    }
}

/// The credentials of a workload (`key` names it: `i-…`, `TASKID/task`): the cached
/// ones while they are for the same role and not due for replacement, else new ones
/// after the trust policy is checked again.
pub(crate) async fn credentials(
    app: &App,
    key: &str,
    assumption: &ServiceAssumption<'_>,
) -> Result<Cached, VendError> {
    let now = crate::time::now_seconds();
    let margin = refresh_margin(assumption.duration_seconds);
    if let Some(c) = app.workloads.cached(key, |c| {
        c.role_id == assumption.role.id && c.expires - now > margin
    }) {
        return Ok(c);
    }
    let (expires, credentials) = vend::assume(app, assumption).await?;
    let fresh = Cached {
        role_id: assumption.role.id.clone(),
        expires,
        issued_millis: now_millis(),
        credentials,
    };
    app.workloads.keep(key, fresh.clone());
    Ok(fresh)
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
