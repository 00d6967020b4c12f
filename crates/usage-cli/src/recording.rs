//! `collect --record DIR` and `collect --replay DIR`: every vendor answer of a run, kept as
//! received (one file per call and page, plus `index.json`), and the same run replayed from it
//! with no network.
//!
//! Secrets are never written: the clients hand over requests with the password and refresh
//! token replaced and ESET token answers with their tokens replaced; the recorder also scrubs
//! the configured password and API key from anything it writes, as a second line of defence.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::CliError;

/// The marker that stands where a secret was.
pub(crate) const REDACTED: &str = "[REDACTED]";
/// The index file of a recording.
pub(crate) const INDEX: &str = "index.json";

/// `index.json`: what was recorded, in the order the answers arrived.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Index {
    /// The tool that wrote it.
    pub(crate) tool: String,
    /// The month collected (`YYYY-MM`), the default month of a replay.
    pub(crate) month: String,
    /// Every exchange.
    pub(crate) exchanges: Vec<IndexEntry>,
}

/// One request and its answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct IndexEntry {
    /// Order of arrival, from 1.
    pub(crate) seq: u64,
    /// `eset` or `bitdefender`.
    pub(crate) vendor: String,
    /// ESET endpoint (`UsageReport/AllCompanies/categories`) or GravityZone method
    /// (`licensing.getMonthlyUsage`).
    pub(crate) call: String,
    /// The request body (ESET) or params (GravityZone), secrets replaced.
    pub(crate) request: Value,
    /// HTTP status, when an answer came.
    pub(crate) status: Option<u16>,
    /// The `Retry-After` header, when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) retry_after: Option<String>,
    /// Why no answer came (timeout, connection error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    /// When the answer arrived (RFC 3339, UTC).
    pub(crate) time: String,
    /// The body's file, relative to the directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) file: Option<String>,
    /// SHA-256 of the body, so a damaged file is noticed on replay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sha256: Option<String>,
}

/// The vendor-neutral form of one exchange, built from either client's `Exchange`.
pub(crate) struct Observed<'a> {
    pub(crate) vendor: &'static str,
    pub(crate) call: &'a str,
    pub(crate) request: &'a Value,
    pub(crate) status: Option<u16>,
    pub(crate) retry_after: Option<&'a str>,
    pub(crate) body: Option<&'a [u8]>,
    pub(crate) error: Option<&'a str>,
    pub(crate) at: SystemTime,
}

/// Writes the bodies of a run into a directory as they arrive, and the index at the end.
#[derive(Debug)]
pub(crate) struct Recorder {
    dir: PathBuf,
    secrets: Vec<String>,
    entries: Mutex<Vec<IndexEntry>>,
    failure: Mutex<Option<String>>,
}

impl Recorder {
    /// Prepares `dir` (created if needed; refused if it already holds a recording).
    /// `secrets` are scrubbed from everything written.
    pub(crate) fn create(dir: &Path, secrets: Vec<String>) -> Result<Self, CliError> {
        let fail = |reason: String| CliError::Recording {
            path: dir.display().to_string(),
            reason,
        };
        if dir.join(INDEX).exists() {
            return Err(fail(
                "it already holds a recording; choose a new directory".to_string(),
            ));
        }
        std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        Ok(Recorder {
            dir: dir.to_path_buf(),
            secrets: secrets.into_iter().filter(|s| s.len() >= 4).collect(),
            entries: Mutex::new(Vec::new()),
            failure: Mutex::new(None),
        })
    }

    /// Keeps one exchange: its body in a file of its own, its entry for the index.
    pub(crate) fn observe(&self, seen: Observed<'_>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let seq = entries.len() as u64 + 1;
        let mut file = None;
        let mut sha256 = None;
        if let Some(body) = seen.body {
            let body = self.scrub_bytes(body);
            let name = format!("{seq:05}-{}-{}.json", seen.vendor, file_safe(seen.call));
            if let Err(e) = std::fs::write(self.dir.join(&name), &body) {
                self.note_failure(format!("cannot write {name}: {e}"));
            }
            sha256 = Some(hex(&Sha256::digest(&body)));
            file = Some(name);
        }
        entries.push(IndexEntry {
            seq,
            vendor: seen.vendor.to_string(),
            call: seen.call.to_string(),
            request: self.scrub_value(seen.request),
            status: seen.status,
            retry_after: seen.retry_after.map(str::to_string),
            error: seen.error.map(|e| self.scrub_str(e)),
            time: chrono::DateTime::<chrono::Utc>::from(seen.at)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            file,
            sha256,
        });
    }

    /// Writes `index.json`; reports any body that could not be written.
    pub(crate) fn finish(&self, month: &str) -> Result<usize, CliError> {
        let fail = |reason: String| CliError::Recording {
            path: self.dir.display().to_string(),
            reason,
        };
        if let Some(reason) = self.failure.lock().ok().and_then(|f| f.clone()) {
            return Err(fail(reason));
        }
        let exchanges = self
            .entries
            .lock()
            .map_err(|_| fail("the recorder was poisoned".to_string()))?
            .clone();
        let count = exchanges.len();
        let index = Index {
            tool: format!("msp-usage {}", env!("CARGO_PKG_VERSION")),
            month: month.to_string(),
            exchanges,
        };
        let text = serde_json::to_string_pretty(&index).map_err(|e| fail(e.to_string()))?;
        std::fs::write(self.dir.join(INDEX), text + "\n").map_err(|e| fail(e.to_string()))?;
        Ok(count)
    }

    fn note_failure(&self, reason: String) {
        if let Ok(mut failure) = self.failure.lock() {
            failure.get_or_insert(reason);
        }
    }

    fn scrub_str(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_string(), |acc, secret| {
            acc.replace(secret.as_str(), REDACTED)
        })
    }

    fn scrub_bytes(&self, body: &[u8]) -> Vec<u8> {
        match std::str::from_utf8(body) {
            Ok(text) if self.secrets.iter().any(|s| text.contains(s.as_str())) => {
                self.scrub_str(text).into_bytes()
            }
            _ => body.to_vec(),
        }
    }

    fn scrub_value(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.scrub_str(s)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.scrub_value(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.scrub_value(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

fn file_safe(call: &str) -> String {
    call.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// A recorded answer, as a replay hands it back.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    /// An HTTP answer.
    Response {
        status: u16,
        retry_after: Option<String>,
        body: Vec<u8>,
    },
    /// No answer.
    Failed(String),
}

/// A recording loaded for replay: the answers to each (vendor, call, request), in order.
#[derive(Debug)]
pub(crate) struct Replay {
    month: String,
    vendors: Vec<String>,
    answers: Mutex<HashMap<(String, String, String), VecDeque<Answer>>>,
    last: Mutex<HashMap<(String, String, String), Answer>>,
}

impl Replay {
    /// Loads `dir`, checking every file it names; any problem is one error naming the file.
    pub(crate) fn load(dir: &Path) -> Result<Self, CliError> {
        let bad = |path: &Path, reason: String| CliError::Recording {
            path: path.display().to_string(),
            reason,
        };
        let index = read_index(dir)?;
        let mut answers: HashMap<(String, String, String), VecDeque<Answer>> = HashMap::new();
        let mut vendors: Vec<String> = Vec::new();
        for entry in &index.exchanges {
            if !vendors.contains(&entry.vendor) {
                vendors.push(entry.vendor.clone());
            }
            let answer = match (&entry.file, entry.status) {
                (Some(file), Some(status)) => {
                    let path = dir.join(file);
                    let body = std::fs::read(&path)
                        .map_err(|e| bad(&path, format!("missing or unreadable ({e})")))?;
                    if let Some(expected) = &entry.sha256
                        && hex(&Sha256::digest(&body)) != *expected
                    {
                        return Err(bad(
                            &path,
                            "corrupt: its content differs from what was recorded (sha256 mismatch)"
                                .to_string(),
                        ));
                    }
                    Answer::Response {
                        status,
                        retry_after: entry.retry_after.clone(),
                        body,
                    }
                }
                (None, Some(status)) => Answer::Response {
                    status,
                    retry_after: entry.retry_after.clone(),
                    body: Vec::new(),
                },
                (_, None) => Answer::Failed(
                    entry
                        .error
                        .clone()
                        .unwrap_or_else(|| "no answer was recorded".to_string()),
                ),
            };
            answers
                .entry(key(&entry.vendor, &entry.call, &entry.request))
                .or_default()
                .push_back(answer);
        }
        vendors.sort();
        Ok(Replay {
            month: index.month,
            vendors,
            answers: Mutex::new(answers),
            last: Mutex::new(HashMap::new()),
        })
    }

    /// The month that was recorded.
    pub(crate) fn month(&self) -> &str {
        &self.month
    }

    /// Whether the recording holds exchanges of `vendor` (`eset`, `bitdefender`).
    pub(crate) fn has_vendor(&self, vendor: &str) -> bool {
        self.vendors.iter().any(|v| v == vendor)
    }

    /// The next recorded answer to this request; the last one again once they are used up
    /// (a client may ask once more than it did while recording, e.g. for a token).
    pub(crate) fn answer(&self, vendor: &str, call: &str, request: &Value) -> Answer {
        let key = key(vendor, call, request);
        let next = self
            .answers
            .lock()
            .ok()
            .and_then(|mut all| all.get_mut(&key).and_then(VecDeque::pop_front));
        match next {
            Some(answer) => {
                if let Ok(mut last) = self.last.lock() {
                    last.insert(key, answer.clone());
                }
                answer
            }
            None => self
                .last
                .lock()
                .ok()
                .and_then(|last| last.get(&key).cloned())
                .unwrap_or_else(|| {
                    Answer::Failed(format!(
                        "the recording has no answer to {vendor} {call} with this request"
                    ))
                }),
        }
    }
}

/// Reads `DIR/index.json`; a missing or malformed index is one error naming the file.
pub(crate) fn read_index(dir: &Path) -> Result<Index, CliError> {
    let path = dir.join(INDEX);
    let bad = |reason: String| CliError::Recording {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        bad(format!(
            "{e}; is {} a directory written by `collect --record`?",
            dir.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| bad(format!("not a valid recording index ({e})")))
}

/// Requests are matched on their canonical JSON (object keys sorted); ESET token calls on the
/// call alone, since their request holds nothing but (redacted) credentials.
fn key(vendor: &str, call: &str, request: &Value) -> (String, String, String) {
    let request = if vendor == "eset" && call.starts_with("Token/") {
        String::new()
    } else {
        request.to_string()
    };
    (vendor.to_string(), call.to_string(), request)
}

/// Connects a recorder or a replay to one vendor's client hooks.
#[derive(Debug)]
pub(crate) struct Hook<T> {
    /// `eset` or `bitdefender`.
    pub(crate) vendor: &'static str,
    /// The recorder or the replay.
    pub(crate) inner: std::sync::Arc<T>,
}

macro_rules! vendor_hooks {
    ($krate:ident) => {
        impl $krate::ExchangeObserver for Hook<Recorder> {
            fn observe(&self, exchange: &$krate::Exchange) {
                let (status, retry_after, body, error) = match &exchange.outcome {
                    $krate::ExchangeOutcome::Response {
                        status,
                        retry_after,
                        body,
                    } => (
                        Some(*status),
                        retry_after.as_deref(),
                        Some(body.as_slice()),
                        None,
                    ),
                    $krate::ExchangeOutcome::Failed { error } => {
                        (None, None, None, Some(error.as_str()))
                    }
                };
                self.inner.observe(Observed {
                    vendor: self.vendor,
                    call: &exchange.call,
                    request: &exchange.request,
                    status,
                    retry_after,
                    body,
                    error,
                    at: exchange.at,
                });
            }
        }

        impl $krate::ExchangeSource for Hook<Replay> {
            fn answer(&self, call: &str, request: &Value) -> $krate::ExchangeOutcome {
                match self.inner.answer(self.vendor, call, request) {
                    Answer::Response {
                        status,
                        retry_after,
                        body,
                    } => $krate::ExchangeOutcome::Response {
                        status,
                        retry_after,
                        body,
                    },
                    Answer::Failed(error) => $krate::ExchangeOutcome::Failed { error },
                }
            }
        }
    };
}

vendor_hooks!(usage_eset);
vendor_hooks!(usage_bitdefender);
