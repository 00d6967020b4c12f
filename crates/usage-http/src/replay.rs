//! `--replay DIR`: a recorded run answered again, request by request, with no network.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::exchange::{ExchangeOutcome, ExchangeSource, REDACTED};
use crate::recording::{Recording, RecordingError, Tag};

/// Most bytes of bodies a replay loads (a month of 10,000 companies is tens of megabytes).
const MAX_REPLAY_BYTES: u64 = 1024 * 1024 * 1024;

/// A request's identity: vendor, call, and the canonical JSON of the request (empty for a
/// request that carried a secret, which is matched on its call alone).
type Key<V> = (V, String, String);

/// A recording loaded for replay: every body read and checked up front, then the answers to
/// each request handed out in the order they were recorded.
#[derive(Debug)]
pub struct Replay<V: Tag> {
    month: String,
    vendors: Vec<V>,
    answers: Mutex<HashMap<Key<V>, VecDeque<Stored>>>,
    last: Mutex<HashMap<Key<V>, Stored>>,
}

/// A recorded answer as the replay keeps it: bodies shared between the entries that name the
/// same file, copied out only when handed to a client.
#[derive(Debug, Clone)]
enum Stored {
    Response {
        status: u16,
        retry_after: Option<String>,
        body: Arc<[u8]>,
    },
    Failed(String),
}

impl Stored {
    fn outcome(&self) -> ExchangeOutcome {
        match self {
            Stored::Response {
                status,
                retry_after,
                body,
            } => ExchangeOutcome::Response {
                status: *status,
                retry_after: retry_after.clone(),
                body: body.to_vec(),
            },
            Stored::Failed(error) => ExchangeOutcome::Failed {
                error: error.clone(),
            },
        }
    }
}

impl<V: Tag> Replay<V> {
    /// Loads `dir` (see [`Recording::open`] for what is refused); any problem is one error
    /// naming the file.
    pub fn load(dir: &Path) -> Result<Self, RecordingError> {
        let recording = Recording::<V>::open(dir)?;
        let mut answers: HashMap<Key<V>, VecDeque<Stored>> = HashMap::new();
        let mut vendors = Vec::new();
        // Each file is read (and checked) once, however many entries name it.
        let mut bodies: HashMap<&str, Arc<[u8]>> = HashMap::new();
        let mut total: u64 = 0;
        for entry in &recording.index().exchanges {
            if !vendors.contains(&entry.vendor) {
                vendors.push(entry.vendor);
            }
            let body = match &entry.file {
                Some(file) => match bodies.get(file.as_str()) {
                    Some(body) => Arc::clone(body),
                    None => {
                        let body: Arc<[u8]> = recording.body(entry)?.into();
                        total += body.len() as u64;
                        if total > MAX_REPLAY_BYTES {
                            return Err(RecordingError::new(
                                dir,
                                format!(
                                    "its bodies add up to more than {} MiB, more than a replay \
                                     holds; record a smaller run",
                                    MAX_REPLAY_BYTES / (1024 * 1024)
                                ),
                            ));
                        }
                        bodies.insert(file, Arc::clone(&body));
                        body
                    }
                },
                None => Arc::from(Vec::new()),
            };
            let outcome = match entry.status {
                Some(status) => Stored::Response {
                    status,
                    retry_after: entry.retry_after.clone(),
                    body,
                },
                None => Stored::Failed(
                    entry
                        .error
                        .clone()
                        .unwrap_or_else(|| "no answer was recorded".to_owned()),
                ),
            };
            answers
                .entry(key(entry.vendor, &entry.call, &entry.request))
                .or_default()
                .push_back(outcome);
        }
        vendors.sort();
        Ok(Self {
            month: recording.index().month.clone(),
            vendors,
            answers: Mutex::new(answers),
            last: Mutex::new(HashMap::new()),
        })
    }

    /// The month that was recorded (`YYYY-MM`).
    pub fn month(&self) -> &str {
        &self.month
    }

    /// Whether the recording holds exchanges of `vendor`.
    pub fn has_vendor(&self, vendor: V) -> bool {
        self.vendors.contains(&vendor)
    }

    /// The source to give the client of `vendor`.
    pub fn source(self: &Arc<Self>, vendor: V) -> Arc<dyn ExchangeSource> {
        Arc::new(Tagged {
            vendor,
            replay: Arc::clone(self),
        })
    }

    /// The next recorded answer to this request; the last one again once they are used up (a
    /// client may ask once more than it did while recording, e.g. for a token).
    fn answer(&self, vendor: V, call: &str, request: &Value) -> ExchangeOutcome {
        let key = key(vendor, call, request);
        let next = self
            .answers
            .lock()
            .ok()
            .and_then(|mut all| all.get_mut(&key).and_then(VecDeque::pop_front));
        if let Some(answer) = next {
            let outcome = answer.outcome();
            if let Ok(mut last) = self.last.lock() {
                last.insert(key, answer);
            }
            return outcome;
        }
        self.last
            .lock()
            .ok()
            .and_then(|last| last.get(&key).map(Stored::outcome))
            .unwrap_or_else(|| ExchangeOutcome::Failed {
                error: format!("the recording has no answer to {vendor} {call} with this request"),
            })
    }
}

/// A replay's source for one vendor's client.
#[derive(Debug)]
struct Tagged<V: Tag> {
    vendor: V,
    replay: Arc<Replay<V>>,
}

impl<V: Tag> ExchangeSource for Tagged<V> {
    fn answer(&self, call: &str, request: &Value) -> ExchangeOutcome {
        self.replay.answer(self.vendor, call, request)
    }
}

/// Requests are matched on their canonical JSON (object keys sorted); a request one of whose
/// values was a secret (a login's password, a renewal's refresh token) on its call alone, since
/// what it held differs between runs. A value that merely contains a secret somewhere (a company
/// id that happens to contain the password) keeps the whole request as its key.
fn key<V: Tag>(vendor: V, call: &str, request: &Value) -> Key<V> {
    let request = if holds_redacted(request) {
        String::new()
    } else {
        request.to_string()
    };
    (vendor, call.to_owned(), request)
}

fn holds_redacted(value: &Value) -> bool {
    match value {
        Value::String(s) => s == REDACTED,
        Value::Array(items) => items.iter().any(holds_redacted),
        Value::Object(map) => map.values().any(holds_redacted),
        _ => false,
    }
}
