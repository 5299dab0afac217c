//! libvirt 9.0's own `-cpu` test cases (../shared/conformance/libvirt-9.0): reading `index.tsv`,
//! turning a row's `caps` column into [`QemuCaps`] the way libvirt's test harness sets them up, and
//! running a row through the generator. Shared by `tests/conformance.rs` and `tests/qemu_accepts.rs`.

use std::path::{Path, PathBuf};
use virt_cpu::argv::error::LibvirtError;
use virt_cpu::argv::libvirt::decode::{
    host_model_from_qemu_properties, qemu_properties_from_caps_xml,
};
use virt_cpu::argv::libvirt::{LibvirtCpu, generate};
use virt_cpu::argv::{HostCpu, OfferedModel, QemuCaps};
use virt_cpu::catalog::Catalog;
use virt_cpu::catalog::names::qemu_to_libvirt;
use virt_cpu::domain::Domain;
use virt_cpu::xml::Document;

/// The conformance directory (`../shared/conformance/libvirt-9.0`).
pub fn dir() -> PathBuf {
    super::shared_dir().join("conformance/libvirt-9.0")
}

#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub expect: String,
    pub cpu_arg: String,
    pub host_dependent: bool,
    pub caps: String,
    pub xml: String,
    pub host_cpu: String,
}

pub fn rows(dir: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("index.tsv")).expect("index.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Row {
                name: f[col("name")].into(),
                expect: f[col("expect")].into(),
                cpu_arg: f[col("cpu_arg")].into(),
                host_dependent: f[col("host_dependent")] == "yes",
                caps: f[col("caps")].into(),
                xml: f[col("xml")].into(),
                host_cpu: f[col("host_cpu")].into(),
            }
        })
        .collect()
}

/// A host CPU file of the harness (`<cpu><model/><vendor/><feature name/>…</cpu>`).
pub fn host_cpu_file(path: &Path) -> HostCpu {
    let doc = Document::parse(&std::fs::read(path).unwrap()).unwrap();
    let root = doc.root();
    HostCpu {
        model: doc
            .plain_child(root, "model")
            .map(|m| doc.text(m))
            .unwrap_or_default(),
        vendor: doc.plain_child(root, "vendor").map(|m| doc.text(m)),
        features: doc
            .plain_children(root, "feature")
            .map(|f| (doc.attr_value(f, "name").unwrap(), true))
            .collect(),
    }
}

/// Features libvirt leaves out of a host-model CPU because they block migration.
pub const NON_MIGRATABLE: &[&str] = &["invtsc"];

/// libvirt's recorded QEMU capabilities (`caps_X.Y.Z.x86_64.xml`) for the given accelerator.
pub fn real_caps(path: &Path, accel: &str) -> QemuCaps {
    let mut caps = QemuCaps {
        default_model: Some("qemu64".into()),
        ..QemuCaps::default()
    };
    let Ok(bytes) = std::fs::read(path) else {
        // Not every capability file is shipped with the cases; a real x86_64 QEMU has these.
        caps.cpu_migratable = true;
        caps.cpu_cache = true;
        caps.cpu_unavailable_features = true;
        caps.cpu_max = true;
        return caps;
    };
    let doc = Document::parse(&bytes).unwrap();
    let root = doc.root();
    let flags: Vec<String> = doc
        .plain_children(root, "flag")
        .filter_map(|f| doc.attr_value(f, "name"))
        .collect();
    let has = |f: &str| flags.iter().any(|x| x == f);
    caps.cpu_migratable = has("cpu.migratable");
    caps.cpu_cache = has("cpu-cache");
    caps.cpu_unavailable_features = has("cpu-unavailable-features");
    caps.cpu_max = has("cpu-max");
    caps.models = Some(
        doc.plain_children(root, "cpu")
            .filter(|&c| doc.attr_value(c, "type").as_deref() == Some(accel))
            .map(|c| OfferedModel {
                name: doc.attr_value(c, "name").unwrap_or_default(),
                usable: doc.attr_value(c, "usable").map(|u| u == "yes"),
                deprecated: doc.attr_value(c, "deprecated").as_deref() == Some("yes"),
                blockers: doc
                    .plain_children(c, "blocker")
                    .filter_map(|b| doc.attr_value(b, "name"))
                    .collect(),
            })
            .collect(),
    );
    if let Some(host) = doc
        .plain_children(root, "hostCPU")
        .find(|&h| doc.attr_value(h, "type").as_deref() == Some(accel))
    {
        caps.known_features = Some(
            doc.plain_children(host, "property")
                .filter(|&p| doc.attr_value(p, "type").as_deref() == Some("boolean"))
                .filter_map(|p| doc.attr_value(p, "name"))
                .map(|n| qemu_to_libvirt(&n).to_string())
                .collect(),
        );
    }
    // libvirt's host-model CPU: QEMU's expansion of the host CPU, decoded against the models
    // this QEMU offers.
    if let Some((props, migratability)) = qemu_properties_from_caps_xml(&doc, accel) {
        caps.host_model = Some(
            host_model_from_qemu_properties(
                &props,
                migratability,
                true,
                &caps,
                &Catalog::embedded().libvirt,
            )
            .unwrap(),
        );
    }
    caps
}

/// The harness's synthetic capabilities (`fake:FLAGS[;HARNESS_FLAGS]`).
pub fn fake_caps(spec: &str, models_file: &Path, host: Option<HostCpu>) -> QemuCaps {
    let (flags, harness) = spec
        .trim_start_matches("fake:")
        .split_once(';')
        .unwrap_or((spec.trim_start_matches("fake:"), ""));
    let flags: Vec<&str> = flags.split(',').collect();
    let list = std::fs::read_to_string(models_file).unwrap();
    let mut models = Vec::new();
    for line in list.lines().filter(|l| !l.starts_with('#')) {
        let Some((key, names)) = line.split_once(':') else {
            continue;
        };
        if key == "x86LegacyModels" && harness.contains("FLAG_SKIP_LEGACY_CPUS") {
            continue;
        }
        models.extend(names.split_whitespace().map(|n| OfferedModel {
            name: n.into(),
            usable: None,
            deprecated: false,
            blockers: vec![],
        }));
    }
    let host_model = host.as_ref().map(|h| HostCpu {
        model: h.model.clone(),
        vendor: h.vendor.clone(),
        features: h
            .features
            .iter()
            .filter(|(n, _)| !NON_MIGRATABLE.contains(&n.as_str()))
            .cloned()
            .collect(),
    });
    QemuCaps {
        default_model: None,
        cpu_migratable: false,
        cpu_cache: flags.contains(&"CPU_CACHE"),
        cpu_unavailable_features: false,
        cpu_max: false,
        models: Some(models),
        host_model,
        host_cpu: host,
        host_cpuid: None,
        known_features: None,
        domcaps: None,
    }
}

/// The capabilities libvirt's test harness gives a row: `fake:` sets with the harness's fake host
/// CPU, or a recorded `caps_X.Y.Z.x86_64.xml` for the domain's accelerator.
pub fn caps_for_row(dir: &Path, row: &Row, dom: &Domain) -> QemuCaps {
    let hosts = dir.join("hosts");
    let accel = if dom.virt_type == "kvm" { "kvm" } else { "tcg" };
    if row.caps.starts_with("fake:") {
        let host_file = if row.name.starts_with("cpu-Haswell") {
            "cpuHaswellData.xml"
        } else {
            "cpuDefaultData.xml"
        };
        fake_caps(
            &row.caps,
            &hosts.join("fake-caps-cpu-models.txt"),
            Some(host_cpu_file(&hosts.join(host_file))),
        )
    } else {
        let version = row
            .caps
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("x86_64-");
        let version = if version == "latest" {
            "8.0.0"
        } else {
            version
        };
        real_caps(&hosts.join(format!("caps_{version}.x86_64.xml")), accel)
    }
}

/// Reads a row's domain and runs it through the libvirt-exact generator.
pub fn generate_row(dir: &Path, row: &Row, catalog: &Catalog) -> Result<LibvirtCpu, LibvirtError> {
    let doc = Document::parse(&std::fs::read(dir.join(&row.xml)).unwrap()).unwrap();
    let dom = Domain::read(&doc).unwrap();
    let caps = caps_for_row(dir, row, &dom);
    generate(&dom, &caps, &catalog.libvirt)
}
