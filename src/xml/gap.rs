//! A vector with a movable hole (a gap buffer), for the element and attribute index.
//!
//! Edits happen again and again in one place (the features of `<cpu>`). With the hole kept
//! where they happen, adding or removing entries there moves nothing else: the entries after
//! the hole keep their slots, and so do the links that point at them (links are slot numbers).
//! Written here because the gap-buffer crates are for text, and this one must tell the index
//! which slots moved when the hole moves (see `split.rs`).

use std::ops::Range;

#[derive(Debug, Clone)]
pub(crate) struct GapVec<T> {
    /// Entries before the hole, the hole (filler), entries after it.
    slots: Vec<T>,
    hole: Range<usize>,
}

/// The hole a new index starts with, for a text of `len` bytes: about 1/32 of the entries
/// (real domains spend 30–40 bytes per element). A small document starts with none: the first
/// edit that needs room makes it, at the cost of moving a small index.
pub(crate) fn initial_hole(len: usize) -> usize {
    len / 1280
}

impl<T: Copy + Default> GapVec<T> {
    /// Entries after a hole of `hole` slots at the start (the indexer leaves it as filler).
    pub(crate) fn with_front_hole(slots: Vec<T>, hole: usize) -> GapVec<T> {
        GapVec {
            slots,
            hole: 0..hole,
        }
    }

    /// How many free slots a hole gets when it grows: enough for a session of edits, small
    /// next to the index.
    fn margin(entries: usize) -> usize {
        (entries / 32).max(256)
    }

    /// The slots of the hole: entries before it are `0..hole.start`, after it `hole.end..`.
    pub(crate) fn hole(&self) -> Range<usize> {
        self.hole.clone()
    }

    /// One past the last slot.
    pub(crate) fn end(&self) -> usize {
        self.slots.len()
    }

    /// How many entries (slots outside the hole).
    pub(crate) fn len(&self) -> usize {
        self.slots.len() - self.hole.len()
    }

    /// The slots that hold entries, in order.
    pub(crate) fn slots(&self) -> impl DoubleEndedIterator<Item = usize> + '_ {
        (0..self.hole.start).chain(self.hole.end..self.slots.len())
    }

    /// The slot before `slot` that holds an entry, skipping the hole.
    pub(crate) fn prev_slot(&self, slot: usize) -> Option<usize> {
        let prev = if slot == self.hole.end {
            self.hole.start
        } else {
            slot
        };
        prev.checked_sub(1)
    }

    /// Moves the first `n` entries after the hole to before it.
    pub(crate) fn pull_after(&mut self, n: usize) -> Moved {
        let moved = Moved {
            from: self.hole.end..self.hole.end + n,
            to: self.hole.start,
        };
        self.move_entries(&moved);
        self.hole = self.hole.start + n..self.hole.end + n;
        moved
    }

    /// Moves the last `n` entries before the hole to after it.
    pub(crate) fn push_before(&mut self, n: usize) -> Moved {
        let moved = Moved {
            from: self.hole.start - n..self.hole.start,
            to: self.hole.end - n,
        };
        self.move_entries(&moved);
        self.hole = self.hole.start - n..self.hole.end - n;
        moved
    }

    /// Copies entries across the hole; what they leave behind becomes hole (its content is
    /// never read).
    fn move_entries(&mut self, m: &Moved) {
        if m.from.start != m.to && !m.from.is_empty() {
            self.slots.copy_within(m.from.clone(), m.to);
        }
    }

    /// Drops the last `drop` entries before the hole and makes room for `room` entries
    /// there. When the hole is too small it grows: the entries after it then move up by the
    /// returned amount (the caller renumbers links to them before filling the room).
    pub(crate) fn make_room(&mut self, drop: usize, room: usize) -> usize {
        self.hole.start -= drop;
        if room <= self.hole.len() {
            return 0;
        }
        let grown = (room - self.hole.len()).max(Self::margin(self.len()));
        let at = self.hole.end;
        self.slots
            .splice(at..at, std::iter::repeat_n(T::default(), grown));
        self.hole.end += grown;
        grown
    }

    /// Puts `new` at the start of the hole (after [`GapVec::make_room`]).
    pub(crate) fn fill(&mut self, new: Vec<T>) {
        debug_assert!(new.len() <= self.hole.len());
        let start = self.hole.start;
        self.hole.start += new.len();
        for (slot, item) in self.slots[start..].iter_mut().zip(new) {
            *slot = item;
        }
    }

    /// The entries before the hole and those after it.
    pub(crate) fn parts(&self) -> (&[T], &[T]) {
        (&self.slots[..self.hole.start], &self.slots[self.hole.end..])
    }

    /// All slots including the hole's filler, for renumbering passes.
    pub(crate) fn raw_mut(&mut self) -> &mut [T] {
        &mut self.slots
    }
}

/// Entries that crossed the hole: from slots `from` to slots starting at `to`.
#[derive(Debug, Clone)]
pub(crate) struct Moved {
    pub from: Range<usize>,
    pub to: usize,
}

impl Moved {
    /// Their slots now.
    pub(crate) fn slots(&self) -> Range<usize> {
        self.to..self.to + self.from.len()
    }

    /// Where a link (or `NO_ELEMENT`, or any other slot) points now.
    pub(crate) fn follow(&self) -> impl Fn(u32) -> u32 + Copy {
        let (start, end, to) = (self.from.start as u32, self.from.end as u32, self.to as u32);
        move |p| {
            if (start..end).contains(&p) {
                p - start + to
            } else {
                p
            }
        }
    }
}

impl<T> std::ops::Index<usize> for GapVec<T> {
    type Output = T;
    fn index(&self, slot: usize) -> &T {
        debug_assert!(
            !(self.hole.start..self.hole.end).contains(&slot),
            "slot {slot} is in the hole"
        );
        &self.slots[slot]
    }
}

impl<T> std::ops::IndexMut<usize> for GapVec<T> {
    fn index_mut(&mut self, slot: usize) -> &mut T {
        debug_assert!(
            !(self.hole.start..self.hole.end).contains(&slot),
            "slot {slot} is in the hole"
        );
        &mut self.slots[slot]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(g: &GapVec<u32>) -> Vec<u32> {
        g.slots().map(|s| g[s]).collect()
    }

    #[test]
    fn moving_the_hole_keeps_the_order() {
        let mut g = GapVec::with_front_hole([0; 2].into_iter().chain(0..10).collect(), 2);
        g.pull_after(10);
        g.push_before(4);
        assert_eq!(entries(&g), (0..10).collect::<Vec<_>>());
        g.make_room(1, 2);
        g.fill(vec![50, 51]);
        assert_eq!(entries(&g), vec![0, 1, 2, 3, 4, 50, 51, 6, 7, 8, 9]);
        let hole = g.hole();
        let moved = g.pull_after(2);
        assert_eq!(g.hole().start, hole.start + 2);
        assert_eq!(moved.follow()(moved.from.start as u32), moved.to as u32);
        assert_eq!(moved.slots(), hole.start..hole.start + 2);
        assert_eq!(entries(&g), vec![0, 1, 2, 3, 4, 50, 51, 6, 7, 8, 9]);
        assert_eq!(g.prev_slot(g.hole().end), Some(g.hole().start - 1));
    }

    #[test]
    fn growing_moves_the_entries_after_the_hole_up() {
        let mut g = GapVec::with_front_hole(vec![0, 0, 1, 2, 3], 2);
        g.pull_after(2);
        let free = g.hole().len();
        assert_eq!(g.make_room(0, free), 0, "the hole had room");
        g.fill(vec![7; free]);
        let end = g.hole().end;
        let grown = g.make_room(0, 1);
        assert!(grown >= 1);
        g.fill(vec![9]);
        assert_eq!(g.hole().end, end + grown);
        let all = entries(&g);
        assert_eq!(
            (all[..2].to_vec(), all[all.len() - 2..].to_vec()),
            (vec![1, 2], vec![9, 3])
        );
    }
}
