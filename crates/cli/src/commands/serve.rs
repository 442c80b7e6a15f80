//! `portcullis serve`.

use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};
use portcullis_server::{
    AuditConfig, Config, DEFAULT_MAX_INSTANCES, DEFAULT_MAX_TASKS,
    DEFAULT_WORKLOAD_SESSION_SECONDS, HttpLimits, IpBlock, Server, UrlSource, WorkloadLimits,
    default_issuer_url,
};
use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Options of `portcullis serve`; each has a `PORTCULLIS_*` environment equivalent.
#[derive(Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "PORTCULLIS_LISTEN", default_value = "127.0.0.1:4600")]
    listen: SocketAddr,
    /// The data directory: the SQLite database (unless --database-url puts it elsewhere),
    /// the server key, the session keys, the audit journal, the root credentials.
    #[arg(long, env = "PORTCULLIS_DATA_DIR", default_value = "./portcullis-data")]
    data_dir: PathBuf,
    /// Where the store is, instead of DATA_DIR/portcullis.db: sqlite:///ABSOLUTE/PATH.db,
    /// sqlite://RELATIVE/PATH.db or sqlite::memory:. A database file is created when
    /// missing (with any missing folders, 0700) and kept readable by its owner alone (0600).
    /// Only SQLite is supported so far.
    #[arg(
        long,
        env = "PORTCULLIS_DATABASE_URL",
        value_name = "URL",
        conflicts_with = "in_memory"
    )]
    database_url: Option<String>,
    /// Keep everything in memory (nothing survives a restart).
    #[arg(long, env = "PORTCULLIS_IN_MEMORY")]
    in_memory: bool,
    /// The ID of the default account.
    #[arg(long, env = "PORTCULLIS_ACCOUNT_ID", default_value = "123456789012")]
    account_id: String,
    /// A region that request signatures may be scoped to besides AWS's own regions (every
    /// region of the aws, aws-cn and aws-us-gov partitions), for on-premises deployments.
    /// Repeat it for more; the environment variable takes a comma-separated list.
    #[arg(
        long = "region",
        env = "PORTCULLIS_REGIONS",
        value_name = "NAME",
        value_delimiter = ',',
        value_parser = parse_region
    )]
    region: Vec<String>,
    /// Development mode: no signature check and (unless --enforce) no authorization; keys
    /// Portcullis issued keep their principal, any other key is the account's root. Never
    /// expose such a server.
    #[arg(long, env = "PORTCULLIS_DEV")]
    dev: bool,
    /// With --dev: authorize every call as in default mode.
    #[arg(long, env = "PORTCULLIS_ENFORCE", requires = "dev")]
    enforce: bool,
    /// A directory of JWKS files (`HOST[_PATH].json`) with the keys of OpenID Connect
    /// providers that are not on a loopback address (loopback providers are fetched over HTTP).
    #[arg(long, env = "PORTCULLIS_OIDC_KEYS", value_name = "DIR")]
    oidc_keys: Option<PathBuf>,
    /// How long the credentials handed to instances and tasks last, in seconds.
    #[arg(long, env = "PORTCULLIS_WORKLOAD_SESSION_SECONDS", default_value_t = DEFAULT_WORKLOAD_SESSION_SECONDS, value_parser = clap::value_parser!(i64).range(15..=43_200))]
    workload_session_seconds: i64,
    /// The URL of the built-in OpenID Connect issuer. Default: the URL the data directory
    /// kept from its first start, else http://LISTEN/oidc. A URL given here that differs
    /// from the kept one replaces it (the start-up banner says so) and is kept from then on.
    #[arg(long, env = "PORTCULLIS_ISSUER_URL")]
    issuer_url: Option<String>,
    /// Keep no audit trail (to measure what auditing costs; not for real use).
    #[arg(long, env = "PORTCULLIS_NO_AUDIT", conflicts_with = "audit_log")]
    no_audit: bool,
    /// Also write every audit event as a JSON line (a CloudTrail record) to this file.
    #[arg(long, env = "PORTCULLIS_AUDIT_LOG", value_name = "FILE")]
    audit_log: Option<PathBuf>,
    /// Rotate the audit log file when it grows past this many megabytes (FILE.1 … FILE.5
    /// are kept).
    #[arg(long, env = "PORTCULLIS_AUDIT_LOG_MAX_MB", default_value_t = 100)]
    audit_log_max_mb: u64,
    /// When a committed audit event reaches the disk: `periodic` (within a second; the
    /// event survives a crash of the process at once) or `always` (before the answer).
    #[arg(
        long,
        env = "PORTCULLIS_AUDIT_SYNC",
        value_enum,
        default_value = "periodic"
    )]
    audit_sync: AuditSync,
    /// Keep audit events this many days, then prune them (0: keep them forever).
    #[arg(long, env = "PORTCULLIS_AUDIT_RETENTION_DAYS", default_value_t = 90)]
    audit_retention_days: u32,
    /// The most connections served at once; past it a connection is answered 503
    /// ServiceUnavailable and closed.
    #[arg(long, env = "PORTCULLIS_MAX_CONNECTIONS", default_value_t = 4_096, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    max_connections: u32,
    /// Seconds a request's headers may take to arrive (from the connection's start, or from
    /// the first byte of a later request on it); then the connection is closed.
    #[arg(long, env = "PORTCULLIS_HEADER_READ_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    header_read_timeout: u64,
    /// Seconds a connection may stay open with no request in progress and no traffic
    /// (keep-alive connections, clients that stop reading).
    #[arg(long, env = "PORTCULLIS_IDLE_TIMEOUT", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    idle_timeout: u64,
    /// Seconds a request may take before it is answered 503 ServiceUnavailable (its work,
    /// once started, still runs to its end).
    #[arg(long, env = "PORTCULLIS_REQUEST_TIMEOUT", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    request_timeout: u64,
    /// An address or CIDR block instance metadata listeners may bind to (tag
    /// `portcullis:imds-listen` of RunInstances); repeat for more. Default: loopback only
    /// (127.0.0.0/8 and ::1). Giving any replaces the default.
    #[arg(
        long = "imds-allow",
        env = "PORTCULLIS_IMDS_ALLOW",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    imds_allow: Vec<IpBlock>,
    /// The most instances an account runs at once (RunInstances beyond it:
    /// InstanceLimitExceeded).
    #[arg(long, env = "PORTCULLIS_MAX_INSTANCES", default_value_t = DEFAULT_MAX_INSTANCES)]
    max_instances: usize,
    /// The most tasks an account runs at once (RunTask beyond it: ClientException).
    #[arg(long, env = "PORTCULLIS_MAX_TASKS", default_value_t = DEFAULT_MAX_TASKS)]
    max_tasks: usize,
    /// How log lines are written to standard error: `text` (coloured only on a terminal)
    /// or `json` (one JSON object per line). `RUST_LOG` sets the level (default `warn`;
    /// `info` logs one line per API request).
    #[arg(
        long,
        env = "PORTCULLIS_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
}

/// How log lines are written.
#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    /// Human-readable lines, coloured when standard error is a terminal.
    Text,
    /// One JSON object per line, its fields at the top level.
    Json,
}

/// Sends log events to standard error at `RUST_LOG`'s level (default `warn`).
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => {
            // Colour only for a person at a terminal: never in a file, a pipe or a
            // journal, nor when NO_COLOR (https://no-color.org) is set.
            let colour = std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            logs.with_ansi(colour).init();
        }
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_ansi(false)
            .init(),
    }
}

/// The file in the data directory where a first start saves the root credentials it made.
const ROOT_CREDENTIALS_FILE: &str = "root-credentials";

/// When committed audit events reach the disk.
#[derive(Clone, Copy, ValueEnum)]
enum AuditSync {
    /// Within a second of the commit.
    Periodic,
    /// Before the answer.
    Always,
}

/// A region name as it appears in a credential scope: letters, digits and hyphens.
fn parse_region(name: &str) -> Result<String, String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(name.to_string())
    } else {
        Err(format!(
            "{name:?} is not a region name (lower-case letters, digits and hyphens)"
        ))
    }
}

/// Runs the server until Ctrl-C or SIGTERM.
pub(crate) fn run(args: ServeArgs) -> Result<ExitCode> {
    if args.account_id.len() != 12 || !args.account_id.bytes().all(|b| b.is_ascii_digit()) {
        bail!("--account-id must be 12 digits, not {:?}", args.account_id);
    }
    init_logging(args.log_format);
    let config = Config {
        regions: args.region.clone(),
        listen: args.listen,
        data_dir: (!args.in_memory).then(|| args.data_dir.clone()),
        database_url: args.database_url.clone(),
        account_id: args.account_id.clone(),
        dev: args.dev,
        enforce: args.enforce,
        root_access_key_id: std::env::var("PORTCULLIS_ROOT_ACCESS_KEY_ID").ok(),
        root_secret_access_key: std::env::var("PORTCULLIS_ROOT_SECRET_ACCESS_KEY").ok(),
        server_key: std::env::var("PORTCULLIS_SERVER_KEY").ok(),
        session_keys: std::env::var("PORTCULLIS_SESSION_KEYS").ok(),
        oidc_keys: args.oidc_keys.clone(),
        workload_session_seconds: args.workload_session_seconds,
        issuer_url: args.issuer_url.clone(),
        audit: AuditConfig {
            enabled: !args.no_audit,
            log_file: args.audit_log.clone(),
            log_max_bytes: args.audit_log_max_mb.saturating_mul(1024 * 1024),
            retention_days: args.audit_retention_days,
            sync_always: matches!(args.audit_sync, AuditSync::Always),
            ..AuditConfig::default()
        },
        http: HttpLimits {
            max_connections: args.max_connections as usize,
            header_read_timeout: Duration::from_secs(args.header_read_timeout),
            idle_timeout: Duration::from_secs(args.idle_timeout),
            request_timeout: Duration::from_secs(args.request_timeout),
        },
        workload_limits: WorkloadLimits {
            imds_allow: if args.imds_allow.is_empty() {
                WorkloadLimits::loopback()
            } else {
                args.imds_allow.clone()
            },
            max_instances: args.max_instances,
            max_tasks: args.max_tasks,
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let server = Server::bind(config).await?;
        banner(&server, &args);
        server.run().await?;
        Ok(ExitCode::SUCCESS)
    })
}

fn banner(server: &Server, args: &ServeArgs) {
    let app = server.app();
    let mut out = format!(
        "Portcullis {} — AWS IAM and STS\n  endpoint: http://{}\n  account:  {}\n  store:    {}\n",
        env!("CARGO_PKG_VERSION"),
        server.local_addr,
        app.account_id(),
        app.store_description(),
    );
    out.push_str(&format!(
        "  issuer:   {} (OpenID Connect, `portcullis token issue`)\n",
        app.issuer.url()
    ));
    if server.issuer_url_source == UrlSource::Kept
        && app.issuer.url() != default_issuer_url(server.local_addr)
    {
        out.push_str(
            "            kept by this data directory across restarts; --issuer-url changes it\n",
        );
    }
    let saved_root = app
        .config
        .data_dir
        .as_ref()
        .map(|dir| dir.join(ROOT_CREDENTIALS_FILE))
        .filter(|path| server.new_root_credentials.is_none() && path.exists());
    if let Some(path) = saved_root {
        out.push_str(&format!(
            "  root credentials: saved in {}\n",
            path.display()
        ));
    }
    let mode = match (args.dev, args.enforce) {
        (false, _) => "default: signatures verified, every call authorized".to_string(),
        (true, true) => "DEV --enforce: signatures NOT verified; every call authorized".to_string(),
        (true, false) => "DEV: signatures NOT verified, NOTHING authorized".to_string(),
    };
    out.push_str(&format!("  mode:     {mode}\n"));
    if let Some(c) = &server.new_root_credentials {
        match &c.written_to {
            Some(path) => out.push_str(&format!(
                "  root credentials (shown once; saved to {}):\n",
                path.display()
            )),
            None => out.push_str("  root credentials (in memory; shown once):\n"),
        }
        out.push_str(&format!(
            "    AWS_ACCESS_KEY_ID={}\n    AWS_SECRET_ACCESS_KEY={}\n",
            c.access_key_id, c.secret_access_key
        ));
    }
    if let UrlSource::Changed { previous } = &server.issuer_url_source {
        let line = "!".repeat(78);
        let now = app.issuer.url();
        out.push_str(&format!(
            "{line}\n!! The OpenID Connect issuer URL CHANGED (--issuer-url):\n!!   was  {previous}\n!!   now  {now}\n!! OpenID Connect providers made for the old URL no longer accept this server's\n!! tokens: make one for the new URL and trust it in the roles instead. The new\n!! URL is kept from now on.\n{line}\n",
        ));
    }
    if args.dev {
        let line = "!".repeat(78);
        out.push_str(&format!(
            "{line}\n!! DEVELOPMENT MODE: request signatures are NOT checked; an access key this\n!! server did not issue acts as the root of account {}.{}\n!! Never expose this server to a network you do not control.\n{line}\n",
            app.account_id(),
            if args.enforce {
                ""
            } else {
                " NO call is authorized: every well-formed\n!! request succeeds"
            }
        ));
    }
    eprint!("{out}");
}
