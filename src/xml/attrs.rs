//! Attributes with their exact byte spans.
//!
//! quick-xml parses attributes but does not report where each one is in the source; lossless
//! editing needs the value's byte range and its quote character, so this small scanner runs over
//! the raw start tag that quick-xml has already delimited.

use std::ops::Range;

/// One attribute, in 20 bytes (offsets fit `u32`, see [`super::Span`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    name: super::Span,
    value: super::Span,
    /// Where the whitespace before the name starts.
    whole_start: u32,
    quote: u8,
}

impl Attr {
    /// The qualified name (`xmlns:qemu`, `name`).
    pub fn name(&self) -> Range<usize> {
        self.name.range()
    }

    /// The raw value between the quotes (references not resolved).
    pub fn value_span(&self) -> Range<usize> {
        self.value.range()
    }

    /// `'` or `"`.
    pub fn quote(&self) -> u8 {
        self.quote
    }

    /// From the whitespace before the name to the closing quote: what removing it removes.
    pub fn whole(&self) -> Range<usize> {
        self.whole_start as usize..self.value.end as usize + 1
    }

    /// The value as an XML parser reports it: references resolved, and tab, CR and LF turned
    /// into spaces (attribute-value normalisation, XML 1.0 §3.3.3).
    pub fn value(&self, src: &str) -> String {
        let raw = &src[self.value.range()];
        let resolved = quick_xml::escape::unescape(raw)
            .map(|c| c.into_owned())
            .unwrap_or_else(|_| raw.to_string());
        if resolved.contains(['\t', '\r', '\n']) {
            resolved
                .replace("\r\n", " ")
                .replace(['\t', '\r', '\n'], " ")
        } else {
            resolved
        }
    }
}

/// Scans the attributes of the start tag `src[tag]`, whose name ends at `name_end`.
/// Appends the attributes to `out`, or returns (offset, message) for the first malformed one.
pub(crate) fn scan(
    src: &str,
    name_end: usize,
    tag_end: usize,
    out: &mut Vec<Attr>,
) -> Result<(), (usize, String)> {
    let bytes = src.as_bytes();
    let first = out.len();
    let mut i = name_end;
    loop {
        let ws_start = i;
        while i < tag_end && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= tag_end {
            return Ok(());
        }
        if i == ws_start {
            return Err((i, "attributes must be separated by whitespace".into()));
        }
        let name_start = i;
        while i < tag_end && !bytes[i].is_ascii_whitespace() && bytes[i] != b'=' {
            i += 1;
        }
        let name = name_start..i;
        while i < tag_end && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= tag_end || bytes[i] != b'=' {
            return Err((
                name_start,
                format!("attribute `{}` has no value", &src[name.clone()]),
            ));
        }
        i += 1;
        while i < tag_end && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= tag_end || (bytes[i] != b'\'' && bytes[i] != b'"') {
            return Err((
                i,
                format!(
                    "the value of attribute `{}` is not quoted",
                    &src[name.clone()]
                ),
            ));
        }
        let quote = bytes[i];
        let value_start = i + 1;
        // The closing quote, or a `<` (never allowed in a value) found on the way.
        let found = memchr::memchr2(quote, b'<', &bytes[value_start..tag_end]);
        let Some(len) = found.filter(|&k| bytes[value_start + k] == quote) else {
            if let Some(k) = found {
                return Err((
                    value_start + k,
                    format!(
                        "the value of attribute `{}` contains `<`",
                        &src[name.clone()]
                    ),
                ));
            }
            return Err((
                i,
                format!(
                    "the value of attribute `{}` is not closed",
                    &src[name.clone()]
                ),
            ));
        };
        let value = value_start..value_start + len;
        i = value.end + 1;
        if out[first..]
            .iter()
            .any(|a: &Attr| src[a.name()] == src[name.clone()])
        {
            return Err((
                name_start,
                format!("attribute `{}` is given twice", &src[name.clone()]),
            ));
        }
        out.push(Attr {
            name: super::Span::of(name),
            value: super::Span::of(value),
            whole_start: ws_start as u32,
            quote,
        });
    }
}
