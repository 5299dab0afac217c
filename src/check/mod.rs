//! Diagnostics and taints: what is wrong with a domain's CPU configuration, where, and what
//! to do, before libvirt or QEMU refuse it.

mod check_full;
mod diagnostic;
pub mod explain;
mod host;
mod hyperv_tcg;
mod nested;
mod phys_bits;
mod qemu_cpu;
mod taint;

pub use diagnostic::{Advice, Advised, Diagnostic, Related, Severity};
pub use taint::{Taint, taints};

use crate::argv::{self, CpuArg, LibvirtError, QemuCaps, Reading};
use crate::catalog::{Catalog, suggest};
use crate::domain::Domain;
use crate::xml::Document;

/// Everything `check` reports about a domain.
#[derive(Debug, Clone)]
pub struct Report {
    pub arg: CpuArg,
    pub diagnostics: Vec<Diagnostic>,
    pub taints: Vec<Taint>,
    /// Nested virtualisation in the element QEMU's `-cpu` comes from.
    pub nested: crate::edit::nested::Nested,
}

/// The errors in `after` that `before` did not have (same code and message): what an edit
/// introduced. `set` refuses these; the TUI names them before saving and after an edit.
pub fn new_errors<'a>(before: &[Diagnostic], after: &'a [Diagnostic]) -> Vec<&'a Diagnostic> {
    after
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .filter(|d| {
            !before
                .iter()
                .any(|b| b.code == d.code && b.message == d.message)
        })
        .collect()
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// No `-cpu` value and no error: the value depends on the host, which was not given
    /// (host-model, `match='minimum'`, `optional` features without `--host-caps`/`-c`).
    pub fn needs_host(&self) -> bool {
        self.arg.value.is_none()
            && !self.has_errors()
            && self.diagnostics.iter().any(|d| d.code == "needs-host")
    }
}

/// Runs every check on a loaded domain.
pub fn check(
    doc: &Document,
    dom: &Domain,
    caps: &QemuCaps,
    catalog: &Catalog,
    reading: Reading,
) -> Report {
    let arg = argv::compute(dom, caps, &catalog.libvirt, reading);
    let mut diagnostics = Vec::new();
    if let Err(e) = &arg.libvirt
        && e.message.starts_with(UNKNOWN_FEATURE)
    {
        diagnostics.extend(unknown_features(doc, dom, catalog, e));
    } else if let Err(e) = &arg.libvirt
        && let Some(d) = phys_bits::above_host(doc, caps, e)
    {
        diagnostics.push(d);
    } else if let Err(e) = &arg.libvirt {
        let mut d = from_libvirt(doc, catalog, e);
        if d.code == "libvirt-rejects" && compared_without_cpuid(dom, caps, e) {
            d.suggestion = Some(
                "this was compared with the host-model CPU of the domcapabilities; libvirt compares KVM guests with the CPU it reads from CPUID — add --host-capabilities FILE (that host's `virsh capabilities`) or use -c URI for libvirt's exact answer".into(),
            );
        }
        diagnostics.push(d);
    }
    if let Ok(cpu) = &arg.libvirt {
        // A start-time check of libvirt's left undone for want of the host: an info, since
        // the domain is right for a host that passes it and the value stands.
        for u in &cpu.unchecked {
            diagnostics.push(
                Diagnostic::new("host-not-checked", Severity::Info, u.message.clone())
                    .at(doc, u.el),
            );
        }
    }
    dropped_features(doc, dom, catalog, &mut diagnostics);
    qemu_cpu::check(doc, dom, catalog, &arg, &mut diagnostics);
    commandline(doc, dom, catalog, &mut diagnostics);
    libvirt_default_cpu(doc, dom, &mut diagnostics);
    hyperv_dependencies(doc, dom, &mut diagnostics);
    check_full::check(doc, dom, &mut diagnostics);
    hyperv_tcg::check(doc, dom, &arg, catalog, &mut diagnostics);
    host::check(doc, dom, caps, catalog, &mut diagnostics);
    nested::check(doc, dom, caps, catalog, &mut diagnostics);
    let refused = arg.libvirt.is_err();
    phys_bits::check(doc, dom, caps, catalog, refused, &mut diagnostics);
    deprecated_machine(doc, dom, catalog, &mut diagnostics);
    diagnostics.sort_by_key(|d| (d.severity, d.position.map(|p| (p.line, p.column))));
    let nested = crate::edit::nested::read(
        dom,
        catalog,
        caps.domcaps.as_ref(),
        crate::edit::nested::Part::effective(dom),
    );
    Report {
        arg,
        diagnostics,
        taints: taints(dom, caps, catalog.qemu.machine_types()),
        nested,
    }
}

/// A machine type QEMU marks deprecated (from the catalog's `query-machines`): QEMU warns at
/// start, libvirt taints the domain, and a later QEMU removes the type.
fn deprecated_machine(doc: &Document, dom: &Domain, catalog: &Catalog, out: &mut Vec<Diagnostic>) {
    let machines = catalog.qemu.machine_types();
    let Some(machine) = taint::deprecated_machine(dom, machines) else {
        return;
    };
    let alias = crate::catalog::machines::versioned(machine)
        .and_then(|(family, _)| machines?.alias_of_family(family));
    let advice = alias
        .map(|a| {
            format!(
                " — define it with machine='{a}' (the newest type), which changes the guest's ABI"
            )
        })
        .unwrap_or_default();
    out.push(
        Diagnostic::new(
            "deprecated-machine",
            Severity::Warning,
            format!(
                "QEMU {} marks machine type '{machine}' deprecated; libvirt taints the domain deprecated-config and a later QEMU removes the type{advice}",
                crate::catalog::versions::Version::parse(&catalog.qemu.version)
                    .map_or_else(|| catalog.qemu.version.clone(), |v| v.line())
            ),
        )
        .at(doc, dom.machine_el),
    );
}

/// A start-time host comparison of a KVM guest made without the CPUID host CPU (saved
/// domcapabilities alone): libvirt's own comparison may well differ.
fn compared_without_cpuid(dom: &Domain, caps: &QemuCaps, e: &LibvirtError) -> bool {
    e.stage == argv::Stage::Start
        && dom.virt_type == "kvm"
        && caps.domcaps.is_some()
        && caps.host_cpuid.is_none()
        && e.message.contains("host CPU")
}

/// libvirt's refusal, classified under a stable code and given a suggestion where one helps.
fn from_libvirt(doc: &Document, catalog: &Catalog, e: &LibvirtError) -> Diagnostic {
    let msg = &e.message;
    if e.needs_host {
        return Diagnostic::new("needs-host", Severity::Info, msg.clone()).at(doc, e.el);
    }
    let stage = stage(e);
    if let Some(name) = msg.strip_prefix("internal error: Unknown CPU model ") {
        let suggestion = versioned_base(name, catalog)
            .or_else(|| suggest::libvirt_model(&catalog.libvirt, name).map(|s| s.name));
        let (mut text, suggestion) = qemu_cpu::did_you_mean(
            format!(
                "{stage}: libvirt {} knows no CPU model '{name}' ({msg})",
                catalog.libvirt.release().line()
            ),
            suggestion,
        );
        if name.contains("-v") {
            text.push_str(" libvirt's <cpu> takes no versioned names; to pass a versioned QEMU model, put it in <qemu:cpu>");
        }
        let fix = suggestion.clone().map(crate::edit::Edit::SetModel);
        return Diagnostic::new("unknown-model", Severity::Error, text)
            .symptom(explain::Symptom::UnknownModel {
                name: name.to_string(),
            })
            .at(doc, e.el)
            .suggest(suggestion)
            .fix(fix);
    }
    let code = if msg.contains("Invalid mode attribute") {
        "bad-mode"
    } else if msg.contains("Invalid CPU feature policy") {
        "bad-policy"
    } else if msg.contains("specified more than once") {
        "feature-twice"
    } else {
        "libvirt-rejects"
    };
    // libvirt's message is quoted exactly; the advice follows it, apart.
    let hint = match code {
        "bad-mode" => " — use one of custom, host-model, host-passthrough, maximum",
        "bad-policy" => " — use one of force, require, optional, disable, forbid",
        "feature-twice" => " — keep one <feature> per name",
        _ => "",
    };
    let d = Diagnostic::new(code, Severity::Error, format!("{stage}: {msg}{hint}")).at(doc, e.el);
    // libvirt's own message is what `explain` reads ("missing features: …").
    match explain::symptoms(msg).into_iter().next() {
        Some(symptom) => d.symptom(symptom),
        None => d,
    }
}

/// What libvirt's refusal means for the admin: a definition it will not take, or a domain
/// it will not start.
fn stage(e: &LibvirtError) -> &'static str {
    match e.stage {
        argv::Stage::Parse | argv::Stage::Define => "libvirt refuses this definition",
        argv::Stage::Start => "libvirt accepts this definition but refuses to start it",
    }
}

/// How libvirt words its refusal of a feature its CPU map does not have.
const UNKNOWN_FEATURE: &str = "unsupported configuration: unknown CPU feature: ";

/// Every `<cpu>` feature libvirt's CPU map does not have, not only the first one libvirt stops
/// at, each with what the admin meant: a property libvirt sets from another element (pointed
/// to, and removal offered), libvirt's spelling of a QEMU name, or a one-letter typo.
fn unknown_features(
    doc: &Document,
    dom: &Domain,
    catalog: &Catalog,
    e: &LibvirtError,
) -> Vec<Diagnostic> {
    let map = &catalog.libvirt;
    let unknown: Vec<(&str, Option<crate::xml::ElemId>)> = dom
        .cpu
        .iter()
        .flat_map(|c| &c.features)
        .filter_map(|f| Some((f.name.as_deref()?, Some(f.el))))
        .filter(|(name, _)| map.feature(name).is_none())
        .collect();
    let first = e.message.strip_prefix(UNKNOWN_FEATURE).unwrap_or_default();
    let unknown = match unknown.is_empty() {
        true => vec![(first, e.el)],
        false => unknown,
    };
    let stage = stage(e);
    unknown
        .into_iter()
        .map(|(name, el)| {
            let head = format!(
                "{stage}: libvirt {} knows no CPU feature '{name}'",
                map.release().line()
            );
            let d = if let Some(other) = argv::libvirt::elsewhere::set_elsewhere(name) {
                Diagnostic::new(
                    "unknown-feature",
                    Severity::Error,
                    format!(
                        "{head}: QEMU's {} is not set through <cpu>; libvirt passes it from {}",
                        other.property, other.element
                    ),
                )
                .suggest(Some(format!(
                    "remove this <feature>; add {}",
                    other.element
                )))
                .fix(Some(crate::edit::Edit::DropFeature(name.to_string())))
            } else {
                let suggestion = suggest::libvirt_feature(map, &catalog.qemu, name).map(|s| s.name);
                let text = match &suggestion {
                    Some(s) => {
                        format!("{head}; did you mean '{s}'? (<cpu> uses libvirt's feature names)")
                    }
                    None => head,
                };
                let fix = suggestion
                    .clone()
                    .map(|to| crate::edit::Edit::RenameFeature {
                        from: name.to_string(),
                        to,
                    });
                Diagnostic::new("unknown-feature", Severity::Error, text)
                    .suggest(suggestion)
                    .fix(fix)
            };
            d.symptom(explain::Symptom::UnknownFeature {
                name: name.to_string(),
            })
            .at(doc, el)
        })
        .collect()
}

/// `<cpu>` features libvirt leaves out of `-cpu` whatever their policy: the admin who
/// requires `osxsave` gets nothing from it, and should know.
fn dropped_features(doc: &Document, dom: &Domain, catalog: &Catalog, out: &mut Vec<Diagnostic>) {
    let Some(cpu) = &dom.cpu else { return };
    for f in &cpu.features {
        let Some(name) = f.name.as_deref() else {
            continue;
        };
        if !argv::libvirt::drops_feature(&catalog.libvirt, name) {
            continue;
        }
        out.push(
            Diagnostic::new(
                "feature-dropped",
                Severity::Warning,
                format!(
                    "libvirt {} leaves '{name}' out of -cpu whatever its policy (QEMU cannot set it; virQEMUCapsCPUFilterFeatures): this <feature> does nothing",
                    catalog.libvirt.release().line()
                ),
            )
            .at(doc, Some(f.el))
            .suggest(Some("remove this <feature>".into()))
            .fix(Some(crate::edit::Edit::DropFeature(name.to_string()))),
        );
    }
}

/// `Skylake-Client-v4` → `Skylake-Client` when libvirt knows the unversioned name.
fn versioned_base(name: &str, catalog: &Catalog) -> Option<String> {
    let (base, version) = name.rsplit_once("-v")?;
    (version.chars().all(|c| c.is_ascii_digit()) && catalog.libvirt.model(base).is_some())
        .then(|| base.to_string())
}

/// `<cpu>` holding only what libvirt adds at define ([`Domain::cpu_is_libvirt_default`]) next
/// to a QEMU form: libvirt's default, not a second CPU definition.
fn libvirt_default_cpu(doc: &Document, dom: &Domain, out: &mut Vec<Diagnostic>) {
    let (Some(q), Some(cpu)) = (dom.qemu(), &dom.cpu) else {
        return;
    };
    if !dom.cpu_is_libvirt_default() {
        return;
    }
    let at = cpu.model.as_ref().map_or(cpu.el, |m| m.el);
    out.push(
        Diagnostic::new(
            "libvirt-default-model",
            Severity::Info,
            format!(
                "libvirt added <model fallback='forbid'>{}</model> and check='none' to <cpu> at define (its default when <cpu> \
                 names no model): not a second CPU definition — QEMU gets the model from {}; moving the CPU to <qemu:cpu> or <cpu> removes them \
                 (`virt-cpu convert FILE --to qemu-cpu`, `set FILE --move-to qemu`; x on the TUI's <cpu> pane)",
                dom.libvirt_default_model(),
                q.form.label()
            ),
        )
        .at(doc, Some(at)),
    );
}

/// A Hyper-V enlightenment on without one QEMU requires with it (QEMU's
/// `kvm_hyperv_properties[].dependencies`, [`crate::domain::HYPERV_DEPENDENCIES`]): under KVM
/// QEMU refuses to start, after libvirt accepted the domain.
fn hyperv_dependencies(doc: &Document, dom: &Domain, out: &mut Vec<Diagnostic>) {
    use crate::domain::hyperv_qemu_name as qemu;
    let Some(h) = &dom.features.hyperv else {
        return;
    };
    for (name, needs) in dom.hyperv_unmet() {
        let el = h.toggle(name).map_or(h.el, |t| t.el);
        let (how, fix) = if needs == "time" {
            (
                "add <timer name='hypervclock' present='yes'/> to <clock>".to_string(),
                None,
            )
        } else {
            (
                format!("turn {needs} on too (`virt-cpu set FILE --hyperv {needs}=on`)"),
                Some(crate::edit::Edit::SetHyperv(crate::edit::HvSetting::on(
                    needs,
                ))),
            )
        };
        let needs_what = if needs == "time" {
            "the hypervclock timer (hv-time)".to_string()
        } else {
            format!("{needs} ({})", qemu(needs))
        };
        out.push(
            Diagnostic::new(
                "hyperv-dependency",
                Severity::Error,
                format!(
                    "Hyper-V {name} ({}) requires {needs_what}, which is off: QEMU refuses to start under KVM (\"Hyper-V {name} requires Hyper-V {needs}\"); {how}",
                    qemu(name)
                ),
            )
            .at(doc, Some(el))
            .fix(fix),
        );
    }
}

/// `<qemu:commandline>` with its own `-cpu`: QEMU uses only the last one.
fn commandline(doc: &Document, dom: &Domain, catalog: &Catalog, out: &mut Vec<Diagnostic>) {
    let values = dom.commandline_cpu_values();
    let Some((last_el, last)) = values.last() else {
        return;
    };
    let mut d = Diagnostic::new(
        "commandline-overrides-cpu",
        Severity::Warning,
        format!(
            "<qemu:commandline> passes -cpu {last}: QEMU keeps only the last -cpu, whole, so libvirt's own -cpu{} is ignored \
             (its Hyper-V, KVM and other appended options included); libvirt still checks <cpu> at start",
            if dom.qemu_cpu.is_some() { " and <qemu:cpu>" } else { "" }
        ),
    )
    .at(doc, Some(*last_el));
    if let Some(cpu) = &dom.cpu {
        d = d.related(doc, cpu.el, "the <cpu> libvirt turns into its own -cpu");
    }
    out.push(d);
    // Fixes rewrite the value when it is where the domain keeps the QEMU model (no <qemu:cpu>).
    let fixable = dom.qemu_cpu.is_none();
    qemu_cpu::commandline_value(doc, catalog, *last_el, last, fixable, out);
}
