//! Keeping the API key out of everything the client reports.
//!
//! The key only ever leaves the client in the `Authorization` header, but error text comes from
//! the server (a proxy's error page may echo request headers), so every string that came over
//! the wire is scrubbed of the key and of its Basic-auth encoding before an error keeps it.

use secrecy::{ExposeSecret, SecretString};

/// Characters of a body shown in an error.
const SNIPPET_CHARS: usize = 200;
/// Bytes of a body looked at for a snippet (more than the snippet, so that a key straddling the
/// cut is still found and removed).
const SNIPPET_SCAN_BYTES: usize = 2048;

/// Replaces the API key (plain and Basic-encoded) with `[REDACTED]`.
pub(crate) struct Redactor {
    needles: Vec<SecretString>,
}

impl Redactor {
    /// A redactor for `key`.
    pub(crate) fn new(key: &str) -> Self {
        let mut needles = Vec::new();
        if !key.is_empty() {
            needles.push(SecretString::from(base64(format!("{key}:").as_bytes())));
            // As it appears inside a JSON string or a Debug-formatted one.
            let escaped = key.replace('\\', "\\\\").replace('"', "\\\"");
            if escaped != key {
                needles.push(SecretString::from(escaped));
            }
            needles.push(SecretString::from(key.to_owned()));
        }
        Self { needles }
    }

    /// `text` without the key.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for needle in &self.needles {
            let needle = needle.expose_secret();
            if out.contains(needle) {
                out = out.replace(needle, "[REDACTED]");
            }
        }
        out
    }

    /// `bytes` with the key replaced by `[REDACTED]`, byte for byte: everything else (invalid
    /// UTF-8, whitespace, key order) stays as it was. Usually nothing is replaced and `bytes`
    /// comes back unchanged.
    pub(crate) fn scrub_bytes(&self, bytes: Vec<u8>) -> Vec<u8> {
        let mut out = bytes;
        for needle in &self.needles {
            out = replace_bytes(out, needle.expose_secret().as_bytes(), b"[REDACTED]");
        }
        out
    }

    /// `value` with the key removed from every string and object key in it.
    pub(crate) fn scrub_value(&self, value: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
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

    /// The start of a body as one line, scrubbed: at most 200 characters, whitespace runs
    /// collapsed, control characters dropped, `…` when cut.
    pub(crate) fn snippet(&self, body: &[u8]) -> String {
        if body.is_empty() {
            return "(empty)".to_string();
        }
        let head = body.get(..SNIPPET_SCAN_BYTES).unwrap_or(body);
        let text = self.scrub(&String::from_utf8_lossy(head));
        let mut out = String::new();
        let mut count = 0;
        let mut last_space = false;
        let mut cut = body.len() > head.len();
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
            } else if !c.is_control() {
                out.push(c);
                count += 1;
                last_space = false;
            }
        }
        let mut out = out.trim().to_string();
        if cut {
            out.push('…');
        }
        out
    }
}

/// `haystack` with every occurrence of `needle` replaced by `with` (left to right, no overlaps).
fn replace_bytes(haystack: Vec<u8>, needle: &[u8], with: &[u8]) -> Vec<u8> {
    if needle.is_empty() || !haystack.windows(needle.len()).any(|w| w == needle) {
        return haystack;
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack.as_slice();
    while !rest.is_empty() {
        if rest.starts_with(needle) {
            out.extend_from_slice(with);
            rest = rest.get(needle.len()..).unwrap_or_default();
        } else if let Some((first, tail)) = rest.split_first() {
            out.push(*first);
            rest = tail;
        }
    }
    out
}

/// Standard base64 with padding (what HTTP Basic uses).
fn base64(input: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sextet = |n: u32| char::from(TABLE[(n & 63) as usize]);
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b0 = u32::from(chunk.first().copied().unwrap_or(0));
        let b1 = u32::from(chunk.get(1).copied().unwrap_or(0));
        let b2 = u32::from(chunk.get(2).copied().unwrap_or(0));
        let n = (b0 << 16) | (b1 << 8) | b2;
        out.push(sextet(n >> 18));
        out.push(sextet(n >> 12));
        out.push(if chunk.len() > 1 { sextet(n >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(n) } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"secret-key:"), "c2VjcmV0LWtleTo=");
    }

    #[test]
    fn scrubs_plain_and_encoded_key() {
        let r = Redactor::new("secret-key");
        assert_eq!(
            r.scrub("bad key secret-key, header Basic c2VjcmV0LWtleTo="),
            "bad key [REDACTED], header Basic [REDACTED]"
        );
    }

    #[test]
    fn scrubs_escaped_keys_and_json_values() {
        let r = Redactor::new(r#"k"e\y"#);
        assert_eq!(r.scrub(r#"{"m":"k\"e\\y"}"#), r#"{"m":"[REDACTED]"}"#);
        assert_eq!(r.scrub(r#"raw k"e\y"#), "raw [REDACTED]");
        let v = serde_json::json!({"details": r#"bad k"e\y"#, r#"k"e\y"#: [r#"k"e\y"#, 1]});
        assert_eq!(
            r.scrub_value(v),
            serde_json::json!({"details": "bad [REDACTED]", "[REDACTED]": ["[REDACTED]", 1]})
        );
    }

    #[test]
    fn scrubs_bytes_in_place_and_keeps_the_rest() {
        let r = Redactor::new("secret-key");
        let clean = b"{\"a\": 1,\n \xff}".to_vec();
        assert_eq!(r.scrub_bytes(clean.clone()), clean);
        assert_eq!(
            r.scrub_bytes(b"\xffkey secret-keysecret-key; Basic c2VjcmV0LWtleTo=\n".to_vec()),
            b"\xffkey [REDACTED][REDACTED]; Basic [REDACTED]\n".to_vec()
        );
        assert_eq!(r.scrub_bytes(b"secret-ke".to_vec()), b"secret-ke".to_vec());
        assert_eq!(r.scrub_bytes(Vec::new()), Vec::<u8>::new());
    }

    #[test]
    fn snippets_are_short_single_lines() {
        let r = Redactor::new("k3y-value");
        assert_eq!(r.snippet(b""), "(empty)");
        assert_eq!(
            r.snippet(b"<html>\n  <body>k3y-value</body>\n</html>"),
            "<html> <body>[REDACTED]</body> </html>"
        );
        let long = "x".repeat(500);
        let s = r.snippet(long.as_bytes());
        assert_eq!(s.chars().count(), 201);
        assert!(s.ends_with('…'));
        assert_eq!(r.snippet(&[0xff, 0xfe, b'a']), "\u{fffd}\u{fffd}a");
    }
}
