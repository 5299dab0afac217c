//! Moving the CPU model and features between `<cpu>` and `<qemu:cpu>`, and converting
//! `<qemu:cpu>` to and from `<qemu:commandline>` (which works on today's libvirt).

use super::cpu::{insert_in_domain, strip_cpu};
use super::notes::{Carried, Notes, Placed, tail_lines};
use super::qemu_cpu::{OptionSpec, new_qemu_cpu, qemu_cpu_replacing};
use super::{EditError, empty_element};
use crate::catalog::names::{ALWAYS_DROPPED, libvirt_to_qemu, qemu_to_libvirt};
use crate::domain::{CommandlineArg, CpuDef, Domain, Feature, QemuCpu};
use crate::domain::{Policy, PolicyEffect};
use crate::xml::{Document, ElemId, Splice};

fn refuse<T>(msg: impl Into<String>) -> Result<T, EditError> {
    Err(EditError::Refused(msg.into()))
}

/// `<cpu>` → `<qemu:cpu>`: the model (or the pseudo-model of the mode), then every setting QEMU
/// has a name for as an option, each with the user's comments; the new `<qemu:cpu>` takes the
/// place of the old one or of an emptied `<cpu>`.
pub(super) fn to_qemu(doc: &Document, dom: &Domain) -> Result<Vec<Splice>, EditError> {
    let Some(cpu) = &dom.cpu else {
        return refuse("there is no <cpu> to move to <qemu:cpu>");
    };
    let mode = cpu.mode.as_deref().unwrap_or("custom");
    let model = qemu_model_for(cpu, mode)?;
    if dom.qemu_cpu.as_ref().is_some_and(|q| !q.models.is_empty()) {
        return refuse("<qemu:cpu> already has a model; remove one of the two first");
    }
    let mut moved: Vec<ElemId> = cpu.features.iter().map(|f| f.el).collect();
    moved.extend(cpu.model.as_ref().map(|m| m.el));
    let vendors: Vec<ElemId> = doc.plain_children(cpu.el, "vendor").collect();
    moved.extend(&vendors);
    // The user's comments go with what they describe; when <cpu> empties, all of them.
    let emptied = doc.children(cpu.el).all(|c| moved.contains(&c));
    let carried = Carried::from(doc, cpu.el, &moved, !emptied);
    let (mut options, mut notes) = cpu_options(cpu, mode, &carried)?;
    // <vendor> has no QEMU counterpart (the move says so); its comments stay with the rest.
    for &v in &vendors {
        let Notes { before, after } = carried.of(v);
        notes.tail.extend(before.into_iter().chain(after));
    }
    notes.tail.extend(carried.rest);
    if let Some(q) = &dom.qemu_cpu {
        let option_els: Vec<ElemId> = q.options.iter().map(|o| o.el).collect();
        let q_carried = Carried::from(doc, q.el, &option_els, false);
        for o in &q.options {
            options.push((o.name.clone().unwrap_or_default(), o.value.clone()));
            notes.items.push(q_carried.of(o.el));
        }
        notes.tail.extend(q_carried.rest);
    }
    let new = NewQemuCpu {
        model: &model,
        options: &options,
        notes: &notes,
    };
    Ok(replace_cpu_with_qemu_cpu(doc, dom, cpu.el, &moved, &new))
}

/// The QEMU model `<cpu>` stands for: `host` for host-passthrough, `max` for maximum, else its
/// model. host-model has none (libvirt resolves it from the host at start).
fn qemu_model_for(cpu: &CpuDef, mode: &str) -> Result<String, EditError> {
    match mode {
        "host-passthrough" => Ok("host".to_string()),
        "maximum" => Ok("max".to_string()),
        "host-model" => refuse(
            "host-model is resolved by libvirt from the host CPU at start; QEMU has no equivalent — pick a model first (--model)",
        ),
        _ => match cpu.model.as_ref().filter(|m| !m.name.is_empty()) {
            Some(m) => Ok(m.name.clone()),
            None => refuse("<cpu> has no model to move"),
        },
    }
}

/// `<cpu>`'s settings as `-cpu` options, with the comments of each: `migratable` (outside
/// custom mode), the model's `vendor_id` (in custom mode), then the features in order, less
/// those libvirt always leaves out of `-cpu` ([`ALWAYS_DROPPED`]: their comments go to the end).
fn cpu_options(
    cpu: &CpuDef,
    mode: &str,
    carried: &Carried,
) -> Result<(Vec<OptionSpec>, Placed), EditError> {
    let mut notes = Placed {
        model: cpu
            .model
            .as_ref()
            .map(|m| carried.of(m.el))
            .unwrap_or_default(),
        ..Placed::default()
    };
    let mut options: Vec<OptionSpec> = Vec::new();
    if let Some(m) = cpu.migratable.as_ref().filter(|_| mode != "custom") {
        options.push(("migratable".into(), Some(m.clone())));
        notes.items.push(Notes::default());
    }
    if let Some(v) = cpu
        .model
        .as_ref()
        .and_then(|m| m.vendor_id.clone())
        .filter(|_| mode == "custom")
    {
        options.push(("vendor".into(), Some(v)));
        notes.items.push(Notes::default());
    }
    for f in &cpu.features {
        if f.name
            .as_deref()
            .is_some_and(|n| ALWAYS_DROPPED.contains(&n))
        {
            // libvirt never passed it and QEMU has no such property: it stays out (the move
            // says so), its comments kept with the rest.
            let Notes { before, after } = carried.of(f.el);
            notes.tail.extend(before.into_iter().chain(after));
            continue;
        }
        options.push(feature_option(f)?);
        notes.items.push(carried.of(f.el));
    }
    Ok((options, notes))
}

/// A `<feature>` as a QEMU option, `NAME=on` or `NAME=off`. `optional` has no QEMU form (libvirt
/// resolves it against the host), and a policy libvirt refuses is refused here too.
fn feature_option(f: &Feature) -> Result<OptionSpec, EditError> {
    let name = f.name.clone().unwrap_or_default();
    let value = match f.known_policy().map(Policy::effect) {
        Some(PolicyEffect::On) => "on",
        Some(PolicyEffect::Off) => "off",
        Some(PolicyEffect::OnIfHostHas) => {
            return refuse(format!(
                "feature '{name}' is optional, which QEMU cannot express (libvirt resolves it against the host); set it to require or disable first"
            ));
        }
        None => {
            return refuse(format!(
                "feature '{name}' has the policy '{}', which libvirt refuses; use one of {}",
                f.policy.as_deref().unwrap_or_default(),
                Policy::names()
            ));
        }
    };
    Ok((libvirt_to_qemu(&name).to_string(), Some(value.to_string())))
}

/// What the new `<qemu:cpu>` holds.
struct NewQemuCpu<'a> {
    model: &'a str,
    options: &'a [OptionSpec],
    notes: &'a Placed,
}

/// The splices of the move: `<cpu>` stripped of what moved (and of the attributes QEMU has no
/// use for), and the new `<qemu:cpu>` in place of the old one, of `<cpu>` when it emptied, or
/// where `<qemu:cpu>` belongs.
fn replace_cpu_with_qemu_cpu(
    doc: &Document,
    dom: &Domain,
    cpu: ElemId,
    moved: &[ElemId],
    new: &NewQemuCpu,
) -> Vec<Splice> {
    let (model, options, notes) = (Some(new.model), new.options, new.notes);
    let stripped = strip_cpu(doc, cpu, moved, &["mode", "match", "check", "migratable"]);
    let cpu_removed = stripped == [doc.remove_element(cpu)];
    let stripped = merge_deletions(doc, stripped);
    let mut out = Vec::new();
    match (&dom.qemu_cpu, cpu_removed) {
        // The new <qemu:cpu> takes the place of the old one, or of the emptied <cpu>.
        (Some(q), _) => {
            out.extend(stripped);
            out.extend(qemu_cpu_replacing(doc, q.el, model, options, notes));
        }
        (None, true) => out.extend(qemu_cpu_replacing(doc, cpu, model, options, notes)),
        (None, false) => {
            out.extend(stripped);
            out.extend(new_qemu_cpu(doc, model, options, notes));
        }
    }
    out
}

/// One `-cpu` option split into QEMU's name and an on/off state, when it is a boolean.
fn as_feature(name: &str, value: Option<&str>) -> Option<(String, bool)> {
    if let Some(rest) = name.strip_prefix('+') {
        return Some((rest.to_string(), true));
    }
    if let Some(rest) = name.strip_prefix('-') {
        return Some((rest.to_string(), false));
    }
    match value {
        None | Some("on") => Some((name.replace('_', "-"), true)),
        Some("off") => Some((name.replace('_', "-"), false)),
        _ => None,
    }
}

/// `<qemu:cpu>` → `<cpu>`: the model libvirt's CPU map knows (or the mode of a pseudo-model),
/// then every option `<cpu>` can express, each with the user's comments, into the `<cpu>` there
/// is or a new one where libvirt puts it. Refused when an option has no `<cpu>` form.
pub(super) fn to_cpu(
    doc: &Document,
    dom: &Domain,
    map: &crate::catalog::LibvirtMap,
) -> Result<Vec<Splice>, EditError> {
    let Some(q) = &dom.qemu_cpu else {
        if dom.commandline_cpu.is_some() {
            return refuse(
                "the -cpu is passed by <qemu:commandline>: convert it to <qemu:cpu> first (`virt-cpu convert FILE --to qemu-cpu`), then move it to <cpu>",
            );
        }
        return refuse("there is no <qemu:cpu> to move to <cpu>");
    };
    let Some(qmodel) = q.models.first().and_then(|m| m.name.clone()) else {
        return refuse("<qemu:cpu> has no model to move");
    };
    if let Some(cpu) = &dom.cpu
        && (cpu.model.as_ref().is_some_and(|m| !m.name.is_empty()) || !cpu.features.is_empty())
    {
        return refuse("<cpu> already has a model or features; remove one of the two first");
    }
    let (mode, model) = libvirt_model_for(&qmodel, map)?;
    let moving = ForCpu::sort(doc, q, mode, map)?;
    let model_element = model
        .as_deref()
        .map(|m| model_element(doc, m, moving.vendor_id.as_deref()));
    let mut out = vec![doc.remove_element(q.el)];
    if let Some(prefix) = doc.qemu_prefix_on_root().filter(|p| !p.is_empty())
        && doc.qemu_prefix_unused_without(q.el, &prefix)
    {
        // Declared for the <qemu:cpu> that goes, and used by nothing else.
        out.extend(doc.remove_attr(doc.root(), &format!("xmlns:{prefix}")));
    }
    match &dom.cpu {
        Some(cpu) => out.extend(fill_cpu(doc, cpu.el, mode, model_element, moving)),
        None => {
            let fragment = new_cpu(doc, mode, model_element, moving);
            let placed = insert_in_domain(
                doc,
                &fragment,
                &["features"],
                &["clock", "on_poweroff", "devices"],
            );
            // Where <cpu> belongs touches the removed <qemu:cpu> (nothing else was between
            // them): it takes <qemu:cpu>'s place instead.
            if out[0].range.contains(&placed.range.start) || out[0].range.end == placed.range.start
            {
                out[0] = Splice::replace(doc.element(q.el).outer(), fragment);
            } else {
                out.push(placed);
            }
        }
    }
    Ok(out)
}

/// The mode and model `<cpu>` gets for a QEMU model: host-passthrough for `host`, maximum for
/// `max`, else the model of libvirt's CPU map with that name or, for a `-v1`, its plain name.
fn libvirt_model_for(
    qmodel: &str,
    map: &crate::catalog::LibvirtMap,
) -> Result<(&'static str, Option<String>), EditError> {
    Ok(match qmodel {
        "host" => ("host-passthrough", None),
        "max" => ("maximum", None),
        name if map.model(name).is_some() => ("custom", Some(name.to_string())),
        name => match name
            .strip_suffix("-v1")
            .filter(|base| map.model(base).is_some())
        {
            Some(base) => ("custom", Some(base.to_string())),
            None => {
                return refuse(format!(
                    "libvirt {}'s <cpu> knows no model '{name}' (its CPU map has no such model, nor the plain name of this -v1); keep it in <qemu:cpu>",
                    map.release().line()
                ));
            }
        },
    })
}

/// What of `<qemu:cpu>` goes into `<cpu>`, with the user's comments: those of the model, of
/// each feature, and the rest (of options that become attributes, and loose ones) for the end.
struct ForCpu {
    model_notes: Option<Notes>,
    /// libvirt's name, policy, comments.
    features: Vec<(String, Policy, Notes)>,
    vendor_id: Option<String>,
    migratable: Option<String>,
    tail: Vec<String>,
}

impl ForCpu {
    /// Each option to where `<cpu>` keeps it: `vendor` to the model's `vendor_id` (custom mode),
    /// `migratable` to `<cpu>`'s attribute (other modes), a boolean libvirt's map knows to a
    /// `<feature>`. Anything else is refused, all of them named.
    fn sort(
        doc: &Document,
        q: &QemuCpu,
        mode: &str,
        map: &crate::catalog::LibvirtMap,
    ) -> Result<ForCpu, EditError> {
        // The user's comments go with what they describe; the rest to the end of <cpu>.
        let mut moving: Vec<ElemId> = q.options.iter().map(|o| o.el).collect();
        moving.extend(q.models.first().map(|m| m.el));
        let mut carried = Carried::from(doc, q.el, &moving, false);
        let mut sorted = ForCpu {
            model_notes: q.models.first().map(|m| carried.of(m.el)),
            features: Vec::new(),
            vendor_id: None,
            migratable: None,
            tail: Vec::new(),
        };
        let mut unmovable = Vec::new();
        for o in &q.options {
            let name = o.name.clone().unwrap_or_default();
            match (name.as_str(), o.value.as_deref()) {
                ("vendor", Some(v)) if mode == "custom" => {
                    sorted.vendor_id = Some(v.to_string());
                    let Notes { before, after } = carried.of(o.el);
                    sorted.tail.extend(before.into_iter().chain(after));
                }
                ("migratable", Some(v @ ("on" | "off"))) if mode != "custom" => {
                    sorted.migratable = Some(v.to_string());
                    let Notes { before, after } = carried.of(o.el);
                    sorted.tail.extend(before.into_iter().chain(after));
                }
                _ => match as_feature(&name, o.value.as_deref()) {
                    Some((qname, on)) if map.feature(qemu_to_libvirt(&qname)).is_some() => {
                        sorted.features.push((
                            qemu_to_libvirt(&qname).to_string(),
                            Policy::turning(on),
                            carried.of(o.el),
                        ));
                    }
                    _ => unmovable.push(o.to_arg()),
                },
            }
        }
        if !unmovable.is_empty() {
            return refuse(format!(
                "libvirt's <cpu> cannot express {}; keep these in <qemu:cpu> (or remove them first)",
                unmovable.join(", ")
            ));
        }
        sorted.tail.append(&mut carried.rest);
        Ok(sorted)
    }

    /// The `<feature>` elements, each with its comments, indented by `indent`.
    fn feature_elements(&self, doc: &Document, indent: &str) -> Vec<String> {
        let nl = doc.style().newline;
        self.features
            .iter()
            .map(|(n, p, notes)| {
                let element = empty_element(
                    doc,
                    "feature",
                    &[("policy", p.name()), ("name", n.as_str())],
                );
                notes.around(&element, nl, indent)
            })
            .collect()
    }
}

/// `<model>NAME</model>`, with `vendor_id` when there is one.
fn model_element(doc: &Document, model: &str, vendor_id: Option<&str>) -> String {
    let mut open = String::from("<model");
    if let Some(v) = vendor_id {
        open.push_str(&doc.style().attribute("vendor_id", v));
    }
    format!("{open}>{}</model>", crate::xml::Style::escape_text(model))
}

/// Into the `<cpu>` there is (with no model nor feature, maybe a topology): the mode and
/// `migratable` attributes, the model first and the features and comments last.
fn fill_cpu(
    doc: &Document,
    cpu: ElemId,
    mode: &str,
    model_element: Option<String>,
    moving: ForCpu,
) -> Vec<Splice> {
    let nl = doc.style().newline;
    let mut out = Vec::new();
    if mode != "custom" {
        out.push(doc.set_attr(cpu, "mode", mode));
    }
    if let Some(m) = &moving.migratable {
        out.push(doc.set_attr(cpu, "migratable", m));
    }
    let indent = doc.child_indent(cpu);
    let model = model_element.map(|m| {
        moving
            .model_notes
            .clone()
            .unwrap_or_default()
            .around(&m, nl, &indent)
    });
    let mut rest = moving.feature_elements(doc, &indent);
    rest.extend(moving.tail);
    out.extend(add_children(doc, cpu, model.as_deref(), &rest));
    out
}

/// A new `<cpu>` element, written in the document's style: the mode and `migratable`
/// attributes, the model, the features, the comments last; `<cpu/>` when it holds nothing.
fn new_cpu(doc: &Document, mode: &str, model_element: Option<String>, moving: ForCpu) -> String {
    let nl = doc.style().newline;
    let indent = doc.child_indent(doc.root());
    let inner = format!("{indent}{}", doc.style().indent);
    let mut fragment = String::from("<cpu");
    if mode != "custom" {
        fragment.push_str(&doc.style().attribute("mode", mode));
    }
    if let Some(m) = &moving.migratable {
        fragment.push_str(&doc.style().attribute("migratable", m));
    }
    let mut children: Vec<String> = model_element
        .map(|m| {
            moving
                .model_notes
                .clone()
                .unwrap_or_default()
                .around(&m, nl, &inner)
        })
        .into_iter()
        .collect();
    children.extend(moving.feature_elements(doc, &inner));
    if children.is_empty() && moving.tail.is_empty() {
        fragment.push_str("/>");
    } else {
        fragment.push('>');
        for c in &children {
            fragment.push_str(&format!("{nl}{inner}{c}"));
        }
        fragment.push_str(&tail_lines(&moving.tail, nl, &inner));
        fragment.push_str(&format!("{nl}{indent}</cpu>"));
    }
    fragment
}

/// Adds children to `<cpu>`, each already written with its comments: the model first (as
/// libvirt orders them), the others last.
fn add_children(
    doc: &Document,
    cpu: ElemId,
    model: Option<&str>,
    others: &[String],
) -> Vec<Splice> {
    let nl = doc.style().newline;
    let indent = doc.child_indent(cpu);
    let join = |items: &[&str]| items.join(&format!("{nl}{indent}"));
    let others: Vec<&str> = others.iter().map(String::as_str).collect();
    match (doc.children(cpu).next(), doc.children(cpu).last()) {
        (Some(first), Some(last)) => {
            let mut out: Vec<Splice> = model
                .map(|m| doc.insert_before(first, m))
                .into_iter()
                .collect();
            if !others.is_empty() {
                out.push(doc.insert_after(last, &join(&others)));
            }
            out
        }
        _ => {
            let all: Vec<&str> = model.into_iter().chain(others).collect();
            match all.is_empty() {
                true => Vec::new(),
                false => vec![doc.append_child(cpu, &join(&all))],
            }
        }
    }
}

pub(super) fn to_commandline(
    doc: &Document,
    dom: &Domain,
    value: &str,
) -> Result<Vec<Splice>, EditError> {
    let Some(q) = &dom.qemu_cpu else {
        return refuse("there is no <qemu:cpu> to convert");
    };
    if !dom.commandline_cpu_values().is_empty() {
        return refuse("<qemu:commandline> already passes -cpu; remove it first");
    }
    let existing = doc
        .children(doc.root())
        .find(|&c| doc.is_qemu(c, "commandline"));
    let nl = doc.style().newline;
    // The user's comments in <qemu:cpu> stay, before the arguments that replace it.
    let comments = Carried::from(doc, q.el, &[], false).rest;
    let out = match existing {
        Some(cl) => {
            // The arguments are children of that element: they take its prefix (none when
            // it uses a default namespace), which is declared wherever it is declared.
            let name = qualified(doc.prefix(cl), "arg");
            let arg = |v: &str| empty_element(doc, &name, &[("value", v)]);
            let indent = doc.child_indent(cl);
            let args = format!("{}{nl}{indent}{}", arg("-cpu"), arg(value));
            let notes = Notes {
                before: comments,
                after: Vec::new(),
            };
            vec![
                doc.remove_element(q.el),
                doc.append_child(cl, &notes.around(&args, nl, &indent)),
            ]
        }
        None => {
            // The arguments take the place of <qemu:cpu>, under the prefix declared on
            // <domain> (declaring it there when only the removed <qemu:cpu> declared it).
            let (prefix, ns) = doc.ensure_qemu_namespace();
            let arg = |v: &str| empty_element(doc, &format!("{prefix}:arg"), &[("value", v)]);
            let indent = doc.child_indent(doc.root());
            let inner = format!("{indent}{}", doc.style().indent);
            let fragment = format!(
                "<{prefix}:commandline>{}{nl}{inner}{}{nl}{inner}{}{nl}{indent}</{prefix}:commandline>",
                tail_lines(&comments, nl, &inner),
                arg("-cpu"),
                arg(value)
            );
            let mut out = vec![Splice::replace(doc.element(q.el).outer(), fragment)];
            out.extend(ns);
            out
        }
    };
    Ok(out)
}

/// `local` under `prefix`, or unprefixed.
fn qualified(prefix: Option<&str>, local: &str) -> String {
    match prefix {
        Some(p) => format!("{p}:{local}"),
        None => local.to_string(),
    }
}

/// Deletions merged where they overlap or touch. Removing neighbouring elements can give
/// overlapping ranges: one takes its whole line, the next (sharing its line with the parent's
/// end tag) the line break before it. The union then also takes the line break before the
/// first, as removing the run as one element would, so the end tag stays where it was.
fn merge_deletions(doc: &Document, mut deletions: Vec<Splice>) -> Vec<Splice> {
    let src = doc.source();
    deletions.sort_by_key(|s| (s.range.start, s.range.end));
    let mut out: Vec<Splice> = Vec::with_capacity(deletions.len());
    for d in deletions {
        debug_assert!(d.text.is_empty(), "only deletions are merged");
        match out.last_mut() {
            Some(prev) if d.range.start <= prev.range.end => {
                let overlap = d.range.start < prev.range.end;
                prev.range.end = prev.range.end.max(d.range.end);
                if overlap && src[..prev.range.start].ends_with('\n') {
                    let before = &src[..prev.range.start - 1];
                    prev.range.start -= if before.ends_with('\r') { 2 } else { 1 };
                }
            }
            _ => out.push(d),
        }
    }
    out
}

/// `<qemu:commandline>`'s `-cpu` → `<qemu:cpu>`: every `-cpu` and its value go (QEMU keeps
/// only the last, which becomes the new element, less what libvirt appends anyway), and a
/// `<qemu:commandline>` left empty gives its place to the new `<qemu:cpu>`.
pub(super) fn from_commandline(
    doc: &Document,
    dom: &Domain,
    appended: &[String],
) -> Result<Vec<Splice>, EditError> {
    if dom.qemu_cpu.is_some() {
        return refuse("the domain already has <qemu:cpu>");
    }
    let args = &dom.commandline;
    let pairs = cpu_arg_pairs(args)?;
    let Some(&(_, last)) = pairs.last() else {
        return refuse("<qemu:commandline> passes no -cpu to convert");
    };
    let value = args[last].value.clone().unwrap_or_default();
    let (model, options) = split_cpu_value(&value, appended);
    let removed: Vec<ElemId> = pairs
        .iter()
        .flat_map(|&(f, v)| [args[f].el, args[v].el])
        .collect();
    let (place, deletions, notes) = remove_cpu_args(doc, &removed);
    let mut out = merge_deletions(doc, deletions);
    match place {
        Some(cl) => out.extend(qemu_cpu_replacing(
            doc,
            cl,
            model.as_deref(),
            &options,
            &notes,
        )),
        // Placed among <domain>'s children (after <cpu>, before <devices>, or last): never
        // inside a <qemu:commandline>, where the deletions are.
        None => out.extend(new_qemu_cpu(doc, model.as_deref(), &options, &notes)),
    }
    Ok(out)
}

/// Each `-cpu` with the argument after it (their positions), as QEMU reads them (and as
/// `Domain::commandline_cpu_values` pairs them). QEMU keeps only the last, so all go: an
/// earlier one left behind would override the new `<qemu:cpu>`.
fn cpu_arg_pairs(args: &[CommandlineArg]) -> Result<Vec<(usize, usize)>, EditError> {
    let is_flag = |k: usize| matches!(args[k].value.as_deref(), Some("-cpu" | "--cpu"));
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut k = 0;
    while k < args.len() {
        if is_flag(k) {
            if k + 1 == args.len() {
                return refuse("the last -cpu in <qemu:commandline> has no value");
            }
            pairs.push((k, k + 1));
            k += 2;
        } else {
            k += 1;
        }
    }
    Ok(pairs)
}

/// A `-cpu` value as its model and options, without the options libvirt appends anyway (the
/// merge reading adds them back).
fn split_cpu_value(value: &str, appended: &[String]) -> (Option<String>, Vec<OptionSpec>) {
    let mut items: Vec<&str> = value.split(',').collect();
    // Drop what libvirt appends anyway (the merge reading adds it back): its last run, at
    // the end or followed only by options of other names (added after it in the TUI, say),
    // whose order against it does not matter to QEMU.
    if !appended.is_empty() && items.len() > appended.len() {
        let base = |item: &str| {
            let name = item.split_once('=').map_or(item, |(n, _)| n);
            name.trim_start_matches(['+', '-']).replace('_', "-")
        };
        let run = (1..=items.len() - appended.len()).rev().find(|&k| {
            items[k..k + appended.len()]
                .iter()
                .zip(appended)
                .all(|(a, b)| a == b)
        });
        if let Some(k) = run {
            let names: Vec<String> = appended.iter().map(|a| base(a)).collect();
            if items[k + appended.len()..]
                .iter()
                .all(|i| !names.contains(&base(i)))
            {
                items.drain(k..k + appended.len());
            }
        }
    }
    let model = items
        .first()
        .map(|s| s.to_string())
        .filter(|s| !s.is_empty());
    let options: Vec<OptionSpec> = items
        .iter()
        .skip(1)
        .filter(|s| !s.is_empty())
        .map(|s| match s.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (s.to_string(), None),
        })
        .collect();
    (model, options)
}

/// Removing the `-cpu` arguments from the `<qemu:commandline>` elements holding them (a
/// `-cpu` and its value may sit in two). One left empty goes whole, and the first such gives
/// its place to the new `<qemu:cpu>` (one replacement splice, so nothing is inserted next to
/// or inside a removed range; returned first); from the others only the arguments go. The
/// comments of those that go are kept at the end of the new `<qemu:cpu>`.
fn remove_cpu_args(doc: &Document, removed: &[ElemId]) -> (Option<ElemId>, Vec<Splice>, Placed) {
    // The holders, in document order.
    let mut holders: Vec<ElemId> = Vec::new();
    for &a in removed {
        let cl = doc.parent(a).expect("an arg has a parent");
        if holders.last() != Some(&cl) {
            holders.push(cl);
        }
    }
    let mut place = None;
    let mut deletions = Vec::new();
    let mut notes = Placed::default();
    for cl in holders {
        if doc.children(cl).all(|c| removed.contains(&c)) {
            notes.tail.extend(Carried::from(doc, cl, &[], false).rest);
            if place.is_none() {
                place = Some(cl);
            } else {
                deletions.push(doc.remove_element(cl));
            }
        } else {
            deletions.extend(
                removed
                    .iter()
                    .filter(|&&a| doc.parent(a) == Some(cl))
                    .map(|&a| doc.remove_element(a)),
            );
        }
    }
    (place, deletions, notes)
}

/// Removes what libvirt added to `<cpu>` at define ([`Domain::cpu_is_libvirt_default`]):
/// the model and the `mode`, `match` and `check` attributes; `<cpu>` goes whole when nothing
/// else is in it (topology, NUMA and caches stay).
pub(super) fn strip_libvirt_default(doc: &Document, dom: &Domain) -> Vec<Splice> {
    let Some(cpu) = dom.cpu.as_ref().filter(|_| dom.cpu_is_libvirt_default()) else {
        return Vec::new();
    };
    let model: Vec<ElemId> = cpu.model.iter().map(|m| m.el).collect();
    merge_deletions(
        doc,
        strip_cpu(doc, cpu.el, &model, &["mode", "match", "check"]),
    )
}

/// What the user hears when an edit removes libvirt's default `<cpu>` model; `now`: where
/// the model is after the edit.
pub fn libvirt_default_note(dom: &Domain, now: &str) -> String {
    format!(
        "removed <model fallback='forbid'>{}</model> and check='none' from <cpu>: libvirt adds them at define \
         when <cpu> names no model (its default, not a choice of the domain's); the model is in {now} \
         (libvirt adds them again at the next define, and virt-cpu knows them for libvirt's)",
        dom.libvirt_default_model(),
    )
}

/// What moving `<cpu>` to `<qemu:cpu>` leaves behind: libvirt settings with no QEMU
/// counterpart, which the move drops (the CLI and the TUI say so). Empty for other edits.
pub fn left_behind(dom: &Domain) -> Vec<String> {
    let Some(cpu) = &dom.cpu else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    if let Some(v) = &cpu.vendor {
        notes.push(format!(
            "<vendor>{v}</vendor>: libvirt's check of the host CPU's vendor; QEMU has none"
        ));
    }
    if let Some(m) = &cpu.match_ {
        notes.push(format!(
            "match='{m}': libvirt's comparison with the host CPU; in <qemu:cpu> QEMU judges (enforce=on refuses what the host cannot provide)"
        ));
    }
    if let Some(c) = &cpu.check {
        notes.push(format!(
            "check='{c}': libvirt's verification of the started CPU; enforce=on is QEMU's nearest"
        ));
    }
    if let Some(f) = cpu.model.as_ref().and_then(|m| m.fallback.as_ref()) {
        notes.push(format!(
            "fallback='{f}': QEMU never substitutes another model; an unknown model fails"
        ));
    }
    for f in &cpu.features {
        if let Some(name) = f.name.as_deref().filter(|n| ALWAYS_DROPPED.contains(n)) {
            notes.push(format!(
                "<feature name='{name}'>: libvirt leaves it out of -cpu (QEMU cannot set it), so the guest never got it from there"
            ));
            continue;
        }
        if let (Some(name), Some(Policy::Forbid)) = (&f.name, f.known_policy()) {
            notes.push(format!(
                "policy='forbid' on {name}: it becomes {}=off, and forbid also refused a host that has it",
                libvirt_to_qemu(name)
            ));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use crate::edit::{Edit, Edited};
    use crate::xml::Document;

    #[test]
    fn moving_to_qemu_names_the_libvirt_settings_it_drops() {
        let xml = "<domain type='kvm'><cpu mode='custom' match='exact' check='partial'><model fallback='forbid'>Haswell</model><vendor>Intel</vendor><feature policy='forbid' name='lahf_lm'/><feature policy='require' name='vmx'/></cpu></domain>";
        let state = Edited::new(Document::parse(xml.as_bytes()).unwrap()).unwrap();
        let notes = state.left_behind(&Edit::MoveToQemu).join("\n");
        for expected in [
            "<vendor>Intel</vendor>",
            "match='exact'",
            "check='partial'",
            "fallback='forbid'",
            "lahf-lm=off",
        ] {
            assert!(
                notes.contains(expected),
                "{expected} missing from:\n{notes}"
            );
        }
        assert!(!notes.contains("vmx"), "{notes}");
        assert!(
            state
                .left_behind(&Edit::MoveToCpu(crate::edit::LibvirtModels(
                    &crate::catalog::Catalog::embedded().libvirt
                )))
                .is_empty()
        );
    }

    fn edited(xml: &str) -> crate::edit::Edited {
        crate::edit::Edited::new(crate::xml::Document::parse(xml.as_bytes()).unwrap()).unwrap()
    }

    fn after(xml: &str, edit: Edit) -> String {
        let mut state = edited(xml);
        state.apply(&edit).unwrap();
        state.doc.source().to_string()
    }

    fn to_cpu() -> Edit {
        Edit::MoveToCpu(crate::edit::LibvirtModels(
            &crate::catalog::Catalog::embedded().libvirt,
        ))
    }

    /// The comments describing the model and a feature go with them to <qemu:cpu> and back;
    /// one describing <vendor>, which QEMU has no place for, is kept at the end.
    #[test]
    fn comments_move_with_what_they_describe() {
        let xml = "<domain type='kvm'>\n  <name>a</name>\n  <cpu mode='custom' match='exact'>\n    <!-- the fleet's model -->\n    <model fallback='forbid'>Skylake-Client</model>\n    <vendor>Intel</vendor> <!-- vendor -->\n    <!-- nested -->\n    <feature policy='require' name='vmx'/> <!-- on -->\n    <!-- end -->\n  </cpu>\n</domain>\n";
        let moved = after(xml, Edit::MoveToQemu);
        assert_eq!(
            moved,
            "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n  <name>a</name>\n  <qemu:cpu>\n    <!-- the fleet's model -->\n    <qemu:model name='Skylake-Client'/>\n    <!-- nested -->\n    <qemu:option name='vmx' value='on'/> <!-- on -->\n    <!-- vendor -->\n    <!-- end -->\n  </qemu:cpu>\n</domain>\n"
        );
        // Back: <qemu:cpu> goes where <cpu> belongs, and the namespace it alone used goes too.
        assert_eq!(
            after(&moved, to_cpu()),
            "<domain type='kvm'>\n  <name>a</name>\n  <cpu>\n    <!-- the fleet's model -->\n    <model>Skylake-Client</model>\n    <!-- nested -->\n    <feature policy='require' name='vmx'/> <!-- on -->\n    <!-- vendor -->\n    <!-- end -->\n  </cpu>\n</domain>\n"
        );
    }

    /// When <cpu> keeps its topology, only the moved elements' comments leave with them.
    #[test]
    fn comments_of_what_stays_stay() {
        let xml = "<domain type='kvm'>\n  <cpu mode='custom'>\n    <!-- model -->\n    <model>Haswell</model>\n    <!-- 4 vCPUs -->\n    <topology sockets='1' cores='2' threads='2'/>\n    <!-- aes -->\n    <feature policy='disable' name='aes'/></cpu>\n  <devices/>\n</domain>";
        assert_eq!(
            after(xml, Edit::MoveToQemu),
            "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n  <cpu>\n    <!-- 4 vCPUs -->\n    <topology sockets='1' cores='2' threads='2'/></cpu>\n  <qemu:cpu>\n    <!-- model -->\n    <qemu:model name='Haswell'/>\n    <!-- aes -->\n    <qemu:option name='aes' value='off'/>\n  </qemu:cpu>\n  <devices/>\n</domain>"
        );
    }

    /// <qemu:cpu> last in <domain> (where <cpu> would go too) is replaced in place; a
    /// namespace that <qemu:commandline> still uses stays.
    #[test]
    fn qemu_cpu_last_in_the_domain_moves_to_cpu() {
        let xml = "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n  <name>d</name>\n  <qemu:commandline>\n    <qemu:arg value='-S'/>\n  </qemu:commandline>\n  <qemu:cpu>\n    <qemu:model name='Haswell'/>\n  </qemu:cpu>\n</domain>\n";
        assert_eq!(
            after(xml, to_cpu()),
            "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n  <name>d</name>\n  <qemu:commandline>\n    <qemu:arg value='-S'/>\n  </qemu:commandline>\n  <cpu>\n    <model>Haswell</model>\n  </cpu>\n</domain>\n"
        );
    }

    /// libvirt's appended options are dropped where they are, when what follows them sets
    /// other options; an option after them that one of them sets keeps them (QEMU's order).
    #[test]
    fn from_commandline_drops_libvirts_run_before_later_options() {
        let xml = |v: &str| {
            format!(
                "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n  <qemu:commandline>\n    <qemu:arg value='-cpu'/>\n    <qemu:arg value='{v}'/>\n  </qemu:commandline>\n</domain>\n"
            )
        };
        let appended = vec!["hv-relaxed=on".to_string(), "hv-vapic=on".to_string()];
        let edit = Edit::FromCommandline { appended };
        let moved = after(
            &xml("Skylake-Client,vmx=on,hv-relaxed=on,hv-vapic=on,pcid=off"),
            edit.clone(),
        );
        assert!(
            moved.contains("<qemu:option name='pcid' value='off'/>"),
            "{moved}"
        );
        assert!(!moved.contains("hv-relaxed"), "{moved}");
        let kept = after(
            &xml("Skylake-Client,vmx=on,hv-relaxed=on,hv-vapic=on,hv_relaxed=off"),
            edit,
        );
        assert!(
            kept.contains("<qemu:option name='hv-vapic' value='on'/>"),
            "{kept}"
        );
    }

    /// A feature joins a one-line <cpu> on its line, and comes after the comment that ends
    /// the line it follows; dropping a feature takes the comment on its line with it.
    #[test]
    fn added_features_keep_the_layout_the_user_wrote() {
        let feature = |name: &str| Edit::SetFeature {
            name: name.into(),
            policy: crate::domain::Policy::Require,
        };
        assert_eq!(
            after(
                "<domain>\n  <cpu mode='custom'><model>Haswell</model></cpu>\n</domain>",
                feature("vmx")
            ),
            "<domain>\n  <cpu mode='custom'><model>Haswell</model><feature policy='require' name='vmx'/></cpu>\n</domain>"
        );
        let commented = "<domain>\n  <cpu mode='custom'>\n    <model>Haswell</model> <!-- keep -->\n  </cpu>\n</domain>";
        let added = after(commented, feature("vmx"));
        assert_eq!(
            added,
            "<domain>\n  <cpu mode='custom'>\n    <model>Haswell</model> <!-- keep -->\n    <feature policy='require' name='vmx'/>\n  </cpu>\n</domain>"
        );
        let noted = added.replace("name='vmx'/>", "name='vmx'/> <!-- nested -->");
        assert_eq!(after(&noted, Edit::DropFeature("vmx".into())), commented);
    }
}
