//! The `msp-usage` binary; see the `usage_cli` library for everything it does.

fn main() -> std::process::ExitCode {
    usage_cli::main()
}
