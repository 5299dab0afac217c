//! The model libvirt falls back to for a `<cpu>` model QEMU lacks (`fallback='allow'`), against
//! both live daemons: libvirt decodes the domain's CPU data against the models QEMU offers, each
//! with what QEMU reports unusable for the guest's accelerator, so the answer differs between
//! libvirt 9.0 + QEMU 7.2 and libvirt 11.3 + QEMU 10.0, and under TCG it needs no host. virt-cpu
//! must give the daemon's answer both offline (`--libvirt X.Y`: the catalog's TCG data) and asked
//! through `-c URI`.

mod common;

use common::libvirt::{Outcome, agree, domxml_to_native, ours};

/// TCG domains asking for models QEMU 7.2 and 10.0 no longer have (Icelake-Client, removed in
/// QEMU 7.1) or never had under that name, with and without features of their own.
const DOMAINS: &[(&str, &str)] = &[
    (
        "icelake-client",
        "<model fallback='allow'>Icelake-Client</model>",
    ),
    (
        "icelake-client-noTSX",
        "<model fallback='allow'>Icelake-Client-noTSX</model><feature policy='disable' name='avx512f'/>",
    ),
    (
        "icelake-client-features",
        "<model fallback='allow'>Icelake-Client</model><feature policy='require' name='vmx'/><feature policy='disable' name='pcid'/>",
    ),
];

fn domain(cpu: &str) -> String {
    format!(
        "<domain type='qemu'><name>fallback</name><memory>131072</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64' machine='q35'>hvm</type></os>\
         <cpu mode='custom' match='exact'>{cpu}</cpu><devices/></domain>"
    )
}

fn compare(uri: &str, line: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut differ = Vec::new();
    for (name, cpu) in DOMAINS {
        let file = dir.path().join(format!("{name}.xml"));
        std::fs::write(&file, domain(cpu)).unwrap();
        let theirs = domxml_to_native(uri, &file);
        assert!(
            matches!(theirs, Outcome::Cpu(Some(_))),
            "{name}: libvirt {line} gave {theirs:?}"
        );
        for args in [vec!["--libvirt", line], vec!["-c", uri]] {
            let mine = ours(&file, &args, line);
            if !agree(&theirs, &mine) {
                differ.push(format!(
                    "{name} ({}):\n  libvirt:  {theirs:?}\n  virt-cpu: {mine:?}",
                    args.join(" ")
                ));
            }
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

#[test]
fn fallback_follows_libvirt90() {
    if !common::require_libvirt_daemon() {
        return;
    }
    compare(common::LIBVIRT_URI, "9.0");
}

#[test]
fn fallback_follows_libvirt113() {
    if !common::require_libvirt11_daemon() {
        return;
    }
    compare(&common::libvirt11_uri(), "11.3");
}

/// Versions asked for by name win over the daemon behind `-c`, and the note says that daemon
/// runs another release.
#[test]
fn asked_versions_against_another_daemon_are_noted() {
    if !common::require_libvirt11_daemon() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.xml");
    std::fs::write(&file, domain(DOMAINS[0].1)).unwrap();
    let uri = common::libvirt11_uri();
    let out = common::virt_cpu(&[
        "argv",
        "--format",
        "json",
        "--libvirt",
        "9.0",
        "-c",
        &uri,
        file.to_str().unwrap(),
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["follows"]["libvirt"], "9.0.0", "{json}");
    let note = json["follows"]["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("runs libvirt 11.3 + QEMU 10.0") && note.contains("as asked"),
        "{json}"
    );
}
