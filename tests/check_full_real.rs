//! libvirt's check='full' refusal, on the real libvirt 9.0 daemon with QEMU's TCG: a custom
//! Icelake-Server domain with `check='full'` fails to start ("guest CPU doesn't match
//! specification: extra features: hypervisor, …"); `explain`'s first fix (check='partial')
//! applied to it gives a domain that starts.

mod common;

use std::process::{Command, Output};

const URI: &str = "qemu:///system";
const NAME: &str = "virtcpu-test-checkfull";

fn virsh(args: &[&str]) -> Output {
    Command::new("virsh")
        .args(["-c", URI])
        .args(args)
        .output()
        .expect("run virsh")
}

/// Stops and removes the test domain, whatever state it is in.
fn clean() {
    let _ = virsh(&["destroy", NAME]);
    let _ = virsh(&["undefine", NAME]);
}

/// Defines `file` and starts it: libvirt's error when either fails.
fn define_and_start(file: &str) -> Result<(), String> {
    let def = virsh(&["define", file]);
    if !def.status.success() {
        return Err(format!("define: {}", String::from_utf8_lossy(&def.stderr)));
    }
    let start = virsh(&["start", NAME]);
    match start.status.success() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&start.stderr).into_owned()),
    }
}

#[test]
fn explains_fix_for_a_check_full_refusal_makes_the_domain_start() {
    if !common::require_program("virsh") || !common::require_libvirt_daemon() {
        return;
    }
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/examples/custom-features.xml"
    ))
    .unwrap();
    // The trial's domain: the example with a model TCG cannot give whole, compared in full.
    let xml = example
        .replace(
            "<name>haswell-custom</name>",
            &format!("<name>{NAME}</name>"),
        )
        .replace(
            "<model fallback='allow'>Haswell-noTSX</model>",
            "<model fallback='forbid'>Icelake-Server</model>",
        )
        .replace("check='none'", "check='full'")
        .replace(
            "<memory unit='KiB'>2097152</memory>",
            "<memory unit='KiB'>65536</memory>",
        );
    assert!(xml.contains("check='full'") && xml.contains("Icelake-Server"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.xml");
    std::fs::write(&file, &xml).unwrap();
    let file = file.to_str().unwrap();
    // check warns of it before the start.
    let checked = common::virt_cpu(&["check", file, "-c", URI]);
    let said = String::from_utf8_lossy(&checked.stdout);
    assert!(said.contains("warning[check-full]"), "{said}");
    clean();
    let refused = define_and_start(file);
    clean();
    let err = refused.expect_err("libvirt 9.0 refuses check='full' with a TCG Icelake-Server");
    assert!(
        err.contains("guest CPU doesn't match specification") && err.contains("extra features"),
        "{err}"
    );
    let explained = common::virt_cpu(&["explain", file, "--message", &err, "-c", URI]);
    let said = String::from_utf8_lossy(&explained.stdout);
    assert!(explained.status.success(), "{said}");
    assert!(said.contains("check='full'"), "{said}");
    let fixed = dir.path().join("fixed.xml");
    let fixed = fixed.to_str().unwrap();
    let text = first_fix(file, &err, fixed);
    // The domain names <vendor>Intel</vendor> and TCG's host CPU is AMD: check='partial'
    // would be refused before start (libvirt compares the vendor), so 'none' comes first.
    // Lossless: only the attribute changed.
    assert_eq!(text, xml.replace("check='full'", "check='none'"));
    let started = define_and_start(fixed);
    clean();
    started.expect("check='none' starts");
    // A model TCG gives whole: only QEMU's own additions (hypervisor…) are extra, and
    // check='partial' is the first way out, and it starts.
    let plain = format!(
        "<domain type='qemu'><name>{NAME}</name><memory unit='KiB'>65536</memory>\
         <os><type arch='x86_64' machine='q35'>hvm</type></os>\
         <cpu mode='custom' match='exact' check='full'><model fallback='forbid'>Westmere</model></cpu></domain>\n"
    );
    let file = dir.path().join("plain.xml");
    std::fs::write(&file, &plain).unwrap();
    let file = file.to_str().unwrap();
    let refused = define_and_start(file);
    clean();
    let err = refused.expect_err("check='full' refuses Westmere under TCG");
    assert!(err.contains("extra features: "), "{err}");
    assert!(!err.contains("missing features"), "{err}");
    let text = first_fix(file, &err, fixed);
    assert_eq!(text, plain.replace("check='full'", "check='partial'"));
    let started = define_and_start(fixed);
    clean();
    started.expect("check='partial' starts");
}

/// `virt-cpu explain FILE --message ERR -c URI --fix 1 -o FIXED`: the fixed document.
fn first_fix(file: &str, err: &str, fixed: &str) -> String {
    let out = common::virt_cpu(&[
        "explain",
        file,
        "--message",
        err,
        "-c",
        URI,
        "--fix",
        "1",
        "-o",
        fixed,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(fixed).unwrap()
}
