//! The CLI's error type and the exit statuses of the contract (SPEC section 3).

use std::process::ExitCode;

/// Exit statuses of `msp-usage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything was collected.
    Success = 0,
    /// Nothing usable: bad configuration, bad credentials, bad input.
    Failure = 1,
    /// A usage error from argument parsing.
    Usage = 2,
    /// Partial: some companies failed; the rest is written and every failure is listed.
    Partial = 3,
    /// `drift` only: recorded payloads differ from the schemas.
    Drift = 4,
}

impl From<usage_http::RecordingError> for CliError {
    fn from(e: usage_http::RecordingError) -> Self {
        CliError::Recording {
            path: e.path,
            reason: e.reason,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status as u8)
    }
}

/// Everything that stops a command before it has anything usable to write (exit status 1).
///
/// Each message names what was wrong and what to do, in one line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The configuration is incomplete or wrong.
    #[error("{0}")]
    Config(String),
    /// A configuration file could not be read or parsed.
    #[error(
        "cannot use config file {path}: {reason}; fix the file or point --config at another one"
    )]
    ConfigFile {
        /// The file.
        path: String,
        /// Why it could not be used.
        reason: String,
    },
    /// A vendor URL is not acceptable.
    #[error(
        "{variable} is `{url}`: {reason}; use an https:// URL (plain http:// is only allowed to a loopback address)"
    )]
    Url {
        /// The variable or config key the URL came from.
        variable: &'static str,
        /// The URL, which never holds a secret.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Every selected vendor failed before returning anything (e.g. bad credentials).
    #[error("{0}")]
    NothingUsable(String),
    /// Writing the output failed.
    #[error("cannot write the output to {target}: {reason}")]
    Output {
        /// Standard output or the file.
        target: String,
        /// Why.
        reason: String,
    },
    /// A recording directory (`--record`, `--replay`, `drift`) cannot be used.
    #[error("{path}: {reason}")]
    Recording {
        /// The directory or file.
        path: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The embedded sandbox could not start.
    #[error("cannot start the sandbox: {0}")]
    Sandbox(String),
}
