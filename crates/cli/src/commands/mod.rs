//! The subcommands of `portcullis`.

pub(crate) mod audit;
pub(crate) mod client;
pub(crate) mod export;
pub(crate) mod import;
pub(crate) mod instance;
pub(crate) mod policy;
pub(crate) mod serve;
pub(crate) mod task;
pub(crate) mod token;
