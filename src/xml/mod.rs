//! The lossless document: the original bytes plus a flat index of every element's byte spans.
//!
//! Nothing here re-serialises XML. Reading goes through the index; writing is done by splicing
//! new bytes into ranges of the original text (see [`splice`]), so every byte outside an edit is
//! copied unchanged.

mod attrs;
mod comments;
mod edit;
mod error;
mod gap;
mod index;
pub(crate) mod memory;
mod reindex;
mod scan;
pub mod splice;
mod split;
mod style;
mod swar;

pub use attrs::Attr;
pub use comments::{Comment, CommentPlace};
pub use error::{LoadError, Position};
pub use splice::Splice;
pub use style::Style;

use std::ops::Range;
use std::sync::Arc;

/// The libvirt QEMU namespace (`<qemu:commandline>`, and the proposed `<qemu:cpu>`).
pub const QEMU_NS: &str = "http://libvirt.org/schemas/domain/qemu/1.0";

/// Files above this size are refused before parsing (DESIGN §3).
pub const MAX_FILE_SIZE: usize = 64 * 1024 * 1024;

/// An element of the document: its slot in the index. Ids increase in document order but
/// are not contiguous (see [`Document::element_ids`]); an edit keeps the ids of the elements
/// it does not re-scan, except when [`Document::layout`] changes.
pub type ElemId = usize;

/// How the index stores byte offsets: an element's start tag (with its attributes) and its
/// end tag are each either *fixed* (the offset itself) or *floating* (the offset minus the
/// document's [`Document::shift`], wrapping). Elements after the index's split point (the
/// end of the last edit) float: an edit there changes the shift, and every offset after it
/// follows without being touched. The index is built all floating with a shift of 0, so
/// loading pays nothing for it (see `split.rs`).
#[inline]
pub(crate) fn decode(stored: u32, fixed: bool, shift: u32) -> u32 {
    if fixed {
        stored
    } else {
        stored.wrapping_add(shift)
    }
}

/// How offset `at` is stored, fixed or floating.
#[inline]
pub(crate) fn encode(at: u32, fixed: bool, shift: u32) -> u32 {
    if fixed { at } else { at.wrapping_sub(shift) }
}

/// [`Element::flags`]: an empty-element tag (`<x/>`).
pub(crate) const EMPTY: u8 = 1;
/// [`Element::flags`]: the start tag's offsets (and its attributes') are fixed.
pub(crate) const OPEN_FIXED: u8 = 2;
/// [`Element::flags`]: the end tag's offsets are fixed.
pub(crate) const CLOSE_FIXED: u8 = 4;

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
/// domain has hundreds of thousands. In the index the spans are stored fixed or floating (see
/// `split.rs`); [`Document::element`] hands out copies with plain offsets.
#[derive(Debug, Clone, Copy, Default)]
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
    /// [`EMPTY`], [`OPEN_FIXED`], [`CLOSE_FIXED`].
    pub(crate) flags: u8,
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
        (!self.is_empty_tag()).then(|| self.close.range())
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
        self.flags & EMPTY != 0
    }

    pub(crate) fn open_fixed(&self) -> bool {
        self.flags & OPEN_FIXED != 0
    }

    pub(crate) fn close_fixed(&self) -> bool {
        self.flags & CLOSE_FIXED != 0
    }

    pub(crate) fn attr_range(&self) -> Range<usize> {
        let start = self.attrs_start as usize;
        start..start + self.attrs_len as usize
    }

    /// This entry with its offsets decoded (a copy: all fixed).
    #[inline]
    pub(crate) fn decoded(&self, shift: u32) -> Element {
        let d = |s: Span, fixed: bool| Span {
            start: decode(s.start, fixed, shift),
            end: decode(s.end, fixed, shift),
        };
        Element {
            open: d(self.open, self.open_fixed()),
            close: d(self.close, self.close_fixed()),
            flags: self.flags | OPEN_FIXED | CLOSE_FIXED,
            ..*self
        }
    }
}

/// A parsed document: the exact source plus its element index.
#[derive(Debug, Clone)]
pub struct Document {
    /// Shared, so that keeping the text as loaded (the TUI's "on disk" side) costs no copy.
    src: Arc<String>,
    /// Element entries by id (slot), with the hole at the split point (see `gap.rs`).
    elements: gap::GapVec<Element>,
    /// Attribute entries, each element's together, with the hole at the split point.
    attrs: gap::GapVec<Attr>,
    /// The length of the text the index describes: the text's length, except while an edit
    /// is being applied (the text is edited before the index).
    len: u32,
    /// What floating offsets add (see [`decode`]): the text's growth since it was indexed.
    shift: u32,
    /// Elements starting before this text offset sit before the index's holes and have fixed
    /// start tags; the others float (see `split.rs`).
    split: usize,
    /// Changes whenever elements the index keeps change slots (the hole moved over them or
    /// grew): ids held from before are then stale.
    layout: u64,
    /// The text the last edit re-scanned (after it), when the last edit was localised.
    rescanned: Option<Range<usize>>,
    /// The text edits changed since [`Document::mark_unedited`] (today's offsets).
    edited: Option<Range<usize>>,
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
        // Edit the text in place when nothing else holds it (after the first edit), else a
        // copy with room to grow (so that inserting does not copy it again).
        let mut text = match Arc::get_mut(&mut self.src) {
            Some(own) => std::mem::take(own),
            None => spacious_copy(&self.src),
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
        let edited = widen(self.edited.clone(), lo..hi, self.len as usize, text.len());
        if let Some((plan, parts)) = reindex::localised(self, lo..hi, &text) {
            reindex::commit(self, plan, parts, text);
            self.edited = Some(edited);
            return Ok(inverse);
        }
        match Document::parse(text.as_bytes()) {
            Ok(mut doc) => {
                // Every id may have changed.
                doc.layout = self.layout + 1;
                doc.edited = Some(edited);
                *self = doc;
                Ok(inverse)
            }
            Err(e) => {
                self.restore(text, &inverse);
                Err(e.into())
            }
        }
    }

    /// Readies the document for edits inside element `id` (idle work: after it the first
    /// edit there costs what the next ones do). Moves the index's split to the end of the
    /// element's content, and makes the text the document's own, with room to grow. May
    /// renumber elements (see [`Document::layout`]).
    pub fn prepare_edits_in(&mut self, id: ElemId) {
        let e = self.element(id);
        if !e.is_empty_tag() {
            self.move_split(e.inner().end);
        }
        match Arc::get_mut(&mut self.src) {
            Some(own) => own.reserve(own.len() / 64 + 4096),
            None => self.src = Arc::new(spacious_copy(&self.src)),
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
        let first_quote = self
            .element_ids()
            .find_map(|id| self.attrs(id).next())
            .map(|a| a.quote());
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

    /// The element's entry, with plain byte offsets.
    pub fn element(&self, id: ElemId) -> Element {
        self.elements[id].decoded(self.shift)
    }

    pub fn element_count(&self) -> usize {
        self.elements.len()
    }

    /// Every element's id, in document order.
    pub fn element_ids(&self) -> impl DoubleEndedIterator<Item = ElemId> + '_ {
        self.elements.slots()
    }

    /// Changes when an edit renumbered elements it did not re-scan: ids taken before are
    /// stale then (otherwise an edit keeps every id outside what it re-scanned).
    pub fn layout(&self) -> u64 {
        self.layout
    }

    /// The text the last edit re-scanned, in today's offsets: every element outside it kept
    /// its entry (and, with the same [`Document::layout`], its id). `None` after a full parse.
    pub fn last_rescan(&self) -> Option<Range<usize>> {
        self.rescanned.clone()
    }

    /// The text that edits changed since the document was loaded or
    /// [`Document::mark_unedited`] (today's offsets; `None` when nothing was edited). Outside
    /// it, the text is what it was then: comparing with the file on disk needs only this.
    pub fn edited(&self) -> Option<Range<usize>> {
        self.edited.clone()
    }

    /// Takes the text as it is now as the unedited state (it was just saved or loaded).
    pub fn mark_unedited(&mut self) {
        self.edited = None;
    }

    pub fn namespaces(&self) -> &[String] {
        &self.namespaces
    }

    /// The qualified name as written.
    pub fn qname(&self, id: ElemId) -> &str {
        &self.src[self.element(id).qname_range()]
    }

    /// The name without its prefix.
    pub fn local_name(&self, id: ElemId) -> &str {
        let e = self.element(id);
        &self.src[e.qname_range().start + e.prefix_len as usize..e.qname_range().end]
    }

    /// The prefix as written, without the colon (`None` when unprefixed).
    pub fn prefix(&self, id: ElemId) -> Option<&str> {
        let e = self.element(id);
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
        let start = decode(e.open.start, e.open_fixed(), self.shift) as usize + 1;
        let name = start..start + e.name_len as usize;
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

    /// The element's attributes in order, with plain byte offsets.
    pub fn attrs(&self, id: ElemId) -> impl ExactSizeIterator<Item = Attr> + '_ {
        let e = &self.elements[id];
        let (fixed, shift) = (e.open_fixed(), self.shift);
        e.attr_range()
            .map(move |k| self.attrs[k].decoded(fixed, shift))
    }

    /// The attribute with this exact (qualified) name.
    pub fn attr(&self, id: ElemId, name: &str) -> Option<Attr> {
        self.attrs(id).find(|a| &self.src[a.name()] == name)
    }

    /// The attribute's value with entity and character references resolved and whitespace
    /// normalised as an XML parser (and so libvirt) sees it.
    pub fn attr_value(&self, id: ElemId, name: &str) -> Option<String> {
        self.attr(id, name).map(|a| a.value(&self.src))
    }

    /// The element's text content (text and CDATA of its direct children, references
    /// resolved), which is what libvirt reads for `<model>NAME</model>`.
    pub fn text(&self, id: ElemId) -> String {
        index::text_content(&self.src, self.element(id).inner())
    }

    /// 1-based line and column of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        Position::of(&self.src, offset)
    }

    /// The prefix bound to the QEMU namespace at the root element, if any (`Some("")` for a
    /// default-namespace binding, which we cannot use for new prefixed elements).
    pub fn qemu_prefix_on_root(&self) -> Option<String> {
        self.attrs(self.root).find_map(|a| {
            let name = &self.src[a.name()];
            let prefix = name.strip_prefix("xmlns:")?;
            (a.value(&self.src) == QEMU_NS).then(|| prefix.to_string())
        })
    }

    /// The leading whitespace of the line the element starts on, when the element is the
    /// first thing on its line.
    pub fn line_indent(&self, id: ElemId) -> Option<&str> {
        let start = self.element(id).open.start as usize;
        let line_start = self.src[..start].rfind('\n').map_or(0, |p| p + 1);
        let before = &self.src[line_start..start];
        before
            .chars()
            .all(|c| c == ' ' || c == '\t')
            .then_some(before)
    }
}

/// A copy of `text` with room to grow by a few edits without copying again.
fn spacious_copy(text: &str) -> String {
    let mut copy = memory::large_vec(text.len() + text.len() / 64 + 4096);
    copy.extend_from_slice(text.as_bytes());
    // SAFETY: the bytes are a copy of a `str`.
    unsafe { String::from_utf8_unchecked(copy) }
}

/// `edited` (a range of a text of `old_len` bytes) after `changed` of it was replaced, the
/// text now being `new_len` bytes: the union of both, in the new offsets.
fn widen(
    edited: Option<Range<usize>>,
    changed: Range<usize>,
    old_len: usize,
    new_len: usize,
) -> Range<usize> {
    let now = changed.start..(changed.end + new_len).saturating_sub(old_len);
    match edited {
        None => now,
        Some(e) => {
            let end = if e.end > changed.end {
                (e.end + new_len).saturating_sub(old_len)
            } else {
                e.end.max(now.end).min(new_len)
            };
            e.start.min(now.start)..end
        }
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
