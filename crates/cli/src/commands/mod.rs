//! The subcommands of `portcullis`.

pub mod policy;
