//! End to end: the binary's standard streams. A reader that goes away early (`| head -1`)
//! ends the run quietly with status 0 in every format; a standard error that cannot be written
//! (`2>/dev/full`) never panics the run: it ends with its own status, its output written.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;

use common::{MONTH, command, sandbox_env};
use usage_sandbox::{Sandbox, SandboxConfig};

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_that_goes_away_early_ends_the_run_quietly_in_every_format() {
    let home = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let env = sandbox_env(&sandbox);
    let home_path = home.path().to_path_buf();
    let results = tokio::task::spawn_blocking(move || {
        ["json", "ndjson", "csv", "table"].map(|format| {
            let mut child = command(
                &home_path,
                &["collect", "--month", MONTH, "--format", format],
                &env,
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
            let mut first = String::new();
            BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut first)
                .unwrap();
            // The reader is gone: the rest of the output meets a closed pipe.
            let output = child.wait_with_output().unwrap();
            (
                format,
                first,
                output.status.code(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            )
        })
    })
    .await
    .unwrap();
    sandbox.shutdown().await;
    for (format, first, code, stderr) in results {
        assert!(!first.is_empty(), "{format}: no first line");
        assert_eq!(code, Some(0), "{format}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{format}: {stderr}");
        assert!(!stderr.contains("panicked"), "{format}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unwritable_standard_error_never_panics_the_run() {
    let home = tempfile::tempdir().unwrap();
    let dataset = usage_sandbox::Dataset::new(SandboxConfig::default().seed);
    // A GravityZone customer below the root: its usage fails, so the run has lines to say.
    let victim = dataset.gravityzone_companies()[5].id.clone();
    let sandbox = Sandbox::start(SandboxConfig {
        fail_company: Some(victim.clone()),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let env = sandbox_env(&sandbox);
    let home_path = home.path().to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        command(
            &home_path,
            &[
                "-v",
                "collect",
                "--month",
                MONTH,
                "--format",
                "json",
                "--vendor",
                "bitdefender",
            ],
            &env,
        )
        .stderr(
            std::fs::File::options()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .output()
        .unwrap()
    })
    .await
    .unwrap();
    sandbox.shutdown().await;
    assert_eq!(output.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["failures"][0]["company_id"], victim.as_str());
    assert!(!doc["records"].as_array().unwrap().is_empty());
}
