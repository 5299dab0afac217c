//! Text that came from a document (names, values, file names), made safe to show on a terminal:
//! every character a terminal would act on instead of drawing — C0 and C1 controls (ESC starts
//! the sequences that clear the screen or write the clipboard, CSI U+009B is ESC `[`, BEL, CR…)
//! and the invisible format characters that reorder or hide text (bidi overrides and isolates
//! U+202A–U+202E and U+2066–U+2069, marks, zero-width characters, tags) — is written as an escape
//! (`\u{1b}`, `\t`), never sent raw. The CLI and the TUI both show text through this module, so
//! they escape alike.
//!
//! Three forms: [`one_line`] for a value (every line break and tab escaped too), [`lines`] for a
//! message, a report or a document, whose own formatting has line breaks (and maybe tabs), [`json`] for JSON text (escapes JSON reads
//! back as the same string, so JSON stays lossless).

use std::borrow::Cow;

/// Whether a terminal would act on `c` or hide it instead of drawing it: C0, DEL, C1, and the
/// invisible format characters (Unicode category Cf, line and paragraph separators) that can
/// reorder, hide or join the text around them.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'                        // soft hyphen
            | '\u{61c}'                     // Arabic letter mark
            | '\u{180e}'                    // Mongolian vowel separator
            | '\u{200b}'..='\u{200f}'       // zero-width space, joiners, LRM, RLM
            | '\u{2028}'..='\u{202e}'       // line/paragraph separators, bidi embeddings and overrides
            | '\u{2060}'..='\u{206f}'       // word joiner, invisible operators, bidi isolates
            | '\u{feff}'                    // zero-width no-break space (BOM)
            | '\u{fff9}'..='\u{fffb}'       // interlinear annotation
            | '\u{e0000}'..='\u{e007f}' // tags
        )
}

fn escape_into(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c => {
            use std::fmt::Write;
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

fn escaped(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    let hit = |c: char| is_unsafe(c) && !keep(c);
    if !s.chars().any(hit) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hit(c) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` as one line: every unsafe character escaped, line breaks and tabs included (`\n`, `\t`,
/// `\r`, `\u{1b}`, `\u{202e}`).
pub fn one_line(s: &str) -> Cow<'_, str> {
    escaped(s, |_| false)
}

/// `s` with its layout kept — line breaks (`\n`) and tabs — and every other unsafe character
/// escaped as [`one_line`] does: for messages, reports and documents, whose own formatting
/// breaks lines (and a document may indent with tabs). A terminal acts on neither but to move
/// the cursor as the text means.
pub fn lines(s: &str) -> Cow<'_, str> {
    escaped(s, |c| c == '\n' || c == '\t')
}

/// JSON text with the unsafe characters that JSON writers leave raw (DEL, C1, format characters)
/// written as JSON escapes (`\u009b`, `\u202e`, a surrogate pair past U+FFFF): the same JSON
/// value, so nothing is lost, and nothing a terminal acts on. JSON has such characters only
/// inside strings, where an escape means the character itself.
pub fn json(s: &str) -> Cow<'_, str> {
    // The C0 controls are escaped by every JSON writer already; a raw one is not JSON.
    let hit = |c: char| is_unsafe(c) && c >= '\u{7f}';
    if !s.chars().any(hit) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hit(c) {
            use std::fmt::Write;
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{u:04x}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_escapes_controls_line_breaks_and_bidi() {
        assert_eq!(one_line("Icelake"), "Icelake");
        assert_eq!(one_line("a\tb\nc\r"), "a\\tb\\nc\\r");
        assert_eq!(one_line("x\u{1b}[2Jy\u{7}"), "x\\u{1b}[2Jy\\u{7}");
        assert_eq!(one_line("\u{9b}31m\u{7f}"), "\\u{9b}31m\\u{7f}");
        assert_eq!(
            one_line("a\u{202e}b\u{2066}c\u{200b}\u{feff}\u{e0041}"),
            "a\\u{202e}b\\u{2066}c\\u{200b}\\u{feff}\\u{e0041}"
        );
        // Printable text of every script is drawn as it is.
        assert_eq!(one_line("日本語 é ü —"), "日本語 é ü —");
    }

    #[test]
    fn lines_keeps_line_breaks_and_tabs_only() {
        assert_eq!(
            lines("a\u{1b}]52;c;eA==\u{7}\n\tb\r\u{202e}"),
            "a\\u{1b}]52;c;eA==\\u{7}\n\tb\\r\\u{202e}"
        );
        assert!(matches!(lines("plain\ntext"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_escapes_are_the_same_string() {
        let value = "m\u{1b}[2J\u{9b}\u{202e}\u{e0041}\u{7f}é";
        let text = serde_json::to_string(value).unwrap();
        let safe = json(&text);
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        assert_eq!(serde_json::from_str::<String>(&safe).unwrap(), value);
        assert_eq!(json("{\"a\": \"é\"}"), "{\"a\": \"é\"}");
    }
}
