//! The `msp-usage` entry point built inside the test package, so end-to-end tests can run the
//! real binary through `CARGO_BIN_EXE_msp-usage-e2e`. It is `usage_cli::main` and nothing else.

fn main() -> std::process::ExitCode {
    usage_cli::main()
}
