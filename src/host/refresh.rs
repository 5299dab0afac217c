//! `virt-cpu catalog refresh`: the one code path that builds the catalog from the real programs.
//! It lives with the other host programs (`host` may use the catalog's types; the catalog never
//! starts a program).
//!
//! It starts the installed `qemu-system-x86_64` (TCG, no machine; KVM is not needed) and asks:
//! - `-cpu help`: the CPUID feature names (QEMU's "Recognized CPUID flags", canonical spellings);
//! - over QMP: `query-version`, `query-cpu-definitions` (models, aliases, deprecation, what TCG
//!   cannot provide), `qom-list-properties` on `max-x86_64-cpu` (every `-cpu` property and its
//!   type), and `query-cpu-model-expansion` type `full` for every model — once as TCG builds it
//!   and once with KVM's default properties applied (see [`crate::catalog::accel`]);
//! - alias probes: each boolean property that is not a canonical feature is switched on alone
//!   on the empty `base` model; the feature or property that follows it is what it aliases.
//!
//! and reads libvirt's CPU map. Nothing about models or spellings is typed in by hand.
//!
//! TCG forces some features of every built-in model (`tcg_default_props`: `vme` off), so TCG
//! cannot show their value in the model itself. When KVM is usable (`/dev/kvm` opens read-write
//! and QEMU starts with `-accel kvm`), a third session asks QEMU under KVM for a `static`
//! expansion of every built-in model and takes those features' values from it — only those:
//! under KVM QEMU puts the host's vendor into the expansion, and a static expansion of a named
//! model does not otherwise depend on the host (no filtering happens before a vCPU is realized).
//! Without KVM they stay as TCG has them and the catalog lists them in `kvm_unobservable`.

use super::qmp::{self, CATALOG_ARGS, Reply};
use super::{HostError, Runner};
use crate::catalog::accel::{KVM_DEFAULTS, TCG_DEFAULTS};
use crate::catalog::feature_set::FeatureSet;
use crate::catalog::names;
use crate::catalog::qemu::{QemuCatalog, QemuFeature, QemuModel, QemuProperty};
use crate::catalog::{Catalog, LibvirtMap};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

/// Arguments for a QEMU that answers the KVM questions: [`CATALOG_ARGS`] with `-accel kvm`.
pub const KVM_ARGS: &[&str] = &[
    "-machine",
    "none",
    "-accel",
    "kvm",
    "-nodefaults",
    "-display",
    "none",
    "-qmp",
    "stdio",
];

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error(transparent)]
    Host(#[from] HostError),
    #[error(transparent)]
    Map(#[from] crate::catalog::libvirt_map::MapError),
    #[error("QEMU answered {command} with an error: {detail}")]
    Qmp { command: String, detail: String },
    #[error("QEMU's answer to {command} has an unexpected shape: {detail}")]
    Shape { command: String, detail: String },
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
    /// KVM's device (`/dev/kvm`); `None` never tries KVM (the KVM view then keeps TCG's values
    /// of the features TCG forces).
    pub kvm_device: Option<PathBuf>,
}

impl Default for Sources {
    fn default() -> Sources {
        Sources {
            qemu: "qemu-system-x86_64".into(),
            cpu_map: PathBuf::from("/usr/share/libvirt/cpu_map"),
            virsh: Some("virsh".into()),
            kvm_device: Some(PathBuf::from("/dev/kvm")),
        }
    }
}

/// Builds a catalog from the installed QEMU and libvirt.
pub fn refresh(runner: &dyn Runner, sources: &Sources) -> Result<Catalog, RefreshError> {
    let mut libvirt = LibvirtMap::read_dir(&sources.cpu_map)?;
    // The release first: the names QEMU's features get in libvirt depend on it.
    if let Some(virsh) = &sources.virsh {
        // `virsh --version` prints the library version without needing a daemon.
        if let Ok(out) = runner.run(virsh, &["--version"], b"")
            && out.success()
        {
            libvirt.version = out.stdout.trim().to_string();
        }
    }
    let mut qemu = query_qemu(runner, sources, &libvirt)?;
    qemu.libvirt_version = libvirt.version.clone();
    if !qemu.kvm_unobservable.is_empty() {
        // The CLI prints the summary; this is the one thing the refresh could not do.
        eprintln!(
            "virt-cpu: note: KVM is not usable here ({}), so the KVM view's {} is not observed but left as TCG forces it",
            qemu.kvm_unobservable_reason,
            qemu.kvm_unobservable.join(" ")
        );
    }
    Ok(Catalog {
        libvirt,
        qemu,
        ..Catalog::default()
    })
}

/// Why KVM cannot be used here (`/dev/kvm` does not open read-write, or QEMU does not start
/// with `-accel kvm`), or `None` when it can. `sources.kvm_device` `None` counts as unusable.
pub fn kvm_unusable(runner: &dyn Runner, sources: &Sources) -> Option<String> {
    if let Err(why) = kvm_device_opens(sources) {
        return Some(why);
    }
    qmp::batch(runner, &sources.qemu, KVM_ARGS, &[])
        .err()
        .map(|e| format!("QEMU does not start with -accel kvm: {e}"))
}

fn kvm_device_opens(sources: &Sources) -> Result<(), String> {
    let Some(device) = &sources.kvm_device else {
        return Err("KVM was not asked for".into());
    };
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(device)
        .map(drop)
        .map_err(|e| format!("cannot open {} read-write: {e}", device.display()))
}

/// Model name → (feature → value) for the features TCG forces ([`TCG_DEFAULTS`]), read from a
/// `static` expansion of each model under KVM; `Err` says why they could not be observed. All or
/// nothing: a model whose expansion fails makes the whole observation fail.
fn observe_under_kvm(
    runner: &dyn Runner,
    sources: &Sources,
    models: &[&str],
) -> Result<BTreeMap<String, BTreeMap<String, bool>>, String> {
    kvm_device_opens(sources)?;
    let commands: Vec<Value> = models
        .iter()
        .map(|m| {
            qmp::command(
                "query-cpu-model-expansion",
                json!({ "type": "static", "model": { "name": m } }),
            )
        })
        .collect();
    let replies = qmp::batch(runner, &sources.qemu, KVM_ARGS, &commands)
        .map_err(|e| format!("QEMU does not start with -accel kvm: {e}"))?;
    let mut observed = BTreeMap::new();
    for (m, reply) in models.iter().zip(&replies) {
        let what = format!("static expansion of {m} under KVM");
        let props = reply
            .as_ref()
            .map_err(|e| format!("{what}: {e}"))
            .and_then(|v| props_of(v).map_err(|e| format!("{what}: {e}")))?;
        let mut values = BTreeMap::new();
        for (p, _) in TCG_DEFAULTS {
            let v = props
                .get(*p)
                .and_then(Value::as_bool)
                .ok_or_else(|| format!("{what}: no boolean {p}"))?;
            values.insert(p.to_string(), v);
        }
        observed.insert(m.to_string(), values);
    }
    Ok(observed)
}

fn query_qemu(
    runner: &dyn Runner,
    sources: &Sources,
    libvirt: &LibvirtMap,
) -> Result<QemuCatalog, RefreshError> {
    let qemu = sources.qemu.as_str();
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

    // Session 3, KVM only: the values TCG forces, as each built-in model has them.
    let builtin_models: Vec<&str> = definitions
        .iter()
        .zip(&model_names)
        .filter(|(d, n)| {
            d.get("alias-of").is_none() && crate::catalog::qemu::version_split(n).is_some()
        })
        .map(|(_, n)| n.as_str())
        .collect();
    let kvm_observed = observe_under_kvm(runner, sources, &builtin_models);

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

    let mut catalog = QemuCatalog::default();
    catalog.version = version_string(version);
    catalog.package = version
        .get("package")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_string();
    catalog.features = features;
    catalog.properties = properties;
    catalog.kvm_only = kvm_only.clone();
    catalog.kvm_unobservable = match &kvm_observed {
        Ok(_) => Vec::new(),
        Err(_) => TCG_DEFAULTS.iter().map(|(p, _)| p.to_string()).collect(),
    };
    catalog.kvm_unobservable_reason = match &kvm_observed {
        Ok(_) => String::new(),
        Err(why) => why.clone(),
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
                let builtin =
                    crate::catalog::qemu::version_split(&m.name).is_some() || m.alias_of.is_some();
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
                    let target = m.alias_of.as_deref().unwrap_or(&m.name);
                    let observed = kvm_observed.as_ref().ok().and_then(|o| o.get(target));
                    for (p, on) in observed.into_iter().flatten() {
                        if let Some(idx) = catalog.feature_index(p) {
                            if *on {
                                set.insert(idx);
                            } else {
                                set.remove(idx);
                            }
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
    std::iter::once(names::qemu_to_libvirt_in(name, map.release()))
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
    fn kvm_is_unusable_without_its_device() {
        let runner = crate::host::FnRunner(|_: &str, _: &[&str], _: &[u8]| {
            panic!("QEMU must not start when the KVM device does not open")
        });
        let none = Sources {
            kvm_device: None,
            ..Sources::default()
        };
        assert_eq!(
            kvm_unusable(&runner, &none).as_deref(),
            Some("KVM was not asked for")
        );
        let missing = Sources {
            kvm_device: Some(PathBuf::from("/nonexistent/kvm")),
            ..Sources::default()
        };
        let why = kvm_unusable(&runner, &missing).unwrap();
        assert!(
            why.starts_with("cannot open /nonexistent/kvm read-write: "),
            "{why}"
        );
        assert!(observe_under_kvm(&runner, &missing, &["Skylake-Client-v1"]).is_err());
    }

    #[test]
    fn kvm_observation_reads_the_forced_features_of_a_static_expansion() {
        let device = tempfile::NamedTempFile::new().unwrap();
        let sources = Sources {
            kvm_device: Some(device.path().to_path_buf()),
            ..Sources::default()
        };
        let runner = crate::host::FnRunner(|_: &str, args: &[&str], stdin: &[u8]| {
            assert_eq!(args, KVM_ARGS);
            assert!(String::from_utf8_lossy(stdin).contains("\"static\""));
            Ok(crate::host::Output {
                status: Some(0),
                stdout: concat!(
                    "{\"return\": {}}\n",
                    "{\"return\": {\"model\": {\"name\": \"base\", \"props\": {\"vme\": true, \"vendor\": \"AuthenticAMD\"}}}}\n",
                    "{\"return\": {\"model\": {\"name\": \"base\", \"props\": {\"vme\": false}}}}\n",
                    "{\"return\": {}}\n"
                )
                .into(),
                stderr: String::new(),
            })
        });
        let seen =
            observe_under_kvm(&runner, &sources, &["Skylake-Client-v1", "qemu64-v1"]).unwrap();
        assert!(seen["Skylake-Client-v1"]["vme"]);
        assert!(!seen["qemu64-v1"]["vme"]);
        assert_eq!(
            seen["qemu64-v1"].len(),
            TCG_DEFAULTS.len(),
            "nothing else is taken"
        );
    }
}
