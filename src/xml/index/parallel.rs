//! Indexing a large document on two cores: the first half as usual, the second half "detached"
//! on another thread, then stitched together.
//!
//! The split is a guess: a line that starts with a start tag near the middle. The second half
//! is scanned without knowing what is open above it; end tags that close something of the first
//! half, and its top-level elements, are recorded as events, and prefixes it does not bind are
//! deferred. The merge replays those events on the first half's open elements. Whatever does not
//! fit — the guess landed inside a comment or a tag, an end tag does not match, a namespace is
//! declared where the second half cannot see it, anything at all is wrong with the XML — gives
//! `None`, and the caller indexes the whole document sequentially, which also gives every error
//! its usual message. So the result, when there is one, is exactly the sequential index
//! (`tests/index_parallel.rs` checks this at many split points).

use super::{Indexer, Open, Parts};
use crate::xml::attrs::Attr;
use crate::xml::{Element, NO_ELEMENT, NO_NS, Span};

/// Below this, one core is fast enough and the thread costs more than it saves.
pub(super) const MIN_PARALLEL: usize = 1 << 20;

/// The stand-in for "whatever is open in the first half", at the bottom of the detached half's
/// stack of open elements.
pub(super) const OUTSIDE: usize = usize::MAX >> 1;

/// What the detached half leaves for the merge.
#[derive(Debug, Default)]
pub(super) struct Detached {
    /// Its top-level elements and the end tags that close first-half elements, in order.
    pub events: Vec<TopEvent>,
    /// Elements whose prefix it does not bind: (its element index, prefix).
    pub deferred_ns: Vec<(usize, String)>,
    /// Attribute prefixes it does not bind.
    pub deferred_attr: Vec<String>,
    /// It undeclares a namespace (`xmlns:p=''`): too subtle to stitch, so never merged.
    pub undeclares: bool,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum TopEvent {
    Element(usize),
    Close { span: Span, name: Span },
}

/// The document's index built on two cores, or `None` when the sequential indexer must do it.
pub(super) fn index(src: &str, bom: usize) -> Option<Parts> {
    if src.len() < MIN_PARALLEL || std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        return None;
    }
    index_split_at(src, bom, split_point(src)?)
}

/// A line near the middle that starts (after indentation) with a start tag.
fn split_point(src: &str) -> Option<usize> {
    let bytes = src.as_bytes();
    let mut from = src.len() / 2;
    // Look a little way only: a document without such lines is left to one core.
    let limit = (from + 64 * 1024).min(bytes.len());
    while from < limit {
        let nl = from + memchr::memchr(b'\n', &bytes[from..limit])?;
        let at = nl
            + 1
            + bytes[nl + 1..]
                .iter()
                .take_while(|&&b| b == b' ' || b == b'\t')
                .count();
        if bytes.get(at) == Some(&b'<')
            && bytes
                .get(at + 1)
                .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_')
        {
            return Some(at);
        }
        from = nl + 1;
    }
    None
}

/// [`index`] with the split at `at` (which tests choose).
pub(super) fn index_split_at(src: &str, bom: usize, at: usize) -> Option<Parts> {
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| detached(src, at));
        let first = first_half(src, bom, at);
        (first, second.join().ok().flatten())
    });
    merge(src, bom, first?, second?)
}

/// The first half, indexed as a document cut at `at`: it must end in the content of the root.
fn first_half(src: &str, bom: usize, at: usize) -> Option<Indexer<'_>> {
    // Room for the whole document's index: the second half's is appended without a copy of
    // the first.
    let mut first =
        Indexer::new_sized(&src[..at], bom, src.len() / 16 + 16).with_front_hole(src.len());
    first.scan(bom).ok()?;
    (first.root.is_some() && !first.open.is_empty()).then_some(first)
}

/// The second half, from `at` to the end, not knowing what is open above it.
fn detached(src: &str, at: usize) -> Option<Indexer<'_>> {
    let mut second = Indexer::new_sized(src, usize::MAX, (src.len() - at) / 16 + 16);
    // A root "exists" (so a DOCTYPE here is an error), and the first half's open elements
    // stand below everything.
    second.root = Some(0);
    second.detached = Some(Box::default());
    second.open.push(Open {
        id: OUTSIDE,
        pushed: 0,
        last_child: NO_ELEMENT,
    });
    second.scan(at).ok()?;
    let d = second.detached.as_ref()?;
    (second.open.len() == 1 && !d.undeclares).then_some(second)
}

fn merge<'a>(src: &'a str, bom: usize, first: Indexer<'a>, second: Indexer<'a>) -> Option<Parts> {
    let Indexer {
        mut elements,
        mut attrs,
        mut namespaces,
        mut ns_index,
        bindings,
        open: mut stack,
        root,
        hole: first_hole,
        ..
    } = first;
    // The second half resolved prefixes against what it declared itself, and its deferred
    // ones are resolved against the root's bindings: only right when no other element open
    // at the split declares a namespace, and no default namespace is in force.
    if stack[1..].iter().any(|o| o.pushed > 0) || bindings.binds_default() {
        return None;
    }
    let outer = |prefix: &str| -> Option<usize> { bindings.lookup(prefix) };
    let detached = second.detached?;
    if detached.deferred_attr.iter().any(|p| outer(p).is_none()) {
        return None;
    }
    // Its namespace numbers, in the first half's table.
    let renumber: Vec<usize> = second
        .namespaces
        .iter()
        .map(|uri| ns_index.intern(&mut namespaces, uri.clone()))
        .collect();
    if namespaces.len() >= NO_NS as usize - 1 {
        return None;
    }
    let id_offset = elements.len();
    append_renumbered(
        &mut elements,
        &mut attrs,
        (&second.elements, &second.attrs),
        &renumber,
    );
    for (k, prefix) in &detached.deferred_ns {
        elements[id_offset + k].ns = outer(prefix)? as u16;
    }

    replay(
        src,
        bom,
        &detached.events,
        id_offset,
        &mut stack,
        &mut elements,
    )?;
    Some(Parts {
        hole: first_hole,
        elements,
        attrs,
        namespaces,
        root: root?,
    })
}

/// The second half's elements and attributes after the first half's: element ids, attribute
/// positions and namespace numbers renumbered while copied (one pass over the second half's
/// index, not two).
fn append_renumbered(
    elements: &mut Vec<Element>,
    attrs: &mut Vec<Attr>,
    (second_elements, second_attrs): (&[Element], &[Attr]),
    renumber: &[usize],
) {
    let (id_offset, attr_offset) = (elements.len(), attrs.len());
    elements.extend(second_elements.iter().map(|&e| {
        let mut e = e;
        if e.ns != NO_NS {
            e.ns = renumber[e.ns as usize] as u16;
        }
        for link in [&mut e.parent, &mut e.first_child, &mut e.next_sibling] {
            if *link != NO_ELEMENT {
                *link += id_offset as u32;
            }
        }
        e.attrs_start += attr_offset as u32;
        e
    }));
    attrs.extend_from_slice(second_attrs);
}

/// Replays the second half's top level on the first half's open elements (`stack`): each
/// top-level element becomes the last child of the innermost open one, each close tag closes
/// it (its name must match). `None` when the halves do not fit together: a close tag with
/// nothing open or of another name, something after the root other than a clean epilogue, or
/// an element left open.
fn replay(
    src: &str,
    bom: usize,
    events: &[TopEvent],
    id_offset: usize,
    stack: &mut Vec<Open>,
    elements: &mut [Element],
) -> Option<()> {
    let mut events = events.iter();
    for event in events.by_ref() {
        match *event {
            TopEvent::Element(k) => {
                let id = k + id_offset;
                let parent = stack.last_mut()?;
                elements[id].parent = parent.id as u32;
                match parent.last_child {
                    NO_ELEMENT => elements[parent.id].first_child = id as u32,
                    prev => elements[prev as usize].next_sibling = id as u32,
                }
                parent.last_child = id as u32;
            }
            TopEvent::Close { span, name } => {
                let open = stack.pop()?;
                let element = &mut elements[open.id];
                if src[element.qname_range()] != src[name.range()] {
                    return None;
                }
                element.close = span;
                if stack.is_empty() {
                    // The root is closed: what follows must be a proper epilogue.
                    if events.next().is_some() || !epilogue_is_clean(src, bom, span.end as usize) {
                        return None;
                    }
                    break;
                }
            }
        }
    }
    stack.is_empty().then_some(())
}

/// After the root: only spaces, comments and processing instructions (the sequential rules).
fn epilogue_is_clean(src: &str, bom: usize, from: usize) -> bool {
    let mut rest = Indexer::new_sized(src, bom, 0);
    rest.root = Some(0);
    rest.scan(from).is_ok()
}
