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
    #[error("writing {path} failed: {source}; the file was left as it was")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// What a save did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// The content was already there: nothing was written, mtime untouched.
    Unchanged,
    Written,
}

/// Writes `new` to `target` atomically (temporary file in the same directory, fsync, rename,
/// fsync of the directory), keeping the target's mode and owner.
///
/// `expected` is the content the caller loaded: when the file on disk differs from it the save is
/// refused, so a change made by someone else is never overwritten.
pub fn save_atomic(target: &Path, new: &[u8], expected: Option<&[u8]>) -> Result<Saved, SaveError> {
    let path_s = target.display().to_string();
    // Write through a symlink to the file it points at, keeping the link.
    let real: PathBuf = std::fs::canonicalize(target).unwrap_or_else(|_| target.to_path_buf());
    let existing = std::fs::metadata(&real).ok();
    if existing.as_ref().is_some_and(|m| m.is_dir()) {
        return Err(SaveError::IsDirectory { path: path_s });
    }
    if let Some(meta) = &existing {
        let current = std::fs::read(&real).map_err(|source| SaveError::Write {
            path: path_s.clone(),
            source,
        })?;
        if let Some(expected) = expected
            && current != expected
        {
            return Err(SaveError::ChangedOnDisk { path: path_s });
        }
        if current == new {
            return Ok(Saved::Unchanged);
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
    tmp.persist(&real).map_err(|e| write_err(e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(Saved::Written)
}
