//! Decoding and translation checked against libvirt 9.0: the observations of semantics doc
//! §2.4 / §11 (QEMU 7.2, TCG) and libvirt's own `cpu-fallback` / `cpu-host-model-fallback`
//! tests. Inputs only are given here (QEMU's model list, the host CPU); every answer comes from
//! the decoder and libvirt's map.

use super::*;
use crate::argv::libvirt::generate;
use crate::catalog::Catalog;
use crate::catalog::names::qemu_to_libvirt;
use crate::domain::Domain;
use crate::xml::Document;

/// QEMU 7.2's CPU definitions under TCG, with the features blocking each model.
const QEMU_72_TCG: &str = include_str!("qemu-7.2-tcg-cpu-definitions.txt");

/// The same for `qemu-system-i386`, and QEMU's expansions of the TCG host CPU (`max`).
const QEMU_I386_72_TCG: &str = include_str!("qemu-i386-7.2-tcg-cpu-definitions.txt");
const QEMU_72_TCG_HOST: &str = include_str!("qemu-7.2-tcg-host-expansion.txt");
const QEMU_I386_72_TCG_HOST: &str = include_str!("qemu-i386-7.2-tcg-host-expansion.txt");

/// The host-model string `H` of semantics doc §11 (QEMU 7.2 TCG), as libvirt's host-model CPU.
const H: &str = "EPYC,acpi=on,ss=on,monitor=on,hypervisor=on,erms=on,mpx=on,pcommit=on,clwb=on,umip=on,pku=on,vaes=on,la57=on,pks=on,3dnowext=on,3dnow=on,npt=on,vgif=on,svme-addr-chk=on,vme=off,rdseed=off,sha-ni=off,xsavec=off,fxsr-opt=off,misalignsse=off,3dnowprefetch=off,osvw=off,topoext=off,nrip-save=off";

fn map() -> &'static LibvirtMap {
    &Catalog::embedded().libvirt
}

fn offered(name: &str, blockers: &[&str]) -> OfferedModel {
    OfferedModel {
        name: name.into(),
        usable: Some(blockers.is_empty()),
        deprecated: false,
        blockers: blockers.iter().map(|b| b.to_string()).collect(),
    }
}

/// A host CPU written as a `-cpu` value (QEMU spelling).
fn host_from_arg(arg: &str, vendor: &str) -> HostCpu {
    let mut parts = arg.split(',');
    let model = parts.next().unwrap().to_string();
    let features = parts
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap();
            (qemu_to_libvirt(name).to_string(), value == "on")
        })
        .collect();
    HostCpu {
        model,
        vendor: Some(vendor.into()),
        features,
    }
}

/// A CPU definition list (`NAME [BLOCKER...]` lines).
fn offered_models(text: &str) -> Vec<OfferedModel> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut words = l.split_whitespace();
            let name = words.next().unwrap();
            offered(name, &words.collect::<Vec<_>>())
        })
        .collect()
}

/// A host CPU expansion (`NAME TYPE VALUE [MIGRATABLE]` lines; string values with spaces are
/// JSON-quoted).
fn expansion(text: &str) -> Vec<QemuCpuProperty> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (name, rest) = l.split_once(' ').unwrap();
            let (kind, rest) = rest.split_once(' ').unwrap();
            let (value, migratable) = if let Some(quoted) = rest.strip_prefix('"') {
                let end = quoted.find('"').unwrap();
                (quoted[..end].to_string(), None)
            } else {
                let mut words = rest.split(' ');
                (
                    words.next().unwrap().to_string(),
                    words.next().map(|m| m == "yes"),
                )
            };
            let value = match kind {
                "boolean" => QemuPropertyValue::Boolean(value == "true"),
                "number" => QemuPropertyValue::Number(value.parse().unwrap()),
                _ => QemuPropertyValue::String(value),
            };
            QemuCpuProperty {
                name: name.into(),
                value,
                migratable,
            }
        })
        .collect()
}

/// libvirt 9.0 with QEMU 7.2 under TCG, as in semantics doc §11.
fn qemu72_tcg() -> QemuCaps {
    let models = offered_models(QEMU_72_TCG);
    QemuCaps {
        default_model: Some("qemu64".into()),
        cpu_migratable: true,
        cpu_cache: true,
        cpu_unavailable_features: true,
        cpu_max: true,
        models: Some(models),
        host_model: Some(host_from_arg(H, "AMD")),
        host_cpu: None,
        host_cpuid: None,
        host_from_qemu: false,
        qemu_version: None,
        known_features: None,
        domcaps: None,
    }
}

/// The synthetic capabilities of libvirt's qemuxml2argv harness (`testAddCPUModels`) with its
/// default host CPU (`cpuDefaultData`, a core2duo).
fn harness_caps(legacy_models: bool) -> QemuCaps {
    let mut names = vec![
        "Opteron_G3",
        "Opteron_G2",
        "Opteron_G1",
        "Nehalem",
        "Penryn",
        "Conroe",
        "Haswell-noTSX",
        "Haswell",
    ];
    if legacy_models {
        names.extend([
            "n270", "athlon", "pentium3", "pentium2", "pentium", "486", "coreduo", "kvm32",
            "qemu32", "kvm64", "core2duo", "phenom", "qemu64",
        ]);
    }
    let host = HostCpu {
        model: "core2duo".into(),
        vendor: Some("Intel".into()),
        features: [
            "ds", "acpi", "ss", "ht", "tm", "pbe", "ds_cpl", "vmx", "est", "tm2", "cx16", "xtpr",
            "lahf_lm",
        ]
        .iter()
        .map(|f| (f.to_string(), true))
        .collect(),
    };
    QemuCaps {
        models: Some(
            names
                .iter()
                .map(|n| OfferedModel {
                    name: n.to_string(),
                    usable: None,
                    deprecated: false,
                    blockers: vec![],
                })
                .collect(),
        ),
        host_model: Some(host.clone()),
        host_cpu: Some(host),
        host_cpuid: None,
        host_from_qemu: false,
        qemu_version: None,
        ..QemuCaps::default()
    }
}

/// The `-cpu` value (or libvirt's error) for a domain with this `<cpu>` element.
fn run(virt_type: &str, cpu: &str, caps: &QemuCaps) -> Result<String, String> {
    run_arch(virt_type, "x86_64", cpu, caps)
}

fn run_arch(virt_type: &str, arch: &str, cpu: &str, caps: &QemuCaps) -> Result<String, String> {
    let xml = format!(
        "<domain type='{virt_type}'><name>t</name><memory unit='KiB'>262144</memory><vcpu>2</vcpu>\
         <os><type arch='{arch}' machine='q35'>hvm</type></os>{cpu}</domain>"
    );
    let doc = Document::parse(xml.as_bytes()).unwrap();
    let dom = Domain::read(&doc).unwrap();
    match generate(&dom, caps, map()) {
        Ok(c) => Ok(c.value().unwrap_or_default()),
        Err(e) => Err(e.message),
    }
}

fn tcg(cpu: &str) -> Result<String, String> {
    run("qemu", cpu, &qemu72_tcg())
}

#[test]
fn pentiumpro_becomes_qemu32() {
    assert_eq!(
        tcg("<cpu><model>pentiumpro</model></cpu>").unwrap(),
        "qemu32,pni=off"
    );
}

#[test]
fn fallback_forbid_refuses_a_model_qemu_does_not_offer() {
    for model in [
        "pentiumpro",
        "cpu64-rhel5",
        "cpu64-rhel6",
        "Icelake-Client",
        "Icelake-Client-noTSX",
    ] {
        assert_eq!(
            tcg(&format!(
                "<cpu><model fallback='forbid'>{model}</model></cpu>"
            ))
            .unwrap_err(),
            format!("unsupported configuration: CPU model {model} is not supported by hypervisor")
        );
    }
}

#[test]
fn cpu64_rhel6_becomes_kvm64() {
    assert_eq!(
        tcg("<cpu><model>cpu64-rhel6</model></cpu>").unwrap(),
        "kvm64,lahf-lm=on"
    );
}

#[test]
fn cpu64_rhel5_with_disabled_svm_becomes_opteron_g1() {
    assert_eq!(
        tcg("<cpu><model>cpu64-rhel5</model><feature policy='disable' name='svm'/></cpu>").unwrap(),
        "Opteron_G1,svm=off"
    );
}

#[test]
fn translated_features_update_in_place_or_append() {
    let cpu = "<cpu><model>pentiumpro</model><feature policy='require' name='pni'/>\
               <feature policy='disable' name='pse36'/><feature policy='require' name='vmx'/></cpu>";
    assert_eq!(tcg(cpu).unwrap(), "qemu32,vmx=on,pni=on,pse36=off");
}

#[test]
fn icelake_client_notsx_becomes_ivybridge_with_blockers_disabled() {
    assert_eq!(
        tcg("<cpu><model>Icelake-Client-noTSX</model></cpu>").unwrap(),
        "IvyBridge,fma=on,pcid=on,movbe=on,arat=on,bmi1=on,avx2=on,bmi2=on,invpcid=on,mpx=on,rdseed=on,adx=on,smap=on,\
         avx512vbmi=on,umip=on,pku=on,avx512vbmi2=on,gfni=on,vaes=on,vpclmulqdq=on,avx512vnni=on,avx512bitalg=on,\
         avx512-vpopcntdq=on,spec-ctrl=on,ssbd=on,xsaveopt=on,xsavec=on,xgetbv1=on,abm=on,3dnowprefetch=on,wbnoinvd=on,\
         x2apic=off,tsc-deadline=off,intel-pt=off"
    );
}

#[test]
fn offered_models_are_not_translated() {
    assert_eq!(
        tcg("<cpu><model>Westmere</model></cpu>").unwrap(),
        "Westmere"
    );
}

/// libvirt's `cpu-fallback` test: Westmere is not among the harness's models.
#[test]
fn libvirt_cpu_fallback() {
    let cpu = "<cpu match='exact'><model>Westmere</model><feature policy='disable' name='sse4.1'/>\
               <feature policy='disable' name='sse4.2'/><feature policy='disable' name='popcnt'/>\
               <feature policy='disable' name='aes'/></cpu>";
    assert_eq!(
        run("kvm", cpu, &harness_caps(true)).unwrap(),
        "Conroe,cx16=on,sse4.1=off,sse4.2=off,popcnt=off,aes=off"
    );
}

/// libvirt's `cpu-host-model-fallback` test: the host model core2duo is not offered
/// (`FLAG_SKIP_LEGACY_CPUS`), so the host-model CPU is translated.
#[test]
fn libvirt_cpu_host_model_fallback() {
    assert_eq!(
        run("qemu", "<cpu mode='host-model'/>", &harness_caps(false)).unwrap(),
        "Conroe,vme=on,ds=on,acpi=on,ss=on,ht=on,tm=on,pbe=on,monitor=on,ds-cpl=on,vmx=on,est=on,tm2=on,cx16=on,xtpr=on,lahf-lm=on"
    );
}

#[test]
fn nothing_suitable_is_libvirts_error() {
    // No model of the map is offered.
    let caps = QemuCaps {
        models: Some(vec![offered("max", &[])]),
        ..qemu72_tcg()
    };
    let err = translate("pentiumpro", &[], caps.models.as_deref(), map()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "internal error: Cannot find suitable CPU model for given data"
    );
}

#[test]
fn signatures_round_trip() {
    for (f, m, s) in [(6, 85, 7), (23, 113, 0), (15, 6, 1), (25, 1, 1)] {
        assert_eq!(split_signature(make_signature(f, m, s)), (f, m, s));
    }
    let sig = Signature {
        family: 6,
        model: 85,
        stepping: Some("5-7".into()),
    };
    assert!(signatures_match(
        std::slice::from_ref(&sig),
        make_signature(6, 85, 6)
    ));
    assert!(!signatures_match(
        std::slice::from_ref(&sig),
        make_signature(6, 85, 4)
    ));
    assert_eq!(split_signature(signature_to_cpuid(&sig)), (6, 85, 5));
}

#[test]
fn disabled_feature_penalty_follows_libvirt() {
    let list = |on: usize, off: usize| -> Vec<(String, Policy)> {
        (0..on)
            .map(|i| (format!("a{i}"), Policy::Require))
            .chain((0..off).map(|i| (format!("d{i}"), Policy::Disable)))
            .collect()
    };
    assert_eq!(weigh(&list(3, 0), CpuType::Guest), (3, 0));
    assert_eq!(weigh(&list(0, 1), CpuType::Guest), (2, 2));
    // 10 enabled + 4 disabled: the shrinking bound sees two of the disabled ones.
    assert_eq!(weigh(&list(10, 4), CpuType::Guest), (12 + 2 + 3, 5));
    assert_eq!(weigh(&list(10, 4), CpuType::Host), (14, 0));
}

/// `host_model_from_qemu_properties` on a hand-made expansion: Westmere plus `vmx` and one
/// non-migratable property.
#[test]
fn host_model_from_properties_drops_non_migratable_and_decodes() {
    let map = map();
    let westmere = map.model("Westmere").unwrap();
    let mut props: Vec<QemuCpuProperty> = westmere
        .features
        .iter()
        .map(|f| QemuCpuProperty {
            name: crate::catalog::names::libvirt_to_qemu(f).into(),
            value: QemuPropertyValue::Boolean(true),
            migratable: Some(true),
        })
        .collect();
    props.push(QemuCpuProperty {
        name: "invtsc".into(),
        value: QemuPropertyValue::Boolean(true),
        migratable: Some(false),
    });
    props.push(QemuCpuProperty {
        name: "vmx".into(),
        value: QemuPropertyValue::Boolean(true),
        migratable: Some(true),
    });
    props.push(QemuCpuProperty {
        name: "ia64".into(),
        value: QemuPropertyValue::Boolean(false),
        migratable: None,
    });
    props.push(QemuCpuProperty {
        name: "vendor".into(),
        value: QemuPropertyValue::String("GenuineIntel".into()),
        migratable: None,
    });
    props.push(QemuCpuProperty {
        name: "family".into(),
        value: QemuPropertyValue::Number(6),
        migratable: None,
    });
    props.push(QemuCpuProperty {
        name: "model".into(),
        value: QemuPropertyValue::Number(44),
        migratable: None,
    });
    let caps = QemuCaps {
        models: None,
        cpu_unavailable_features: true,
        ..QemuCaps::default()
    };
    let mig = host_model_from_qemu_properties(&props, true, true, &caps, map).unwrap();
    assert_eq!(mig.model, "Westmere");
    assert_eq!(mig.vendor.as_deref(), Some("Intel"));
    assert_eq!(mig.features, vec![("vmx".to_string(), true)]);
    let full = host_model_from_qemu_properties(&props, true, false, &caps, map).unwrap();
    assert!(full.features.contains(&("invtsc".to_string(), true)));
    let bad = QemuCpuProperty {
        name: "vendor".into(),
        value: QemuPropertyValue::String("Intel".into()),
        migratable: None,
    };
    assert_eq!(
        host_model_from_qemu_properties(&[bad], true, true, &caps, map)
            .unwrap_err()
            .to_string(),
        "internal error: Invalid CPU vendor string 'Intel'"
    );
}

/// QEMU 7.2's own TCG host CPU, decoded, is libvirt's host model `H` (§11).
#[test]
fn qemu72_tcg_host_expansion_decodes_to_h() {
    let caps = qemu72_tcg();
    let host =
        host_model_from_qemu_properties(&expansion(QEMU_72_TCG_HOST), true, true, &caps, map())
            .unwrap();
    assert_eq!(host, host_from_arg(H, "AMD"));
    // And the host-model CPU built from it.
    let caps = QemuCaps {
        host_model: Some(host),
        ..caps
    };
    assert_eq!(
        run(
            "qemu",
            "<cpu mode='host-model'><model fallback='forbid'/></cpu>",
            &caps
        )
        .unwrap(),
        H
    );
}

/// `qemu-system-i386` (no `cpu-unavailable-features`, no 64-bit features): the i686
/// host-model CPU of §11.
#[test]
fn qemu_i386_72_tcg_host_model() {
    let mut caps = QemuCaps {
        default_model: Some("qemu32".into()),
        cpu_migratable: false,
        cpu_cache: true,
        cpu_unavailable_features: false,
        cpu_max: true,
        models: Some(offered_models(QEMU_I386_72_TCG)),
        host_model: None,
        host_cpu: None,
        host_cpuid: None,
        host_from_qemu: false,
        qemu_version: None,
        known_features: None,
        domcaps: None,
    };
    caps.host_model = Some(
        host_model_from_qemu_properties(
            &expansion(QEMU_I386_72_TCG_HOST),
            true,
            true,
            &caps,
            map(),
        )
        .unwrap(),
    );
    assert_eq!(
        run_arch("qemu", "i686", "<cpu mode='host-model'/>", &caps).unwrap(),
        "Opteron_G2,acpi=on,ss=on,pclmulqdq=on,monitor=on,ssse3=on,fma=on,sse4.1=on,sse4.2=on,movbe=on,popcnt=on,aes=on,\
         xsave=on,avx=on,f16c=on,rdrand=on,hypervisor=on,arat=on,fsgsbase=on,bmi1=on,avx2=on,smep=on,bmi2=on,erms=on,\
         mpx=on,adx=on,smap=on,pcommit=on,clflushopt=on,clwb=on,umip=on,pku=on,vaes=on,la57=on,pks=on,xsaveopt=on,\
         xgetbv1=on,mmxext=on,pdpe1gb=on,3dnowext=on,3dnow=on,cr8legacy=on,abm=on,sse4a=on,npt=on,vgif=on,\
         svme-addr-chk=on,syscall=off,lm=off"
    );
}
