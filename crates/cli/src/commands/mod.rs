//! The subcommands of `portcullis`.

pub mod policy;
pub mod serve;
