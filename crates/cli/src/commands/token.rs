//! `portcullis token issue`: an ID token signed by the built-in OpenID Connect issuer of
//! a data directory's server, for `AWS_WEB_IDENTITY_TOKEN_FILE`.

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use portcullis_server::Issuer;
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::process::ExitCode;

/// Subcommands of `portcullis token`.
#[derive(Subcommand)]
pub(crate) enum TokenCommand {
    /// Sign an ID token with the server's built-in issuer.
    Issue(IssueArgs),
}

/// Options of `portcullis token issue`.
#[derive(Args)]
pub(crate) struct IssueArgs {
    /// The subject (`sub`), e.g. `system:serviceaccount:NAMESPACE:NAME`.
    #[arg(long)]
    sub: String,
    /// The audience (`aud`).
    #[arg(long, default_value = "sts.amazonaws.com")]
    aud: String,
    /// How long the token is valid, in seconds.
    #[arg(long, default_value_t = 3600)]
    ttl: i64,
    /// More claims, as `NAME=VALUE` (a JSON value, or else a string).
    #[arg(long = "claim", value_name = "NAME=VALUE")]
    claims: Vec<String>,
    /// Write the token to this file (mode 0600) instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The data directory of the server whose issuer signs.
    #[arg(long, env = "PORTCULLIS_DATA_DIR", default_value = "./portcullis-data")]
    data_dir: PathBuf,
}

/// Runs `portcullis token …`.
pub(crate) fn run(cmd: TokenCommand) -> Result<ExitCode> {
    let TokenCommand::Issue(a) = cmd;
    if !(1..=86_400).contains(&a.ttl) {
        bail!("--ttl must be from 1 to 86400 seconds");
    }
    let mut extra = Map::new();
    for c in &a.claims {
        let (k, v) = c
            .split_once('=')
            .with_context(|| format!("--claim {c:?} is not NAME=VALUE"))?;
        let value = serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_string()));
        extra.insert(k.to_string(), value);
    }
    let issuer = Issuer::from_data_dir(&a.data_dir)?;
    let token = issuer.issue(&a.sub, &a.aud, a.ttl, &extra)?;
    match &a.out {
        Some(path) => {
            let _ = std::fs::remove_file(path);
            portcullis_server::write_private(path, &token)?;
        }
        None => println!("{token}"),
    }
    Ok(ExitCode::SUCCESS)
}
