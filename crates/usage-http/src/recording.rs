//! A recorded run on disk: one file per answer body plus `index.json`, written by a
//! [`Recorder`] as the answers arrive and read back, checked, by [`Recording::open`].
//!
//! Reading is hardened against a tampered directory: only plain files named in the index are
//! read, each by a bare name inside the directory (no path separator, no `..`, no absolute
//! path, no device, no symbolic link), within the size limit, and only if its SHA-256 is
//! recorded and matches.

use std::fmt::{Debug, Display};
use std::fs::File;
use std::hash::Hash;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::transport::MAX_BODY_BYTES;

/// The index file of a recording.
pub const INDEX: &str = "index.json";

/// Largest `index.json` read (a month of 10,000 companies is a few megabytes).
const MAX_INDEX_BYTES: u64 = MAX_BODY_BYTES as u64;

/// What names the client an exchange came from (the CLI uses its `Vendor`): written into the
/// index with serde and into file names with `Display`.
pub trait Tag:
    Copy + Eq + Hash + Ord + Display + Debug + Serialize + DeserializeOwned + Send + Sync + 'static
{
}

impl<T> Tag for T where
    T: Copy
        + Eq
        + Hash
        + Ord
        + Display
        + Debug
        + Serialize
        + DeserializeOwned
        + Send
        + Sync
        + 'static
{
}

/// `index.json`: what was recorded, in the order the answers arrived.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "V: Tag")]
pub struct Index<V> {
    /// The tool that wrote it.
    pub tool: String,
    /// The month collected (`YYYY-MM`).
    pub month: String,
    /// Every exchange.
    pub exchanges: Vec<IndexEntry<V>>,
}

/// One request and its answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "V: Tag")]
pub struct IndexEntry<V> {
    /// Order of arrival, from 1.
    pub seq: u64,
    /// The client (vendor) it came from.
    pub vendor: V,
    /// The call (`UsageReport/AllCompanies/categories`, `licensing.getMonthlyUsage`).
    pub call: String,
    /// The request as the exchange showed it (secrets replaced).
    pub request: Value,
    /// HTTP status, when an answer came.
    pub status: Option<u16>,
    /// The `Retry-After` header, when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
    /// Why no answer came (timeout, connection failure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When the answer arrived (RFC 3339, UTC).
    pub time: String,
    /// The body's file: a bare name inside the directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// SHA-256 of the body (lower-case hex); required with `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// A recording that cannot be written or read; the text names the file and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct RecordingError {
    /// The directory or file.
    pub path: String,
    /// What is wrong and what to do.
    pub reason: String,
}

impl RecordingError {
    pub(crate) fn new(path: &Path, reason: impl Into<String>) -> Self {
        Self {
            path: path.display().to_string(),
            reason: reason.into(),
        }
    }
}

/// A recorded directory opened for reading: its index, and checked reads of its bodies.
#[derive(Debug)]
pub struct Recording<V: Tag> {
    dir: PathBuf,
    index: Index<V>,
}

impl<V: Tag> Recording<V> {
    /// Reads and checks `DIR/index.json`; a missing, oversized or malformed index is one error
    /// naming the file, as is an entry whose file name is not a bare name or that has a file
    /// but no SHA-256.
    pub fn open(dir: &Path) -> Result<Self, RecordingError> {
        let path = dir.join(INDEX);
        let text = read_plain(&path, MAX_INDEX_BYTES).map_err(|reason| {
            RecordingError::new(
                &path,
                format!(
                    "{reason}; is {} a directory written by `collect --record`?",
                    dir.display()
                ),
            )
        })?;
        let index: Index<V> = serde_json::from_slice(&text).map_err(|e| {
            RecordingError::new(&path, format!("not a valid recording index ({e})"))
        })?;
        for entry in &index.exchanges {
            if let Some(file) = &entry.file {
                let entry_error = |why: &str| {
                    RecordingError::new(
                        &path,
                        format!(
                            "entry {} ({} {}) {why}; the recording was altered, record it again",
                            entry.seq, entry.vendor, entry.call
                        ),
                    )
                };
                if !is_bare_name(file) {
                    return Err(entry_error(&format!(
                        "names the file `{}`, which is not a plain name inside the directory",
                        file.escape_debug()
                    )));
                }
                if entry.sha256.is_none() {
                    return Err(entry_error("has a file but no sha256"));
                }
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            index,
        })
    }

    /// The index.
    pub fn index(&self) -> &Index<V> {
        &self.index
    }

    /// The body of `entry` (empty when it has no file), read only if it is a regular file
    /// within the size limit whose SHA-256 matches the index.
    pub fn body(&self, entry: &IndexEntry<V>) -> Result<Vec<u8>, RecordingError> {
        let (Some(file), Some(expected)) = (&entry.file, &entry.sha256) else {
            return Ok(Vec::new());
        };
        let path = self.dir.join(file);
        let body = read_plain(&path, MAX_BODY_BYTES as u64)
            .map_err(|reason| RecordingError::new(&path, reason))?;
        if !hex_sha256(&body).eq_ignore_ascii_case(expected) {
            return Err(RecordingError::new(
                &path,
                "corrupt: its content differs from what was recorded (sha256 mismatch)",
            ));
        }
        Ok(body)
    }
}

/// A name with no separator, no `..`, not absolute, not empty: a file directly inside the
/// directory.
fn is_bare_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0', ':'])
        && Path::new(name).components().count() == 1
}

/// The content of `path` if it is a regular file (not a link, device, pipe or directory) of at
/// most `limit` bytes; the error says why not. The checks are made on the opened file, which is
/// opened without following a link and without blocking (a pipe cannot stall the run), so
/// nothing can be swapped in between.
fn read_plain(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let file = open_no_follow(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("missing ({e})"),
        _ => format!(
            "not a plain file (a link, device, pipe or directory) or unreadable ({e}); refused"
        ),
    })?;
    let meta = file.metadata().map_err(|e| format!("unreadable ({e})"))?;
    if !meta.file_type().is_file() {
        return Err("not a plain file (a link, device, pipe or directory); refused".to_owned());
    }
    if meta.len() > limit {
        return Err(format!("larger than {limit} bytes; refused"));
    }
    let mut body = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit + 1)
        .read_to_end(&mut body)
        .map_err(|e| format!("unreadable ({e})"))?;
    if body.len() as u64 > limit {
        return Err(format!("larger than {limit} bytes; refused"));
    }
    Ok(body)
}

/// Opens `path` for reading without following a final symbolic link and without blocking.
#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(i32::try_from(flags.bits()).unwrap_or(0))
        .open(path)
}

/// Opens `path` for reading, refusing a symbolic link.
#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(std::io::Error::other("a symbolic link"));
    }
    File::open(path)
}

/// The SHA-256 of `bytes` in lower-case hex.
pub(crate) fn hex_sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bare_names_are_files() {
        for good in ["00001-eset-Token_Get.json", "a", "x.json"] {
            assert!(is_bare_name(good), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "../../etc/passwd",
            "/etc/passwd",
            "/dev/zero",
            "a/b",
            "a\\b",
            "C:x",
            "x\0y",
        ] {
            assert!(!is_bare_name(bad), "{bad:?}");
        }
    }
}
