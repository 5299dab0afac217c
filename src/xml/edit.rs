//! Element- and attribute-level splices that follow the document's own style.
//!
//! Each function returns splices against the current source; nothing here re-serialises
//! anything outside the bytes it replaces.

use super::{Document, ElemId, Splice};

impl Document {
    /// Sets an attribute: replaces the value in place (keeping its quote), or adds
    /// ` name='value'` at the end of the start tag.
    pub fn set_attr(&self, el: ElemId, name: &str, value: &str) -> Splice {
        match self.attr(el, name) {
            Some(a) => {
                let style = super::Style {
                    quote: a.quote() as char,
                    ..self.style().clone()
                };
                Splice::replace(a.value_span(), style.escape_attr(value))
            }
            None => Splice::insert(self.tag_attrs_end(el), self.style().attribute(name, value)),
        }
    }

    /// Removes an attribute with the whitespace before it, if it is there.
    pub fn remove_attr(&self, el: ElemId, name: &str) -> Option<Splice> {
        self.attr(el, name)
            .map(|a| Splice::delete(a.whole(self.source())))
    }

    /// Where new attributes go: just before `>` or `/>` of the start tag (after trailing
    /// whitespace is skipped backwards, so `<cpu >` becomes `<cpu mode='x'>`).
    pub(crate) fn tag_attrs_end(&self, el: ElemId) -> usize {
        let e = self.element(el);
        let bytes = self.source().as_bytes();
        let mut end = e.open().end - 1;
        if e.is_empty_tag() {
            end -= 1;
        }
        while end > e.qname_range().end && bytes[end - 1].is_ascii_whitespace() {
            end -= 1;
        }
        end
    }

    /// Replaces the element's content with escaped text (`<model>NAME</model>`).
    pub fn set_text(&self, el: ElemId, text: &str) -> Splice {
        let e = self.element(el);
        let escaped = super::Style::escape_text(text);
        match e.close() {
            Some(_) => Splice::replace(e.inner(), escaped),
            None => {
                // `<model/>` → `<model>text</model>`.
                let end = e.open().end;
                let name = self.qname(el);
                let slash = self.source()[..end].rfind('/').unwrap_or(end - 2);
                Splice::replace(slash..end, format!(">{escaped}</{name}>"))
            }
        }
    }

    /// The indentation of children of `parent`: an existing child's, else the parent's plus
    /// one unit.
    pub fn child_indent(&self, parent: ElemId) -> String {
        if let Some(indent) = self.children(parent).find_map(|c| self.line_indent(c)) {
            return indent.to_string();
        }
        format!(
            "{}{}",
            self.line_indent(parent).unwrap_or(""),
            self.style().indent
        )
    }

    /// Appends `fragment` (one element, possibly spanning lines already indented for the
    /// child level) as the last child of `parent`, on its own line.
    pub fn append_child(&self, parent: ElemId, fragment: &str) -> Splice {
        let nl = self.style().newline;
        let indent = self.child_indent(parent);
        let e = self.element(parent);
        match self.children(parent).last() {
            Some(last) => self.insert_after(last, fragment),
            None => match e.close() {
                Some(close) => {
                    let parent_indent = self.line_indent(parent).unwrap_or("");
                    Splice::replace(
                        e.open().end..close.start,
                        format!("{nl}{indent}{fragment}{nl}{parent_indent}"),
                    )
                }
                None => {
                    let parent_indent = self.line_indent(parent).unwrap_or("");
                    let name = self.qname(parent);
                    let slash = self.tag_attrs_end(parent);
                    Splice::replace(
                        slash..e.open().end,
                        format!(">{nl}{indent}{fragment}{nl}{parent_indent}</{name}>"),
                    )
                }
            },
        }
    }

    /// Inserts `fragment` as a sibling right after `sibling` and the comments on its line: on
    /// a line of its own with the sibling's indentation, or on the sibling's line when the
    /// sibling shares its line with what comes before it (`<cpu><model>X</model></cpu>`
    /// stays on one line).
    pub fn insert_after(&self, sibling: ElemId, fragment: &str) -> Splice {
        let at = self.end_with_trailing_comments(sibling);
        match self.line_indent(sibling) {
            Some(indent) => {
                Splice::insert(at, format!("{}{indent}{fragment}", self.style().newline))
            }
            None => Splice::insert(at, fragment.to_string()),
        }
    }

    /// Inserts `fragment` as a sibling right before `sibling` and the comments on the lines
    /// above it (which describe the sibling): on a line of its own, or on the sibling's line
    /// when the sibling shares its line with what comes before it.
    pub fn insert_before(&self, sibling: ElemId, fragment: &str) -> Splice {
        let nl = self.style().newline;
        match (
            self.line_indent(sibling),
            self.leading_comments_start(sibling),
        ) {
            (Some(indent), Some(line_start)) => {
                Splice::insert(line_start, format!("{indent}{fragment}{nl}"))
            }
            (Some(indent), None) => Splice::insert(
                self.element(sibling).open().start,
                format!("{fragment}{nl}{indent}"),
            ),
            (None, _) => Splice::insert(self.element(sibling).open().start, fragment.to_string()),
        }
    }

    /// Removes an element; when it is alone on its line (but for comments after it, which go
    /// with it), the whole line goes (no blank line is left behind).
    pub fn remove_element(&self, el: ElemId) -> Splice {
        let outer = self.element(el).outer();
        let src = self.source();
        if self.line_indent(el).is_some() {
            let outer = outer.start..self.end_with_trailing_comments(el);
            let line_start = src[..outer.start].rfind('\n').map_or(0, |p| p + 1);
            let rest = &src[outer.end..];
            let trailing = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            let after = &rest[trailing..];
            let nl = if after.starts_with("\r\n") {
                2
            } else if after.starts_with('\n') {
                1
            } else {
                0
            };
            if nl > 0 {
                return Splice::delete(line_start..outer.end + trailing + nl);
            }
            // The last thing before the parent's end tag on the same line: remove the line
            // break before the element instead.
            if line_start > 0 {
                let before = if src[..line_start - 1].ends_with('\r') {
                    line_start - 2
                } else {
                    line_start - 1
                };
                return Splice::delete(before..outer.end);
            }
        }
        Splice::delete(outer)
    }

    /// Declares the QEMU namespace on `<domain>` when it is not there; returns the prefix to
    /// use for new elements and the splice, if one is needed.
    pub fn ensure_qemu_namespace(&self) -> (String, Option<Splice>) {
        match self.qemu_prefix_on_root() {
            Some(p) if !p.is_empty() => (p, None),
            _ => {
                let root = self.root();
                let prefix = if self.attr(root, "xmlns:qemu").is_some() {
                    "qemucpu"
                } else {
                    "qemu"
                };
                let splice = Splice::insert(
                    self.tag_attrs_end(root),
                    self.style()
                        .attribute(&format!("xmlns:{prefix}"), super::QEMU_NS),
                );
                (prefix.to_string(), Some(splice))
            }
        }
    }
}
