//! Checks against the host (`--host-caps` / `-c URI`) and the catalog's model contents:
//! models the host cannot run, features it lacks, features already in the model, AMD SMT
//! without `topoext`, deprecated models.

use super::explain::Symptom;
use super::{Advice, Diagnostic, Severity};
use crate::argv::QemuCaps;
use crate::catalog::Catalog;
use crate::catalog::names::libvirt_to_qemu;
use crate::catalog::qemu_cpu_string::parse_bool;
use crate::domain::Domain;
use crate::domain::PolicyEffect;
use crate::host::PoolUsability;
use crate::xml::{Document, ElemId};

/// Where the model QEMU gets comes from, which decides how its names are spelled and which
/// checks apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// `<cpu mode='custom'>`: libvirt's names.
    Cpu,
    /// `<cpu mode='host-model'>`, resolved from the host's domcapabilities.
    HostModel,
    /// The proposed `<qemu:cpu>`.
    QemuCpu,
    /// A `-cpu` passed by `<qemu:commandline>`, which overrides every other.
    Commandline,
}

impl Source {
    /// How messages name it.
    fn label(self) -> &'static str {
        match self {
            Source::Cpu => "<cpu>",
            Source::HostModel => "<cpu mode='host-model'> on this host",
            Source::QemuCpu => "<qemu:cpu>",
            Source::Commandline => "the -cpu of <qemu:commandline>",
        }
    }

    /// Who refuses a feature the host lacks: libvirt compares a `<cpu>`'s features with the
    /// host at start; what reaches QEMU in other ways only QEMU checks.
    fn refused_by(self) -> &'static str {
        match self {
            Source::Cpu | Source::HostModel => "libvirt",
            Source::QemuCpu | Source::Commandline => "QEMU",
        }
    }

    /// Whether features are written with libvirt's names.
    fn libvirt_names(self) -> bool {
        matches!(self, Source::Cpu | Source::HostModel)
    }
}

/// A model (QEMU name) and the features the domain turns on, with where each is set.
struct Requested {
    model: String,
    model_el: ElemId,
    /// (QEMU feature name, element, enabled, the name as written in the XML)
    features: Vec<(String, ElemId, bool, String)>,
    /// `enforce=on`: QEMU refuses to start when the host lacks a feature.
    enforce: bool,
    source: Source,
}

/// What QEMU is asked for, from the source that wins: the last `-cpu` of
/// `<qemu:commandline>` (QEMU keeps only the last), `<qemu:cpu>`, a custom `<cpu>`, or a
/// host-model `<cpu>` as the host's domcapabilities resolve it.
fn requested(dom: &Domain, caps: &QemuCaps) -> Option<Requested> {
    if let Some((el, value)) = dom.commandline_cpu_values().last() {
        return from_commandline(*el, value);
    }
    if let Some(q) = &dom.qemu_cpu {
        return from_qemu_cpu(q);
    }
    let cpu = dom.cpu.as_ref()?;
    match cpu.mode.as_deref().unwrap_or("custom") {
        "custom" => from_cpu(cpu),
        "host-model" => from_host_model(cpu, caps),
        _ => None,
    }
}

fn from_commandline(el: ElemId, value: &str) -> Option<Requested> {
    let parsed = crate::catalog::qemu_cpu_string::parse(value).ok()?;
    let mut enforce = false;
    let mut features = Vec::new();
    for item in &parsed.items {
        let Some(on) = parse_bool(&item.value) else {
            continue;
        };
        if item.name == "enforce" {
            enforce = on;
        }
        features.push((item.name.clone(), el, on, item.name.clone()));
    }
    Some(Requested {
        model: parsed.model,
        model_el: el,
        features,
        enforce,
        source: Source::Commandline,
    })
}

fn from_qemu_cpu(q: &crate::domain::QemuCpu) -> Option<Requested> {
    let model = q.models.first()?;
    let mut features = Vec::new();
    let mut enforce = false;
    for o in &q.options {
        let Some(name) = o.name.as_deref() else {
            continue;
        };
        let (written, name, on) = match (name.strip_prefix('+'), name.strip_prefix('-')) {
            (Some(n), _) => (n, n.to_string(), Some(true)),
            (_, Some(n)) => (n, n.to_string(), Some(false)),
            _ => (
                name,
                name.replace('_', "-"),
                o.value.as_deref().map_or(Some(true), parse_bool),
            ),
        };
        if name == "enforce" {
            enforce = on == Some(true);
        }
        if let Some(on) = on {
            features.push((name, o.el, on, written.to_string()));
        }
    }
    Some(Requested {
        model: model.name.clone()?,
        model_el: model.el,
        features,
        enforce,
        source: Source::QemuCpu,
    })
}

fn from_cpu(cpu: &crate::domain::CpuDef) -> Option<Requested> {
    let model = cpu.model.as_ref().filter(|m| !m.name.is_empty())?;
    Some(Requested {
        model: model.name.clone(),
        model_el: model.el,
        features: cpu_features(cpu),
        enforce: false,
        source: Source::Cpu,
    })
}

/// The features a `<cpu>` turns on or off, in QEMU's names.
fn cpu_features(cpu: &crate::domain::CpuDef) -> Vec<(String, ElemId, bool, String)> {
    cpu.features
        .iter()
        .filter_map(|f| {
            // An optional feature asks nothing of the host, and a policy libvirt refuses is
            // reported as `bad-policy` already.
            let on = match f.known_policy()?.effect() {
                PolicyEffect::On => true,
                PolicyEffect::Off => false,
                PolicyEffect::OnIfHostHas => return None,
            };
            let written = f.name.as_deref()?;
            Some((
                libvirt_to_qemu(written).to_string(),
                f.el,
                on,
                written.to_string(),
            ))
        })
        .collect()
}

/// host-model: the host's model with the features domcapabilities adds or removes, then the
/// domain's own features (libvirt applies them on top).
fn from_host_model(cpu: &crate::domain::CpuDef, caps: &QemuCaps) -> Option<Requested> {
    let host = caps.domcaps.as_ref()?.host_model.as_ref()?;
    let from_host = host
        .required
        .iter()
        .map(|n| (n, true))
        .chain(host.disabled.iter().map(|n| (n, false)))
        .map(|(n, on)| (libvirt_to_qemu(n).to_string(), cpu.el, on, n.clone()));
    let mut features: Vec<_> = from_host.collect();
    features.extend(cpu_features(cpu));
    Some(Requested {
        model: host.model.clone(),
        model_el: cpu.el,
        features,
        enforce: false,
        source: Source::HostModel,
    })
}

pub(super) fn check(
    doc: &Document,
    dom: &Domain,
    caps: &QemuCaps,
    catalog: &Catalog,
    out: &mut Vec<Diagnostic>,
) {
    let Some(req) = requested(dom, caps) else {
        return;
    };
    let qemu = &catalog.qemu;
    let Some(model) = qemu.resolve_model(&req.model) else {
        return;
    };
    amd_smt(doc, dom, catalog, &req, model, out);
    // host-model is what the host runs, by definition: only its topology can be wrong.
    if req.source == Source::HostModel {
        return;
    }
    if qemu.model(&req.model).is_some_and(|m| m.deprecated) && req.source == Source::Cpu {
        out.push(
            Diagnostic::new("deprecated-model", Severity::Warning, format!("QEMU marks CPU model '{}' deprecated; libvirt taints the domain deprecated-config — pick a newer model", req.model))
                .at(doc, Some(req.model_el)),
        );
    }
    for (name, el, on, written) in &req.features {
        // A <cpu> feature libvirt does not know is refused (unknown-feature) before QEMU
        // ever sees it: whether QEMU's model has it says nothing.
        let refused = req.source == Source::Cpu && catalog.libvirt.feature(written).is_none();
        if *on && !refused && qemu.feature(name).is_some() && qemu.model_has(model, name) {
            // Name the versioned model only when the domain names it otherwise.
            let resolved = if model.name == req.model {
                String::new()
            } else {
                format!(" ({})", model.name)
            };
            out.push(
                Diagnostic::new(
                    "feature-in-model",
                    Severity::Info,
                    format!(
                        "'{written}'{} is already part of {}{resolved}; turning it on changes nothing",
                        also_spelled(written, name),
                        req.model
                    ),
                )
                .at(doc, Some(*el)),
            );
        }
    }
    tcg_lacks(doc, dom, catalog, &req, model, out);
    if let Some(dc) = &caps.domcaps {
        host(doc, dc, catalog, &req, out);
    }
}

/// QEMU warns at start that AMD CPUs without `topoext` do not support hyper-threading.
fn amd_smt(
    doc: &Document,
    dom: &Domain,
    catalog: &Catalog,
    req: &Requested,
    model: &crate::catalog::qemu::QemuModel,
    out: &mut Vec<Diagnostic>,
) {
    let Some(cpu) = &dom.cpu else { return };
    let threads: u32 = cpu
        .threads
        .as_deref()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1);
    if threads < 2 || model.vendor != "AuthenticAMD" {
        return;
    }
    // The last setting wins (QEMU's options in order; a host-model's own features last).
    let set_on = req
        .features
        .iter()
        .rev()
        .find(|(n, ..)| n == "topoext")
        .map(|(_, _, on, _)| *on);
    let has = set_on.unwrap_or_else(|| catalog.qemu.model_has(model, "topoext"));
    if !has {
        out.push(
            Diagnostic::new(
                "amd-smt-without-topoext",
                Severity::Warning,
                format!(
                    "{threads} threads per core on the AMD model {}{} without topoext: QEMU warns that this CPU family does not support \
                     hyper-threading and the guest sees a wrong topology; turn topoext on (or use one thread per core)",
                    req.model,
                    match req.source {
                        Source::Cpu | Source::QemuCpu => String::new(),
                        other => format!(" ({})", other.label()),
                    }
                ),
            )
            .at(doc, Some(req.model_el)),
        );
    }
}

/// A TCG guest (`<domain type='qemu'>`) whose `<qemu:cpu>` asks for features TCG cannot emulate:
/// QEMU warns at start and leaves them out, or, with `enforce=on`, refuses to start ("TCG
/// doesn't support requested features"). The model's own such features count, minus those the
/// options turn off, plus those they turn on.
fn tcg_lacks(
    doc: &Document,
    dom: &Domain,
    catalog: &Catalog,
    req: &Requested,
    model: &crate::catalog::qemu::QemuModel,
    out: &mut Vec<Diagnostic>,
) {
    if dom.virt_type != "qemu" || !matches!(req.source, Source::QemuCpu | Source::Commandline) {
        return;
    }
    let qemu = &catalog.qemu;
    let mut lacking: Vec<&str> = Vec::new();
    for i in model.tcg_unavailable.iter() {
        let name = qemu.features[i].name.as_str();
        let turned_off = req
            .features
            .iter()
            .rev()
            .find(|(n, ..)| qemu.feature(n).is_some_and(|f| f.name == name))
            .is_some_and(|(_, _, on, _)| !on);
        if !turned_off {
            lacking.push(name);
        }
    }
    let mut asked: Vec<&str> = Vec::new();
    for (n, _, on, _) in &req.features {
        // vmx/svm: `nested-host-lacks` says it.
        if let Some(f) = qemu.feature(n).filter(|f| *on && !f.tcg)
            && crate::edit::nested::Ext::of_feature(&f.name).is_none()
            && !lacking.contains(&f.name.as_str())
            && !asked.contains(&f.name.as_str())
        {
            asked.push(f.name.as_str());
        }
    }
    // Without enforce=on, only what the options ask for is worth saying: QEMU drops the model's
    // own TCG-less features silently enough for every TCG guest.
    let (severity, list, consequence) = if req.enforce {
        lacking.extend(&asked);
        (
            Severity::Error,
            lacking,
            "with enforce=on QEMU refuses to start (\"TCG doesn't support requested features\") — turn them off (NAME=off), drop enforce=on, or run the guest under KVM (type='kvm')",
        )
    } else {
        (
            Severity::Warning,
            asked,
            "QEMU warns at start and the guest runs without them — turn them off, or run the guest under KVM (type='kvm')",
        )
    };
    if list.is_empty() {
        return;
    }
    out.push(
        Diagnostic::new(
            "tcg-lacks-feature",
            severity,
            format!(
                "under TCG (type='qemu') QEMU cannot emulate {} of {} {}: {consequence}",
                list.join(", "),
                req.source.label(),
                req.model
            ),
        )
        .symptom(Symptom::Lacks {
            features: list.iter().map(|f| f.to_string()).collect(),
            by: "QEMU",
            tcg: true,
        })
        .at(doc, Some(req.model_el)),
    );
}

fn host(
    doc: &Document,
    dc: &crate::host::DomCaps,
    catalog: &Catalog,
    req: &Requested,
    out: &mut Vec<Diagnostic>,
) {
    let pool = PoolUsability::new(catalog, std::slice::from_ref(dc));
    let usability = pool.usability(&req.model);
    let severity = if req.enforce {
        Severity::Error
    } else {
        Severity::Warning
    };
    let consequence = if req.enforce {
        "with enforce=on QEMU refuses to start"
    } else {
        "QEMU (or libvirt's check) will drop or refuse what the host lacks"
    };
    // What matters first (the model, the features); where the host facts come from last, as
    // that can be a long `virsh … domcapabilities …` command.
    let from = format!("host: {}", dc.source);
    // What the domain already turns off does not block the model.
    let disabled = |b: &str| {
        req.features
            .iter()
            .any(|(name, _, on, _)| !on && name.replace('_', "-") == b.replace('_', "-"))
    };
    let blockers: Vec<&String> = usability.blockers.iter().filter(|b| !disabled(b)).collect();
    let all_disabled = !usability.blockers.is_empty() && blockers.is_empty();
    if usability.usable == Some(false) && !all_disabled {
        let lacks = if blockers.is_empty() {
            "some of its features".to_string()
        } else {
            blockers
                .iter()
                .map(|b| spelled_for(catalog, req.source, b))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let d = Diagnostic::new(
            "model-unusable-on-host",
            severity,
            format!(
                "this host cannot run {} as is: it lacks {lacks}; {consequence} — pick a model the host runs \
                 (`virt-cpu models --host-caps …`) or disable those features ({from})",
                req.model,
            ),
        )
        .advise(
            Advice::PickUsableModel,
            "`virt-cpu models --host-caps …`",
        )
        .at(doc, Some(req.model_el));
        // explain's reading needs the features by name.
        out.push(match blockers.is_empty() {
            true => d,
            false => d.symptom(Symptom::Lacks {
                features: blockers.iter().map(|b| b.to_string()).collect(),
                by: req.source.refused_by(),
                tcg: false,
            }),
        });
    }
    let Some(host) = dc.host_features(catalog) else {
        return;
    };
    for (name, el, on, written) in &req.features {
        let Some(i) = catalog.qemu.feature_index(name) else {
            continue;
        };
        // vmx/svm: `nested-host-lacks` says why a host lacks them and what to do.
        if *on && !host.contains(i) && crate::edit::nested::Ext::of_feature(name).is_none() {
            out.push(
                Diagnostic::new(
                    "host-lacks-feature",
                    severity,
                    format!(
                        "this host lacks '{written}'{}, which {} turns on; {consequence} ({from})",
                        also_spelled(written, name),
                        req.source.label()
                    ),
                )
                .symptom(Symptom::Lacks {
                    features: vec![name.clone()],
                    by: req.source.refused_by(),
                    tcg: false,
                })
                .at(doc, Some(*el)),
            );
        }
    }
}

/// A QEMU feature name as the user writes it in `source`: libvirt's name in `<cpu>`.
fn spelled_for(catalog: &Catalog, source: Source, qemu_name: &str) -> String {
    if !source.libvirt_names() {
        return qemu_name.to_string();
    }
    catalog
        .qemu
        .feature(qemu_name)
        .and_then(|f| f.libvirt.clone())
        .unwrap_or_else(|| crate::catalog::names::qemu_to_libvirt(qemu_name).to_string())
}

/// ` (QEMU: pclmulqdq)` when QEMU's name for a feature is not the written one with `_` as `-`
/// (libvirt's `pclmuldq`), so the name on the -cpu line can be found; empty otherwise.
fn also_spelled(written: &str, qemu_name: &str) -> String {
    if written.replace('_', "-") == qemu_name.replace('_', "-") {
        String::new()
    } else {
        format!(" (QEMU: {qemu_name})")
    }
}
