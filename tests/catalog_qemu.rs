//! The embedded catalog is what the installed QEMU and libvirt report: regenerate it with the
//! same code path `virt-cpu catalog refresh` uses and compare. Fails when the committed catalog
//! is stale (run `virt-cpu catalog refresh --output assets/catalog`).

mod common;

use std::collections::BTreeSet;
use virt_cpu::catalog::refresh::{self, Sources};
use virt_cpu::catalog::{Catalog, QemuCatalog, QemuModel};
use virt_cpu::host::SystemRunner;

fn fresh() -> Option<Catalog> {
    if !common::require_program("qemu-system-x86_64") {
        return None;
    }
    Some(
        refresh::refresh(&SystemRunner, &Sources::default())
            .expect("refresh from the installed QEMU"),
    )
}

fn feature_names(q: &QemuCatalog, m: &QemuModel) -> BTreeSet<String> {
    q.names(&m.features)
        .into_iter()
        .map(str::to_string)
        .collect()
}

#[test]
fn embedded_catalog_matches_installed_qemu_and_libvirt() {
    let Some(fresh) = fresh() else { return };
    let embedded = Catalog::embedded();
    let (e, f) = (&embedded.qemu, &fresh.qemu);
    let hint =
        "the committed catalog is stale: run `virt-cpu catalog refresh --output assets/catalog`";
    assert_eq!(e.version, f.version, "QEMU version; {hint}");
    let names = |q: &QemuCatalog| {
        q.models
            .iter()
            .map(|m| m.name.clone())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(names(e), names(f), "model set; {hint}");
    let feats = |q: &QemuCatalog| {
        q.features
            .iter()
            .map(|x| (x.name.clone(), x.aliases.clone(), x.libvirt.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(feats(e), feats(f), "feature table; {hint}");
    let props = |q: &QemuCatalog| {
        q.properties
            .iter()
            .map(|p| (p.name.clone(), p.qom_type.clone(), p.aliases.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(props(e), props(f), "property table; {hint}");
    for fm in &f.models {
        let em = e.model(&fm.name).unwrap();
        assert_eq!(
            feature_names(e, em),
            feature_names(f, fm),
            "features of {}; {hint}",
            fm.name
        );
        assert_eq!(em.alias_of, fm.alias_of, "alias of {}; {hint}", fm.name);
        assert_eq!(
            em.deprecated, fm.deprecated,
            "deprecation of {}; {hint}",
            fm.name
        );
        assert_eq!(
            e.names(&em.tcg_features),
            f.names(&fm.tcg_features),
            "TCG features of {}; {hint}",
            fm.name
        );
        assert_eq!(
            (&em.vendor, em.family, em.model, em.stepping, &em.model_id),
            (&fm.vendor, fm.family, fm.model, fm.stepping, &fm.model_id)
        );
    }
    assert_eq!(embedded.libvirt, fresh.libvirt, "libvirt CPU map; {hint}");
}

#[test]
fn refresh_writes_files_that_load_back_identically() {
    let Some(fresh) = fresh() else { return };
    let dir = tempfile::tempdir().unwrap();
    refresh::write_dir(&fresh, dir.path()).unwrap();
    let back = Catalog::read(dir.path()).unwrap();
    assert_eq!(
        serde_json::to_string(&back.qemu).unwrap(),
        serde_json::to_string(&fresh.qemu).unwrap()
    );
    assert_eq!(back.libvirt, fresh.libvirt);
}

/// Facts about QEMU 7.2 the checks rely on, as the catalog records them.
#[test]
fn embedded_catalog_records_qemu_naming_rules() {
    let q = &Catalog::embedded().qemu;
    // Plain names resolve to -v1, named aliases to later versions.
    assert_eq!(
        q.resolve_model("Skylake-Client").unwrap().name,
        "Skylake-Client-v1"
    );
    assert_eq!(
        q.resolve_model("Skylake-Client-IBRS").unwrap().name,
        "Skylake-Client-v2"
    );
    assert!(
        q.model("skylake-client").is_none(),
        "names are case-sensitive"
    );
    let named_aliases = q
        .models
        .iter()
        .filter(|m| m.alias_of.as_ref().is_some_and(|a| !a.ends_with("-v1")))
        .count();
    assert_eq!(named_aliases, 17, "QEMU 7.2 has 17 named aliases");
    // Every spelling QEMU accepts finds the canonical feature.
    for s in ["sse4.1", "sse4-1", "sse4_1"] {
        assert_eq!(q.feature(s).unwrap().name, "sse4.1");
    }
    assert_eq!(
        q.feature("lahf_lm").unwrap().libvirt.as_deref(),
        Some("lahf_lm")
    );
    assert_eq!(
        q.feature("pclmulqdq").unwrap().libvirt.as_deref(),
        Some("pclmuldq")
    );
    assert!(q.feature("SSE4.1").is_none());
    assert_eq!(q.property("hv-apicv").unwrap().name, "hv-avic");
    assert_eq!(
        q.property("enforce").unwrap().kind(),
        virt_cpu::catalog::ValueKind::Bool
    );
    // KVM's defaults are in the KVM view, TCG's differences recorded.
    let sky = q.resolve_model("Skylake-Client").unwrap();
    assert!(q.model_has(sky, "x2apic") && q.model_has(sky, "kvmclock"));
    let epyc = q.resolve_model("EPYC").unwrap();
    assert!(
        !q.model_has(epyc, "svm"),
        "KVM turns svm off on built-in models"
    );
    assert!(epyc.tcg_features.contains(q.feature_index("svm").unwrap()));
}

#[test]
fn cpu_string_effective_values_follow_qemu() {
    use virt_cpu::catalog::qemu_cpu_string::parse;
    let q = &Catalog::embedded().qemu;
    let s = parse("Skylake-Client,sse4_1=off,sse4.1=on,-vmx,+vmx,hv_apicv").unwrap();
    let eff = s.effective(q);
    let get = |n: &str| eff.iter().find(|e| e.name == n).unwrap();
    assert_eq!(
        get("sse4.1").value,
        "on",
        "the last global wins, whatever alias spelled it"
    );
    assert_eq!(get("sse4.1").overridden, vec![0]);
    assert_eq!(get("vmx").value, "off", "-feat beats +feat");
    assert_eq!(get("hv-avic").value, "on", "hv_apicv → hv-apicv → hv-avic");
    assert!(eff.iter().all(|e| e.known));
}
