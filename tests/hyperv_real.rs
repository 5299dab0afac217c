//! Hyper-V edits against the real systems: the system daemon's `virsh define --validate`
//! accepts what `set --hyperv-preset windows` writes (host support asked with `-c`), and
//! QEMU (TCG) accepts the `-cpu` generated for the enlightenments that need no KVM support.
//!
//! On this host KVM is nested and its kernel allows no Hyper-V MSRs: domcapabilities lists
//! only spinlocks and vendor_id, and QEMU (TCG or KVM) refuses hv-vpindex ("kernel doesn't
//! allow setting HyperV VP_INDEX"); so QEMU is given the enlightenments it accepts here.

mod common;

use std::io::Write;

const URI: &str = "qemu:///system";
const DOMAIN: &str = "<domain type='kvm'>\n  <name>virtcpu-test-hyperv</name>\n  <memory unit='KiB'>65536</memory>\n  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n  <features>\n    <acpi/>\n    <apic/>\n  </features>\n  <clock offset='localtime'>\n    <timer name='hypervclock' present='yes'/>\n  </clock>\n</domain>\n";

fn write(dir: &std::path::Path, xml: &str) -> String {
    let file = dir.join("w.xml");
    std::fs::write(&file, xml).unwrap();
    file.to_str().unwrap().to_string()
}

#[test]
fn the_daemon_validates_hyperv_presets() {
    if !common::require_libvirt_daemon() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (preset, extra) in [
        ("windows", vec!["-c", URI]),
        ("windows", vec![]),
        ("passthrough", vec![]),
    ] {
        let f = write(dir.path(), DOMAIN);
        let mut args = vec!["set", f.as_str(), "--hyperv-preset", preset, "--in-place"];
        args.extend(extra.iter().copied());
        let out = common::virt_cpu(&args);
        assert!(
            out.status.success(),
            "{preset}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let define = std::process::Command::new("virsh")
            .args(["-c", URI, "define", "--validate", &f])
            .output()
            .unwrap();
        let _ = std::process::Command::new("virsh")
            .args(["-c", URI, "undefine", "virtcpu-test-hyperv"])
            .output();
        assert!(
            define.status.success(),
            "{preset} {extra:?}: {}\n{}",
            String::from_utf8_lossy(&define.stderr),
            std::fs::read_to_string(&f).unwrap()
        );
    }
}

#[test]
fn qemu_accepts_the_hyperv_cpu() {
    if !common::require_program("qemu-system-x86_64") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), DOMAIN);
    let out = common::virt_cpu(&[
        "set",
        &f,
        "--in-place",
        "--hyperv",
        "relaxed=on,vapic=on,spinlocks=8191,runtime=on,reset=on,vendor_id=KVMKVMKVM,frequencies=on,reenlightenment=on,avic=on",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = common::virt_cpu(&["argv", &f]);
    let cpu = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        cpu.contains("hv-spinlocks=0x1fff") && cpu.contains("hv-vendor-id=KVMKVMKVM"),
        "{cpu}"
    );
    let mut child = common::qemu_probe(&cpu, &[])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(common::QMP_QUIT);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{cpu}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
