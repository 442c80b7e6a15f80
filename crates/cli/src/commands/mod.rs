//! The subcommands of `portcullis`.

pub mod audit;
pub mod client;
pub mod export;
pub mod import;
pub mod instance;
pub mod policy;
pub mod serve;
pub mod task;
pub mod token;
