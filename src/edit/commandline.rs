//! Edits of the QEMU model and options where a `<qemu:commandline>` passes them: the value of
//! the `<qemu:arg>` after `-cpu` ([`QemuForm::Commandline`](crate::domain::QemuForm)),
//! rewritten in place (one splice of the attribute value, escaped in the document's style).
//! Items keep their spelling and order; only the one edited changes.

use super::{Edit, EditError};
use crate::domain::{Domain, QemuCpu};
use crate::xml::{Document, Splice};

/// A comma in what an edit writes into the value would split it into other items (QEMU's
/// `-cpu` has no escape for it): refused, naming it.
pub(super) fn refuse_commas(edit: &Edit) -> Result<(), EditError> {
    let written: Vec<&str> = match edit {
        Edit::SetQemuModel(m) => vec![m],
        Edit::SetQemuOption { name, value } => std::iter::once(name.as_str())
            .chain(value.as_deref())
            .collect(),
        Edit::RenameQemuOption { to, .. } => vec![to],
        _ => Vec::new(),
    };
    match written.into_iter().find(|v| v.contains(',')) {
        Some(v) => Err(EditError::Refused(format!(
            "'{v}' has a comma: QEMU's -cpu splits on every comma and has no escape, so it would \
             become other options of the -cpu <qemu:commandline> passes; remove the comma"
        ))),
        None => Ok(()),
    }
}

/// The items of the value, split on every `,` as QEMU splits it (empty ones kept, so that
/// what is not edited stays as written); the first is the model.
fn items(dom: &Domain, q: &QemuCpu) -> Vec<String> {
    let value = dom
        .commandline
        .iter()
        .find(|a| a.el == q.el)
        .and_then(|a| a.value.as_deref())
        .unwrap_or_default();
    value.split(',').map(str::to_string).collect()
}

/// The option name of an item: what comes before `=`, or the whole item.
fn name_of(item: &str) -> &str {
    item.split_once('=').map_or(item, |(n, _)| n)
}

fn item(name: &str, value: Option<&str>) -> String {
    match value {
        Some(v) => format!("{name}={v}"),
        None => name.to_string(),
    }
}

/// The splice writing `items` back, or none when the value is the same.
fn write(doc: &Document, dom: &Domain, q: &QemuCpu, items: &[String]) -> Vec<Splice> {
    let value = items.join(",");
    if value == self::items(dom, q).join(",") {
        return Vec::new();
    }
    vec![doc.set_attr(q.el, "value", &value)]
}

pub(super) fn set_model(doc: &Document, dom: &Domain, q: &QemuCpu, name: &str) -> Vec<Splice> {
    let mut items = items(dom, q);
    items[0] = name.to_string();
    write(doc, dom, q, &items)
}

/// Sets the last item of that name (the one QEMU honours), else appends one.
pub(super) fn set_option(
    doc: &Document,
    dom: &Domain,
    q: &QemuCpu,
    name: &str,
    value: Option<&str>,
) -> Vec<Splice> {
    let mut items = items(dom, q);
    let new = item(name, value);
    match (1..items.len()).rev().find(|&k| name_of(&items[k]) == name) {
        Some(k) => items[k] = new,
        None => items.push(new),
    }
    write(doc, dom, q, &items)
}

pub(super) fn remove_option(
    doc: &Document,
    dom: &Domain,
    q: &QemuCpu,
    name: &str,
) -> Result<Vec<Splice>, EditError> {
    let mut items = items(dom, q);
    let before = items.len();
    let model = items.remove(0);
    items.retain(|i| name_of(i) != name);
    if items.len() + 1 == before {
        return Err(EditError::NotThere(format!(
            "the -cpu <qemu:commandline> passes has no option '{name}'"
        )));
    }
    items.insert(0, model);
    Ok(write(doc, dom, q, &items))
}

/// Renames every item of that name, keeping its value; a `+`/`-` prefix stays when the new
/// name has none (`-vmxx` → `-vmx`, not `vmx`, which would turn it on).
pub(super) fn rename_option(
    doc: &Document,
    dom: &Domain,
    q: &QemuCpu,
    from: &str,
    to: &str,
) -> Result<Vec<Splice>, EditError> {
    let mut items = items(dom, q);
    let mut found = false;
    for it in items.iter_mut().skip(1) {
        if name_of(it) != from {
            continue;
        }
        found = true;
        let sign = from
            .chars()
            .next()
            .filter(|c| matches!(c, '+' | '-') && !to.starts_with(['+', '-']));
        let rest = it.split_once('=').map(|(_, v)| v.to_string());
        let name = format!("{}{to}", sign.map(String::from).unwrap_or_default());
        *it = item(&name, rest.as_deref());
    }
    if !found {
        return Err(EditError::NotThere(format!(
            "the -cpu <qemu:commandline> passes has no option '{from}'"
        )));
    }
    Ok(write(doc, dom, q, &items))
}

#[cfg(test)]
mod tests {
    use crate::edit::{Edit, Edited};
    use crate::xml::Document;

    const XML: &str = "<domain type='kvm' xmlns:qemu=\"http://libvirt.org/schemas/domain/qemu/1.0\">\n  <name>a</name>\n  <cpu mode='custom' match='exact' check='none'>\n    <model fallback='forbid'>qemu64</model>\n  </cpu>\n  <qemu:commandline>\n    <qemu:arg value='-S'/>\n    <qemu:arg value=\"-cpu\"/> <!-- the CPU -->\n    <qemu:arg value=\"Skylake-Client,+vmx,,model-id=A &amp; B,hv-relaxed=on\"/>\n  </qemu:commandline>\n</domain>\n";

    fn after(edits: &[Edit]) -> String {
        let mut state = Edited::new(Document::parse(XML.as_bytes()).unwrap()).unwrap();
        for e in edits {
            state.apply(e).unwrap();
        }
        state.doc.source().to_string()
    }

    fn with_value(value: &str) -> String {
        XML.replace(
            "Skylake-Client,+vmx,,model-id=A &amp; B,hv-relaxed=on",
            value,
        )
    }

    #[test]
    fn the_commandline_form_is_where_the_qemu_model_and_options_live() {
        let state = Edited::new(Document::parse(XML.as_bytes()).unwrap()).unwrap();
        let q = state.dom.qemu().unwrap();
        assert_eq!(q.form, crate::domain::QemuForm::Commandline);
        assert_eq!(q.models[0].name.as_deref(), Some("Skylake-Client"));
        let args: Vec<String> = q.options.iter().map(|o| o.to_arg()).collect();
        assert_eq!(args, ["+vmx", "model-id=A & B", "hv-relaxed=on"]);
        assert!(state.dom.cpu_is_libvirt_default());
    }

    /// Each edit rewrites the value alone; the rest of the document, the empty item and the
    /// spelling of the other items stay byte for byte.
    #[test]
    fn edits_rewrite_the_value_in_place() {
        assert_eq!(
            after(&[Edit::SetQemuModel("Icelake-Server".into())]),
            with_value("Icelake-Server,+vmx,,model-id=A &amp; B,hv-relaxed=on")
        );
        assert_eq!(
            after(&[Edit::SetQemuOption {
                name: "hv-relaxed".into(),
                value: Some("off".into())
            }]),
            with_value("Skylake-Client,+vmx,,model-id=A &amp; B,hv-relaxed=off")
        );
        assert_eq!(
            after(&[Edit::SetQemuOption {
                name: "pcid".into(),
                value: Some("on".into())
            }]),
            with_value("Skylake-Client,+vmx,,model-id=A &amp; B,hv-relaxed=on,pcid=on")
        );
        assert_eq!(
            after(&[Edit::RemoveQemuOption("+vmx".into())]),
            with_value("Skylake-Client,,model-id=A &amp; B,hv-relaxed=on")
        );
        assert_eq!(
            after(&[Edit::RenameQemuOption {
                from: "model-id".into(),
                to: "model_id".into()
            }]),
            with_value("Skylake-Client,+vmx,,model_id=A &amp; B,hv-relaxed=on")
        );
        assert_eq!(
            after(&[Edit::RenameQemuOption {
                from: "+vmx".into(),
                to: "svm".into()
            }]),
            with_value("Skylake-Client,+svm,,model-id=A &amp; B,hv-relaxed=on")
        );
        // Setting what is there already changes nothing.
        let mut state = Edited::new(Document::parse(XML.as_bytes()).unwrap()).unwrap();
        assert!(
            state
                .apply(&Edit::SetQemuModel("Skylake-Client".into()))
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            state.apply(&Edit::RemoveQemuOption("pcid".into())),
            Err(crate::edit::EditError::NotThere(_))
        ));
        // A comma would make other options of it.
        assert!(matches!(
            state.apply(&Edit::SetQemuOption {
                name: "model-id".into(),
                value: Some("a,vmx=off".into())
            }),
            Err(crate::edit::EditError::Refused(m)) if m.contains("comma")
        ));
        assert_eq!(state.doc.source(), XML);
    }

    /// Undo gives the document back byte for byte.
    #[test]
    fn undo_restores_the_value() {
        let mut state = Edited::new(Document::parse(XML.as_bytes()).unwrap()).unwrap();
        let mut history = crate::edit::History::default();
        history
            .apply(&mut state, &Edit::SetQemuModel("EPYC".into()))
            .unwrap();
        history
            .apply(
                &mut state,
                &Edit::SetQemuOption {
                    name: "x'y".into(),
                    value: None,
                },
            )
            .unwrap();
        assert!(
            state
                .doc
                .source()
                .contains("value=\"EPYC,+vmx,,model-id=A &amp; B,hv-relaxed=on,x'y\"")
        );
        history.undo(&mut state).unwrap();
        history.undo(&mut state).unwrap();
        assert_eq!(state.doc.source(), XML);
    }
}
