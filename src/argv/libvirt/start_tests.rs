//! NUMA cell ids, the host CPU libvirt compares guests with (KVM: the CPUID CPU plus the
//! host-model's features; TCG: the host-model alone, and only with `check='partial'`), the TSC
//! check and the dropping of `disable`d features QEMU does not know.

use super::generate;
use crate::argv::caps::{HostCpu, QemuCaps};
use crate::catalog::Catalog;
use crate::domain::Domain;
use crate::host::{DomCaps, HostTsc};
use crate::xml::Document;

fn domain(virt: &str, body: &str) -> Domain {
    let xml = format!(
        "<domain type='{virt}'><name>t</name><memory>65536</memory><vcpu>2</vcpu>\
         <os><type arch='x86_64' machine='pc'>hvm</type></os>{body}\
         <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>"
    );
    Domain::read(&Document::parse(xml.as_bytes()).unwrap()).unwrap()
}

fn run(dom: &Domain, caps: &QemuCaps) -> Result<String, String> {
    generate(dom, caps, &Catalog::embedded().libvirt)
        .map(|c| c.value().unwrap_or_default())
        .map_err(|e| e.message)
}

fn on(names: &[&str]) -> Vec<(String, bool)> {
    names.iter().map(|n| (n.to_string(), true)).collect()
}

/// A KVM host like the one of the report: QEMU's host expansion (the reported host-model)
/// lacks SSE3 and friends, while the CPU libvirt reads from CPUID has them, but no `svm`.
fn kvm_caps(with_cpuid: bool) -> QemuCaps {
    let mut reported = on(&["x2apic", "hypervisor", "arch-capabilities"]);
    reported.extend(["pni", "ssse3", "svm"].map(|n| (n.to_string(), false)));
    let reported = HostCpu {
        model: "EPYC-Milan".into(),
        vendor: Some("AMD".into()),
        features: reported,
    };
    QemuCaps {
        host_model: Some(reported.clone()),
        host_cpu: Some(reported),
        host_cpuid: with_cpuid.then(|| HostCpu {
            model: "kvm64".into(),
            vendor: Some("AMD".into()),
            features: on(&["ssse3", "x2apic", "hypervisor"]),
        }),
        ..QemuCaps::from_catalog(&domain("kvm", ""), Catalog::embedded())
    }
}

#[test]
fn numa_cells_without_id_take_their_position() {
    let cells = |ids: &[Option<&str>]| {
        let cells: String = ids
            .iter()
            .map(|id| match id {
                Some(id) => format!("<cell id='{id}' cpus='0' memory='1024'/>"),
                None => "<cell cpus='0' memory='1024'/>".to_string(),
            })
            .collect();
        domain("qemu", &format!("<cpu><numa>{cells}</numa></cpu>"))
    };
    let caps = QemuCaps::from_catalog(&domain("qemu", ""), Catalog::embedded());
    assert_eq!(run(&cells(&[None, None]), &caps).unwrap(), "qemu64");
    assert_eq!(
        run(&cells(&[Some("1"), Some("0")]), &caps).unwrap(),
        "qemu64"
    );
    assert_eq!(
        run(&cells(&[Some("1"), None]), &caps).unwrap_err(),
        "XML error: Duplicate NUMA cell info for cell id '1'"
    );
    assert_eq!(
        run(&cells(&[None, Some("0")]), &caps).unwrap_err(),
        "XML error: Duplicate NUMA cell info for cell id '0'"
    );
    assert_eq!(
        run(&cells(&[Some("x")]), &caps).unwrap_err(),
        "XML error: Invalid value for attribute 'id' in element 'cell': 'x'. Expected non-negative integer value"
    );
    assert!(
        run(&cells(&[Some("-0")]), &caps)
            .unwrap_err()
            .contains("'-0'. Expected non-negative")
    );
    assert!(
        run(&cells(&[None, Some("2")]), &caps)
            .unwrap_err()
            .starts_with("XML error: Exactly one 'cell' element per guest NUMA cell")
    );
    assert_eq!(
        run(&domain("qemu", "<cpu><numa/></cpu>"), &caps).unwrap_err(),
        "XML error: NUMA topology defined without NUMA cells"
    );
}

#[test]
fn kvm_guests_are_compared_with_the_cpuid_cpu_plus_the_host_model() {
    let caps = kvm_caps(true);
    let exact = |features: &str| {
        domain(
            "kvm",
            &format!("<cpu match='exact'><model>qemu64</model>{features}</cpu>"),
        )
    };
    assert_eq!(
        run(&exact("<feature policy='disable' name='svm'/>"), &caps).unwrap(),
        "qemu64,svm=off"
    );
    // pni is in kvm64, the CPUID CPU's model: only svm is missing.
    assert_eq!(
        run(&exact(""), &caps).unwrap_err(),
        "the CPU is incompatible with host CPU: Host CPU does not provide required features: svm"
    );
    // Features the host-model enables count too (arch-capabilities is not in CPUID here).
    assert_eq!(
        run(
            &exact(
                "<feature policy='disable' name='svm'/><feature policy='require' name='arch-capabilities'/>"
            ),
            &caps
        )
        .unwrap(),
        "qemu64,svm=off,arch-capabilities=on"
    );
    // Without the CPUID CPU (a saved domcapabilities file) the host-model alone is used.
    assert!(
        run(&exact(""), &kvm_caps(false))
            .unwrap_err()
            .ends_with("required features: pni, svm")
    );
}

#[test]
fn the_comparison_follows_x86_compute() {
    let caps = kvm_caps(true);
    let cpu = |attrs: &str, inner: &str| {
        domain(
            "kvm",
            &format!("<cpu {attrs}><model>qemu64</model>{inner}</cpu>"),
        )
    };
    let svm_off = "<feature policy='disable' name='svm'/>";
    assert_eq!(
        run(&cpu("", &format!("<vendor>Intel</vendor>{svm_off}")), &caps).unwrap_err(),
        "the CPU is incompatible with host CPU: host CPU vendor does not match required CPU vendor Intel"
    );
    // A feature the host lists (its CPUID extras and every feature the host-model enables):
    // virCPUCheckForbiddenFeatures; one only its CPUID model has: x86Compute.
    assert_eq!(
        run(&cpu("", "<feature policy='forbid' name='x2apic'/>"), &caps).unwrap_err(),
        "the CPU is incompatible with host CPU: Host CPU provides forbidden feature 'x2apic'"
    );
    assert_eq!(
        run(&cpu("", "<feature policy='forbid' name='pni'/>"), &caps).unwrap_err(),
        "the CPU is incompatible with host CPU: Host CPU provides forbidden features: pni"
    );
    // Forced and optional features are not required from the host.
    assert!(run(&cpu("", "<feature policy='force' name='svm'/>"), &caps).is_ok());
    let strict = run(&cpu("match='strict'", svm_off), &caps).unwrap_err();
    assert!(
        strict.starts_with(
            "the CPU is incompatible with host CPU: Host CPU does not strictly match guest CPU: Extra features: "
        ) && strict.contains("x2apic"),
        "{strict}"
    );
    // host-model (check='partial' by default) compares its required features.
    assert_eq!(
        run(
            &domain(
                "kvm",
                "<cpu mode='host-model'><feature policy='require' name='svm'/></cpu>"
            ),
            &caps
        )
        .unwrap_err(),
        "the CPU is incompatible with host CPU: Host CPU does not provide required features: svm"
    );
}

#[test]
fn tcg_custom_cpus_are_compared_only_with_check_partial() {
    let tcg = DomCaps {
        domain: "qemu".into(),
        ..DomCaps::default()
    };
    let caps = QemuCaps {
        host_cpu: Some(HostCpu {
            model: "qemu64".into(),
            vendor: Some("AMD".into()),
            features: vec![("svm".into(), false)],
        }),
        ..QemuCaps::from_catalog(&domain("qemu", ""), Catalog::embedded()).with_host(&tcg)
    };
    let cpu = |check: &str| {
        domain(
            "qemu",
            &format!("<cpu match='exact' {check}><model>qemu64</model></cpu>"),
        )
    };
    assert_eq!(run(&cpu(""), &caps).unwrap(), "qemu64");
    assert!(
        run(&cpu("check='partial'"), &caps)
            .unwrap_err()
            .ends_with("required features: svm")
    );
}

#[test]
fn disabled_features_qemu_does_not_know_are_dropped() {
    // QEMU 7.2 has no `pconfig`; `intel-pt` (removed from Icelake-Server) it knows.
    let dom = domain(
        "kvm",
        "<cpu mode='custom' match='exact' check='none'><model fallback='forbid'>Icelake-Server</model>\
         <feature name='pconfig' policy='disable'/></cpu>",
    );
    let caps = QemuCaps::from_catalog(&dom, Catalog::embedded());
    assert_eq!(run(&dom, &caps).unwrap(), "Icelake-Server,intel-pt=off");
}

#[test]
fn a_tsc_frequency_the_host_cannot_give_is_refused() {
    let dom = |freq: u64| {
        domain(
            "qemu",
            &format!("<clock offset='utc'><timer name='tsc' frequency='{freq}'/></clock>"),
        )
    };
    let caps = |scaling: Option<bool>| {
        let host = DomCaps {
            domain: "qemu".into(),
            host_tsc: Some(HostTsc {
                frequency: 2_445_404_000,
                scaling,
            }),
            ..DomCaps::default()
        };
        QemuCaps::from_catalog(&dom(1), Catalog::embedded()).with_host(&host)
    };
    assert_eq!(
        run(&dom(4_567_890_000), &caps(Some(false))).unwrap_err(),
        "unsupported configuration: Requested TSC frequency 4567890000 Hz is outside tolerance range ([2444792649, 2446015351] Hz) around host frequency 2445404000 Hz and TSC scaling is not supported by the host CPU"
    );
    assert_eq!(
        run(&dom(2_446_015_351), &caps(Some(false))).unwrap(),
        "qemu64,tsc-frequency=2446015351"
    );
    assert!(run(&dom(4_567_890_000), &caps(Some(true))).is_ok());
    assert!(run(&dom(4_567_890_000), &caps(None)).is_ok());
}

#[test]
fn virsh_capabilities_host_cpu() {
    let xml = "<capabilities><host><uuid>x</uuid><cpu><arch>x86_64</arch><model>kvm64</model>\
               <vendor>AMD</vendor><counter name='tsc' frequency='2445404000' scaling='no'/>\
               <feature name='vme'/><feature name='ssse3'/><pages unit='KiB' size='4'/></cpu></host></capabilities>";
    let host = DomCaps::parse_capabilities(xml, "test").unwrap();
    let cpu = host.cpu.unwrap();
    assert_eq!(cpu.model, "kvm64");
    assert_eq!(cpu.vendor.as_deref(), Some("AMD"));
    assert_eq!(cpu.required, ["vme", "ssse3"]);
    assert_eq!(
        host.tsc,
        Some(HostTsc {
            frequency: 2_445_404_000,
            scaling: Some(false)
        })
    );
    // The KVM domain capabilities take it; TCG ones do not (libvirt has no "full" TCG CPU).
    for (virt, expect) in [("kvm", true), ("qemu", false)] {
        let dc = DomCaps {
            domain: virt.into(),
            host_cpu: Some(cpu.clone()),
            ..DomCaps::default()
        };
        let caps = QemuCaps::default().with_host(&dc);
        assert_eq!(caps.host_cpuid.is_some(), expect, "{virt}");
    }
}
