//! The lexical layer of the indexer: byte classes, names, references and the attributes of a
//! start tag, each reported with exact byte offsets.
//!
//! Written by hand on purpose. quick-xml (still used for text content and as the oracle of the
//! differential tests in `tests/index_oracle.rs`) reports events, not where each attribute's
//! value and quote are; lossless editing needs those spans, and scanning every start tag a
//! second time after quick-xml made indexing 3× slower than quick-xml alone (125 vs 410 MiB/s
//! on a 10 MB domain). One pass here gives the spans and the well-formedness checks together.

use super::attrs::Attr;

/// What a byte can be in a name.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Class {
    /// Part of a name (bytes ≥ 0x80 too: names are not checked against Unicode's tables).
    Name = 0,
    /// Space, tab, CR, LF.
    Space = 1,
    /// Ends a name where the grammar allows: `/`, `>`, `=`.
    Delimiter = 2,
    /// Never allowed in a name: `<`, `&`, quotes, other control characters…
    Invalid = 3,
}

const fn classes() -> [Class; 256] {
    let mut t = [Class::Name; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = Class::Invalid;
        b += 1;
    }
    t[b' ' as usize] = Class::Space;
    t[b'\t' as usize] = Class::Space;
    t[b'\r' as usize] = Class::Space;
    t[b'\n' as usize] = Class::Space;
    t[b'/' as usize] = Class::Delimiter;
    t[b'>' as usize] = Class::Delimiter;
    t[b'=' as usize] = Class::Delimiter;
    let invalid = b"<&'\"!?;,()[]{}|`^*+$%@#\\~";
    let mut k = 0;
    while k < invalid.len() {
        t[invalid[k] as usize] = Class::Invalid;
        k += 1;
    }
    t
}

static CLASS: [Class; 256] = classes();

#[inline]
fn class(b: u8) -> Class {
    CLASS[b as usize]
}

#[inline]
pub(crate) fn is_space(b: u8) -> bool {
    class(b) == Class::Space
}

/// A malformation: where, and what.
pub(crate) type Malformed = (usize, String);

/// The end of the name starting at `start` (which may be empty: callers check).
#[inline]
pub(crate) fn name_end(bytes: &[u8], start: usize) -> usize {
    name_end_and_colon(bytes, start).0
}

/// The end of the name starting at `start`, and whether it has a `:` (a prefix). One pass
/// for both, a word at a time (names are short: a library search per name costs more than
/// the name); the last few bytes of the file a byte at a time.
#[inline]
pub(crate) fn name_end_and_colon(bytes: &[u8], start: usize) -> (usize, bool) {
    let (mut j, mut colon) = match super::swar::name_end_and_colon(bytes, start) {
        Ok(found) => return found,
        Err(tail) => tail,
    };
    while let Some(&b) = bytes.get(j) {
        if class(b) != Class::Name {
            break;
        }
        colon |= b == b':';
        j += 1;
    }
    (j, colon)
}

/// Checks that `bytes[start..end]` is a usable name; `what` says what it names.
#[inline]
pub(crate) fn check_name(src: &str, start: usize, end: usize, what: &str) -> Result<(), Malformed> {
    if start == end || matches!(src.as_bytes()[start], b'0'..=b'9' | b'-' | b'.' | b':') {
        return Err(bad_name(src, start, end, what));
    }
    Ok(())
}

#[cold]
fn bad_name(src: &str, start: usize, end: usize, what: &str) -> Malformed {
    if start == end {
        let found = match src[start..].chars().next() {
            Some(c) => format!("`{}`", c.escape_debug()),
            None => "the end of the file".into(),
        };
        let article = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        return (start, format!("expected {article} {what}, found {found}"));
    }
    (
        start,
        format!(
            "the {what} `{}` cannot start with `{}`",
            &src[start..end],
            src.as_bytes()[start] as char
        ),
    )
}

/// Skips spaces from `j`.
#[inline]
pub(crate) fn skip_space(bytes: &[u8], mut j: usize) -> usize {
    while j < bytes.len() && is_space(bytes[j]) {
        j += 1;
    }
    j
}

/// Checks the reference starting with `&` at `at`; returns the offset after its `;`.
/// Only the five predefined entities and character references of allowed characters are
/// accepted: virt-cpu never expands a declared entity.
pub(crate) fn reference(src: &str, at: usize) -> Result<usize, Malformed> {
    let bytes = src.as_bytes();
    // The longest valid reference is `&#x10FFFF;` or `&#1114111;` (10 bytes); allow some
    // leading zeros before calling it unterminated.
    let window = &bytes[at + 1..bytes.len().min(at + 40)];
    let starts_reference = window
        .first()
        .is_some_and(|&b| b == b'#' || (class(b) == Class::Name && !b.is_ascii_digit()));
    let semi = memchr::memchr(b';', window).filter(|&k| {
        starts_reference
            && window[..k]
                .iter()
                .all(|&b| class(b) == Class::Name || b == b'#')
    });
    let Some(semi) = semi else {
        return Err((
            at,
            "`&` that does not start a reference; write `&amp;` for a literal `&`".into(),
        ));
    };
    let body = &src[at + 1..at + 1 + semi];
    let ok = match body.strip_prefix('#') {
        Some(num) => {
            let value = match num.strip_prefix('x') {
                Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    u32::from_str_radix(hex, 16).ok()
                }
                None if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) => {
                    num.parse::<u32>().ok()
                }
                _ => None,
            };
            value.and_then(char::from_u32).is_some_and(is_xml_char)
        }
        None => matches!(body, "lt" | "gt" | "amp" | "apos" | "quot"),
    };
    if ok {
        Ok(at + 2 + semi)
    } else {
        Err((
            at,
            format!(
                "unknown or invalid reference `&{body};` (only the five predefined entities and character references are allowed)"
            ),
        ))
    }
}

/// XML 1.0 `Char`: what a character reference may produce.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// How a start tag ended.
pub(crate) struct TagEnd {
    /// Offset just after `>`.
    pub end: usize,
    /// `/>`.
    pub empty: bool,
    /// Some attribute is named `xmlns` or `xmlns:…` (namespace work is needed).
    pub declares: bool,
    /// Some attribute has a prefix (it must be declared).
    pub prefixed: bool,
}

/// Up to this many attributes on one tag, a new one's name is compared with each; past it,
/// names are looked up in a hash set.
const DUPLICATE_SCAN: usize = 16;

/// Scans the attributes of a start tag whose name ends at `j`, up to and including its `>`.
/// Appends them to `out`.
pub(crate) fn attributes(
    src: &str,
    mut j: usize,
    out: &mut Vec<Attr>,
) -> Result<TagEnd, Malformed> {
    let bytes = src.as_bytes();
    let first = out.len();
    let (mut declares, mut prefixed) = (false, false);
    let mut seen: Option<std::collections::HashSet<&str>> = None;
    loop {
        let ws_start = j;
        j = skip_space(bytes, j);
        if let Some(end) = tag_end(bytes, j) {
            return end.map(|(end, empty)| TagEnd {
                end,
                empty,
                declares,
                prefixed,
            });
        }
        if j == ws_start {
            if class(bytes[j]) != Class::Name {
                return Err(bad_name(src, j, j, "attribute name"));
            }
            return Err((j, "attributes must be separated by whitespace".into()));
        }
        let name_start = j;
        let colon;
        (j, colon) = name_end_and_colon(bytes, j);
        check_name(src, name_start, j, "attribute name")?;
        let name = &src[name_start..j];
        if name.len() > super::attrs::MAX_NAME {
            return Err((
                name_start,
                "an attribute name longer than 65535 bytes".into(),
            ));
        }
        j = skip_space(bytes, j);
        if bytes.get(j) != Some(&b'=') {
            return Err((name_start, format!("attribute `{name}` has no value")));
        }
        j = skip_space(bytes, j + 1);
        let quote = match bytes.get(j) {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => return Err((j, format!("the value of attribute `{name}` is not quoted"))),
        };
        let value_start = j + 1;
        let value_end = value_end(src, value_start, quote, name)
            .ok_or_else(|| (j, format!("the value of attribute `{name}` is not closed")))??;
        j = value_end + 1;
        one_more_name(src, &out[first..], &mut seen, name, name_start)?;
        declares |= name.starts_with("xmlns");
        prefixed |= colon;
        out.push(Attr::new(
            name_start..name_start + name.len(),
            value_start..value_end,
            quote,
        ));
    }
}

/// What is at `j` after the spaces of a start tag, when the tag ends there: `Ok((end, empty))`
/// after `>` or `/>`, or the error of a file ending inside the tag or a `/` without `>`.
/// `None`: an attribute follows.
#[inline]
fn tag_end(bytes: &[u8], j: usize) -> Option<Result<(usize, bool), Malformed>> {
    match bytes.get(j) {
        None => Some(Err((
            j,
            "the file ends inside a start tag (is it truncated?)".into(),
        ))),
        Some(b'>') => Some(Ok((j + 1, false))),
        Some(b'/') => Some(if bytes.get(j + 1) == Some(&b'>') {
            Ok((j + 2, true))
        } else {
            Err((j, "expected `>` after `/` in a start tag".into()))
        }),
        Some(_) => None,
    }
}

/// Refuses an attribute `name` (at `name_start`) that the tag already has (`earlier`), or one
/// past [`super::MAX_ATTRIBUTES`]. A handful of attributes (the common case) are compared one
/// by one; past that the hash set `seen` keeps the check linear (65 535 attributes took
/// seconds, millions never ended).
#[inline]
fn one_more_name<'s>(
    src: &'s str,
    earlier: &[Attr],
    seen: &mut Option<std::collections::HashSet<&'s str>>,
    name: &'s str,
    name_start: usize,
) -> Result<(), Malformed> {
    let dup = if earlier.len() < DUPLICATE_SCAN {
        earlier.iter().any(|a| &src[a.name()] == name)
    } else {
        let seen = seen.get_or_insert_with(|| earlier.iter().map(|a| &src[a.name()]).collect());
        !seen.insert(name)
    };
    if dup {
        return Err((name_start, format!("attribute `{name}` is given twice")));
    }
    // Refused as soon as there is one too many: before any per-attribute work on them
    // (namespaces, prefixes), and without scanning millions more.
    if earlier.len() == super::MAX_ATTRIBUTES {
        return Err((
            name_start,
            format!(
                "more than {} attributes on one element, more than virt-cpu indexes (libvirt writes a handful)",
                super::MAX_ATTRIBUTES
            ),
        ));
    }
    Ok(())
}

/// The closing quote of the value starting at `start` (`None`: not closed). A value may not
/// contain `<`, and its references must be known.
#[inline]
fn value_end(src: &str, start: usize, quote: u8, name: &str) -> Option<Result<usize, Malformed>> {
    let bytes = src.as_bytes();
    let mut k = start;
    loop {
        k = super::swar::find3(bytes, k, quote, b'<', b'&')?;
        match bytes[k] {
            b'<' => return Some(Err(value_has_lt(src, start - 1, k, name))),
            b'&' => match reference(src, k) {
                Ok(next) => k = next,
                Err(m) => return Some(Err(m)),
            },
            _ => return Some(Ok(k)),
        }
    }
}

#[cold]
fn value_has_lt(src: &str, quote: usize, at: usize, name: &str) -> Malformed {
    let lt = super::Position::of(src, at);
    (
        quote,
        format!(
            "the value of attribute `{name}` runs into a `<` at {lt}: is its closing quote missing? (a literal `<` is written `&lt;`)"
        ),
    )
}

/// Where the text from `start` ends: the next `<`, `&` or `]` (`]]>` is not allowed in text).
/// Text between tags is mostly a newline and indentation: one word answers, and the vectorised
/// search takes over for long text.
#[inline]
pub(crate) fn text_end(bytes: &[u8], start: usize) -> Option<usize> {
    let short = bytes.len().min(start + 32);
    if let Some(k) = super::swar::find3(&bytes[..short], start, b'<', b'&', b']') {
        return Some(k);
    }
    memchr::memchr3(b'<', b'&', b']', &bytes[short..]).map(|k| short + k)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Duplicates are found by the scan and by the hash set alike, wherever they are.
    #[test]
    fn duplicates_are_found_below_and_past_the_threshold() {
        for n in [
            2,
            DUPLICATE_SCAN - 1,
            DUPLICATE_SCAN,
            DUPLICATE_SCAN + 1,
            100,
        ] {
            let mut tag = String::from("<e");
            for i in 0..n {
                tag.push_str(&format!(" a{i}='1'"));
            }
            let mut out = Vec::new();
            assert!(attributes(&format!("{tag}/>"), 2, &mut out).is_ok(), "{n}");
            assert_eq!(out.len(), n);
            for dup_of in [0, n / 2, n - 1] {
                let mut out = Vec::new();
                match attributes(&format!("{tag} a{dup_of}='2'/>"), 2, &mut out) {
                    Err((_, m)) => assert_eq!(m, format!("attribute `a{dup_of}` is given twice")),
                    Ok(_) => panic!("{n} attributes, a{dup_of} twice: not found"),
                }
            }
        }
    }

    /// The word-at-a-time searches agree with the byte classes for every byte, at every place
    /// in a word, with and without a colon before it.
    #[test]
    fn word_searches_agree_with_the_byte_loops() {
        for b in 0..=255u8 {
            for at in 0..20 {
                for colon_at in [None, Some(0), Some(at.max(1) - 1)] {
                    let mut bytes = vec![b'a'; 20];
                    if let Some(c) = colon_at.filter(|&c| c < at) {
                        bytes[c] = b':';
                    }
                    bytes[at] = b;
                    let expected = {
                        let end = (0..bytes.len())
                            .find(|&k| class(bytes[k]) != Class::Name)
                            .unwrap_or(bytes.len());
                        (end, bytes[..end].contains(&b':'))
                    };
                    assert_eq!(
                        name_end_and_colon(&bytes, 0),
                        expected,
                        "byte {b:#04x} at {at}"
                    );
                    let stop = |x: u8| x == b'\'' || x == b'<' || x == b'&';
                    assert_eq!(
                        super::super::swar::find3(&bytes, 0, b'\'', b'<', b'&'),
                        bytes.iter().position(|&x| stop(x)),
                        "byte {b:#04x} at {at}"
                    );
                }
            }
        }
    }
}
