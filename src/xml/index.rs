//! One pass of quick-xml over the source, recording every element's byte spans.

use super::attrs;
use super::error::{LoadError, Position};
use super::{Document, ElemId, Element, MAX_FILE_SIZE, NO_ELEMENT, NO_NS, Span, Style};
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
    let parts = Indexer::new(&src, bom).run()?;
    let mut doc = Document {
        src,
        elements: parts.elements,
        attrs: parts.attrs,
        namespaces: parts.namespaces,
        root: parts.root,
        style: Style::default(),
    };
    let first_quote = doc.attrs.first().map(|a| a.quote());
    let indent = super::link(doc.elements[doc.root].first_child)
        .and_then(|c| doc.line_indent(c))
        .map(str::to_string);
    doc.style = Style::detect(&doc.src, first_quote, indent.as_deref());
    Ok(doc)
}

struct Parts {
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

struct Indexer<'a> {
    src: &'a str,
    bom: usize,
    elements: Vec<Element>,
    attrs: Vec<attrs::Attr>,
    namespaces: Vec<String>,
    /// In-scope prefix bindings: (prefix, namespace index or None for an undeclaration).
    bindings: Vec<(String, Option<usize>)>,
    /// Open elements with how many bindings each pushed.
    open: Vec<(ElemId, usize)>,
    /// The last child seen for each open element (to link siblings).
    last_child: Vec<Option<ElemId>>,
    root: Option<ElemId>,
}

impl<'a> Indexer<'a> {
    fn new(src: &'a str, bom: usize) -> Self {
        // Every element has a start tag and most an end tag: half the `<` is a close estimate,
        // and sizing once avoids copying a large index while it grows.
        let tags = memchr::memchr_iter(b'<', src.as_bytes()).count();
        Indexer {
            src,
            bom,
            elements: Vec::with_capacity(tags / 2 + 1),
            attrs: Vec::with_capacity(tags / 2 + 1),
            namespaces: Vec::new(),
            bindings: Vec::new(),
            open: Vec::new(),
            last_child: Vec::new(),
            root: None,
        }
    }

    fn syntax(&self, offset: usize, detail: impl Into<String>) -> LoadError {
        LoadError::Syntax {
            position: Position::of(self.src, offset),
            detail: detail.into(),
        }
    }

    fn run(mut self) -> Result<Parts, LoadError> {
        let body = &self.src[self.bom..];
        let mut reader = Reader::from_str(body);
        let config = reader.config_mut();
        config.trim_text(false);
        config.expand_empty_elements = false;
        config.check_end_names = true;
        config.check_comments = true;
        loop {
            let start = reader.buffer_position() as usize + self.bom;
            let event = match reader.read_event() {
                Ok(ev) => ev,
                Err(e) => {
                    let at = reader.error_position() as usize + self.bom;
                    return Err(self.syntax(at, e.to_string()));
                }
            };
            let end = reader.buffer_position() as usize + self.bom;
            match event {
                Event::Start(_) => self.open_element(start..end, false)?,
                Event::Empty(_) => self.open_element(start..end, true)?,
                Event::End(_) => self.close_element(start..end),
                // An internal subset is where entities are declared; we never expand them.
                Event::DocType(ref t) if t.contains('[') => {
                    return Err(LoadError::Doctype {
                        position: Position::of(self.src, start),
                    });
                }
                Event::Text(ref t)
                    if self.open.is_empty() && !t.chars().all(|c| c.is_ascii_whitespace()) =>
                {
                    return Err(self.syntax(start, "text outside the root element"));
                }
                Event::CData(_) | Event::GeneralRef(_) if self.open.is_empty() => {
                    return Err(self.syntax(start, "content outside the root element"));
                }
                Event::GeneralRef(ref r) => {
                    let ok = match r.resolve_char_ref() {
                        Ok(Some(_)) => true,
                        Ok(None) => quick_xml::escape::resolve_xml_entity(r).is_some(),
                        Err(_) => false,
                    };
                    if !ok {
                        return Err(self.syntax(
                            start,
                            format!(
                                "unknown entity `&{};` (only the five predefined entities and character references are allowed)",
                                &**r
                            ),
                        ));
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if let Some(&(id, _)) = self.open.last() {
            let e = &self.elements[id];
            let name = self.src[e.qname_range()].to_string();
            return Err(self.syntax(
                self.src.len(),
                format!("the file ends before </{name}> (is it truncated?)"),
            ));
        }
        let root = self.root.ok_or(LoadError::NoRoot)?;
        Ok(Parts {
            elements: self.elements,
            attrs: self.attrs,
            namespaces: self.namespaces,
            root,
        })
    }

    fn open_element(&mut self, open: Range<usize>, empty: bool) -> Result<(), LoadError> {
        if self.open.is_empty() && self.root.is_some() {
            return Err(self.syntax(
                open.start,
                "a second root element; a domain XML has exactly one <domain>",
            ));
        }
        let name_start = open.start + 1;
        let bytes = self.src.as_bytes();
        let mut name_end = name_start;
        while name_end < open.end
            && !bytes[name_end].is_ascii_whitespace()
            && bytes[name_end] != b'/'
            && bytes[name_end] != b'>'
        {
            name_end += 1;
        }
        let tag_end = if empty { open.end - 2 } else { open.end - 1 };
        let attrs_start = self.attrs.len();
        attrs::scan(self.src, name_end, tag_end, &mut self.attrs).map_err(|(at, detail)| {
            LoadError::Attribute {
                position: Position::of(self.src, at),
                detail: format!("{detail}; fix the XML"),
            }
        })?;
        // Bind the namespaces this element declares before resolving its own prefix.
        let mut pushed = 0;
        for k in attrs_start..self.attrs.len() {
            let a = &self.attrs[k];
            let name = &self.src[a.name()];
            if !name.starts_with("xmlns") {
                continue;
            }
            let prefix = if name == "xmlns" {
                Some(String::new())
            } else {
                name.strip_prefix("xmlns:").map(str::to_string)
            };
            if let Some(prefix) = prefix {
                let uri = self.attrs[k].value(self.src);
                // The compact index numbers namespaces in 16 bits; no real domain comes close.
                if self.namespaces.len() >= NO_NS as usize - 1 {
                    return Err(self.syntax(open.start, "more than 65000 different namespaces"));
                }
                let ns = if uri.is_empty() {
                    None
                } else {
                    Some(
                        self.namespaces
                            .iter()
                            .position(|u| *u == uri)
                            .unwrap_or_else(|| {
                                self.namespaces.push(uri);
                                self.namespaces.len() - 1
                            }),
                    )
                };
                self.bindings.push((prefix, ns));
                pushed += 1;
            }
        }
        for a in &self.attrs[attrs_start..] {
            let value = &self.src[a.value_span()];
            if memchr::memchr(b'&', value.as_bytes()).is_some()
                && quick_xml::escape::unescape(value).is_err()
            {
                return Err(self.syntax(
                    a.value_span().start,
                    format!("the value of `{}` has an unknown entity reference (only predefined entities are allowed)", &self.src[a.name()]),
                ));
            }
            let name = &self.src[a.name()];
            if let Some((p, _)) = split_prefix(name)
                && p != "xmlns"
                && p != "xml"
                && self.lookup(p).is_none()
            {
                return Err(LoadError::UndeclaredPrefix {
                    position: Position::of(self.src, a.name().start),
                    prefix: p.into(),
                });
            }
        }
        let qname = &self.src[name_start..name_end];
        let (prefix_len, ns) = match split_prefix(qname) {
            Some((p, _)) => match self.lookup(p) {
                Some(ns) => (p.len() + 1, Some(ns)),
                None => {
                    return Err(LoadError::UndeclaredPrefix {
                        position: Position::of(self.src, open.start),
                        prefix: p.into(),
                    });
                }
            },
            None => (0, self.lookup("")),
        };
        let id = self.elements.len();
        let parent = self.open.last().map(|&(p, _)| p);
        self.elements.push(Element {
            open: Span::of(open),
            close: None,
            qname_end: name_end as u32,
            prefix_len: prefix_len as u16,
            ns: ns.map_or(NO_NS, |n| n as u16),
            parent: parent.map_or(NO_ELEMENT, |p| p as u32),
            first_child: NO_ELEMENT,
            next_sibling: NO_ELEMENT,
            attrs: Span::of(attrs_start..self.attrs.len()),
        });
        match parent {
            Some(p) => {
                let slot = self
                    .last_child
                    .last_mut()
                    .expect("an open parent has a slot");
                match *slot {
                    Some(prev) => self.elements[prev].next_sibling = id as u32,
                    None => self.elements[p].first_child = id as u32,
                }
                *slot = Some(id);
            }
            None => self.root = Some(id),
        }
        if empty {
            self.bindings.truncate(self.bindings.len() - pushed);
        } else {
            self.open.push((id, pushed));
            self.last_child.push(None);
        }
        Ok(())
    }

    fn close_element(&mut self, close: Range<usize>) {
        // quick-xml checks that end names match, so the top of the stack is this element.
        if let Some((id, pushed)) = self.open.pop() {
            self.elements[id].close = Some(Span::of(close));
            self.bindings.truncate(self.bindings.len() - pushed);
            self.last_child.pop();
        }
    }

    fn lookup(&self, prefix: &str) -> Option<usize> {
        if prefix == "xml" {
            return None;
        }
        self.bindings
            .iter()
            .rev()
            .find(|(p, _)| p == prefix)
            .and_then(|(_, ns)| *ns)
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
