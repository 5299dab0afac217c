//! Carrying out the effects `update` returns, each turned back into an action with its outcome.

use super::app::{Action, Effect, SaveFailure, Target};
use super::clipboard::{Clipboard, Session};
use crate::host::Runner;
use crate::store::libvirt::{self, DefineError};
use crate::store::save::{Expected, FileStamp, SaveError, save_atomic};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The world the effects touch: the clipboard, the terminal (for OSC 52), and `virsh`.
pub struct World<'a> {
    pub clipboard: &'a mut Clipboard,
    pub session: Session,
    pub out: &'a mut dyn Write,
    pub runner: &'a dyn Runner,
}

pub fn execute(effect: Effect, w: &mut World) -> Action {
    match effect {
        Effect::Save {
            path,
            bytes,
            expected,
            stamp,
        } => save(path, bytes, expected.as_deref(), stamp.as_ref()),
        Effect::SaveAs {
            path,
            bytes,
            loaded,
            expected,
            stamp,
        } => {
            // Anything at the path but a directory (where the write fails with a message).
            let there = std::fs::symlink_metadata(&path).is_ok() && !path.is_dir();
            if !there {
                save(path, bytes, None, None)
            } else if loaded.is_some_and(|l| same_file(&l, &path)) {
                save(path, bytes, Some(&expected), stamp.as_ref())
            } else {
                Action::SaveAsExists(path)
            }
        }
        Effect::Copy(text) => Action::Copied(w.clipboard.copy(&text, w.session, w.out)),
        Effect::Reload(Target::File(path)) => {
            let failed = |e: &dyn std::fmt::Display| {
                format!("cannot reload {}: {e}; your edits are kept", path.display())
            };
            // The stamp is taken before the read: a write racing the read leaves it stale
            // (the next save then compares the bytes), never wrongly current.
            let stamp = std::fs::metadata(&path).ok().map(|m| FileStamp::of(&m));
            Action::Reloaded(
                crate::store::load::read_limited(&path)
                    .map_err(|e| failed(&e))
                    .and_then(|b| String::from_utf8(b).map_err(|_| failed(&"not UTF-8")))
                    .map(|text| (text, stamp)),
            )
        }
        Effect::Reload(Target::Domain { name, uri }) => Action::Reloaded(
            dumpxml(w.runner, uri.as_deref(), &name)
                .map(|text| (text, None))
                .map_err(|e| format!("{e}; your edits are kept")),
        ),
        Effect::Reload(Target::Unnamed { .. }) => {
            Action::Reloaded(Err("nothing to reload from".into()))
        }
        Effect::Define {
            name,
            uri,
            bytes,
            expected,
        } => Action::Defined {
            result: define(w.runner, uri.as_deref(), &name, &bytes, &expected),
        },
    }
}

/// Writes `bytes` to `path` atomically, refused when the file no longer holds `expected` (not
/// read back while its stamp is still `stamp`).
fn save(
    path: PathBuf,
    bytes: Arc<String>,
    expected: Option<&String>,
    stamp: Option<&FileStamp>,
) -> Action {
    let expected = expected.map(|e| Expected {
        bytes: e.as_bytes(),
        stamp,
    });
    let result = save_atomic(&path, bytes.as_bytes(), expected).map_err(failure);
    Action::SaveDone {
        path,
        bytes,
        result,
    }
}

/// A failed save in the TUI's words: what happened, the OS error as the OS says it, and what to
/// do here (the CLI's messages point at `-o FILE`, which the TUI does not have).
fn failure(e: SaveError) -> SaveFailure {
    match e {
        SaveError::ChangedOnDisk { path } => SaveFailure::ChangedOnDisk(format!(
            "{path} changed on disk since it was loaded; nothing was written. Press r to reload it (drops your edits) or s to save your version elsewhere."
        )),
        SaveError::Deleted { path } => SaveFailure::Deleted(format!(
            "{path} was deleted since it was opened; nothing was written."
        )),
        SaveError::ReadOnly { path } => SaveFailure::Other(format!(
            "{path} is read-only for you; nothing was written. Press s to save elsewhere, or make it writable and press w again."
        )),
        SaveError::UnsafeSymlink {
            path,
            link,
            dir,
            owner,
        } => SaveFailure::Other(format!(
            "{path}: {link} is a symlink owned by another user (uid {owner}) in the sticky world-writable directory {dir}; it was not followed and nothing was written. Press s to save elsewhere."
        )),
        SaveError::Xattr { path, name, source } => SaveFailure::Other(format!(
            "{path} has the extended attribute {name}, which its new version cannot be given ({}); nothing was written (the save would drop it). Press s to save elsewhere.",
            os_error(&source)
        )),
        SaveError::Directory { dir, source } => SaveFailure::Other(format!(
            "cannot write in {dir}: {}; nothing was written. Press s to save elsewhere.",
            os_error(&source)
        )),
        SaveError::IsDirectory { path } => SaveFailure::Other(format!(
            "{path} is a directory; nothing was written. Press s and name a file."
        )),
        SaveError::NotRegular { path, kind } => SaveFailure::Other(format!(
            "{path} is {kind}, not a regular file; nothing was written. Press s and name a regular file."
        )),
        SaveError::Busy { path } => SaveFailure::Other(format!(
            "{path} is being saved by another program (it holds a lock on the file, or keeps replacing it); nothing was written. Press w to try again, or s to save elsewhere."
        )),
        SaveError::Write { path, source } => SaveFailure::Other(format!(
            "writing {path} failed: {}; the file was left as it was. Press s to save elsewhere.",
            os_error(&source)
        )),
    }
}

/// An I/O error as the OS words it ("Permission denied (os error 13)"), without the path of the
/// temporary file that `tempfile` appends (Debug-formatted) to its errors.
fn os_error(e: &std::io::Error) -> String {
    if let Some(code) = e.raw_os_error() {
        return std::io::Error::from_raw_os_error(code).to_string();
    }
    let text = e.to_string();
    match text.split_once(" at path ") {
        Some((plain, _)) => plain.to_string(),
        None => text,
    }
}

/// Whether two paths name the same file (device and inode).
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// The domain's persistent definition, as `virsh edit` reads it (secrets included); the error
/// stays typed until it is said (at start-up by the CLI's error path, on reload in a dialog).
pub fn dumpxml(
    runner: &dyn Runner,
    uri: Option<&str>,
    name: &str,
) -> Result<String, crate::host::HostError> {
    libvirt::dumpxml(runner, uri, name)
}

/// [`libvirt::define`], its failure in the TUI's words.
fn define(
    runner: &dyn Runner,
    uri: Option<&str>,
    name: &str,
    bytes: &str,
    expected: &str,
) -> Result<String, SaveFailure> {
    libvirt::define(runner, uri, name, bytes, expected).map_err(|e| match e {
        DefineError::Changed { .. } => SaveFailure::ChangedOnDisk(e.to_string()),
        DefineError::Refused(why) => SaveFailure::Other(format!(
            "libvirt refused the definition; nothing changed — fix it and press w again. {why}"
        )),
        DefineError::Other(_) => SaveFailure::Other(e.to_string()),
    })
}
