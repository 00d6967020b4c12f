//! `--record DIR`: every exchange of a run kept as it arrives, one file per body, and the index
//! written at the end.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use secrecy::SecretString;

use crate::exchange::{Exchange, ExchangeObserver, ExchangeOutcome};
use crate::recording::{INDEX, Index, IndexEntry, RecordingError, Tag, hex_sha256};
use crate::redact::Secrets;

/// Writes the exchanges of every client of a run into one directory. Each client gets its own
/// [`observer`](Self::observer), tagged with the vendor it speaks for.
#[derive(Debug)]
pub struct Recorder<V: Tag> {
    dir: PathBuf,
    secrets: Secrets,
    entries: Mutex<Vec<IndexEntry<V>>>,
    failure: Mutex<Option<String>>,
}

impl<V: Tag> Recorder<V> {
    /// Prepares `dir` (created if needed; refused if it already holds a recording). `secrets`
    /// are scrubbed from everything written, a second line of defence behind the clients' own.
    pub fn create(dir: &Path, secrets: &[SecretString]) -> Result<Self, RecordingError> {
        if dir.join(INDEX).exists() {
            return Err(RecordingError::new(
                dir,
                "it already holds a recording; choose a new directory",
            ));
        }
        std::fs::create_dir_all(dir).map_err(|e| RecordingError::new(dir, e.to_string()))?;
        let scrubber = Secrets::new();
        secrets.iter().for_each(|s| scrubber.add(s));
        Ok(Self {
            dir: dir.to_path_buf(),
            secrets: scrubber,
            entries: Mutex::new(Vec::new()),
            failure: Mutex::new(None),
        })
    }

    /// The observer to give the client of `vendor`.
    pub fn observer(self: &Arc<Self>, vendor: V) -> Arc<dyn ExchangeObserver> {
        Arc::new(Tagged {
            vendor,
            recorder: Arc::clone(self),
        })
    }

    /// Keeps one exchange: its body in a file of its own, its entry for the index.
    fn keep(&self, vendor: V, exchange: &Exchange) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let seq = entries.len() as u64 + 1;
        let (status, retry_after, body, error) = match &exchange.outcome {
            ExchangeOutcome::Response {
                status,
                retry_after,
                body,
            } => (Some(*status), retry_after.clone(), Some(body), None),
            ExchangeOutcome::Failed { error } => (None, None, None, Some(error.clone())),
        };
        let mut file = None;
        let mut sha256 = None;
        if let Some(body) = body {
            let body = self.secrets.scrub_bytes(body.clone());
            let name = format!("{seq:05}-{vendor}-{}.json", file_safe(&exchange.call));
            if let Err(e) = std::fs::write(self.dir.join(&name), &body) {
                self.note_failure(format!("cannot write {name}: {e}"));
            }
            sha256 = Some(hex_sha256(&body));
            file = Some(name);
        }
        entries.push(IndexEntry {
            seq,
            vendor,
            call: exchange.call.clone(),
            request: self.secrets.scrub_value(exchange.request.clone()),
            status,
            retry_after: retry_after.map(|r| self.secrets.scrub(&r)),
            error: error.map(|e| self.secrets.scrub(&e)),
            time: chrono::DateTime::<chrono::Utc>::from(exchange.at)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            file,
            sha256,
        });
    }

    /// Writes `index.json` for `month` (`YYYY-MM`) and returns how many exchanges it holds;
    /// reports any body that could not be written.
    pub fn finish(&self, month: &str) -> Result<usize, RecordingError> {
        let fail = |reason: String| RecordingError::new(&self.dir, reason);
        if let Some(reason) = self.failure.lock().ok().and_then(|f| f.clone()) {
            return Err(fail(reason));
        }
        let exchanges = self
            .entries
            .lock()
            .map_err(|_| fail("the recorder was poisoned".to_owned()))?
            .clone();
        let count = exchanges.len();
        let index = Index {
            tool: format!("msp-usage {}", env!("CARGO_PKG_VERSION")),
            month: month.to_owned(),
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
}

/// A recorder's observer for one vendor's client.
#[derive(Debug)]
struct Tagged<V: Tag> {
    vendor: V,
    recorder: Arc<Recorder<V>>,
}

impl<V: Tag> ExchangeObserver for Tagged<V> {
    fn observe(&self, exchange: &Exchange) {
        self.recorder.keep(self.vendor, exchange);
    }
}

/// A call as part of a file name: letters, digits and dots kept, anything else `_`.
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
