//! With a running libvirt 9.0 daemon, `virt-cpu argv -c qemu:///system` and `virsh
//! domxml-to-native qemu-argv` agree on libvirt's own test domains (../shared/corpus): the same
//! `-cpu` value, or both refuse with libvirt's message. The expected results are whatever this
//! host's libvirt says: they depend on the host CPU (KVM guests are compared with the CPU libvirt
//! reads from CPUID, TSC frequencies with the host's TSC), so none is written down here. A
//! second test does the same for small domains written here around the host comparison.

mod common;

use common::LIBVIRT_URI;
use common::libvirt::{ACCEPTED, NAMED, Outcome, compare_all, compare_synthetic, corpus_selection};
use std::path::Path;
use std::process::Command;

#[test]
fn corpus_agrees_with_libvirt() {
    if !common::require_libvirt_daemon() {
        return;
    }
    let files = corpus_selection();
    assert!(
        files.len() >= NAMED.len() + 40,
        "only {} corpus domains selected",
        files.len()
    );
    let compared = compare_all(LIBVIRT_URI, "9.0", &files);
    let differ = &compared.differ;
    assert!(
        differ.is_empty(),
        "virt-cpu and libvirt differ on {} corpus domains:\n{}",
        differ.len(),
        differ.join("\n")
    );
    for name in ACCEPTED {
        let theirs = compared.libvirt_of(name);
        assert!(
            matches!(theirs, Outcome::Cpu(Some(_))),
            "{name}: libvirt gave {theirs:?}"
        );
    }
}

#[test]
fn synthetic_cpus_agree_with_libvirt() {
    if !common::require_libvirt_daemon() {
        return;
    }
    let report = compare_synthetic(LIBVIRT_URI, "9.0");
    assert!(
        report.is_empty(),
        "virt-cpu and libvirt differ on {} synthetic domains:\n{}",
        report.len(),
        report.join("\n")
    );
}

/// `virt-cpu argv --format json` with these host flags: the value, or the refusal.
fn ours_with(file: &Path, host: &[&str]) -> Outcome {
    let mut args = vec!["argv", "--format", "json"];
    args.extend_from_slice(host);
    args.push(file.to_str().unwrap());
    let out = common::virt_cpu(&args);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "virt-cpu {args:?}: no JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    match json["value"].as_str() {
        Some(v) => Outcome::Cpu(Some(v.to_string())),
        None => Outcome::Refused(json["diagnostics"].to_string()),
    }
}

/// Saved files stand in for a live host: `--host-caps` (that domain's `virsh domcapabilities`)
/// with `--host-capabilities` (`virsh capabilities`, whose CPUID host CPU libvirt compares KVM
/// guests with) give what `-c URI` gives, on the domains whose result depends on that CPU.
#[test]
fn saved_capabilities_give_what_the_live_host_gives() {
    if !common::require_libvirt_daemon() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let virsh = |args: &[&str], to: &Path| {
        let out = Command::new("virsh")
            .args(["-c", LIBVIRT_URI])
            .args(args)
            .output()
            .expect("run virsh");
        assert!(
            out.status.success(),
            "virsh {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(to, &out.stdout).unwrap();
    };
    let capabilities = dir.path().join("capabilities.xml");
    virsh(&["capabilities"], &capabilities);
    let mut compared = 0;
    for file in corpus_selection().iter().filter(|f| {
        let stem = f.file_stem().unwrap().to_str().unwrap();
        NAMED.iter().any(|n| stem.ends_with(n))
    }) {
        let text = std::fs::read_to_string(file).unwrap();
        if !text.contains("type='kvm'") {
            continue;
        }
        // The query `-c` makes for this domain: its virt type, arch and machine.
        let machine = text
            .split("machine='")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or("pc");
        let domcaps = dir.path().join(format!("domcaps-{compared}.xml"));
        virsh(
            &[
                "domcapabilities",
                "--virttype",
                "kvm",
                "--arch",
                "x86_64",
                "--machine",
                machine,
            ],
            &domcaps,
        );
        let live = ours_with(file, &["-c", LIBVIRT_URI]);
        let saved = ours_with(
            file,
            &[
                "--host-caps",
                domcaps.to_str().unwrap(),
                "--host-capabilities",
                capabilities.to_str().unwrap(),
            ],
        );
        assert_eq!(saved, live, "{}", file.display());
        compared += 1;
    }
    assert!(compared >= 5, "only {compared} KVM domains compared");
}
