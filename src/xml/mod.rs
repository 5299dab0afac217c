//! The lossless document: the original bytes plus a flat index of every element's byte spans.
//!
//! Nothing here re-serialises XML. Reading goes through the index; writing is done by splicing
//! new bytes into ranges of the original text (see [`splice`]), so every byte outside an edit is
//! copied unchanged.

mod attrs;
mod edit;
mod error;
mod index;
mod reindex;
mod scan;
pub mod splice;
mod style;

pub use attrs::Attr;
pub use error::{LoadError, Position};
pub use splice::Splice;
pub use style::Style;

use std::ops::Range;
use std::sync::Arc;

/// The libvirt QEMU namespace (`<qemu:commandline>`, and the proposed `<qemu:cpu>`).
pub const QEMU_NS: &str = "http://libvirt.org/schemas/domain/qemu/1.0";

/// Files above this size are refused before parsing (DESIGN §3).
pub const MAX_FILE_SIZE: usize = 64 * 1024 * 1024;

/// Index of an element in the document (elements are numbered in document order).
pub type ElemId = usize;

/// A byte range stored in 8 bytes: files are at most [`MAX_FILE_SIZE`] (64 MiB), so offsets fit
/// `u32`, and a compact index is what keeps large domains fast and small in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub(crate) fn of(r: Range<usize>) -> Span {
        Span {
            start: r.start as u32,
            end: r.end as u32,
        }
    }

    pub(crate) fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// "No element" in the compact links.
pub(crate) const NO_ELEMENT: u32 = u32::MAX;

/// "No namespace".
pub(crate) const NO_NS: u16 = u16::MAX;

pub(crate) fn link(id: u32) -> Option<ElemId> {
    (id != NO_ELEMENT).then_some(id as usize)
}

/// One element of the document, by byte spans into the source text, in 40 bytes: a large
/// domain has hundreds of thousands, and every edit moves the ones after it.
#[derive(Debug, Clone)]
pub struct Element {
    /// The whole start tag (`<cpu mode='x'>` or the empty-element tag `<cpu/>`).
    pub(crate) open: Span,
    /// The end tag (`</cpu>`); for an empty-element tag, the empty span where the start tag
    /// ends (so that `outer` and shifting need no special case).
    pub(crate) close: Span,
    /// Length of the qualified name as written (`qemu:cpu`); it starts right after `<`.
    pub(crate) name_len: u16,
    /// Length of the prefix including the colon (0 when unprefixed).
    pub(crate) prefix_len: u8,
    /// An empty-element tag (`<cpu/>`).
    pub(crate) empty: bool,
    /// Namespace URI index into [`Document::namespaces`], or [`NO_NS`].
    pub(crate) ns: u16,
    pub(crate) parent: u32,
    pub(crate) first_child: u32,
    pub(crate) next_sibling: u32,
    /// Attributes are stored flat in [`Document::attrs`]; this element's are
    /// `attrs_start..attrs_start + attrs_len`.
    pub(crate) attrs_start: u32,
    pub(crate) attrs_len: u16,
}

/// Limits of the compact element entry; the indexer refuses names and tags beyond them.
pub(crate) const MAX_ELEMENT_NAME: usize = u16::MAX as usize;
pub(crate) const MAX_PREFIX: usize = u8::MAX as usize;
pub(crate) const MAX_ATTRIBUTES: usize = u16::MAX as usize;

impl Element {
    /// The whole start tag.
    pub fn open(&self) -> Range<usize> {
        self.open.range()
    }

    /// The end tag, `None` for an empty-element tag.
    pub fn close(&self) -> Option<Range<usize>> {
        (!self.empty).then(|| self.close.range())
    }

    /// The qualified name as written.
    pub fn qname_range(&self) -> Range<usize> {
        let start = self.open.start as usize + 1;
        start..start + self.name_len as usize
    }

    /// Bytes between the start and the end tag (empty range at the tag's end for `<x/>`).
    pub fn inner(&self) -> Range<usize> {
        self.open.end as usize..self.close.start as usize
    }

    /// From the `<` of the start tag to the `>` of the end tag.
    pub fn outer(&self) -> Range<usize> {
        self.open.start as usize..self.close.end as usize
    }

    pub fn is_empty_tag(&self) -> bool {
        self.empty
    }

    pub(crate) fn attr_range(&self) -> Range<usize> {
        let start = self.attrs_start as usize;
        start..start + self.attrs_len as usize
    }
}

/// A parsed document: the exact source plus its element index.
#[derive(Debug, Clone)]
pub struct Document {
    /// Shared, so that keeping the text as loaded (the TUI's "on disk" side) costs no copy.
    src: Arc<String>,
    elements: Vec<Element>,
    attrs: Vec<Attr>,
    namespaces: Vec<String>,
    root: ElemId,
    style: Style,
}

impl Document {
    /// Parses `bytes` into a lossless document, refusing what virt-cpu cannot edit safely.
    pub fn parse(bytes: &[u8]) -> Result<Document, LoadError> {
        index::build(bytes)
    }

    /// Like [`Document::parse`], keeping the buffer instead of copying it (for files read whole).
    pub fn parse_owned(bytes: Vec<u8>) -> Result<Document, LoadError> {
        if bytes.len() > MAX_FILE_SIZE {
            return Err(LoadError::TooLarge {
                size: bytes.len() as u64,
                limit: MAX_FILE_SIZE,
            });
        }
        index::build_owned(bytes)
    }

    /// Applies `splices` and re-indexes, changing nothing when the result does not parse.
    /// Returns the inverse splices (empty when the text did not change). Only the elements
    /// the splices touch are scanned again (see `src/xml/reindex.rs`).
    pub fn apply(&mut self, splices: &[Splice]) -> Result<Vec<Splice>, ApplyError> {
        if splices.is_empty() {
            return Ok(Vec::new());
        }
        // Edit the text in place when nothing else holds it (after the first edit), else a copy.
        let old_len = self.src.len();
        let mut text = match Arc::get_mut(&mut self.src) {
            Some(own) => std::mem::take(own),
            None => self.src.as_str().to_owned(),
        };
        let inverse = match splice::apply_in_place(&mut text, splices) {
            Ok(inverse) => inverse,
            Err(overlap) => {
                self.restore(text, &[]);
                return Err(overlap.into());
            }
        };
        if inverse
            .iter()
            .all(|inv| text[inv.range.clone()] == inv.text)
        {
            self.restore(text, &[]);
            return Ok(Vec::new());
        }
        let lo = splices.iter().map(|s| s.range.start).min().unwrap_or(0);
        let hi = splices.iter().map(|s| s.range.end).max().unwrap_or(0);
        if let Some((plan, parts)) = reindex::localised(self, old_len, lo..hi, &text) {
            reindex::commit(self, plan, parts, text);
            return Ok(inverse);
        }
        match Document::parse(text.as_bytes()) {
            Ok(doc) => {
                *self = doc;
                Ok(inverse)
            }
            Err(e) => {
                self.restore(text, &inverse);
                Err(e.into())
            }
        }
    }

    /// Puts the text back after a refused change, undoing `inverse` first.
    fn restore(&mut self, mut text: String, inverse: &[Splice]) {
        if !inverse.is_empty() {
            splice::apply_in_place(&mut text, inverse)
                .expect("the inverse of splices just applied is well-formed");
        }
        // When the text was shared, `text` was a copy and the original is still here.
        if let Some(own) = Arc::get_mut(&mut self.src) {
            *own = text;
        }
    }

    /// The document's writing conventions, from its first attribute and its root's first
    /// child.
    fn detect_style(&mut self) {
        let first_quote = self.attrs.first().map(|a| a.quote());
        let indent = link(self.elements[self.root].first_child)
            .and_then(|c| self.line_indent(c))
            .map(str::to_string);
        self.style = Style::detect(&self.src, first_quote, indent.as_deref());
    }

    /// The two-core index of a large document, with its split forced at `at` (for tests: the
    /// real one picks the split itself). `None` where it would fall back to one core.
    #[doc(hidden)]
    pub fn parse_split_at(bytes: &[u8], at: usize) -> Option<Document> {
        index::build_split_at(bytes, at)
    }

    pub fn source(&self) -> &str {
        &self.src
    }

    pub fn into_source(self) -> String {
        Arc::try_unwrap(self.src).unwrap_or_else(|shared| (*shared).clone())
    }

    /// The source, shared without copying.
    pub fn shared_source(&self) -> Arc<String> {
        Arc::clone(&self.src)
    }

    pub fn style(&self) -> &Style {
        &self.style
    }

    pub fn root(&self) -> ElemId {
        self.root
    }

    pub fn element(&self, id: ElemId) -> &Element {
        &self.elements[id]
    }

    pub fn element_count(&self) -> usize {
        self.elements.len()
    }

    pub fn namespaces(&self) -> &[String] {
        &self.namespaces
    }

    /// The qualified name as written.
    pub fn qname(&self, id: ElemId) -> &str {
        &self.src[self.elements[id].qname_range()]
    }

    /// The name without its prefix.
    pub fn local_name(&self, id: ElemId) -> &str {
        let e = &self.elements[id];
        &self.src[e.qname_range().start + e.prefix_len as usize..e.qname_range().end]
    }

    /// The prefix as written, without the colon (`None` when unprefixed).
    pub fn prefix(&self, id: ElemId) -> Option<&str> {
        let e = &self.elements[id];
        let q = e.qname_range();
        (e.prefix_len > 0).then(|| &self.src[q.start..q.start + e.prefix_len as usize - 1])
    }

    pub fn namespace(&self, id: ElemId) -> Option<&str> {
        let ns = self.elements[id].ns;
        (ns != NO_NS).then(|| self.namespaces[ns as usize].as_str())
    }

    /// True when the element is in no namespace (plain libvirt elements).
    pub fn is_plain(&self, id: ElemId, local: &str) -> bool {
        let e = &self.elements[id];
        e.ns == NO_NS && self.local_name_is(e, local)
    }

    /// Compares the local name by length first: the length is in the index, and looking at
    /// the source for every child of a large `<devices>` would cost a cache miss each.
    fn local_name_is(&self, e: &Element, local: &str) -> bool {
        let name = e.qname_range();
        name.len() - e.prefix_len as usize == local.len()
            && &self.src.as_bytes()[name.start + e.prefix_len as usize..name.end]
                == local.as_bytes()
    }

    /// True when the element is `local` in the libvirt QEMU namespace, whatever its prefix.
    pub fn is_qemu(&self, id: ElemId, local: &str) -> bool {
        let e = &self.elements[id];
        self.local_name_is(e, local) && self.namespace(id) == Some(QEMU_NS)
    }

    pub fn parent(&self, id: ElemId) -> Option<ElemId> {
        link(self.elements[id].parent)
    }

    /// Direct child elements, in document order.
    pub fn children(&self, id: ElemId) -> Children<'_> {
        Children {
            doc: self,
            next: link(self.elements[id].first_child),
        }
    }

    /// Direct children in no namespace with this local name.
    pub fn plain_children<'a>(
        &'a self,
        id: ElemId,
        local: &'a str,
    ) -> impl Iterator<Item = ElemId> + 'a {
        self.children(id).filter(move |&c| self.is_plain(c, local))
    }

    /// The first direct child in no namespace with this local name.
    pub fn plain_child(&self, id: ElemId, local: &str) -> Option<ElemId> {
        self.plain_children(id, local).next()
    }

    pub fn attrs(&self, id: ElemId) -> &[Attr] {
        &self.attrs[self.elements[id].attr_range()]
    }

    /// The attribute with this exact (qualified) name.
    pub fn attr(&self, id: ElemId, name: &str) -> Option<&Attr> {
        self.attrs(id).iter().find(|a| &self.src[a.name()] == name)
    }

    /// The attribute's value with entity and character references resolved and whitespace
    /// normalised as an XML parser (and so libvirt) sees it.
    pub fn attr_value(&self, id: ElemId, name: &str) -> Option<String> {
        self.attr(id, name).map(|a| a.value(&self.src))
    }

    /// The element's text content (text and CDATA of its direct children, references
    /// resolved), which is what libvirt reads for `<model>NAME</model>`.
    pub fn text(&self, id: ElemId) -> String {
        index::text_content(&self.src, self.elements[id].inner())
    }

    /// 1-based line and column of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        Position::of(&self.src, offset)
    }

    /// The prefix bound to the QEMU namespace at the root element, if any (`Some("")` for a
    /// default-namespace binding, which we cannot use for new prefixed elements).
    pub fn qemu_prefix_on_root(&self) -> Option<String> {
        self.attrs(self.root).iter().find_map(|a| {
            let name = &self.src[a.name()];
            let prefix = name.strip_prefix("xmlns:")?;
            (a.value(&self.src) == QEMU_NS).then(|| prefix.to_string())
        })
    }

    /// The leading whitespace of the line the element starts on, when the element is the
    /// first thing on its line.
    pub fn line_indent(&self, id: ElemId) -> Option<&str> {
        let start = self.elements[id].open.start as usize;
        let line_start = self.src[..start].rfind('\n').map_or(0, |p| p + 1);
        let before = &self.src[line_start..start];
        before
            .chars()
            .all(|c| c == ' ' || c == '\t')
            .then_some(before)
    }
}

/// Why splices could not be applied (the document is unchanged).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Overlap(#[from] splice::Overlap),
    #[error(transparent)]
    Load(#[from] LoadError),
}

pub struct Children<'a> {
    doc: &'a Document,
    next: Option<ElemId>,
}

impl Iterator for Children<'_> {
    type Item = ElemId;
    fn next(&mut self) -> Option<ElemId> {
        let id = self.next?;
        self.next = link(self.doc.elements[id].next_sibling);
        Some(id)
    }
}
