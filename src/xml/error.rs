//! Why a document could not be loaded, with where and what to do about it.

use std::fmt;

/// A 1-based line and column (column counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub fn of(src: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(src, offset.min(src.len()));
        let before = &src[..offset];
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |p| p + 1);
        // A byte-order mark is not a column anyone sees.
        let line_text = before[line_start..]
            .strip_prefix('\u{feff}')
            .unwrap_or(&before[line_start..]);
        let column = line_text.chars().count() + 1;
        Position { line, column }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Every way loading can fail. Messages say what is wrong, where, and what to do.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum LoadError {
    #[error(
        "the file is empty: expected a libvirt domain XML document (`virsh dumpxml NAME` prints one)"
    )]
    Empty,
    #[error("{}; check that this is the right file", too_large(*size, *limit))]
    TooLarge { size: u64, limit: usize },
    #[error(
        "this looks like a binary file (a NUL byte at byte {offset}), not domain XML; \
         check that this is the right file"
    )]
    Binary { offset: usize },
    /// UTF-16 or UTF-32 (by its byte-order mark, or `<` or whitespace next to NUL bytes at the
    /// start), which would otherwise be called binary for its NUL bytes.
    #[error(
        "the file is {encoding}, not UTF-8; convert it first, e.g. \
         `iconv -f {iconv} -t UTF-8 FILE > FILE.utf8`, and change (or drop) the encoding in \
         its XML declaration"
    )]
    WideEncoding {
        encoding: &'static str,
        iconv: &'static str,
    },
    #[error(
        "{position}: the file is not valid UTF-8{declared}; convert it first, \
         e.g. `iconv -f LATIN1 -t UTF-8 FILE`, and change the encoding in the XML declaration"
    )]
    NotUtf8 {
        position: Position,
        declared: String,
    },
    #[error(
        "{position}: not well-formed XML: {detail}; fix the XML (or restore it from `virsh dumpxml`)"
    )]
    Syntax { position: Position, detail: String },
    #[error(
        "{position}: the document has a DOCTYPE with an internal subset (entity declarations); \
         virt-cpu never expands entities — remove the DOCTYPE (libvirt does not use one)"
    )]
    Doctype { position: Position },
    #[error(
        "{position}: the prefix `{prefix}:` is not declared; add xmlns:{prefix}='…' to <domain>"
    )]
    UndeclaredPrefix { position: Position, prefix: String },
    #[error("{position}: {detail}")]
    Attribute { position: Position, detail: String },
    #[error("the document has no root element: expected <domain>")]
    NoRoot,
}

impl LoadError {
    /// Where the problem is, when it has a place.
    pub fn position(&self) -> Option<Position> {
        match self {
            LoadError::NotUtf8 { position, .. }
            | LoadError::Syntax { position, .. }
            | LoadError::Doctype { position }
            | LoadError::UndeclaredPrefix { position, .. }
            | LoadError::Attribute { position, .. } => Some(*position),
            _ => None,
        }
    }
}

/// Standard input is read up to one byte past the limit, so its size is then unknown.
fn too_large(size: u64, limit: usize) -> String {
    if size == limit as u64 + 1 {
        format!("the input is over the {limit}-byte limit for a domain XML")
    } else {
        format!("the file is {size} bytes, over the {limit}-byte limit for a domain XML")
    }
}
