//! One pass over the source, recording every element's byte spans (the lexical part is in
//! [`super::scan`]).

use super::error::{LoadError, Position};
use super::{Document, ElemId, Element, MAX_FILE_SIZE, NO_ELEMENT, NO_NS, Span, Style};
use super::{attrs, scan};
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use std::ops::Range;

const BOM: &str = "\u{feff}";

pub(crate) fn build(bytes: &[u8]) -> Result<Document, LoadError> {
    if bytes.len() > MAX_FILE_SIZE {
        return Err(LoadError::TooLarge {
            size: bytes.len() as u64,
            limit: MAX_FILE_SIZE,
        });
    }
    build_owned(bytes.to_vec())
}

/// Like [`build`], without copying the bytes (files are read into a buffer we can keep).
pub(crate) fn build_owned(bytes: Vec<u8>) -> Result<Document, LoadError> {
    check_bytes(&bytes)?;
    // SAFETY: `check_bytes` has validated the whole buffer as UTF-8 (with simdutf8, several
    // times faster than the standard library on large files, which matters at 10 MB).
    let src = unsafe { String::from_utf8_unchecked(bytes) };
    let bom = if src.starts_with(BOM) { BOM.len() } else { 0 };
    let parts = match parallel::index(&src, bom) {
        Some(parts) => parts,
        None => Indexer::new(&src, bom).run()?,
    };
    Ok(document(src, parts))
}

fn document(src: String, parts: Parts) -> Document {
    let len = src.len();
    let mut doc = Document {
        src: std::sync::Arc::new(src),
        elements: super::gap::GapVec::with_front_hole(parts.elements, parts.hole),
        attrs: super::gap::GapVec::with_front_hole(parts.attrs, parts.hole),
        len: len as u32,
        // All floating with no shift: the first edit moves the split from the start.
        shift: 0,
        split: 0,
        layout: 0,
        rescanned: None,
        edited: None,
        namespaces: parts.namespaces,
        root: parts.root,
        style: Style::default(),
    };
    doc.detect_style();
    doc
}

mod parallel;
mod scope;

/// The two-core index with the split at `at`, for tests: `None` when it falls back.
pub(crate) fn build_split_at(bytes: &[u8], at: usize) -> Option<Document> {
    check_bytes(bytes).ok()?;
    let src = std::str::from_utf8(bytes).ok()?.to_string();
    let bom = if src.starts_with(BOM) { BOM.len() } else { 0 };
    if !src.is_char_boundary(at) || at <= bom {
        return None;
    }
    let parts = parallel::index_split_at(&src, bom, at)?;
    Some(document(src, parts))
}

struct Parts {
    /// Filler entries at the start of `elements` and `attrs`.
    hole: usize,
    elements: Vec<Element>,
    attrs: Vec<attrs::Attr>,
    namespaces: Vec<String>,
    root: ElemId,
}

/// The checks that come before any XML parsing: size, binary, encoding.
fn check_bytes(bytes: &[u8]) -> Result<(), LoadError> {
    if bytes.len() > MAX_FILE_SIZE {
        return Err(LoadError::TooLarge {
            size: bytes.len() as u64,
            limit: MAX_FILE_SIZE,
        });
    }
    if !bytes.iter().any(|b| !b.is_ascii_whitespace()) {
        return Err(LoadError::Empty);
    }
    if clean_on_two_cores(bytes) {
        return Ok(());
    }
    if let Some((encoding, iconv)) = wide_encoding(bytes) {
        return Err(LoadError::WideEncoding { encoding, iconv });
    }
    if let Some(offset) = memchr_nul(bytes) {
        return Err(LoadError::Binary { offset });
    }
    if simdutf8::basic::from_utf8(bytes).is_ok() {
        return Ok(());
    }
    // Not UTF-8: the standard library says where, for the message.
    match std::str::from_utf8(bytes) {
        Ok(_) => Ok(()),
        Err(e) => {
            let valid = e.valid_up_to();
            let prefix = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
            let declared = declared_encoding(prefix)
                .map(|enc| format!(" (its XML declaration says encoding='{enc}')"))
                .unwrap_or_default();
            Err(LoadError::NotUtf8 {
                position: Position::of(prefix, valid),
                declared,
            })
        }
    }
}

/// UTF-16 or UTF-32, told by the byte-order mark or by the first character (`<`, or the
/// whitespace before it, next to NUL bytes): the encoding's name for the message and for
/// `iconv -f`. Checked only for a file that is not clean UTF-8.
fn wide_encoding(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    let ascii = |b: u8| b == b'<' || b.is_ascii_whitespace();
    Some(match bytes {
        [0, 0, 0xFE, 0xFF, ..] => ("UTF-32 (big-endian, with a byte-order mark)", "UTF-32"),
        [0xFF, 0xFE, 0, 0, ..] => ("UTF-32 (little-endian, with a byte-order mark)", "UTF-32"),
        [0xFE, 0xFF, ..] => ("UTF-16 (big-endian, with a byte-order mark)", "UTF-16"),
        [0xFF, 0xFE, ..] => ("UTF-16 (little-endian, with a byte-order mark)", "UTF-16"),
        [0, 0, 0, b, ..] if ascii(*b) => ("UTF-32 (big-endian)", "UTF-32BE"),
        [b, 0, 0, 0, ..] if ascii(*b) => ("UTF-32 (little-endian)", "UTF-32LE"),
        [0, b, ..] if ascii(*b) => ("UTF-16 (big-endian)", "UTF-16BE"),
        [b, 0, ..] if ascii(*b) => ("UTF-16 (little-endian)", "UTF-16LE"),
        _ => return None,
    })
}

/// No NUL byte and valid UTF-8, checked on two cores for a large file (these two passes
/// come before indexing can start). `false` also when not checked: the caller checks on one
/// core, which says what is wrong and where.
fn clean_on_two_cores(bytes: &[u8]) -> bool {
    if bytes.len() < parallel::MIN_PARALLEL {
        return false;
    }
    // Split where a character starts, so that each half is UTF-8 on its own.
    let mut mid = bytes.len() / 2;
    while mid > 0 && bytes[mid] & 0xC0 == 0x80 {
        mid -= 1;
    }
    std::thread::scope(|scope| {
        let second = scope.spawn(|| clean(&bytes[mid..]));
        let first = clean(&bytes[..mid]);
        first && second.join().unwrap_or(false)
    })
}

/// No NUL byte and valid UTF-8, both checked a block at a time: the second check reads the
/// block from the cache instead of memory.
fn clean(bytes: &[u8]) -> bool {
    const BLOCK: usize = 64 << 10;
    let mut at = 0;
    while at < bytes.len() {
        let mut end = (at + BLOCK).min(bytes.len());
        // End the block where a character starts (UTF-8 has at most three continuation bytes).
        let limit = end.saturating_sub(3).max(at + 1);
        while end < bytes.len() && bytes[end] & 0xC0 == 0x80 && end > limit {
            end -= 1;
        }
        let block = &bytes[at..end];
        if memchr_nul(block).is_some() || simdutf8::basic::from_utf8(block).is_err() {
            return false;
        }
        at = end;
    }
    true
}

fn memchr_nul(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(0, bytes)
}

fn declared_encoding(prefix: &str) -> Option<String> {
    let decl_end = prefix.find("?>")?;
    let decl = &prefix[..decl_end];
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next()?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_string())
}

/// Open elements while indexing.
struct Open {
    id: ElemId,
    /// How many namespace bindings this element pushed.
    pushed: usize,
    /// Its last child so far (to link the next one as a sibling).
    last_child: u32,
}

/// Builds the element index in one pass over the source (see [`scan`] for why by hand).
struct Indexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    /// Where the document starts (after a BOM): the only place an XML declaration may be.
    bom: usize,
    elements: Vec<Element>,
    attrs: Vec<attrs::Attr>,
    namespaces: Vec<String>,
    /// Finds a name in `namespaces`.
    ns_index: scope::NsIndex,
    /// In-scope prefix bindings.
    bindings: scope::Bindings,
    open: Vec<Open>,
    root: Option<ElemId>,
    /// Id of the first element this indexer creates (0 for a document; see [`Fragment`]).
    id_base: usize,
    /// Index of the first attribute this indexer creates.
    attr_base: usize,
    /// The first element created directly under the fragment's parent.
    first_top: u32,
    /// Indexing the second half of a document on another core (see [`parallel`]).
    detached: Option<Box<parallel::Detached>>,
    /// Filler entries at the start of `elements` and `attrs` (the index's hole).
    hole: usize,
}

/// Where a fragment sits in an existing document: re-indexing after an edit scans only the
/// children of `parent` that the edit touched (see [`super::reindex`]).
pub(crate) struct Fragment<'d> {
    pub doc: &'d Document,
    /// The element whose content is re-scanned.
    pub parent: ElemId,
    /// The new ids and attribute indices start here.
    pub id_base: usize,
    pub attr_base: usize,
}

/// Scans `src[start..]` (where `src` ends with the fragment) as content of `at.parent`.
pub(crate) fn fragment(
    src: &str,
    start: usize,
    at: &Fragment<'_>,
) -> Result<FragmentParts, LoadError> {
    Indexer::fragment(src, at).run_fragment(start)
}

/// A re-scanned fragment: elements numbered from its `id_base`, top-level ones parented to
/// its `parent`.
pub(crate) struct FragmentParts {
    pub elements: Vec<Element>,
    pub attrs: Vec<attrs::Attr>,
    pub namespaces: Vec<String>,
    /// First and last element directly under the parent (`NO_ELEMENT` when none).
    pub first_top: u32,
    pub last_top: u32,
}

impl<'a> Indexer<'a> {
    fn new(src: &'a str, bom: usize) -> Self {
        // Real domains spend 30–40 bytes per element and per attribute; reserving for one of
        // each every 16 bytes over-reserves address space only (untouched pages cost nothing)
        // and saves copying a large index while it grows.
        Indexer::new_sized(src, bom, src.len() / 16 + 16).with_front_hole(src.len())
    }

    /// Starts the index with the hole edits will use (see `gap.rs`): filler entries the ids
    /// count past, so that the hole costs no copy and no renumbering.
    fn with_front_hole(mut self, text_len: usize) -> Self {
        let hole = super::gap::initial_hole(text_len);
        self.elements.resize(hole, Element::default());
        self.attrs.resize(hole, attrs::Attr::default());
        self.hole = hole;
        self
    }

    fn new_sized(src: &'a str, bom: usize, estimate: usize) -> Self {
        Indexer {
            src,
            bytes: src.as_bytes(),
            bom,
            elements: super::memory::large_vec(estimate),
            attrs: super::memory::large_vec(estimate),
            namespaces: Vec::new(),
            ns_index: scope::NsIndex::default(),
            bindings: scope::Bindings::default(),
            open: Vec::new(),
            root: None,
            id_base: 0,
            attr_base: 0,
            first_top: NO_ELEMENT,
            detached: None,
            hole: 0,
        }
    }

    /// An indexer for `src[start..]` (`src` ends where the fragment ends) as the content of
    /// `at.parent`, with the namespace bindings in scope there.
    fn fragment(src: &'a str, at: &Fragment<'_>) -> Self {
        let doc = at.doc;
        let mut ix = Indexer::new_sized(src, usize::MAX, 16);
        ix.namespaces = doc.namespaces.clone();
        ix.root = Some(doc.root);
        ix.id_base = at.id_base;
        ix.attr_base = at.attr_base;
        let mut chain = vec![at.parent];
        while let Some(p) = doc.parent(*chain.last().expect("not empty")) {
            chain.push(p);
        }
        for &el in chain.iter().rev() {
            // Ancestors' start tags come before the fragment: `src` has them unchanged.
            for a in doc.attrs(el) {
                let name = &src[a.name()];
                let prefix = match name.strip_prefix("xmlns") {
                    Some("") => "",
                    Some(rest) => match rest.strip_prefix(':') {
                        Some(p) => p,
                        None => continue,
                    },
                    None => continue,
                };
                let uri = a.value(src);
                let ns = ix.ns_index.find(&ix.namespaces, &uri);
                ix.bindings.push(prefix.to_string(), ns);
            }
        }
        // The parent stands open below the fragment: top-level elements are its children,
        // and an end tag that would close it is an error.
        ix.open.push(Open {
            id: at.parent,
            pushed: ix.bindings.len(),
            last_child: NO_ELEMENT,
        });
        ix
    }

    fn element_mut(&mut self, id: ElemId) -> &mut Element {
        &mut self.elements[id - self.id_base]
    }

    /// Scans a fragment from `start` to the end of `src`.
    fn run_fragment(mut self, start: usize) -> Result<FragmentParts, LoadError> {
        self.scan(start)?;
        if self.open.len() != 1 {
            let open = self.open.last().expect("the parent stays open");
            let name = self.src[self.elements[open.id - self.id_base].qname_range()].to_string();
            return Err(self.syntax(self.src.len(), format!("<{name}> is not closed")));
        }
        let last_top = self.open[0].last_child;
        Ok(FragmentParts {
            elements: self.elements,
            attrs: self.attrs,
            namespaces: self.namespaces,
            first_top: self.first_top,
            last_top,
        })
    }

    fn syntax(&self, offset: usize, detail: impl Into<String>) -> LoadError {
        LoadError::Syntax {
            position: Position::of(self.src, offset),
            detail: detail.into(),
        }
    }

    fn malformed(&self, (offset, detail): scan::Malformed) -> LoadError {
        self.syntax(offset, detail)
    }

    /// Outside the root element (prolog and epilogue), where only markup and spaces may be.
    fn outside_root(&self) -> bool {
        self.open.is_empty()
    }

    fn run(mut self) -> Result<Parts, LoadError> {
        self.scan(self.bom)?;
        if let Some(open) = self.open.last() {
            let name = self.src[self.elements[open.id].qname_range()].to_string();
            return Err(self.syntax(
                self.src.len(),
                format!("the file ends before </{name}> (is it truncated?)"),
            ));
        }
        let root = self.root.ok_or(LoadError::NoRoot)?;
        Ok(Parts {
            hole: self.hole,
            elements: self.elements,
            attrs: self.attrs,
            namespaces: self.namespaces,
            root,
        })
    }

    /// The main loop: text and markup from `from` to the end of the source.
    fn scan(&mut self, from: usize) -> Result<(), LoadError> {
        let bytes = self.bytes;
        let mut i = from;
        loop {
            let Some(at) = scan::text_end(bytes, i) else {
                self.text(i, bytes.len())?;
                break;
            };
            self.text(i, at)?;
            i = match bytes[at] {
                b'<' => self.markup(at)?,
                _ if self.outside_root() => {
                    return Err(self.syntax(at, "content outside the root element"));
                }
                b'&' => scan::reference(self.src, at).map_err(|m| self.malformed(m))?,
                _ if bytes[at..].starts_with(b"]]>") => {
                    return Err(self.syntax(at, "`]]>` is not allowed in text; write `]]&gt;`"));
                }
                _ => at + 1,
            };
        }
        Ok(())
    }

    /// Text between markup: only spaces outside the root element.
    fn text(&self, start: usize, end: usize) -> Result<(), LoadError> {
        if !self.outside_root() {
            return Ok(());
        }
        match self.bytes[start..end]
            .iter()
            .position(|&b| !scan::is_space(b))
        {
            Some(k) => Err(self.syntax(start + k, "text outside the root element")),
            None => Ok(()),
        }
    }

    /// The markup starting with `<` at `at`; returns where it ends.
    fn markup(&mut self, at: usize) -> Result<usize, LoadError> {
        let rest = &self.bytes[at..];
        match rest.get(1) {
            Some(b'/') => self.end_tag(at),
            Some(b'?') => self.processing_instruction(at),
            Some(b'!') if rest.starts_with(b"<!--") => self.comment(at),
            Some(b'!') if rest.starts_with(b"<![CDATA[") => {
                if self.outside_root() {
                    return Err(self.syntax(at, "content outside the root element"));
                }
                self.find_end(at, 9, b"]]>", "a CDATA section")
            }
            Some(b'!') if rest.starts_with(b"<!DOCTYPE") => self.doctype(at),
            Some(b'!') if rest.len() >= 9 && rest[..9].eq_ignore_ascii_case(b"<!DOCTYPE") => {
                Err(self.syntax(at, "write `<!DOCTYPE` in capitals"))
            }
            Some(b'!') => Err(self.syntax(
                at,
                "unknown markup `<!` (expected a comment `<!--`, `<![CDATA[` or `<!DOCTYPE`)",
            )),
            _ => self.start_tag(at),
        }
    }

    /// Offset after `terminator`, searched from `at + skip`.
    fn find_end(
        &self,
        at: usize,
        skip: usize,
        terminator: &[u8],
        what: &str,
    ) -> Result<usize, LoadError> {
        match memchr::memmem::find(&self.bytes[at + skip..], terminator) {
            Some(k) => Ok(at + skip + k + terminator.len()),
            None => Err(self.syntax(at, format!("{what} is not closed (is the file truncated?)"))),
        }
    }

    fn comment(&self, at: usize) -> Result<usize, LoadError> {
        let body = at + 4;
        let Some(k) = memchr::memmem::find(&self.bytes[body..], b"--") else {
            return Err(self.syntax(at, "a comment is not closed (is the file truncated?)"));
        };
        if self.bytes.get(body + k + 2) != Some(&b'>') {
            return Err(self.syntax(body + k, "`--` is not allowed inside a comment"));
        }
        Ok(body + k + 3)
    }

    fn processing_instruction(&self, at: usize) -> Result<usize, LoadError> {
        let target_end = scan::name_end(self.bytes, at + 2);
        scan::check_name(
            self.src,
            at + 2,
            target_end,
            "processing-instruction target",
        )
        .map_err(|m| self.malformed(m))?;
        if self.src[at + 2..target_end].eq_ignore_ascii_case("xml") && at != self.bom {
            return Err(self.syntax(
                at,
                "an XML declaration (`<?xml …?>`) is only allowed at the very start of the file",
            ));
        }
        self.find_end(at, 2, b"?>", "a processing instruction")
    }

    fn doctype(&self, at: usize) -> Result<usize, LoadError> {
        if self.root.is_some() {
            return Err(self.syntax(at, "a DOCTYPE is only allowed before the root element"));
        }
        // Quoted literals (the system and public ids) may hold `>` and `[`.
        let mut k = at + 9;
        while let Some(&b) = self.bytes.get(k) {
            match b {
                b'>' => return Ok(k + 1),
                // An internal subset is where entities are declared; we never expand them.
                b'[' => {
                    return Err(LoadError::Doctype {
                        position: Position::of(self.src, at),
                    });
                }
                b'\'' | b'"' => match memchr::memchr(b, &self.bytes[k + 1..]) {
                    Some(len) => k += len + 2,
                    None => break,
                },
                _ => k += 1,
            }
        }
        Err(self.syntax(at, "the DOCTYPE is not closed (is the file truncated?)"))
    }

    fn start_tag(&mut self, at: usize) -> Result<usize, LoadError> {
        let name_start = at + 1;
        let (name_end, prefixed) = scan::name_end_and_colon(self.bytes, name_start);
        scan::check_name(self.src, name_start, name_end, "element name")
            .map_err(|m| self.malformed(m))?;
        if self.outside_root() && self.root.is_some() {
            return Err(self.syntax(
                at,
                "a second root element; a domain XML has exactly one <domain>",
            ));
        }
        let attrs_start = self.attrs.len();
        let tag =
            scan::attributes(self.src, name_end, &mut self.attrs).map_err(|(offset, detail)| {
                LoadError::Attribute {
                    position: Position::of(self.src, offset),
                    detail: format!("{detail}; fix the XML"),
                }
            })?;
        let pushed = if tag.declares {
            self.bind_namespaces(at, attrs_start)?
        } else {
            0
        };
        if tag.prefixed {
            self.check_attribute_prefixes(attrs_start)?;
        }
        let qname = &self.src[name_start..name_end];
        let (prefix_len, ns) = self.element_namespace(at, qname, prefixed)?;
        let id = self.id_base + self.elements.len();
        let parent = self
            .open
            .last()
            .filter(|o| o.id != parallel::OUTSIDE)
            .map_or(NO_ELEMENT, |o| o.id as u32);
        let attrs_len = self.attrs.len() - attrs_start;
        if name_end - name_start > super::MAX_ELEMENT_NAME
            || prefix_len > super::MAX_PREFIX
            || attrs_len > super::MAX_ATTRIBUTES
        {
            return Err(self.syntax(
                at,
                "an element name, prefix or attribute list beyond what virt-cpu indexes (65535 bytes, 255 bytes, 65535 attributes)",
            ));
        }
        self.elements.push(Element {
            open: Span::of(at..tag.end),
            close: Span::of(tag.end..tag.end),
            name_len: (name_end - name_start) as u16,
            prefix_len: prefix_len as u8,
            flags: if tag.empty { super::EMPTY } else { 0 },
            ns: ns.map_or(NO_NS, |n| n as u16),
            parent,
            first_child: NO_ELEMENT,
            next_sibling: NO_ELEMENT,
            attrs_start: (self.attr_base + attrs_start) as u32,
            attrs_len: attrs_len as u16,
        });
        self.link(id);
        if tag.empty {
            self.bindings.truncate(self.bindings.len() - pushed);
        } else {
            self.open.push(Open {
                id,
                pushed,
                last_child: NO_ELEMENT,
            });
        }
        Ok(tag.end)
    }

    /// The prefix length and namespace of an element named `qname` (`prefixed`: it has a
    /// colon): its prefix's binding, or the default namespace. In a detached half an unbound
    /// prefix may be bound by the first half: it is decided when merging.
    #[inline]
    fn element_namespace(
        &mut self,
        at: usize,
        qname: &str,
        prefixed: bool,
    ) -> Result<(usize, Option<usize>), LoadError> {
        Ok(match split_prefix(qname).filter(|_| prefixed) {
            Some((p, _)) => match self.lookup(p) {
                Some(ns) => (p.len() + 1, Some(ns)),
                // Bound (or not) by the first half of the document: decided when merging.
                None if self.detached.is_some() => {
                    let id = self.elements.len();
                    let d = self.detached.as_mut().expect("just checked");
                    d.deferred_ns.push((id, p.to_string()));
                    (p.len() + 1, None)
                }
                None => {
                    return Err(LoadError::UndeclaredPrefix {
                        position: Position::of(self.src, at),
                        prefix: p.into(),
                    });
                }
            },
            None => (0, self.lookup("")),
        })
    }

    /// Links the element just pushed into the tree: the last child of the innermost open
    /// element, or the root. A top-level element of a detached half is recorded for the merge,
    /// and a fragment's first top-level element for the caller.
    #[inline]
    fn link(&mut self, id: ElemId) {
        match self.open.last().map(|o| (o.id, o.last_child)) {
            // A top-level element of a detached half: its parent is decided when merging.
            Some((parallel::OUTSIDE, _)) => {
                let d = self.detached.as_mut().expect("OUTSIDE only when detached");
                d.events.push(parallel::TopEvent::Element(id));
            }
            Some((parent, last_child)) => {
                match last_child {
                    // The fragment's parent is not ours to change: the caller links it.
                    NO_ELEMENT if parent < self.id_base => self.first_top = id as u32,
                    NO_ELEMENT => self.element_mut(parent).first_child = id as u32,
                    prev => self.element_mut(prev as usize).next_sibling = id as u32,
                }
                self.open.last_mut().expect("just seen").last_child = id as u32;
            }
            None => self.root = Some(id),
        }
    }

    /// Binds the namespaces declared by the attributes from `first`; returns how many.
    fn bind_namespaces(&mut self, at: usize, first: usize) -> Result<usize, LoadError> {
        let mut pushed = 0;
        for k in first..self.attrs.len() {
            let name = &self.src[self.attrs[k].name()];
            let prefix = match name.strip_prefix("xmlns") {
                Some("") => String::new(),
                Some(rest) => match rest.strip_prefix(':') {
                    Some(p) => p.to_string(),
                    None => continue,
                },
                None => continue,
            };
            let uri = self.attrs[k].value(self.src);
            if uri.is_empty()
                && let Some(d) = self.detached.as_mut()
            {
                // An undeclaration reads like "not bound here": leave such documents to the
                // sequential indexer rather than tell the two apart.
                d.undeclares = true;
            }
            // The compact index numbers namespaces in 16 bits; no real domain comes close.
            if self.namespaces.len() >= NO_NS as usize - 1 {
                return Err(self.syntax(at, "more than 65000 different namespaces"));
            }
            let ns = (!uri.is_empty()).then(|| self.ns_index.intern(&mut self.namespaces, uri));
            self.bindings.push(prefix, ns);
            pushed += 1;
        }
        Ok(pushed)
    }

    fn check_attribute_prefixes(&mut self, first: usize) -> Result<(), LoadError> {
        let unbound: Vec<(usize, String)> = self.attrs[first..]
            .iter()
            .filter_map(|a| {
                let name = &self.src[a.name()];
                let (p, _) = split_prefix(name)?;
                (p != "xmlns" && p != "xml" && self.lookup(p).is_none())
                    .then(|| (a.name().start, p.to_string()))
            })
            .collect();
        if let Some(d) = self.detached.as_mut() {
            // Perhaps bound by the first half of the document: checked when merging.
            d.deferred_attr.extend(unbound.into_iter().map(|(_, p)| p));
            return Ok(());
        }
        match unbound.into_iter().next() {
            None => Ok(()),
            Some((at, prefix)) => Err(LoadError::UndeclaredPrefix {
                position: Position::of(self.src, at),
                prefix,
            }),
        }
    }

    fn end_tag(&mut self, at: usize) -> Result<usize, LoadError> {
        let name_start = at + 2;
        let name_end = scan::name_end(self.bytes, name_start);
        scan::check_name(self.src, name_start, name_end, "element name")
            .map_err(|m| self.malformed(m))?;
        let name = &self.src[name_start..name_end];
        let gt = scan::skip_space(self.bytes, name_end);
        if self.bytes.get(gt) != Some(&b'>') {
            return Err(self.syntax(gt, format!("expected `>` to end </{name}")));
        }
        if self.open.last().is_some_and(|o| o.id == parallel::OUTSIDE) {
            let d = self.detached.as_mut().expect("OUTSIDE only when detached");
            d.events.push(parallel::TopEvent::Close {
                span: Span::of(at..gt + 1),
                name: Span::of(name_start..name_end),
            });
            return Ok(gt + 1);
        }
        let Some(open) = self.open.pop().filter(|o| o.id >= self.id_base) else {
            return Err(self.syntax(at, format!("</{name}> closes an element that is not open")));
        };
        let element = &mut self.elements[open.id - self.id_base];
        let expected = &self.src[element.qname_range()];
        if expected != name {
            let opened = Position::of(self.src, element.open.start as usize);
            return Err(self.syntax(
                at,
                format!("found </{name}> where </{expected}> (opened at {opened}) must end"),
            ));
        }
        element.close = Span::of(at..gt + 1);
        self.bindings.truncate(self.bindings.len() - open.pushed);
        Ok(gt + 1)
    }

    fn lookup(&self, prefix: &str) -> Option<usize> {
        if prefix == "xml" {
            return None;
        }
        self.bindings.lookup(prefix)
    }
}

/// Text content of `src[inner]`: text and CDATA with references resolved, line ends normalised.
pub(crate) fn text_content(src: &str, inner: Range<usize>) -> String {
    let slice = &src[inner];
    if !slice.contains(['<', '&', '\r']) {
        return slice.to_string();
    }
    let mut reader = Reader::from_str(slice);
    reader.config_mut().trim_text(false);
    let mut out = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Text(t)) => out.push_str(&t.replace("\r\n", "\n")),
            Ok(Event::CData(t)) => out.push_str(&t),
            Ok(Event::GeneralRef(r)) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    out.push(c);
                } else if let Some(s) = quick_xml::escape::resolve_xml_entity(&r) {
                    out.push_str(s);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

/// `prefix:local` split at the first colon (a byte search: this runs for every name).
fn split_prefix(name: &str) -> Option<(&str, &str)> {
    memchr::memchr(b':', name.as_bytes()).map(|i| (&name[..i], &name[i + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document of about 2 MiB (checked on two cores) with `bad` at `at`.
    fn large_with(bad: &[u8], at: usize) -> Vec<u8> {
        let mut doc = b"<domain type='kvm'>\n".to_vec();
        while doc.len() < 2 << 20 {
            doc.extend_from_slice(b"  <disk type='file'/>\n");
        }
        doc.extend_from_slice(b"</domain>\n");
        doc.splice(at..at, bad.iter().copied());
        doc
    }

    #[test]
    fn a_large_file_is_refused_for_a_nul_or_bad_utf8_in_either_half() {
        for at in [100, 1 << 20, (2 << 20) - 100] {
            assert!(matches!(
                check_bytes(&large_with(b"\0", at)),
                Err(LoadError::Binary { offset }) if offset == at
            ));
            assert!(matches!(
                check_bytes(&large_with(b"\xff", at)),
                Err(LoadError::NotUtf8 { .. })
            ));
        }
        // A multi-byte character across the middle, or across a block, is fine.
        let mid = large_with(b"", 0).len() / 2;
        assert!(check_bytes(&large_with("é€".as_bytes(), mid - 1)).is_ok());
        for block_end in [64 << 10, 128 << 10, mid + (64 << 10)] {
            for before in 1..4 {
                let bytes = large_with("€😀".as_bytes(), block_end - before);
                assert!(check_bytes(&bytes).is_ok(), "at {block_end} - {before}");
            }
        }
        // A lone continuation byte at a block's end is still refused.
        assert!(matches!(
            check_bytes(&large_with(b"\x80\x80\x80\x80", (64 << 10) - 2)),
            Err(LoadError::NotUtf8 { .. })
        ));
        assert!(check_bytes(&large_with(b"", 0)).is_ok());
    }
}
