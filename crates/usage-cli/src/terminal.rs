//! Vendor text made safe to show on a terminal.

use std::borrow::Cow;

/// `text` with every character that could act on a terminal or hide what it says shown as an
/// escape (`\u{1b}`) instead: control characters (ESC sequences, OSC titles, bells, newlines),
/// bidirectional overrides and isolates (which reverse what a reader sees), and zero-width
/// characters. Text without any comes back as it is, without a copy.
pub(crate) fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped_and_plain_text_kept() {
        assert_eq!(safe("Łąka B.V."), "Łąka B.V.");
        assert!(matches!(safe("Hôtel du Lac"), Cow::Borrowed(_)));
        assert_eq!(safe("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(safe("\u{1b}]0;title\u{7}x"), "\\u{1b}]0;title\\u{7}x");
        assert_eq!(safe("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(safe("zero\u{200b}width"), "zero\\u{200b}width");
        assert_eq!(safe("two\nlines"), "two\\u{a}lines");
    }
}
