//! `portcullis audit`: the audit trail of a data directory, read directly (the server may
//! be running: SQLite lets it write while this reads), with LookupEvents' filters;
//! `audit unused`, granted but unused access; `audit prune`, retention by hand.

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use portcullis_server::{Archive, lookup_attribute, unused_access};
use portcullis_store::{EventAttribute, EventQuery, EventRecord};
use portcullis_time::{MILLIS_PER_DAY, iso8601, now_millis};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the trail is.
#[derive(Args, Clone)]
pub(crate) struct Source {
    /// The server's data directory.
    #[arg(long, env = "PORTCULLIS_DATA_DIR", default_value = "./portcullis-data")]
    pub data_dir: PathBuf,
    /// The server's store, when `portcullis serve` was given `--database-url` (a
    /// `sqlite://` file; `DATA_DIR/portcullis.db` otherwise).
    #[arg(long, env = "PORTCULLIS_DATABASE_URL")]
    pub database_url: Option<String>,
    /// The account.
    #[arg(long, env = "PORTCULLIS_ACCOUNT_ID", default_value = "123456789012")]
    pub account_id: String,
}

/// Options of `portcullis audit`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct AuditArgs {
    #[command(subcommand)]
    command: Option<AuditCommand>,
    #[command(flatten)]
    lookup: LookupArgs,
}

/// The `audit` subcommands.
#[derive(Subcommand)]
enum AuditCommand {
    /// Per user and role: permissions granted but not used in the window, principals and
    /// access keys not used at all.
    Unused {
        #[command(flatten)]
        source: Source,
        /// The window: `90d`, `12h`, `30m`, or a date (`2026-11-01T00:00:00Z`).
        #[arg(long, default_value = "90d")]
        since: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Removes events older than a date or an age, now (the server also prunes by its
    /// --audit-retention-days).
    Prune {
        #[command(flatten)]
        source: Source,
        /// `30d`, `12h`, or a date.
        #[arg(long)]
        older_than: String,
    },
}

/// Filters of the lookup, as LookupEvents names them; all given must match.
#[derive(Args)]
struct LookupArgs {
    #[command(flatten)]
    source: Source,
    /// The operation, e.g. AssumeRole.
    #[arg(long)]
    event_name: Option<String>,
    /// The caller's user name (a role session's name, `root`).
    #[arg(long)]
    username: Option<String>,
    /// A resource the request named (a role name or ARN, an access key ID…).
    #[arg(long)]
    resource_name: Option<String>,
    /// The type of a resource the request named (AWS::IAM::Role…).
    #[arg(long)]
    resource_type: Option<String>,
    /// The access key the request was signed with.
    #[arg(long)]
    access_key_id: Option<String>,
    /// The event ID.
    #[arg(long)]
    event_id: Option<String>,
    /// The service: iam.amazonaws.com, sts.amazonaws.com, cloudtrail.amazonaws.com.
    #[arg(long)]
    event_source: Option<String>,
    /// Only read-only (true) or only write (false) events.
    #[arg(long)]
    read_only: Option<bool>,
    /// The caller's ARN, or the role or user whose sessions made the requests.
    #[arg(long)]
    principal: Option<String>,
    /// Events from: `30d`, `12h`, `30m` ago, or a date.
    #[arg(long)]
    start_time: Option<String>,
    /// Events until: an age or a date.
    #[arg(long)]
    end_time: Option<String>,
    /// At most this many events, newest first (0: all).
    #[arg(long, default_value_t = 50)]
    max_results: usize,
    /// Output format: a table, or one CloudTrail record per line.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// Output formats.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    /// Columns for people.
    Table,
    /// JSON lines.
    Json,
}

/// A time given as an age (`30d`, `12h`, `30m`, `45s`) or a date, in milliseconds since
/// the Unix epoch.
pub(crate) fn parse_time(text: &str) -> Result<i64> {
    let t = text.trim();
    let unit = |c: char| match c {
        'd' => Some(MILLIS_PER_DAY),
        'h' => Some(3_600_000),
        'm' => Some(60_000),
        's' => Some(1_000),
        _ => None,
    };
    if let Some(last) = t.chars().last()
        && let Some(per) = unit(last)
        && let Ok(n) = t[..t.len() - 1].parse::<i64>()
    {
        return Ok(now_millis() - n.saturating_mul(per));
    }
    match portcullis_time::parse_date(t) {
        Some(ns) => Ok(i64::try_from(ns / 1_000_000).unwrap_or(i64::MAX)),
        None => bail!("{text:?} is neither an age (30d, 12h, 30m, 45s) nor a date"),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
}

/// Opens the trail of `source`.
pub(crate) async fn open(source: &Source) -> Result<Archive> {
    Archive::open(
        &source.data_dir,
        source.database_url.as_deref(),
        &source.account_id,
    )
    .await
    .with_context(|| format!("opening the data directory {}", source.data_dir.display()))
}

/// Runs `portcullis audit`.
pub(crate) fn run(args: AuditArgs) -> Result<ExitCode> {
    runtime()?.block_on(async move {
        match args.command {
            None => lookup(args.lookup).await,
            Some(AuditCommand::Unused {
                source,
                since,
                format,
            }) => unused(&source, &since, format).await,
            Some(AuditCommand::Prune { source, older_than }) => {
                let before = parse_time(&older_than)?;
                let n = open(&source).await?.prune(before).await?;
                println!("pruned {n} events before {}", iso8601(before));
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

async fn lookup(args: LookupArgs) -> Result<ExitCode> {
    let mut query = EventQuery {
        limit: args.max_results,
        ..EventQuery::default()
    };
    let filters = [
        ("EventName", &args.event_name),
        ("Username", &args.username),
        ("ResourceName", &args.resource_name),
        ("ResourceType", &args.resource_type),
        ("AccessKeyId", &args.access_key_id),
        ("EventId", &args.event_id),
        ("EventSource", &args.event_source),
    ];
    for (key, value) in filters {
        if let (Some(a), Some(v)) = (lookup_attribute(key), value) {
            query.attributes.push((a, v.clone()));
        }
    }
    if let Some(r) = args.read_only {
        query
            .attributes
            .push((EventAttribute::ReadOnly, r.to_string()));
    }
    if let Some(p) = &args.principal {
        query
            .attributes
            .push((EventAttribute::Principal, p.clone()));
    }
    query.start = args.start_time.as_deref().map(parse_time).transpose()?;
    query.end = args.end_time.as_deref().map(parse_time).transpose()?;
    let found = open(&args.source).await?.events(&query).await?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            for e in &found {
                writeln!(out, "{}", e.event.body)?;
            }
        }
        Format::Table => {
            writeln!(
                out,
                "{:<20}  {:<10}  {:<28}  {:<24}  {:<14}  RESOURCES",
                "TIME", "SOURCE", "EVENT", "USERNAME", "ERROR"
            )?;
            for e in &found {
                table_row(&mut out, &e.event)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn table_row(out: &mut impl Write, e: &EventRecord) -> Result<()> {
    let resources: Vec<String> = e.resources.iter().map(|(_, n)| n.clone()).collect();
    writeln!(
        out,
        "{:<20}  {:<10}  {:<28}  {:<24}  {:<14}  {}",
        iso8601(e.time),
        e.source.trim_end_matches(".amazonaws.com"),
        e.name,
        e.username.as_deref().unwrap_or("-"),
        e.error_code.as_deref().unwrap_or("-"),
        resources.join(",")
    )?;
    Ok(())
}

async fn unused(source: &Source, since: &str, format: Format) -> Result<ExitCode> {
    let start = parse_time(since)?;
    let archive = open(source).await?;
    let query = EventQuery {
        start: Some(start),
        ..EventQuery::default()
    };
    let events: Vec<EventRecord> = archive
        .events(&query)
        .await?
        .into_iter()
        .map(|e| e.event)
        .collect();
    let entities = archive.entities().await?;
    let findings = unused_access(&entities, &events);
    let mut out = std::io::stdout().lock();
    for f in &findings {
        match format {
            Format::Json => {
                let line = serde_json::json!({
                    "kind": f.kind,
                    "arn": f.arn,
                    "unused": f.unused,
                    "lastUsed": f.last_used.map(iso8601),
                    "unusedServices": f.unused_services.iter().map(|(s, n)| serde_json::json!({"service": s, "grantedActions": n})).collect::<Vec<_>>(),
                    "unusedActions": f.unused_actions,
                    "unusedAccessKeys": f.unused_access_keys,
                });
                writeln!(out, "{line}")?;
            }
            Format::Table => {
                let used = if f.unused {
                    format!(
                        "NOT USED since {} (last used: {})",
                        iso8601(start),
                        f.last_used.map_or("never".to_string(), iso8601)
                    )
                } else {
                    "used".to_string()
                };
                writeln!(out, "{} {}: {used}", f.kind, f.arn)?;
                for (service, n) in &f.unused_services {
                    writeln!(out, "  unused service {service} ({n} granted actions)")?;
                }
                for a in &f.unused_actions {
                    writeln!(out, "  unused action {a}")?;
                }
                for k in &f.unused_access_keys {
                    writeln!(out, "  unused access key {k}")?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
