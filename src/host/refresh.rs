//! `virt-cpu catalog refresh`: the one code path that builds the catalog from the real programs.
//! It lives with the other host programs (`host` may use the catalog's types; the catalog never
//! starts a program).
//!
//! It starts the installed `qemu-system-x86_64` (TCG, no machine; KVM is not needed) and asks:
//! - `-cpu help`: the CPUID feature names (QEMU's "Recognized CPUID flags", canonical spellings);
//! - over QMP: `query-version`, `query-cpu-definitions` (models, aliases, deprecation, what TCG
//!   cannot provide), `query-machines` (the machine types: name, alias, default, deprecated),
//!   `qom-list-properties` on `max-x86_64-cpu` (every `-cpu` property and its
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
use crate::catalog::machines::QemuMachine;
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

/// Asks the installed QEMU for everything the catalog holds. Three sessions, each built from the
/// answers of the one before: what exists ([`Survey`]), every model's expansions and the alias
/// probes ([`expand_models`]), and under KVM the values TCG forces ([`observe_under_kvm`]). This
/// function only orders them; each step is a function of its own.
fn query_qemu(
    runner: &dyn Runner,
    sources: &Sources,
    libvirt: &LibvirtMap,
) -> Result<QemuCatalog, RefreshError> {
    let qemu = sources.qemu.as_str();
    let feature_names = cpu_help_flags(runner, qemu)?;

    // Session 1: what exists.
    let survey = Survey::ask(runner, qemu, &feature_names)?;
    let kvm_only = kvm_only(&feature_names, &survey.base_all_on);
    let feature_set: BTreeSet<&str> = feature_names.iter().map(String::as_str).collect();
    let qom_props = settable_properties(&survey.qom, &feature_set);

    // Session 2: every model twice (TCG as is, KVM defaults applied), plus the alias probes.
    let model_names = survey.model_names();
    let probes = probes(&qom_props);
    let (model_replies, probe_replies) =
        expand_models(runner, qemu, &model_names, &kvm_only, &probes)?;
    let aliases = Aliases::infer(&probes, &probe_replies, &survey, &qom_props, &feature_set);
    let alias_names = aliases.names();

    // Session 3, KVM only: the values TCG forces, as each built-in model has them.
    let builtin_models = builtin_models(&survey.definitions, &model_names);
    let kvm_observed = observe_under_kvm(runner, sources, &builtin_models);

    let mut catalog = QemuCatalog::default();
    catalog.version = version_string(&survey.version);
    catalog.package = survey
        .version
        .get("package")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_string();
    catalog.features = features(&feature_names, &survey.max, libvirt, &aliases);
    catalog.properties = properties(&qom_props, &aliases, &alias_names);
    catalog.kvm_only = kvm_only.clone();
    catalog.machines = Some(survey.machines.clone());
    catalog.kvm_unobservable = match &kvm_observed {
        Ok(_) => Vec::new(),
        Err(_) => TCG_DEFAULTS.iter().map(|(p, _)| p.to_string()).collect(),
    };
    catalog.kvm_unobservable_reason = match &kvm_observed {
        Ok(_) => String::new(),
        Err(why) => why.clone(),
    };
    // The models' feature sets are indices into the features: index them first.
    catalog.reindex();

    let builder = ModelBuilder {
        catalog: &catalog,
        feature_names: &feature_names,
        kvm_only: &kvm_only,
        kvm_observed: &kvm_observed,
        alias_names: &alias_names,
        base: &survey.base,
    };
    let models: Vec<QemuModel> = survey
        .definitions
        .iter()
        .enumerate()
        .map(|(i, def)| {
            builder.model(
                def,
                &model_names[i],
                &model_replies[2 * i],
                &model_replies[2 * i + 1],
            )
        })
        .collect();
    catalog.models = models;
    catalog.reindex();
    Ok(catalog)
}

/// A QOM property of the CPU: name, type, description.
type QomProp = (String, String, Option<String>);

/// The first session's answers: what exists. The later questions are built from them (the models
/// to expand from the definitions, the alias probes from the QOM properties), and `base` is what
/// the probes and each model's properties are compared with.
struct Survey {
    /// `query-version`.
    version: Value,
    /// `query-cpu-definitions`: one entry per model and alias.
    definitions: Vec<Value>,
    /// `qom-list-properties` on `max-x86_64-cpu`, in QOM's order (the alias inference reads it).
    qom: Vec<Value>,
    /// The featureless `base` model's properties.
    base: BTreeMap<String, Value>,
    /// `base` with every CPUID feature asked on: what stays off is what TCG refuses.
    base_all_on: BTreeMap<String, Value>,
    /// `max`: what TCG can emulate.
    max: BTreeMap<String, Value>,
    /// `query-machines`, sorted by name.
    machines: Vec<QemuMachine>,
}

impl Survey {
    /// Session 1, one QEMU: its version, the model definitions, the CPU's QOM properties and
    /// three expansions (`base`, `base` with every feature on, `max`). Any error fails the
    /// refresh: nothing later can be asked without these.
    fn ask(
        runner: &dyn Runner,
        qemu: &str,
        feature_names: &[String],
    ) -> Result<Survey, RefreshError> {
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
            qmp::command("query-machines", Value::Null),
        ];
        let r = qmp::batch(runner, qemu, CATALOG_ARGS, &first)?;
        let version = ok(&r[0], "query-version")?.clone();
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
        let machines = machines_of(ok(&r[6], "query-machines")?)?;
        Ok(Survey {
            version,
            definitions,
            qom,
            base,
            base_all_on,
            max,
            machines,
        })
    }

    /// The name of each definition, in QEMU's order: the models session 2 expands.
    fn model_names(&self) -> Vec<String> {
        self.definitions
            .iter()
            .filter_map(|d| d.get("name")?.as_str().map(str::to_string))
            .collect()
    }
}

/// The machine types of a `query-machines` answer (name, alias, default, deprecated), sorted
/// by name so that the catalog does not change with QEMU's hash order.
fn machines_of(reply: &Value) -> Result<Vec<QemuMachine>, RefreshError> {
    let shape = |detail: String| RefreshError::Shape {
        command: "query-machines".into(),
        detail,
    };
    let list = reply
        .as_array()
        .ok_or_else(|| shape(format!("not a list: {reply}")))?;
    let flag = |m: &Value, key: &str| m.get(key).and_then(Value::as_bool).unwrap_or(false);
    let mut machines = list
        .iter()
        .map(|m| {
            let name = m
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| shape(format!("a machine without a name: {m}")))?;
            Ok(QemuMachine {
                name: name.to_string(),
                alias: m.get("alias").and_then(Value::as_str).map(str::to_string),
                is_default: flag(m, "is-default"),
                deprecated: flag(m, "deprecated"),
            })
        })
        .collect::<Result<Vec<_>, RefreshError>>()?;
    machines.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(machines)
}

/// Features QEMU refuses to turn on under TCG whatever is asked: the KVM-only word. KVM's
/// defaults among them cannot be asked of TCG, so the model expansions leave them out and the
/// KVM view adds them back.
fn kvm_only(feature_names: &[String], base_all_on: &BTreeMap<String, Value>) -> Vec<String> {
    feature_names
        .iter()
        .filter(|f| base_all_on.get(*f) != Some(&Value::Bool(true)))
        .cloned()
        .collect()
}

/// The QOM properties of the CPU that a user can set ([`settable`]), except the features: the
/// catalog's property table, and the booleans among them are the alias probes.
fn settable_properties(qom: &[Value], feature_set: &BTreeSet<&str>) -> Vec<QomProp> {
    qom.iter()
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
        .collect()
}

/// The alias probes: the boolean settable properties. Switched on alone, each shows what it
/// moves (see [`Aliases::from_probes`]).
fn probes(qom_props: &[QomProp]) -> Vec<&str> {
    qom_props
        .iter()
        .filter(|(_, ty, _)| ty == "bool")
        .map(|(n, _, _)| n.as_str())
        .collect()
}

/// Session 2, one QEMU: every model expanded twice — as TCG builds it, then with KVM's default
/// properties applied (less the KVM-only word, which TCG refuses) — and each alias probe (one
/// boolean property switched on alone on `base`). Returns the model replies (two per model, in
/// the order of `model_names`) and the probe replies (in the order of `probes`).
fn expand_models(
    runner: &dyn Runner,
    qemu: &str,
    model_names: &[String],
    kvm_only: &[String],
    probes: &[&str],
) -> Result<(Vec<Reply>, Vec<Reply>), RefreshError> {
    let kvm_props: Map<String, Value> = KVM_DEFAULTS
        .iter()
        .filter(|(p, _)| !kvm_only.iter().any(|k| k == p))
        .map(|(p, v)| (p.to_string(), Value::Bool(*v)))
        .collect();
    let mut second = Vec::new();
    for m in model_names {
        second.push(expansion(m, Map::new()));
        second.push(expansion(m, kvm_props.clone()));
    }
    for p in probes {
        second.push(expansion(
            "base",
            [(p.to_string(), Value::Bool(true))].into_iter().collect(),
        ));
    }
    let mut model_replies = qmp::batch(runner, qemu, CATALOG_ARGS, &second)?;
    let probe_replies = model_replies.split_off(model_names.len() * 2);
    Ok((model_replies, probe_replies))
}

/// QEMU's other spellings: canonical feature → its aliases, class property → its aliases, each
/// list sorted. The catalog lists a feature's aliases with it, and leaves a property alias out
/// of the property table.
struct Aliases {
    features: BTreeMap<String, Vec<String>>,
    properties: BTreeMap<String, Vec<String>>,
}

impl Aliases {
    /// What the probes show, then the underscore spellings the probes cannot see.
    fn infer(
        probes: &[&str],
        probe_replies: &[Reply],
        survey: &Survey,
        qom_props: &[QomProp],
        feature_set: &BTreeSet<&str>,
    ) -> Aliases {
        let mut aliases = Aliases::from_probes(probes, probe_replies, survey, feature_set);
        aliases.add_underscore_spellings(qom_props, feature_set);
        for list in aliases
            .features
            .values_mut()
            .chain(aliases.properties.values_mut())
        {
            list.sort();
        }
        aliases
    }

    /// A probe that changes exactly one feature of `base` is that feature's alias; one that moves
    /// together with exactly one other property is an alias of the one QOM lists first (the class
    /// property; the later one is the alias added at instance init). A probe QEMU refused says
    /// nothing.
    fn from_probes(
        probes: &[&str],
        probe_replies: &[Reply],
        survey: &Survey,
        feature_set: &BTreeSet<&str>,
    ) -> Aliases {
        let qom_order: HashMap<&str, usize> = survey
            .qom
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((p.get("name")?.as_str()?, i)))
            .collect();
        let mut aliases = Aliases {
            features: BTreeMap::new(),
            properties: BTreeMap::new(),
        };
        for (p, reply) in probes.iter().zip(probe_replies) {
            let Ok(v) = reply else { continue };
            let Ok(after) = props_of(v) else { continue };
            let changed: Vec<&str> = after
                .iter()
                .filter(|(k, v)| survey.base.get(*k) != Some(v))
                .map(|(k, _)| k.as_str())
                .collect();
            let features: Vec<&str> = changed
                .iter()
                .copied()
                .filter(|k| feature_set.contains(k))
                .collect();
            if features.len() == 1 {
                aliases
                    .features
                    .entry(features[0].to_string())
                    .or_default()
                    .push(p.to_string());
                continue;
            }
            if let [a, b] = changed[..] {
                let other = if a == *p { b } else { a };
                if qom_order.get(other) < qom_order.get(p) {
                    aliases
                        .properties
                        .entry(other.to_string())
                        .or_default()
                        .push(p.to_string());
                }
            }
        }
        aliases
    }

    /// `foo_bar` next to a `foo-bar` of the same type is one of the underscore aliases QEMU keeps
    /// for old command lines. The probe cannot see those whose target TCG keeps off (`kvm_*`,
    /// or `svm_lock` on a model without `svm`), nor non-boolean ones (`lbr_fmt`).
    fn add_underscore_spellings(&mut self, qom_props: &[QomProp], feature_set: &BTreeSet<&str>) {
        let types: HashMap<&str, &str> = qom_props
            .iter()
            .map(|(n, t, _)| (n.as_str(), t.as_str()))
            .collect();
        let probed: BTreeSet<String> = self
            .features
            .values()
            .chain(self.properties.values())
            .flatten()
            .cloned()
            .collect();
        for (name, ty, _) in qom_props {
            let dashed = name.replace('_', "-");
            if dashed == *name || probed.contains(name) {
                continue;
            }
            if feature_set.contains(dashed.as_str()) && ty == "bool" {
                self.features.entry(dashed).or_default().push(name.clone());
            } else if types.get(dashed.as_str()) == Some(&ty.as_str()) {
                self.properties
                    .entry(dashed)
                    .or_default()
                    .push(name.clone());
            }
        }
    }

    /// Every alias spelling: what a model's expansion lists besides the canonical names.
    fn names(&self) -> BTreeSet<&str> {
        self.features
            .values()
            .chain(self.properties.values())
            .flatten()
            .map(String::as_str)
            .collect()
    }
}

/// The models session 3 asks KVM about: QEMU's built-in versioned models. An alias has its
/// target's values, and a model without a version (`max`, `host`, `base`) has no fixed ones.
fn builtin_models<'a>(definitions: &[Value], model_names: &'a [String]) -> Vec<&'a str> {
    definitions
        .iter()
        .zip(model_names)
        .filter(|(d, n)| {
            d.get("alias-of").is_none() && crate::catalog::qemu::version_split(n).is_some()
        })
        .map(|(_, n)| n.as_str())
        .collect()
}

/// The feature table, in `-cpu help`'s order: each feature's aliases, libvirt's name for it and
/// whether TCG can emulate it (`max` has it on).
fn features(
    feature_names: &[String],
    max: &BTreeMap<String, Value>,
    libvirt: &LibvirtMap,
    aliases: &Aliases,
) -> Vec<QemuFeature> {
    let tcg_supported: BTreeSet<&str> = feature_names
        .iter()
        .filter(|f| max.get(*f) == Some(&Value::Bool(true)))
        .map(String::as_str)
        .collect();
    feature_names
        .iter()
        .map(|name| {
            let aliases = aliases.features.get(name).cloned().unwrap_or_default();
            QemuFeature {
                libvirt: libvirt_name(libvirt, name, &aliases),
                tcg: tcg_supported.contains(name.as_str()),
                aliases,
                name: name.clone(),
            }
        })
        .collect()
}

/// The property table, in QOM's order: the settable properties less the alias spellings, each
/// with its aliases.
fn properties(
    qom_props: &[QomProp],
    aliases: &Aliases,
    alias_names: &BTreeSet<&str>,
) -> Vec<QemuProperty> {
    qom_props
        .iter()
        .filter(|(n, _, _)| !alias_names.contains(n.as_str()))
        .map(|(name, ty, desc)| QemuProperty {
            name: name.clone(),
            aliases: aliases.properties.get(name).cloned().unwrap_or_default(),
            qom_type: ty.clone(),
            description: desc.clone(),
        })
        .collect()
}

/// The CPUID identity properties of an expansion: [`QemuModel`] has fields for them, so they
/// are not among its `props`.
const IDENTITY: [&str; 5] = ["vendor", "family", "model", "stepping", "model-id"];

/// What building each [`QemuModel`] reads besides its own definition and replies: the catalog
/// with its feature table already indexed, the KVM-only word, what KVM observed, the alias
/// spellings and `base` (a model's `props` are what differs from it).
struct ModelBuilder<'a> {
    catalog: &'a QemuCatalog,
    feature_names: &'a [String],
    kvm_only: &'a [String],
    kvm_observed: &'a Result<BTreeMap<String, BTreeMap<String, bool>>, String>,
    alias_names: &'a BTreeSet<&'a str>,
    base: &'a BTreeMap<String, Value>,
}

impl ModelBuilder<'_> {
    /// One model from its `query-cpu-definitions` entry and its two expansions (TCG, KVM
    /// defaults). The expansions say nothing when TCG could not expand it (the error is kept) or
    /// when it needs what TCG lacks (`host`).
    fn model(&self, def: &Value, name: &str, tcg: &Reply, kvm: &Reply) -> QemuModel {
        let mut m = self.definition(def, name);
        let tcg = tcg
            .as_ref()
            .map_err(String::clone)
            .and_then(|v| props_of(v).map_err(|e| e.to_string()));
        match tcg {
            Err(e) => m.expansion_error = Some(e),
            // QEMU expands `host` under TCG anyway, as `max`; that says nothing about the host.
            Ok(_) if !m.needs.is_empty() => {}
            Ok(tcg) => {
                identity(&mut m, &tcg);
                let tcg_set = self.set_from(&tcg);
                m.tcg_features = tcg_set.difference(&m.tcg_unavailable);
                // Accelerator defaults only apply to QEMU's built-in (versioned) models.
                let builtin =
                    crate::catalog::qemu::version_split(&m.name).is_some() || m.alias_of.is_some();
                m.features = if builtin {
                    self.kvm_features(&m, &tcg, kvm)
                } else {
                    tcg_set
                };
                m.props = self.props(&tcg);
            }
        }
        m
    }

    /// What the definition says: the flags, and what TCG cannot provide — the features it
    /// cannot emulate and anything else the model needs (`kvm` for `host`).
    fn definition(&self, def: &Value, name: &str) -> QemuModel {
        let alias_of = def
            .get("alias-of")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut m = QemuModel {
            name: name.to_string(),
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
        let (unavailable, needs) = self.catalog.set_of(unavailable);
        m.tcg_unavailable = unavailable;
        m.needs = needs.into_iter().map(str::to_string).collect();
        m
    }

    /// The KVM view of a built-in model: its expansion with KVM's defaults (TCG's when that
    /// failed), the KVM-only defaults TCG could not be asked for, and the values TCG forces as
    /// KVM showed them for the model (or its alias target).
    fn kvm_features(
        &self,
        m: &QemuModel,
        tcg: &BTreeMap<String, Value>,
        kvm: &Reply,
    ) -> FeatureSet {
        let kvm = kvm
            .as_ref()
            .ok()
            .and_then(|v| props_of(v).ok())
            .unwrap_or_else(|| tcg.clone());
        let mut set = self.set_from(&kvm);
        for (p, on) in KVM_DEFAULTS {
            if let (true, Some(idx)) = (
                *on && self.kvm_only.iter().any(|k| k == p),
                self.catalog.feature_index(p),
            ) {
                set.insert(idx);
            }
        }
        let target = m.alias_of.as_deref().unwrap_or(&m.name);
        let observed = self.kvm_observed.as_ref().ok().and_then(|o| o.get(target));
        for (p, on) in observed.into_iter().flatten() {
            if let Some(idx) = self.catalog.feature_index(p) {
                if *on {
                    set.insert(idx);
                } else {
                    set.remove(idx);
                }
            }
        }
        set
    }

    /// The features an expansion has on, as a set over the catalog's feature table.
    fn set_from(&self, props: &BTreeMap<String, Value>) -> FeatureSet {
        self.feature_names
            .iter()
            .filter(|f| props.get(*f) == Some(&Value::Bool(true)))
            .filter_map(|f| self.catalog.feature_index(f))
            .collect()
    }

    /// The expansion's other properties (not a feature, an alias or the identity) whose value
    /// differs from `base`: what the model sets besides features (`level`, `xlevel`, …).
    fn props(&self, tcg: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
        let mut props = BTreeMap::new();
        for (k, v) in tcg {
            let is_feature = self.catalog.feature(k).is_some();
            let is_alias = self.alias_names.contains(k.as_str());
            if !is_feature
                && !is_alias
                && !IDENTITY.contains(&k.as_str())
                && self.base.get(k) != Some(v)
            {
                props.insert(k.clone(), v.clone());
            }
        }
        props
    }
}

/// The CPUID identity of a model from its TCG expansion (zero or empty where it has none).
fn identity(m: &mut QemuModel, tcg: &BTreeMap<String, Value>) {
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
