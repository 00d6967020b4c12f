//! usage-core stays pure: no HTTP client or async runtime among its normal dependencies.
#![allow(clippy::unwrap_used)]

use std::process::Command;

#[test]
fn no_http_or_async_runtime_dependency() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "usage-core",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let crates: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    // The tree is really there: the crate itself and its direct dependencies.
    for expected in ["usage-core", "usage-models", "serde_json", "chrono"] {
        assert!(
            crates.contains(&expected),
            "{expected} missing from:\n{stdout}"
        );
    }
    for name in &crates {
        for banned in ["reqwest", "tokio", "hyper"] {
            assert!(
                !(*name == banned || name.starts_with(&format!("{banned}-"))),
                "usage-core depends on {name}:\n{stdout}"
            );
        }
    }
}
