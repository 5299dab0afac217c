//! `virt-cpu explain` on the errors the real programs give: QEMU refusing a CPU under TCG with
//! `enforce=on`, read from its own stderr; the fix applied to the domain; QEMU then accepting
//! the `-cpu` virt-cpu generates for the fixed domain. Plus the libvirt messages admins paste.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn virt_cpu(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_virt-cpu"))
        .args(args)
        .env("VIRT_CPU_LIBVIRT", "9.0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// QEMU started with this `-cpu` (q35, TCG): its exit code and stderr.
fn qemu(cpu: &str) -> (Option<i32>, String) {
    let mut child = common::qemu_probe(cpu, &[])
        .stdout(Stdio::null())
        .spawn()
        .expect("start QEMU");
    let _ = child.stdin.take().unwrap().write_all(common::QMP_QUIT);
    let out = child.wait_with_output().unwrap();
    (out.status.code(), text(&out.stderr))
}

#[test]
fn qemus_own_refusal_is_explained_and_the_fix_makes_it_start() {
    if !common::require_program("qemu-system-x86_64") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tcg.xml");
    let xml = "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>tcg</name>
  <memory unit='KiB'>65536</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <qemu:cpu>
    <qemu:model name='Skylake-Client-v4'/>
    <qemu:option name='enforce' value='on'/>
  </qemu:cpu>
</domain>
";
    std::fs::write(&file, xml).unwrap();
    let f = file.to_str().unwrap();
    // `argv` prints the value even when it sees errors (exit 1): QEMU is asked itself.
    let value = |f: &str, expected: i32| {
        let o = virt_cpu(&["argv", f], b"");
        assert_eq!(o.status.code(), Some(expected), "{}", text(&o.stderr));
        text(&o.stdout).trim().to_string()
    };
    let (code, stderr) = qemu(&value(f, 1));
    assert_ne!(
        code,
        Some(0),
        "QEMU was expected to refuse under TCG: {stderr}"
    );
    assert!(
        stderr.contains("TCG doesn't support requested feature"),
        "{stderr}"
    );
    // QEMU's own words, piped in.
    let o = virt_cpu(&["explain", f], stderr.as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let said = text(&o.stdout);
    assert!(said.contains("TCG cannot emulate"), "{said}");
    assert!(
        said.contains("[1] turn them off in <qemu:cpu>:") && said.contains("(--fix 1)"),
        "{said}"
    );
    let o = virt_cpu(
        &["explain", f, "--fix", "1", "--in-place"],
        stderr.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let fixed = std::fs::read_to_string(&file).unwrap();
    assert!(fixed.contains("value='off'/>"), "{fixed}");
    let (code, stderr) = qemu(&value(f, 0));
    assert_eq!(code, Some(0), "QEMU still refuses the fixed CPU: {stderr}");
}

#[test]
fn libvirts_messages_name_the_fixes_and_the_model_the_host_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sk.xml");
    std::fs::write(
        &file,
        "<domain type='kvm'><name>sk</name><vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm</type></os>\
         <cpu mode='custom' match='exact'><model fallback='forbid'>Skylake-Client</model></cpu></domain>",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let amd = common::shared_dir().join("reference/domcapabilities/qemu_7.2.0-q35.x86_64.xml");
    let message = "error: Failed to start domain 'sk'\nerror: the CPU is incompatible with host CPU: Host CPU does not provide required features: pcid, hle, erms, invpcid, rtm, mpx\n";
    let o = virt_cpu(
        &["explain", f, "--host-caps", amd.to_str().unwrap(), "--json"],
        message.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let e = &doc["explanations"][0];
    assert_eq!(e["symptom"]["kind"], "lacks");
    assert_eq!(e["symptom"]["by"], "libvirt");
    let fixes: Vec<&str> = e["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["text"].as_str().unwrap())
        .collect();
    assert!(
        fixes[0].contains("<feature policy='disable' name='pcid'/>"),
        "{fixes:?}"
    );
    assert!(
        fixes[1].starts_with("use ") && fixes[1].contains("this host runs"),
        "{fixes:?}"
    );
    assert!(fixes[2].contains("host-model"), "{fixes:?}");
    // The model named is one the host runs, by virt-cpu's own listing.
    let model = fixes[1]
        .trim_start_matches("use ")
        .split(',')
        .next()
        .unwrap();
    let o = virt_cpu(
        &[
            "model",
            model,
            "--host-caps",
            amd.to_str().unwrap(),
            "--json",
        ],
        b"",
    );
    let view: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(view["usable"]["usable"], true, "{model}");
    // --fix 3 switches to host-model; the diff shows it.
    let o = virt_cpu(&["explain", f, "--fix", "3", "--message", message], b"");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("+<domain") || text(&o.stdout).contains("host-model"),
        "{}",
        text(&o.stdout)
    );
    // Nothing recognised: exit 1, said so.
    let o = virt_cpu(&["explain", "--message", "it did not boot"], b"");
    assert_eq!(o.status.code(), Some(1));
}

/// The named model does not take away what the domain requires itself: the fix turns those
/// features off with the change of model, and `check` on that host then finds nothing.
#[test]
fn the_model_fix_turns_off_what_the_domain_itself_requires() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("req.xml");
    std::fs::write(
        &file,
        "<domain type='kvm'><name>req</name><vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm</type></os>\
         <cpu mode='custom' match='exact'><model fallback='forbid'>Skylake-Client</model>\
         <feature policy='require' name='avx512f'/></cpu></domain>",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let host = common::shared_dir().join("reference/domcapabilities/qemu_8.0.0-q35.x86_64.xml");
    let host = host.to_str().unwrap();
    let message = "error: the CPU is incompatible with host CPU: Host CPU does not provide required features: pcid, hle, erms, invpcid, rtm, mpx, avx512f\n";
    let o = virt_cpu(&["explain", f, "--host-caps", host], message.as_bytes());
    let said = text(&o.stdout);
    assert!(
        said.contains("[2] use ")
            && said.contains("and turn off avx512f, which the domain asks for itself  (--fix 2)"),
        "{said}"
    );
    let o = virt_cpu(
        &[
            "explain",
            f,
            "--host-caps",
            host,
            "--fix",
            "2",
            "--in-place",
        ],
        message.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let fixed = std::fs::read_to_string(&file).unwrap();
    assert!(
        fixed.contains("<feature policy='disable' name='avx512f'/>"),
        "{fixed}"
    );
    let o = virt_cpu(&["check", f, "--host-caps", host], b"");
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), fixed);
}

/// The explained text and fixes for `message` on the domain `xml`, with `caps` as the host.
fn explained(xml: &str, caps: Option<&std::path::Path>, message: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.xml");
    std::fs::write(&file, xml).unwrap();
    let mut args = vec!["explain", file.to_str().unwrap()];
    if let Some(c) = caps {
        args.extend(["--host-caps", c.to_str().unwrap()]);
    }
    let o = virt_cpu(&args, message.as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    text(&o.stdout)
}

fn kvm_domain(cpu: &str) -> String {
    format!(
        "<domain type='kvm'><name>d</name><vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm</type></os>{cpu}</domain>"
    )
}

/// A host whose libvirt judges only 32-bit models usable (the nested host of the trial, where
/// even qemu64 is not): a 64-bit guest is never told to use one of them, the fix says plainly
/// that no 64-bit model fits; and the model the domain already has is never the way out.
#[test]
fn a_64bit_guest_is_never_offered_a_32bit_only_model() {
    let real = common::shared_dir().join("reference/domcapabilities/qemu_8.0.0-q35.x86_64.xml");
    let caps = std::fs::read_to_string(&real).unwrap();
    // Every model unusable, then the two 32-bit ones usable again.
    let only32 = caps.replace("usable='yes'", "usable='no'").replace(
        "usable='no' vendor='unknown'>pentium3<",
        "usable='yes' vendor='unknown'>pentium3<",
    );
    let only32 = only32.replace(
        "usable='no' vendor='unknown'>qemu32<",
        "usable='yes' vendor='unknown'>qemu32<",
    );
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("only32.xml");
    std::fs::write(&host, only32).unwrap();
    let dom = kvm_domain(
        "<cpu mode='custom' match='exact'><model fallback='forbid'>Skylake-Client</model></cpu>",
    );
    let message = "error: the CPU is incompatible with host CPU: Host CPU does not provide required features: pcid, hle\n";
    let said = explained(&dom, Some(&host), message);
    assert!(
        !said.contains("use pentium3") && !said.contains("use qemu32"),
        "{said}"
    );
    assert!(
        said.contains("no 64-bit model is usable on this host"),
        "{said}"
    );
    // A 32-bit guest may use them.
    let i686 = dom.replace("arch='x86_64'", "arch='i686'");
    let said = explained(&i686, Some(&host), message);
    assert!(said.contains("the richest model this host runs"), "{said}");
    // The richest model the real host runs is SandyBridge's neighbour when the domain already
    // has SandyBridge: never "use SandyBridge" again.
    let sandy = kvm_domain(
        "<cpu mode='custom' match='exact'><model fallback='forbid'>SandyBridge</model></cpu>",
    );
    let said = explained(
        &sandy,
        Some(&real),
        "error: Host CPU does not provide required features: avx\n",
    );
    assert!(said.contains("the richest model this host runs"), "{said}");
    assert!(!said.contains("use SandyBridge,"), "{said}");
}

/// A pasted error is checked against the domain: a model it does not name, a feature it does
/// not ask for, are said not to match, with no edit of the domain offered; when the domain
/// does turn vmx on, nested off is offered and no model replacement (its model is not the cause).
#[test]
fn an_error_that_does_not_match_the_domain_is_said_so() {
    let dom = kvm_domain(
        "<cpu mode='custom' match='exact'><model fallback='forbid'>Skylake-Client</model></cpu>",
    );
    let said = explained(
        &dom,
        None,
        "qemu-system-x86_64: unable to find CPU model 'Skylake-Server-IBRS-x'\n",
    );
    assert!(
        said.contains("this domain does not name the model 'Skylake-Server-IBRS-x'"),
        "{said}"
    );
    assert!(!said.contains("--fix"), "{said}");
    let host = common::shared_dir().join("reference/domcapabilities/qemu_8.0.0-q35.x86_64.xml");
    let vmx = "error: the CPU is incompatible with host CPU: Host CPU does not provide required features: vmx\n";
    let said = explained(&dom, Some(&host), vmx);
    assert!(said.contains("this domain does not ask for vmx"), "{said}");
    assert!(
        !said.contains("--fix") && !said.contains("--nested off"),
        "{said}"
    );
    let nested = kvm_domain(
        "<cpu mode='custom' match='exact'><model fallback='forbid'>Skylake-Client</model><feature policy='require' name='vmx'/></cpu>",
    );
    let said = explained(&nested, Some(&host), vmx);
    assert!(said.contains("--nested off"), "{said}");
    assert!(!said.contains("richest model"), "{said}");
    assert!(said.contains("name='vmx'"), "{said}");
    // A model it does name, misspelt, still gets the rename.
    let ice = kvm_domain(
        "<cpu mode='custom' match='exact'><model fallback='forbid'>Icelake-Server-V4</model></cpu>",
    );
    let said = explained(
        &ice,
        None,
        "qemu-system-x86_64: unable to find CPU model 'Icelake-Server-V4'\n",
    );
    assert!(said.contains("name the model Icelake-Server"), "{said}");
}
