//! The index's split point: where the last edit ended, and where the holes of the element and
//! attribute vectors sit (see `gap.rs`).
//!
//! Elements starting before the split sit before the holes and have fixed start tags; their
//! end tags are fixed too, except for the elements that contain the split. Elements starting
//! at or after it sit after the holes and float (their offsets follow the document's shift,
//! see [`super::decode`]). An edit just before the split then changes nothing outside what it
//! re-scans: neither the offsets after it (the shift moves them all), nor the ids and links
//! (slots after the holes stay put). Moving the split costs what lies between the old and the
//! new place. A new index has its split at the very start, all floating, so the first edit in
//! `<cpu>` costs the few elements before it.

use super::gap::Moved;
use super::{
    CLOSE_FIXED, Document, EMPTY, ElemId, Element, NO_ELEMENT, OPEN_FIXED, Span, decode, encode,
    link,
};
use std::ops::Range;

impl Document {
    /// The plain offset where element `slot` starts.
    pub(crate) fn open_start(&self, slot: ElemId) -> usize {
        let e = &self.elements[slot];
        decode(e.open.start, e.open_fixed(), self.shift) as usize
    }

    /// The first element, in document order, whose start does not satisfy `before` (which
    /// holds for a prefix of the elements); `elements.end()` when there is none.
    pub(crate) fn partition(&self, before: impl Fn(usize) -> bool) -> ElemId {
        let (first, second) = self.elements.parts();
        let shift = self.shift;
        let starts = |e: &Element| before(decode(e.open.start, e.open_fixed(), shift) as usize);
        let i = first.partition_point(starts);
        if i < first.len() {
            return i;
        }
        self.elements.hole().end + second.partition_point(starts)
    }

    /// Moves the split to text offset `to` (a place where content starts or ends, never
    /// inside markup), moving the elements in between across the holes.
    pub(crate) fn move_split(&mut self, to: usize) {
        let from = self.split;
        if to > from {
            self.split_forward(to);
        } else if to < from {
            self.split_backward(from, to);
        }
        self.split = to;
    }

    /// The elements after the hole that start before `to` come before it.
    fn split_forward(&mut self, to: usize) {
        let hole = self.elements.hole();
        let (mut n, mut m) = (0, 0);
        while hole.end + n < self.elements.end() && self.open_start(hole.end + n) < to {
            m += self.elements[hole.end + n].attrs_len as usize;
            n += 1;
        }
        let chain = self.elements.prev_slot(hole.end);
        if n == 0 {
            return self.fix_chain(chain, |p| p, to);
        }
        let elements = self.elements.pull_after(n);
        let attrs = self.attrs.pull_after(m);
        // Those that contain `to` keep children after the hole.
        self.crossed(&elements, &attrs, false, to, to);
        self.fix_chain(chain, elements.follow(), to);
    }

    /// The elements before the hole that start at or after `to` go after it.
    fn split_backward(&mut self, from: usize, to: usize) {
        let hole = self.elements.hole();
        let (mut n, mut m) = (0, 0);
        while n < hole.start && self.open_start(hole.start - 1 - n) >= to {
            m += self.elements[hole.start - 1 - n].attrs_len as usize;
            n += 1;
        }
        if n == 0 {
            return self.fix_chain(hole.start.checked_sub(1), |p| p, to);
        }
        let elements = self.elements.push_before(n);
        let attrs = self.attrs.push_before(m);
        // Those that contain the old split keep children beyond it, after them.
        self.crossed(&elements, &attrs, true, to, from);
        self.fix_chain(elements.from.start.checked_sub(1), elements.follow(), to);
    }

    /// After `elements` (and their `attrs`) crossed the hole to its `after` side: the root
    /// and their own links follow, their offsets are stored as that side requires, and the
    /// children left behind by those that contain `boundary` point at them again.
    fn crossed(
        &mut self,
        elements: &Moved,
        attrs: &Moved,
        after: bool,
        split: usize,
        boundary: usize,
    ) {
        let remap = elements.follow();
        self.root = remap(self.root as u32) as usize;
        self.relink_block(elements.slots(), remap, attrs.follow(), after, split);
        self.adopt_children(elements.slots(), boundary);
        self.layout += 1;
    }

    /// Renumbers the links and attributes of the elements that just crossed the hole (now in
    /// `slots`) and stores their offsets as their new side requires.
    fn relink_block(
        &mut self,
        slots: Range<usize>,
        remap: impl Fn(u32) -> u32,
        move_attr: impl Fn(u32) -> u32,
        after: bool,
        split: usize,
    ) {
        for s in slots {
            let e = &mut self.elements[s];
            e.parent = remap(e.parent);
            e.first_child = remap(e.first_child);
            e.next_sibling = remap(e.next_sibling);
            if e.attrs_len > 0 {
                e.attrs_start = move_attr(e.attrs_start);
            }
            self.store(s, split, after);
        }
    }

    /// Children that stayed on the far side of the hole while their parent crossed it (the
    /// parent contains `boundary`) point at the parent's new slot.
    fn adopt_children(&mut self, slots: Range<usize>, boundary: usize) {
        for s in slots {
            let e = self.elements[s].decoded(self.shift);
            if e.is_empty_tag() || (e.close.start as usize) < boundary {
                continue;
            }
            let mut c = link(e.first_child);
            while let Some(child) = c {
                self.elements[child].parent = s as u32;
                c = link(self.elements[child].next_sibling);
            }
        }
    }

    /// The element before the block and its ancestors: their links into the block, and the
    /// end tags of those that contain the new split.
    fn fix_chain(&mut self, mut at: Option<ElemId>, remap: impl Fn(u32) -> u32, split: usize) {
        while let Some(s) = at {
            let e = &mut self.elements[s];
            e.first_child = remap(e.first_child);
            e.next_sibling = remap(e.next_sibling);
            at = link(e.parent);
            self.store(s, split, false);
        }
    }

    /// Stores element `slot`'s offsets (and its attributes') as its side of the split
    /// requires: all floating after the hole; before it, all fixed except the end tag of an
    /// element that contains the split.
    fn store(&mut self, slot: ElemId, split: usize, after: bool) {
        let shift = self.shift;
        let e = &mut self.elements[slot];
        let was = e.open_fixed();
        let d = e.decoded(shift);
        let open_fixed = !after;
        let close_fixed = !after && (d.is_empty_tag() || (d.close.start as usize) < split);
        let span = |s: Span, fixed: bool| Span {
            start: encode(s.start, fixed, shift),
            end: encode(s.end, fixed, shift),
        };
        e.open = span(d.open, open_fixed);
        e.close = span(d.close, close_fixed);
        e.flags = (e.flags & EMPTY)
            | if open_fixed { OPEN_FIXED } else { 0 }
            | if close_fixed { CLOSE_FIXED } else { 0 };
        if was != open_fixed {
            for k in e.attr_range() {
                for at in self.attrs[k].offsets_mut() {
                    *at = encode(decode(*at, was, shift), open_fixed, shift);
                }
            }
        }
    }

    /// After the element hole grew by `grown` slots (and the attribute hole by `agrown`):
    /// links to the entries after the holes follow them. Touches every entry, which is why
    /// the holes grow by a good margin.
    pub(crate) fn renumber_after_growth(
        &mut self,
        old_end: usize,
        grown: usize,
        old_attr_end: usize,
        agrown: usize,
    ) {
        let (old_end, grown) = (old_end as u32, grown as u32);
        let (old_attr_end, agrown) = (old_attr_end as u32, agrown as u32);
        for e in self.elements.raw_mut() {
            for l in [&mut e.parent, &mut e.first_child, &mut e.next_sibling] {
                if *l != NO_ELEMENT && *l >= old_end {
                    *l += grown;
                }
            }
            if e.attrs_len > 0 && e.attrs_start >= old_attr_end {
                e.attrs_start += agrown;
            }
        }
        self.layout += 1;
    }
}

/// Fixes the offsets of re-scanned elements (the indexer wrote them plain, for today's text).
pub(crate) fn fix_all(elements: &mut [Element]) {
    for e in elements {
        e.flags |= OPEN_FIXED | CLOSE_FIXED;
    }
}
