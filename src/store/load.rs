//! Loading a domain: from a file or standard input, refusing what cannot be a domain XML
//! before reading it all.

use super::save::FileStamp;
use crate::domain::{Domain, DomainError};
use crate::xml::{Document, LoadError, MAX_FILE_SIZE};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where the document came from, and what it looked like then (for "changed on disk").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File {
        path: PathBuf,
        /// The file's stamp taken before reading it: a save that finds it unchanged need not
        /// read the file back (see [`FileStamp`]).
        stamp: FileStamp,
    },
    /// Standard input (`-`).
    Stdin,
    /// A libvirt domain's definition (`virsh dumpxml`), by the domain's name.
    Libvirt { name: String },
    /// A document the program carries (the demo domain), by its file name.
    Builtin { name: &'static str },
}

impl Origin {
    /// The file's stamp when read, for "changed on disk"; none when the document is no file.
    pub fn stamp(&self) -> Option<&FileStamp> {
        match self {
            Origin::File { stamp, .. } => Some(stamp),
            Origin::Stdin | Origin::Libvirt { .. } | Origin::Builtin { .. } => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{path}: no such file; check the path")]
    NotFound { path: String },
    #[error(
        "{path}: is a directory; give a domain XML file (e.g. `virsh dumpxml NAME > NAME.xml`)"
    )]
    Directory { path: String },
    #[error(
        "{path}: permission denied; check the file's permissions (or run as a user who can read it)"
    )]
    PermissionDenied { path: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Xml { path: String, source: LoadError },
    #[error("{path}: {source}")]
    Domain { path: String, source: DomainError },
}

/// A loaded domain: the lossless document, its typed view and its origin.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub doc: Document,
    pub domain: Domain,
    pub origin: Origin,
}

impl Loaded {
    /// The name to show for the origin (`<stdin>` for standard input).
    pub fn display_name(&self) -> String {
        match &self.origin {
            Origin::File { path, .. } => path.display().to_string(),
            Origin::Stdin => "<stdin>".into(),
            Origin::Libvirt { name } => format!("domain {name}"),
            Origin::Builtin { name } => (*name).into(),
        }
    }
}

/// Parses bytes into a document and a domain, naming `label` in errors.
pub fn from_bytes(bytes: Vec<u8>, label: &str, origin: Origin) -> Result<Loaded, OpenError> {
    let doc = Document::parse_owned(bytes).map_err(|source| OpenError::Xml {
        path: label.into(),
        source,
    })?;
    let domain = Domain::read(&doc).map_err(|source| OpenError::Domain {
        path: label.into(),
        source,
    })?;
    Ok(Loaded {
        doc,
        domain,
        origin,
    })
}

/// Loads a file, or standard input for `-`.
pub fn open(path: &Path) -> Result<Loaded, OpenError> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(MAX_FILE_SIZE as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| OpenError::Io {
                path: "<stdin>".into(),
                source,
            })?;
        return from_bytes(bytes, "<stdin>", Origin::Stdin);
    }
    let label = path.display().to_string();
    let io = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::NotFound => OpenError::NotFound {
            path: label.clone(),
        },
        std::io::ErrorKind::PermissionDenied => OpenError::PermissionDenied {
            path: label.clone(),
        },
        _ => OpenError::Io {
            path: label.clone(),
            source,
        },
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(OpenError::Directory { path: label });
    }
    let limit = MAX_FILE_SIZE as u64;
    if !meta.is_file() {
        // A pipe (`<(cmd)`, `/dev/stdin`), a device (`/dev/zero`): no size to check first, and
        // maybe no end. Read up to one byte past the limit; the parser refuses that.
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
            .map_err(io)?;
        let origin = Origin::File {
            path: path.to_path_buf(),
            stamp: FileStamp::of(&meta),
        };
        return from_bytes(bytes, &label, origin);
    }
    if meta.len() > limit {
        return Err(OpenError::Xml {
            path: label,
            source: LoadError::TooLarge {
                size: meta.len(),
                limit: MAX_FILE_SIZE,
            },
        });
    }
    // Room to grow by a few edits without copying 10 MB again; huge pages when large.
    let room = meta.len() as usize + meta.len() as usize / 64 + 4096;
    let mut bytes = crate::xml::memory::large_vec(room);
    std::fs::File::open(path)
        .and_then(|f| read_whole(f, meta.len() as usize, limit + 1, &mut bytes))
        .map_err(io)?;
    // Stamped from the metadata taken before the read: a write racing the read leaves the stamp
    // stale (the save then reads and compares), never wrongly current.
    let origin = Origin::File {
        path: path.to_path_buf(),
        stamp: FileStamp::of(&meta),
    };
    from_bytes(bytes, &label, origin)
}

/// Reads a file again (the TUI's reload) within the size limit: a file over it, or a pipe or
/// device that does not end, is an error saying so rather than unbounded memory.
pub fn read_limited(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_SIZE as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > MAX_FILE_SIZE {
        let too_large = LoadError::TooLarge {
            size: bytes.len() as u64,
            limit: MAX_FILE_SIZE,
        };
        return Err(std::io::Error::other(too_large.to_string()));
    }
    Ok(bytes)
}

/// Reads the whole file into `into`. A large file is read in two halves on two threads: copying
/// 10 MB out of the page cache into fresh pages takes ~10 ms on one core here, and it comes
/// before anything else can start. The file may have changed size since `expected` was taken:
/// whatever is left is read after, as `read_to_end` would, up to `most` bytes in all (a file
/// that keeps growing is not followed for ever; the parser refuses what is over the limit).
fn read_whole(
    mut file: std::fs::File,
    expected: usize,
    most: u64,
    into: &mut Vec<u8>,
) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    const TWO_CORES: usize = 1 << 20;
    if expected >= TWO_CORES && into.capacity() >= expected {
        into.resize(expected, 0);
        let (low, high) = into.split_at_mut(expected / 2);
        let (low_len, high_len) = (low.len() as u64, high.len());
        let (a, b) = std::thread::scope(|scope| {
            let second = scope.spawn(|| file.read_exact_at(high, low_len));
            (file.read_exact_at(low, 0), second.join())
        });
        let b = b.unwrap_or_else(|_| Err(std::io::Error::other("reading thread failed")));
        match (a, b) {
            (Ok(()), Ok(())) => {
                use std::io::Seek;
                file.seek(std::io::SeekFrom::Start(
                    (low_len as usize + high_len) as u64,
                ))?;
            }
            // Shorter than it was a moment ago: read it again, plainly.
            _ => {
                use std::io::Seek;
                into.clear();
                file.seek(std::io::SeekFrom::Start(0))?;
            }
        }
    }
    let left = most.saturating_sub(into.len() as u64);
    file.take(left).read_to_end(into)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_file_is_read_whole_on_two_cores_even_when_it_changed_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        let content: Vec<u8> = (0..(3 << 20) + 7).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        for expected in [content.len(), content.len() - 1000, content.len() + 1000] {
            let mut into = Vec::with_capacity(content.len() + 4096);
            let file = std::fs::File::open(&path).unwrap();
            read_whole(file, expected, u64::MAX, &mut into).unwrap();
            assert!(into == content, "size announced {expected}");
        }
    }
}
