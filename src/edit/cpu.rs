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
pub(super) fn new_cpu(doc: &Document, attrs: &[(&str, &str)], children: &[String]) -> Splice {
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

/// `<cpu check=…>` set in place or added; a domain without `<cpu>` has nothing to check.
pub(super) fn set_check(doc: &Document, dom: &Domain, check: &str) -> Vec<Splice> {
    match &dom.cpu {
        Some(cpu) if cpu.check.as_deref() == Some(check) => Vec::new(),
        Some(cpu) => vec![doc.set_attr(cpu.el, "check", check)],
        None => Vec::new(),
    }
}

/// `<topology>` set in place (only the values that differ; a missing `dies` stays missing
/// when it is 1, libvirt's default), or a new one after `<model>` and `<vendor>` (libvirt's
/// order: model, vendor, topology, cache, maxphysaddr, features, numa).
pub(super) fn set_topology(doc: &Document, dom: &Domain, t: &super::Topology) -> Vec<Splice> {
    let wanted: Vec<(&str, Option<u32>)> = vec![
        ("sockets", Some(t.sockets)),
        ("dies", Some(t.dies)),
        ("clusters", t.clusters),
        ("cores", Some(t.cores)),
        ("threads", Some(t.threads)),
    ];
    let Some(cpu) = &dom.cpu else {
        return vec![new_cpu(doc, &[], &[topology_element(doc, &wanted)])];
    };
    let Some(el) = cpu.topology.as_ref().map(|t| t.el) else {
        let fragment = topology_element(doc, &wanted);
        let after = doc
            .children(cpu.el)
            .filter(|&c| doc.is_plain(c, "model") || doc.is_plain(c, "vendor"))
            .last();
        let first_other = doc
            .children(cpu.el)
            .find(|&c| !doc.is_plain(c, "model") && !doc.is_plain(c, "vendor"));
        return vec![match (after, first_other) {
            (Some(a), _) => doc.insert_after(a, &fragment),
            (None, Some(f)) => doc.insert_before(f, &fragment),
            (None, None) => doc.append_child(cpu.el, &fragment),
        }];
    };
    // A missing attribute goes before the next one of libvirt's order that stays, so the
    // element keeps that order; inserts at one place are joined into one.
    let stays = |name: &str, value: Option<u32>| value.is_some() && doc.attr(el, name).is_some();
    let mut out = Vec::new();
    let mut inserts: Vec<(usize, String)> = Vec::new();
    for (i, &(name, value)) in wanted.iter().enumerate() {
        let now = doc.attr_value(el, name);
        match value {
            None => out.extend(doc.remove_attr(el, name)),
            Some(v) if now.as_deref() == Some(v.to_string().as_str()) => {}
            Some(1) if now.is_none() && name == "dies" => {}
            Some(v) if now.is_some() => out.push(doc.set_attr(el, name, &v.to_string())),
            Some(v) => {
                let at = wanted[i + 1..]
                    .iter()
                    .find(|(n, v)| stays(n, *v))
                    .and_then(|(n, _)| doc.attr(el, n))
                    .map_or_else(|| doc.tag_attrs_end(el), |a| a.whole(doc.source()).start);
                let text = doc.style().attribute(name, &v.to_string());
                match inserts.iter_mut().find(|(p, _)| *p == at) {
                    Some((_, t)) => t.push_str(&text),
                    None => inserts.push((at, text)),
                }
            }
        }
    }
    out.extend(inserts.into_iter().map(|(at, t)| Splice::insert(at, t)));
    out
}

fn topology_element(doc: &Document, attrs: &[(&str, Option<u32>)]) -> String {
    let values: Vec<(&str, String)> = attrs
        .iter()
        .filter_map(|(n, v)| v.map(|v| (*n, v.to_string())))
        .collect();
    let refs: Vec<(&str, &str)> = values.iter().map(|(n, v)| (*n, v.as_str())).collect();
    empty_element(doc, "topology", &refs)
}

/// `<vcpu>`'s text, or a new `<vcpu placement='static'>` after the memory elements.
pub(super) fn set_vcpus(doc: &Document, dom: &Domain, n: u32) -> Vec<Splice> {
    let text = n.to_string();
    match &dom.vcpu {
        Some(v) if v.max == text => Vec::new(),
        Some(v) => vec![doc.set_text(v.el, &text)],
        None => {
            let fragment = format!(
                "<vcpu{}>{text}</vcpu>",
                doc.style().attribute("placement", "static")
            );
            vec![insert_in_domain(
                doc,
                &fragment,
                &[
                    "memoryBacking",
                    "memtune",
                    "blkiotune",
                    "currentMemory",
                    "memory",
                    "maxMemory",
                ],
                &["iothreads", "cputune", "resource", "os", "features", "cpu"],
            )]
        }
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
