//! Attributes with their exact byte spans (found by [`super::scan::attributes`]): lossless
//! editing needs the value's byte range and its quote character.

use std::ops::Range;

/// One attribute, in 16 bytes (offsets fit `u32`, as files are at most 64 MiB): a large domain has
/// hundreds of thousands. In the index the offsets are stored as its element's start tag's
/// (fixed or floating, see `split.rs`); [`super::Document::attrs`] hands out copies with plain
/// offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attr {
    name_start: u32,
    value_start: u32,
    value_len: u32,
    /// Names are at most [`MAX_NAME`] bytes (the scanner refuses longer ones).
    name_len: u16,
    quote: u8,
}

/// The longest attribute name the index stores.
pub(crate) const MAX_NAME: usize = u16::MAX as usize;

impl Attr {
    pub(crate) fn new(name: Range<usize>, value: Range<usize>, quote: u8) -> Attr {
        debug_assert!(name.len() <= MAX_NAME);
        Attr {
            name_start: name.start as u32,
            value_start: value.start as u32,
            value_len: value.len() as u32,
            name_len: name.len() as u16,
            quote,
        }
    }

    /// This entry with its offsets decoded (stored fixed or floating, see [`super::decode`]).
    #[inline]
    pub(crate) fn decoded(&self, fixed: bool, shift: u32) -> Attr {
        Attr {
            name_start: super::decode(self.name_start, fixed, shift),
            value_start: super::decode(self.value_start, fixed, shift),
            ..*self
        }
    }

    /// The stored offsets, as `(name start, value start)` (for re-encoding).
    pub(crate) fn offsets_mut(&mut self) -> [&mut u32; 2] {
        [&mut self.name_start, &mut self.value_start]
    }

    /// The qualified name (`xmlns:qemu`, `name`).
    pub fn name(&self) -> Range<usize> {
        let start = self.name_start as usize;
        start..start + self.name_len as usize
    }

    /// The raw value between the quotes (references not resolved).
    pub fn value_span(&self) -> Range<usize> {
        let start = self.value_start as usize;
        start..start + self.value_len as usize
    }

    /// `'` or `"`.
    pub fn quote(&self) -> u8 {
        self.quote
    }

    /// From the whitespace before the name to the closing quote: what removing it removes.
    /// (Found from `src` rather than stored: only removing an attribute needs it.)
    pub fn whole(&self, src: &str) -> Range<usize> {
        let before = &src.as_bytes()[..self.name_start as usize];
        let spaces = before
            .iter()
            .rev()
            .take_while(|&&b| super::scan::is_space(b))
            .count();
        self.name_start as usize - spaces..self.value_span().end + 1
    }

    /// The value as an XML parser reports it: literal tab, CR and LF turned into spaces, then
    /// references resolved (attribute-value normalisation, XML 1.0 §3.3.3: `&#10;` stays a
    /// line feed).
    pub fn value(&self, src: &str) -> String {
        let raw = &src[self.value_span()];
        let normalised = if memchr::memchr3(b'\t', b'\r', b'\n', raw.as_bytes()).is_some() {
            std::borrow::Cow::Owned(raw.replace("\r\n", " ").replace(['\t', '\r', '\n'], " "))
        } else {
            std::borrow::Cow::Borrowed(raw)
        };
        if memchr::memchr(b'&', normalised.as_bytes()).is_none() {
            return normalised.into_owned();
        }
        quick_xml::escape::unescape(&normalised)
            .map(|c| c.into_owned())
            .unwrap_or_else(|_| normalised.into_owned())
    }
}
