//! The rules that changed after libvirt 9.0, each run with both embedded catalogs (libvirt 9.0 +
//! QEMU 7.2, libvirt 11.3 + QEMU 10.0): the 9.0 answer stays, the 11.3 answer follows
//! libvirt 11.3. Every expected value was checked against the live daemons
//! (`virsh domxml-to-native qemu-argv`, type='qemu').

use super::decode::host_models_from_probed_cpu;
use super::release::{feature_from_qemu, feature_to_qemu, ignored};
use super::{LibvirtCpu, generate};
use crate::argv::caps::{HostCpu, OfferedModel, QemuCaps};
use crate::argv::error::LibvirtError;
use crate::catalog::Catalog;
use crate::catalog::versions::{EMBEDDED, Version};
use crate::domain::Domain;
use crate::xml::Document;

fn v9() -> &'static Catalog {
    Catalog::embedded_pair(&EMBEDDED[0])
}

fn v11() -> &'static Catalog {
    Catalog::embedded_pair(&EMBEDDED[1])
}

fn domain(body: &str) -> Domain {
    domain_with("qemu", "<vcpu>1</vcpu>", body)
}

/// A domain of that virt type with that `<vcpu>` element (or none, with "").
fn domain_with(virt: &str, vcpu: &str, body: &str) -> Domain {
    let xml = format!(
        "<domain type='{virt}'><name>t</name><memory>131072</memory>{vcpu}\
         <os><type arch='x86_64' machine='q35'>hvm</type></os>{body}\
         <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>"
    );
    Domain::read(&Document::parse(xml.as_bytes()).unwrap()).unwrap()
}

fn generate_with(body: &str, catalog: &Catalog) -> Result<LibvirtCpu, LibvirtError> {
    let dom = domain(body);
    let caps = QemuCaps::from_catalog(&dom, catalog);
    generate(&dom, &caps, &catalog.libvirt)
}

fn run(body: &str, catalog: &Catalog) -> Result<String, String> {
    generate_with(body, catalog)
        .map(|c| c.value().unwrap_or_default())
        .map_err(|e| e.message)
}

/// (libvirt 9.0's answer, libvirt 11.3's answer).
fn both(body: &str) -> (Result<String, String>, Result<String, String>) {
    (run(body, v9()), run(body, v11()))
}

fn ok(s: &str) -> Result<String, String> {
    Ok(s.to_string())
}

fn err(s: &str) -> Result<String, String> {
    Err(s.to_string())
}

#[test]
fn the_catalogs_name_their_release() {
    assert_eq!(v9().libvirt.release(), Version::new(9, 0, 0));
    assert_eq!(v11().libvirt.release(), Version::new(11, 3, 0));
}

#[test]
fn removed_features_and_versioned_models_follow_the_map() {
    let cpu =
        |m: &str| format!("<cpu mode='custom' match='exact' check='none'><model>{m}</model></cpu>");
    assert_eq!(
        both(&cpu("Skylake-Client")),
        (ok("Skylake-Client"), ok("Skylake-Client,mpx=off"))
    );
    assert_eq!(
        both(&cpu("Icelake-Server")),
        (
            ok("Icelake-Server,intel-pt=off"),
            ok("Icelake-Server,intel-pt=off,mpx=off")
        )
    );
    assert_eq!(
        both(&cpu("Skylake-Client-v4")),
        (
            err("internal error: Unknown CPU model Skylake-Client-v4"),
            ok("Skylake-Client-v4")
        )
    );
    // Removed features are not inherited by versioned names.
    assert_eq!(
        run(&cpu("Skylake-Client-v1"), v11()),
        ok("Skylake-Client-v1")
    );
}

/// libvirt 9.10.0: `vmx-*` features, `vmx-invvpid-single-context-noglobals` spelt as QEMU
/// spells it, and three vmx features QEMU never had dropped whatever their policy.
#[test]
fn vmx_features_translations_and_ignored_features() {
    let body = "<cpu mode='custom' match='exact' check='none'><model>qemu64</model>\
                <feature policy='require' name='vmx'/>\
                <feature policy='require' name='vmx-invvpid-single-context-noglobals'/>\
                <feature policy='disable' name='vmx-ept-uc'/>\
                <feature policy='require' name='vmx-invvpid-single-context'/>\
                <feature policy='require' name='pclmuldq'/></cpu>";
    assert_eq!(
        both(body),
        (
            err(
                "unsupported configuration: unknown CPU feature: vmx-invvpid-single-context-noglobals"
            ),
            ok("qemu64,vmx=on,vmx-invept-single-context-noglobals=on,pclmulqdq=on")
        )
    );
    let (old, new) = (Version::new(9, 0, 0), Version::new(11, 3, 0));
    assert!(ignored("osxsave", old) && ignored("osxsave", new));
    assert!(!ignored("vmx-ept-wb", old) && ignored("vmx-ept-wb", new));
    let noglobals = "vmx-invvpid-single-context-noglobals";
    assert_eq!(feature_to_qemu(noglobals, old), noglobals);
    assert_eq!(
        feature_to_qemu(noglobals, new),
        "vmx-invept-single-context-noglobals"
    );
    assert_eq!(
        feature_from_qemu("vmx-invept-single-context-noglobals", new),
        noglobals
    );
    assert_eq!(feature_to_qemu("hv-emsr_bitmap", new), "hv-emsr-bitmap");
    assert_eq!(feature_to_qemu("lahf_lm", old), "lahf-lm");
}

/// libvirt 11.3: a disabled feature QEMU does not know is skipped by the builder
/// (`qemuBuildCpuModelArgStr`), no longer removed from the definition at start.
#[test]
fn unknown_disabled_features_are_skipped_by_the_builder() {
    let body = "<cpu mode='custom' match='exact' check='none'><model>qemu64</model>\
                <feature policy='disable' name='pconfig'/><feature policy='forbid' name='cvt16'/>\
                <feature policy='require' name='avx'/></cpu>";
    assert_eq!(both(body), (ok("qemu64,avx=on"), ok("qemu64,avx=on")));
    let kept = |c: &Catalog| {
        let cpu = generate_with(body, c).unwrap();
        let features = cpu.prepared.unwrap().features;
        features.iter().any(|(n, _)| n == "pconfig")
    };
    assert!(!kept(v9()));
    assert!(kept(v11()));
    let body = "<cpu mode='custom' match='exact' check='none'><model>qemu64</model>\
                <feature policy='disable' name='vmx-ept'/><feature policy='forbid' name='avx512-vp2intersect'/>\
                <feature policy='disable' name='mpx'/><feature policy='disable' name='intel-pt'/>\
                <feature policy='disable' name='cmt'/><feature policy='disable' name='osxsave'/></cpu>";
    assert_eq!(
        run(body, v11()),
        ok("qemu64,vmx-ept=off,avx512-vp2intersect=off,mpx=off,intel-pt=off")
    );
    // Known to QEMU under its own spelling.
    let body = "<cpu mode='custom' match='exact' check='none'><model>qemu64</model>\
                <feature policy='disable' name='vmx-invvpid-single-context-noglobals'/></cpu>";
    assert_eq!(
        run(body, v11()),
        ok("qemu64,vmx-invept-single-context-noglobals=off")
    );
}

/// libvirt 9.3.0: `<maxphysaddr limit=…>` and `mode='emulate'` without bits.
#[test]
fn maxphysaddr_limit_and_emulate_without_bits() {
    let cpu =
        |addr: &str| format!("<cpu mode='custom' match='exact'><model>qemu64</model>{addr}</cpu>");
    assert_eq!(
        both(&cpu("<maxphysaddr mode='passthrough' limit='39'/>")),
        (
            ok("qemu64,host-phys-bits=on"),
            ok("qemu64,host-phys-bits=on,host-phys-bits-limit=39")
        )
    );
    assert_eq!(
        both("<cpu mode='maximum'><maxphysaddr mode='passthrough' limit=' +7'/></cpu>"),
        (
            ok("max,host-phys-bits=on"),
            ok("max,host-phys-bits=on,host-phys-bits-limit=7")
        )
    );
    assert_eq!(
        both(&cpu("<maxphysaddr mode='emulate'/>")),
        (
            err(
                "unsupported configuration: if using CPU maximum physical address mode='emulate', bits= must be specified too"
            ),
            ok("qemu64,host-phys-bits=off")
        )
    );
    assert_eq!(
        both(&cpu("<maxphysaddr mode='emulate' bits='0'/>")),
        (ok("qemu64,phys-bits=0"), ok("qemu64,host-phys-bits=off"))
    );
    assert_eq!(
        run(
            &cpu("<maxphysaddr mode='emulate' bits='40' limit='39'/>"),
            v11()
        ),
        err(
            "unsupported configuration: attribute 'limit' is only supported for maxphysaddr mode 'passthrough'"
        )
    );
    assert_eq!(
        run(&cpu("<maxphysaddr mode='passthrough' limit='0'/>"), v11()),
        err(
            "XML error: Invalid value for attribute 'limit' in element 'maxphysaddr': Zero is not permitted"
        )
    );
    assert_eq!(
        run(&cpu("<maxphysaddr mode='passthrough' limit='-1'/>"), v11()),
        err(
            "XML error: Invalid value for attribute 'limit' in element 'maxphysaddr': '-1'. Expected non-negative integer value"
        )
    );
}

/// libvirt 10.7.0 (`emsr_bitmap`, `xmm_input`) and 11.0.0 (`tlbflush` `direct`/`extended`,
/// passthrough mode not reading its children).
#[test]
fn new_hyperv_enlightenments() {
    let hv =
        |inner: &str| format!("<features><acpi/><hyperv mode='custom'>{inner}</hyperv></features>");
    assert_eq!(
        both(&hv(
            "<vpindex state='on'/><tlbflush state='on'><direct state='on'/><extended state='on'/></tlbflush>\
                  <emsr_bitmap state='on'/><xmm_input state='on'/>"
        )),
        (
            err("unsupported configuration: unsupported HyperV Enlightenment feature: emsr_bitmap"),
            ok(
                "qemu64,hv-vpindex=on,hv-tlbflush=on,hv-tlbflush-direct=on,hv-tlbflush-ext=on,hv-emsr-bitmap=on,hv-xmm-input=on"
            )
        )
    );
    assert_eq!(
        both(&hv("<tlbflush state='on'><bogus state='on'/></tlbflush>")),
        (
            ok("qemu64,hv-tlbflush=on"),
            err("unsupported configuration: unsupported Hyper-V tlbflush feature: bogus")
        )
    );
    assert_eq!(
        run(
            &hv("<tlbflush state='off'><bogus state='on'/></tlbflush>"),
            v11()
        ),
        ok("qemu64")
    );
    let passthrough = "<features><acpi/><hyperv mode='passthrough'><relaxed state='on'/>\
                       <spinlocks state='on' retries='4096'/></hyperv></features>";
    assert_eq!(
        both(passthrough),
        (
            ok("qemu64,hv-passthrough=on,hv-relaxed=on,hv-spinlocks=0x1000"),
            ok("qemu64,hv-passthrough=on")
        )
    );
    assert_eq!(
        both("<features><acpi/><hyperv mode='passthrough'><bogus state='on'/></hyperv></features>"),
        (
            err("unsupported configuration: unsupported HyperV Enlightenment feature: bogus"),
            ok("qemu64,hv-passthrough=on")
        )
    );
}

/// libvirt 11.3: `deprecated_features` is parsed, and refused on x86 at start.
#[test]
fn deprecated_features_are_refused() {
    let refused =
        err("unsupported configuration: toggling deprecated features for CPU model is unsupported");
    assert_eq!(
        both(
            "<cpu mode='custom' match='exact' deprecated_features='off'><model>qemu64</model></cpu>"
        ),
        (ok("qemu64"), refused.clone())
    );
    assert_eq!(
        both("<cpu mode='maximum' deprecated_features='on'/>"),
        (ok("max"), refused)
    );
    assert_eq!(
        run(
            "<cpu mode='custom' match='exact' deprecated_features='maybe'><model>qemu64</model></cpu>",
            v11()
        ),
        err(
            "XML error: Invalid value for attribute 'deprecated_features' in element 'cpu': 'maybe'."
        )
    );
}

/// libvirt 11.3: the `cpu-cache` capability is retired; the options are written without it.
#[test]
fn cache_options_do_not_ask_for_the_retired_capability() {
    let body =
        "<cpu mode='custom' match='exact'><model>qemu64</model><cache mode='disable'/></cpu>";
    let without_cap = |c: &Catalog| {
        let dom = domain(body);
        let caps = QemuCaps {
            cpu_cache: false,
            ..QemuCaps::from_catalog(&dom, c)
        };
        generate(&dom, &caps, &c.libvirt).unwrap().value().unwrap()
    };
    assert_eq!(without_cap(v9()), "qemu64");
    assert_eq!(without_cap(v11()), "qemu64,l3-cache=off");
}

/// libvirt 10.4.0 `<ras>`, 10.7.0 `<ps2>`: features 9.0 does not know.
#[test]
fn newer_domain_features_are_known() {
    assert_eq!(
        both("<features><acpi/><ps2 state='off'/></features>"),
        (
            err("unsupported configuration: unexpected feature 'ps2'"),
            ok("qemu64")
        )
    );
}

/// Caps of the 11.3 catalog whose QEMU reports `host` as the host CPU (QEMU's expansion) and
/// the given usability and blockers.
fn check_caps(models: &[(&str, Option<bool>, &[&str])]) -> QemuCaps {
    let mut caps = QemuCaps::from_catalog(&domain(""), v11());
    let offered = caps.models.as_mut().unwrap();
    for (name, usable, blockers) in models {
        let m: &mut OfferedModel = offered.iter_mut().find(|m| m.name == *name).unwrap();
        m.usable = *usable;
        m.blockers = blockers.iter().map(|b| b.to_string()).collect();
    }
    caps.host_cpu = Some(HostCpu {
        model: "qemu64".into(),
        vendor: Some("AMD".into()),
        features: vec![("svm".into(), true)],
    });
    caps.host_model = caps.host_cpu.clone();
    caps.host_from_qemu = true;
    caps
}

fn partial(model: &str, features: &str) -> Domain {
    domain(&format!(
        "<cpu mode='custom' match='exact' check='partial'><model>{model}</model>{features}</cpu>"
    ))
}

/// libvirt 11.3 (`qemuDomainCheckCPU`): a usable model passes; a map model with
/// `<check partial='compat'/>` is compared with the host CPU; any other by QEMU's blockers.
#[test]
fn check_partial_trusts_qemu_unless_the_model_asks_for_compat() {
    let caps = check_caps(&[
        ("Opteron_G5", Some(false), &["misalignsse", "xop"]),
        (
            "Opteron_G5-v1",
            Some(false),
            &["misalignsse", "xop", "fma4"],
        ),
        ("Opteron_G4", Some(true), &[]),
    ]);
    let start = |dom: &Domain| {
        generate(dom, &caps, &v11().libvirt)
            .map(|c| c.value().unwrap())
            .map_err(|e| e.message)
    };
    assert!(v11().libvirt.model("Opteron_G5").unwrap().check_compat);
    assert!(!v11().libvirt.model("Opteron_G5-v1").unwrap().check_compat);
    // Compat: libvirt's own comparison (x86Compute), features in map order.
    let compat = start(&partial("Opteron_G5", "")).unwrap_err();
    assert!(
        compat.starts_with(
            "the CPU is incompatible with host CPU: Host CPU does not provide required features: "
        ),
        "{compat}"
    );
    assert!(
        compat.contains("fma4") && compat.contains("sse4.1"),
        "{compat}"
    );
    // Blockers: QEMU's list (less the disabled ones), then required features the host lacks.
    assert_eq!(
        start(&partial(
            "Opteron_G5-v1",
            "<feature policy='disable' name='xop'/><feature policy='require' name='avx512f'/>\
             <feature policy='require' name='svm'/>"
        )),
        err(
            "the CPU is incompatible with host CPU: Host CPU does not provide required features: misalignsse, fma4, avx512f"
        )
    );
    // A usable model with nothing but disabled features passes without any comparison.
    assert_eq!(
        start(&partial(
            "Opteron_G4",
            "<feature policy='disable' name='xop'/>"
        )),
        ok("Opteron_G4,xop=off")
    );
    // Any other feature makes it go through the comparison (compat: libvirt's own).
    assert!(
        start(&partial(
            "Opteron_G4",
            "<feature policy='require' name='svm'/>"
        ))
        .is_err()
    );
    // Without QEMU's host CPU the blockers are not trusted.
    let mut probed = caps.clone();
    probed.host_from_qemu = false;
    let own = generate(&partial("Opteron_G5-v1", ""), &probed, &v11().libvirt)
        .unwrap_err()
        .message;
    assert!(own.contains("sse4.1"), "{own}");
}

#[test]
fn probed_host_cpu_becomes_the_host_model() {
    let probed = HostCpu {
        model: "Haswell".into(),
        vendor: Some("Intel".into()),
        features: ["vme", "osxsave", "cmt", "vmx-ept-uc", "invtsc", "xsaves"]
            .iter()
            .map(|f| (f.to_string(), true))
            .collect(),
    };
    let names = |cpu: &HostCpu| {
        cpu.features
            .iter()
            .map(|(n, _)| n.clone())
            .collect::<Vec<_>>()
    };
    let caps = QemuCaps::from_catalog(&domain(""), v11());
    let (reported, migratable) = host_models_from_probed_cpu(&probed, &caps, &v11().libvirt);
    assert_eq!(names(&reported), ["vme", "invtsc", "xsaves"]);
    assert_eq!(names(&migratable), ["vme"]);
    let (reported, _) = host_models_from_probed_cpu(&probed, &caps, &v9().libvirt);
    assert_eq!(names(&reported), ["vme", "vmx-ept-uc", "invtsc", "xsaves"]);
}

/// Not a change (libvirt 9.0 has it too): `virDomainNumaDefNodeDistanceParseXML`.
#[test]
fn numa_distances_name_existing_cells() {
    let numa = |distances: &str| {
        format!(
            "<cpu><numa><cell id='1' cpus='0' memory='65536'>{distances}</cell>\
             <cell id='0' memory='65536'/></numa></cpu>"
        )
    };
    for c in [v9(), v11()] {
        assert_eq!(
            run(
                &numa(
                    "<distances><sibling id='1' value='10'/><sibling id='0' value='21'/></distances>"
                ),
                c
            ),
            ok("qemu64")
        );
        assert_eq!(
            run(
                &numa("<distances><sibling id='2' value='10'/></distances>"),
                c
            ),
            err("XML error: 'sibling_id 2' does not refer to a valid cell within NUMA 'cell id 1'")
        );
        assert_eq!(
            run(
                &numa("<distances><sibling id='1' value='20'/></distances>"),
                c
            ),
            err("XML error: 'value 20' is invalid for 'sibling id 1' under NUMA 'cell id 1'")
        );
        assert_eq!(
            run(&numa("<distances/>"), c),
            err("XML error: NUMA distances defined without siblings")
        );
        assert_eq!(
            run(&numa("<distances><sibling value='20'/></distances>"), c),
            err("XML error: Missing required attribute 'id' in element 'sibling'")
        );
    }
}

/// Not a rule of libvirt's: machine aliases resolve to the QEMU release's machine types.
#[test]
fn messages_quote_the_machine_type_of_the_qemu_release() {
    let body = "<clock offset='utc'><timer name='armvtimer' tickpolicy='discard'/></clock>";
    let message = |m: &str| {
        format!(
            "unsupported configuration: Configuring the 'armvtimer' timer is not supported for virtType=qemu arch=x86_64 machine={m} guests"
        )
    };
    assert_eq!(
        both(body),
        (Err(message("pc-q35-7.2")), Err(message("pc-q35-10.0")))
    );
}

fn run_with(virt: &str, vcpu: &str, body: &str, catalog: &Catalog) -> Result<String, String> {
    let dom = domain_with(virt, vcpu, body);
    let caps = QemuCaps::from_catalog(&dom, catalog);
    generate(&dom, &caps, &catalog.libvirt)
        .map(|c| c.value().unwrap_or_default())
        .map_err(|e| e.message)
}

/// `qemuValidateDomainVCpuTopology`, `virCPUDefParseXML`'s `<topology>`, `virDomainVcpuParse`,
/// the NUMA-vs-`<vcpu>` check of `virDomainDefParseXML` and `qemuDomainDefVcpusPostParse`: the
/// same in both releases but for `clusters` (11.3). Each answer was checked against both
/// daemons (`virsh domxml-to-native qemu-argv`).
#[test]
fn vcpu_count_and_topology() {
    const MISMATCH: &str =
        "unsupported configuration: CPU topology doesn't match maximum vcpu count";
    let epyc = |t: &str| format!("<cpu mode='custom' match='exact'><model>EPYC</model>{t}</cpu>");
    let topo = |t: &str| format!("<cpu>{t}</cpu>");
    for c in [v9(), v11()] {
        // The report: 1 vCPU, a topology of 4.
        let body = epyc("<topology sockets='1' dies='1' cores='2' threads='2'/>");
        assert_eq!(run_with("qemu", "<vcpu>1</vcpu>", &body, c), err(MISMATCH));
        assert!(run_with("qemu", "<vcpu>4</vcpu>", &body, c).is_ok());
        // No <vcpu> is one vCPU.
        assert_eq!(run_with("qemu", "", &body, c), err(MISMATCH));
        // Validation comes before the start's host comparison: on KVM a CPU the host lacks
        // is reported only once the topology is right.
        let kvm = epyc(
            "<feature policy='require' name='avx512f'/><topology sockets='1' dies='1' cores='2' threads='2'/>",
        );
        assert_eq!(run_with("kvm", "<vcpu>1</vcpu>", &kvm, c), err(MISMATCH));
        // `current` does not count: the maximum must match.
        let t4 = topo("<topology sockets='1' cores='2' threads='2'/>");
        assert_eq!(
            run_with("qemu", "<vcpu current='2'>4</vcpu>", &t4, c),
            ok("qemu64")
        );
        assert_eq!(
            run_with("qemu", "<vcpu current='5'>4</vcpu>", &t4, c),
            err(
                "unsupported configuration: maximum vCPU count must not be less than current vCPU count"
            )
        );
        assert_eq!(
            run_with("qemu", "<vcpu current='0'>2</vcpu>", "", c),
            err("unsupported configuration: vcpu 0 can't be offline")
        );
        assert_eq!(
            run_with("qemu", "<vcpu current='x'>4</vcpu>", "", c),
            err(
                "XML error: Invalid value for attribute 'current' in element 'vcpu': 'x'. Expected non-negative integer value"
            )
        );
        // `virStrToLong_ui`: leading white space only.
        assert_eq!(run_with("qemu", "<vcpu> 4</vcpu>", "", c), ok("qemu64"));
        for bad in ["x", "4 ", ""] {
            assert_eq!(
                run_with("qemu", &format!("<vcpu>{bad}</vcpu>"), "", c),
                err("XML error: maximum vcpus count must be an integer")
            );
        }
        // No vCPU: the NUMA check of the parser sees CPU id 0 past the count.
        assert_eq!(
            run_with("qemu", "<vcpu>0</vcpu>", "", c),
            err("internal error: CPU IDs in <numa> exceed the <vcpu> count")
        );
        let cells = topo(
            "<numa><cell id='0' cpus='0-1' memory='65536'/><cell id='1' cpus='2,^2,3' memory='65536'/></numa>",
        );
        assert_eq!(
            run_with("qemu", "<vcpu>2</vcpu>", &cells, c),
            err("internal error: Number of CPUs in <numa> exceeds the <vcpu> count")
        );
        assert_eq!(
            run_with("qemu", "<vcpu>3</vcpu>", &cells, c),
            err("internal error: CPU IDs in <numa> exceed the <vcpu> count")
        );
        assert_eq!(run_with("qemu", "<vcpu>4</vcpu>", &cells, c), ok("qemu64"));
        // The attributes: required, non-zero, `dies` defaults to one.
        assert_eq!(
            run_with(
                "qemu",
                "<vcpu>4</vcpu>",
                &topo("<topology sockets='1' cores='2'/>"),
                c
            ),
            err("XML error: Missing required attribute 'threads' in element 'topology'")
        );
        assert_eq!(
            run_with(
                "qemu",
                "<vcpu>4</vcpu>",
                &topo("<topology sockets='1' dies='0' cores='2' threads='2'/>"),
                c
            ),
            err(
                "XML error: Invalid value for attribute 'dies' in element 'topology': Zero is not permitted"
            )
        );
        assert_eq!(
            run_with(
                "qemu",
                "<vcpu>4</vcpu>",
                &topo("<topology sockets='one' cores='2' threads='2'/>"),
                c
            ),
            err(
                "XML error: Invalid value for attribute 'sockets' in element 'topology': 'one'. Expected non-negative integer value"
            )
        );
        assert_eq!(
            run_with(
                "qemu",
                "<vcpu>4</vcpu>",
                &topo("<topology sockets='65536' cores='65536' threads='2'/>"),
                c
            ),
            err("unsupported configuration: cpu topology results in more than 4294967295 cpus")
        );
        // The parser reads `mode` first, and only the first <topology>.
        assert_eq!(
            run_with(
                "qemu",
                "<vcpu>4</vcpu>",
                "<cpu mode='bogus'><topology sockets='0' cores='2' threads='2'/></cpu>",
                c
            ),
            err("unsupported configuration: Invalid mode attribute 'bogus'")
        );
        assert_eq!(
            run_with(
                "qemu",
                "<vcpu>4</vcpu>",
                &topo(
                    "<topology sockets='1' cores='2' threads='2'/><topology sockets='1' cores='1' threads='1'/>"
                ),
                c
            ),
            ok("qemu64")
        );
    }
    // `clusters`: ignored by 9.0, a factor for 11.3.
    let clusters = topo("<topology sockets='1' clusters='2' cores='2' threads='2'/>");
    assert_eq!(
        run_with("qemu", "<vcpu>4</vcpu>", &clusters, v9()),
        ok("qemu64")
    );
    assert_eq!(
        run_with("qemu", "<vcpu>4</vcpu>", &clusters, v11()),
        err(MISMATCH)
    );
    assert_eq!(
        run_with("qemu", "<vcpu>8</vcpu>", &clusters, v9()),
        err(MISMATCH)
    );
    assert_eq!(
        run_with("qemu", "<vcpu>8</vcpu>", &clusters, v11()),
        ok("qemu64")
    );
}

/// Offline (no host facts), the start's comparison with the host CPU cannot be made: the value
/// stands and the check is noted as not made — not passed. libvirt 11.3 decides a model QEMU
/// reports usable under TCG without the host (`qemuDomainCheckCPU`), so qemu64 needs no note.
#[test]
fn host_comparison_without_the_host_is_noted() {
    let unchecked = |virt: &str, cpu: &str, c: &Catalog| {
        let dom = domain_with(virt, "<vcpu>1</vcpu>", cpu);
        let caps = QemuCaps::from_catalog(&dom, c);
        let out = generate(&dom, &caps, &c.libvirt).unwrap();
        assert!(out.value().is_some());
        out.unchecked
            .iter()
            .map(|u| u.message.clone())
            .collect::<Vec<_>>()
    };
    let skylake =
        "<cpu mode='custom' match='exact' check='partial'><model>Skylake-Client</model></cpu>";
    for c in [v9(), v11()] {
        let notes = unchecked("qemu", skylake, c);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("(check='partial')"), "{notes:?}");
        assert!(notes[0].contains("--host-caps FILE"), "{notes:?}");
        // KVM custom CPUs are checked by default.
        let kvm = unchecked("kvm", "<cpu><model>Skylake-Client</model></cpu>", c);
        assert!(
            kvm[0].contains("the default for a KVM guest's custom CPU"),
            "{kvm:?}"
        );
        // check='none', and TCG's default, compare nothing.
        assert!(unchecked("qemu", "<cpu><model>Skylake-Client</model></cpu>", c).is_empty());
        assert!(
            unchecked(
                "kvm",
                "<cpu check='none'><model>Skylake-Client</model></cpu>",
                c
            )
            .is_empty()
        );
        // check='full' compares only forbidden features before the start.
        let full =
            "<cpu check='full'><model>qemu64</model><feature policy='forbid' name='sse2'/></cpu>";
        assert!(unchecked("qemu", full, c)[0].contains("none of its forbidden features"));
        assert!(unchecked("qemu", "<cpu check='full'><model>qemu64</model></cpu>", c).is_empty());
    }
    let qemu64 = "<cpu match='exact' check='partial'><model>qemu64</model></cpu>";
    assert_eq!(unchecked("qemu", qemu64, v9()).len(), 1);
    assert!(unchecked("qemu", qemu64, v11()).is_empty());
    // With a host the comparison is made (and here refuses).
    let dom = domain_with("qemu", "<vcpu>1</vcpu>", skylake);
    let caps = QemuCaps {
        host_cpu: Some(HostCpu {
            model: "qemu64".into(),
            vendor: None,
            features: Vec::new(),
        }),
        ..QemuCaps::from_catalog(&dom, v9())
    };
    let e = generate(&dom, &caps, &v9().libvirt).unwrap_err();
    assert!(
        e.message.starts_with(
            "the CPU is incompatible with host CPU: Host CPU does not provide required features"
        ),
        "{}",
        e.message
    );
}
