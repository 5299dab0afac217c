//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// A small valid KVM domain with a custom `<cpu>`, for tests about files rather than CPUs.
pub const SMALL_DOMAIN: &str = "<domain type='kvm'>
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

/// The project's shared data (conformance cases, corpus, reference files): `../shared` beside
/// the repository, or `$VIRT_CPU_SHARED`.
pub fn shared_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("VIRT_CPU_SHARED") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// All corpus files, sorted. Fails (rather than passing vacuously) when the corpus is missing.
pub fn corpus_files() -> Vec<PathBuf> {
    let dir = shared_dir().join("corpus/libvirt-9.0-domains");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus directory {} not readable: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    assert!(
        files.len() > 1000,
        "expected the 1691-file corpus in {}, found {}",
        dir.display(),
        files.len()
    );
    files
}

/// True when tests must not skip for a missing QEMU or libvirt (set by .ci/run).
pub fn must_not_skip() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips (or, under CI, fails) a test that needs an external program.
pub fn require_program(name: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(name).is_file()))
        .unwrap_or(false);
    if !found {
        if must_not_skip() {
            panic!(
                "{name} is required under CI=true but was not found on PATH (.ci/run installs it)"
            );
        }
        eprintln!("SKIP: {name} not found on PATH; install it to run this test");
    }
    found
}
pub mod conformance;

pub mod libvirt;

pub mod silent;

/// The libvirt URI the tests that need a daemon talk to.
pub const LIBVIRT_URI: &str = "qemu:///system";

/// Skips (or, under CI, fails) a test that needs a running libvirt daemon: `virsh` must be on PATH
/// and `virsh -c qemu:///system version` must answer (.ci/start-libvirt starts one without systemd).
pub fn require_libvirt_daemon() -> bool {
    require_daemon(LIBVIRT_URI, None, ".ci/start-libvirt starts one")
}

/// The root of the Debian 13 chroot with libvirt 11.3 and QEMU 10.0 that .ci/debian13-chroot
/// builds: `$VIRT_CPU_TRIXIE`, else /var/lib/virt-cpu-ci/trixie.
pub fn trixie_root() -> PathBuf {
    match std::env::var_os("VIRT_CPU_TRIXIE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from("/var/lib/virt-cpu-ci/trixie"),
    }
}

/// The URI of the chroot's libvirt 11.3 daemon, reached from the host through its socket.
pub fn libvirt11_uri() -> String {
    format!(
        "qemu+unix:///system?socket={}",
        trixie_root().join("run/libvirt/libvirt-sock").display()
    )
}

/// Skips (or, under CI, fails) a test that needs the chroot's libvirt 11.3 daemon: `virsh -c
/// URI version --daemon` must answer, and a daemon of another release always fails the test.
pub fn require_libvirt11_daemon() -> bool {
    require_daemon(
        &libvirt11_uri(),
        Some("11.3"),
        "run `bash .ci/debian13-chroot` as root to build the chroot and start its daemon",
    )
}

/// Whether the daemon at `uri` answers `virsh -c URI version --daemon` (of release line `line`
/// when given: any other release fails the test, skipping or not); else skips with a message, or
/// fails under CI with `hint`.
fn require_daemon(uri: &str, line: Option<&str>, hint: &str) -> bool {
    if !require_program("virsh") {
        return false;
    }
    let out = std::process::Command::new("virsh")
        .args(["-c", uri, "version", "--daemon"])
        .output();
    let answer = match out {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            if let Some(line) = line {
                // "Running against daemon: 11.3.0"
                let daemon = text
                    .lines()
                    .find_map(|l| l.strip_prefix("Running against daemon:"))
                    .map(str::trim)
                    .unwrap_or_default();
                assert!(
                    daemon.starts_with(&format!("{line}.")),
                    "the daemon at {uri} is libvirt {daemon:?}, not {line}: {text}"
                );
            }
            return true;
        }
        Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
        Err(e) => e.to_string(),
    };
    if must_not_skip() {
        panic!(
            "a libvirt daemon is required under CI=true but `virsh -c {uri} version` failed: {answer} ({hint})"
        );
    }
    eprintln!("SKIP: no libvirt daemon answers on {uri} ({answer}); {hint}");
    false
}

/// Runs the `virt-cpu` binary built for these tests.
pub fn virt_cpu(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_virt-cpu"))
        .args(args)
        .output()
        .expect("run virt-cpu")
}

/// The demo domains shipped in assets/examples/, sorted.
pub fn example_domains() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{} not readable: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    files
}

/// QMP input that lets QEMU build the machine and its CPU, then quit (REAL-SYSTEMS.md).
pub const QMP_QUIT: &[u8] = b"{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n";

/// `qemu-system-x86_64` set up to build a q35 TCG machine with this `-cpu` (plus `extra`
/// arguments) and wait for QMP on stdin: exit 0 means QEMU accepted the CPU.
pub fn qemu_probe(cpu: &str, extra: &[&str]) -> std::process::Command {
    qemu_probe_with(std::process::Command::new("qemu-system-x86_64"), cpu, extra)
}

/// [`qemu_probe`] with the Debian 13 chroot's QEMU 10.0 (`chroot ROOT qemu-system-x86_64`),
/// or None (skipped, or failed under CI) when there is no chroot.
pub fn qemu10_probe(cpu: &str, extra: &[&str]) -> Option<std::process::Command> {
    let root = trixie_root();
    if !root.join("usr/bin/qemu-system-x86_64").is_file() {
        let why = format!(
            "no Debian 13 chroot with QEMU 10.0 at {} (run `bash .ci/debian13-chroot` as root)",
            root.display()
        );
        if must_not_skip() {
            panic!("QEMU 10.0 is required under CI=true: {why}");
        }
        eprintln!("SKIP: {why}");
        return None;
    }
    let mut chroot = std::process::Command::new("chroot");
    chroot.arg(&root).arg("/usr/bin/qemu-system-x86_64");
    Some(qemu_probe_with(chroot, cpu, extra))
}

/// `cmd` (a QEMU) given the arguments of [`qemu_probe`].
fn qemu_probe_with(
    mut cmd: std::process::Command,
    cpu: &str,
    extra: &[&str],
) -> std::process::Command {
    cmd.args(["-accel", "tcg", "-machine", "q35", "-m", "64", "-cpu", cpu])
        .args(extra)
        .args(["-nodefaults", "-display", "none", "-S", "-qmp", "stdio"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    cmd
}

/// Every corpus file's bytes, read once per test binary.
pub fn corpus_bytes() -> &'static [Vec<u8>] {
    static CORPUS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(|| {
        corpus_files()
            .iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect()
    })
}

/// Property-test cases: `PROPTEST_CASES`, else `default` (CI's size).
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Everything a document's index says, in a form two indexes can be compared by.
pub fn index_snapshot(doc: &virt_cpu::xml::Document) -> String {
    use std::fmt::Write;
    // Ids are slots that an edit may leave apart: number elements by document order, so that
    // an edited index and a fresh parse of the same text give the same snapshot.
    let order: std::collections::HashMap<usize, usize> = doc
        .element_ids()
        .enumerate()
        .map(|(k, id)| (id, k))
        .collect();
    let ord = |id: usize| order[&id];
    let mut out = format!("root {} style {:?}\n", ord(doc.root()), doc.style());
    for id in doc.element_ids() {
        let e = doc.element(id);
        let _ = write!(
            out,
            "{} {:?} {:?} {:?} ns={:?} parent={:?} children={:?} attrs=",
            ord(id),
            e.open(),
            e.close(),
            e.qname_range(),
            doc.namespace(id),
            doc.parent(id).map(ord),
            doc.children(id).map(ord).collect::<Vec<_>>()
        );
        for a in doc.attrs(id) {
            let _ = write!(
                out,
                "[{:?} {:?} {:?} {}]",
                a.name(),
                a.value_span(),
                a.whole(doc.source()),
                a.quote()
            );
        }
        out.push('\n');
    }
    out
}

/// Lets `child` run for `delay`, or until it ends if that comes first (the kill-during-save
/// tests then signal it at that moment).
pub fn run_for(child: &mut std::process::Child, delay: std::time::Duration) {
    let start = std::time::Instant::now();
    while start.elapsed() < delay {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
}
