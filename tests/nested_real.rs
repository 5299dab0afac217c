//! Nested virtualisation (`set --nested`) against the real systems: both daemons' `virsh
//! define --validate` take what it writes, `domxml-to-native` gives the `-cpu` virt-cpu prints,
//! QEMU's TCG gives an AMD model's guest `svm`, and on this host — a KVM guest itself, whose
//! CPU has no `vmx` — the live host-model check says the host lacks `vmx` exactly where QEMU
//! with KVM and `enforce` refuses `vmx=on`, and where libvirt refuses to start a host-model CPU
//! that requires it.

mod common;

use common::libvirt::{Outcome, agree, domxml_to_native, ours};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const URI: &str = "qemu:///system";
const NAME: &str = "virtcpu-test-nested";

fn domain(virt: &str, cpu: &str) -> String {
    format!(
        "<domain type='{virt}'>\n  <name>{NAME}</name>\n  <memory unit='KiB'>65536</memory>\n  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n  {cpu}\n</domain>\n"
    )
}

fn custom(model: &str) -> String {
    format!(
        "<cpu mode='custom' match='exact'>\n    <model fallback='forbid'>{model}</model>\n  </cpu>"
    )
}

fn write(dir: &Path, name: &str, xml: &str) -> String {
    let file = dir.join(name);
    std::fs::write(&file, xml).unwrap();
    file.to_str().unwrap().to_string()
}

/// `set FILE --nested on|off --in-place EXTRA…`, which must succeed.
fn nested(file: &str, on: &str, extra: &[&str]) -> String {
    let mut args = vec!["set", file, "--nested", on, "--in-place"];
    args.extend(extra);
    let out = common::virt_cpu(&args);
    assert!(
        out.status.success(),
        "set {on} {extra:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(file).unwrap()
}

/// The domains each daemon is asked about: (file name, XML after the toggle, what it must hold).
fn toggled(dir: &Path, uri: &str) -> Vec<(String, String, &'static str)> {
    let host = ["-c", uri, "--force"];
    let cases: [(&str, String, &str, &[&str], &str); 6] = [
        (
            "sky-on",
            domain("kvm", &custom("Skylake-Client")),
            "on",
            &[],
            "<feature policy='require' name='vmx'/>",
        ),
        (
            "epyc-on",
            domain("kvm", &custom("EPYC")),
            "on",
            &[],
            "<feature policy='require' name='svm'/>",
        ),
        (
            "epyc-tcg-off",
            domain("qemu", &custom("EPYC")),
            "off",
            &[],
            "<feature policy='disable' name='svm'/>",
        ),
        (
            "hm-on",
            domain("kvm", "<cpu mode='host-model'/>"),
            "on",
            &host,
            "<feature policy='require' name='vmx'/>",
        ),
        (
            "hp-off",
            domain("kvm", "<cpu mode='host-passthrough'/>"),
            "off",
            &host,
            "<feature policy='disable' name='vmx'/>",
        ),
        (
            "hp-on",
            domain(
                "kvm",
                "<cpu mode='host-passthrough'>\n    <feature policy='disable' name='vmx'/>\n  </cpu>",
            ),
            "on",
            &host,
            "<cpu mode='host-passthrough'>",
        ),
    ];
    cases
        .into_iter()
        .map(|(name, xml, on, extra, holds)| {
            let f = write(dir, &format!("{name}.xml"), &xml);
            let after = nested(&f, on, extra);
            assert!(after.contains(holds), "{name}: {after}");
            (f, after, holds)
        })
        .collect()
}

fn define_validate(uri: &str, file: &str) {
    let define = Command::new("virsh")
        .args(["-c", uri, "define", "--validate", file])
        .output()
        .unwrap();
    let _ = Command::new("virsh")
        .args(["-c", uri, "undefine", NAME])
        .output();
    assert!(
        define.status.success(),
        "{uri} {file}: {}\n{}",
        String::from_utf8_lossy(&define.stderr),
        std::fs::read_to_string(file).unwrap()
    );
}

#[test]
fn libvirt_9_0_validates_the_toggle_and_builds_the_same_cpu() {
    if !common::require_libvirt_daemon() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (f, after, _) in toggled(dir.path(), URI) {
        define_validate(URI, &f);
        // host-passthrough has no -cpu of its own to compare beyond `host`; every case is
        // compared all the same.
        let theirs = domxml_to_native(URI, Path::new(&f));
        let mine = ours(Path::new(&f), &["-c", URI], "9.0");
        assert!(
            agree(&theirs, &mine),
            "{f}: libvirt {theirs:?}, virt-cpu {mine:?}\n{after}"
        );
    }
    // What the -cpu says, for the custom models (the host modes' values name the host's).
    let value = |f: &str| match ours(Path::new(f), &[], "9.0") {
        Outcome::Cpu(Some(v)) => v,
        other => panic!("{f}: {other:?}"),
    };
    let sky = dir.path().join("sky-on.xml");
    assert!(value(sky.to_str().unwrap()).contains("vmx=on"));
    let epyc = dir.path().join("epyc-on.xml");
    assert!(value(epyc.to_str().unwrap()).contains("svm=on"));
    let tcg = dir.path().join("epyc-tcg-off.xml");
    assert!(value(tcg.to_str().unwrap()).contains("svm=off"));
}

#[test]
fn libvirt_11_3_validates_the_toggle_and_builds_the_same_cpu() {
    if !common::require_libvirt11_daemon() {
        return;
    }
    let uri = common::libvirt11_uri();
    let dir = tempfile::tempdir().unwrap();
    for (f, after, _) in toggled(dir.path(), &uri) {
        define_validate(&uri, &f);
        let theirs = domxml_to_native(&uri, Path::new(&f));
        let mine = ours(Path::new(&f), &["-c", &uri], "11.3");
        assert!(
            agree(&theirs, &mine),
            "{f}: libvirt 11.3 {theirs:?}, virt-cpu {mine:?}\n{after}"
        );
    }
}

/// Runs QEMU with this accelerator and `-cpu` until QMP answers: whether it started, its
/// stderr, and the `svm`/`vmx` property of the CPU it built (when it did).
fn qemu(accel: &str, cpu: &str, property: &str) -> (bool, String, Option<bool>) {
    let mut child = Command::new("qemu-system-x86_64")
        .args(["-accel", accel, "-machine", "q35", "-m", "64", "-cpu", cpu])
        .args(["-nodefaults", "-display", "none", "-S", "-qmp", "stdio"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ask = format!(
        "{{\"execute\":\"qmp_capabilities\"}}\n{{\"execute\":\"qom-get\",\"arguments\":{{\"path\":\"/machine/unattached/device[0]\",\"property\":\"{property}\"}}}}\n{{\"execute\":\"quit\"}}\n"
    );
    let _ = child.stdin.take().unwrap().write_all(ask.as_bytes());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let value = stdout.lines().find_map(|l| match l.trim() {
        "{\"return\": true}" => Some(true),
        "{\"return\": false}" => Some(false),
        _ => None,
    });
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        value,
    )
}

fn argv(file: &str, extra: &[&str]) -> String {
    let mut args = vec!["argv", file];
    args.extend(extra);
    let out = common::virt_cpu(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// TCG emulates SVM: the AMD model's guest gets `svm` on, and off again when nested is off.
#[test]
fn qemu_tcg_gives_the_amd_guest_svm() {
    if !common::require_program("qemu-system-x86_64") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "epyc.xml", &domain("qemu", &custom("EPYC")));
    nested(&f, "on", &[]);
    let cpu = argv(&f, &[]);
    assert!(cpu.contains("svm=on"), "{cpu}");
    let (started, stderr, svm) = qemu("tcg", &cpu, "svm");
    assert!(started, "{cpu}: {stderr}");
    assert!(!stderr.contains("svm"), "TCG should emulate svm: {stderr}");
    assert_eq!(svm, Some(true), "{cpu}");
    nested(&f, "off", &[]);
    let cpu = argv(&f, &[]);
    assert_eq!(qemu("tcg", &cpu, "svm").2, Some(false), "{cpu}");
}

/// Whether this process can open /dev/kvm for QEMU; under CI it must.
fn kvm_usable() -> bool {
    let usable = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok();
    if !usable {
        assert!(
            !common::must_not_skip(),
            "/dev/kvm is required under CI=true but cannot be opened"
        );
        eprintln!("SKIP: /dev/kvm cannot be opened");
    }
    usable
}

/// The live host-model check's verdict on `vmx` is what QEMU with KVM and `enforce` does with
/// `vmx=on`: here the host lacks vmx (it is a KVM guest without it), the check says
/// nested-host-lacks (an error with enforce), and QEMU refuses to start naming vmx; without
/// nested, the same -cpu starts.
#[test]
fn the_host_check_predicts_kvms_refusal_of_vmx() {
    if !common::require_program("qemu-system-x86_64")
        || !common::require_libvirt_daemon()
        || !kvm_usable()
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // kvm64 minus what this host lacks besides vmx (pni), so only vmx can make the difference;
    // the -cpu of <qemu:commandline>, which libvirt 9.0 passes as it is.
    let xml = format!(
        "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n  <name>{NAME}</name>\n  <memory unit='KiB'>65536</memory>\n  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n  <qemu:commandline>\n    <qemu:arg value='-cpu'/>\n    <qemu:arg value='kvm64,pni=off,enforce'/>\n  </qemu:commandline>\n</domain>\n"
    );
    let f = write(dir.path(), "kvm64.xml", &xml);
    let verdict = |f: &str| {
        let out = common::virt_cpu(&["check", f, "-c", URI, "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let lacks = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == "nested-host-lacks")
            .map(|d| d["severity"].as_str().unwrap().to_string());
        (
            v["nested"]["host"]["verdict"].as_str().unwrap().to_string(),
            lacks,
            v["value"].as_str().unwrap().to_string(),
        )
    };
    let (host, lacks, cpu) = verdict(&f);
    assert_eq!(lacks, None);
    let (started, stderr, _) = qemu("kvm", &cpu, "vmx");
    assert!(started, "the control -cpu {cpu} must start: {stderr}");
    // The vendor is the host's (kvm64 is generic): asked live.
    nested(&f, "on", &["-c", URI, "--force"]);
    let (host_after, lacks, cpu) = verdict(&f);
    assert_eq!(host, host_after);
    assert!(cpu.contains("vmx=on"), "{cpu}");
    let (started, stderr, _) = qemu("kvm", &cpu, "vmx");
    let host_has_vmx = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap()
        .split_whitespace()
        .any(|w| w == "vmx");
    if host_has_vmx {
        // A host with nested on: the check and QEMU agree the other way.
        assert_eq!(host, "allows");
        assert_eq!(lacks, None);
        assert!(started, "{cpu}: {stderr}");
    } else {
        assert_eq!(host, "lacks");
        assert_eq!(
            lacks.as_deref(),
            Some("error"),
            "enforce=on makes it an error"
        );
        assert!(!started, "QEMU should refuse {cpu}");
        assert!(
            stderr.contains("CPUID.01H:ECX.vmx"),
            "QEMU names vmx: {stderr}"
        );
    }
}

/// libvirt's own start agrees with the check: host-model with nested on, on a host whose
/// host-model CPU lacks vmx, is refused ("Host CPU does not provide required features: vmx");
/// on a host that has it, it starts (and is stopped again).
#[test]
fn libvirt_starts_host_model_nested_only_where_the_check_says_it_can() {
    if !common::require_libvirt_daemon() || !kvm_usable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let name = "virtcpu-test-nested-start";
    let xml = format!(
        "<domain type='kvm'>\n  <name>{name}</name>\n  <memory unit='KiB'>65536</memory>\n  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n  <cpu mode='host-model'/>\n  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n  </devices>\n</domain>\n"
    );
    let f = write(dir.path(), "start.xml", &xml);
    let after = nested(&f, "on", &["-c", URI, "--force"]);
    assert!(
        after.contains("<feature policy='require' name='vmx'/>"),
        "{after}"
    );
    let out = common::virt_cpu(&["check", &f, "-c", URI, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdict = v["nested"]["host"]["verdict"].as_str().unwrap().to_string();
    let flagged = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["code"] == "nested-host-lacks");
    let virsh = |args: &[&str]| {
        Command::new("virsh")
            .args(["-c", URI])
            .args(args)
            .output()
            .unwrap()
    };
    assert!(virsh(&["define", &f]).status.success());
    let start = virsh(&["start", name]);
    let _ = virsh(&["destroy", name]);
    let _ = virsh(&["undefine", name]);
    let stderr = String::from_utf8_lossy(&start.stderr);
    match verdict.as_str() {
        "lacks" => {
            assert!(flagged, "{v}");
            assert!(!start.status.success(), "libvirt started it: {after}");
            assert!(
                stderr.contains("Host CPU does not provide required features: vmx"),
                "{stderr}"
            );
        }
        "allows" => {
            assert!(!flagged, "{v}");
            assert!(start.status.success(), "{stderr}");
        }
        other => panic!("the live host gives a verdict, not {other}: {v}"),
    }
}
