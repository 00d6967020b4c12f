//! `cargo xtask codegen [--check]`: schemas -> generated model modules and the record schema.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};
use typify::{TypeSpace, TypeSpaceSettings};

/// One generated model module and the schema folder it comes from.
struct Vendor {
    /// Folder under `schemas/`.
    schema_dir: &'static str,
    /// Output file under `crates/usage-models/src/`.
    output: &'static str,
}

const VENDORS: [Vendor; 2] = [
    Vendor {
        schema_dir: "eset",
        output: "eset.rs",
    },
    Vendor {
        schema_dir: "bitdefender",
        output: "bitdefender.rs",
    },
];

/// Regenerates every output; with `check`, compares instead of writing.
pub(crate) fn run(check: bool) -> Result<(), String> {
    let root = workspace_root();
    let mut stale = Vec::new();
    for vendor in &VENDORS {
        let contents = generate_models(&root, vendor)?;
        let path = root.join("crates/usage-models/src").join(vendor.output);
        ensure(&path, &contents, check, &mut stale)?;
    }
    let record = record_schema()?;
    ensure(
        &root.join("schemas/usage-record.json"),
        &record,
        check,
        &mut stale,
    )?;
    if stale.is_empty() {
        if check {
            println!("generated files are up to date");
        }
        Ok(())
    } else {
        Err(format!(
            "{} generated file(s) differ from what the schemas generate: {}; run `cargo xtask codegen` and commit the result",
            stale.len(),
            stale.join(", ")
        ))
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Writes `contents` to `path`, or in check mode prints a diff and records the file as stale.
fn ensure(path: &Path, contents: &str, check: bool, stale: &mut Vec<String>) -> Result<(), String> {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    if current == contents {
        return Ok(());
    }
    let shown = path
        .strip_prefix(workspace_root())
        .unwrap_or(path)
        .display()
        .to_string();
    if check {
        let diff = similar::TextDiff::from_lines(current.as_str(), contents);
        eprintln!(
            "{}",
            diff.unified_diff().context_radius(2).header(
                &format!("{shown} (committed)"),
                &format!("{shown} (generated)")
            )
        );
        stale.push(shown);
    } else {
        std::fs::write(path, contents).map_err(|e| format!("cannot write {shown}: {e}"))?;
        println!("wrote {shown}");
    }
    Ok(())
}

/// The schema files of one vendor, sorted by name, with their contents.
pub(crate) fn schema_files(root: &Path, dir: &str) -> Result<Vec<(String, String)>, String> {
    let folder = root.join("schemas").join(dir);
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .map_err(|e| format!("cannot read {}: {e}", folder.display()))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let path = folder.join(&name);
            std::fs::read_to_string(&path)
                .map(|text| (name, text))
                .map_err(|e| format!("cannot read {}: {e}", path.display()))
        })
        .collect()
}

/// The hash the generated header carries of a vendor's schema files: the test in usage-models
/// recomputes it, so a schema edited without regenerating fails `cargo test`.
fn schemas_hash(files: &[(String, String)]) -> String {
    let mut hasher = Sha256::new();
    for (name, text) in files {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(text.replace("\r\n", "\n").as_bytes());
        hasher.update([0]);
    }
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn generate_models(root: &Path, vendor: &Vendor) -> Result<String, String> {
    let files = schema_files(root, vendor.schema_dir)?;
    let mut settings = TypeSpaceSettings::default();
    settings
        .with_struct_builder(false)
        .with_map_type("::std::collections::BTreeMap");
    let mut space = TypeSpace::new(&settings);
    for (name, text) in &files {
        let schema: schemars08::schema::RootSchema = serde_json::from_str(text).map_err(|e| {
            format!(
                "schemas/{}/{name} is not a JSON Schema: {e}",
                vendor.schema_dir
            )
        })?;
        space
            .add_root_schema(schema)
            .map_err(|e| format!("typify rejected schemas/{}/{name}: {e}", vendor.schema_dir))?;
    }
    // The inner attribute goes through rustfmt too, so `cargo fmt` leaves the file as it is.
    let body = rustfmt(&format!(
        "#![allow(clippy::all, clippy::pedantic, missing_docs, unreachable_pub, rust_2018_idioms)]\n{}",
        space.to_stream()
    ))?;
    let list: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    Ok(format!(
        "// @generated by `cargo xtask codegen` (typify 0.8.0) from schemas/{dir}/*.json. DO NOT EDIT.\n\
         // Edit the schemas and rerun `cargo xtask codegen`; `cargo xtask codegen --check` verifies this file.\n\
         // schemas: {list}\n\
         // schemas-sha256: {schemas}\n\
         // body-sha256: {body_hash}\n\
         {body}",
        dir = vendor.schema_dir,
        list = list.join(" "),
        schemas = schemas_hash(&files),
        body_hash = hex(&Sha256::digest(body.as_bytes())),
    ))
}

/// Formats with the toolchain's rustfmt, so `cargo fmt --check` agrees with the output.
fn rustfmt(code: &str) -> Result<String, String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("cannot run rustfmt (install it with `rustup component add rustfmt`): {e}")
        })?;
    child
        .stdin
        .take()
        .ok_or("rustfmt has no stdin")?
        .write_all(code.as_bytes())
        .map_err(|e| format!("cannot feed rustfmt: {e}"))?;
    let output = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt failed: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "rustfmt rejected the generated code: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("rustfmt printed non-UTF-8: {e}"))
}

/// `schemas/usage-record.json`, from the schemars 1.x derive in usage-core: printed by
/// usage-core's `record_schema` example, so this generator never links the generated models
/// (a schema edit that generates broken code must not stop the generator itself).
fn record_schema() -> Result<String, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .args([
            "run",
            "--quiet",
            "--locked",
            "-p",
            "usage-core",
            "--example",
            "record_schema",
        ])
        .current_dir(workspace_root())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(
            "usage-core's record_schema example failed (see above); the models were written first, fix them and rerun"
                .to_string(),
        );
    }
    String::from_utf8(output.stdout).map_err(|e| format!("record_schema printed non-UTF-8: {e}"))
}
