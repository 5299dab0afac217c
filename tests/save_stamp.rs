//! `save_atomic` with a stamp: a file whose stamp (length, mtime, inode, device) is the one
//! recorded at load is taken to hold what was loaded without reading it back; any other stamp
//! falls back to reading and comparing the content. Real files in a temporary directory.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};
use virt_cpu::store::save::{Expected, FileStamp, SaveError, Saved, save_atomic};

const OLD: &[u8] = b"<domain type='kvm'><name>a</name></domain>\n";
/// The same length as `OLD`: a change that keeps the size.
const THEIRS: &[u8] = b"<domain type='kvm'><name>b</name></domain>\n";
const NEW: &[u8] = b"<domain type='kvm'><name>new</name></domain>\n";

fn stamp(path: &Path) -> FileStamp {
    FileStamp::of(&std::fs::metadata(path).unwrap())
}

fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

fn set_mtime(path: &Path, t: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

/// Rewrites the file in place (same inode), then puts its mtime back: only the content differs.
fn rewrite_keeping_mtime(path: &Path, content: &[u8]) {
    let before = mtime(path);
    let mut f = std::fs::File::options()
        .write(true)
        .truncate(true)
        .open(path)
        .unwrap();
    f.write_all(content).unwrap();
    f.set_modified(before).unwrap();
}

fn expected<'a>(bytes: &'a [u8], stamp: &'a FileStamp) -> Option<Expected<'a>> {
    Some(Expected {
        bytes,
        stamp: Some(stamp),
    })
}

/// The trade-off, documented: a stamp that still matches is trusted, so a same-length rewrite
/// that restores the mtime is not seen (the file is not read); without a stamp it is.
#[test]
fn a_matching_stamp_is_trusted_without_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.xml");
    std::fs::write(&path, OLD).unwrap();
    let loaded = stamp(&path);
    rewrite_keeping_mtime(&path, THEIRS);
    assert_eq!(stamp(&path), loaded, "length, mtime, inode and device kept");

    let r = save_atomic(
        &path,
        NEW,
        Some(Expected {
            bytes: OLD,
            stamp: None,
        }),
    );
    assert!(matches!(r, Err(SaveError::ChangedOnDisk { .. })), "{r:?}");
    assert_eq!(std::fs::read(&path).unwrap(), THEIRS);

    // The same content as loaded, by the stamp: nothing to write, not even a read to find out.
    let r = save_atomic(&path, OLD, expected(OLD, &loaded)).unwrap();
    assert_eq!(r, Saved::Unchanged(loaded.clone()));
    assert_eq!(std::fs::read(&path).unwrap(), THEIRS, "not written");

    let r = save_atomic(&path, NEW, expected(OLD, &loaded)).unwrap();
    assert!(matches!(r, Saved::Written(_)), "{r:?}");
    assert_eq!(std::fs::read(&path).unwrap(), NEW);
}

/// A stamp that differs only in mtime or length, with the file still holding what was loaded:
/// read and compared, then written.
#[test]
fn a_stale_stamp_with_the_loaded_content_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.xml");

    // mtime: the same bytes written again later (`touch`, or an editor that saved unchanged).
    std::fs::write(&path, OLD).unwrap();
    let loaded = stamp(&path);
    set_mtime(&path, mtime(&path) + Duration::from_secs(5));
    assert_ne!(stamp(&path), loaded);
    let r = save_atomic(&path, NEW, expected(OLD, &loaded)).unwrap();
    assert!(matches!(r, Saved::Written(_)), "{r:?}");
    assert_eq!(std::fs::read(&path).unwrap(), NEW);

    // length: stamped at another size, the loaded bytes there now, the mtime put back.
    std::fs::write(&path, b"<domain/>").unwrap();
    let loaded = stamp(&path);
    rewrite_keeping_mtime(&path, OLD);
    let now = stamp(&path);
    assert_ne!(now.len, loaded.len);
    assert_eq!(
        (now.mtime, now.mtime_nsec),
        (loaded.mtime, loaded.mtime_nsec)
    );
    let r = save_atomic(&path, NEW, expected(OLD, &loaded)).unwrap();
    assert!(matches!(r, Saved::Written(_)), "{r:?}");
    assert_eq!(std::fs::read(&path).unwrap(), NEW);

    // Already holding `new` under a stale stamp: read, found unchanged, not written.
    let before = stamp(&path);
    let r = save_atomic(&path, NEW, expected(NEW, &loaded)).unwrap();
    assert_eq!(r, Saved::Unchanged(before.clone()));
    assert_eq!(stamp(&path), before);
}

/// Another content under a changed stamp is refused, whether the mtime moved or another file
/// was renamed over the loaded one keeping length and mtime (only the inode tells).
#[test]
fn a_changed_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.xml");
    std::fs::write(&path, OLD).unwrap();
    let loaded = stamp(&path);
    std::fs::write(&path, THEIRS).unwrap();
    set_mtime(&path, mtime(&path) + Duration::from_secs(5));
    let r = save_atomic(&path, NEW, expected(OLD, &loaded));
    assert!(matches!(r, Err(SaveError::ChangedOnDisk { .. })), "{r:?}");
    assert_eq!(std::fs::read(&path).unwrap(), THEIRS);

    // Their atomic save, keeping the length and the mtime: a new inode.
    std::fs::write(&path, OLD).unwrap();
    let loaded = stamp(&path);
    let theirs = dir.path().join("theirs.xml");
    std::fs::write(&theirs, THEIRS).unwrap();
    set_mtime(&theirs, mtime(&path));
    std::fs::rename(&theirs, &path).unwrap();
    let now = stamp(&path);
    assert_eq!(
        (now.len, now.mtime, now.mtime_nsec),
        (loaded.len, loaded.mtime, loaded.mtime_nsec)
    );
    assert_ne!(now.ino, loaded.ino);
    let r = save_atomic(&path, NEW, expected(OLD, &loaded));
    assert!(matches!(r, Err(SaveError::ChangedOnDisk { .. })), "{r:?}");
    assert_eq!(std::fs::read(&path).unwrap(), THEIRS);
}

/// The stamp a save returns is the target's afterwards, so the next save can use it.
#[test]
fn the_returned_stamp_serves_the_next_save() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.xml");
    std::fs::write(&path, OLD).unwrap();
    let loaded = stamp(&path);

    let first = save_atomic(&path, NEW, expected(OLD, &loaded)).unwrap();
    let Saved::Written(s1) = first else {
        panic!("{first:?}")
    };
    assert_eq!(s1, stamp(&path));

    let r = save_atomic(&path, NEW, expected(NEW, &s1)).unwrap();
    assert_eq!(r, Saved::Unchanged(s1.clone()));

    let second = save_atomic(&path, THEIRS, expected(NEW, &s1)).unwrap();
    let Saved::Written(s2) = second else {
        panic!("{second:?}")
    };
    assert_eq!(s2, stamp(&path));
    assert_ne!(s2, s1, "a new file renamed in: a new inode");
    assert_eq!(std::fs::read(&path).unwrap(), THEIRS);

    // A new file: the stamp of what was created.
    let created = dir.path().join("new.xml");
    let r = save_atomic(&created, OLD, None).unwrap();
    assert_eq!(r, Saved::Written(stamp(&created)));
}

/// Through a symlink: the stamp is the file's it points at, and the link stays.
#[test]
fn a_stamp_through_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.xml");
    let link = dir.path().join("link.xml");
    std::fs::write(&real, OLD).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let loaded = stamp(&link);
    let r = save_atomic(&link, NEW, expected(OLD, &loaded)).unwrap();
    assert_eq!(r, Saved::Written(stamp(&real)));
    let r = save_atomic(&link, THEIRS, expected(NEW, r.stamp())).unwrap();
    assert!(matches!(r, Saved::Written(_)), "{r:?}");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(std::fs::read(&real).unwrap(), THEIRS);
}

/// A matching stamp does not bypass the read-only refusal.
#[test]
fn a_matching_stamp_on_a_read_only_file_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.xml");
    std::fs::write(&path, OLD).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let loaded = stamp(&path);
    let r = save_atomic(&path, NEW, expected(OLD, &loaded));
    assert!(matches!(r, Err(SaveError::ReadOnly { .. })), "{r:?}");
    assert_eq!(std::fs::read(&path).unwrap(), OLD);
}
