//! `virt-cpu catalog refresh`: the one code path that builds the catalog from the real programs.
//!
//! It starts the installed `qemu-system-x86_64` (TCG, no machine; KVM is not needed) and asks:
//! - `-cpu help`: the CPUID feature names (QEMU's "Recognized CPUID flags", canonical spellings);
//! - over QMP: `query-version`, `query-cpu-definitions` (models, aliases, deprecation, what TCG
//!   cannot provide), `qom-list-properties` on `max-x86_64-cpu` (every `-cpu` property and its
//!   type), and `query-cpu-model-expansion` type `full` for every model — once as TCG builds it
//!   and once with KVM's default properties applied (see [`super::accel`]);
//! - alias probes: each boolean property that is not a canonical feature is switched on alone
//!   on the empty `base` model; the feature or property that follows it is what it aliases.
//!
//! and reads libvirt's CPU map. Nothing about models or spellings is typed in by hand.

use super::accel::{KVM_DEFAULTS, TCG_DEFAULTS};
use super::feature_set::FeatureSet;
use super::names;
use super::qemu::{QemuCatalog, QemuFeature, QemuModel, QemuProperty};
use super::{Catalog, LibvirtMap};
use crate::host::qmp::{self, CATALOG_ARGS, Reply};
use crate::host::{HostError, Runner};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// File names inside a catalog directory.
pub const QEMU_FILE: &str = "qemu-x86.json";
pub const LIBVIRT_FILE: &str = "libvirt-x86.json";

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error(transparent)]
    Host(#[from] HostError),
    #[error(transparent)]
    Map(#[from] super::libvirt_map::MapError),
    #[error("QEMU answered {command} with an error: {detail}")]
    Qmp { command: String, detail: String },
    #[error("QEMU's answer to {command} has an unexpected shape: {detail}")]
    Shape { command: String, detail: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Where the refresh takes its data from.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The QEMU binary (`qemu-system-x86_64`, looked up on PATH).
    pub qemu: String,
    /// libvirt's CPU map directory.
    pub cpu_map: PathBuf,
    /// The program asked for libvirt's version (`virsh`); its absence only leaves the version empty.
    pub virsh: Option<String>,
}

impl Default for Sources {
    fn default() -> Sources {
        Sources {
            qemu: "qemu-system-x86_64".into(),
            cpu_map: PathBuf::from("/usr/share/libvirt/cpu_map"),
            virsh: Some("virsh".into()),
        }
    }
}

/// Builds a catalog from the installed QEMU and libvirt.
pub fn refresh(runner: &dyn Runner, sources: &Sources) -> Result<Catalog, RefreshError> {
    let libvirt = LibvirtMap::read_dir(&sources.cpu_map)?;
    let mut qemu = query_qemu(runner, &sources.qemu, &libvirt)?;
    if let Some(virsh) = &sources.virsh {
        // `virsh --version` prints the library version without needing a daemon.
        if let Ok(out) = runner.run(virsh, &["--version"], b"")
            && out.success()
        {
            qemu.libvirt_version = out.stdout.trim().to_string();
        }
    }
    Ok(Catalog {
        libvirt,
        qemu,
        ..Catalog::default()
    })
}

/// Writes `qemu-x86.json` and `libvirt-x86.json` (compact JSON, one line each) into `dir`.
pub fn write_dir(catalog: &Catalog, dir: &Path) -> Result<(), RefreshError> {
    std::fs::create_dir_all(dir).map_err(|source| RefreshError::Write {
        path: dir.display().to_string(),
        source,
    })?;
    let write = |name: &str, json: String| {
        let path = dir.join(name);
        // Write then rename, so a reader never sees half a catalog.
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, json + "\n")
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|source| RefreshError::Write {
                path: path.display().to_string(),
                source,
            })
    };
    write(
        QEMU_FILE,
        serde_json::to_string(&catalog.qemu).expect("catalog serialises"),
    )?;
    write(
        LIBVIRT_FILE,
        serde_json::to_string(&catalog.libvirt).expect("catalog serialises"),
    )?;
    Ok(())
}

/// The user's catalog cache: `$XDG_CACHE_HOME/virt-cpu/catalog`, else `~/.cache/virt-cpu/catalog`.
pub fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("virt-cpu").join("catalog"))
}

fn query_qemu(
    runner: &dyn Runner,
    qemu: &str,
    libvirt: &LibvirtMap,
) -> Result<QemuCatalog, RefreshError> {
    let feature_names = cpu_help_flags(runner, qemu)?;

    // Session 1: what exists.
    let all_on: Map<String, Value> = feature_names
        .iter()
        .map(|f| (f.clone(), Value::Bool(true)))
        .collect();
    let first = [
        qmp::command("query-version", Value::Null),
        qmp::command("query-cpu-definitions", Value::Null),
        qmp::command(
            "qom-list-properties",
            json!({ "typename": "max-x86_64-cpu" }),
        ),
        expansion("base", Map::new()),
        expansion("base", all_on),
        expansion("max", Map::new()),
    ];
    let r = qmp::batch(runner, qemu, CATALOG_ARGS, &first)?;
    let version = ok(&r[0], "query-version")?;
    let definitions = ok(&r[1], "query-cpu-definitions")?
        .as_array()
        .cloned()
        .unwrap_or_default();
    let qom = ok(&r[2], "qom-list-properties")?
        .as_array()
        .cloned()
        .unwrap_or_default();
    let base = props_of(ok(&r[3], "query-cpu-model-expansion base")?)?;
    let base_all_on = props_of(ok(
        &r[4],
        "query-cpu-model-expansion base (all features on)",
    )?)?;
    let max = props_of(ok(&r[5], "query-cpu-model-expansion max")?)?;

    // Features QEMU refuses to turn on under TCG whatever is asked: the KVM-only word.
    let kvm_only: Vec<String> = feature_names
        .iter()
        .filter(|f| base_all_on.get(*f) != Some(&Value::Bool(true)))
        .cloned()
        .collect();

    // Properties: the QOM properties of the CPU that a user can set, except the features.
    let feature_set: BTreeSet<&str> = feature_names.iter().map(String::as_str).collect();
    let qom_props: Vec<(String, String, Option<String>)> = qom
        .iter()
        .filter_map(|p| {
            let name = p.get("name")?.as_str()?.to_string();
            let ty = p.get("type")?.as_str()?.to_string();
            let desc = p
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string);
            Some((name, ty, desc))
        })
        .filter(|(name, ty, _)| settable(name, ty) && !feature_set.contains(name.as_str()))
        .collect();

    // Session 2: every model twice (TCG as is, KVM defaults applied), plus the alias probes.
    let kvm_props: Map<String, Value> = KVM_DEFAULTS
        .iter()
        .filter(|(p, _)| !kvm_only.iter().any(|k| k == p))
        .map(|(p, v)| (p.to_string(), Value::Bool(*v)))
        .collect();
    let model_names: Vec<String> = definitions
        .iter()
        .filter_map(|d| d.get("name")?.as_str().map(str::to_string))
        .collect();
    let probes: Vec<&str> = qom_props
        .iter()
        .filter(|(_, ty, _)| ty == "bool")
        .map(|(n, _, _)| n.as_str())
        .collect();
    let mut second = Vec::new();
    for m in &model_names {
        second.push(expansion(m, Map::new()));
        second.push(expansion(m, kvm_props.clone()));
    }
    for p in &probes {
        second.push(expansion(
            "base",
            [(p.to_string(), Value::Bool(true))].into_iter().collect(),
        ));
    }
    let r2 = qmp::batch(runner, qemu, CATALOG_ARGS, &second)?;
    let (model_replies, probe_replies) = r2.split_at(model_names.len() * 2);

    // Aliases from the probes.
    let qom_order: HashMap<&str, usize> = qom
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((p.get("name")?.as_str()?, i)))
        .collect();
    let mut feature_aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut property_aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (p, reply) in probes.iter().zip(probe_replies) {
        let Ok(v) = reply else { continue };
        let Ok(after) = props_of(v) else { continue };
        let changed: Vec<&str> = after
            .iter()
            .filter(|(k, v)| base.get(*k) != Some(v))
            .map(|(k, _)| k.as_str())
            .collect();
        let features: Vec<&str> = changed
            .iter()
            .copied()
            .filter(|k| feature_set.contains(k))
            .collect();
        if features.len() == 1 {
            feature_aliases
                .entry(features[0].to_string())
                .or_default()
                .push(p.to_string());
            continue;
        }
        // A property alias moves together with exactly one other property; the one QOM lists
        // first is the class property, the later one the alias added at instance init.
        if let [a, b] = changed[..] {
            let other = if a == *p { b } else { a };
            if qom_order.get(other) < qom_order.get(p) {
                property_aliases
                    .entry(other.to_string())
                    .or_default()
                    .push(p.to_string());
            }
        }
    }
    // `foo_bar` next to a `foo-bar` of the same type is one of the underscore aliases QEMU keeps
    // for old command lines. The probe cannot see those whose target TCG keeps off (`kvm_*`,
    // or `svm_lock` on a model without `svm`), nor non-boolean ones (`lbr_fmt`).
    let types: HashMap<&str, &str> = qom_props
        .iter()
        .map(|(n, t, _)| (n.as_str(), t.as_str()))
        .collect();
    let probed: BTreeSet<String> = feature_aliases
        .values()
        .chain(property_aliases.values())
        .flatten()
        .cloned()
        .collect();
    for (name, ty, _) in &qom_props {
        let dashed = name.replace('_', "-");
        if dashed == *name || probed.contains(name) {
            continue;
        }
        if feature_set.contains(dashed.as_str()) && ty == "bool" {
            feature_aliases
                .entry(dashed)
                .or_default()
                .push(name.clone());
        } else if types.get(dashed.as_str()) == Some(&ty.as_str()) {
            property_aliases
                .entry(dashed)
                .or_default()
                .push(name.clone());
        }
    }
    for list in feature_aliases
        .values_mut()
        .chain(property_aliases.values_mut())
    {
        list.sort();
    }
    let alias_names: BTreeSet<&str> = feature_aliases
        .values()
        .chain(property_aliases.values())
        .flatten()
        .map(String::as_str)
        .collect();

    let tcg_supported: BTreeSet<&str> = feature_names
        .iter()
        .filter(|f| max.get(*f) == Some(&Value::Bool(true)))
        .map(String::as_str)
        .collect();
    let features: Vec<QemuFeature> = feature_names
        .iter()
        .map(|name| {
            let aliases = feature_aliases.get(name).cloned().unwrap_or_default();
            QemuFeature {
                libvirt: libvirt_name(libvirt, name, &aliases),
                tcg: tcg_supported.contains(name.as_str()),
                aliases,
                name: name.clone(),
            }
        })
        .collect();
    let properties: Vec<QemuProperty> = qom_props
        .iter()
        .filter(|(n, _, _)| !alias_names.contains(n.as_str()))
        .map(|(name, ty, desc)| QemuProperty {
            name: name.clone(),
            aliases: property_aliases.get(name).cloned().unwrap_or_default(),
            qom_type: ty.clone(),
            description: desc.clone(),
        })
        .collect();

    let mut catalog = QemuCatalog {
        version: version_string(version),
        package: version
            .get("package")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_string(),
        features,
        properties,
        kvm_only: kvm_only.clone(),
        kvm_unobservable: TCG_DEFAULTS.iter().map(|(p, _)| p.to_string()).collect(),
        ..QemuCatalog::default()
    };
    catalog.reindex();

    let set_from = |props: &BTreeMap<String, Value>| -> FeatureSet {
        feature_names
            .iter()
            .filter(|f| props.get(*f) == Some(&Value::Bool(true)))
            .filter_map(|f| catalog.feature_index(f))
            .collect()
    };
    let identity = ["vendor", "family", "model", "stepping", "model-id"];
    let mut models = Vec::with_capacity(definitions.len());
    for (i, def) in definitions.iter().enumerate() {
        let name = model_names[i].clone();
        let alias_of = def
            .get("alias-of")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut m = QemuModel {
            name,
            typename: str_field(def, "typename"),
            deprecated: def
                .get("deprecated")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            static_model: def.get("static").and_then(Value::as_bool).unwrap_or(false),
            migration_safe: def
                .get("migration-safe")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            alias_of,
            ..QemuModel::default()
        };
        let unavailable: Vec<&str> = def
            .get("unavailable-features")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let (unavailable, needs) = catalog.set_of(unavailable);
        m.tcg_unavailable = unavailable;
        m.needs = needs.into_iter().map(str::to_string).collect();
        let tcg = model_replies[2 * i]
            .as_ref()
            .map_err(String::clone)
            .and_then(|v| props_of(v).map_err(|e| e.to_string()));
        match tcg {
            Err(e) => m.expansion_error = Some(e),
            // QEMU expands `host` under TCG anyway, as `max`; that says nothing about the host.
            Ok(_) if !m.needs.is_empty() => {}
            Ok(tcg) => {
                m.vendor = tcg
                    .get("vendor")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                m.family = tcg.get("family").and_then(Value::as_i64).unwrap_or(0);
                m.model = tcg.get("model").and_then(Value::as_i64).unwrap_or(0);
                m.stepping = tcg.get("stepping").and_then(Value::as_i64).unwrap_or(0);
                m.model_id = tcg
                    .get("model-id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let tcg_set = set_from(&tcg);
                m.tcg_features = tcg_set.difference(&m.tcg_unavailable);
                // Accelerator defaults only apply to QEMU's built-in (versioned) models.
                let builtin = super::qemu::version_split(&m.name).is_some() || m.alias_of.is_some();
                m.features = if builtin {
                    let kvm = model_replies[2 * i + 1]
                        .as_ref()
                        .ok()
                        .and_then(|v| props_of(v).ok())
                        .unwrap_or_else(|| tcg.clone());
                    let mut set = set_from(&kvm);
                    for (p, on) in KVM_DEFAULTS {
                        if let (true, Some(idx)) = (
                            *on && kvm_only.iter().any(|k| k == p),
                            catalog.feature_index(p),
                        ) {
                            set.insert(idx);
                        }
                    }
                    set
                } else {
                    tcg_set
                };
                for (k, v) in &tcg {
                    let is_feature = catalog.feature(k).is_some();
                    let is_alias = alias_names.contains(k.as_str());
                    if !is_feature
                        && !is_alias
                        && !identity.contains(&k.as_str())
                        && base.get(k) != Some(v)
                    {
                        m.props.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        models.push(m);
    }
    catalog.models = models;
    catalog.reindex();
    Ok(catalog)
}

/// The names under "Recognized CPUID flags:" in `qemu-system-x86_64 -cpu help`, deduplicated
/// (QEMU lists `kvmclock` twice: it sets two CPUID bits), in QEMU's (alphabetical) order.
fn cpu_help_flags(runner: &dyn Runner, qemu: &str) -> Result<Vec<String>, RefreshError> {
    let out = runner.run(qemu, &["-cpu", "help"], b"")?;
    if !out.success() {
        return Err(HostError::Failed {
            program: qemu.into(),
            status: out.status,
            stderr: out.stderr.trim().into(),
        }
        .into());
    }
    let mut names = Vec::new();
    let mut inside = false;
    for line in out.stdout.lines() {
        if line.trim_end().ends_with("CPUID flags:") {
            inside = true;
        } else if inside && line.trim().is_empty() {
            break;
        } else if inside {
            for n in line.split_whitespace() {
                if !names.iter().any(|x| x == n) {
                    names.push(n.to_string());
                }
            }
        }
    }
    if names.is_empty() {
        return Err(RefreshError::Shape {
            command: "-cpu help".into(),
            detail: "no \"Recognized CPUID flags\" list".into(),
        });
    }
    Ok(names)
}

/// Properties a user can set on `-cpu`: scalar types only (links and structures are QEMU's
/// plumbing) and not the device life-cycle switches every device has.
fn settable(name: &str, ty: &str) -> bool {
    let scalar = matches!(ty, "bool" | "str" | "string" | "int" | "OnOffAuto")
        || ty
            .strip_prefix("uint")
            .or_else(|| ty.strip_prefix("int"))
            .is_some_and(|d| d.parse::<u8>().is_ok());
    scalar
        && !matches!(
            name,
            "type" | "realized" | "hotplugged" | "hotpluggable" | "legacy-memory"
        )
}

/// libvirt's name for a QEMU feature, if libvirt's map has it: the translation table first, then
/// the canonical name and QEMU's other spellings.
fn libvirt_name(map: &LibvirtMap, name: &str, aliases: &[String]) -> Option<String> {
    std::iter::once(names::qemu_to_libvirt(name))
        .chain(std::iter::once(name))
        .chain(aliases.iter().map(String::as_str))
        .find(|n| map.feature(n).is_some())
        .map(str::to_string)
}

fn expansion(model: &str, props: Map<String, Value>) -> Value {
    let mut m = json!({ "name": model });
    if !props.is_empty() {
        m["props"] = Value::Object(props);
    }
    qmp::command(
        "query-cpu-model-expansion",
        json!({ "type": "full", "model": m }),
    )
}

fn ok<'a>(reply: &'a Reply, command: &str) -> Result<&'a Value, RefreshError> {
    reply.as_ref().map_err(|e| RefreshError::Qmp {
        command: command.into(),
        detail: e.clone(),
    })
}

fn props_of(v: &Value) -> Result<BTreeMap<String, Value>, RefreshError> {
    let props = v
        .pointer("/model/props")
        .and_then(Value::as_object)
        .ok_or_else(|| RefreshError::Shape {
            command: "query-cpu-model-expansion".into(),
            detail: "no model.props object".into(),
        })?;
    Ok(props.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn str_field(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn version_string(v: &Value) -> String {
    let n = |k: &str| {
        v.pointer(&format!("/qemu/{k}"))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    format!("{}.{}.{}", n("major"), n("minor"), n("micro"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settable_properties() {
        assert!(settable("hv-spinlocks", "uint32"));
        assert!(settable("model-id", "string"));
        assert!(settable("enforce", "bool"));
        assert!(!settable("memory", "link<memory-region>"));
        assert!(!settable("feature-words", "X86CPUFeatureWordInfo"));
        assert!(!settable("realized", "bool"));
    }

    #[test]
    fn cache_dir_follows_xdg() {
        // Only checks the shape; the environment is the test runner's.
        if let Some(d) = cache_dir() {
            assert!(d.ends_with("virt-cpu/catalog"));
        }
    }
}
