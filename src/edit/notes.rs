//! The user's comments, carried along when an edit moves elements into new ones (`<cpu>` →
//! `<qemu:cpu>` and back): a comment goes where the element it describes goes, and a comment
//! describing nothing that moves is kept at the end of the new element, never dropped.

use crate::xml::{CommentPlace, Document, ElemId, Splice};
use std::collections::HashMap;

/// The comments beside one element: on the lines before it, and after it on its line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Notes {
    pub before: Vec<String>,
    pub after: Vec<String>,
}

impl Notes {
    /// `text` with its comments, the ones before on lines of their own at `indent` (the
    /// caller puts `text` itself after its own line break and indentation).
    pub fn around(&self, text: &str, nl: &str, indent: &str) -> String {
        let mut out = String::new();
        for c in &self.before {
            out.push_str(&format!("{c}{nl}{indent}"));
        }
        out.push_str(text);
        for c in &self.after {
            out.push_str(&format!(" {c}"));
        }
        out
    }
}

/// The comments inside an element that an edit replaces as a whole, sorted by what they
/// describe: `of[child]` for the children that go somewhere, `rest` for the others.
#[derive(Debug, Default, Clone)]
pub(crate) struct Carried {
    of: HashMap<ElemId, Notes>,
    pub rest: Vec<String>,
}

impl Carried {
    /// The comments among `parent`'s children. Those beside a child in `moving` are kept for
    /// it; all others go to `rest`, unless `only_moving` (the parent stays, and so do they).
    pub fn from(doc: &Document, parent: ElemId, moving: &[ElemId], only_moving: bool) -> Carried {
        let mut carried = Carried::default();
        for c in doc.comments_in(parent) {
            let text = doc.source()[c.range].to_string();
            match c.place {
                CommentPlace::Before(el) if moving.contains(&el) => {
                    carried.of.entry(el).or_default().before.push(text)
                }
                CommentPlace::After(el) if moving.contains(&el) => {
                    carried.of.entry(el).or_default().after.push(text)
                }
                _ if only_moving => {}
                _ => carried.rest.push(text),
            }
        }
        carried
    }

    /// The comments of a moving child (none when it had none).
    pub fn of(&self, el: ElemId) -> Notes {
        self.of.get(&el).cloned().unwrap_or_default()
    }
}

/// Removes a child that moves elsewhere with the comments on the lines above it, which move
/// with it (the comment on its own line goes with it anyway, see `remove_element`).
pub(crate) fn remove_with_comments(doc: &Document, el: ElemId) -> Splice {
    let mut splice = doc.remove_element(el);
    if let Some(line_start) = doc.leading_comments_start(el) {
        let src = doc.source();
        // When the element's removal takes the line break before it (it was last on the
        // parent's closing line), the comments' removal takes the one before them.
        let takes_break_before = src[splice.range.start..].starts_with(['\n', '\r']);
        let before = &src[..line_start];
        splice.range.start = match takes_break_before {
            true if before.ends_with("\r\n") => line_start - 2,
            true if before.ends_with('\n') => line_start - 1,
            _ => line_start,
        };
    }
    splice
}

/// Comments on lines of their own at the end of a block being written: `{nl}{indent}<!-- … -->`
/// for each.
pub(crate) fn tail_lines(comments: &[String], nl: &str, indent: &str) -> String {
    comments
        .iter()
        .map(|c| format!("{nl}{indent}{c}"))
        .collect()
}

/// The comments for the children of an element being written, in its order: the model's,
/// each option's or feature's (by position), and the rest, at its end.
#[derive(Debug, Default, Clone)]
pub(crate) struct Placed {
    pub model: Notes,
    pub items: Vec<Notes>,
    pub tail: Vec<String>,
}

impl Placed {
    /// The comments of item `k` (none when it has none).
    pub fn item(&self, k: usize) -> Notes {
        self.items.get(k).cloned().unwrap_or_default()
    }
}
