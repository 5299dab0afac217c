//! Saving atomically: the target holds either its complete old or its complete new content,
//! never a mix; no change means no write at all.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error(
        "{path} changed on disk since it was loaded; nothing was written — reload it to see the \
         other change, or write your version elsewhere with -o FILE"
    )]
    ChangedOnDisk { path: String },
    #[error(
        "{path} is read-only; nothing was written — write elsewhere with -o FILE, or make it writable"
    )]
    ReadOnly { path: String },
    #[error("cannot write in {dir}: {source}; nothing was written — write elsewhere with -o FILE")]
    Directory { dir: String, source: std::io::Error },
    #[error("{path} is a directory; nothing was written — name a file to write")]
    IsDirectory { path: String },
    /// A device, FIFO or socket: renaming a file over it would replace it (as root, `/dev/null`
    /// itself), and reading it to compare could block for ever.
    #[error(
        "{path} is {kind}, not a regular file; nothing was written — name a regular file, or use \
         -o - to write to standard output"
    )]
    NotRegular { path: String, kind: &'static str },
    #[error("writing {path} failed: {source}; the file was left as it was")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// What a file looked like at one moment, cheap to take (one `stat`): when a later stamp of the
/// same path equals it, the file is taken to hold what it held then, without reading it (as
/// editors such as vim decide "changed since loaded").
///
/// The trade-off: a write that keeps the length, lands within the same timestamp tick (the
/// kernel's coarse clock, a few milliseconds, unless the filesystem takes fine-grained stamps)
/// and keeps the inode, or one that restores the mtime afterwards (`touch -r`, `cp -p` over
/// the file), goes unnoticed. Without a stamp the content itself is compared.
///
/// No ctime: renaming a file, or our own chmod/chown of the temporary file, changes it, so the
/// stamp of what a save wrote would never match the file afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStamp {
    /// The size: a write within one timestamp tick that changes the size still shows.
    pub len: u64,
    /// Seconds of the last modification: any write to the file's content moves it.
    pub mtime: i64,
    /// Nanoseconds of the last modification: two writes a second apart are not enough, so the
    /// whole precision the filesystem keeps is compared.
    pub mtime_nsec: i64,
    /// The inode: another program's atomic save (a new file renamed over this one) gives a new
    /// one even when it keeps the length and the mtime (`cp -p`, `rsync -t`, `tar x`).
    pub ino: u64,
    /// The device: inode numbers are only unique on one filesystem.
    pub dev: u64,
}

impl FileStamp {
    /// The stamp of a file's metadata (`std::fs::metadata`, or `File::metadata` = `fstat`).
    pub fn of(meta: &std::fs::Metadata) -> FileStamp {
        FileStamp {
            len: meta.len(),
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
            ino: meta.ino(),
            dev: meta.dev(),
        }
    }
}

/// What the caller loaded from the target: the save is refused when the file no longer holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected<'a> {
    /// The content as loaded (or as last saved).
    pub bytes: &'a [u8],
    /// The file's stamp when `bytes` were loaded (taken *before* reading them, so a write
    /// racing the read makes the stamp stale, never wrongly current) or saved. When the file's
    /// stamp still equals it, the file is not read back.
    pub stamp: Option<&'a FileStamp>,
}

/// What a save did, and the stamp of the file afterwards (for the next save's [`Expected`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// The content was already there: nothing was written, mtime untouched.
    Unchanged(FileStamp),
    Written(FileStamp),
}

impl Saved {
    /// The stamp of the file holding the saved content.
    pub fn stamp(&self) -> &FileStamp {
        match self {
            Saved::Unchanged(s) | Saved::Written(s) => s,
        }
    }
}

/// Writes `new` to `target` atomically (temporary file in the same directory, fsync, rename,
/// fsync of the directory), keeping the target's mode and owner.
///
/// `expected` is what the caller loaded: when the file on disk differs from it the save is
/// refused, so a change made by someone else is never overwritten. With a stamp that still
/// matches, the file is taken to hold `expected.bytes` without reading it back (see
/// [`FileStamp`] for what that trusts); otherwise the file is read and compared.
pub fn save_atomic(
    target: &Path,
    new: &[u8],
    expected: Option<Expected<'_>>,
) -> Result<Saved, SaveError> {
    let path_s = target.display().to_string();
    // Write through a symlink to the file it points at, keeping the link.
    let real: PathBuf = std::fs::canonicalize(target).unwrap_or_else(|_| target.to_path_buf());
    let existing = std::fs::metadata(&real).ok();
    if existing.as_ref().is_some_and(|m| m.is_dir()) {
        return Err(SaveError::IsDirectory { path: path_s });
    }
    if let Some(kind) = existing.as_ref().and_then(special_kind) {
        return Err(SaveError::NotRegular { path: path_s, kind });
    }
    if let Some(meta) = &existing {
        // Taken before any read: a write racing the read leaves it stale, never wrongly current.
        let stamp = FileStamp::of(meta);
        let trusted = expected.filter(|e| e.stamp == Some(&stamp));
        let holds_new = match trusted {
            Some(e) => same_bytes(e.bytes, new),
            None => {
                let current = std::fs::read(&real).map_err(|source| SaveError::Write {
                    path: path_s.clone(),
                    source,
                })?;
                if let Some(expected) = expected
                    && current != expected.bytes
                {
                    return Err(SaveError::ChangedOnDisk { path: path_s });
                }
                current == new
            }
        };
        if holds_new {
            return Ok(Saved::Unchanged(stamp));
        }
        if meta.permissions().readonly() {
            return Err(SaveError::ReadOnly { path: path_s });
        }
    }
    let dir = real
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir_s = dir.display().to_string();
    let mut tmp = tempfile::Builder::new()
        .prefix(".virt-cpu-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|source| SaveError::Directory {
            dir: dir_s.clone(),
            source,
        })?;
    let write_err = |source| SaveError::Write {
        path: path_s.clone(),
        source,
    };
    tmp.write_all(new).map_err(write_err)?;
    if let Some(meta) = &existing {
        let file = tmp.as_file();
        file.set_permissions(std::fs::Permissions::from_mode(meta.mode() & 0o7777))
            .map_err(write_err)?;
        // Keeping the owner only works as root; as the owner it is a no-op.
        let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
    } else {
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(write_err)?;
    }
    tmp.as_file().sync_all().map_err(write_err)?;
    // The rename keeps the inode and the mtime: this is the target's stamp once renamed.
    let stamp = FileStamp::of(&tmp.as_file().metadata().map_err(write_err)?);
    tmp.persist(&real).map_err(|e| write_err(e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(Saved::Written(stamp))
}

/// What a file that is neither regular nor a directory is, for the message.
fn special_kind(meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_file() || t.is_dir() {
        None
    } else if t.is_char_device() || t.is_block_device() {
        Some("a device")
    } else if t.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        Some("a special file")
    }
}

/// `a == b`, without comparing a buffer with itself byte by byte (the TUI passes the same 10 MB
/// text as both when nothing changed).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    std::ptr::eq(a, b) || a == b
}
