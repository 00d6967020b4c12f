//! The transport runtime under both msp-usage vendor clients (`usage-eset`, `usage-bitdefender`),
//! written once so both behave the same:
//!
//! - [`Transport`]: the reqwest client and its timeout, one attempt of one request, the 64 MiB
//!   response limit (memory stays within the limit whatever a server sends), pacing
//!   ([`Pacer`], governor on tokio's clock, so paused test clocks make waits free);
//! - [`decide`] and [`with_retries`]: the pure retry decision (429, 5xx, timeouts, connection
//!   failures and cut-off bodies retried with jittered backoff; `Retry-After` honoured up to
//!   120 s, a longer one fails the request at once; bounded attempts) and the loop that runs it;
//! - [`Secrets`]: every secret the run knows (password, API key, tokens, the Basic header)
//!   scrubbed from every body, error, log line and recorded byte, even when a server echoes one;
//! - [`Exchange`], [`ExchangeObserver`], [`ExchangeSource`]: one set of record/replay types, a
//!   [`Recorder`] that writes a run to a directory and a [`Replay`] that answers from it,
//!   reading only checked plain files inside the directory;
//! - [`check_base_url`]: `https://`, or plain `http://` to a loopback host only.
//!
//! A vendor client describes each request ([`HttpRequest`]) and classifies each answer into a
//! value or a [`Failed`] error with a [`Retry`] verdict; everything else happens here.
#![deny(missing_docs)]

mod exchange;
mod json;
mod pacer;
mod recorder;
mod recording;
mod redact;
mod replay;
mod retry;
mod settings;
mod transport;
mod url;

pub use exchange::{
    Exchange, ExchangeObserver, ExchangeOutcome, ExchangeSource, REDACTED, TIMED_OUT,
};
pub use json::{JsonError, JsonErrorKind, decode_json, error_chain, short_path};
pub use pacer::Pacer;
pub use recorder::Recorder;
pub use recording::{INDEX, Index, IndexEntry, Recording, RecordingError, Tag};
pub use redact::{Secrets, redact_json_keys, redact_value_keys, snippet};
pub use replay::Replay;
pub use retry::{
    Decision, Failed, GaveUp, GiveUp, MAX_ATTEMPTS_LIMIT, MAX_RETRY_AFTER, Retry, RetryPolicy,
    decide, parse_retry_after, with_retries,
};
pub use settings::{
    DEFAULT_MAX_ATTEMPTS, DEFAULT_TIMEOUT, SetupError, TransportBuilder, TransportSettings,
};
pub use transport::{
    Auth, HttpRequest, HttpResponse, MAX_BODY_BYTES, Method, Transport, TransportError, USER_AGENT,
};
pub use url::{BaseUrlError, check_base_url};
