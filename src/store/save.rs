//! Saving atomically: the target holds either its complete old or its complete new content,
//! never a mix; no change means no write at all; two saves of one file at once never lose an
//! edit (one of them is refused); a kill leaves no temporary file behind (see [`save_atomic`]).

use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error(
        "{path} changed on disk since it was loaded; nothing was written — reload it to see the \
         other change, or write your version elsewhere with -o FILE"
    )]
    ChangedOnDisk { path: String },
    /// Loaded from `path`, which is gone now: recreating it is the user's call, not ours.
    #[error(
        "{path} was deleted since it was loaded; nothing was written — write it again with \
         -o {path}, or elsewhere with -o FILE"
    )]
    Deleted { path: String },
    /// No write permission bit at all, or no write access for the user running the save (its
    /// effective ids, as `access(2)` with `AT_EACCESS` judges them) to the file itself.
    #[error(
        "{path} is read-only for you; nothing was written — write elsewhere with -o FILE, or make \
         it writable"
    )]
    ReadOnly { path: String },
    /// A symlink on the way to the target that the kernel's `protected_symlinks` would not
    /// follow: in a sticky world-writable directory, owned neither by us nor by the directory's
    /// owner (so another user may have planted it to make us write where they chose).
    #[error(
        "{path}: {link} is a symlink owned by another user (uid {owner}) in the sticky \
         world-writable directory {dir}; it was not followed (the kernel's protected_symlinks \
         refuses it too) and nothing was written — name the file it points to, or remove the link"
    )]
    UnsafeSymlink {
        path: String,
        link: String,
        dir: String,
        owner: u32,
    },
    /// The target has an extended attribute (a POSIX ACL is one: `system.posix_acl_access`)
    /// that the new file cannot be given: saving would drop it.
    #[error(
        "{path} has the extended attribute {name}, which its new version cannot be given \
         ({source}); nothing was written — the save would drop it: write elsewhere with -o FILE, \
         or save as a user allowed to set it"
    )]
    Xattr {
        path: String,
        name: String,
        source: std::io::Error,
    },
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
    /// Another save of the same file held its lock (or the file kept being replaced) for
    /// longer than a save should take.
    #[error(
        "{path} is being saved by another program (it holds a lock on the file, or keeps \
         replacing it); nothing was written — try again in a moment, or write elsewhere with -o FILE"
    )]
    Busy { path: String },
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

/// How long a save waits for another save of the same file (which holds its lock) to finish,
/// or for the file to stop being replaced, before giving up with [`SaveError::Busy`].
const WAIT: Duration = Duration::from_secs(10);

/// Writes `new` to `target` atomically, keeping the target's mode and owner (a new file gets
/// `0o666` less the umask, as the OS applies it when creating the file).
///
/// `expected` is what the caller loaded: when the file on disk differs from it the save is
/// refused, so a change made by someone else is never overwritten. With a stamp that still
/// matches, the file is taken to hold `expected.bytes` without reading it back (see
/// [`FileStamp`] for what that trusts); otherwise the file is read and compared.
///
/// How, for an existing target:
/// 1. the target is opened and locked (`flock(LOCK_EX)` on the file itself), then checked to
///    be still the file the path names: a save that ran while we waited for the lock replaced
///    it with a new file (a new inode), and then we start again on that one. Every save holds
///    the lock on the file it replaces until the rename is done, so two saves of one file
///    (two `set --in-place`, the TUI and a `set`) never both read the same old content and
///    both write: the second finds the first's content, not what it loaded, and is refused
///    with [`SaveError::ChangedOnDisk`]. A lock file beside the target would be left behind
///    by a kill and is unknown to other programs; the target's own lock needs neither.
/// 2. the expected content is checked (stamp, or content read from the locked file);
/// 3. the new content is written to a file with no name (`O_TMPFILE` in the target's
///    directory) and fsynced, so a kill at any time up to here leaves nothing behind;
/// 4. right before the rename, the path must still name the locked file with the stamp
///    checked in 2 (another program that does not lock may have written meanwhile);
/// 5. the file is linked as `.virt-cpu-HASH.tmp` (a name of its own for this target, used only
///    under the target's lock: one left by a kill between the link and the rename is removed
///    by the next save) and renamed over the target; the directory is fsynced.
///
/// Where `O_TMPFILE` is not supported (some network and FUSE file systems, no `/proc`), a named
/// temporary file `.virt-cpu-XXXXXX.tmp` is written instead, as before: a kill while it is
/// written leaves it behind. Where locks are not supported, the checks of 4 remain.
///
/// A new target (nothing at the path) has nothing to lock: the unnamed file is linked at the
/// path itself, which fails if another program created it meanwhile (then we start again,
/// and the file is handled as an existing one). But a target that was loaded (`expected`)
/// and is gone now is not created again: [`SaveError::Deleted`] lets the user decide.
///
/// Whose file it is:
/// - a symlink on the way that the kernel's `protected_symlinks` would not follow (another
///   user's, in a sticky world-writable directory such as `/tmp`) is refused, whatever the
///   sysctl says ([`SaveError::UnsafeSymlink`]);
/// - the target must be writable for the user who saves (`faccessat` with `AT_EACCESS`), not
///   only by its mode bits and the directory ([`SaveError::ReadOnly`]);
/// - the new version keeps the target's owner, mode and extended attributes (POSIX ACLs are
///   some), or the save is refused naming the attribute it cannot keep ([`SaveError::Xattr`]);
/// - except output without `expected` (`-o FILE`) over a file another user put in a sticky
///   world-writable directory: that is replaced by a file of our own, as `install` does.
pub fn save_atomic(
    target: &Path,
    new: &[u8],
    expected: Option<Expected<'_>>,
) -> Result<Saved, SaveError> {
    save_waiting(target, new, expected, WAIT, true)
}

/// [`save_atomic`], waiting at most `wait` for the lock; `unnamed`: write an `O_TMPFILE`
/// where the file system has them (else always a named temporary file).
fn save_waiting(
    target: &Path,
    new: &[u8],
    expected: Option<Expected<'_>>,
    wait: Duration,
    unnamed: bool,
) -> Result<Saved, SaveError> {
    let path_s = target.display().to_string();
    let walked = refuse_planted_symlinks(target, &path_s)?;
    // Write through a symlink to the file it points at, keeping the link.
    let canonical = std::fs::canonicalize(target).ok();
    if let (Some(walked), Some(canonical)) = (&walked, &canonical)
        && walked != canonical
    {
        // A symlink on the way changed between the check and now: whoever changes it is not
        // trusted with where we write.
        return Err(SaveError::Busy { path: path_s });
    }
    let real: PathBuf = canonical.unwrap_or_else(|| target.to_path_buf());
    let dir = real
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let job = Job {
        real: &real,
        dir,
        path_s: &path_s,
        new,
        expected,
        deadline: Instant::now() + wait,
        unnamed,
    };
    loop {
        if let Some(saved) = job.attempt()? {
            return Ok(saved);
        }
        if Instant::now() >= job.deadline {
            return Err(SaveError::Busy { path: path_s });
        }
        // Lost a race with another save (which replaced or created the file): a moment for
        // it to finish, not a busy loop.
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// One save, as [`save_atomic`] describes it.
struct Job<'a> {
    /// The target with symlinks resolved.
    real: &'a Path,
    dir: &'a Path,
    /// The target as the caller named it, for messages.
    path_s: &'a str,
    new: &'a [u8],
    expected: Option<Expected<'a>>,
    deadline: Instant,
    /// Try `O_TMPFILE` first (tests of the fallback turn it off).
    unnamed: bool,
}

impl Job<'_> {
    fn write_err(&self, source: std::io::Error) -> SaveError {
        SaveError::Write {
            path: self.path_s.to_string(),
            source,
        }
    }

    fn changed(&self) -> SaveError {
        SaveError::ChangedOnDisk {
            path: self.path_s.to_string(),
        }
    }

    /// One try: `None` when the target was replaced or created meanwhile (try again).
    fn attempt(&self) -> Result<Option<Saved>, SaveError> {
        let path_s = self.path_s.to_string();
        let existing = match std::fs::metadata(self.real) {
            Ok(m) => m,
            // Loaded from this path, and gone now: recreating it is the user's decision (a
            // deleted file may have been deleted on purpose), so ask through the error.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && self.expected.is_some() => {
                return Err(SaveError::Deleted { path: path_s });
            }
            Err(_) => return self.create(),
        };
        if existing.is_dir() {
            return Err(SaveError::IsDirectory { path: path_s });
        }
        if let Some(kind) = special_kind(&existing) {
            return Err(SaveError::NotRegular { path: path_s, kind });
        }
        // Non-blocking: a FIFO put there since the `stat` must not hang the open.
        let file = match std::fs::File::options()
            .read(true)
            // `real` has no symlink left: one put in its place since is not followed.
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW)
            .open(self.real)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.write_err(e)),
        };
        let locked = self.lock(&file)?;
        let meta = file.metadata().map_err(|e| self.write_err(e))?;
        if meta.is_dir() {
            return Err(SaveError::IsDirectory { path: path_s });
        }
        if let Some(kind) = special_kind(&meta) {
            return Err(SaveError::NotRegular { path: path_s, kind });
        }
        if !names(self.real, &meta) {
            // Replaced while we waited for the lock (or since the `stat`): start again.
            return Ok(None);
        }
        let stamp = FileStamp::of(&meta);
        if self.holds_new(&file, &stamp)? {
            return Ok(Some(Saved::Unchanged(stamp)));
        }
        // Output (`-o`, save-as) over a file another user put in a sticky world-writable
        // directory: replaced by a file of our own, not written into theirs.
        let keep = (!(self.expected.is_none() && planted(&meta, self.dir))).then_some(Keep {
            meta: &meta,
            file: &file,
        });
        if keep.is_some() && !writable(self.real, &meta) {
            return Err(SaveError::ReadOnly { path: path_s });
        }
        let temp = self.write_temp(keep.as_ref(), self.unnamed)?;
        // Right before the rename: still the file locked and checked above. Saves of ours
        // cannot have changed it (we hold its lock); another program may have.
        let now = file.metadata().map_err(|e| self.write_err(e))?;
        if FileStamp::of(&now) != stamp || !names(self.real, &now) {
            return match self.expected {
                Some(_) => Err(self.changed()),
                // `-o FILE` overwrites whatever is there: start again.
                None => Ok(None),
            };
        }
        let written = self.replace(temp, locked, keep.as_ref())?;
        self.sync_dir();
        // The lock goes with `file`, after the rename.
        drop(file);
        Ok(Some(Saved::Written(written)))
    }

    /// Whether the locked `file` already holds the new content, or an error when it no
    /// longer holds the expected one.
    fn holds_new(&self, file: &std::fs::File, stamp: &FileStamp) -> Result<bool, SaveError> {
        // Taken before any read: a write racing the read leaves it stale, never wrongly current.
        if let Some(e) = self.expected.filter(|e| e.stamp == Some(stamp)) {
            return Ok(same_bytes(e.bytes, self.new));
        }
        // The length alone tells often enough, and then the file is not read.
        let len = stamp.len;
        if let Some(e) = self.expected
            && len != e.bytes.len() as u64
        {
            return Err(self.changed());
        }
        if self.expected.is_none() && len != self.new.len() as u64 {
            return Ok(false);
        }
        let mut current = Vec::with_capacity(len as usize);
        file.take(len + 1)
            .read_to_end(&mut current)
            .map_err(|e| self.write_err(e))?;
        if let Some(e) = self.expected
            && current != e.bytes
        {
            return Err(self.changed());
        }
        Ok(current == self.new)
    }

    /// Takes the exclusive lock on `file`, waiting for another save until the deadline.
    /// `false`: the file system has no locks (the checks before the rename remain).
    fn lock(&self, file: &std::fs::File) -> Result<bool, SaveError> {
        use rustix::fs::{FlockOperation, flock};
        use rustix::io::Errno;
        let mut pause = Duration::from_millis(1);
        loop {
            match flock(file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(true),
                Err(Errno::WOULDBLOCK) => {}
                Err(Errno::INTR) => continue,
                Err(_) => return Ok(false),
            }
            if Instant::now() >= self.deadline {
                return Err(SaveError::Busy {
                    path: self.path_s.to_string(),
                });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }

    /// Nothing at the path: the new file is linked there, unless something appeared meanwhile
    /// (`None`: start again).
    fn create(&self) -> Result<Option<Saved>, SaveError> {
        let temp = self.write_temp(None, self.unnamed)?;
        // A dangling symlink: replaced by the file, as a rename does (there is nothing to lock).
        let placed = if std::fs::symlink_metadata(self.real).is_ok() {
            Some(self.replace(temp, false, None)?)
        } else {
            self.place_new(temp)?
        };
        if placed.is_some() {
            self.sync_dir();
        }
        Ok(placed.map(Saved::Written))
    }

    /// The temporary file given the target's name unless something is there now (`None`).
    fn place_new(&self, temp: Temp) -> Result<Option<FileStamp>, SaveError> {
        match temp {
            Temp::Unnamed(file, stamp) => match link(&file, self.real) {
                Ok(()) => Ok(Some(stamp)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
                // Cannot link an unnamed file here after all: a named temporary.
                Err(_) => self.place_new(self.write_temp(None, false)?),
            },
            Temp::Named(tmp, stamp) => match tmp.persist_noclobber(self.real) {
                Ok(_) => Ok(Some(stamp)),
                Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
                Err(e) => Err(self.write_err(e.error)),
            },
        }
    }

    /// Writes the new content to a temporary file in the target's directory and fsyncs it,
    /// with the mode, owner and extended attributes (ACLs included) of the file it replaces,
    /// `keep` (a new file: the OS's mode for `0o666` under the umask, no attributes but those
    /// the directory gives). `unnamed`: try `O_TMPFILE` first.
    fn write_temp(&self, keep: Option<&Keep>, unnamed: bool) -> Result<Temp, SaveError> {
        let write_err = |e| self.write_err(e);
        let mut named = None;
        let file = match unnamed.then(|| unnamed_in(self.dir)).flatten() {
            Some(file) => file,
            None => {
                let tmp = tempfile::Builder::new()
                    .prefix(TEMP_PREFIX)
                    .suffix(".tmp")
                    .permissions(std::fs::Permissions::from_mode(0o666))
                    .tempfile_in(self.dir)
                    .map_err(|source| SaveError::Directory {
                        dir: self.dir.display().to_string(),
                        source,
                    })?;
                let file = tmp.as_file().try_clone().map_err(write_err)?;
                named = Some(tmp);
                file
            }
        };
        (&file).write_all(self.new).map_err(write_err)?;
        if let Some(Keep { meta, file: old }) = keep {
            // Keeping the owner only works as root; as the owner it is a no-op. Before the
            // mode: a change of owner clears the set-user/group-ID bits.
            let _ = std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid()));
            file.set_permissions(std::fs::Permissions::from_mode(meta.mode() & 0o7777))
                .map_err(write_err)?;
            // After the mode: an access ACL sets the group bits from its mask, as on the old
            // file.
            self.copy_xattrs(old, &file)?;
        }
        file.sync_all().map_err(write_err)?;
        // Linking and renaming keep the inode and the mtime: this is the target's stamp then.
        let stamp = FileStamp::of(&file.metadata().map_err(write_err)?);
        Ok(match named {
            Some(tmp) => Temp::Named(tmp, stamp),
            None => Temp::Unnamed(file, stamp),
        })
    }

    /// Puts the temporary file in the target's place (rename over it). `locked`: we hold the
    /// target's lock, so its own temporary name is ours to use. `keep`: what the new file
    /// keeps of the target, for the fallback that has to write again.
    fn replace(
        &self,
        temp: Temp,
        locked: bool,
        keep: Option<&Keep>,
    ) -> Result<FileStamp, SaveError> {
        let (file, stamp) = match temp {
            Temp::Named(tmp, stamp) => {
                tmp.persist(self.real)
                    .map_err(|e| self.write_err(e.error))?;
                return Ok(stamp);
            }
            Temp::Unnamed(file, stamp) => (file, stamp),
        };
        let linked = if locked {
            self.link_as_own_name(&file)
        } else {
            tempfile::Builder::new()
                .prefix(TEMP_PREFIX)
                .suffix(".tmp")
                .make_in(self.dir, |p| link(&file, p))
                .map(|tmp| tmp.into_temp_path().keep())
                .and_then(|kept| kept.map_err(|e| e.error))
        };
        let name = match linked {
            Ok(name) => name,
            Err(_) => {
                // Cannot link an unnamed file here after all: write a named temporary.
                drop(file);
                let temp = self.write_temp(keep, false)?;
                return self.replace(temp, locked, keep);
            }
        };
        if let Err(e) = std::fs::rename(&name, self.real) {
            let _ = std::fs::remove_file(&name);
            return Err(self.write_err(e));
        }
        Ok(stamp)
    }

    /// Links `file` as this target's own temporary name, removing one a killed save left.
    fn link_as_own_name(&self, file: &std::fs::File) -> std::io::Result<PathBuf> {
        let name = self.dir.join(own_temp_name(self.real));
        match link(file, &name) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // Left by a save killed between its link and its rename: only saves holding
                // this target's lock use the name, and we hold it.
                std::fs::remove_file(&name)?;
                link(file, &name)?;
            }
            other => other?,
        }
        Ok(name)
    }

    /// Gives `to` the extended attributes of `from` (POSIX ACLs, `user.*`, file capabilities,
    /// and `security.*`/`trusted.*` as far as we may read them), and removes those `to` got
    /// from its directory that `from` lacks (a default ACL). One that cannot be set is an
    /// error naming it: the save would drop it. Except `security.selinux`: the new file then
    /// keeps the label the policy gave it in this directory, as for any new file.
    fn copy_xattrs(&self, from: &std::fs::File, to: &std::fs::File) -> Result<(), SaveError> {
        use rustix::fs::{XattrFlags, fgetxattr, fremovexattr, fsetxattr};
        let xattr_err = |name: &[u8], e: std::io::Error| SaveError::Xattr {
            path: self.path_s.to_string(),
            name: String::from_utf8_lossy(name).into_owned(),
            source: e,
        };
        let names = xattr_names(from).map_err(|e| self.write_err(e))?;
        for name in &names {
            let value = match read_sized(|buf: &mut [u8]| fgetxattr(from, &name[..], buf)) {
                Ok(v) => v,
                // Removed since the listing.
                Err(e) if e.raw_os_error() == Some(libc::ENODATA) => continue,
                Err(e) => return Err(xattr_err(name, e)),
            };
            if let Err(e) = fsetxattr(to, &name[..], &value, XattrFlags::empty()) {
                if name.as_slice() == b"security.selinux" {
                    continue;
                }
                return Err(xattr_err(name, e.into()));
            }
        }
        for name in xattr_names(to).unwrap_or_default() {
            if !names.contains(&name) {
                let _ = fremovexattr(to, &name[..]);
            }
        }
        Ok(())
    }

    fn sync_dir(&self) {
        if let Ok(d) = std::fs::File::open(self.dir) {
            let _ = d.sync_all();
        }
    }
}

/// The prefix of every temporary file a save makes.
const TEMP_PREFIX: &str = ".virt-cpu-";

/// What a new version keeps of the file it replaces: its mode, owner and extended attributes.
struct Keep<'a> {
    meta: &'a std::fs::Metadata,
    /// The old file, open (and locked), to read its extended attributes from.
    file: &'a std::fs::File,
}

/// The names of `file`'s extended attributes (none where the file system has none).
fn xattr_names(file: &std::fs::File) -> std::io::Result<Vec<Vec<u8>>> {
    let list = match read_sized(|buf: &mut [u8]| rustix::fs::flistxattr(file, buf)) {
        Ok(list) => list,
        Err(e) if e.raw_os_error() == Some(libc::ENOTSUP) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(list
        .split(|&b| b == 0)
        .filter(|n| !n.is_empty())
        .map(<[u8]>::to_vec)
        .collect())
}

/// Calls a `getxattr`-like `read` with a buffer that grows until the value fits (it may grow
/// between the calls).
fn read_sized(read: impl Fn(&mut [u8]) -> rustix::io::Result<usize>) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; 256];
    loop {
        match read(&mut buf) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            Err(rustix::io::Errno::RANGE) if buf.len() < 1 << 24 => {
                let len = buf.len() * 4;
                buf.resize(len, 0);
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Whether the file at `path` (symlinks followed) may be written by us, as a save would judge
/// it; false when it cannot be looked at.
pub fn is_writable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|meta| writable(path, &meta))
}

/// Whether `path` (whose metadata is `meta`) may be written by us: some write permission bit
/// set, and write access for our effective ids (`faccessat` with `AT_EACCESS`, which also
/// knows ACLs, read-only mounts and immutable files). The mode bits alone are not enough: a
/// root-owned 0644 file says nothing about whether *we* may write it, and the directory being
/// writable would let the rename replace it. For root, who may write any file, a file with no
/// write bit at all is still taken as meant not to be changed (as vim does).
fn writable(path: &Path, meta: &std::fs::Metadata) -> bool {
    use rustix::fs::{Access, AtFlags, CWD, accessat};
    if meta.permissions().readonly() {
        return false;
    }
    !matches!(
        accessat(CWD, path, Access::WRITE_OK, AtFlags::EACCESS),
        Err(rustix::io::Errno::ACCESS | rustix::io::Errno::PERM | rustix::io::Errno::ROFS)
    )
}

/// Whether `dir` is sticky and world-writable (`/tmp`): there, files and symlinks may have
/// been put by anyone, and only their owner (or the directory's) may remove them. Its owner.
fn sticky_shared(dir: &Path) -> Option<u32> {
    let d = std::fs::metadata(dir).ok()?;
    (d.mode() & 0o1002 == 0o1002).then_some(d.uid())
}

/// A file in a sticky world-writable directory owned by another user than us and the
/// directory's owner: the kernel's `protected_regular` rule for opening it with `O_CREAT`.
///
/// Writing our output into it (as `cp` would, and as a save that keeps owner and mode would)
/// hands it to that user: it stays theirs, writable as they chose (world-writable, say), so
/// they can change it before we use it (root writing `-o /tmp/x.xml`, then `virsh define
/// /tmp/x.xml`). We do as `install` does: the file is replaced by a new one of our own, with
/// the mode a new file gets (`0o666` under the umask) and none of its extended attributes.
/// Root may rename over it in a sticky directory; another user may not, and gets an error.
fn planted(meta: &std::fs::Metadata, dir: &Path) -> bool {
    let me = rustix::process::geteuid().as_raw();
    sticky_shared(dir).is_some_and(|owner| meta.uid() != me && meta.uid() != owner)
}

/// Refuses to follow, on the way to `target`, a symlink the kernel's `protected_symlinks`
/// would not follow (whatever the sysctl says on this machine): one in a sticky world-writable
/// directory, owned neither by us nor by the directory's owner. Another user may have planted
/// it there (`/tmp/x.xml -> /etc/shadow`) to make us, root say, write where they chose.
///
/// Walks the path as the kernel resolves it, each symlink's target in place of the link, and
/// returns where it leads (`None` past 40 links, or without a current directory).
fn refuse_planted_symlinks(target: &Path, path_s: &str) -> Result<Option<PathBuf>, SaveError> {
    use std::collections::VecDeque;
    use std::path::Component;
    let me = rustix::process::geteuid().as_raw();
    let Ok(mut done) = std::env::current_dir() else {
        return Ok(None);
    };
    let mut rest: VecDeque<PathBuf> = VecDeque::new();
    let push_front = |rest: &mut VecDeque<PathBuf>, p: &Path| {
        for c in p.components().rev() {
            rest.push_front(c.as_os_str().into());
        }
    };
    push_front(&mut rest, target);
    let mut links = 0;
    while let Some(part) = rest.pop_front() {
        match part.components().next() {
            Some(Component::RootDir) => done = PathBuf::from("/"),
            Some(Component::ParentDir) => {
                done.pop();
            }
            Some(Component::Normal(name)) => {
                let next = done.join(name);
                let is_link = std::fs::symlink_metadata(&next)
                    .ok()
                    .filter(|m| m.is_symlink());
                let Some(link) = is_link else {
                    done = next;
                    continue;
                };
                if let Some(owner) = sticky_shared(&done)
                    && link.uid() != me
                    && link.uid() != owner
                {
                    return Err(SaveError::UnsafeSymlink {
                        path: path_s.to_string(),
                        link: next.display().to_string(),
                        dir: done.display().to_string(),
                        owner: link.uid(),
                    });
                }
                links += 1;
                match std::fs::read_link(&next) {
                    // Past the kernel's limit, the open fails by itself (ELOOP).
                    Ok(to) if links <= 40 => push_front(&mut rest, &to),
                    _ => return Ok(None),
                }
            }
            _ => {}
        }
    }
    Ok(Some(done))
}

/// A written and fsynced temporary file, with its stamp.
enum Temp {
    /// `O_TMPFILE`: no name until linked, nothing left behind by a kill.
    Unnamed(std::fs::File, FileStamp),
    /// The fallback: a named temporary (removed when dropped).
    Named(tempfile::NamedTempFile, FileStamp),
}

/// An unnamed file in `dir` (`O_TMPFILE`, mode `0o666` less the umask as the OS applies it),
/// or `None` where the file system (or the kernel) has none, or `/proc` is missing (linking it
/// needs `/proc/self/fd`, or privileges).
fn unnamed_in(dir: &Path) -> Option<std::fs::File> {
    use rustix::fs::{CWD, Mode, OFlags, openat};
    if !Path::new("/proc/self/fd").is_dir() {
        return None;
    }
    let fd = openat(
        CWD,
        dir,
        OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o666),
    )
    .ok()?;
    Some(std::fs::File::from(fd))
}

/// Gives the unnamed `file` the name `to` (`linkat` through `/proc/self/fd`, which needs no
/// privilege, unlike `AT_EMPTY_PATH`). Fails with `AlreadyExists` when `to` exists.
fn link(file: &std::fs::File, to: &Path) -> std::io::Result<()> {
    use rustix::fs::{AtFlags, CWD, linkat};
    use std::os::fd::AsRawFd;
    let fd_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    linkat(CWD, fd_path.as_str(), CWD, to, AtFlags::SYMLINK_FOLLOW).map_err(Into::into)
}

/// `.virt-cpu-HASH.tmp`: the temporary name of one target (FNV-1a of its file name, a stable
/// hash: the same name in every version, so that any later save removes a leftover).
fn own_temp_name(real: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let name = real.file_name().map(|n| n.as_bytes()).unwrap_or(b"");
    let hash = name.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{TEMP_PREFIX}{hash:016x}.tmp")
}

/// Whether `path` names the file whose metadata is `meta` (same device and inode).
fn names(path: &Path, meta: &std::fs::Metadata) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Another holder of the target's lock is waited for, and then the save is refused with
    /// the file untouched; once the lock is released the save goes through.
    #[test]
    fn a_lock_held_elsewhere_is_waited_for_then_refused() {
        use rustix::fs::{FlockOperation, flock};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.xml");
        std::fs::write(&path, b"old").unwrap();
        let holder = std::fs::File::open(&path).unwrap();
        flock(&holder, FlockOperation::LockExclusive).unwrap();
        let r = save_waiting(&path, b"new", None, Duration::from_millis(30), true);
        assert!(matches!(r, Err(SaveError::Busy { .. })), "{r:?}");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        drop(holder);
        let r = save_waiting(&path, b"new", None, Duration::from_millis(30), true).unwrap();
        assert!(matches!(r, Saved::Written(_)), "{r:?}");
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }

    /// A save killed between linking its temporary name and the rename leaves that name; the
    /// next save of the same target removes it (and no other file).
    #[test]
    fn the_next_save_removes_a_killed_saves_temporary_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.xml");
        std::fs::write(&path, b"old").unwrap();
        let own = dir.path().join(own_temp_name(&path));
        std::fs::write(&own, b"left by a kill").unwrap();
        let other = dir
            .path()
            .join(own_temp_name(&dir.path().join("other.xml")));
        std::fs::write(&other, b"another target's").unwrap();
        save_atomic(&path, b"new", None).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert!(!own.exists());
        assert!(other.exists());
    }

    /// A new file is created with the OS's mode for 0o666 under the umask, and never replaces
    /// a file that appeared at its name: that one is handled as an existing file.
    #[test]
    fn a_new_file_is_linked_at_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.xml");
        let r = save_atomic(&path, b"new", None).unwrap();
        assert!(matches!(r, Saved::Written(_)), "{r:?}");
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
        // Loaded (expected) content gone and a different file there: refused, not replaced.
        let expected = Expected {
            bytes: b"what was loaded",
            stamp: None,
        };
        let r = save_atomic(&path, b"mine", Some(expected));
        assert!(matches!(r, Err(SaveError::ChangedOnDisk { .. })), "{r:?}");
    }

    /// Extended attributes are carried over by both ways of writing (unnamed and named
    /// temporary), as the old file had them.
    #[test]
    fn extended_attributes_are_kept_by_both_ways_of_writing() {
        use rustix::fs::{XattrFlags, getxattr, setxattr};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.xml");
        std::fs::write(&path, b"old").unwrap();
        if let Err(e) = setxattr(&path, "user.note", b"kept", XattrFlags::empty()) {
            // tmpfs without user xattrs, for one: tests/permissions.rs covers the CLI.
            eprintln!("skipped: no user.* attributes here ({e})");
            return;
        }
        for (unnamed, content) in [(true, &b"one"[..]), (false, &b"two"[..])] {
            save_waiting(&path, content, None, WAIT, unnamed).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), content);
            let mut buf = [0u8; 16];
            let n = getxattr(&path, "user.note", &mut buf[..]).unwrap();
            assert_eq!(&buf[..n], b"kept", "unnamed: {unnamed}");
        }
    }

    /// The named-temporary fallback (no `O_TMPFILE`): the same outcomes, nothing left behind
    /// after a normal exit.
    #[test]
    fn the_named_fallback_saves_alike() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.xml");
        let wait = Duration::from_millis(30);
        let r = save_waiting(&path, b"one", None, wait, false).unwrap();
        assert_eq!(
            r,
            Saved::Written(FileStamp::of(&std::fs::metadata(&path).unwrap()))
        );
        let loaded = r.stamp().clone();
        let expected = Expected {
            bytes: b"one",
            stamp: Some(&loaded),
        };
        let r = save_waiting(&path, b"two", Some(expected), wait, false).unwrap();
        assert!(matches!(r, Saved::Written(_)), "{r:?}");
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let r = save_waiting(&path, b"three", Some(expected), wait, false);
        assert!(matches!(r, Err(SaveError::ChangedOnDisk { .. })), "{r:?}");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
