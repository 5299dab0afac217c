//! How the document writes itself, so that bytes we add look like the bytes around them.

/// The document's own conventions, detected once at load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    /// `"\n"` or `"\r\n"`.
    pub newline: &'static str,
    /// The quote character attributes use (libvirt writes `'`).
    pub quote: char,
    /// One level of indentation (libvirt writes two spaces).
    pub indent: String,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            newline: "\n",
            quote: '\'',
            indent: "  ".into(),
        }
    }
}

impl Style {
    pub(crate) fn detect(
        src: &str,
        first_quote: Option<u8>,
        first_child_indent: Option<&str>,
    ) -> Style {
        let newline = match src.find('\n') {
            Some(p) if p > 0 && src.as_bytes()[p - 1] == b'\r' => "\r\n",
            _ => "\n",
        };
        let quote = match first_quote {
            Some(b'"') => '"',
            _ => '\'',
        };
        let indent = match first_child_indent {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => "  ".to_string(),
        };
        Style {
            newline,
            quote,
            indent,
        }
    }

    /// `value` escaped for an attribute quoted with this style's quote.
    pub fn escape_attr(&self, value: &str) -> String {
        let mut out = String::with_capacity(value.len());
        for c in value.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '\'' if self.quote == '\'' => out.push_str("&apos;"),
                '"' if self.quote == '"' => out.push_str("&quot;"),
                '\t' => out.push_str("&#9;"),
                '\n' => out.push_str("&#10;"),
                '\r' => out.push_str("&#13;"),
                c => out.push(c),
            }
        }
        out
    }

    /// ` name='value'` in this style.
    pub fn attribute(&self, name: &str, value: &str) -> String {
        format!(
            " {name}={q}{v}{q}",
            q = self.quote,
            v = self.escape_attr(value)
        )
    }

    /// `text` escaped for element content.
    pub fn escape_text(text: &str) -> String {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }
}
