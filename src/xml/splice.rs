//! Splices: replace byte ranges of the source, copy everything else.

use std::ops::Range;

/// Replace `range` of the source with `text`. An insertion is an empty range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splice {
    pub range: Range<usize>,
    pub text: String,
}

impl Splice {
    pub fn replace(range: Range<usize>, text: impl Into<String>) -> Splice {
        Splice { range, text: text.into() }
    }

    pub fn insert(at: usize, text: impl Into<String>) -> Splice {
        Splice { range: at..at, text: text.into() }
    }

    pub fn delete(range: Range<usize>) -> Splice {
        Splice { range, text: String::new() }
    }
}

/// Applies non-overlapping splices to `src`. Returns the new text and the inverse splices
/// (which, applied to the new text, give `src` back byte for byte).
///
/// Panics if splices overlap or fall outside `src`: callers build them from the index, so that
/// would be a bug, not bad input.
pub fn apply(src: &str, splices: &[Splice]) -> (String, Vec<Splice>) {
    let mut order: Vec<&Splice> = splices.iter().collect();
    order.sort_by_key(|s| (s.range.start, s.range.end));
    for pair in order.windows(2) {
        assert!(pair[0].range.end <= pair[1].range.start, "overlapping splices {:?} and {:?}", pair[0].range, pair[1].range);
    }
    let added: usize = order.iter().map(|s| s.text.len()).sum();
    let mut out = String::with_capacity(src.len() + added);
    let mut inverse = Vec::with_capacity(order.len());
    let mut copied = 0;
    for s in order {
        out.push_str(&src[copied..s.range.start]);
        let start = out.len();
        out.push_str(&s.text);
        inverse.push(Splice { range: start..out.len(), text: src[s.range.clone()].to_string() });
        copied = s.range.end;
    }
    out.push_str(&src[copied..]);
    (out, inverse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_then_inverse_restores_the_source() {
        let src = "<a x='1'><b/></a>";
        let edits = [Splice::replace(6..7, "22"), Splice::insert(9, "<c/>"), Splice::delete(9..13)];
        // insert at 9 and delete 9..13 touch: insertion sorts first (empty range).
        let (out, inv) = apply(src, &edits);
        assert_eq!(out, "<a x='22'><c/></a>");
        let (back, _) = apply(&out, &inv);
        assert_eq!(back, src);
    }

    #[test]
    #[should_panic(expected = "overlapping")]
    fn overlapping_splices_are_a_bug() {
        apply("abcdef", &[Splice::delete(0..3), Splice::delete(2..4)]);
    }
}
