//! `msp-usage`: collect every customer company's monthly ESET and GravityZone usage and hand it
//! to billing as a table, JSON, NDJSON or CSV.
//!
//! The binary is a thin `main` over [`main`]; everything lives in modules named for what they hold.
#![deny(missing_docs)]

#[macro_use]
mod say;

mod args;
mod collect;
mod companies;
mod config;
mod drift;
mod error;
mod eset_usage;
mod gz_usage;
mod logging;
mod output;
mod progress;
mod run;
mod sandbox;
mod target;
mod terminal;
mod view;

pub use error::{CliError, ExitStatus};
pub use run::main;
