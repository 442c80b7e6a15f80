//! `portcullis policy validate` and `portcullis policy simulate`.

use anyhow::{Context as _, Result, bail};
use clap::{Subcommand, ValueEnum};
use portcullis_policy::simulate::Simulator;
use portcullis_policy::{InlineOwner, PolicyKind, Severity, ValidationOptions, validate};
use std::io::{BufRead, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

/// The `policy` subcommands.
#[derive(Subcommand)]
pub(crate) enum PolicyCommand {
    /// Validate a policy document as IAM would, printing the findings.
    ///
    /// Exit status: 0 when the document is valid (warnings allowed), 1 when it has an error.
    Validate {
        /// The kind of policy.
        #[arg(long, value_enum, default_value = "identity")]
        kind: Kind,
        /// For identity policies: validate as an inline policy of this kind of entity
        /// (its size quota differs from a managed policy's).
        #[arg(long, value_enum)]
        inline: Option<Owner>,
        /// Output format.
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        /// The policy file, or `-` for standard input.
        file: PathBuf,
    },
    /// Decide requests read as JSON lines on standard input, one decision per line out.
    ///
    /// Each input line: {"principal": ARN, "action": "svc:Action", "resource": ARN,
    /// "context": {...}, "identity_policies": [DOC...], "resource_policy": DOC,
    /// "permissions_boundary": DOC, "session_policy": DOC, "scps": [[DOC...]...],
    /// "rcps": [[DOC...]...], "principal_tags": {...}, "resource_account": ID}.
    /// Each output line: {"decision": "allowed"|"explicitDeny"|"implicitDeny",
    /// "matched_statements": [...], "explanation": "..."} or {"error": "..."}.
    Simulate {
        /// The time of the requests (seconds since the Unix epoch) for aws:CurrentTime and
        /// aws:EpochTime when a line does not give them; defaults to now.
        #[arg(long)]
        time: Option<i64>,
    },
    /// Print a least-privilege identity policy allowing exactly the actions (on the
    /// resources, where the action supports resource-level permissions) that a principal
    /// was authorized for in the audit trail of a data directory.
    Generate {
        /// The principal: a user's or role's ARN (a role covers all its sessions).
        #[arg(long)]
        principal: String,
        /// The window: `30d`, `12h`, `30m`, or a date.
        #[arg(long, default_value = "90d")]
        since: String,
        #[command(flatten)]
        source: super::audit::Source,
    },
}

/// Kinds of policy, as the command line names them.
#[derive(Clone, Copy, ValueEnum)]
pub enum Kind {
    /// An identity-based policy.
    Identity,
    /// A resource-based policy.
    Resource,
    /// A role trust policy.
    Trust,
    /// A permissions boundary.
    Boundary,
    /// A session policy.
    Session,
    /// A service control policy.
    Scp,
    /// A resource control policy.
    Rcp,
}

impl From<Kind> for PolicyKind {
    fn from(k: Kind) -> PolicyKind {
        match k {
            Kind::Identity => PolicyKind::Identity,
            Kind::Resource => PolicyKind::Resource,
            Kind::Trust => PolicyKind::Trust,
            Kind::Boundary => PolicyKind::Boundary,
            Kind::Session => PolicyKind::Session,
            Kind::Scp => PolicyKind::Scp,
            Kind::Rcp => PolicyKind::Rcp,
        }
    }
}

/// Entities that embed inline policies.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Owner {
    /// A user (2,048 characters).
    User,
    /// A group (5,120 characters).
    Group,
    /// A role (10,240 characters).
    Role,
}

/// Output formats of `validate`.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    /// One JSON object.
    Json,
    /// Lines for people.
    Text,
}

/// Runs a `policy` subcommand.
pub(crate) fn run(cmd: PolicyCommand) -> Result<ExitCode> {
    match cmd {
        PolicyCommand::Validate {
            kind,
            inline,
            format,
            file,
        } => run_validate(kind, inline, format, &file),
        PolicyCommand::Simulate { time } => run_simulate(time),
        PolicyCommand::Generate {
            principal,
            since,
            source,
        } => run_generate(&principal, &since, &source),
    }
}

fn run_generate(principal: &str, since: &str, source: &super::audit::Source) -> Result<ExitCode> {
    use portcullis_server::{generate_policy, principal_query};
    let since = super::audit::parse_time(since)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let events = runtime.block_on(async {
        let archive = super::audit::open(source).await?;
        anyhow::Ok(archive.events(&principal_query(principal, since)).await?)
    })?;
    let events: Vec<_> = events.into_iter().map(|e| e.event).collect();
    if !events.iter().any(|e| e.authorized) {
        bail!("the audit trail has no authorized request of {principal} in the window");
    }
    let policy = generate_policy(&events);
    println!("{}", serde_json::to_string_pretty(&policy)?);
    Ok(ExitCode::SUCCESS)
}

fn read_input(file: &PathBuf) -> Result<String> {
    let mut text = String::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the policy from standard input")?;
    } else {
        text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    }
    Ok(text)
}

fn run_validate(
    kind: Kind,
    inline: Option<Owner>,
    format: Format,
    file: &PathBuf,
) -> Result<ExitCode> {
    if inline.is_some() && !matches!(kind, Kind::Identity) {
        bail!("--inline applies to --kind identity only");
    }
    let text = read_input(file)?;
    let options = ValidationOptions {
        inline: inline.map(|o| match o {
            Owner::User => InlineOwner::User,
            Owner::Group => InlineOwner::Group,
            Owner::Role => InlineOwner::Role,
        }),
        ..ValidationOptions::new(kind.into())
    };
    let result = validate(&text, &options);
    let valid = result.is_valid();
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let report = serde_json::json!({
                "valid": valid,
                "kind": PolicyKind::from(kind),
                "findings": result.findings,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        }
        Format::Text => {
            if result.findings.is_empty() {
                writeln!(out, "valid: no findings")?;
            }
            for f in &result.findings {
                let severity = match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                writeln!(out, "{severity}: {}: {}\n  {}", f.code, f.message, f.detail)?;
            }
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn run_simulate(time: Option<i64>) -> Result<ExitCode> {
    let now = match time {
        Some(t) => t,
        None => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("reading the clock")?
            .as_secs() as i64,
    };
    let mut simulator = Simulator::new().with_time(now);
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    for line in stdin.lines() {
        let line = line.context("reading standard input")?;
        let answer = simulator.simulate_line(&line);
        out.write_all(answer.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
