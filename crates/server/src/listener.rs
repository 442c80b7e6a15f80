//! The API listener: accepts connections up to a cap and serves each one with hyper under
//! time limits, so that slow, idle or numerous clients cannot take the server away from
//! everyone else.
//!
//! - **Connections**: at most [`HttpLimits::max_connections`] at once. A connection past
//!   the cap is answered `503 ServiceUnavailable` and closed at once.
//! - **Header read**: an HTTP/1 request's headers must arrive within
//!   [`HttpLimits::header_read_timeout`] of its first byte.
//! - **Idle**: a connection with no request in progress and no byte read or written for
//!   [`HttpLimits::idle_timeout`] is closed (keep-alive connections, HTTP/2, clients that
//!   stop reading an answer).
//! - **Request**: a request not answered within [`HttpLimits::request_timeout`] is answered
//!   `503 ServiceUnavailable`. Its work goes on to its end in a task of its own, so that a
//!   write a client gave up on is still committed and audited whole, never half-way.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tower_service::Service;

/// The limits of the API listener (`portcullis serve --max-connections`, `--header-read-timeout`,
/// `--idle-timeout`, `--request-timeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// The most connections served at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// How long an HTTP/1 request's headers may take to arrive, from its first byte.
    pub header_read_timeout: Duration,
    /// How long a connection may stay without a request in progress and without traffic.
    pub idle_timeout: Duration,
    /// How long a request may take before it is answered 503.
    pub request_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> HttpLimits {
        HttpLimits {
            max_connections: 4_096,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(60),
        }
    }
}

/// How long a refused connection is given to take its 503 before it is closed.
const REFUSAL_GRACE: Duration = Duration::from_secs(1);

/// The most refusals being written at once; past it a connection is closed unanswered.
const MAX_REFUSALS: usize = 256;

/// How long shutdown waits for the connections to finish their requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The target of the request log: at `info`, one line per API request (method, action,
/// principal, status, latency, request ID) and per instance metadata request (see
/// `workloads::imds`); at `debug`, also the other requests (health
/// check, issuer documents, container credentials). `RUST_LOG=warn,portcullis::request=info`
/// logs the API requests and nothing else past the warnings.
pub(crate) const REQUEST_LOG: &str = "portcullis::request";

/// The header that carries a request's ID.
pub(crate) const REQUEST_ID_HEADER: &str = "x-amzn-requestid";

/// A new request ID.
pub(crate) fn request_id() -> String {
    static IDS: crate::secrets::IdSequence = crate::secrets::IdSequence::new();
    IDS.next().to_string()
}

/// True when the request log is on (`info` for [`REQUEST_LOG`]). When it is off this is a
/// few atomic loads, and nothing of the request log is allocated.
pub(crate) fn logs_requests() -> bool {
    tracing::enabled!(target: REQUEST_LOG, tracing::Level::INFO)
}

/// What an API request's log line says beyond what the listener sees: the operation and
/// who called it. The handler ([`crate::http`]) attaches it to its answer as an extension
/// when the request log is on; a request answered without it is not an API request.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallFacts {
    /// The operation (`CreateUser`), as named by the request when it names no known one.
    pub(crate) action: Option<String>,
    /// The caller's ARN, when the request was authenticated.
    pub(crate) principal: Option<String>,
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes, then lets
/// the requests in progress finish (for up to ten seconds).
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()>,
) {
    raise_open_file_limit(limits.max_connections);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (tcp, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of file descriptors, or a connection that died in the queue: wait a
                // moment rather than spin.
                tracing::debug!(error = %e, "accepting a connection");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                let router = router.clone();
                let stopping = stopping.clone();
                tokio::spawn(async move {
                    serve_connection(tcp, peer, router, limits, stopping).await;
                    drop(slot);
                });
            }
            Err(_) => {
                if let Ok(turn) = refusals.clone().try_acquire_owned() {
                    tokio::spawn(async move {
                        refuse(tcp).await;
                        drop(turn);
                    });
                }
            }
        }
    }
    drop(listener);
    let _ = stop.send(true);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(all)).await;
}

/// What a connection's watchdog knows of it.
#[derive(Default)]
struct Activity {
    /// A byte was read or written since the watchdog last looked.
    traffic: AtomicBool,
    /// Requests handed to the router and not yet answered.
    in_progress: AtomicUsize,
    /// The connection speaks HTTP/2 (its headers are not timed: HTTP/2 frames of other
    /// streams flow while one stream's headers are awaited).
    http2: AtomicBool,
    /// When the first byte of the next HTTP/1 request arrived while its headers are still
    /// awaited, as milliseconds since `opened` plus one (0: none awaited).
    head_since: std::sync::atomic::AtomicU64,
}

/// Serves one connection until it ends, goes idle past the limits, or the server stops.
async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: HttpLimits,
    mut stopping: watch::Receiver<bool>,
) {
    let opened = Instant::now();
    let activity = Arc::new(Activity::default());
    // The first request's headers are timed from the connection's start.
    activity.head_since.store(1, Ordering::Relaxed);
    let io = TokioIo::new(Watched {
        io: tcp,
        activity: activity.clone(),
        opened,
        first: true,
    });
    let service = hyper::service::service_fn({
        let activity = activity.clone();
        move |request: Request<Incoming>| {
            activity.in_progress.fetch_add(1, Ordering::Relaxed);
            activity.head_since.store(0, Ordering::Relaxed);
            let done = InProgress(activity.clone());
            answer(request, peer, router.clone(), limits, done)
        }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(io, service);
    let mut connection = std::pin::pin!(connection);
    let tick = (limits.header_read_timeout.min(limits.idle_timeout) / 4)
        .clamp(Duration::from_millis(50), Duration::from_secs(1));
    let mut quiet_since = Instant::now();
    let mut closing = false;
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            _ = stopping.changed(), if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep(tick) => {
                let now = Instant::now();
                if activity.traffic.swap(false, Ordering::Relaxed)
                    || activity.in_progress.load(Ordering::Relaxed) > 0
                {
                    quiet_since = now;
                } else if now.duration_since(quiet_since) >= limits.idle_timeout {
                    tracing::debug!(%peer, "closing an idle connection");
                    return;
                }
                let since = activity.head_since.load(Ordering::Relaxed);
                if since > 0
                    && !activity.http2.load(Ordering::Relaxed)
                    && now.duration_since(opened)
                        >= Duration::from_millis(since - 1) + limits.header_read_timeout
                {
                    tracing::debug!(%peer, "closing a connection whose request headers are late");
                    return;
                }
            }
        }
    }
}

/// Answers one request: the router runs in a task of its own, so that a client that goes
/// away or a request past its time limit never cuts the work of a request in the middle.
/// Logs the request (see [`REQUEST_LOG`]).
async fn answer(
    mut request: Request<Incoming>,
    peer: SocketAddr,
    mut router: Router,
    limits: HttpLimits,
    _done: InProgress,
) -> Result<Response<Body>, std::convert::Infallible> {
    let started = Instant::now();
    let method = request.method().clone();
    let logging = logs_requests();
    let path = (logging && tracing::enabled!(target: REQUEST_LOG, tracing::Level::DEBUG))
        .then(|| request.uri().path().to_owned());
    request.extensions_mut().insert(ConnectInfo(peer));
    let work = tokio::spawn(async move { router.call(request.map(Body::new)).await });
    let response = match tokio::time::timeout(limits.request_timeout, work).await {
        Ok(Ok(Ok(response))) => response,
        Ok(Ok(Err(never))) => match never {},
        Ok(Err(e)) => {
            let response = unavailable(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalFailure",
                "The request processing has failed because of an unknown error.",
            );
            tracing::error!(
                target: REQUEST_LOG,
                method = method.as_str(),
                status = response.status().as_u16(),
                latency_ms = latency_ms(started),
                request_id = request_id_of(&response),
                error = %e,
                "a request's task failed"
            );
            return Ok(response);
        }
        Err(_) => {
            let response = unavailable(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                &format!(
                    "The request was not answered within {} seconds.",
                    limits.request_timeout.as_secs()
                ),
            );
            // At `info` like every request line: a client that sends its body slowly
            // runs out the time limit at will.
            tracing::info!(
                target: REQUEST_LOG,
                method = method.as_str(),
                status = response.status().as_u16(),
                latency_ms = latency_ms(started),
                request_id = request_id_of(&response),
                "request not answered within --request-timeout"
            );
            return Ok(response);
        }
    };
    if logging {
        log_request(&method, path.as_deref(), &response, started);
    }
    Ok(response)
}

/// Milliseconds since `started`, to the microsecond.
fn latency_ms(started: Instant) -> f64 {
    started.elapsed().as_micros() as f64 / 1000.0
}

/// The request ID an answer carries.
fn request_id_of(response: &Response<Body>) -> Option<&str> {
    response
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
}

/// The request log's line of a request the router answered: `info` for an API request
/// (its answer carries [`CallFacts`]), `debug` for any other.
fn log_request(method: &Method, path: Option<&str>, response: &Response<Body>, started: Instant) {
    let status = response.status().as_u16();
    let request_id = request_id_of(response);
    match response.extensions().get::<CallFacts>() {
        Some(call) => tracing::info!(
            target: REQUEST_LOG,
            method = method.as_str(),
            action = call.action.as_deref(),
            principal = call.principal.as_deref(),
            status,
            latency_ms = latency_ms(started),
            request_id,
            "request"
        ),
        None => tracing::debug!(
            target: REQUEST_LOG,
            method = method.as_str(),
            path,
            status,
            latency_ms = latency_ms(started),
            request_id,
            "request"
        ),
    }
}

/// Counts a request out of [`Activity::in_progress`] when it is answered or dropped (it
/// was counted in when its headers arrived).
struct InProgress(Arc<Activity>);

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.in_progress.fetch_sub(1, Ordering::Relaxed);
        self.0.traffic.store(true, Ordering::Relaxed);
    }
}

/// An AWS Query-protocol error answer that closes the connection.
fn unavailable(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let request_id = request_id();
    let mut response = Response::new(Body::from(error_document(code, message, &request_id)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(portcullis_protocol::CONTENT_TYPE),
    );
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        headers.insert(REQUEST_ID_HEADER, id);
    }
    response
}

/// The Query protocol's error document for a server-side error.
fn error_document(code: &str, message: &str, request_id: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Receiver</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>\n"
    )
}

/// Answers a connection past the cap with 503 and closes it.
async fn refuse(mut tcp: TcpStream) {
    let body = error_document(
        "ServiceUnavailable",
        "The server has too many open connections; retry later.",
        &request_id(),
    );
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: {}\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
        portcullis_protocol::CONTENT_TYPE,
        body.len()
    );
    let refusal = async {
        tcp.write_all(head.as_bytes()).await?;
        tcp.write_all(body.as_bytes()).await?;
        tcp.shutdown().await?;
        // Read what the client sent, so that closing does not reset the connection
        // before it has read the answer.
        let mut sink = [0u8; 4096];
        loop {
            let mut buf = ReadBuf::new(&mut sink);
            std::future::poll_fn(|cx| Pin::new(&mut tcp).poll_read(cx, &mut buf)).await?;
            if buf.filled().is_empty() {
                return Ok::<(), io::Error>(());
            }
        }
    };
    let _ = tokio::time::timeout(REFUSAL_GRACE, refusal).await;
}

/// A connection's socket that tells its watchdog when bytes move.
struct Watched {
    io: TcpStream,
    activity: Arc<Activity>,
    opened: Instant,
    first: bool,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        let read = &buf.filled()[before..];
        if !read.is_empty() {
            let activity = &self.activity;
            activity.traffic.store(true, Ordering::Relaxed);
            if self.first {
                activity
                    .http2
                    .store(read.starts_with(b"PRI "), Ordering::Relaxed);
            }
            if activity.in_progress.load(Ordering::Relaxed) == 0
                && activity.head_since.load(Ordering::Relaxed) == 0
            {
                let since = self.opened.elapsed().as_millis() as u64 + 1;
                activity.head_since.store(since, Ordering::Relaxed);
            }
            self.first = false;
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.traffic.store(true, Ordering::Relaxed);
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.traffic.store(true, Ordering::Relaxed);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Raises the soft limit of open files towards the hard limit, so that the connection cap,
/// not the file limit, is what refuses clients.
fn raise_open_file_limit(connections: usize) {
    #[cfg(target_os = "linux")]
    {
        let want = (connections as u64).saturating_add(1_024);
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct given.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < want {
                limit.rlim_cur = want.min(limit.rlim_max);
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                    tracing::warn!("could not raise the limit of open files");
                }
            }
        }
        if limit.rlim_cur < want {
            tracing::warn!(
                open_files = limit.rlim_cur,
                max_connections = connections,
                "the limit of open files is below --max-connections"
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = connections;
}
