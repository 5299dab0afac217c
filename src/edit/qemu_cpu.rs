//! Edits of the proposed `<qemu:cpu>`.

use super::EditError;
use super::commandline;
use super::cpu::insert_in_domain;
use super::notes::{Placed, tail_lines};
use crate::domain::{Domain, QemuCpu, QemuForm};
use crate::xml::{Document, Splice};

/// `(name, value)` of a `<qemu:option>`; `None` value writes a bare option.
pub(crate) type OptionSpec = (String, Option<String>);

fn option_element(doc: &Document, prefix: &str, name: &str, value: Option<&str>) -> String {
    let mut attrs = vec![("name", name)];
    if let Some(v) = value {
        attrs.push(("value", v));
    }
    super::empty_element(doc, &format!("{prefix}:option"), &attrs)
}

/// A whole new `<qemu:cpu>` element (and the namespace declaration when missing), with the
/// comments carried from what it replaces.
pub(crate) fn new_qemu_cpu(
    doc: &Document,
    model: Option<&str>,
    options: &[OptionSpec],
    notes: &Placed,
) -> Vec<Splice> {
    let (prefix, ns) = doc.ensure_qemu_namespace();
    let fragment = qemu_cpu_fragment(doc, &prefix, model, options, notes);
    let mut out = vec![insert_in_domain(
        doc,
        &fragment,
        &["cpu", "features"],
        &["clock", "on_poweroff", "devices"],
    )];
    out.extend(ns);
    out
}

/// A new `<qemu:cpu>` that takes the place of `el` (which the edit removes), plus the
/// namespace declaration when missing.
pub(crate) fn qemu_cpu_replacing(
    doc: &Document,
    el: crate::xml::ElemId,
    model: Option<&str>,
    options: &[OptionSpec],
    notes: &Placed,
) -> Vec<Splice> {
    let (prefix, ns) = doc.ensure_qemu_namespace();
    let fragment = qemu_cpu_fragment(doc, &prefix, model, options, notes);
    let mut out = vec![Splice::replace(doc.element(el).outer(), fragment)];
    out.extend(ns);
    out
}

/// `<qemu:cpu>` text indented for the domain level, each child with its comments.
fn qemu_cpu_fragment(
    doc: &Document,
    prefix: &str,
    model: Option<&str>,
    options: &[OptionSpec],
    notes: &Placed,
) -> String {
    let nl = doc.style().newline;
    let indent = doc.child_indent(doc.root());
    let inner = format!("{indent}{}", doc.style().indent);
    let mut fragment = format!("<{prefix}:cpu>");
    if let Some(m) = model {
        let element = super::empty_element(doc, &format!("{prefix}:model"), &[("name", m)]);
        fragment.push_str(&format!(
            "{nl}{inner}{}",
            notes.model.around(&element, nl, &inner)
        ));
    }
    for (k, (name, value)) in options.iter().enumerate() {
        let element = option_element(doc, prefix, name, value.as_deref());
        fragment.push_str(&format!(
            "{nl}{inner}{}",
            notes.item(k).around(&element, nl, &inner)
        ));
    }
    fragment.push_str(&tail_lines(&notes.tail, nl, &inner));
    fragment.push_str(&format!("{nl}{indent}</{prefix}:cpu>"));
    fragment
}

/// The prefix the existing `<qemu:cpu>` uses.
fn prefix_of(doc: &Document, el: crate::xml::ElemId) -> String {
    doc.prefix(el).unwrap_or("qemu").to_string()
}

/// The `-cpu` a `<qemu:commandline>` passes, when that is where the domain keeps the QEMU
/// model and options (no `<qemu:cpu>`): edits rewrite it instead.
fn on_commandline(dom: &Domain) -> Option<&QemuCpu> {
    dom.qemu().filter(|q| q.form == QemuForm::Commandline)
}

pub(super) fn set_model(doc: &Document, dom: &Domain, name: &str) -> Vec<Splice> {
    if let Some(q) = on_commandline(dom) {
        return commandline::set_model(doc, dom, q, name);
    }
    let Some(q) = &dom.qemu_cpu else {
        return new_qemu_cpu(doc, Some(name), &[], &Placed::default());
    };
    match q.models.first() {
        Some(m) if m.name.as_deref() == Some(name) => Vec::new(),
        Some(m) => vec![doc.set_attr(m.el, "name", name)],
        None => {
            let fragment = super::empty_element(
                doc,
                &format!("{}:model", prefix_of(doc, q.el)),
                &[("name", name)],
            );
            match doc.children(q.el).next() {
                Some(first) => vec![doc.insert_before(first, &fragment)],
                None => vec![doc.append_child(q.el, &fragment)],
            }
        }
    }
}

pub(super) fn set_option(
    doc: &Document,
    dom: &Domain,
    name: &str,
    value: Option<&str>,
) -> Vec<Splice> {
    if let Some(q) = on_commandline(dom) {
        return commandline::set_option(doc, dom, q, name, value);
    }
    let Some(q) = &dom.qemu_cpu else {
        return new_qemu_cpu(
            doc,
            None,
            &[(name.to_string(), value.map(str::to_string))],
            &Placed::default(),
        );
    };
    if let Some(o) = q.options.iter().find(|o| o.name.as_deref() == Some(name)) {
        if o.value.as_deref() == value {
            return Vec::new();
        }
        return vec![match value {
            Some(v) => doc.set_attr(o.el, "value", v),
            None => doc
                .remove_attr(o.el, "value")
                .expect("the option has a value"),
        }];
    }
    let fragment = option_element(doc, &prefix_of(doc, q.el), name, value);
    let last = q
        .options
        .last()
        .map(|o| o.el)
        .or_else(|| q.models.last().map(|m| m.el));
    match last {
        Some(anchor) => vec![doc.insert_after(anchor, &fragment)],
        None => vec![doc.append_child(q.el, &fragment)],
    }
}

pub(super) fn remove_option(
    doc: &Document,
    dom: &Domain,
    name: &str,
) -> Result<Vec<Splice>, EditError> {
    if let Some(q) = on_commandline(dom) {
        return commandline::remove_option(doc, dom, q, name);
    }
    let q = dom.qemu_cpu.as_ref().ok_or_else(|| {
        EditError::NotThere(format!(
            "there is no <qemu:cpu>, so no option '{name}' to remove"
        ))
    })?;
    let found: Vec<Splice> = q
        .options
        .iter()
        .filter(|o| o.name.as_deref() == Some(name))
        .map(|o| doc.remove_element(o.el))
        .collect();
    if found.is_empty() {
        return Err(EditError::NotThere(format!(
            "<qemu:cpu> has no option '{name}'"
        )));
    }
    Ok(found)
}

pub(super) fn rename_option(
    doc: &Document,
    dom: &Domain,
    from: &str,
    to: &str,
) -> Result<Vec<Splice>, EditError> {
    if let Some(q) = on_commandline(dom) {
        return commandline::rename_option(doc, dom, q, from, to);
    }
    let q = dom.qemu_cpu.as_ref().ok_or_else(|| {
        EditError::NotThere(format!("there is no <qemu:cpu>, so no option '{from}'"))
    })?;
    let found: Vec<Splice> = q
        .options
        .iter()
        .filter(|o| o.name.as_deref() == Some(from))
        .map(|o| doc.set_attr(o.el, "name", to))
        .collect();
    if found.is_empty() {
        return Err(EditError::NotThere(format!(
            "<qemu:cpu> has no option '{from}'"
        )));
    }
    Ok(found)
}
