//! Project automation, run as `cargo xtask <task>`.
//!
//! - `cargo xtask codegen` regenerates `crates/usage-models/src/{eset,bitdefender}.rs` from the
//!   vendor JSON Schemas under `schemas/` (typify 0.8), and `schemas/usage-record.json` from the
//!   schemars derive of `usage_core::UsageRecord`.
//! - `cargo xtask codegen --check` regenerates in memory and fails with a diff when a committed
//!   file differs.
//!
//! xtask is not a default workspace member: users never compile typify, syn or schemars 0.8.

mod codegen;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["codegen"] => codegen::run(false),
        ["codegen", "--check"] => codegen::run(true),
        _ => {
            eprintln!("usage: cargo xtask codegen [--check]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
