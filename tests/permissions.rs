//! Who a save writes for, and what it keeps: a target deleted since it was loaded, symlinks and
//! files another user planted in a sticky world-writable directory, write access judged for the
//! user who saves (not from the mode bits), extended attributes and POSIX ACLs.
//!
//! The tests of other users need root (to create the user `virtcpu-test` and act as it with
//! `setpriv`); CI runs as root, and there they fail instead of skipping, as do those missing
//! `setfacl`/`setfattr` (Debian packages `acl` and `attr`, installed by .ci/run).

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use virt_cpu::store::save::{Expected, FileStamp, save_atomic};

const BIN: &str = env!("CARGO_BIN_EXE_virt-cpu");

/// The second user the tests act as.
const USER: &str = "virtcpu-test";

const DOMAIN: &str = "<domain type='kvm'>
  <name>demo</name>
  <memory unit='KiB'>1048576</memory>
  <vcpu>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
  </os>
  <cpu mode='custom' match='exact'>
    <model fallback='forbid'>Skylake-Client</model>
  </cpu>
</domain>
";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `virt-cpu ARGS` under `umask 022`, as the user running the tests.
fn virt_cpu(args: &[&str]) -> Output {
    run_as(None, BIN, args)
}

/// Runs `program ARGS` under `umask 022`, as `user` (uid, gid; no supplementary groups) when
/// given.
fn run_as(user: Option<(u32, u32)>, program: &str, args: &[&str]) -> Output {
    let mut cmd = match user {
        Some((uid, gid)) => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={uid}"))
                .arg(format!("--regid={gid}"))
                .arg("--clear-groups")
                .arg("--");
            c
        }
        None => Command::new("env"),
    };
    cmd.args(["sh", "-c", "umask 022 && exec \"$@\"", "sh", program])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("runs")
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "{:?}: {}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        stderr(o)
    );
}

/// The second user's uid and gid, created when missing; `None` (skip) when not root, which
/// fails the test under CI.
fn second_user() -> Option<(u32, u32)> {
    static USER_IDS: OnceLock<Option<(u32, u32)>> = OnceLock::new();
    *USER_IDS.get_or_init(|| {
        if rustix::process::geteuid().as_raw() != 0 {
            assert!(
                !common::must_not_skip(),
                "the tests of a second user need root under CI=true (.ci/run runs as root)"
            );
            eprintln!("skipped: creating and acting as a second user needs root");
            return None;
        }
        if !common::require_program("setpriv") {
            return None;
        }
        let id = |flag: &str| {
            let o = Command::new("id").args([flag, USER]).output().unwrap();
            o.status.success().then(|| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<u32>()
                    .unwrap()
            })
        };
        if id("-u").is_none() {
            let o = Command::new("useradd")
                .args(["--system", "--no-create-home", "--user-group"])
                .args(["--shell", "/usr/sbin/nologin", USER])
                .output()
                .expect("useradd runs");
            ok(&o);
        }
        Some((id("-u").unwrap(), id("-g").unwrap()))
    })
}

/// A directory for one test that the second user can reach (0755), and in it `shared`, sticky
/// and world-writable as `/tmp` is (1777, owned by root). Also the binary, copied there when
/// the second user cannot run the one cargo built (a checkout under `/root`).
struct Place {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

impl Place {
    fn new() -> Place {
        let dir = tempfile::tempdir().unwrap();
        chmod(dir.path(), 0o755);
        let shared = dir.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        chmod(&shared, 0o1777);
        let others_can_run = Path::new(BIN)
            .ancestors()
            .all(|p| std::fs::metadata(p).is_ok_and(|m| m.mode() & 0o001 != 0));
        let bin = if others_can_run {
            PathBuf::from(BIN)
        } else {
            let copy = dir.path().join("virt-cpu");
            std::fs::copy(BIN, &copy).unwrap();
            chmod(&copy, 0o755);
            copy
        };
        Place { dir, bin }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn shared(&self, name: &str) -> PathBuf {
        self.dir.path().join("shared").join(name)
    }

    /// `virt-cpu ARGS` as `user`.
    fn virt_cpu_as(&self, user: (u32, u32), args: &[&str]) -> Output {
        run_as(Some(user), self.bin.to_str().unwrap(), args)
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Item 4 (store and CLI): a file deleted since it was loaded is not created again by the save
/// that expected it; the error says so and nothing appears at the path.
#[test]
fn a_target_deleted_since_it_was_loaded_is_not_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.xml");
    std::fs::write(&path, DOMAIN).unwrap();
    let loaded = FileStamp::of(&std::fs::metadata(&path).unwrap());
    std::fs::remove_file(&path).unwrap();
    let expected = Expected {
        bytes: DOMAIN.as_bytes(),
        stamp: Some(&loaded),
    };
    // Matched by its message, so that this test builds (and fails) without the variant too.
    let e = save_atomic(&path, b"<domain/>\n", Some(expected)).expect_err("recreated");
    assert!(
        e.to_string()
            .contains("d.xml was deleted since it was loaded; nothing was written"),
        "{e}"
    );
    assert!(!path.exists(), "recreated");
    // A symlink whose file was deleted: the same, and the link stays.
    let real = dir.path().join("real.xml");
    let link = dir.path().join("link.xml");
    std::fs::write(&real, DOMAIN).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    std::fs::remove_file(&real).unwrap();
    let expected = Expected {
        bytes: DOMAIN.as_bytes(),
        stamp: None,
    };
    let e = save_atomic(&link, b"<domain/>\n", Some(expected)).expect_err("recreated");
    assert!(
        e.to_string().contains("was deleted since it was loaded"),
        "{e}"
    );
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert!(!real.exists());
    // Without an expectation (`-o FILE`), a missing file is simply created.
    save_atomic(&path, b"<domain/>\n", None).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"<domain/>\n");
}

/// Item 6: root writing `-o` to a symlink another user planted in a sticky world-writable
/// directory refuses to follow it (the kernel's `protected_symlinks` rule, whatever the sysctl
/// says here); a link of root's own there, or the other user's elsewhere, is followed. Also a
/// planted symlink to a directory on the way.
#[test]
fn a_symlink_planted_by_another_user_in_a_sticky_directory_is_not_followed() {
    let Some(user) = second_user() else {
        return;
    };
    let place = Place::new();
    let src = place.path("src.xml");
    std::fs::write(&src, DOMAIN).unwrap();
    let victim = place.path("victim.xml");
    std::fs::write(&victim, "root's file\n").unwrap();
    let link = place.shared("x.xml");
    ok(&place.virt_cpu_as(user, &["--version"]));
    ok(&run_as(Some(user), "ln", &["-s", s(&victim), s(&link)]));
    assert_eq!(std::fs::symlink_metadata(&link).unwrap().uid(), user.0);
    let o = virt_cpu(&["set", s(&src), "--feature", "+pcid", "-o", s(&link)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "{} is a symlink owned by another user (uid {}) in the sticky world-writable directory",
            s(&link),
            user.0
        )),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "root's file\n");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    // A planted link to a directory, on the way to the file.
    let victim_dir = place.path("victim-dir");
    std::fs::create_dir(&victim_dir).unwrap();
    let dir_link = place.shared("d");
    ok(&run_as(
        Some(user),
        "ln",
        &["-s", s(&victim_dir), s(&dir_link)],
    ));
    let through = dir_link.join("out.xml");
    let o = virt_cpu(&["set", s(&src), "--feature", "+pcid", "-o", s(&through)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("is a symlink owned by another user"));
    assert!(!victim_dir.join("out.xml").exists());
    // root's own link in the same directory is followed.
    let own = place.shared("own.xml");
    std::os::unix::fs::symlink(&victim, &own).unwrap();
    ok(&virt_cpu(&[
        "set",
        s(&src),
        "--feature",
        "+pcid",
        "-o",
        s(&own),
    ]));
    assert!(std::fs::read_to_string(&victim).unwrap().contains("pcid"));
    // The other user's link in a directory that is not sticky and world-writable is followed.
    let not_shared = place.path("theirs");
    std::fs::create_dir(&not_shared).unwrap();
    std::os::unix::fs::chown(&not_shared, Some(user.0), Some(user.1)).unwrap();
    let theirs = not_shared.join("x.xml");
    let target = place.path("target.xml");
    std::fs::write(&target, "root's other file\n").unwrap();
    ok(&run_as(Some(user), "ln", &["-s", s(&target), s(&theirs)]));
    ok(&virt_cpu(&[
        "set",
        s(&src),
        "--feature",
        "+vmx",
        "-o",
        s(&theirs),
    ]));
    assert!(std::fs::read_to_string(&target).unwrap().contains("vmx"));
}

/// Item 6: root's `-o` output over a file another user created beforehand in a sticky
/// world-writable directory (world-writable itself) is not written into their file: it is
/// replaced by a file of root's own, with the mode a new file gets (as `install` does), and
/// none of their attributes.
#[test]
fn output_over_another_users_file_in_a_sticky_directory_is_roots_own() {
    let Some(user) = second_user() else {
        return;
    };
    let place = Place::new();
    let src = place.path("src.xml");
    std::fs::write(&src, DOMAIN).unwrap();
    let out = place.shared("out.xml");
    ok(&run_as(
        Some(user),
        "sh",
        &["-c", "umask 0 && echo theirs > \"$0\"", s(&out)],
    ));
    ok(&run_as(
        Some(user),
        "setfattr",
        &["-n", "user.planted", "-v", "1", s(&out)],
    ));
    assert_eq!(
        (std::fs::metadata(&out).unwrap().uid(), mode(&out)),
        (user.0, 0o666)
    );
    let o = virt_cpu(&["set", s(&src), "--feature", "+pcid", "-o", s(&out)]);
    ok(&o);
    let meta = std::fs::metadata(&out).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid()),
        (0, 0),
        "root's output handed to {USER}"
    );
    assert_eq!(
        mode(&out),
        0o644,
        "not the mode a new file gets under umask 022"
    );
    assert!(std::fs::read_to_string(&out).unwrap().contains("pcid"));
    let attrs = Command::new("getfattr")
        .args(["-d", s(&out)])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&attrs.stdout).contains("planted"));
    // Their file in a directory of theirs (not sticky): written as theirs, owner and mode kept.
    let home = place.path("home");
    std::fs::create_dir(&home).unwrap();
    std::os::unix::fs::chown(&home, Some(user.0), Some(user.1)).unwrap();
    let mine = home.join("mine.xml");
    ok(&run_as(Some(user), "cp", &[s(&src), s(&mine)]));
    ok(&virt_cpu(&[
        "set",
        s(&mine),
        "--feature",
        "+pcid",
        "--in-place",
    ]));
    let meta = std::fs::metadata(&mine).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid(), mode(&mine)),
        (user.0, user.1, 0o644)
    );
}

/// Item 8: write access is judged for the user who saves, on the file itself: a root-owned 0644
/// file in a world-writable (0777) directory is read-only for another user, although its mode
/// has a write bit and the directory would let a rename replace it (and hand it to them).
#[test]
fn a_file_the_user_cannot_write_is_refused_even_in_a_writable_directory() {
    let Some(user) = second_user() else {
        return;
    };
    let place = Place::new();
    let open = place.path("open");
    std::fs::create_dir(&open).unwrap();
    chmod(&open, 0o777);
    let path = open.join("d.xml");
    std::fs::write(&path, DOMAIN).unwrap();
    chmod(&path, 0o644);
    let in_place: &[&str] = &["set", s(&path), "--feature", "+pcid", "--in-place"];
    let output: &[&str] = &["set", s(&path), "--feature", "+pcid", "-o", s(&path)];
    for args in [in_place, output] {
        let o = place.virt_cpu_as(user, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("{} is read-only for you", s(&path))),
            "{args:?}: {}",
            stderr(&o)
        );
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!((meta.uid(), mode(&path)), (0, 0o644), "{args:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), DOMAIN, "{args:?}");
    }
    // Group-writable for a group the user is not in: the same. Made writable for them (an
    // ACL entry, which the mode bits do not show): written.
    chmod(&path, 0o664);
    let o = place.virt_cpu_as(user, &["set", s(&path), "--feature", "+pcid", "--in-place"]);
    assert!(
        stderr(&o).contains("is read-only for you"),
        "{}",
        stderr(&o)
    );
    if !common::require_program("setfacl") {
        return;
    }
    chmod(&path, 0o644);
    ok(&run_as(
        None,
        "setfacl",
        &["-m", &format!("u:{}:rw", user.0), s(&path)],
    ));
    ok(&place.virt_cpu_as(user, &["set", s(&path), "--feature", "+pcid", "--in-place"]));
    assert!(std::fs::read_to_string(&path).unwrap().contains("pcid"));
}

/// Every extended attribute of a file (`getfattr -d -m -`: ACLs as `system.posix_acl_*`), its
/// ACL as `getfacl` shows it, and its mode.
fn attributes(path: &Path) -> String {
    let dump = |program: &str, args: &[&str]| {
        let o = Command::new(program).args(args).arg(path).output().unwrap();
        ok(&o);
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    format!(
        "{}{}mode {:o}",
        dump("getfattr", &["-d", "-m", "-", "--absolute-names"]),
        dump("getfacl", &["-p"]),
        mode(path)
    )
}

/// Item 9: a save keeps the file's POSIX ACL (the group gets no write access the ACL's mask
/// did not give) and its other extended attributes.
#[test]
fn acls_and_extended_attributes_are_kept() {
    if !common::require_program("setfacl") || !common::require_program("setfattr") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.xml");
    std::fs::write(&path, DOMAIN).unwrap();
    chmod(&path, 0o640);
    ok(&run_as(
        None,
        "setfacl",
        &["-m", "g:nogroup:r,u:nobody:r", s(&path)],
    ));
    ok(&run_as(
        None,
        "setfattr",
        &["-n", "user.note", "-v", "kept", s(&path)],
    ));
    let before = attributes(&path);
    assert!(before.contains("user.note=\"kept\""), "{before}");
    assert!(before.contains("group:nogroup:r--"), "{before}");
    ok(&virt_cpu(&[
        "set",
        s(&path),
        "--feature",
        "+pcid",
        "--in-place",
    ]));
    assert!(std::fs::read_to_string(&path).unwrap().contains("pcid"));
    assert_eq!(attributes(&path), before);
    // A directory with a default ACL gives a new file its entries: the saved file has the old
    // file's, not those.
    ok(&run_as(
        None,
        "setfacl",
        &["-d", "-m", "u:nobody:rwx", s(dir.path())],
    ));
    ok(&virt_cpu(&[
        "set",
        s(&path),
        "--feature",
        "+vmx",
        "--in-place",
    ]));
    assert_eq!(attributes(&path), before);
    // `-o` over an existing file of our own keeps its attributes too.
    ok(&virt_cpu(&[
        "set",
        s(&path),
        "--feature",
        "-vmx",
        "-o",
        s(&path),
    ]));
    assert_eq!(attributes(&path), before);
}

/// Item 9: an attribute the saving user cannot give the new file (`security.*` needs
/// CAP_SYS_ADMIN) makes the save refuse, naming it, rather than drop it.
#[test]
fn an_extended_attribute_that_cannot_be_kept_is_named_and_nothing_written() {
    let Some(user) = second_user() else {
        return;
    };
    if !common::require_program("setfattr") {
        return;
    }
    let place = Place::new();
    let home = place.path("home");
    std::fs::create_dir(&home).unwrap();
    std::os::unix::fs::chown(&home, Some(user.0), Some(user.1)).unwrap();
    let path = home.join("d.xml");
    std::fs::write(&path, DOMAIN).unwrap();
    std::os::unix::fs::chown(&path, Some(user.0), Some(user.1)).unwrap();
    ok(&run_as(
        None,
        "setfattr",
        &["-n", "security.virtcpu", "-v", "1", s(&path)],
    ));
    let before = attributes(&path);
    let o = place.virt_cpu_as(user, &["set", s(&path), "--feature", "+pcid", "--in-place"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "{} has the extended attribute security.virtcpu, which its new version cannot be given",
            s(&path)
        )),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), DOMAIN);
    assert_eq!(attributes(&path), before);
    let left: Vec<_> = std::fs::read_dir(&home).unwrap().collect();
    assert_eq!(left.len(), 1, "{left:?}");
}
