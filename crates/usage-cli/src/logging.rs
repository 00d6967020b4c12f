//! Tracing logs on standard error: `-v` (repeatable) or `RUST_LOG`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Our crates: `-v` raises only their level, so no third-party crate's debug output (which
/// might show request details) is ever switched on by a flag.
const OUR_CRATES: [&str; 7] = [
    "usage_cli",
    "usage_http",
    "usage_eset",
    "usage_bitdefender",
    "usage_core",
    "usage_sandbox",
    "usage_models",
];

/// Installs the subscriber: `RUST_LOG` if set, else warnings plus our crates at the level of `-v`.
pub(crate) fn init(verbose: u8) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::new(spec),
        _ => {
            let level = match verbose {
                0 => "warn",
                1 => "info",
                2 => "debug",
                _ => "trace",
            };
            let mut spec = String::from("warn");
            for krate in OUR_CRATES {
                spec.push_str(&format!(",{krate}={level}"));
            }
            EnvFilter::new(spec)
        }
    };
    let _ = tracing_subscriber::fmt()
        // One line at a time, written above the progress bars when they are on screen.
        .with_writer(crate::progress::LogWriter::default)
        // A log line that cannot be written (standard error closed or full) is dropped: the
        // subscriber's own report of that would `eprintln!` and panic the run.
        .log_internal_errors(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(filter)
        .with_target(verbose >= 2)
        .try_init();
}
