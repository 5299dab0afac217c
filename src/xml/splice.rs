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
        Splice {
            range,
            text: text.into(),
        }
    }

    pub fn insert(at: usize, text: impl Into<String>) -> Splice {
        Splice {
            range: at..at,
            text: text.into(),
        }
    }

    pub fn delete(range: Range<usize>) -> Splice {
        Splice {
            range,
            text: String::new(),
        }
    }
}

/// Applies non-overlapping splices to `src`. Returns the new text and the inverse splices
/// (which, applied to the new text, give `src` back byte for byte).
///
/// Overlapping splices are refused: callers build them from the index, so that is a bug in an
/// edit, reported as an error rather than a crash (the document is left as it was).
pub fn apply(src: &str, splices: &[Splice]) -> Result<(String, Vec<Splice>), Overlap> {
    let mut text = src.to_string();
    let inverse = apply_in_place(&mut text, splices)?;
    Ok((text, inverse))
}

/// Like [`apply`], changing `text` itself: on a large document this moves the bytes after
/// the edit instead of copying the whole text into a new allocation.
pub fn apply_in_place(text: &mut String, splices: &[Splice]) -> Result<Vec<Splice>, Overlap> {
    let mut order: Vec<&Splice> = splices.iter().collect();
    order.sort_by_key(|s| (s.range.start, s.range.end));
    for pair in order.windows(2) {
        if pair[0].range.end > pair[1].range.start {
            return Err(Overlap {
                first: pair[0].range.clone(),
                second: pair[1].range.clone(),
            });
        }
    }
    if let Some(bad) = order.iter().find(|s| {
        s.range.end > text.len()
            || !text.is_char_boundary(s.range.start)
            || !text.is_char_boundary(s.range.end)
    }) {
        return Err(Overlap {
            first: 0..text.len(),
            second: bad.range.clone(),
        });
    }
    let mut inverse = Vec::with_capacity(order.len());
    let mut shift = 0isize;
    for s in &order {
        let start = s
            .range
            .start
            .checked_add_signed(shift)
            .expect("ranges are in order");
        inverse.push(Splice {
            range: start..start + s.text.len(),
            text: text[s.range.clone()].to_string(),
        });
        shift += s.text.len() as isize - s.range.len() as isize;
    }
    for s in order.iter().rev() {
        text.replace_range(s.range.clone(), &s.text);
    }
    Ok(inverse)
}

/// Two splices of one edit overlap (a bug in the edit, never in the input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("internal error: splices {first:?} and {second:?} overlap")]
pub struct Overlap {
    pub first: Range<usize>,
    pub second: Range<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_then_inverse_restores_the_source() {
        let src = "<a x='1'><b/></a>";
        let edits = [
            Splice::replace(6..7, "22"),
            Splice::insert(9, "<c/>"),
            Splice::delete(9..13),
        ];
        // insert at 9 and delete 9..13 touch: insertion sorts first (empty range).
        let (out, inv) = apply(src, &edits).unwrap();
        assert_eq!(out, "<a x='22'><c/></a>");
        let (back, _) = apply(&out, &inv).unwrap();
        assert_eq!(back, src);
    }

    #[test]
    fn overlapping_splices_are_refused() {
        assert!(apply("abcdef", &[Splice::delete(0..3), Splice::delete(2..4)]).is_err());
    }
}
