//! libvirt's own `-cpu` test cases (../shared/conformance/libvirt-9.0 and libvirt-11.3): reading
//! `index.tsv`, turning a row's `caps` column into [`QemuCaps`] the way libvirt's test harness
//! sets them up, running a row through the generator, and scoring a whole set. Shared by
//! `tests/conformance.rs`, `tests/conformance_libvirt_11_3.rs` and `tests/qemu_accepts.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use virt_cpu::argv::error::LibvirtError;
use virt_cpu::argv::libvirt::decode::{
    host_model_from_qemu_properties, host_models_from_probed_cpu, qemu_properties_from_caps_xml,
};
use virt_cpu::argv::libvirt::{LibvirtCpu, feature_from_qemu, generate};
use virt_cpu::argv::{HostCpu, OfferedModel, QemuCaps};
use virt_cpu::catalog::versions::Version;
use virt_cpu::catalog::{Catalog, LibvirtMap};
use virt_cpu::domain::Domain;
use virt_cpu::xml::Document;

/// The libvirt 9.0 conformance directory (`../shared/conformance/libvirt-9.0`).
pub fn dir() -> PathBuf {
    super::shared_dir().join("conformance/libvirt-9.0")
}

/// The libvirt 11.3 conformance directory (`../shared/conformance/libvirt-11.3`).
pub fn dir_11_3() -> PathBuf {
    super::shared_dir().join("conformance/libvirt-11.3")
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

/// The capability flags a real x86_64 QEMU has when its capability file is not shipped.
const DEFAULT_FLAGS: &[&str] = &[
    "cpu.migratable",
    "cpu-cache",
    "cpu-unavailable-features",
    "cpu-max",
];

/// libvirt's recorded QEMU capabilities for the given accelerator (`caps_X.Y.Z.x86_64.xml` of
/// libvirt 9.0, `caps_X.Y.Z_x86_64[+VARIANT].xml` of libvirt 11.3), decoded with `map`.
///
/// `set` / `clear` are `QEMU_CAPS_*` flags (prefix removed) the harness adds or removes
/// (`+fake:` / `-fake:`). `probed` is the host CPU the harness's mocked `virQEMUCapsProbeHostCPU`
/// returns; `replace_host` throws the file's `<hostCPU>` away and recomputes the host-model CPU
/// from `probed` (`ARG_CAPS_HOST_CPU_MODEL`).
pub fn real_caps_with(
    path: &Path,
    accel: &str,
    map: &LibvirtMap,
    set: &[&str],
    clear: &[&str],
    probed: Option<&HostCpu>,
    replace_host: bool,
) -> QemuCaps {
    // Many rows share capabilities: decode each set once per test process.
    type Key = (
        PathBuf,
        String,
        String,
        Vec<String>,
        Vec<String>,
        Option<String>,
        bool,
    );
    static CACHE: Mutex<BTreeMap<Key, QemuCaps>> = Mutex::new(BTreeMap::new());
    let strings = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let key: Key = (
        path.to_path_buf(),
        accel.to_string(),
        map.version.clone(),
        strings(set),
        strings(clear),
        probed.map(|h| format!("{h:?}")),
        replace_host,
    );
    if let Some(caps) = CACHE.lock().unwrap().get(&key) {
        return caps.clone();
    }
    let caps = decode_real_caps(path, accel, map, set, clear, probed, replace_host);
    CACHE.lock().unwrap().insert(key, caps.clone());
    caps
}

fn decode_real_caps(
    path: &Path,
    accel: &str,
    map: &LibvirtMap,
    set: &[&str],
    clear: &[&str],
    probed: Option<&HostCpu>,
    replace_host: bool,
) -> QemuCaps {
    let mut caps = QemuCaps {
        default_model: Some("qemu64".into()),
        ..QemuCaps::default()
    };
    let bytes = std::fs::read(path).ok();
    // Not every capability file is shipped with the cases; a real x86_64 QEMU has these.
    let doc = bytes.as_ref().map(|b| Document::parse(b).unwrap());
    let mut flags: Vec<String> = match &doc {
        Some(doc) => doc
            .plain_children(doc.root(), "flag")
            .filter_map(|f| doc.attr_value(f, "name"))
            .collect(),
        None => DEFAULT_FLAGS.iter().map(|s| s.to_string()).collect(),
    };
    flags.extend(set.iter().map(|f| caps_flag_name(f)));
    flags.retain(|f| !clear.iter().any(|c| caps_flag_name(c) == *f));
    let has = |f: &str| flags.iter().any(|x| x == f);
    caps.cpu_migratable = has("cpu.migratable");
    caps.cpu_cache = has("cpu-cache");
    caps.cpu_unavailable_features = has("cpu-unavailable-features");
    caps.cpu_max = has("cpu-max");
    let Some(doc) = doc else {
        return caps;
    };
    let root = doc.root();
    // `<version>10000000</version>`: QEMU 10.0.0.
    caps.qemu_version = doc
        .plain_child(root, "version")
        .and_then(|v| doc.text(v).trim().parse::<u32>().ok())
        .map(|n| Version::new(n / 1_000_000, n / 1000 % 1000, n % 1000));
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
    let release = map.release();
    let expansion = if replace_host {
        None
    } else {
        qemu_properties_from_caps_xml(&doc, accel)
    };
    match expansion {
        Some((props, migratability)) => {
            // `virQEMUCapsGetCPUFeatures`: every property of the expansion, libvirt spelling.
            caps.known_features = Some(
                props
                    .iter()
                    .map(|p| feature_from_qemu(&p.name, release).to_string())
                    .collect(),
            );
            // libvirt's host-model CPU: QEMU's expansion of the host CPU, decoded against the
            // models this QEMU offers; the reported one keeps unmigratable features.
            caps.host_model = Some(
                host_model_from_qemu_properties(&props, migratability, true, &caps, map).unwrap(),
            );
            caps.host_cpu = Some(
                host_model_from_qemu_properties(&props, migratability, false, &caps, map).unwrap(),
            );
            caps.host_from_qemu = true;
            // Accelerated guests: the "full" CPU starts from the probed host CPU.
            if accel == "kvm" {
                caps.host_cpuid = probed.cloned();
            }
        }
        None => {
            // No expansion: libvirt takes the probed host CPU itself.
            if let Some(probed) = probed {
                let (reported, migratable) = host_models_from_probed_cpu(probed, &caps, map);
                caps.host_cpu = Some(reported);
                caps.host_model = Some(migratable);
            }
        }
    }
    caps
}

/// libvirt 9.0's recorded QEMU capabilities (`caps_X.Y.Z.x86_64.xml`) for the given accelerator.
pub fn real_caps(path: &Path, accel: &str) -> QemuCaps {
    let map = &Catalog::embedded().libvirt;
    let mut caps = real_caps_with(path, accel, map, &[], &[], None, false);
    // The 9.0 cases are judged with the migratable host-model alone, as before.
    caps.host_cpu = None;
    caps
}

/// A `QEMU_CAPS_*` name (prefix removed) as the capability files spell it.
fn caps_flag_name(flag: &str) -> String {
    match flag {
        "CPU_MIGRATABLE" => "cpu.migratable".into(),
        other => other.to_ascii_lowercase().replace('_', "-"),
    }
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
        host_from_qemu: false,
        qemu_version: None,
        known_features: None,
        domcaps: None,
    }
}

/// A row's `caps` column of the libvirt 11.3 set: `x86_64-VERSION` or `x86_64-latest`, then
/// `+VARIANT`, `+fake:A,B`, `-fake:C,D` in any order, then `;` and harness arguments.
#[derive(Debug, Default, PartialEq)]
pub struct CapsSpec<'a> {
    pub version: &'a str,
    pub variant: Option<&'a str>,
    pub set: Vec<&'a str>,
    pub clear: Vec<&'a str>,
    pub args: Vec<&'a str>,
}

pub fn parse_caps_spec(text: &str) -> CapsSpec<'_> {
    let (spec, args) = text.split_once(';').unwrap_or((text, ""));
    let spec = spec.strip_prefix("x86_64-").unwrap_or(spec);
    // Split before every `+` and every `-fake:`.
    let mut cuts = vec![0];
    for (i, c) in spec.char_indices() {
        if c == '+' || spec[i..].starts_with("-fake:") {
            cuts.push(i);
        }
    }
    cuts.push(spec.len());
    let mut out = CapsSpec {
        args: args.split(';').filter(|a| !a.is_empty()).collect(),
        ..CapsSpec::default()
    };
    for w in cuts.windows(2) {
        let part = &spec[w[0]..w[1]];
        if let Some(list) = part.strip_prefix("+fake:") {
            out.set.extend(list.split(',').filter(|f| !f.is_empty()));
        } else if let Some(list) = part.strip_prefix("-fake:") {
            out.clear.extend(list.split(',').filter(|f| !f.is_empty()));
        } else if let Some(variant) = part.strip_prefix('+') {
            out.variant = Some(variant);
        } else {
            out.version = part;
        }
    }
    out
}

/// The newest `caps_X.Y.Z_x86_64[+VARIANT].xml` in `hosts` (versions compared as numbers).
fn latest_caps(hosts: &Path, variant: Option<&str>) -> String {
    let suffix = match variant {
        Some(v) => format!("_x86_64+{v}.xml"),
        None => "_x86_64.xml".into(),
    };
    std::fs::read_dir(hosts)
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let v = name.strip_prefix("caps_")?.strip_suffix(&suffix)?;
            Version::parse(v).map(|_| v.to_string())
        })
        .max_by_key(|v| Version::parse(v))
        // No file of the variant is shipped: libvirt 11.3's newest is 10.0.0 (README).
        .unwrap_or_else(|| "10.0.0".into())
}

/// The capabilities libvirt 11.3's harness (`qemuxmlconftest`) gives a row.
pub fn caps_for_row_11_3(dir: &Path, row: &Row, dom: &Domain, map: &LibvirtMap) -> QemuCaps {
    let hosts = dir.join("hosts");
    let accel = if dom.virt_type == "kvm" { "kvm" } else { "tcg" };
    let spec = parse_caps_spec(&row.caps);
    let version = if spec.version == "latest" {
        latest_caps(&hosts, spec.variant)
    } else {
        spec.version.to_string()
    };
    let file = match spec.variant {
        Some(v) => format!("caps_{version}_x86_64+{v}.xml"),
        None => format!("caps_{version}_x86_64.xml"),
    };
    // `ARG_CAPS_HOST_CPU_MODEL=QEMU_CPU_DEF_HASWELL` → `cpuHaswellData.xml`; otherwise the
    // harness's default host CPU (`cpuDefaultData.xml`).
    let chosen = spec
        .args
        .iter()
        .find_map(|a| a.strip_prefix("ARG_CAPS_HOST_CPU_MODEL=QEMU_CPU_DEF_"));
    let host_file = match chosen {
        Some(name) => {
            let lower = name.to_ascii_lowercase();
            format!(
                "cpu{}{}Data.xml",
                lower[..1].to_ascii_uppercase(),
                &lower[1..]
            )
        }
        None => "cpuDefaultData.xml".into(),
    };
    let probed = host_cpu_file(&hosts.join(host_file));
    real_caps_with(
        &hosts.join(file),
        accel,
        map,
        &spec.set,
        &spec.clear,
        Some(&probed),
        chosen.is_some(),
    )
}

/// The capabilities libvirt 9.0's test harness gives a row: `fake:` sets with the harness's fake
/// host CPU, or a recorded `caps_X.Y.Z.x86_64.xml` for the domain's accelerator.
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

/// Reads a row's domain and runs it through the libvirt-exact generator; the catalog's libvirt
/// release says which set (and harness) the row belongs to.
pub fn generate_row(dir: &Path, row: &Row, catalog: &Catalog) -> Result<LibvirtCpu, LibvirtError> {
    let doc = Document::parse(&std::fs::read(dir.join(&row.xml)).unwrap()).unwrap();
    let dom = Domain::read(&doc).unwrap();
    let caps = if catalog.libvirt.release() >= Version::new(10, 0, 0) {
        caps_for_row_11_3(dir, row, &dom, &catalog.libvirt)
    } else {
        caps_for_row(dir, row, &dom)
    };
    generate(&dom, &caps, &catalog.libvirt)
}

#[derive(Default)]
struct Score {
    matched: usize,
    total: usize,
    exact_message: usize,
}

/// Runs every row of a set, prints a score per category and every difference, and fails when
/// any row differs or any refusal carries another message than libvirt's.
pub fn check_all(dir: &Path, catalog: &Catalog, label: &str) {
    let mut scores: BTreeMap<String, Score> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut message_failures = Vec::new();
    let all = rows(dir);
    assert!(!all.is_empty(), "no rows in {}", dir.display());
    for row in all {
        let category = format!(
            "{} {}",
            if row.host_dependent {
                "host-dependent"
            } else {
                "host-independent"
            },
            row.expect
        );
        let score = scores.entry(category).or_default();
        score.total += 1;
        let result = generate_row(dir, &row, catalog);
        let ok = match (row.expect.as_str(), &result) {
            ("ok", Ok(cpu)) => cpu.value().as_deref() == Some(row.cpu_arg.as_str()),
            ("error", Err(e)) => {
                if e.message == row.cpu_arg {
                    score.exact_message += 1;
                } else {
                    message_failures.push(format!(
                        "{} [{}]\n  expected: {}\n  got:      {}",
                        row.name, row.caps, row.cpu_arg, e.message
                    ));
                }
                true
            }
            _ => false,
        };
        if ok {
            score.matched += 1;
        } else {
            let got = match &result {
                Ok(cpu) => cpu.value().unwrap_or_else(|| "(no -cpu)".into()),
                Err(e) => format!("error: {}", e.message),
            };
            failures.push(format!(
                "{} [{}; host {}]\n  expected: {}\n  got:      {}",
                row.name, row.caps, row.host_cpu, row.cpu_arg, got
            ));
        }
    }
    println!("\n{label} conformance (matched / total):");
    for (cat, s) in &scores {
        let exact = if cat.ends_with("error") {
            format!("  (exact message: {})", s.exact_message)
        } else {
            String::new()
        };
        println!("  {cat:<28} {:>3} / {:<3}{exact}", s.matched, s.total);
    }
    for f in &failures {
        println!("MISMATCH {f}");
    }
    for f in &message_failures {
        println!("MESSAGE MISMATCH {f}");
    }
    // Every row, host-dependent ones included, must match, and every refusal must carry
    // libvirt's exact message.
    assert!(
        failures.is_empty(),
        "{} {label} conformance rows differ (see output above)",
        failures.len()
    );
    assert!(
        message_failures.is_empty(),
        "{} {label} error rows have another message than libvirt's (see output above)",
        message_failures.len()
    );
}
