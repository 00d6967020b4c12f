//! End to end: `collect --record`, `collect --replay` and `drift` against the sandbox.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{MONTH, Run, json, run, run_async, sandbox_env};
use usage_sandbox::{Sandbox, SandboxConfig};

const FORMATS: [&str; 4] = ["json", "ndjson", "csv", "table"];

/// Records one collection per format (in parallel, one sandbox each); returns (dir, output).
async fn record_every_format(
    home: &Path,
    config: &SandboxConfig,
) -> Vec<(PathBuf, Run, Vec<String>)> {
    let mut runs = Vec::new();
    for format in FORMATS {
        let sandbox = Sandbox::start(config.clone()).await.unwrap();
        let dir = home.join(format!("rec-{format}"));
        let home = home.to_path_buf();
        runs.push(tokio::spawn(async move {
            let args = [
                "collect",
                "--month",
                MONTH,
                "--vendor",
                "all",
                "--format",
                format,
                "--record",
                dir.to_str().unwrap(),
            ];
            let result = run_async(&home, &args, &sandbox_env(&sandbox)).await;
            let secrets: Vec<String> = sandbox_env(&sandbox)
                .into_iter()
                .filter(|(k, _)| k == "ESET_MSP_PASSWORD" || k == "GRAVITYZONE_API_KEY")
                .map(|(_, v)| v)
                .chain(sandbox.issued_tokens())
                .collect();
            sandbox.shutdown().await;
            (dir, result, secrets)
        }));
    }
    let mut out = Vec::new();
    for handle in runs {
        out.push(handle.await.unwrap());
    }
    out
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    all.sort();
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_is_byte_identical_offline_and_recordings_hold_no_secret() {
    let home = tempfile::tempdir().unwrap();
    let config = SandboxConfig {
        eset_token_lifetime: Duration::from_secs(2),
        ..SandboxConfig::default()
    };
    let recorded = record_every_format(home.path(), &config).await;
    // Every sandbox is stopped now: a replay that tried the network would fail.
    for (dir, original, secrets) in &recorded {
        assert_eq!(original.code, 0, "stderr: {}", original.stderr);
        assert!(dir.join("index.json").is_file());
        let format = dir
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .trim_start_matches("rec-");
        let replayed = run(
            home.path(),
            &[
                "collect",
                "--format",
                format,
                "--replay",
                dir.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(replayed.code, 0, "stderr: {}", replayed.stderr);
        assert_eq!(
            replayed.stdout, original.stdout,
            "--replay differs for {format}"
        );

        assert!(secrets.len() > 2, "tokens were issued");
        for file in files(dir) {
            let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
            for secret in secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "a secret is in {}",
                    file.display()
                );
            }
            assert!(
                !text.contains("eyJ"),
                "something JWT-shaped is in {}",
                file.display()
            );
        }
    }
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(recorded[0].0.join("index.json")).unwrap()).unwrap();
    let calls: Vec<&str> = index["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["call"].as_str().unwrap())
        .collect();
    assert!(calls.contains(&"Token/Get"));
    assert!(calls.contains(&"UsageReport/AllCompanies/categories"));
    assert!(calls.contains(&"licensing.getMonthlyUsage"));
    let first = &index["exchanges"][0];
    for key in ["vendor", "call", "request", "status", "time", "file"] {
        assert!(!first[key].is_null(), "index entries carry {key}: {first}");
    }

    // A recording without drift: drift reports nothing and exits 0.
    let clean = run(
        home.path(),
        &["drift", recorded[0].0.to_str().unwrap(), "--format", "json"],
        &[],
    );
    assert_eq!(
        clean.code, 0,
        "stdout: {}\nstderr: {}",
        clean.stdout, clean.stderr
    );
    let report = json(&clean);
    assert_eq!(report["drift"], false);
    assert!(report["checked"].as_u64().unwrap() > 60);
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_reports_exactly_what_the_sandbox_changed() {
    let home = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig {
        drift: true,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let dir = home.path().join("drifted");
    let recorded = run_async(
        home.path(),
        &[
            "collect",
            "--month",
            MONTH,
            "--format",
            "json",
            "--record",
            dir.to_str().unwrap(),
        ],
        &sandbox_env(&sandbox),
    )
    .await;
    sandbox.shutdown().await;
    // The changed type makes one company's usage unreadable: it is listed, the rest is written.
    assert_eq!(recorded.code, 3, "stderr: {}", recorded.stderr);
    assert_eq!(json(&recorded)["failures"].as_array().unwrap().len(), 1);

    let table = run(home.path(), &["drift", dir.to_str().unwrap()], &[]);
    assert_eq!(table.code, 4, "stderr: {}", table.stderr);
    assert!(
        table.stdout.contains("cargo xtask codegen"),
        "{}",
        table.stdout
    );

    let report = run(
        home.path(),
        &["drift", dir.to_str().unwrap(), "--format", "json"],
        &[],
    );
    assert_eq!(report.code, 4, "stderr: {}", report.stderr);
    let report = json(&report);
    insta::assert_json_snapshot!(report, { ".skipped" => "[skipped]" });
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_recording_is_one_line_naming_the_file() {
    let home = tempfile::tempdir().unwrap();
    let dir = record_gravityzone(home.path()).await;

    let bodies: Vec<PathBuf> = files(&dir)
        .into_iter()
        .filter(|p| p.file_name().unwrap() != "index.json")
        .collect();
    let one_line = |result: &Run, needle: &str| {
        assert_eq!(
            result.code, 1,
            "stdout: {}\nstderr: {}",
            result.stdout, result.stderr
        );
        assert!(!result.stderr.contains("panicked"));
        assert_eq!(result.stderr.trim().lines().count(), 1, "{}", result.stderr);
        assert!(
            result.stderr.contains(needle),
            "`{needle}` missing from {}",
            result.stderr
        );
        assert!(result.stdout.is_empty());
    };

    // Another month than the one recorded: refused at once, naming the recorded one.
    let other_month = run(
        home.path(),
        &[
            "collect",
            "--format",
            "json",
            "--month",
            "2026-09",
            "--replay",
            dir.to_str().unwrap(),
        ],
        &[],
    );
    one_line(&other_month, "this recording holds 2026-10");
    let same_month = run(
        home.path(),
        &[
            "collect",
            "--format",
            "json",
            "--month",
            MONTH,
            "--replay",
            dir.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(same_month.code, 0, "{}", same_month.stderr);

    // A corrupt body.
    let victim = &bodies[3];
    let name = victim.file_name().unwrap().to_str().unwrap().to_string();
    let original = std::fs::read(victim).unwrap();
    std::fs::write(victim, b"{\"result\": ").unwrap();
    let result = run(
        home.path(),
        &[
            "collect",
            "--format",
            "json",
            "--replay",
            dir.to_str().unwrap(),
        ],
        &[],
    );
    one_line(&result, &name);
    std::fs::write(victim, &original).unwrap();

    // A missing body.
    std::fs::remove_file(victim).unwrap();
    let result = run(
        home.path(),
        &[
            "collect",
            "--format",
            "json",
            "--replay",
            dir.to_str().unwrap(),
        ],
        &[],
    );
    one_line(&result, &name);
    let result = run(home.path(), &["drift", dir.to_str().unwrap()], &[]);
    one_line(&result, &name);

    // A corrupt index.
    std::fs::write(dir.join("index.json"), b"[1, 2").unwrap();
    let result = run(
        home.path(),
        &[
            "collect",
            "--format",
            "json",
            "--replay",
            dir.to_str().unwrap(),
        ],
        &[],
    );
    one_line(&result, "index.json");

    // Not a recording at all.
    let empty = home.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let result = run(home.path(), &["drift", empty.to_str().unwrap()], &[]);
    one_line(&result, "index.json");
}

/// A recording altered to make a replay read outside its directory (a path with `..`, an
/// absolute path, a device, a symbolic link) or to pass an edited body (its sha256 removed) is
/// refused: exit 1, one line naming the entry, for `collect --replay` and `drift` alike. The
/// file outside the directory holds exactly the recorded bytes, so reading it would succeed.
#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_recording_is_refused_and_nothing_outside_is_read() {
    let home = tempfile::tempdir().unwrap();
    let dir = record_gravityzone(home.path()).await;
    let index_path = dir.join("index.json");
    let original: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    let entry = original["exchanges"][2].clone();
    let seq = entry["seq"].as_u64().unwrap();
    let file = entry["file"].as_str().unwrap().to_string();
    // The same bytes outside the directory, and a link to them inside it.
    std::fs::copy(dir.join(&file), home.path().join("outside.json")).unwrap();
    std::os::unix::fs::symlink(home.path().join("outside.json"), dir.join("link.json")).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(dir.join("pipe.json"))
        .status()
        .unwrap();
    assert!(fifo.success());

    let outside = format!("{}/outside.json", home.path().display());
    let tamperings: [(&str, serde_json::Value, &str); 7] = [
        (
            "a relative path out",
            "../outside.json".into(),
            "not a plain name",
        ),
        (
            "an absolute path",
            outside.as_str().into(),
            "not a plain name",
        ),
        ("passwd", "../../etc/passwd".into(), "not a plain name"),
        ("a device", "/dev/zero".into(), "not a plain name"),
        ("a link", "link.json".into(), "not a plain file"),
        ("a pipe", "pipe.json".into(), "not a plain file"),
        ("no sha256", serde_json::Value::Null, "no sha256"),
    ];
    for (what, value, reason) in tamperings {
        let mut index = original.clone();
        if value.is_null() {
            std::fs::write(
                dir.join(&file),
                b"{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":[]}",
            )
            .unwrap();
            index["exchanges"][2]
                .as_object_mut()
                .unwrap()
                .remove("sha256");
        } else {
            index["exchanges"][2]["file"] = value;
        }
        std::fs::write(&index_path, serde_json::to_vec_pretty(&index).unwrap()).unwrap();
        for args in [
            vec![
                "collect",
                "--format",
                "json",
                "--replay",
                dir.to_str().unwrap(),
            ],
            vec!["drift", dir.to_str().unwrap()],
        ] {
            let result = run(home.path(), &args, &[]);
            assert_eq!(result.code, 1, "{what} {args:?}: {}", result.stderr);
            assert!(result.stdout.is_empty(), "{what}: {}", result.stdout);
            assert_eq!(
                result.stderr.trim().lines().count(),
                1,
                "{what}: {}",
                result.stderr
            );
            assert!(
                result.stderr.contains(&format!("entry {seq} "))
                    || result.stderr.contains("link.json")
                    || result.stderr.contains("pipe.json"),
                "{what}: the entry is not named: {}",
                result.stderr
            );
            assert!(result.stderr.contains(reason), "{what}: {}", result.stderr);
        }
    }
}

/// Records a clean GravityZone collection of the sandbox into `home/rec`.
async fn record_gravityzone(home: &Path) -> PathBuf {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let dir = home.join("rec");
    let recorded = run_async(
        home,
        &[
            "collect",
            "--month",
            MONTH,
            "--vendor",
            "bitdefender",
            "--format",
            "json",
            "--record",
            dir.to_str().unwrap(),
        ],
        &sandbox_env(&sandbox),
    )
    .await;
    sandbox.shutdown().await;
    assert_eq!(recorded.code, 0, "stderr: {}", recorded.stderr);
    dir
}
