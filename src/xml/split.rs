//! The index's split point: where the last edit ended, and where the holes of the element and
//! attribute vectors sit (see `gap.rs`).
//!
//! Elements starting before the split sit before the holes and store absolute offsets, except
//! the end tags of those that contain the split; elements starting at or after it sit after
//! the holes and store offsets counted from the end of the text ([`super::FROM_END`]). An edit
//! just before the split then changes nothing outside what it re-scans: neither the offsets
//! after it (they count from the end), nor the ids and links (slots after the hole stay put).
//! Moving the split costs what lies between the old and the new place, so editing again and
//! again in `<cpu>` of a 10 MB domain costs the edit, not the domain.

use super::{Document, ElemId, Element, NO_ELEMENT, Span, decode, encode, link};

impl Document {
    /// The plain offset where element `slot` starts.
    pub(crate) fn open_start(&self, slot: ElemId) -> usize {
        decode(self.elements[slot].open.start, self.len) as usize
    }

    /// The first element, in document order, whose start does not satisfy `before` (which
    /// holds for a prefix of the elements); `elements.end()` when there is none.
    pub(crate) fn partition(&self, before: impl Fn(usize) -> bool) -> ElemId {
        let (first, second) = self.elements.parts();
        let len = self.len;
        let i = first.partition_point(|e| before(decode(e.open.start, len) as usize));
        if i < first.len() {
            return i;
        }
        self.elements.hole().end
            + second.partition_point(|e| before(decode(e.open.start, len) as usize))
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
        if n > 0 {
            let agap = self.attrs.hole().len() as u32;
            let old = self.elements.pull_after(n);
            self.attrs.pull_after(m);
            let gap = hole.len() as u32;
            let remap = |p: u32| {
                if p != NO_ELEMENT && old.contains(&(p as usize)) {
                    p - gap
                } else {
                    p
                }
            };
            let new = old.start - hole.len()..old.end - hole.len();
            self.relink_block(new.clone(), remap, |a| a - agap, false, to);
            self.adopt_children_after_hole(new, to);
            self.layout += 1;
            self.fix_chain(chain, remap, to);
        } else {
            self.fix_chain(chain, |p| p, to);
        }
    }

    /// The elements before the hole that start at or after `to` go after it.
    fn split_backward(&mut self, from: usize, to: usize) {
        let hole = self.elements.hole();
        let (mut n, mut m) = (0, 0);
        while n < hole.start && self.open_start(hole.start - 1 - n) >= to {
            m += self.elements[hole.start - 1 - n].attrs_len as usize;
            n += 1;
        }
        if n > 0 {
            let agap = self.attrs.hole().len() as u32;
            let old = self.elements.push_before(n);
            self.attrs.push_before(m);
            let gap = hole.len() as u32;
            let remap = |p: u32| {
                if p != NO_ELEMENT && old.contains(&(p as usize)) {
                    p + gap
                } else {
                    p
                }
            };
            let new = old.start + hole.len()..old.end + hole.len();
            self.relink_block(new.clone(), remap, |a| a + agap, true, to);
            self.adopt_children_after_hole(new, from);
            self.layout += 1;
            self.fix_chain(old.start.checked_sub(1), remap, to);
        } else {
            self.fix_chain(hole.start.checked_sub(1), |p| p, to);
        }
    }

    /// Renumbers the links and attributes of the elements that just crossed the hole (now in
    /// `slots`) and stores their offsets as their new side requires.
    fn relink_block(
        &mut self,
        slots: std::ops::Range<usize>,
        remap: impl Fn(u32) -> u32,
        move_attr: impl Fn(u32) -> u32,
        after: bool,
        split: usize,
    ) {
        let len = self.len;
        for s in slots {
            let e = &mut self.elements[s];
            e.parent = remap(e.parent);
            e.first_child = remap(e.first_child);
            e.next_sibling = remap(e.next_sibling);
            if e.attrs_len > 0 {
                e.attrs_start = move_attr(e.attrs_start);
            }
            encode_element(e, len, split, after);
            let attrs = e.attr_range();
            for k in attrs {
                for at in self.attrs[k].offsets_mut() {
                    *at = encode(decode(*at, len), len, after);
                }
            }
        }
    }

    /// Children that stayed on the far side of the hole while their parent crossed it (the
    /// parent contains `boundary`) point at the parent's new slot.
    fn adopt_children_after_hole(&mut self, slots: std::ops::Range<usize>, boundary: usize) {
        let len = self.len;
        for s in slots {
            let e = self.elements[s];
            if e.empty || (decode(e.close.start, len) as usize) < boundary {
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
        let len = self.len;
        while let Some(s) = at {
            let e = &mut self.elements[s];
            e.first_child = remap(e.first_child);
            e.next_sibling = remap(e.next_sibling);
            encode_element(e, len, split, false);
            at = link(e.parent);
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

/// Stores an element's offsets as its side of the split requires: all from the end after the
/// hole; before it, absolute except the end tag of an element that contains the split.
fn encode_element(e: &mut Element, len: u32, split: usize, after: bool) {
    let d = e.decoded(len);
    let close_from_end = after || (!e.empty && d.close.start as usize >= split);
    let span = |s: Span, from_end: bool| Span {
        start: encode(s.start, len, from_end),
        end: encode(s.end, len, from_end),
    };
    e.open = span(d.open, after);
    e.close = span(d.close, close_from_end);
}
