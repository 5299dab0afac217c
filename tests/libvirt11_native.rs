//! With the libvirt 11.3 daemon of the Debian 13 chroot (.ci/debian13-chroot), `virsh
//! domxml-to-native qemu-argv` and `virt-cpu argv` give the same `-cpu` for every demo domain in
//! assets/examples/, whether virt-cpu picks libvirt 11.3 + QEMU 10.0 from the daemon (`-c URI`) or
//! is told (`--libvirt 11.3 --qemu 10.0`). libvirt 11.3 ignores `<qemu:cpu>` as 9.0 does: those
//! domains are compared without it (libvirt_native.rs says the same of 9.0).

mod common;

use common::libvirt::{compare_examples, domcapabilities};
use std::path::Path;

/// `-c URI`: the daemon's versions choose the catalog, and its host answers host-model.
#[test]
fn examples_agree_with_libvirt11_through_connect() {
    if !common::require_libvirt11_daemon() {
        return;
    }
    let uri = common::libvirt11_uri();
    let tmp = tempfile::tempdir().unwrap();
    let our_args = |_: &Path, _: &str| vec!["-c".to_string(), uri.clone()];
    let failures = compare_examples(&uri, "11.3", tmp.path(), &our_args);
    assert!(
        failures.is_empty(),
        "virsh -c {uri} domxml-to-native and virt-cpu argv -c disagree on {} demo domains:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// `--libvirt 11.3 --qemu 10.0`, no daemon asked: the host-model demo follows the 11.3 daemon's
/// saved domain capabilities (`--host-caps`), the others need no host.
#[test]
fn examples_agree_with_libvirt11_chosen_by_option() {
    if !common::require_libvirt11_daemon() {
        return;
    }
    let uri = common::libvirt11_uri();
    let tmp = tempfile::tempdir().unwrap();
    let host_caps = domcapabilities(&uri, tmp.path());
    let our_args = |_: &Path, text: &str| -> Vec<String> {
        let mut args: Vec<String> = ["--libvirt", "11.3", "--qemu", "10.0"]
            .map(String::from)
            .into();
        if text.contains("mode='host-model'") {
            args.extend(["--host-caps".into(), host_caps.to_str().unwrap().into()]);
        }
        args
    };
    let failures = compare_examples(&uri, "11.3", tmp.path(), &our_args);
    assert!(
        failures.is_empty(),
        "virsh -c {uri} domxml-to-native and virt-cpu argv --libvirt 11.3 disagree on {} demo domains:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// What `virsh define` adds to the `<cpu>` of a domain whose CPU is a `<qemu:commandline>`
/// `-cpu` (its default model, `check='none'`) is recognised as libvirt's and removed by
/// `convert --to qemu-cpu` with a note.
#[test]
fn libvirt_default_model_beside_a_commandline_cpu() {
    if !common::require_libvirt11_daemon() {
        return;
    }
    let uri = common::libvirt11_uri();
    let failures =
        common::libvirt::libvirt_default_model_is_recognised(&uri, "virt-cpu-test11-default");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// libvirt 11.3 implements no `<qemu:cpu>` either (README, "`<qemu:cpu>` and libvirt 9.0 (and
/// 11.3)"): `define --validate` refuses it as 9.0's schema does, and a plain `define` keeps the
/// domain without it — what `check`'s `libvirt-drops-qemu-cpu` says for 11.3.
#[test]
fn libvirt11_drops_qemu_cpu_on_define_and_its_schema_refuses_it() {
    if !common::require_libvirt11_daemon() {
        return;
    }
    let uri = common::libvirt11_uri();
    let name = format!("vcpu-l11-qemucpu-{}", std::process::id());
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("d.xml");
    std::fs::write(
        &file,
        format!(
            "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n  \
             <name>{name}</name>\n  <memory unit='MiB'>64</memory>\n  \
             <os><type arch='x86_64' machine='q35'>hvm</type></os>\n  <qemu:cpu>\n    \
             <qemu:model name='Skylake-Client-v4'/>\n  </qemu:cpu>\n</domain>\n"
        ),
    )
    .unwrap();
    let virsh = |args: &[&str]| {
        std::process::Command::new("virsh")
            .args(["-c", &uri])
            .args(args)
            .output()
            .unwrap()
    };
    let validated = virsh(&["define", "--validate", file.to_str().unwrap()]);
    assert!(!validated.status.success());
    let err = String::from_utf8_lossy(&validated.stderr);
    assert!(
        err.contains("Element domain has extra content: cpu"),
        "{err}"
    );
    let defined = virsh(&["define", file.to_str().unwrap()]);
    let dump = virsh(&["dumpxml", &name]);
    let _ = virsh(&["undefine", &name]);
    assert!(
        defined.status.success(),
        "{}",
        String::from_utf8_lossy(&defined.stderr)
    );
    let kept = String::from_utf8_lossy(&dump.stdout);
    assert!(kept.contains(&format!("<name>{name}</name>")), "{kept}");
    assert!(
        !kept.contains("qemu:cpu") && !kept.contains("Skylake"),
        "{kept}"
    );
}
