//! `portcullis export`: the account's users, groups, roles and policies as
//! `aws iam get-account-authorization-details` prints them (every page gathered, policy
//! documents as JSON objects, timestamps as the server wrote them, four-space indents), the
//! file `portcullis import` reads.

use super::client::Endpoint;
use anyhow::{Context as _, Result};
use clap::{Args, ValueEnum};
use portcullis_protocol::{Model, client};
use serde::Serialize as _;
use serde_json::{Value, json};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// The entity kinds of GetAccountAuthorizationDetails' `Filter`.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Kind {
    /// IAM users.
    #[value(name = "User")]
    User,
    /// IAM roles.
    #[value(name = "Role")]
    Role,
    /// IAM groups.
    #[value(name = "Group")]
    Group,
    /// Customer managed policies.
    #[value(name = "LocalManagedPolicy")]
    LocalManagedPolicy,
    /// AWS managed policies that something uses.
    #[value(name = "AWSManagedPolicy")]
    AwsManagedPolicy,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Role => "Role",
            Kind::Group => "Group",
            Kind::LocalManagedPolicy => "LocalManagedPolicy",
            Kind::AwsManagedPolicy => "AWSManagedPolicy",
        }
    }
}

/// Options of `portcullis export`.
#[derive(Args)]
pub(crate) struct ExportArgs {
    /// Write the JSON to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Export only these kinds of entities (as `--filter` of the aws CLI); all by default.
    #[arg(long, value_enum, num_args = 1..)]
    filter: Vec<Kind>,
    /// Entities per request (MaxItems).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=1000))]
    page_size: u16,
    #[command(flatten)]
    endpoint: Endpoint,
}

/// GetAccountAuthorizationDetails, every page, as the aws CLI prints it: one object with
/// `UserDetailList`, `GroupDetailList`, `RoleDetailList` and `Policies`.
pub(crate) fn authorization_details(
    endpoint: &Endpoint,
    filter: &[&str],
    page_size: u16,
) -> Result<Value> {
    const OPERATION: &str = "GetAccountAuthorizationDetails";
    let mut input = json!({"MaxItems": page_size});
    if !filter.is_empty() {
        input["Filter"] = json!(filter);
    }
    let model = Model::iam();
    let op = model.operation(OPERATION).context("the IAM model")?;
    let output = op
        .output
        .context("GetAccountAuthorizationDetails has an output")?;
    let mut pages = endpoint.iam_pages(OPERATION, &input)?;
    for page in &mut pages {
        client::decode_policy_documents(model, output, page);
    }
    client::full_result(op, &pages).context("GetAccountAuthorizationDetails has a paginator")
}

/// The JSON text the aws CLI prints for a value: four-space indents, non-ASCII characters
/// as they are, a final newline.
pub(crate) fn cli_json(value: &Value) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    value.serialize(&mut ser)?;
    out.push(b'\n');
    Ok(out)
}

fn count(v: &Value, key: &str) -> usize {
    v.get(key).and_then(Value::as_array).map_or(0, Vec::len)
}

/// Runs `portcullis export`.
pub(crate) fn run(args: ExportArgs) -> Result<ExitCode> {
    let filter: Vec<&str> = args.filter.iter().map(|k| k.as_str()).collect();
    let details = authorization_details(&args.endpoint, &filter, args.page_size)?;
    let text = cli_json(&details)?;
    match &args.out {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?
        }
        None => std::io::stdout().lock().write_all(&text)?,
    }
    eprintln!(
        "exported {} users, {} groups, {} roles, {} policies{}",
        count(&details, "UserDetailList"),
        count(&details, "GroupDetailList"),
        count(&details, "RoleDetailList"),
        count(&details, "Policies"),
        args.out
            .as_ref()
            .map(|p| format!(" to {}", p.display()))
            .unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}
