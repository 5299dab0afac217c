//! Re-indexing after an edit without scanning the whole document again.
//!
//! An edit touches a few bytes inside one element (a `<feature>` in `<cpu>`, a new
//! `<qemu:cpu>` under `<domain>`). The children of that element which the splices touch are
//! scanned again as a fragment; every other element keeps its entry, shifted by the change in
//! length (bytes) and in count (ids). On a 10 MB domain this is what keeps an edit instant:
//! a full re-index costs tens of milliseconds, this costs the shift.
//!
//! Anything that cannot be localised this way (an edit of the root's own start tag, such as
//! the first `xmlns:qemu` declaration) falls back to a full parse; `tests/reindex.rs` checks
//! that both ways always give the same index.

use super::index::{self, Fragment, FragmentParts};
use super::{Document, ElemId, Element, link};
use std::ops::Range;

/// What to re-scan: the content of `parent` between `old` (in the old source).
pub(crate) struct Plan {
    parent: ElemId,
    old: Range<usize>,
}

/// The elements a plan re-scans, once the split sits at the plan's end: the last ones before
/// the holes (`elements` and `attrs` count them).
struct Block {
    first: ElemId,
    elements: usize,
    attrs: usize,
}

/// Re-indexes `doc` for `new_src`, the result of splices that changed `changed` (a range of
/// the old source, from the first splice's start to the last one's end). `doc`'s own text
/// may already be gone (edited in place into `new_src`): only its index is read, and bytes
/// before the change, which both texts share. Returns `None` when the change cannot be
/// localised or the fragment does not parse (the caller then parses the whole document,
/// which also gives the error its full context); `doc` still indexes the old text then.
pub(crate) fn localised(
    doc: &mut Document,
    changed: Range<usize>,
    new_src: &str,
) -> Option<(Plan, FragmentParts)> {
    let end = plan(doc, changed.clone())?.old.end;
    let delta = new_src.len() as isize - doc.len as isize;
    let new_end = end.checked_add_signed(delta)?;
    doc.move_split(end);
    // Moving the split may move the parent across the hole: plan again for its new slot.
    let doc: &Document = doc;
    let plan = plan(doc, changed)?;
    let block = block(doc, plan.old.start);
    let at = Fragment {
        doc,
        parent: plan.parent,
        id_base: block.first,
        attr_base: doc.attrs.hole().start - block.attrs,
    };
    let parts = index::fragment(&new_src[..new_end], plan.old.start, &at).ok()?;
    Some((plan, parts))
}

/// The elements before the holes that start at or after `start`.
fn block(doc: &Document, start: usize) -> Block {
    let first = doc.partition(|s| s < start).min(doc.elements.hole().start);
    let end = doc.elements.hole().start;
    Block {
        first,
        elements: end - first,
        attrs: (first..end)
            .map(|s| doc.elements[s].attrs_len as usize)
            .sum(),
    }
}

/// Installs the re-scanned fragment into `doc`, whose source becomes `new_src`: the fragment
/// takes the place of the block before the holes; nothing after the holes moves.
pub(crate) fn commit(doc: &mut Document, plan: Plan, parts: FragmentParts, new_src: String) {
    let block = block(doc, plan.old.start);
    // The parent's child before the region (its next sibling is re-linked below), and the
    // one after it (which the fragment's last top-level element links to).
    let prev = doc.elements.prev_slot(block.first).and_then(|mut c| {
        if c <= plan.parent {
            return None;
        }
        while doc.elements[c].parent as usize != plan.parent {
            c = doc.elements[c].parent as usize;
        }
        Some(c)
    });
    let after = doc.elements.hole().end;
    let mut next = (after < doc.elements.end()
        && doc.elements[after].parent as usize == plan.parent)
        .then_some(after);

    let (old_end, old_attr_end) = (after, doc.attrs.hole().end);
    let grown = doc.elements.make_room(block.elements, parts.elements.len());
    let agrown = doc.attrs.make_room(block.attrs, parts.attrs.len());
    if grown > 0 || agrown > 0 {
        doc.renumber_after_growth(old_end, grown, old_attr_end, agrown);
        next = next.map(|n| n + grown);
    }
    let mut elements = parts.elements;
    super::split::fix_all(&mut elements);
    doc.elements.fill(elements);
    doc.attrs.fill(parts.attrs);
    let next = next.map_or(super::NO_ELEMENT, |n| n as u32);
    let first_new = link(parts.first_top).map_or(next, |f| f as u32);
    match prev {
        Some(p) => doc.elements[p].next_sibling = first_new,
        None => doc.elements[plan.parent].first_child = first_new,
    }
    if let Some(l) = link(parts.last_top) {
        doc.elements[l].next_sibling = next;
    }
    let delta = new_src.len() as isize - doc.len as isize;
    doc.shift = doc.shift.wrapping_add(delta as u32);
    doc.split = plan.old.end.wrapping_add_signed(delta);
    doc.rescanned = Some(plan.old.start..doc.split);
    doc.len = new_src.len() as u32;
    doc.namespaces = parts.namespaces;
    doc.src = std::sync::Arc::new(new_src);
    doc.detect_style();
}

/// Finds the element whose content holds the whole change, and widens the change to whole
/// children of it.
fn plan(doc: &Document, changed: Range<usize>) -> Option<Plan> {
    let (lo, hi) = (changed.start, changed.end);
    let els = &doc.elements;
    let el = |s: ElemId| doc.element(s);
    // The last element starting at or before `lo`, then up to the first whose content
    // holds [lo, hi]. None when the change touches the root's own tags.
    let mut parent = els.prev_slot(doc.partition(|s| s <= lo))?;
    while !content_holds(&el(parent), lo, hi) {
        parent = link(els[parent].parent)?;
    }
    let child_at = |p: usize, strictly_before: bool| -> Option<ElemId> {
        let n = if strictly_before {
            doc.partition(|s| s < p)
        } else {
            doc.partition(|s| s <= p)
        };
        let mut c = els.prev_slot(n)?;
        if c <= parent {
            return None;
        }
        while els[c].parent as usize != parent {
            c = els[c].parent as usize;
        }
        Some(c)
    };
    // Widen to places where content starts: never inside a comment, CDATA or a child.
    let content = el(parent).inner();
    let start = match child_at(lo, false).map(el) {
        // A child overlapping the change (for an insertion, strictly around it) goes whole.
        Some(c) if c.outer().end > lo && c.outer().start < hi => c.outer().start,
        Some(c) if c.outer().end <= lo => c.outer().end,
        Some(c) => c.outer().start,
        None => content.start,
    };
    let end = match child_at(hi, true).map(el) {
        Some(c) if c.outer().end > hi => c.outer().end,
        _ => {
            let next = doc.partition(|s| s < hi);
            if next < els.end() {
                doc.open_start(next).min(content.end)
            } else {
                content.end
            }
        }
    };
    Some(Plan {
        parent,
        old: start..end,
    })
}

/// The change [lo, hi] lies in the element's content, not in its tags.
fn content_holds(e: &Element, lo: usize, hi: usize) -> bool {
    !e.is_empty_tag() && e.open.end as usize <= lo && hi <= e.close.start as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::Splice;

    const SRC: &str = "<domain>\n  <cpu mode='custom'>\n    <model>Nehalem</model>\n    <!-- <x/> -->\n  </cpu>\n  <devices>\n    <disk/>\n  </devices>\n</domain>\n";

    fn doc() -> Document {
        Document::parse(SRC.as_bytes()).unwrap()
    }

    fn id(doc: &Document, name: &str) -> ElemId {
        doc.element_ids().find(|&i| doc.qname(i) == name).unwrap()
    }

    /// The plan for a splice, with the name of the element whose content it re-scans.
    fn localise(doc: &Document, s: &Splice) -> Option<(Plan, String)> {
        let (text, _) = crate::xml::splice::apply(doc.source(), std::slice::from_ref(s)).ok()?;
        let mut doc = doc.clone();
        let (plan, _) = localised(&mut doc, s.range.clone(), &text)?;
        let parent = doc.qname(plan.parent).to_string();
        Some((plan, parent))
    }

    /// The ids of the elements a plan re-scans, in the unedited document.
    fn rescanned(doc: &Document, plan: &Plan) -> Vec<ElemId> {
        doc.element_ids()
            .filter(|&i| plan.old.contains(&doc.element(i).open().start))
            .collect()
    }

    #[test]
    fn a_text_edit_rescans_only_the_element_around_it() {
        let doc = doc();
        let model = id(&doc, "model");
        let (plan, parent) =
            localise(&doc, &Splice::replace(doc.element(model).inner(), "EPYC")).unwrap();
        assert_eq!(parent, "model");
        assert!(rescanned(&doc, &plan).is_empty());
    }

    #[test]
    fn an_attribute_edit_rescans_that_element_only() {
        let doc = doc();
        let cpu = id(&doc, "cpu");
        let value = doc.attrs(cpu).next().unwrap().value_span();
        let (plan, parent) = localise(&doc, &Splice::replace(value, "host-model")).unwrap();
        assert_eq!(parent, "domain");
        let devices = id(&doc, "devices");
        let between: Vec<ElemId> = doc
            .element_ids()
            .filter(|&i| i >= cpu && i < devices)
            .collect();
        assert_eq!(rescanned(&doc, &plan), between);
    }

    #[test]
    fn an_edit_inside_a_comment_rescans_from_a_content_boundary() {
        let doc = doc();
        let at = SRC.find("<x/>").unwrap();
        let (plan, parent) = localise(&doc, &Splice::insert(at + 1, "y")).unwrap();
        assert_eq!(parent, "cpu");
        // From the end of <model> to the end tag of <cpu>: the whole comment.
        assert_eq!(plan.old.start, doc.element(id(&doc, "model")).outer().end);
        assert_eq!(plan.old.end, doc.element(id(&doc, "cpu")).inner().end);
    }

    #[test]
    fn an_edit_of_the_root_start_tag_is_not_localised() {
        let doc = doc();
        assert!(localise(&doc, &Splice::insert(7, " xmlns:q='u'")).is_none());
    }
}
