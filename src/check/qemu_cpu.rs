//! Checks of the proposed `<qemu:cpu>` and how it meets the rest of the domain.

use super::{Advice, Diagnostic, Severity};
use crate::argv::{CpuArg, Reading};
use crate::catalog::Catalog;
use crate::catalog::suggest;
use crate::domain::{Domain, QemuCpu};
use crate::xml::Document;

pub(super) fn check(
    doc: &Document,
    dom: &Domain,
    catalog: &Catalog,
    arg: &CpuArg,
    out: &mut Vec<Diagnostic>,
) {
    let Some(q) = &dom.qemu_cpu else { return };
    out.push(
        Diagnostic::new(
            "libvirt-drops-qemu-cpu",
            Severity::Warning,
            format!(
                "libvirt {} drops <qemu:cpu>: convert it to <qemu:commandline>, which gives QEMU the same -cpu today \
                 (`virt-cpu convert FILE --to commandline`; in the TUI, define offers it) — `virsh define` drops \
                 <qemu:cpu> silently and `virsh edit` / `define --validate` reject it (\"Element domain has extra content: cpu\")",
                catalog.libvirt.release().line()
            ),
        )
        .advise(
            Advice::ConvertToCommandline,
            "`virt-cpu convert FILE --to commandline`; in the TUI, define offers it",
        )
        .at(doc, Some(q.el)),
    );
    if !dom.qemu_ns_declared {
        out.push(
            Diagnostic::new(
                "namespace-missing",
                Severity::Error,
                format!(
                    "<domain> does not declare the QEMU namespace: add xmlns:qemu='{}' to <domain> (libvirt reads qemu: elements only then)",
                    crate::xml::QEMU_NS
                ),
            )
            .at(doc, Some(q.el)),
        );
    }
    model_twice(doc, dom, q, out);
    model(doc, catalog, q, out);
    options(doc, catalog, q, out);
    conflicts(doc, catalog, q, arg, out);
    for &child in &q.unknown_children {
        out.push(
            Diagnostic::new(
                "unknown-element",
                Severity::Error,
                format!("<{}> has no meaning in <qemu:cpu>; use <qemu:model name='…'/> and <qemu:option name='…' value='…'/>", doc.qname(child)),
            )
            .at(doc, Some(child)),
        );
    }
}

fn model_twice(doc: &Document, dom: &Domain, q: &QemuCpu, out: &mut Vec<Diagnostic>) {
    let Some(cpu) = &dom.cpu else { return };
    if dom.cpu_is_libvirt_default() {
        // libvirt's own addition at define (`libvirt-default-model` says so).
        return;
    }
    let cpu_model = cpu.model.as_ref().filter(|m| !m.name.is_empty());
    let cpu_features = !cpu.features.is_empty();
    let cpu_mode = cpu.mode.as_deref().filter(|m| *m != "custom");
    if cpu_model.is_none() && !cpu_features && cpu_mode.is_none() {
        return;
    }
    if q.models.is_empty() && q.options.is_empty() {
        return;
    }
    let what = match (cpu_model, cpu_mode) {
        (Some(m), _) => format!("model '{}'", m.name),
        (None, Some(mode)) => format!("mode '{mode}'"),
        (None, None) => "features".to_string(),
    };
    let mut d = Diagnostic::new(
        "model-twice",
        Severity::Error,
        format!(
            "the CPU is defined twice: <cpu> has {what} and <qemu:cpu> sets the model and options too; keep the model and \
             features in one place (`virt-cpu set FILE --move-to qemu` or `--move-to cpu`); <cpu> keeps topology, NUMA and cache"
        ),
    )
    .advise(
        Advice::MoveToOneElement,
        "`virt-cpu set FILE --move-to qemu` or `--move-to cpu`",
    )
    .at(doc, Some(q.el));
    let at = cpu_model
        .map(|m| m.el)
        .or_else(|| cpu.features.first().map(|f| f.el))
        .unwrap_or(cpu.el);
    d = d.related(doc, at, "the <cpu> definition");
    out.push(d);
}

fn model(doc: &Document, catalog: &Catalog, q: &QemuCpu, out: &mut Vec<Diagnostic>) {
    let Some(first) = q.models.first() else {
        out.push(
            Diagnostic::new(
                "qemu-cpu-without-model",
                Severity::Error,
                "<qemu:cpu> has no <qemu:model name='…'/>: QEMU's -cpu starts with a model; add one (e.g. `virt-cpu set FILE --qemu-model Icelake-Server-v4`)",
            )
            .advise(
                Advice::SetQemuModel,
                "e.g. `virt-cpu set FILE --qemu-model Icelake-Server-v4`",
            )
            .at(doc, Some(q.el)),
        );
        return;
    };
    for extra in &q.models[1..] {
        out.push(
            Diagnostic::new(
                "model-twice",
                Severity::Error,
                "<qemu:cpu> has more than one <qemu:model>; keep one",
            )
            .at(doc, Some(extra.el))
            .related(doc, first.el, "the first <qemu:model>"),
        );
    }
    let Some(name) = first.name.as_deref() else {
        out.push(
            Diagnostic::new(
                "qemu-cpu-without-model",
                Severity::Error,
                "<qemu:model> has no name attribute; add name='MODEL'",
            )
            .at(doc, Some(first.el)),
        );
        return;
    };
    if name.contains(',') {
        out.push(comma(doc, first.el, "model name", name));
        return;
    }
    let qemu = &catalog.qemu;
    if qemu.models.is_empty() {
        return;
    }
    match qemu.model(name) {
        None => {
            let (text, suggestion) = unknown_model(catalog, name);
            let fix = suggestion.clone().map(crate::edit::Edit::SetQemuModel);
            out.push(
                Diagnostic::new("unknown-model", Severity::Error, text)
                    .at(doc, Some(first.el))
                    .suggest(suggestion)
                    .fix(fix),
            );
        }
        Some(m) if m.deprecated => {
            out.push(
                Diagnostic::new(
                    "deprecated-model",
                    Severity::Warning,
                    format!(
                        "QEMU marks CPU model '{name}' deprecated; pick a newer version or model"
                    ),
                )
                .at(doc, Some(first.el)),
            );
        }
        Some(_) => {}
    }
}

fn comma(doc: &Document, el: crate::xml::ElemId, what: &str, value: &str) -> Diagnostic {
    Diagnostic::new(
        "comma-in-value",
        Severity::Error,
        format!("the {what} '{value}' contains a comma: QEMU's -cpu splits on every comma and has no escape for it; remove the comma"),
    )
    .at(doc, Some(el))
}

/// The option name QEMU compares: `+feat`/`-feat` as written, `_` read as `-` in `name=value`
/// and bare names (QEMU's -cpu parser), then aliases resolved to the canonical name
/// (`sse4_1` → `sse4.1`, `hv_vendor_id` → `hv-vendor-id`).
pub(crate) fn normalised_name(catalog: &Catalog, name: &str) -> String {
    let spelled = if name.starts_with('+') || name.starts_with('-') {
        name[1..].to_string()
    } else {
        name.replace('_', "-")
    };
    match catalog.qemu.option(&spelled) {
        Some(o) => o.canonical().to_string(),
        None => spelled,
    }
}

fn options(doc: &Document, catalog: &Catalog, q: &QemuCpu, out: &mut Vec<Diagnostic>) {
    let base = crate::argv::effective::qemu_cpu_base_of(q);
    for (i, o) in q.options.iter().enumerate() {
        let Some(name) = o.name.as_deref() else {
            out.push(
                Diagnostic::new(
                    "bad-option",
                    Severity::Error,
                    "<qemu:option> has no name attribute; add name='…'",
                )
                .at(doc, Some(o.el)),
            );
            continue;
        };
        if name.contains(',') || name.contains('=') {
            out.push(comma(doc, o.el, "option name", name));
            continue;
        }
        if let Some(v) = &o.value
            && v.contains(',')
        {
            out.push(comma(doc, o.el, "option value", v));
            continue;
        }
        let norm = normalised_name(catalog, name);
        if !catalog.qemu.models.is_empty() && catalog.qemu.option(&norm).is_none() {
            let (text, suggestion) = unknown_option(catalog, &norm);
            let fix = suggestion
                .clone()
                .map(|to| crate::edit::Edit::RenameQemuOption {
                    from: name.to_string(),
                    to,
                });
            out.push(
                Diagnostic::new("unknown-option", Severity::Error, text)
                    .at(doc, Some(o.el))
                    .suggest(suggestion)
                    .fix(fix),
            );
        }
        if let Some(prev) = q.options[..i].iter().find(|p| {
            p.name
                .as_deref()
                .map(|n| normalised_name(catalog, n))
                .as_deref()
                == Some(norm.as_str())
        }) {
            out.push(
                Diagnostic::new(
                    "feature-twice",
                    Severity::Warning,
                    format!(
                        "option '{norm}' is given twice in <qemu:cpu>; QEMU ends up with {} (`-feat` beats `+feat`, both beat `feat=`, else the last one wins); remove one",
                        effective_value(catalog, &base, &norm).unwrap_or_else(|| o.to_arg())
                    ),
                )
                .at(doc, Some(o.el))
                .related(doc, prev.el, "the first one"),
            );
        }
    }
}

/// What to say of a model QEMU does not have, and the closest one it has. The same words in
/// `<qemu:cpu>` and in `<qemu:commandline>`: converting between them moves the problem, and
/// `convert` compares the errors before and after by their words.
fn unknown_model(catalog: &Catalog, name: &str) -> (String, Option<String>) {
    did_you_mean(
        format!(
            "QEMU has no CPU model '{name}' (names are case-sensitive): the guest would not start (\"unable to find CPU model '{name}'\")"
        ),
        suggest::qemu_model(&catalog.qemu, name).map(|s| s.name),
    )
}

/// As [`unknown_model`], for an option (`norm`: its normalised name).
fn unknown_option(catalog: &Catalog, norm: &str) -> (String, Option<String>) {
    did_you_mean(
        format!(
            "QEMU's x86 CPU has no option '{norm}': the guest would not start (\"Property '…-x86_64-cpu.{norm}' not found\")"
        ),
        suggest::qemu_option(&catalog.qemu, norm).map(|s| s.name),
    )
}

/// `text` ending with the suggestion, when there is one.
pub(super) fn did_you_mean(
    mut text: String,
    suggestion: Option<String>,
) -> (String, Option<String>) {
    if let Some(s) = &suggestion {
        text.push_str(&format!("; did you mean '{s}'?"));
    }
    (text, suggestion)
}

/// The `-cpu` value a `<qemu:commandline>` passes reaches QEMU as written: its model and
/// options get the checks a `<qemu:cpu>` gets; with `fixable` (it is the domain's QEMU form),
/// the fixes too, which rewrite the value.
pub(super) fn commandline_value(
    doc: &Document,
    catalog: &Catalog,
    el: crate::xml::ElemId,
    value: &str,
    fixable: bool,
    out: &mut Vec<Diagnostic>,
) {
    let qemu = &catalog.qemu;
    if qemu.models.is_empty() {
        return;
    }
    let parsed = match crate::catalog::qemu_cpu_string::parse(value) {
        Ok(parsed) => parsed,
        Err(e) => {
            out.push(
                Diagnostic::new(
                    "bad-option",
                    Severity::Error,
                    format!("the -cpu value <qemu:commandline> passes is not one QEMU reads: {e}"),
                )
                .at(doc, Some(el)),
            );
            return;
        }
    };
    if qemu.model(&parsed.model).is_none() {
        let (text, suggestion) = unknown_model(catalog, &parsed.model);
        let fix = suggestion
            .clone()
            .filter(|_| fixable)
            .map(crate::edit::Edit::SetQemuModel);
        out.push(
            Diagnostic::new("unknown-model", Severity::Error, text)
                .at(doc, Some(el))
                .suggest(suggestion)
                .fix(fix),
        );
    }
    for item in &parsed.items {
        let norm = normalised_name(catalog, &item.name);
        if qemu.option(&norm).is_some() {
            continue;
        }
        let (text, suggestion) = unknown_option(catalog, &norm);
        // The name as written (`+feat` with its sign), as the edits find it.
        let written = item
            .raw
            .split_once('=')
            .map_or(item.raw.as_str(), |(n, _)| n);
        let fix =
            suggestion
                .clone()
                .filter(|_| fixable)
                .map(|to| crate::edit::Edit::RenameQemuOption {
                    from: written.to_string(),
                    to,
                });
        out.push(
            Diagnostic::new("unknown-option", Severity::Error, text)
                .at(doc, Some(el))
                .suggest(suggestion)
                .fix(fix),
        );
    }
}

/// `name=value` as QEMU resolves `name` in a whole `-cpu` value (QEMU's precedence rules).
fn effective_value(catalog: &Catalog, cpu: &str, name: &str) -> Option<String> {
    let parsed = crate::catalog::qemu_cpu_string::parse(cpu).ok()?;
    let e = parsed
        .effective(&catalog.qemu)
        .into_iter()
        .find(|e| e.name == name)?;
    Some(format!("{}={}", e.name, e.value))
}

fn conflicts(
    doc: &Document,
    catalog: &Catalog,
    q: &QemuCpu,
    arg: &CpuArg,
    out: &mut Vec<Diagnostic>,
) {
    let Ok(libvirt) = &arg.libvirt else { return };
    for o in &q.options {
        let Some(name) = o.name.as_deref() else {
            continue;
        };
        let norm = normalised_name(catalog, name);
        for item in &libvirt.flags {
            let item_name = item
                .text
                .split_once('=')
                .map_or(item.text.as_str(), |(n, _)| n);
            if normalised_name(catalog, item_name) != norm {
                continue;
            }
            let winner = match arg.reading {
                Reading::Merge => format!(
                    "QEMU ends up with {} (libvirt's part comes later)",
                    arg.value
                        .as_deref()
                        .and_then(|v| effective_value(catalog, v, &norm))
                        .unwrap_or_else(|| item.text.clone())
                ),
                Reading::Override => format!(
                    "in the override reading libvirt appends nothing, so QEMU ends up with {}",
                    o.to_arg()
                ),
            };
            out.push(
                Diagnostic::new(
                    "option-conflict",
                    Severity::Warning,
                    format!("'{norm}' is set both in <qemu:cpu> ({}) and by other configuration ({}): {winner}; set it in one place", o.to_arg(), item.text),
                )
                .at(doc, Some(o.el))
                .related(doc, item.el, format!("sets {}", item.text)),
            );
        }
    }
}
