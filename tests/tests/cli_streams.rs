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

/// `--output` into a directory that does not exist fails at once, before any vendor is
/// called; a run that fails after the file was opened leaves the existing file untouched and
/// no temporary file behind; without `--format` the extension chooses the format, and a
/// closing line says what was written where.
#[tokio::test(flavor = "multi_thread")]
async fn output_files_are_checked_first_and_replaced_whole() {
    let home = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let env = sandbox_env(&sandbox);
    let missing = home.path().join("missing/dir/x.csv");
    let started = std::time::Instant::now();
    let refused = common::run_async(
        home.path(),
        &[
            "collect",
            "--month",
            MONTH,
            "--output",
            missing.to_str().unwrap(),
        ],
        &env,
    )
    .await;
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(
        refused.stderr.trim().lines().count(),
        1,
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("missing/dir"), "{}", refused.stderr);
    let requests: u64 = sandbox.request_counts().values().sum();
    assert_eq!(requests, 0, "a vendor was called");

    let out = home.path().join("usage.ndjson");
    let written = common::run_async(
        home.path(),
        &[
            "collect",
            "--month",
            MONTH,
            "--vendor",
            "eset",
            "--output",
            out.to_str().unwrap(),
        ],
        &env,
    )
    .await;
    assert_eq!(written.code, 0, "{}", written.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() > 100 && lines.iter().all(|r| r["vendor"] == "eset"));
    let closing = written.stderr.lines().last().unwrap_or_default();
    assert!(
        closing.starts_with(&format!("wrote {} records (", lines.len()))
            && closing.ends_with(out.to_str().unwrap()),
        "{closing}"
    );

    // Wrong credentials: nothing usable, the previous file stays as it was.
    let wrong: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| match k.as_str() {
            "ESET_MSP_PASSWORD" => (k.clone(), "not-the-password".to_owned()),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    let failed = common::run_async(
        home.path(),
        &[
            "collect",
            "--month",
            MONTH,
            "--vendor",
            "eset",
            "--output",
            out.to_str().unwrap(),
        ],
        &wrong,
    )
    .await;
    sandbox.shutdown().await;
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), text);
    let leftovers: Vec<String> = std::fs::read_dir(home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
