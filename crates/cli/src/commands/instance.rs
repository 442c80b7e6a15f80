//! `portcullis instance`: instances whose metadata listener hands out the role of their
//! instance profile (the EC2 API's RunInstances and TerminateInstances).

use super::client::Endpoint;
use anyhow::{Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use std::process::ExitCode;

/// Subcommands of `portcullis instance`.
#[derive(Subcommand)]
pub(crate) enum InstanceCommand {
    /// Launch an instance with an instance profile and start its metadata listener;
    /// prints the instance ID and the listener's URL.
    Run(RunArgs),
    /// Terminate an instance and stop its metadata listener.
    Terminate(TerminateArgs),
}

/// Whether IMDSv2 tokens are required.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum HttpTokens {
    /// IMDSv2 only.
    Required,
    /// IMDSv1 and IMDSv2.
    Optional,
}

/// Options of `portcullis instance run`.
#[derive(Args)]
pub(crate) struct RunArgs {
    /// The instance profile's name.
    #[arg(long)]
    instance_profile: String,
    /// Whether the metadata service requires IMDSv2 session tokens.
    #[arg(long, value_enum, default_value = "required")]
    http_tokens: HttpTokens,
    /// Where the instance's metadata listener binds (default: a free loopback port); the
    /// address must be one the server allows (`portcullis serve --imds-allow`, loopback
    /// by default).
    #[arg(long, value_name = "ADDR")]
    imds_listen: Option<String>,
    #[command(flatten)]
    endpoint: Endpoint,
}

/// Options of `portcullis instance terminate`.
#[derive(Args)]
pub(crate) struct TerminateArgs {
    /// The instance ID.
    instance_id: String,
    #[command(flatten)]
    endpoint: Endpoint,
}

fn form_body(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", portcullis_protocol::sigv4::uri_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))?;
    Some(&xml[start..start + end])
}

/// Sends an EC2 call; its XML answer, or EC2's error as the command's error.
fn ec2(endpoint: &Endpoint, pairs: &[(&str, &str)]) -> Result<String> {
    let form = "application/x-www-form-urlencoded; charset=utf-8";
    let (status, body) = endpoint.post("ec2", form, &[], &form_body(pairs))?;
    if status != 200 {
        bail!(
            "{}: {}",
            element(&body, "Code").unwrap_or("error"),
            element(&body, "Message").unwrap_or(&body)
        );
    }
    Ok(body)
}

/// Runs `portcullis instance …`.
pub(crate) fn run(cmd: InstanceCommand) -> Result<ExitCode> {
    match cmd {
        InstanceCommand::Run(a) => {
            let tokens = match a.http_tokens {
                HttpTokens::Required => "required",
                HttpTokens::Optional => "optional",
            };
            let mut pairs = vec![
                ("Action", "RunInstances"),
                ("Version", "2016-11-15"),
                ("ImageId", "ami-portcullis"),
                ("InstanceType", "t3.micro"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
                ("IamInstanceProfile.Name", a.instance_profile.as_str()),
                ("MetadataOptions.HttpTokens", tokens),
            ];
            if let Some(listen) = &a.imds_listen {
                pairs.extend([
                    ("TagSpecification.1.ResourceType", "instance"),
                    ("TagSpecification.1.Tag.1.Key", "portcullis:imds-listen"),
                    ("TagSpecification.1.Tag.1.Value", listen.as_str()),
                ]);
            }
            let body = ec2(&a.endpoint, &pairs)?;
            let id = element(&body, "instanceId").unwrap_or_default();
            let endpoint = body
                .split("<item>")
                .find(|i| i.contains("<key>portcullis:imds-endpoint</key>"))
                .and_then(|i| element(i, "value"))
                .unwrap_or_default();
            println!("{id}\t{endpoint}");
            Ok(ExitCode::SUCCESS)
        }
        InstanceCommand::Terminate(a) => {
            let pairs = [
                ("Action", "TerminateInstances"),
                ("Version", "2016-11-15"),
                ("InstanceId.1", a.instance_id.as_str()),
            ];
            ec2(&a.endpoint, &pairs)?;
            println!("{}", a.instance_id);
            Ok(ExitCode::SUCCESS)
        }
    }
}
