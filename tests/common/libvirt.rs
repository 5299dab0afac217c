//! Comparing `virt-cpu argv` with a live libvirt daemon's `virsh domxml-to-native qemu-argv`,
//! for every libvirt release the tests run against (9.0 on this system, 11.3 in the Debian 13
//! chroot): the demo domains, libvirt's own test domains (../shared/corpus), and how each side's
//! answer is read.
//!
//! `virsh` reads the domain file itself and sends its text to the daemon, so host paths work
//! with the chroot's daemon too.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use virt_cpu::xml::Document;

/// What one side says about a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The `-cpu` value (`None`: no `-cpu`).
    Cpu(Option<String>),
    /// Refused, with libvirt's message.
    Refused(String),
}

impl Outcome {
    /// For reports: the value, `(no -cpu)`, or the refusal.
    pub fn describe(&self) -> String {
        match self {
            Outcome::Cpu(Some(v)) => v.clone(),
            Outcome::Cpu(None) => "(no -cpu)".into(),
            Outcome::Refused(m) => format!("refused: {m}"),
        }
    }
}

/// `virsh -c URI domxml-to-native qemu-argv FILE`: the (last) `-cpu` value, or libvirt's message (its
/// last `error: ` line) when it refuses the domain.
pub fn domxml_to_native(uri: &str, file: &Path) -> Outcome {
    let out = Command::new("virsh")
        .args(["-c", uri, "domxml-to-native", "qemu-argv"])
        .arg(file)
        .output()
        .expect("run virsh");
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        // A daemon that died (libvirt 11.3's crashes on <interface type='hostdev'>, for one) is
        // no refusal: every later domain would "disagree" with the same connection error.
        if [
            "failed to connect to the hypervisor",
            "Disconnected from",
            "End of file while reading data",
        ]
        .iter()
        .any(|m| stderr.contains(m))
        {
            panic!(
                "the libvirt daemon at {uri} stopped answering while converting {} (or a domain \
                 converted beside it; a crash shows in dmesg), so nothing more can be compared: \
                 {stderr}restart it (.ci/start-libvirt, .ci/debian13-chroot)",
                file.display()
            );
        }
        let message = stderr
            .lines()
            .filter_map(|l| l.strip_prefix("error: "))
            .next_back()
            .unwrap_or_else(|| panic!("virsh failed without an error line: {stderr}"));
        return Outcome::Refused(message.trim().to_string());
    }
    let line = String::from_utf8(out.stdout).expect("virsh prints UTF-8");
    // One line: environment, then the shell-quoted arguments (REAL-SYSTEMS.md).
    let words = shlex::split(line.trim()).unwrap_or_else(|| panic!("not a shell line: {line}"));
    // A commandline `-cpu` (`<qemu:commandline>`) comes after libvirt's own; QEMU takes the
    // last one, and so does virt-cpu's value.
    let last = words.iter().rposition(|w| w == "-cpu");
    Outcome::Cpu(last.map(|i| words[i + 1].clone()))
}

/// `virt-cpu argv --format json ARGS… FILE`, read as libvirt's answer would be: the value, or
/// libvirt's refusal as virt-cpu reports it (its `libvirt-rejects` diagnostic, which quotes
/// libvirt's message). Panics when virt-cpu cannot read the domain, or follows another libvirt
/// release line than `libvirt_line` (`9.0`, `11.3`).
pub fn ours(file: &Path, args: &[&str], libvirt_line: &str) -> Outcome {
    let (json, _) = argv_json(file, args, libvirt_line);
    let rejects = json["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["code"] == "libvirt-rejects");
    match rejects {
        Some(d) => Outcome::Refused(d["message"].as_str().unwrap().to_string()),
        None => Outcome::Cpu(json["value"].as_str().map(str::to_string)),
    }
}

/// `virt-cpu argv --format json ARGS… FILE` when it must succeed: the value, or what went wrong
/// (a non-zero exit with its error diagnostics, or no value).
pub fn our_value(file: &Path, args: &[&str], libvirt_line: &str) -> Result<String, String> {
    let (json, code) = argv_json(file, args, libvirt_line);
    let errors: Vec<String> = json["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["severity"] == "error")
        .map(|d| format!("{}: {}", d["code"].as_str().unwrap_or("?"), d["message"]))
        .collect();
    match json["value"].as_str() {
        Some(v) if code == Some(0) => Ok(v.to_string()),
        value => Err(format!(
            "`virt-cpu argv {}` exited {code:?} with value {value:?}: {}",
            args.join(" "),
            errors.join("; ")
        )),
    }
}

/// The JSON report of `virt-cpu argv --format json ARGS… FILE` and the exit code, after checking
/// which libvirt it follows.
fn argv_json(file: &Path, args: &[&str], libvirt_line: &str) -> (serde_json::Value, Option<i32>) {
    let mut all = vec!["argv", "--format", "json"];
    all.extend_from_slice(args);
    all.push(file.to_str().unwrap());
    let out = super::virt_cpu(&all);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "virt-cpu {all:?}: no JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    if let Some(error) = json["error"].as_str() {
        panic!("virt-cpu {all:?}: {error}");
    }
    let follows = json["follows"]["libvirt"].as_str().unwrap_or_default();
    assert!(
        follows.starts_with(&format!("{libvirt_line}.")),
        "virt-cpu {all:?} follows libvirt {follows:?}, not {libvirt_line}: {}",
        json["follows"]
    );
    (json, out.status.code())
}

/// Whether virt-cpu's answer is libvirt's: the same `-cpu` (or none), or both refuse, virt-cpu
/// quoting libvirt's message.
pub fn agree(libvirt: &Outcome, ours: &Outcome) -> bool {
    match (libvirt, ours) {
        (Outcome::Cpu(a), Outcome::Cpu(b)) => a == b,
        (Outcome::Refused(a), Outcome::Refused(b)) => b.contains(a.as_str()),
        _ => false,
    }
}

/// The document without its `<qemu:cpu>` element (and that element's own line), or None when
/// it has none.
pub fn without_qemu_cpu(text: &str) -> Option<String> {
    let doc = Document::parse(text.as_bytes()).unwrap();
    let root = doc.root();
    let el = doc.children(root).find(|&c| doc.is_qemu(c, "cpu"))?;
    let outer = doc.element(el).outer();
    let start = text[..outer.start].rfind('\n').map_or(outer.start, |nl| {
        if text[nl + 1..outer.start].trim().is_empty() {
            nl
        } else {
            outer.start
        }
    });
    Some(format!("{}{}", &text[..start], &text[outer.end..]))
}

/// `virsh -c URI domcapabilities` for TCG x86_64, saved in `dir` (for `--host-caps`).
pub fn domcapabilities(uri: &str, dir: &Path) -> PathBuf {
    let out = Command::new("virsh")
        .args([
            "-c",
            uri,
            "domcapabilities",
            "--virttype",
            "qemu",
            "--arch",
            "x86_64",
        ])
        .output()
        .expect("run virsh domcapabilities");
    assert!(
        out.status.success(),
        "virsh -c {uri} domcapabilities: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.join("domcapabilities.xml");
    std::fs::write(&path, out.stdout).unwrap();
    path
}

/// Compares every demo domain in assets/examples/ (at least six): libvirt at `uri` on the file as
/// shipped, virt-cpu (`our_args(file, text)`, following `libvirt_line`) on the file without
/// `<qemu:cpu>`, which libvirt ignores — and checks libvirt really gives the same without it.
/// Prints each agreement; returns one report per disagreement.
pub fn compare_examples(
    uri: &str,
    libvirt_line: &str,
    tmp: &Path,
    our_args: &dyn Fn(&Path, &str) -> Vec<String>,
) -> Vec<String> {
    let files = super::example_domains();
    assert!(
        files.len() >= 6,
        "expected the demo domains in assets/examples, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    let mut agreed = 0;
    println!();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(file).unwrap();
        let (ours_file, note) = match without_qemu_cpu(&text) {
            Some(stripped) => {
                let path = tmp.join(format!("without-qemu-cpu-{name}"));
                std::fs::write(&path, stripped).unwrap();
                (
                    path,
                    format!(" (compared without <qemu:cpu>, which libvirt {libvirt_line} ignores)"),
                )
            }
            None => (file.clone(), String::new()),
        };
        let args = our_args(file, &text);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let libvirt = domxml_to_native(uri, file);
        let ours = our_value(&ours_file, &args, libvirt_line);
        match (&libvirt, &ours) {
            (Outcome::Cpu(Some(l)), Ok(o)) if l == o => {
                agreed += 1;
                println!("  agree  {name}: {l}{note}");
            }
            _ => failures.push(format!(
                "{name}{note}\n    libvirt:  {}\n    virt-cpu: {}",
                libvirt.describe(),
                ours.as_ref().unwrap_or_else(|e| e)
            )),
        }
        if !note.is_empty() {
            let stripped = domxml_to_native(uri, &ours_file);
            if stripped != libvirt {
                failures.push(format!(
                    "{name}: libvirt {libvirt_line}'s -cpu changes when <qemu:cpu> is removed: {libvirt:?} vs {stripped:?}"
                ));
            }
        }
    }
    println!(
        "libvirt {libvirt_line}: {agreed} of {} demo domains agree",
        files.len()
    );
    failures
}

/// Corpus domains that once got a false "libvirt refuses" from virt-cpu: NUMA cells without
/// `id`, KVM guests whose model the host-model CPU lacks but the host CPU has, a `disable`d
/// feature QEMU does not know. Checked besides every x86 `cpu-*` domain with a `<cpu>`.
pub const NAMED: &[&str] = &[
    "cpu-numa1",
    "pci-expander-bus",
    "pcie-expander-bus",
    "cpu-Haswell-noTSX",
    "cpu-Haswell2",
    "cpu-fallback",
    "cpu-nofallback",
    "cpu-exact1",
    "cpu-minimum2",
    "cpu-Icelake-Server-pconfig",
    "cpu-tsc-frequency",
];

/// Cases once reported as false refusals that libvirt accepts whatever the host: NUMA cells
/// without id (TCG) and a disabled feature QEMU does not know (check='none').
pub const ACCEPTED: &[&str] = &[
    "cpu-numa1",
    "pci-expander-bus",
    "pcie-expander-bus",
    "cpu-Icelake-Server-pconfig",
];

pub fn is_x86(text: &str) -> bool {
    text.contains("arch='x86_64'") || text.contains("arch='i686'")
}

/// The corpus domains compared with libvirt: the [`NAMED`] ones and every x86
/// `qemuxml2argvdata--cpu-*` domain with a `<cpu>`.
pub fn corpus_selection() -> Vec<PathBuf> {
    let files = super::corpus_files();
    let stem = |p: &Path| {
        p.file_stem()
            .unwrap()
            .to_str()
            .unwrap()
            .strip_prefix("qemuxml2argvdata--")
            .map(str::to_string)
    };
    let mut picked: Vec<PathBuf> = Vec::new();
    for name in NAMED {
        let file = files
            .iter()
            .find(|p| stem(p).as_deref() == Some(name))
            .unwrap_or_else(|| panic!("corpus has no qemuxml2argvdata--{name}.xml"));
        picked.push(file.clone());
    }
    for file in &files {
        let Some(s) = stem(file) else { continue };
        if !s.starts_with("cpu-") || picked.contains(file) {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        if is_x86(&text) && text.contains("<cpu") {
            picked.push(file.clone());
        }
    }
    picked
}

/// Each file's two outcomes (libvirt's, then virt-cpu's), sorted by file, with a report per
/// disagreement.
pub struct Comparison {
    pub results: Vec<(PathBuf, Outcome, Outcome)>,
    pub differ: Vec<String>,
}

impl Comparison {
    /// libvirt's outcome for the file whose name ends in `--NAME.xml`.
    pub fn libvirt_of(&self, name: &str) -> &Outcome {
        &self
            .results
            .iter()
            .find(|(f, _, _)| f.to_string_lossy().ends_with(&format!("--{name}.xml")))
            .unwrap_or_else(|| panic!("{name} was not compared"))
            .1
    }
}

/// Runs both sides over the files, a few at a time (libvirtd serves them in parallel): libvirt at
/// `uri`, and `virt-cpu argv -c URI` (following `libvirt_line`). Prints the counts.
pub fn compare_all(uri: &str, libvirt_line: &str, files: &[PathBuf]) -> Comparison {
    let started = std::time::Instant::now();
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<(PathBuf, Outcome, Outcome)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some(file) = files.get(i) else { break };
                    let theirs = domxml_to_native(uri, file);
                    let mine = ours(file, &["-c", uri], libvirt_line);
                    results.lock().unwrap().push((file.clone(), theirs, mine));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let mut differ = Vec::new();
    let (mut values, mut refusals) = (0, 0);
    for (file, theirs, mine) in &results {
        if !agree(theirs, mine) {
            differ.push(format!(
                "{}\n  libvirt:  {theirs:?}\n  virt-cpu: {mine:?}",
                file.file_name().unwrap().to_string_lossy()
            ));
        } else if matches!(theirs, Outcome::Cpu(_)) {
            values += 1;
        } else {
            refusals += 1;
        }
    }
    println!(
        "libvirt {libvirt_line}: {} domains in {:.1?}: {values} same -cpu, {refusals} refused by both, {} differ",
        results.len(),
        started.elapsed(),
        differ.len()
    );
    Comparison { results, differ }
}

/// `<cpu>` (and clock) variations around the host comparison, for KVM and TCG guests: what
/// libvirt checks at start (forbidden features listed by the host or only in its model,
/// `match='strict'`, `<vendor>`, host-model's required features, `check='partial'` under TCG)
/// and the TSC frequency check.
pub const SYNTHETIC: &[(&str, &str)] = &[
    (
        "kvm",
        "<cpu match='exact'><model>Haswell-noTSX</model></cpu>",
    ),
    ("kvm", "<cpu match='exact'><model>qemu64</model></cpu>"),
    (
        "kvm",
        "<cpu match='exact'><model>qemu64</model><feature policy='disable' name='svm'/></cpu>",
    ),
    (
        "kvm",
        "<cpu match='exact'><model>qemu64</model><feature policy='require' name='svm'/></cpu>",
    ),
    (
        "kvm",
        "<cpu match='exact'><model>qemu64</model><feature policy='force' name='svm'/></cpu>",
    ),
    (
        "kvm",
        "<cpu match='strict'><model>qemu64</model><feature policy='disable' name='svm'/></cpu>",
    ),
    (
        "kvm",
        "<cpu match='exact'><model>qemu64</model><feature policy='forbid' name='sse2'/></cpu>",
    ),
    (
        "kvm",
        "<cpu match='exact'><model>qemu64</model><feature policy='forbid' name='pni'/></cpu>",
    ),
    (
        "kvm",
        "<cpu match='exact'><model>qemu64</model><vendor>Intel</vendor><feature policy='disable' name='svm'/></cpu>",
    ),
    (
        "kvm",
        "<cpu mode='host-model'><feature policy='require' name='svm'/></cpu>",
    ),
    (
        "kvm",
        "<cpu mode='host-model'><feature policy='forbid' name='sse2'/></cpu>",
    ),
    (
        "qemu",
        "<cpu match='exact'><model>Haswell-noTSX</model></cpu>",
    ),
    (
        "qemu",
        "<cpu match='exact' check='partial'><model>Haswell-noTSX</model></cpu>",
    ),
    (
        "qemu",
        "<cpu match='strict' check='partial'><model>qemu64</model></cpu>",
    ),
    (
        "qemu",
        "<cpu match='exact' check='full'><model>qemu64</model><feature policy='forbid' name='sse2'/></cpu>",
    ),
    (
        "qemu",
        "<cpu match='exact' check='partial'><model>qemu64</model><feature policy='forbid' name='sse2'/></cpu>",
    ),
    (
        "qemu",
        "<cpu><numa><cell id='1' cpus='0' memory='65536'/><cell cpus='1' memory='65536'/></numa></cpu>",
    ),
    (
        "qemu",
        "<cpu><numa><cell cpus='0' memory='65536'/><cell id='1' cpus='1' memory='65536'/></numa></cpu>",
    ),
    (
        "qemu",
        "<clock offset='utc'><timer name='tsc' frequency='4567890000'/></clock>",
    ),
    (
        "kvm",
        "<clock offset='utc'><timer name='tsc' frequency='1000000000'/></clock>",
    ),
];

/// vCPU count and topology variations (virt type, `<vcpu>` element, `<cpu>`): libvirt's
/// `<vcpu>` and `<topology>` parsing, NUMA CPUs within `<vcpu>`, vCPU 0 online, and the topology
/// that must describe exactly `<vcpu>`'s maximum — checked before the start's host comparison
/// (the KVM ones), with `clusters` counting from libvirt 11.3 only. Never `<vcpu>-1</vcpu>`:
/// libvirt reads it as 4294967295 vCPUs and both daemons die allocating them.
pub const SYNTHETIC_VCPUS: &[(&str, &str, &str)] = &[
    (
        "qemu",
        "<vcpu>1</vcpu>",
        "<cpu mode='custom' match='exact'><model>EPYC</model><topology sockets='1' dies='1' cores='2' threads='2'/></cpu>",
    ),
    (
        "qemu",
        "<vcpu>4</vcpu>",
        "<cpu mode='custom' match='exact'><model>EPYC</model><topology sockets='1' dies='1' cores='2' threads='2'/></cpu>",
    ),
    (
        "kvm",
        "<vcpu>1</vcpu>",
        "<cpu mode='custom' match='exact'><model>Skylake-Client</model><feature policy='require' name='avx512f'/><topology sockets='1' dies='1' cores='2' threads='2'/></cpu>",
    ),
    (
        "kvm",
        "<vcpu>2</vcpu>",
        "<cpu mode='custom' match='exact'><model>qemu64</model><topology sockets='2' cores='1' threads='1'/></cpu>",
    ),
    (
        "qemu",
        "",
        "<cpu><topology sockets='1' cores='2' threads='1'/></cpu>",
    ),
    (
        "qemu",
        "<vcpu current='2'>4</vcpu>",
        "<cpu><topology sockets='1' cores='2' threads='2'/></cpu>",
    ),
    (
        "qemu",
        "<vcpu current='5'>4</vcpu>",
        "<cpu><topology sockets='1' cores='2' threads='2'/></cpu>",
    ),
    ("qemu", "<vcpu current='0'>2</vcpu>", ""),
    ("qemu", "<vcpu current='x'>2</vcpu>", ""),
    ("qemu", "<vcpu>0</vcpu>", ""),
    ("qemu", "<vcpu> 2</vcpu>", ""),
    ("qemu", "<vcpu>2 </vcpu>", ""),
    (
        "qemu",
        "<vcpu>4</vcpu>",
        "<cpu><topology sockets='1' dies='0' cores='2' threads='2'/></cpu>",
    ),
    (
        "qemu",
        "<vcpu>4</vcpu>",
        "<cpu><topology sockets='1' cores='2'/></cpu>",
    ),
    (
        "qemu",
        "<vcpu>4</vcpu>",
        "<cpu><topology sockets='one' cores='2' threads='2'/></cpu>",
    ),
    (
        "qemu",
        "<vcpu>4</vcpu>",
        "<cpu><topology sockets='65536' cores='65536' threads='2'/></cpu>",
    ),
    (
        "qemu",
        "<vcpu>4</vcpu>",
        "<cpu><topology sockets='1' clusters='2' cores='2' threads='2'/></cpu>",
    ),
    (
        "qemu",
        "<vcpu>8</vcpu>",
        "<cpu><topology sockets='1' clusters='2' cores='2' threads='2'/></cpu>",
    ),
    (
        "qemu",
        "<vcpu>4</vcpu>",
        "<cpu><topology sockets='1' cores='2' threads='2'/><topology sockets='1' cores='1' threads='1'/></cpu>",
    ),
    (
        "qemu",
        "<vcpu>4</vcpu>",
        "<cpu check='partial'><model>EPYC</model><topology sockets='1' cores='2' threads='1'/></cpu>",
    ),
    (
        "qemu",
        "<vcpu>3</vcpu>",
        "<cpu><numa><cell id='0' cpus='0-1' memory='65536'/><cell id='1' cpus='2,^2,3' memory='65536'/></numa></cpu>",
    ),
    (
        "qemu",
        "<vcpu>2</vcpu>",
        "<cpu><numa><cell id='0' cpus='0-1' memory='65536'/><cell id='1' cpus='2,^2,3' memory='65536'/></numa></cpu>",
    ),
    (
        "qemu",
        "<vcpu>4</vcpu>",
        "<cpu><numa><cell id='0' cpus='0-1' memory='65536'/><cell id='1' cpus='2,^2,3' memory='65536'/></numa></cpu>",
    ),
];

/// Compares the [`SYNTHETIC`] domains (with two vCPUs) and the [`SYNTHETIC_VCPUS`] ones (written
/// to a temporary directory) as [`compare_all`] does; returns one report per disagreement,
/// naming the domain's `<vcpu>` and `<cpu>`.
pub fn compare_synthetic(uri: &str, libvirt_line: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let domains: Vec<(&str, &str, &str)> = SYNTHETIC
        .iter()
        .map(|(virt, body)| (*virt, "<vcpu>2</vcpu>", *body))
        .chain(SYNTHETIC_VCPUS.iter().copied())
        .collect();
    let files: Vec<PathBuf> = domains
        .iter()
        .enumerate()
        .map(|(i, (virt, vcpu, body))| {
            let file = dir.path().join(format!("synthetic-{i:02}-{virt}.xml"));
            std::fs::write(
                &file,
                format!(
                    "<domain type='{virt}'>\n  <name>vc-{i}</name>\n  <memory unit='KiB'>131072</memory>\n  \
                     {vcpu}\n  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n  {body}\n  \
                     <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>\n</domain>\n"
                ),
            )
            .unwrap();
            file
        })
        .collect();
    let differ = compare_all(uri, libvirt_line, &files).differ;
    // Each report starts with the file name, which holds the domain's index.
    differ
        .iter()
        .map(|d| {
            let i: usize = d["synthetic-".len()..][..2].parse().unwrap();
            let (virt, vcpu, body) = domains[i];
            format!("{d}\n  domain:   {virt} {vcpu} {body}")
        })
        .collect()
}

/// What the daemon at `uri` keeps of a domain whose CPU is a `-cpu` passed by
/// `<qemu:commandline>` and whose `<cpu>` has only a topology (`with_cpu`) or is absent: it is
/// defined as `name`, read back with `dumpxml --inactive`, and undefined.
pub fn defined_commandline_form(uri: &str, name: &str, with_cpu: bool) -> String {
    let cpu = if with_cpu {
        "  <cpu>\n    <topology sockets='1' dies='1' cores='2' threads='1'/>\n  </cpu>\n"
    } else {
        ""
    };
    let xml = format!(
        "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>{name}</name>
  <memory unit='KiB'>65536</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
{cpu}  <qemu:commandline>
    <qemu:arg value='-cpu'/>
    <qemu:arg value='Skylake-Client,vmx=on'/>
  </qemu:commandline>
</domain>
"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dom.xml");
    std::fs::write(&file, xml).unwrap();
    let virsh = |args: &[&str]| {
        Command::new("virsh")
            .args(["-c", uri])
            .args(args)
            .output()
            .expect("run virsh")
    };
    let out = virsh(&["define", "--file", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "virsh define: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump = virsh(&["dumpxml", "--inactive", "--domain", name]);
    let undefined = virsh(&["undefine", "--domain", name]);
    assert!(dump.status.success() && undefined.status.success());
    String::from_utf8(dump.stdout).unwrap()
}

/// libvirt's additions to the `<cpu>` of a commandline-form domain, as the daemon at `uri`
/// makes them, are known for libvirt's: `check` says so (no model-twice), and `convert --to
/// qemu-cpu` removes them with a note, the topology kept. Returns the failures.
pub fn libvirt_default_model_is_recognised(uri: &str, prefix: &str) -> Vec<String> {
    let mut failures = Vec::new();
    for with_cpu in [true, false] {
        let name = format!("{prefix}-{}-{}", with_cpu, std::process::id());
        let dumped = defined_commandline_form(uri, &name, with_cpu);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("dumped.xml");
        std::fs::write(&file, &dumped).unwrap();
        let f = file.to_str().unwrap();
        let check = super::virt_cpu(&["check", "-c", uri, f]);
        let text = String::from_utf8_lossy(&check.stdout);
        if !text.contains("info[libvirt-default-model]") || text.contains("model-twice") {
            failures.push(format!("check of what libvirt kept:\n{dumped}\n{text}"));
        }
        let out = dir.path().join("q.xml");
        let convert = super::virt_cpu(&[
            "convert",
            "-c",
            uri,
            f,
            "--to",
            "qemu-cpu",
            "-o",
            out.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&convert.stderr);
        let converted = std::fs::read_to_string(&out).unwrap_or_default();
        if !convert.status.success()
            || !stderr.contains("note: removed <model fallback='forbid'>qemu64</model>")
            || converted.contains("qemu64")
            || converted.contains("check=")
            || with_cpu != converted.contains("<topology")
            || !converted.contains("<qemu:model name='Skylake-Client'/>")
        {
            failures.push(format!(
                "convert --to qemu-cpu of:\n{dumped}\ngave ({:?}) {stderr}\n{converted}",
                convert.status.code()
            ));
        }
    }
    failures
}
