//! Keeping every secret the run knows out of everything it reports: errors, log lines,
//! exchanges and recorded files.
//!
//! A client registers its secrets in its [`Secrets`] as it learns them (the password or API key
//! when it is built, each access and refresh token when it arrives). Every body that comes over
//! the wire is scrubbed of all of them before anything reads it, so a server that echoes the
//! `Authorization` header or a key into an error page cannot make a secret reach standard
//! error or a recording. The forms looked for are the secret itself, as it appears escaped in
//! a JSON string, and as the HTTP Basic credentials `base64(secret:)`.

use std::sync::{Arc, PoisonError, RwLock};

use aho_corasick::AhoCorasick;
use base64::Engine as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value;

use crate::exchange::REDACTED;

/// Secrets shorter than this are not looked for: they would match ordinary data.
const MIN_SECRET_LEN: usize = 4;

/// Characters of a body quoted in an error.
const SNIPPET_CHARS: usize = 200;

/// The secrets of one client (shared by its clones and its transport), and the replacing of
/// them by [`REDACTED`]. `Debug` shows only how many there are.
#[derive(Clone, Default)]
pub struct Secrets {
    inner: Arc<RwLock<Arc<Matcher>>>,
}

/// The secrets and an automaton that finds any of their forms in one pass.
#[derive(Default)]
struct Matcher {
    secrets: Vec<SecretString>,
    finder: Option<AhoCorasick>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("count", &self.matcher().secrets.len())
            .finish()
    }
}

impl Secrets {
    /// No secrets yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret (a password, API key or token) to look for from now on. Empty and very
    /// short values and ones already known are ignored.
    pub fn add(&self, secret: &SecretString) {
        let value = secret.expose_secret();
        if value.len() < MIN_SECRET_LEN {
            return;
        }
        let mut guard = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if guard.secrets.iter().any(|s| s.expose_secret() == value) {
            return;
        }
        let mut secrets = guard.secrets.clone();
        secrets.push(secret.clone());
        let patterns: Vec<String> = secrets
            .iter()
            .flat_map(|s| forms(s.expose_secret()))
            .collect();
        let built = AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&patterns);
        match built {
            Ok(finder) => {
                *guard = Arc::new(Matcher {
                    secrets,
                    finder: Some(finder),
                })
            }
            // Keep looking for the secrets known so far rather than for none.
            Err(e) => tracing::error!(error = %e, "a secret cannot be looked for"),
        }
    }

    fn matcher(&self) -> Arc<Matcher> {
        Arc::clone(&self.inner.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// `text` with every known secret replaced by [`REDACTED`].
    pub fn scrub(&self, text: &str) -> String {
        match &self.matcher().finder {
            Some(finder) if finder.is_match(text) => {
                finder.replace_all(text, &vec![REDACTED; finder.patterns_len()])
            }
            _ => text.to_owned(),
        }
    }

    /// `bytes` with every known secret replaced by [`REDACTED`], byte for byte: everything else
    /// (invalid UTF-8, whitespace, key order) stays as it was. Usually nothing is found and
    /// `bytes` comes back as it went in, without a copy.
    pub fn scrub_bytes(&self, bytes: Vec<u8>) -> Vec<u8> {
        match &self.matcher().finder {
            Some(finder) if finder.is_match(&bytes) => {
                let with = vec![REDACTED.as_bytes(); finder.patterns_len()];
                finder.replace_all_bytes(&bytes, &with)
            }
            _ => bytes,
        }
    }

    /// `value` with every known secret removed from its strings and object keys.
    pub fn scrub_value(&self, value: Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.scrub(&s)),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|v| self.scrub_value(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (self.scrub(&k), self.scrub_value(v)))
                    .collect(),
            ),
            other => other,
        }
    }
}

/// The forms a secret may take in what a server sends back: as is; as HTTP Basic credentials
/// (`base64(secret:)`); inside a JSON string with `"` and `\` escaped, and also `/` as `\/`;
/// and with every character but letters and digits written as a `\u` escape (lower- and
/// upper-case hex), as some JSON writers do.
fn forms(secret: &str) -> Vec<String> {
    let mut forms = vec![
        secret.to_owned(),
        base64::engine::general_purpose::STANDARD.encode(format!("{secret}:")),
    ];
    let escaped = secret.replace('\\', "\\\\").replace('"', "\\\"");
    forms.push(escaped.replace('/', "\\/"));
    forms.push(escaped);
    for upper in [false, true] {
        let mut text = String::new();
        for c in secret.chars() {
            if c.is_ascii_alphanumeric() {
                text.push(c);
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    if upper {
                        text.push_str(&format!("\\u{unit:04X}"));
                    } else {
                        text.push_str(&format!("\\u{unit:04x}"));
                    }
                }
            }
        }
        forms.push(text);
    }
    forms.sort();
    forms.dedup();
    forms
}

/// A credential call's answer as an observer may see it: the string values of `keys`
/// (compared without regard to case, at any depth) replaced by [`REDACTED`], re-serialized
/// compactly. A body that is not JSON becomes empty (it might hold a token in another form).
pub fn redact_json_keys(body: &[u8], keys: &[&str]) -> Vec<u8> {
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    replace_keys(&mut value, keys);
    serde_json::to_vec(&value).unwrap_or_default()
}

/// Replaces the string values of `keys` (compared without regard to case, at any depth) in
/// `value` by [`REDACTED`]: a request body as an exchange may show it.
pub fn redact_value_keys(value: &mut Value, keys: &[&str]) {
    replace_keys(value, keys);
}

fn replace_keys(value: &mut Value, keys: &[&str]) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if item.is_string() && keys.iter().any(|k| k.eq_ignore_ascii_case(key)) {
                    *item = Value::String(REDACTED.to_owned());
                } else {
                    replace_keys(item, keys);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| replace_keys(item, keys)),
        _ => {}
    }
}

/// The start of a body as one line for an error message: at most 200 characters, whitespace
/// runs collapsed, control characters dropped, `…` when cut, `(empty)` for nothing. Only the
/// head of the body is looked at, however long it is.
pub fn snippet(body: &[u8]) -> String {
    let head = body.get(..SNIPPET_CHARS * 4).unwrap_or(body);
    let text = String::from_utf8_lossy(head);
    let mut out = String::new();
    let mut count = 0;
    let mut last_space = false;
    let mut cut = head.len() < body.len();
    for c in text.chars() {
        if count == SNIPPET_CHARS {
            cut = true;
            break;
        }
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                count += 1;
            }
            last_space = true;
        } else if !c.is_control() && !is_invisible(c) {
            out.push(c);
            count += 1;
            last_space = false;
        }
    }
    let mut out = out.trim().to_owned();
    if out.is_empty() && !cut {
        return "(empty)".to_owned();
    }
    if cut {
        out.push('…');
    }
    out
}

/// Bidirectional overrides and zero-width characters: never quoted onto a terminal.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    fn secrets(list: &[&str]) -> Secrets {
        let s = Secrets::new();
        for item in list {
            s.add(&SecretString::from(*item));
        }
        s
    }

    #[test]
    fn scrubs_plain_basic_and_escaped_forms() {
        let s = secrets(&["secret-key", r#"pa"ss\word"#]);
        assert_eq!(
            s.scrub("bad key secret-key, header Basic c2VjcmV0LWtleTo="),
            "bad key [REDACTED], header Basic [REDACTED]"
        );
        assert_eq!(
            s.scrub(r#"{"m":"pa\"ss\\word"} raw pa"ss\word"#),
            r#"{"m":"[REDACTED]"} raw [REDACTED]"#
        );
    }

    #[test]
    fn json_escaped_forms_are_scrubbed_too() {
        let s = secrets(&["P@ss+w/rd"]);
        for echoed in [
            r#"{"m":"P@ss+w/rd"}"#,
            r#"{"m":"P@ss+w\/rd"}"#,
            r#"{"m":"P\u0040ss\u002bw\u002frd"}"#,
            r#"{"m":"P\u0040ss\u002Bw\u002Frd"}"#,
        ] {
            assert_eq!(s.scrub(echoed), r#"{"m":"[REDACTED]"}"#, "{echoed}");
        }
    }

    #[test]
    fn secrets_added_later_are_scrubbed_from_then_on() {
        let s = secrets(&["password-1"]);
        let clone = s.clone();
        assert_eq!(clone.scrub("Bearer eyJ.token.x"), "Bearer eyJ.token.x");
        s.add(&SecretString::from("eyJ.token.x"));
        assert_eq!(clone.scrub("Bearer eyJ.token.x"), "Bearer [REDACTED]");
        assert_eq!(format!("{clone:?}"), "Secrets { count: 2 }");
        s.add(&SecretString::from("abc"));
        assert_eq!(s.scrub("abc"), "abc", "too short to look for");
    }

    #[test]
    fn bytes_are_scrubbed_in_place_and_kept_otherwise() {
        let s = secrets(&["secret-key"]);
        let clean = b"{\"a\": 1,\n \xff}".to_vec();
        assert_eq!(s.scrub_bytes(clean.clone()), clean);
        assert_eq!(
            s.scrub_bytes(b"\xffkey secret-keysecret-key; Basic c2VjcmV0LWtleTo=\n".to_vec()),
            b"\xffkey [REDACTED][REDACTED]; Basic [REDACTED]\n".to_vec()
        );
        assert_eq!(s.scrub_bytes(b"secret-ke".to_vec()), b"secret-ke".to_vec());
    }

    #[test]
    fn values_are_scrubbed_in_keys_and_strings() {
        let s = secrets(&["k3y-value"]);
        let v = json!({"details": "bad k3y-value", "k3y-value": ["k3y-value", 1]});
        assert_eq!(
            s.scrub_value(v),
            json!({"details": "bad [REDACTED]", "[REDACTED]": ["[REDACTED]", 1]})
        );
    }

    #[test]
    fn token_answers_lose_their_token_values() {
        let body =
            br#"{ "accessToken": "eyJ.abc", "data": [{"RefreshToken": "r-1"}], "expiresIn": 60 }"#;
        let out: Value =
            serde_json::from_slice(&redact_json_keys(body, &["accessToken", "refreshToken"]))
                .unwrap();
        assert_eq!(
            out,
            json!({"accessToken": "[REDACTED]", "data": [{"RefreshToken": "[REDACTED]"}], "expiresIn": 60})
        );
        assert!(redact_json_keys(b"accessToken=eyJ.abc", &["accessToken"]).is_empty());
    }

    #[test]
    fn snippets_are_short_single_lines() {
        assert_eq!(snippet(b""), "(empty)");
        assert_eq!(
            snippet(b"<html>\n  <body>x\x1b[31m\xe2\x80\xaey</body>\n</html>"),
            "<html> <body>x[31my</body> </html>"
        );
        let long = "x".repeat(500);
        let s = snippet(long.as_bytes());
        assert_eq!(s.chars().count(), 201);
        assert!(s.ends_with('…'));
        assert_eq!(snippet(&[0xff, 0xfe, b'a']), "\u{fffd}\u{fffd}a");
    }
}
