//! `portcullis`: the command-line entry point of Portcullis.

mod commands;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mimalloc rather than the C library's allocator: a request's buffers are often freed on
/// another worker thread than the one that made them, and glibc then serializes the
/// workers on its arena locks (measured with `perf`: up to a tenth of a worker's time
/// asleep in `malloc` and `free` under load).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Portcullis: a self-hostable, AWS-compatible IAM and STS service with a real policy engine.
#[derive(Parser)]
#[command(name = "portcullis", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve AWS IAM and STS on one HTTP listener.
    Serve(commands::serve::ServeArgs),
    /// Work with IAM policy documents: validate them, simulate requests against them.
    #[command(subcommand)]
    Policy(commands::policy::PolicyCommand),
    /// Instances whose metadata listener hands out their instance profile's role.
    #[command(subcommand)]
    Instance(commands::instance::InstanceCommand),
    /// Tasks whose container credentials endpoint hands out their task role.
    #[command(subcommand)]
    Task(commands::task::TaskCommand),
    /// ID tokens from the built-in OpenID Connect issuer.
    #[command(subcommand)]
    Token(commands::token::TokenCommand),
    /// Read the audit trail of a data directory (LookupEvents' filters), find unused
    /// access, prune old events.
    Audit(Box<commands::audit::AuditArgs>),
    /// Write the account's users, groups, roles and policies as
    /// `aws iam get-account-authorization-details` prints them.
    Export(commands::export::ExportArgs),
    /// Load a file written by `aws iam get-account-authorization-details` (or `portcullis
    /// export`) into a server.
    Import(commands::import::ImportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Policy(cmd) => commands::policy::run(cmd),
        Command::Serve(args) => commands::serve::run(args),
        Command::Instance(cmd) => commands::instance::run(cmd),
        Command::Task(cmd) => commands::task::run(cmd),
        Command::Token(cmd) => commands::token::run(cmd),
        Command::Audit(args) => commands::audit::run(*args),
        Command::Export(args) => commands::export::run(args),
        Command::Import(args) => commands::import::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("portcullis: {}", message(&e));
            ExitCode::from(2)
        }
    }
}

/// An error and its causes on one line, `outer: cause: …`, each cause once: an error that
/// already ends with its cause's text (as the server's I/O and store errors do) is not
/// followed by that text again.
fn message(error: &anyhow::Error) -> String {
    let mut out = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::message;

    #[test]
    fn each_cause_is_said_once() {
        let io = std::io::Error::other("Address already in use");
        let e = anyhow::Error::new(portcullis_server::Error::io("listening on 127.0.0.1:1", io));
        assert_eq!(
            message(&e),
            "listening on 127.0.0.1:1: Address already in use"
        );
        let e = anyhow::Error::new(std::io::Error::other("disk full")).context("writing x");
        assert_eq!(message(&e), "writing x: disk full");
    }
}
