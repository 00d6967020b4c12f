//! Reading a JSON body into a typed value, naming the JSON path where it fails.

use serde::de::DeserializeOwned;

/// Longest JSON path quoted in a message (a hostile body can nest thousands of levels deep).
const MAX_PATH_CHARS: usize = 120;

/// Why a body did not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// The JSON path that failed, e.g. `companies[3].seatDays` (`.` for the whole body).
    pub path: String,
    /// What was wrong there.
    pub message: String,
    /// What kind of failure it was.
    pub kind: JsonErrorKind,
}

/// The kinds of [`JsonError`] a client treats differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorKind {
    /// The body ended before the JSON did (cut off on the way): worth another attempt.
    CutOff,
    /// Not JSON at all, or malformed.
    Syntax,
    /// Well-formed JSON of another shape (a type, a missing field): asking again will not help.
    Shape,
}

/// Decodes `body` as `T`: the whole body, nothing after the value.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, JsonError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = short_path(e.path().to_string());
        from_serde(path, e.into_inner())
    })?;
    deserializer.end().map_err(|e| JsonError {
        path: ".".to_owned(),
        message: format!("unexpected data after the JSON value ({e})"),
        kind: JsonErrorKind::Syntax,
    })?;
    Ok(value)
}

fn from_serde(path: String, error: serde_json::Error) -> JsonError {
    use serde_json::error::Category;
    let kind = match error.classify() {
        Category::Eof => JsonErrorKind::CutOff,
        Category::Syntax | Category::Io => JsonErrorKind::Syntax,
        Category::Data => JsonErrorKind::Shape,
    };
    JsonError {
        path,
        message: error.to_string(),
        kind,
    }
}

/// A JSON path short enough for a one-line message (at most 120 characters, then `…`).
pub fn short_path(path: String) -> String {
    if path.chars().count() <= MAX_PATH_CHARS {
        return path;
    }
    let mut out: String = path.chars().take(MAX_PATH_CHARS).collect();
    out.push('…');
    out
}

/// An error and its causes, joined with `: ` (each cause once).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Page {
        #[allow(dead_code)]
        items: Vec<BTreeMap<String, u32>>,
    }

    #[test]
    fn kinds_and_paths() {
        assert!(decode_json::<Page>(br#"{"items":[{"a":1}]}"#).is_ok());
        let cut = decode_json::<Page>(br#"{"items":[{"a":1},"#).err();
        assert_eq!(cut.map(|e| e.kind), Some(JsonErrorKind::CutOff));
        let shape = decode_json::<Page>(br#"{"items":[{"a":1},{"b":-2}]}"#).err();
        assert_eq!(shape.as_ref().map(|e| e.kind), Some(JsonErrorKind::Shape));
        assert_eq!(shape.map(|e| e.path), Some("items[1].b".to_owned()));
        let html = decode_json::<Page>(b"<html>").err();
        assert_eq!(html.map(|e| e.kind), Some(JsonErrorKind::Syntax));
        let trailing = decode_json::<Page>(br#"{"items":[]} x"#).err();
        assert_eq!(trailing.map(|e| e.path), Some(".".to_owned()));
    }

    #[test]
    fn deep_paths_are_shortened() {
        let body = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let error = decode_json::<Vec<Vec<Vec<Vec<Vec<String>>>>>>(body.as_bytes()).err();
        assert!(error.is_some_and(|e| e.path.chars().count() <= MAX_PATH_CHARS + 1));
    }
}
