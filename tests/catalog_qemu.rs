//! The embedded catalog is what the installed QEMU and libvirt report: regenerate it with the
//! same code path `virt-cpu catalog refresh` uses and compare. Fails when the committed catalog
//! is stale (run `virt-cpu catalog refresh --output assets/catalog/libvirt-9.0+qemu-7.2` on Debian 12).
//!
//! The KVM view's `vme` (forced off under TCG) is observed under KVM: where KVM is not usable the
//! comparisons leave out what the live refresh could not observe, and the check against a live
//! `-accel kvm` expansion is skipped, even under CI=true (KVM is hardware, not a package).

mod common;

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use virt_cpu::catalog::accel::TCG_DEFAULTS;
use virt_cpu::catalog::files;
use virt_cpu::catalog::{Catalog, QemuCatalog, QemuModel, versions};
use virt_cpu::host::refresh::{self, Sources};
use virt_cpu::host::{HostError, Output, Runner, SystemRunner, qmp};

fn fresh() -> Option<Catalog> {
    if !common::require_program("qemu-system-x86_64") {
        return None;
    }
    Some(
        refresh::refresh(&SystemRunner, &Sources::default())
            .expect("refresh from the installed QEMU"),
    )
}

/// The KVM view of a model, without the features `unobserved` (what a refresh without KVM could
/// not observe).
fn feature_names(q: &QemuCatalog, m: &QemuModel, unobserved: &[String]) -> BTreeSet<String> {
    q.names(&m.features)
        .into_iter()
        .filter(|n| !unobserved.iter().any(|u| u == n))
        .map(str::to_string)
        .collect()
}

/// `None` when KVM is usable here; otherwise prints why the KVM checks are skipped and returns
/// the reason. Not a failure under CI=true: KVM is hardware that .ci/run cannot install.
fn kvm_unusable() -> Option<String> {
    let why = refresh::kvm_unusable(&SystemRunner, &Sources::default())?;
    eprintln!(
        "SKIP (also under CI=true): KVM is not usable here ({why}). KVM is hardware (/dev/kvm), \
         which .ci/run cannot install, so the KVM view's {} is not checked against QEMU under \
         KVM; the other checks still run.",
        TCG_DEFAULTS
            .iter()
            .map(|(p, _)| *p)
            .collect::<Vec<_>>()
            .join(" ")
    );
    Some(why)
}

#[test]
fn embedded_catalog_matches_installed_qemu_and_libvirt() {
    let Some(fresh) = fresh() else { return };
    assert_same_catalog(
        Catalog::embedded(),
        &fresh,
        "the committed catalog is stale: run `virt-cpu catalog refresh --output assets/catalog/libvirt-9.0+qemu-7.2` on Debian 12",
    );
}

/// Runs every program inside a chroot (`chroot ROOT PROGRAM ARGS…`): QEMU and virsh of the
/// system installed there.
struct ChrootRunner(PathBuf);

impl Runner for ChrootRunner {
    fn run(&self, program: &str, args: &[&str], stdin: &[u8]) -> Result<Output, HostError> {
        let root = self.0.to_str().expect("a UTF-8 chroot path");
        let mut all = vec![root, program];
        all.extend_from_slice(args);
        SystemRunner.run("chroot", &all, stdin)
    }
}

/// The embedded libvirt 11.3 + QEMU 10.0 catalog is what the Debian 13 chroot's QEMU and
/// libvirt report (.ci/debian13-chroot builds it): the refresh runs there, reading its CPU map
/// and opening KVM through its /dev (the host's, bound).
#[test]
fn embedded_libvirt11_catalog_matches_the_debian13_chroot() {
    let root = common::trixie_root();
    if !root.join("usr/bin/qemu-system-x86_64").is_file() {
        let why = format!(
            "no Debian 13 chroot with QEMU at {} (run `bash .ci/debian13-chroot` as root; VIRT_CPU_TRIXIE names another root)",
            root.display()
        );
        if common::must_not_skip() {
            panic!("the libvirt 11.3 catalog check is required under CI=true: {why}");
        }
        eprintln!("SKIP: {why}");
        return;
    }
    let sources = Sources {
        qemu: "qemu-system-x86_64".into(),
        cpu_map: root.join("usr/share/libvirt/cpu_map"),
        virsh: Some("virsh".into()),
        kvm_device: Some(root.join("dev/kvm")),
    };
    let fresh = refresh::refresh(&ChrootRunner(root.clone()), &sources)
        .expect("refresh from the chroot's QEMU and libvirt");
    let pair = &versions::EMBEDDED[1];
    assert_eq!(
        (pair.libvirt.line(), pair.qemu.line()),
        ("11.3".to_string(), "10.0".to_string()),
        "EMBEDDED[1] is the Debian 13 pair"
    );
    // What the chroot runs is that pair (virsh --version there is libvirt's own release).
    assert!(
        fresh.qemu.libvirt_version.starts_with("11.3."),
        "the chroot's libvirt is {:?}",
        fresh.qemu.libvirt_version
    );
    assert_same_catalog(
        Catalog::embedded_pair(pair),
        &fresh,
        &format!(
            "the committed catalog is stale: run `virt-cpu catalog refresh --output assets/catalog/{}` on Debian 13 (in the chroot .ci/debian13-chroot builds)",
            pair.dir
        ),
    );
}

/// The embedded catalog equals a fresh refresh: QEMU's version, models, feature and property
/// tables, each model's data, and libvirt's CPU map. What the refresh could not observe (KVM
/// missing) is left out, with a note.
fn assert_same_catalog(embedded: &Catalog, fresh: &Catalog, hint: &str) {
    let (e, f) = (&embedded.qemu, &fresh.qemu);
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
    // Without KVM the live refresh cannot observe what TCG forces (vme): compare the rest.
    let unobserved = &f.kvm_unobservable;
    if !unobserved.is_empty() {
        eprintln!(
            "note: the live refresh could not observe {} ({}); the KVM views are compared without it",
            unobserved.join(" "),
            f.kvm_unobservable_reason
        );
    } else {
        assert_eq!(
            e.kvm_unobservable, f.kvm_unobservable,
            "features the refresh could not observe under KVM; {hint}"
        );
    }
    for fm in &f.models {
        let em = e.model(&fm.name).unwrap();
        assert_eq!(
            feature_names(e, em, unobserved),
            feature_names(f, fm, unobserved),
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
            (&fm.vendor, fm.family, fm.model, fm.stepping, &fm.model_id),
            "CPUID identity of {}; {hint}",
            fm.name
        );
    }
    assert_eq!(e.machines, f.machines, "machine types; {hint}");
    assert_eq!(embedded.libvirt, fresh.libvirt, "libvirt CPU map; {hint}");
}

/// A machine type as `qemu-system-x86_64 -machine help` lists it: (alias, default, deprecated).
type MachineHelp = BTreeMap<String, (Option<String>, bool, bool)>;

/// Reads `-machine help` (a header, then `NAME  DESCRIPTION [(alias of X)|(default)|(deprecated)]`
/// per line; an alias has a line of its own). This is QEMU's text for people, a second source
/// beside the `query-machines` the refresh asks.
fn machine_help(runner: &dyn Runner) -> MachineHelp {
    let out = runner
        .run("qemu-system-x86_64", &["-machine", "help"], b"")
        .expect("qemu-system-x86_64 -machine help");
    assert!(out.success(), "-machine help: {}", out.stderr);
    let mut machines = MachineHelp::new();
    let mut aliases = Vec::new();
    for line in out.stdout.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let name = line.split_whitespace().next().unwrap().to_string();
        if let Some(target) = line
            .rsplit_once("(alias of ")
            .and_then(|(_, t)| t.strip_suffix(')'))
        {
            aliases.push((name, target.to_string()));
            continue;
        }
        let flags = (
            None,
            line.ends_with("(default)"),
            line.ends_with("(deprecated)"),
        );
        assert!(machines.insert(name, flags).is_none(), "{line}");
    }
    for (alias, target) in aliases {
        let entry = machines
            .get_mut(&target)
            .unwrap_or_else(|| panic!("{alias} is an alias of {target}, which is not listed"));
        entry.0 = Some(alias);
    }
    machines
}

/// The catalog's machine types as [`machine_help`] gives them.
fn catalog_machines(catalog: &Catalog, hint: &str) -> MachineHelp {
    catalog
        .qemu
        .machines
        .as_ref()
        .unwrap_or_else(|| panic!("the catalog records no machine types; {hint}"))
        .iter()
        .map(|m| {
            (
                m.name.clone(),
                (m.alias.clone(), m.is_default, m.deprecated),
            )
        })
        .collect()
}

/// The libvirt 9.0 + QEMU 7.2 catalog lists the machine types this system's QEMU lists, with
/// their aliases, default and deprecation: a stale catalog (another QEMU) is caught.
#[test]
fn embedded_machine_types_are_what_the_installed_qemu_lists() {
    if !common::require_program("qemu-system-x86_64") {
        return;
    }
    let hint =
        "run `virt-cpu catalog refresh --output assets/catalog/libvirt-9.0+qemu-7.2` on Debian 12";
    let listed = machine_help(&SystemRunner);
    assert!(listed.contains_key("pc-i440fx-2.0"), "{listed:?}");
    assert_eq!(
        catalog_machines(Catalog::embedded(), hint),
        listed,
        "{hint}"
    );
}

/// The libvirt 11.3 + QEMU 10.0 catalog lists the machine types the Debian 13 chroot's QEMU
/// lists (QEMU 10.0 retired pc-i440fx-2.0 … 2.3).
#[test]
fn embedded_libvirt11_machine_types_are_what_the_debian13_chroot_qemu_lists() {
    let root = common::trixie_root();
    if !root.join("usr/bin/qemu-system-x86_64").is_file() {
        let why = format!(
            "no Debian 13 chroot with QEMU at {} (run `bash .ci/debian13-chroot` as root)",
            root.display()
        );
        if common::must_not_skip() {
            panic!("the QEMU 10.0 machine type check is required under CI=true: {why}");
        }
        eprintln!("SKIP: {why}");
        return;
    }
    let pair = &versions::EMBEDDED[1];
    let hint = format!(
        "run `virt-cpu catalog refresh --output assets/catalog/{}` in the Debian 13 chroot",
        pair.dir
    );
    let listed = machine_help(&ChrootRunner(root));
    assert!(!listed.contains_key("pc-i440fx-2.0"), "{listed:?}");
    assert_eq!(
        catalog_machines(Catalog::embedded_pair(pair), &hint),
        listed,
        "{hint}"
    );
}

/// The KVM view's vme (what TCG forces) of every built-in model is what QEMU reports under KVM,
/// in the embedded catalog and in a live refresh.
#[test]
fn kvm_view_of_tcg_forced_features_matches_qemu_under_kvm() {
    if !common::require_program("qemu-system-x86_64") || kvm_unusable().is_some() {
        return;
    }
    let fresh = fresh().unwrap();
    let embedded = Catalog::embedded();
    assert!(
        fresh.qemu.kvm_unobservable.is_empty(),
        "KVM is usable, yet the refresh did not observe {:?}: {}",
        fresh.qemu.kvm_unobservable,
        fresh.qemu.kvm_unobservable_reason
    );
    // Every concrete built-in model; aliases carry their target's data.
    let models: Vec<&str> = fresh
        .qemu
        .models
        .iter()
        .filter(|m| !m.is_alias() && m.version().is_some())
        .map(|m| m.name.as_str())
        .collect();
    assert!(models.len() > 50, "built-in models: {models:?}");
    let commands: Vec<Value> = models
        .iter()
        .map(|m| {
            qmp::command(
                "query-cpu-model-expansion",
                json!({ "type": "static", "model": { "name": m } }),
            )
        })
        .collect();
    let replies = qmp::batch(
        &SystemRunner,
        "qemu-system-x86_64",
        virt_cpu::host::refresh::KVM_ARGS,
        &commands,
    )
    .expect("QEMU starts with -accel kvm");
    let mut with = Vec::new();
    for (name, reply) in models.iter().zip(&replies) {
        let props = reply
            .as_ref()
            .unwrap_or_else(|e| panic!("static expansion of {name} under KVM: {e}"))
            .pointer("/model/props")
            .unwrap_or_else(|| panic!("static expansion of {name}: no model.props"));
        for (feature, _) in TCG_DEFAULTS {
            let live = props
                .get(*feature)
                .and_then(Value::as_bool)
                .unwrap_or_else(|| panic!("{name}: no boolean {feature} under KVM"));
            for (which, q) in [("embedded", &embedded.qemu), ("refreshed", &fresh.qemu)] {
                let m = q.model(name).unwrap();
                assert_eq!(
                    q.model_has(m, feature),
                    live,
                    "{feature} of {name} in the {which} catalog's KVM view vs QEMU under KVM"
                );
            }
            if *feature == "vme" && live {
                with.push(*name);
            }
        }
    }
    // QEMU 7.2's builtin_x86_defs: every model sets CPUID_VME except qemu32 and qemu64.
    let mut without: Vec<&str> = models
        .iter()
        .copied()
        .filter(|m| !with.contains(m))
        .collect();
    without.sort();
    assert_eq!(without, ["qemu32-v1", "qemu64-v1"], "models without vme");
}

/// Without KVM the refresh works as before: the features TCG forces are listed as unobservable
/// with the reason, and the KVM view keeps TCG's value for them.
#[test]
fn refresh_without_kvm_lists_what_it_could_not_observe() {
    if !common::require_program("qemu-system-x86_64") {
        return;
    }
    let sources = Sources {
        kvm_device: Some(PathBuf::from("/nonexistent/kvm")),
        ..Sources::default()
    };
    let no_kvm = refresh::refresh(&SystemRunner, &sources).expect("refresh without KVM");
    let q = &no_kvm.qemu;
    let forced: Vec<String> = TCG_DEFAULTS.iter().map(|(p, _)| p.to_string()).collect();
    assert_eq!(q.kvm_unobservable, forced);
    assert!(
        q.kvm_unobservable_reason
            .contains("cannot open /nonexistent/kvm read-write"),
        "{}",
        q.kvm_unobservable_reason
    );
    for m in q.models.iter().filter(|m| m.version().is_some()) {
        for (feature, on) in TCG_DEFAULTS {
            assert_eq!(
                q.model_has(m, feature),
                *on,
                "{feature} of {} without KVM is TCG's value",
                m.name
            );
        }
    }
    // Apart from that it is the embedded catalog.
    let e = &Catalog::embedded().qemu;
    for m in &q.models {
        assert_eq!(
            feature_names(q, m, &forced),
            feature_names(e, e.model(&m.name).unwrap(), &forced),
            "KVM view of {} without KVM",
            m.name
        );
    }
}

#[test]
fn refresh_writes_files_that_load_back_identically() {
    let Some(fresh) = fresh() else { return };
    let dir = tempfile::tempdir().unwrap();
    files::write_dir(&fresh, dir.path()).unwrap();
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
    // The embedded catalog was refreshed where KVM works: vme is observed, not TCG's forced off.
    assert!(q.kvm_unobservable.is_empty(), "{:?}", q.kvm_unobservable);
    assert!(q.model_has(sky, "vme") && !sky.tcg_features.contains(q.feature_index("vme").unwrap()));
    assert!(!q.model_has(q.resolve_model("qemu64").unwrap(), "vme"));
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
