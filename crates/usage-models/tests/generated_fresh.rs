//! The generated modules must match their schemas and must not be edited by hand.
//!
//! `cargo xtask codegen` writes two hashes into each generated file's header: one of the schema
//! files it was generated from and one of the generated body. This test recomputes both, so plain
//! `cargo test` fails when a schema changed without regenerating, or when the file was edited.
//! (`cargo xtask codegen --check`, run in CI, additionally regenerates and diffs.)

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn schemas_hash(dir: &str) -> String {
    let folder = root().join("schemas").join(dir);
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .expect("schema folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    let mut hasher = Sha256::new();
    for name in names {
        let text = std::fs::read_to_string(folder.join(&name)).expect("schema file");
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(text.replace("\r\n", "\n").as_bytes());
        hasher.update([0]);
    }
    hex(&hasher.finalize())
}

fn header_value<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .take(6)
        .find_map(|line| line.strip_prefix(&format!("// {key}: ")))
        .unwrap_or_else(|| panic!("generated header has no `{key}` line"))
}

fn check(file: &str, dir: &str) {
    let path = root().join("crates/usage-models/src").join(file);
    let text = std::fs::read_to_string(&path).expect("generated file");
    assert!(
        text.lines()
            .next()
            .unwrap_or_default()
            .contains("DO NOT EDIT"),
        "{file} lost its generated header"
    );
    assert_eq!(
        header_value(&text, "schemas-sha256"),
        schemas_hash(dir),
        "schemas/{dir} changed since {file} was generated: run `cargo xtask codegen` and commit"
    );
    let body_start = text
        .match_indices('\n')
        .nth(4)
        .map(|(i, _)| i + 1)
        .expect("five header lines");
    assert_eq!(
        header_value(&text, "body-sha256"),
        hex(&Sha256::digest(&text.as_bytes()[body_start..])),
        "{file} was edited by hand: edit schemas/{dir} instead and run `cargo xtask codegen`"
    );
}

#[test]
fn eset_models_match_their_schemas() {
    check("eset.rs", "eset");
}

#[test]
fn bitdefender_models_match_their_schemas() {
    check("bitdefender.rs", "bitdefender");
}
