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
use super::{Document, ElemId, Element, NO_ELEMENT, Span, link};
use std::ops::Range;

/// What to re-scan: the content of `parent` between `old` (in the old source); the elements
/// `ids` and attributes `attrs` of the old index lie there.
pub(crate) struct Plan {
    parent: ElemId,
    old: Range<usize>,
    ids: Range<usize>,
    attrs: Range<usize>,
    /// New length minus old length of the text.
    delta: isize,
}

/// Re-indexes `doc` for `new_src`, the result of splices that changed `changed` (a range of
/// the old source of `old_len` bytes, from the first splice's start to the last one's end).
/// `doc`'s own text may already be gone (edited in place into `new_src`): only its index is
/// read, and bytes before the change, which both texts share. Returns `None` when
/// the change cannot be localised or the fragment does not parse (the caller then parses the
/// whole document, which also gives the error its full context).
pub(crate) fn localised(
    doc: &Document,
    old_len: usize,
    changed: Range<usize>,
    new_src: &str,
) -> Option<(Plan, FragmentParts)> {
    let mut plan = plan(doc, changed)?;
    let delta = new_src.len() as isize - old_len as isize;
    plan.delta = delta;
    let new_end = plan.old.end.checked_add_signed(delta)?;
    let at = Fragment {
        doc,
        parent: plan.parent,
        id_base: plan.ids.start,
        attr_base: plan.attrs.start,
    };
    let parts = index::fragment(&new_src[..new_end], plan.old.start, &at).ok()?;
    Some((plan, parts))
}

/// Installs the re-scanned fragment into `doc`, whose source becomes `new_src`.
pub(crate) fn commit(doc: &mut Document, plan: Plan, parts: FragmentParts, new_src: String) {
    let delta = plan.delta;
    let id_shift = parts.elements.len() as isize - plan.ids.len() as isize;
    let attr_shift = parts.attrs.len() as isize - plan.attrs.len() as isize;
    let (first, last) = (plan.ids.start, plan.ids.end);
    // Wrapping arithmetic on u32 adds a negative shift too; branch-free, so that the loops
    // over a large index below stay a few cycles per element.
    let shift_id = |id: u32| -> u32 {
        let moves = (id as usize >= last) & (id != NO_ELEMENT);
        id.wrapping_add((moves as u32).wrapping_mul(id_shift as u32))
    };
    let shift_span = |s: Span| Span {
        start: s.start.wrapping_add(delta as u32),
        end: s.end.wrapping_add(delta as u32),
    };

    // The parent's child before the region (its next sibling is re-linked below), and the
    // one after it (which the fragment's last top-level element links to).
    let prev = (first > plan.parent + 1).then(|| {
        let mut c = first - 1;
        while doc.elements[c].parent as usize != plan.parent {
            c = doc.elements[c].parent as usize;
        }
        c
    });
    let next = (last < doc.elements.len() && doc.elements[last].parent as usize == plan.parent)
        .then_some(last);

    for el in &mut doc.elements[..first] {
        el.first_child = shift_id(el.first_child);
        el.next_sibling = shift_id(el.next_sibling);
        // Ancestors of the region end after it.
        if !el.empty && el.close.start as usize >= plan.old.end {
            el.close = shift_span(el.close);
        }
    }
    for el in &mut doc.elements[last..] {
        shift_element(el, &shift_span, &shift_id, attr_shift);
    }
    for a in &mut doc.attrs[plan.attrs.end..] {
        a.shift(delta);
    }
    let next_now = next.map_or(NO_ELEMENT, |n| (n as isize + id_shift) as u32);
    let first_new = if parts.first_top != NO_ELEMENT {
        parts.first_top
    } else {
        next_now
    };
    match prev {
        Some(p) => doc.elements[p].next_sibling = first_new,
        None => doc.elements[plan.parent].first_child = first_new,
    }
    let mut elements = parts.elements;
    if let Some(l) = link(parts.last_top) {
        elements[l - first].next_sibling = next_now;
    }
    doc.elements.splice(first..last, elements);
    doc.attrs.splice(plan.attrs.clone(), parts.attrs);
    doc.namespaces = parts.namespaces;
    doc.src = std::sync::Arc::new(new_src);
    doc.detect_style();
}

fn shift_element(
    el: &mut Element,
    shift_span: &impl Fn(Span) -> Span,
    shift_id: &impl Fn(u32) -> u32,
    attr_shift: isize,
) {
    el.open = shift_span(el.open);
    el.close = shift_span(el.close);
    el.parent = shift_id(el.parent);
    el.first_child = shift_id(el.first_child);
    el.next_sibling = shift_id(el.next_sibling);
    el.attrs_start = el.attrs_start.wrapping_add(attr_shift as u32);
}

/// Finds the element whose content holds the whole change, and widens the change to whole
/// children of it.
fn plan(doc: &Document, changed: Range<usize>) -> Option<Plan> {
    let (lo, hi) = (changed.start, changed.end);
    let els = &doc.elements;
    // The last element starting at or before `lo`, then up to the first whose content
    // holds [lo, hi]. None when the change touches the root's own tags.
    let mut parent = els
        .partition_point(|e| e.open.start as usize <= lo)
        .checked_sub(1)?;
    while !content_holds(&els[parent], lo, hi) {
        parent = link(els[parent].parent)?;
    }
    let child_at = |p: usize, strictly_before: bool| -> Option<ElemId> {
        let n = if strictly_before {
            els.partition_point(|e| (e.open.start as usize) < p)
        } else {
            els.partition_point(|e| e.open.start as usize <= p)
        };
        let mut c = n.checked_sub(1)?;
        if c <= parent {
            return None;
        }
        while els[c].parent as usize != parent {
            c = els[c].parent as usize;
        }
        Some(c)
    };
    // Widen to places where content starts: never inside a comment, CDATA or a child.
    let content = els[parent].inner();
    let start = match child_at(lo, false) {
        // A child overlapping the change (for an insertion, strictly around it) goes whole.
        Some(c) if els[c].outer().end > lo && els[c].outer().start < hi => els[c].outer().start,
        Some(c) if els[c].outer().end <= lo => els[c].outer().end,
        Some(c) => els[c].outer().start,
        None => content.start,
    };
    let end = match child_at(hi, true) {
        Some(c) if els[c].outer().end > hi => els[c].outer().end,
        _ => {
            let next = els.partition_point(|e| (e.open.start as usize) < hi);
            els.get(next)
                .map_or(content.end, |e| (e.open.start as usize).min(content.end))
        }
    };
    let ids = els.partition_point(|e| (e.open.start as usize) < start)
        ..els.partition_point(|e| (e.open.start as usize) < end);
    let attr_at = |id: usize| {
        els.get(id)
            .map_or(doc.attrs.len(), |e| e.attrs_start as usize)
    };
    Some(Plan {
        parent,
        old: start..end,
        attrs: attr_at(ids.start)..attr_at(ids.end),
        ids,
        delta: 0,
    })
}

/// The change [lo, hi] lies in the element's content, not in its tags.
fn content_holds(e: &Element, lo: usize, hi: usize) -> bool {
    !e.empty && e.open.end as usize <= lo && hi <= e.close.start as usize
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
        (0..doc.element_count())
            .find(|&i| doc.qname(i) == name)
            .unwrap()
    }

    fn localise(doc: &Document, s: &Splice) -> Option<Plan> {
        let (text, _) = crate::xml::splice::apply(doc.source(), std::slice::from_ref(s)).ok()?;
        localised(doc, doc.source().len(), s.range.clone(), &text).map(|(plan, _)| plan)
    }

    #[test]
    fn a_text_edit_rescans_only_the_element_around_it() {
        let doc = doc();
        let model = id(&doc, "model");
        let plan = localise(&doc, &Splice::replace(doc.element(model).inner(), "EPYC")).unwrap();
        assert_eq!(plan.parent, model);
        assert!(plan.ids.is_empty());
    }

    #[test]
    fn an_attribute_edit_rescans_that_element_only() {
        let doc = doc();
        let cpu = id(&doc, "cpu");
        let value = doc.attrs(cpu)[0].value_span();
        let plan = localise(&doc, &Splice::replace(value, "host-model")).unwrap();
        assert_eq!(plan.parent, doc.root());
        assert_eq!(plan.ids, cpu..id(&doc, "devices"));
    }

    #[test]
    fn an_edit_inside_a_comment_rescans_from_a_content_boundary() {
        let doc = doc();
        let at = SRC.find("<x/>").unwrap();
        let plan = localise(&doc, &Splice::insert(at + 1, "y")).unwrap();
        assert_eq!(plan.parent, id(&doc, "cpu"));
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
