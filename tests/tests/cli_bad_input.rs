//! End to end: what bad input gets (SPEC section 4) — one line naming the fix, the right exit
//! status, no panic, no backtrace — and secrets never reach the output, even at -vvv.
#![allow(clippy::unwrap_used)]

mod common;

use common::{MONTH, Run, run, run_async, sandbox_env};
use usage_sandbox::{Sandbox, SandboxConfig};

fn assert_one_line(run: &Run, code: i32, needles: &[&str]) {
    assert_eq!(
        run.code, code,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(!run.stderr.contains("backtrace"), "{}", run.stderr);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {}", run.stderr);
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "`{needle}` missing from: {}",
            run.stderr
        );
    }
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
}

fn creds() -> Vec<(String, String)> {
    vec![
        ("ESET_MSP_USERNAME".into(), "api@example.com".into()),
        ("ESET_MSP_PASSWORD".into(), "not-a-real-password".into()),
    ]
}

#[test]
fn a_bad_month_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    for month in ["2026-13", "26-10", "2026-1", "october"] {
        let result = run(
            home.path(),
            &["collect", "--sandbox", "--month", month],
            &[],
        );
        assert_one_line(&result, 2, &[month, "YYYY-MM"]);
    }
}

/// A month that has not begun is a usage error, checked before any vendor is called; the
/// current month is allowed with one warning that its usage is month-to-date.
#[test]
fn a_future_month_is_refused_and_the_open_month_is_warned_about() {
    let home = tempfile::tempdir().unwrap();
    let result = run(
        home.path(),
        &["collect", "--sandbox", "--month", "2999-01"],
        &[],
    );
    assert_one_line(&result, 2, &["2999-01", "future"]);

    let open = chrono::Local::now().format("%Y-%m").to_string();
    let result = run(
        home.path(),
        &["collect", "--sandbox", "--month", &open, "--format", "json"],
        &[],
    );
    assert_eq!(result.code, 0, "{}", result.stderr);
    let warnings: Vec<&str> = result
        .stderr
        .lines()
        .filter(|l| l.contains("month-to-date"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", result.stderr);
    assert!(warnings[0].contains(&open), "{}", warnings[0]);
}

#[test]
fn an_unknown_vendor_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let result = run(
        home.path(),
        &["collect", "--sandbox", "--vendor", "foo"],
        &[],
    );
    assert_one_line(&result, 2, &["foo", "eset"]);
}

#[test]
fn missing_credentials_name_the_variables() {
    let home = tempfile::tempdir().unwrap();
    let result = run(home.path(), &["collect", "--month", MONTH], &[]);
    assert_one_line(
        &result,
        1,
        &[
            "ESET_MSP_USERNAME",
            "ESET_MSP_PASSWORD",
            "GRAVITYZONE_API_KEY",
        ],
    );

    let half = vec![(
        "ESET_MSP_USERNAME".to_string(),
        "api@example.com".to_string(),
    )];
    let result = run(home.path(), &["collect", "--month", MONTH], &half);
    assert_one_line(&result, 1, &["ESET_MSP_PASSWORD"]);

    let result = run(
        home.path(),
        &["collect", "--month", MONTH, "--vendor", "bitdefender"],
        &creds(),
    );
    assert_one_line(&result, 1, &["GRAVITYZONE_API_KEY"]);
}

#[test]
fn a_plain_http_url_to_another_host_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let mut vars = creds();
    vars.push((
        "ESET_MSP_API_URL".into(),
        "http://mspapi.example.com/api".into(),
    ));
    let result = run(home.path(), &["collect", "--month", MONTH], &vars);
    assert_one_line(&result, 1, &["ESET_MSP_API_URL", "https://"]);
    assert!(!result.stderr.contains("not-a-real-password"));
}

#[test]
fn an_unreadable_or_broken_config_file_is_named() {
    let home = tempfile::tempdir().unwrap();
    let missing = home.path().join("nope.toml");
    let result = run(
        home.path(),
        &[
            "collect",
            "--month",
            MONTH,
            "--config",
            missing.to_str().unwrap(),
        ],
        &[],
    );
    assert_one_line(&result, 1, &["nope.toml"]);

    let broken = home.path().join("broken.toml");
    std::fs::write(&broken, "[eset\nusername = 1\n").unwrap();
    let result = run(
        home.path(),
        &[
            "collect",
            "--month",
            MONTH,
            "--config",
            broken.to_str().unwrap(),
        ],
        &[],
    );
    assert_one_line(&result, 1, &["broken.toml"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_exit_1_with_one_line() {
    let home = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let mut vars = sandbox_env(&sandbox);
    for (k, v) in &mut vars {
        if k == "ESET_MSP_PASSWORD" {
            *v = "wrong-password".into();
        }
        if k == "GRAVITYZONE_API_KEY" {
            *v = "wrong-key".into();
        }
    }
    let result = run_async(
        home.path(),
        &["collect", "--month", MONTH, "--format", "json"],
        &vars,
    )
    .await;
    sandbox.shutdown().await;
    assert_one_line(&result, 1, &["ESET", "GravityZone"]);
    assert!(!result.stderr.contains("wrong-password"));
    assert!(!result.stderr.contains("wrong-key"));
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_reach_the_output_even_at_trace_level() {
    let home = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig {
        eset_token_lifetime: std::time::Duration::from_secs(2),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let vars = sandbox_env(&sandbox);
    let result = run_async(
        home.path(),
        &["-vvv", "collect", "--month", MONTH, "--format", "json"],
        &vars,
    )
    .await;
    let issued = sandbox.issued_tokens();
    sandbox.shutdown().await;
    assert_eq!(result.code, 0, "stderr: {}", result.stderr);
    assert!(
        result.stderr.lines().count() > 20,
        "-vvv logged almost nothing"
    );
    let credentials = sandbox_env_secrets(&vars);
    assert!(!issued.is_empty());
    for secret in credentials.iter().chain(&issued) {
        assert!(!result.stdout.contains(secret.as_str()), "secret in stdout");
        assert!(!result.stderr.contains(secret.as_str()), "secret in stderr");
    }
    assert!(
        !result.stderr.contains("eyJ"),
        "something JWT-shaped was logged"
    );
}

fn sandbox_env_secrets(vars: &[(String, String)]) -> Vec<String> {
    vars.iter()
        .filter(|(k, _)| k == "ESET_MSP_PASSWORD" || k == "GRAVITYZONE_API_KEY")
        .map(|(_, v)| v.clone())
        .collect()
}
