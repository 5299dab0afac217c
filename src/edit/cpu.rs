//! Edits of `<cpu>`.

use super::{EditError, empty_element};
use crate::domain::{Domain, Policy};
use crate::xml::{Document, ElemId, Splice};

/// Where a new top-level element goes: after the first of `after` that exists, else before
/// the first of `before`, else as the last child of `<domain>`.
pub(crate) fn insert_in_domain(
    doc: &Document,
    fragment: &str,
    after: &[&str],
    before: &[&str],
) -> Splice {
    let root = doc.root();
    let find = |name: &str| {
        doc.children(root)
            .find(|&c| doc.namespace(c).is_none() && doc.local_name(c) == name)
    };
    if let Some(anchor) = after.iter().find_map(|n| find(n)) {
        return doc.insert_after(anchor, fragment);
    }
    if let Some(anchor) = before.iter().find_map(|n| find(n)) {
        return doc.insert_before(anchor, fragment);
    }
    doc.append_child(root, fragment)
}

/// A `<cpu>` with the given children, indented for the domain level.
fn new_cpu(doc: &Document, attrs: &[(&str, &str)], children: &[String]) -> Splice {
    let nl = doc.style().newline;
    let indent = doc.child_indent(doc.root());
    let inner = format!("{indent}{}", doc.style().indent);
    let mut fragment = String::from("<cpu");
    for (k, v) in attrs {
        fragment.push_str(&doc.style().attribute(k, v));
    }
    if children.is_empty() {
        fragment.push_str("/>");
    } else {
        fragment.push('>');
        for c in children {
            fragment.push_str(&format!("{nl}{inner}{c}"));
        }
        fragment.push_str(&format!("{nl}{indent}</cpu>"));
    }
    insert_in_domain(
        doc,
        &fragment,
        &["features"],
        &["clock", "on_poweroff", "devices"],
    )
}

fn model_element(name: &str) -> String {
    format!("<model>{}</model>", crate::xml::Style::escape_text(name))
}

pub(super) fn set_model(doc: &Document, dom: &Domain, name: &str) -> Vec<Splice> {
    let Some(cpu) = &dom.cpu else {
        return vec![new_cpu(doc, &[], &[model_element(name)])];
    };
    match &cpu.model {
        Some(m) if m.name == name => Vec::new(),
        Some(m) => vec![doc.set_text(m.el, name)],
        None => vec![prepend_child(doc, cpu.el, &model_element(name))],
    }
}

/// Inserts as the first child (libvirt writes `<model>` first), or appends to an empty parent.
fn prepend_child(doc: &Document, parent: ElemId, fragment: &str) -> Splice {
    match doc.children(parent).next() {
        Some(first) => doc.insert_before(first, fragment),
        None => doc.append_child(parent, fragment),
    }
}

pub(super) fn set_mode(doc: &Document, dom: &Domain, mode: &str) -> Vec<Splice> {
    match &dom.cpu {
        Some(cpu) if cpu.mode.as_deref() == Some(mode) => Vec::new(),
        Some(cpu) => vec![doc.set_attr(cpu.el, "mode", mode)],
        None => vec![new_cpu(doc, &[("mode", mode)], &[])],
    }
}

pub(super) fn set_feature(doc: &Document, dom: &Domain, name: &str, policy: Policy) -> Vec<Splice> {
    let fragment = empty_element(doc, "feature", &[("policy", policy.name()), ("name", name)]);
    let Some(cpu) = &dom.cpu else {
        return vec![new_cpu(doc, &[], &[fragment])];
    };
    match cpu
        .features
        .iter()
        .find(|f| f.name.as_deref() == Some(name))
    {
        // A feature without the attribute is `require` already; a value libvirt refuses is
        // replaced.
        Some(f) if f.known_policy() == Some(policy) => Vec::new(),
        Some(f) => vec![doc.set_attr(f.el, "policy", policy.name())],
        None => match cpu.features.last() {
            Some(last) => vec![doc.insert_after(last.el, &fragment)],
            None => vec![doc.append_child(cpu.el, &fragment)],
        },
    }
}

pub(super) fn drop_feature(
    doc: &Document,
    dom: &Domain,
    name: &str,
) -> Result<Vec<Splice>, EditError> {
    let cpu = dom.cpu.as_ref().ok_or_else(|| {
        EditError::NotThere(format!("there is no <cpu>, so no feature '{name}' to drop"))
    })?;
    let f = cpu
        .features
        .iter()
        .find(|f| f.name.as_deref() == Some(name))
        .ok_or_else(|| EditError::NotThere(format!("<cpu> has no feature '{name}'")))?;
    Ok(vec![doc.remove_element(f.el)])
}

pub(super) fn rename_feature(
    doc: &Document,
    dom: &Domain,
    from: &str,
    to: &str,
) -> Result<Vec<Splice>, EditError> {
    let f = dom
        .cpu
        .as_ref()
        .and_then(|c| c.features.iter().find(|f| f.name.as_deref() == Some(from)))
        .ok_or_else(|| EditError::NotThere(format!("<cpu> has no feature '{from}'")))?;
    Ok(vec![doc.set_attr(f.el, "name", to)])
}

/// The whole `<cpu>` minus the given children (with the comments beside them, which the
/// caller carries), attributes removed too; the element itself goes when nothing is left in
/// it.
pub(crate) fn strip_cpu(
    doc: &Document,
    cpu: ElemId,
    children: &[ElemId],
    attrs: &[&str],
) -> Vec<Splice> {
    let remaining = doc.children(cpu).filter(|c| !children.contains(c)).count();
    let kept_attrs = doc
        .attrs(cpu)
        .filter(|a| !attrs.contains(&&doc.source()[a.name()]))
        .count();
    if remaining == 0 && kept_attrs == 0 {
        return vec![doc.remove_element(cpu)];
    }
    let mut out: Vec<Splice> = children
        .iter()
        .map(|&c| super::notes::remove_with_comments(doc, c))
        .collect();
    out.extend(attrs.iter().filter_map(|a| doc.remove_attr(cpu, a)));
    if remaining == 0 {
        // `<cpu mode='x'>` with nothing inside: keep the element, drop the emptied content.
        let e = doc.element(cpu);
        out = attrs
            .iter()
            .filter_map(|a| doc.remove_attr(cpu, a))
            .collect();
        out.push(Splice::delete(e.inner()));
    }
    out
}
