//! Comments between child elements, and which element each belongs to, so that edits keep
//! them with what they describe: a new element goes after a trailing comment, not between an
//! element and it; removing an element removes the comment on its line; moving elements to
//! another parent carries their comments along.
//!
//! The index holds elements only; comments live in the gaps between them, which are short
//! (whitespace and the occasional comment) and are scanned here when an edit needs them.

use super::{Document, ElemId};
use std::ops::Range;

/// What a comment sits next to, as a reader of the file sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentPlace {
    /// On the line where this sibling ends, after it.
    After(ElemId),
    /// On a line of its own before this sibling.
    Before(ElemId),
    /// After the last child, on a line of its own (or in a parent without children).
    End,
}

/// One comment among an element's children: its bytes (`<!-- … -->`) and its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub range: Range<usize>,
    pub place: CommentPlace,
}

/// The `<!-- … -->` comments of a gap of character data, in order. A gap may also hold CDATA
/// and processing instructions, whose contents are skipped (`<!--` inside them is no comment).
fn comments_in_gap(src: &str, gap: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = gap.start;
    while let Some(offset) = src[at..gap.end].find('<') {
        let start = at + offset;
        let rest = &src[start..gap.end];
        let (open, close) = if rest.starts_with("<!--") {
            ("<!--", "-->")
        } else if rest.starts_with("<![CDATA[") {
            ("<![CDATA[", "]]>")
        } else if rest.starts_with("<?") {
            ("<?", "?>")
        } else {
            at = start + 1;
            continue;
        };
        // The document parsed, so every construct is closed inside its gap.
        let end = src[start + open.len()..gap.end]
            .find(close)
            .map_or(gap.end, |p| start + open.len() + p + close.len());
        if open == "<!--" {
            out.push(start..end);
        }
        at = end;
    }
    out
}

impl Document {
    /// The comments among `parent`'s children, in document order, each with its place.
    pub fn comments_in(&self, parent: ElemId) -> Vec<Comment> {
        let e = self.element(parent);
        if e.is_empty_tag() {
            return Vec::new();
        }
        let src = self.source();
        let children: Vec<ElemId> = self.children(parent).collect();
        let mut out = Vec::new();
        // Gap k lies before child k (the last one before the end tag).
        for k in 0..=children.len() {
            let start = match k {
                0 => e.inner().start,
                _ => self.element(children[k - 1]).outer().end,
            };
            let end = children
                .get(k)
                .map_or(e.inner().end, |&c| self.element(c).outer().start);
            for range in comments_in_gap(src, start..end) {
                let same_line = !src[start..range.start].contains('\n');
                let place = match (k.checked_sub(1).map(|p| children[p]), children.get(k)) {
                    (Some(prev), _) if same_line => CommentPlace::After(prev),
                    (_, Some(&next)) => CommentPlace::Before(next),
                    _ => CommentPlace::End,
                };
                out.push(Comment { range, place });
            }
        }
        out
    }

    /// Where the line of `el` ends for an edit: after the comments that follow it on the
    /// same line (`<model>X</model> <!-- why -->`), else right after the element.
    pub fn end_with_trailing_comments(&self, el: ElemId) -> usize {
        let src = self.source();
        let mut end = self.element(el).outer().end;
        loop {
            let rest = &src[end..];
            let blank = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            let Some(body) = rest[blank..].strip_prefix("<!--") else {
                return end;
            };
            match body.find("-->") {
                Some(p) => end += blank + 4 + p + 3,
                None => return end,
            }
        }
    }

    /// Where the comments on their own lines right before `el` start (the start of the first
    /// one's line), or `None` when there are none.
    pub fn leading_comments_start(&self, el: ElemId) -> Option<usize> {
        let parent = self.parent(el)?;
        let first = self
            .comments_in(parent)
            .into_iter()
            .find(|c| c.place == CommentPlace::Before(el))?;
        let src = self.source();
        Some(src[..first.range.start].rfind('\n').map_or(0, |p| p + 1))
    }

    /// True when no element other than those under `except` is in the QEMU namespace, and no
    /// attribute anywhere outside it uses `prefix`: its declaration on `<domain>` is then
    /// unused once `except` is gone.
    pub fn qemu_prefix_unused_without(&self, except: ElemId, prefix: &str) -> bool {
        let gone = self.element(except).outer();
        let attr_prefix = format!("{prefix}:");
        self.element_ids()
            .filter(|&id| !gone.contains(&self.element(id).open().start))
            .all(|id| {
                self.namespace(id) != Some(super::QEMU_NS)
                    && self
                        .attrs(id)
                        .all(|a| !self.source()[a.name()].starts_with(&attr_prefix))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(xml: &str) -> Document {
        Document::parse(xml.as_bytes()).unwrap()
    }

    #[test]
    fn comments_belong_to_the_line_they_share_or_the_element_below() {
        let d = doc(
            "<cpu>\n  <!-- a -->\n  <model>X</model> <!-- b -->\n  <![CDATA[<!-- not -->]]>\n  <feature name='f'/>\n  <!-- c -->\n</cpu>",
        );
        let cpu = d.root();
        let kids: Vec<_> = d.children(cpu).collect();
        let found: Vec<_> = d
            .comments_in(cpu)
            .into_iter()
            .map(|c| (&d.source()[c.range], c.place))
            .collect();
        assert_eq!(
            found,
            [
                ("<!-- a -->", CommentPlace::Before(kids[0])),
                ("<!-- b -->", CommentPlace::After(kids[0])),
                ("<!-- c -->", CommentPlace::End),
            ]
        );
        assert_eq!(
            &d.source()[..d.end_with_trailing_comments(kids[0])],
            "<cpu>\n  <!-- a -->\n  <model>X</model> <!-- b -->"
        );
        assert_eq!(
            d.end_with_trailing_comments(kids[1]),
            d.element(kids[1]).outer().end
        );
        assert_eq!(d.leading_comments_start(kids[0]), Some(6));
        assert_eq!(d.leading_comments_start(kids[1]), None);
    }

    #[test]
    fn an_unused_qemu_prefix_is_found_unused() {
        let d = doc(
            "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><qemu:cpu><qemu:model name='x'/></qemu:cpu><name>a</name></domain>",
        );
        let q = d.children(d.root()).next().unwrap();
        assert!(d.qemu_prefix_unused_without(q, "qemu"));
        let d = doc(
            "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><qemu:cpu/><qemu:commandline/></domain>",
        );
        let q = d.children(d.root()).next().unwrap();
        assert!(!d.qemu_prefix_unused_without(q, "qemu"));
    }
}
