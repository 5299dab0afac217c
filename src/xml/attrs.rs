//! Attributes with their exact byte spans (found by [`super::scan::attributes`]): lossless
//! editing needs the value's byte range and its quote character.

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
    pub(crate) fn new(
        name: Range<usize>,
        value: Range<usize>,
        whole_start: usize,
        quote: u8,
    ) -> Attr {
        Attr {
            name: super::Span::of(name),
            value: super::Span::of(value),
            whole_start: whole_start as u32,
            quote,
        }
    }

    /// Moves the attribute by `delta` bytes (the text before it changed length).
    pub(crate) fn shift(&mut self, delta: isize) {
        let by = |x: u32| x.wrapping_add(delta as u32);
        self.name = super::Span {
            start: by(self.name.start),
            end: by(self.name.end),
        };
        self.value = super::Span {
            start: by(self.value.start),
            end: by(self.value.end),
        };
        self.whole_start = by(self.whole_start);
    }

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

    /// The value as an XML parser reports it: literal tab, CR and LF turned into spaces, then
    /// references resolved (attribute-value normalisation, XML 1.0 §3.3.3: `&#10;` stays a
    /// line feed).
    pub fn value(&self, src: &str) -> String {
        let raw = &src[self.value.range()];
        let normalised = if raw.contains(['\t', '\r', '\n']) {
            std::borrow::Cow::Owned(raw.replace("\r\n", " ").replace(['\t', '\r', '\n'], " "))
        } else {
            std::borrow::Cow::Borrowed(raw)
        };
        quick_xml::escape::unescape(&normalised)
            .map(|c| c.into_owned())
            .unwrap_or_else(|_| normalised.into_owned())
    }
}
