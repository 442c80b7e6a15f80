//! The running parts of the workloads, as plain data the server state owns: metadata
//! listeners, cached credentials, and the turn to launch instances. What starts a
//! listener or vends credentials is in `crate::workloads`, which takes the state.

use portcullis_protocol::sts::Credentials;
use std::collections::HashMap;
use std::sync::Mutex;

/// Credentials handed to a workload, kept until they are due for replacement.
#[derive(Debug, Clone)]
pub(crate) struct Cached {
    /// The role they are for (its unique ID).
    pub role_id: String,
    /// Expiry (seconds since the Unix epoch).
    pub expires: i64,
    /// When they were issued (milliseconds since the Unix epoch).
    pub issued_millis: i64,
    /// The keys, the session token and their expiration.
    pub credentials: Credentials,
}

/// A running metadata listener.
pub(crate) struct Listener {
    /// The task that serves it.
    pub(crate) task: tokio::task::JoinHandle<()>,
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
pub(crate) struct Workloads {
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

impl Workloads {
    /// Keeps the listener of an instance, stopping the one it replaces (without waiting).
    pub(crate) fn keep_listener(&self, instance_id: &str, listener: Listener) {
        if let Some(old) = lock(&self.listeners).insert(instance_id.to_string(), listener) {
            old.task.abort();
        }
    }

    /// The cached credentials of a workload (`key` names it: `i-…`, `TASKID/task`), when
    /// `usable` accepts them.
    pub(crate) fn cached(&self, key: &str, usable: impl FnOnce(&Cached) -> bool) -> Option<Cached> {
        lock(&self.cache).get(key).filter(|c| usable(c)).cloned()
    }

    /// Keeps the credentials of a workload until they are replaced.
    pub(crate) fn keep(&self, key: &str, credentials: Cached) {
        lock(&self.cache).insert(key.to_string(), credentials);
    }

    /// Waits for the turn to launch instances (see the `launches` field).
    pub(crate) async fn launch_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.launches.lock().await
    }

    /// Stops a workload: its cached credentials and its listener, if any (returning once
    /// the listener no longer takes connections).
    pub(crate) async fn stop(&self, id: &str) {
        lock(&self.cache).retain(|k, _| k.split('/').next() != Some(id));
        let listener = lock(&self.listeners).remove(id);
        if let Some(l) = listener {
            l.close().await;
        }
    }

    /// Stops every workload (on reset).
    pub(crate) async fn stop_all(&self) {
        lock(&self.cache).clear();
        let listeners: Vec<Listener> = lock(&self.listeners).drain().map(|(_, l)| l).collect();
        for l in listeners {
            l.close().await;
        }
    }
}
