//! Helpers shared by the end-to-end tests: run the built binary with a clean environment.
#![allow(dead_code, clippy::unwrap_used, unreachable_pub)]

use std::path::Path;
use std::process::{Command, Output};

use usage_sandbox::Sandbox;

/// The month every end-to-end test collects (fixed, so runs are reproducible).
pub const MONTH: &str = "2026-10";

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Run {
    /// Exit status code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }
}

/// The binary with an empty environment whose config directory is `home` (so no user config
/// file is read), plus `vars`.
pub fn command(home: &Path, args: &[&str], vars: &[(String, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_msp-usage-e2e"));
    cmd.env_clear()
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .args(args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

/// Runs the binary to completion.
pub fn run(home: &Path, args: &[&str], vars: &[(String, String)]) -> Run {
    command(home, args, vars).output().unwrap().into()
}

/// Runs the binary from async code without blocking the runtime's workers.
pub async fn run_async(home: &Path, args: &[&str], vars: &[(String, String)]) -> Run {
    let mut cmd = command(home, args, vars);
    tokio::task::spawn_blocking(move || cmd.output().unwrap().into())
        .await
        .unwrap()
}

/// The variables that point the binary at a running sandbox, with its demo credentials.
pub fn sandbox_env(sandbox: &Sandbox) -> Vec<(String, String)> {
    sandbox.env_exports()
}

/// Parses a `--format json` output.
pub fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", run.stdout))
}

/// The set of (vendor, company_id) a JSON output accounts for, in records, failures,
/// without_monthly_license or without_usage.
pub fn companies(doc: &serde_json::Value) -> std::collections::BTreeSet<(String, String)> {
    let mut set = std::collections::BTreeSet::new();
    for key in [
        "records",
        "failures",
        "without_monthly_license",
        "without_usage",
    ] {
        for item in doc[key].as_array().unwrap() {
            if let Some(id) = item["company_id"].as_str() {
                set.insert((item["vendor"].as_str().unwrap().to_string(), id.to_string()));
            }
        }
    }
    set
}

/// Runs the binary to completion with nothing on standard input, killing it (and failing the
/// test) if it is still running after `limit`. While it runs, `watch` is called with its pid
/// about every 10 ms. Output that is not UTF-8 is kept lossily.
pub fn run_bounded(
    home: &Path,
    args: &[&str],
    vars: &[(String, String)],
    limit: std::time::Duration,
    mut watch: impl FnMut(u32),
) -> Run {
    use std::io::Read as _;
    use std::process::Stdio;

    let mut child = command(home, args, vars)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("msp-usage {args:?} still ran after {limit:?}; killed");
        }
        watch(child.id());
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&stderr.join().unwrap()).into_owned(),
    }
}
