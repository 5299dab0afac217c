//! Hyper-V edits against the real systems, on both daemons and both QEMUs:
//! - each daemon (libvirt 9.0, and the Debian 13 chroot's 11.3) takes what `set --hyperv-preset`
//!   writes (`virsh define --validate`), its `domxml-to-native` gives the `-cpu` virt-cpu gives
//!   under that release's catalog, for the presets and for enlightenments set by hand, and `-c`
//!   reads that daemon's own domcapabilities `<hyperv>` list as what the host supports;
//! - QEMU under TCG takes the hv-* properties of those `-cpu` values.
//!
//! On this host KVM is nested and its kernel allows no Hyper-V MSRs: both daemons' domcapabilities
//! list only spinlocks and vendor_id, and QEMU with KVM refuses hv-vpindex and what builds on it.
//! So the whole Windows preset is tried under TCG only, which proves less (see
//! [`qemu_tcg_takes_the_whole_windows_preset`]).

mod common;

use common::libvirt::{Outcome, agree, domxml_to_native, ours};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use virt_cpu::xml::{Document, ElemId};

const DOMAIN: &str = "<domain type='kvm'>\n  <name>virtcpu-test-hyperv</name>\n  <memory unit='KiB'>65536</memory>\n  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n  <features>\n    <acpi/>\n    <apic/>\n  </features>\n  <clock offset='localtime'>\n    <timer name='hypervclock' present='yes'/>\n  </clock>\n</domain>\n";

/// Every enlightenment libvirt 9.0 knows, set by hand (evmcs, which the preset adds on Intel
/// hosts only, included).
const BY_HAND_9: &str = "relaxed=on,vapic=on,spinlocks=4095,vpindex=on,runtime=on,synic=on,stimer=on,stimer.direct=on,reset=on,vendor_id=KVMKVMKVM,frequencies=on,reenlightenment=on,tlbflush=on,ipi=on,evmcs=on,avic=on";

/// Those and what libvirt 11.x added: `<tlbflush>`'s `<direct>` and `<extended>`, emsr_bitmap,
/// xmm_input.
const BY_HAND_11: &str = "relaxed=on,vapic=on,spinlocks=4095,vpindex=on,runtime=on,synic=on,stimer=on,stimer.direct=on,reset=on,vendor_id=KVMKVMKVM,frequencies=on,reenlightenment=on,tlbflush=on,tlbflush.direct=on,tlbflush.extended=on,ipi=on,evmcs=on,avic=on,emsr_bitmap=on,xmm_input=on";

/// A daemon to test against: its URI and the libvirt release line virt-cpu follows for it.
struct Daemon {
    uri: String,
    line: &'static str,
}

/// The daemons that answer (a missing one skips, or fails under CI).
fn daemons() -> Vec<Daemon> {
    let mut out = Vec::new();
    if common::require_libvirt_daemon() {
        out.push(Daemon {
            uri: common::LIBVIRT_URI.into(),
            line: "9.0",
        });
    }
    if common::require_libvirt11_daemon() {
        out.push(Daemon {
            uri: common::libvirt11_uri(),
            line: "11.3",
        });
    }
    out
}

fn write(dir: &Path, name: &str, xml: &str) -> String {
    let file = dir.join(name);
    std::fs::write(&file, xml).unwrap();
    file.to_str().unwrap().to_string()
}

/// `virt-cpu set FILE --in-place ARGS…`, which must succeed.
fn set(file: &str, args: &[&str]) {
    let mut all = vec!["set", file, "--in-place"];
    all.extend_from_slice(args);
    let out = common::virt_cpu(&all);
    assert!(
        out.status.success(),
        "virt-cpu {all:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `virsh -c URI define --validate FILE` (then undefined): libvirt's message when it refuses.
fn define_validate(uri: &str, file: &str) -> Result<(), String> {
    let define = Command::new("virsh")
        .args(["-c", uri, "define", "--validate", file])
        .output()
        .unwrap();
    let _ = Command::new("virsh")
        .args(["-c", uri, "undefine", "virtcpu-test-hyperv"])
        .output();
    match define.status.success() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&define.stderr).into_owned()),
    }
}

/// The daemon's own `-cpu` and virt-cpu's under that daemon's release, which must agree.
fn same_cpu(d: &Daemon, file: &str) -> Outcome {
    let libvirt = domxml_to_native(&d.uri, Path::new(file));
    let ours = ours(Path::new(file), &["--libvirt", d.line], d.line);
    assert!(
        agree(&libvirt, &ours),
        "libvirt {} at {}:\n  libvirt:  {}\n  virt-cpu: {}\n{}",
        d.line,
        d.uri,
        libvirt.describe(),
        ours.describe(),
        std::fs::read_to_string(file).unwrap()
    );
    libvirt
}

/// The enlightenments `virsh domcapabilities` lists as supported (`<features><hyperv>`).
fn listed_hyperv(uri: &str) -> Vec<String> {
    let out = Command::new("virsh")
        .args(["-c", uri, "domcapabilities"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let doc = Document::parse(text.as_bytes()).unwrap();
    let mut names = Vec::new();
    for hyperv in named(&doc, doc.root(), "hyperv") {
        for value in named(&doc, hyperv, "value") {
            names.push(doc.text(value).trim().to_string());
        }
    }
    names
}

/// The elements called `name` under `el`, in document order.
fn named(doc: &Document, el: ElemId, name: &str) -> Vec<ElemId> {
    let mut out = Vec::new();
    for c in doc.children(el) {
        if doc.local_name(c) == name {
            out.push(c);
        }
        out.extend(named(doc, c, name));
    }
    out
}

/// The enlightenments a written `<hyperv>` names (its children's element names).
fn written_hyperv(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let doc = Document::parse(text.as_bytes()).unwrap();
    let hyperv = *named(&doc, doc.root(), "hyperv")
        .first()
        .expect("a <hyperv> was written");
    doc.children(hyperv)
        .map(|c| doc.local_name(c).to_string())
        .collect()
}

#[test]
fn each_daemon_validates_the_presets_and_gives_our_cpu() {
    let dir = tempfile::tempdir().unwrap();
    for d in daemons() {
        for (preset, with_host) in [
            ("windows", true),
            ("windows", false),
            ("passthrough", false),
        ] {
            let f = write(dir.path(), "preset.xml", DOMAIN);
            let mut args = vec!["--hyperv-preset", preset, "--libvirt", d.line];
            if with_host {
                args.extend(["-c", d.uri.as_str()]);
            }
            set(&f, &args);
            if let Err(e) = define_validate(&d.uri, &f) {
                panic!(
                    "libvirt {}: {preset} (host given: {with_host}): {e}\n{}",
                    d.line,
                    std::fs::read_to_string(&f).unwrap()
                );
            }
            let cpu = same_cpu(&d, &f);
            assert!(
                matches!(&cpu, Outcome::Cpu(Some(v)) if v.contains("hv-")),
                "{preset}: {}",
                cpu.describe()
            );
        }
    }
}

#[test]
fn the_windows_preset_takes_each_daemons_own_hyperv_list() {
    let dir = tempfile::tempdir().unwrap();
    for d in daemons() {
        let listed = listed_hyperv(&d.uri);
        assert!(!listed.is_empty(), "libvirt {}: no <hyperv> list", d.line);
        let f = write(dir.path(), "host.xml", DOMAIN);
        set(&f, &["--hyperv-preset", "windows", "-c", &d.uri]);
        let written = written_hyperv(&f);
        for name in &written {
            assert!(
                listed.contains(name),
                "libvirt {}: the preset wrote {name}, which the daemon does not list ({listed:?})",
                d.line
            );
        }
        // Without the host every enlightenment is assumed: the host's list made a difference.
        let all = write(dir.path(), "all.xml", DOMAIN);
        set(&all, &["--hyperv-preset", "windows"]);
        let assumed = written_hyperv(&all);
        let expected: Vec<&String> = assumed.iter().filter(|n| listed.contains(n)).collect();
        assert_eq!(
            written.iter().collect::<Vec<_>>(),
            expected,
            "libvirt {}: the preset on this host is the preset's enlightenments the daemon lists",
            d.line
        );
    }
}

/// The Windows preset on a domain with enlightenments of its own, with `-c` at each daemon:
/// those the daemon lists stay (vendor_id with its value, spinlocks with its retries, an off
/// one), those it does not list go and stderr names them; the daemon takes the result.
#[test]
fn the_windows_preset_keeps_what_each_daemon_lists() {
    let dir = tempfile::tempdir().unwrap();
    let own = DOMAIN.replace(
        "    <apic/>\n",
        "    <apic/>\n    <hyperv mode='custom'>\n      <relaxed state='on'/>\n      <spinlocks state='on' retries='4096'/>\n      <reset state='on'/>\n      <vendor_id state='on' value='KVM Hv'/>\n      <tlbflush state='off'/>\n    </hyperv>\n",
    );
    for d in daemons() {
        let listed = listed_hyperv(&d.uri);
        let f = write(dir.path(), "own.xml", &own);
        let out = common::virt_cpu(&[
            "set",
            &f,
            "--in-place",
            "--hyperv-preset",
            "windows",
            "--libvirt",
            d.line,
            "-c",
            &d.uri,
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "libvirt {}: {err}", d.line);
        let written = written_hyperv(&f);
        let text = std::fs::read_to_string(&f).unwrap();
        for name in ["relaxed", "reset"] {
            match listed.iter().any(|l| l == name) {
                true => assert!(written.iter().any(|w| w == name), "{name}: {text}"),
                false => {
                    assert!(!written.iter().any(|w| w == name), "{name}: {text}");
                    let removes = err
                        .lines()
                        .find(|l| l.starts_with("virt-cpu: note: Windows preset removes "))
                        .unwrap_or_else(|| panic!("libvirt {}: {err}", d.line));
                    assert!(removes.contains(name), "{removes}");
                }
            }
        }
        assert!(
            text.contains("<tlbflush state='off'/>"),
            "libvirt {}: {text}",
            d.line
        );
        if listed.iter().any(|l| l == "vendor_id") {
            assert!(
                text.contains("<vendor_id state='on' value='KVM Hv'/>"),
                "libvirt {}: {text}",
                d.line
            );
        }
        if listed.iter().any(|l| l == "spinlocks") {
            assert!(
                text.contains("<spinlocks state='on' retries='4096'/>"),
                "libvirt {}: {text}",
                d.line
            );
        }
        if let Err(e) = define_validate(&d.uri, &f) {
            panic!("libvirt {}: {e}\n{text}", d.line);
        }
        same_cpu(&d, &f);
    }
}

#[test]
fn enlightenments_set_by_hand_give_each_daemons_cpu() {
    let dir = tempfile::tempdir().unwrap();
    // A Hyper-V panic device adds hv-crash. Passthrough with children (hand-written: `set`
    // refuses to add children libvirt ignores): libvirt 11.0 and later ignore them.
    let with_panic = DOMAIN.replace(
        "</domain>",
        "  <devices>\n    <panic model='hyperv'/>\n  </devices>\n</domain>",
    );
    let passthrough_with_children = DOMAIN.replace(
        "<apic/>",
        "<apic/>\n    <hyperv mode='passthrough'>\n      <relaxed state='on'/>\n      <vpindex state='on'/>\n      <spinlocks state='on' retries='4095'/>\n    </hyperv>",
    );
    for d in daemons() {
        for (what, base, hyperv) in [
            ("libvirt 9.0's list", DOMAIN, Some(BY_HAND_9)),
            ("libvirt 11's list", DOMAIN, Some(BY_HAND_11)),
            (
                "some off, a panic device",
                with_panic.as_str(),
                Some("relaxed=off,vapic=on,vpindex=on,synic=on,ipi=off"),
            ),
            (
                "passthrough with children",
                passthrough_with_children.as_str(),
                None,
            ),
        ] {
            let f = write(dir.path(), "by-hand.xml", base);
            // Written under 11.3's rules (which know every element); each daemon then reads it.
            if let Some(list) = hyperv {
                set(&f, &["--hyperv", list, "--libvirt", "11.3"]);
            }
            let cpu = same_cpu(&d, &f);
            eprintln!("libvirt {} {what}: {}", d.line, cpu.describe());
        }
    }
}

/// QEMU run as `probe` (a [`common::qemu_probe`]): whether it built the machine, and its stderr.
fn accepted(mut probe: Command) -> (bool, String) {
    let mut child = probe
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start QEMU");
    let _ = child.stdin.take().unwrap().write_all(common::QMP_QUIT);
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `virt-cpu argv --libvirt LINE FILE`, which must give a value.
fn argv(file: &str, line: &str) -> String {
    common::libvirt::our_value(Path::new(file), &["--libvirt", line], line)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// What TCG acceptance proves: QEMU's x86 CPU has each hv-* property under that name and takes
/// its value (`hv-spinlocks=0x1fff` as a number, `hv-vendor-id` as a string): a misspelt or
/// unknown one is refused ("Property '…' not found", checked below). It does not prove that a
/// guest under KVM gets them: the dependency checks (`kvm_hyperv_expand_features`: synic needs
/// vpindex, …) and the host kernel's support are KVM's, and run only under KVM.
///
/// QEMU 7.2 refuses hv-vpindex under TCG too: `x86_cpu_pre_plug` (hw/i386/x86.c) refuses it when
/// `kvm_hv_vpindex_settable()` is false, and without KVM that is always false (the KVM stub).
/// Later QEMUs ask `kvm_enabled()` first (2023, "target/i386: Allow elision of
/// kvm_hv_vpindex_settable()"), so QEMU 10.0 takes the whole preset under TCG. On 7.2 the test
/// checks that hv-vpindex is the one property refused.
#[test]
fn qemu_tcg_takes_the_whole_windows_preset() {
    if !common::require_program("qemu-system-x86_64") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let windows = write(dir.path(), "windows.xml", DOMAIN);
    // No host given: every enlightenment assumed supported (evmcs, for Intel hosts only, is left
    // out; BY_HAND_11 has it).
    set(&windows, &["--hyperv-preset", "windows"]);
    let passthrough = write(dir.path(), "passthrough.xml", DOMAIN);
    set(&passthrough, &["--hyperv-preset", "passthrough"]);
    let by_hand = write(dir.path(), "by-hand.xml", DOMAIN);
    set(&by_hand, &["--hyperv", BY_HAND_11, "--libvirt", "11.3"]);

    // QEMU 10.0 (the chroot's), with libvirt 11.3's -cpu.
    if let Some(probe) = common::qemu10_probe("qemu64,hv-no-such-thing=on", &[]) {
        let (ok, stderr) = accepted(probe);
        assert!(
            !ok && stderr.contains("not found"),
            "QEMU 10.0 under TCG must refuse an unknown hv-* property, or its acceptance proves nothing: {stderr}"
        );
        for file in [&windows, &passthrough, &by_hand] {
            let cpu = argv(file, "11.3");
            assert!(cpu.contains("hv-"), "{cpu}");
            let (ok, stderr) = accepted(common::qemu10_probe(&cpu, &[]).unwrap());
            assert!(ok, "QEMU 10.0 under TCG refused {cpu}: {stderr}");
        }
    }

    // QEMU 7.2 (the system's), with libvirt 9.0's -cpu.
    let (ok, stderr) = accepted(common::qemu_probe("qemu64,hv-no-such-thing=on", &[]));
    assert!(!ok && stderr.contains("not found"), "{stderr}");
    let cpu = argv(&passthrough, "9.0");
    let (ok, stderr) = accepted(common::qemu_probe(&cpu, &[]));
    assert!(ok, "QEMU 7.2 under TCG refused {cpu}: {stderr}");
    let cpu = argv(&windows, "9.0");
    assert!(cpu.contains(",hv-vpindex=on"), "{cpu}");
    let (ok, stderr) = accepted(common::qemu_probe(&cpu, &[]));
    assert!(
        !ok && stderr.contains("kernel doesn't allow setting HyperV VP_INDEX"),
        "QEMU 7.2 under TCG was expected to refuse hv-vpindex alone (x86_cpu_pre_plug): {cpu}: {stderr}"
    );
    let without_vpindex = cpu.replace(",hv-vpindex=on", "");
    let (ok, stderr) = accepted(common::qemu_probe(&without_vpindex, &[]));
    assert!(
        ok,
        "QEMU 7.2 under TCG refused more than hv-vpindex: {without_vpindex}: {stderr}"
    );
}

/// The shipped Hyper-V example starts on this system's libvirt 9.0 (QEMU 7.2, TCG): nothing in
/// it QEMU 7.2 refuses under TCG (no vpindex, nor what needs it), and check agrees.
#[test]
fn the_windows_example_starts_on_libvirt_9_0() {
    if !common::require_libvirt_daemon() {
        return;
    }
    let uri = common::LIBVIRT_URI;
    let name = "hvreal-test-windows-example";
    let virsh = |args: &[&str]| {
        Command::new("virsh")
            .args(["-c", uri])
            .args(args)
            .output()
            .unwrap()
    };
    // A leftover of an interrupted run goes first.
    let _ = virsh(&["destroy", name]);
    let _ = virsh(&["undefine", name]);
    let xml = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/windows-hyperv.xml"),
    )
    .unwrap();
    let xml = xml.replace(
        "<name>win2022-hyperv</name>",
        &format!("<name>{name}</name>"),
    );
    let xml: String = xml
        .lines()
        .filter(|l| !l.trim_start().starts_with("<uuid>"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(xml.contains("<domain type='qemu'>"), "{xml}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("windows.xml");
    std::fs::write(&file, &xml).unwrap();
    let file = file.to_str().unwrap();
    let check = common::virt_cpu(&["check", "-c", uri, file]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let defined = virsh(&["define", file]);
    assert!(
        defined.status.success(),
        "{}",
        String::from_utf8_lossy(&defined.stderr)
    );
    let started = virsh(&["start", name]);
    let _ = virsh(&["destroy", name]);
    let _ = virsh(&["undefine", name]);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
}
