//! Edits over libvirt's 1691 domain XMLs: every edit touches only the bytes of the elements it
//! edits (plus the namespace declaration), re-parses, and its undo restores the original
//! bytes exactly.

mod common;

use virt_cpu::domain::Domain;
use virt_cpu::edit::{Edit, Edited, History};
use virt_cpu::xml::{Document, Splice};

fn edits() -> Vec<Edit> {
    vec![
        Edit::SetModel("Skylake-Client".into()),
        Edit::SetMode("host-model".into()),
        Edit::SetFeature {
            name: "vmx".into(),
            policy: "disable".into(),
        },
        Edit::SetQemuModel("Icelake-Server-v4".into()),
        Edit::SetQemuOption {
            name: "enforce".into(),
            value: Some("on".into()),
        },
        Edit::MoveToQemu,
    ]
}

/// The byte ranges an edit may change: the start tag of <domain> (namespace declaration), and
/// the whole of <cpu>, <qemu:cpu> and <qemu:commandline>.
fn allowed(doc: &Document, dom: &Domain) -> Vec<std::ops::Range<usize>> {
    let mut out = vec![doc.element(doc.root()).open()];
    out.extend(dom.cpu.as_ref().map(|c| doc.element(c.el).outer()));
    out.extend(dom.qemu_cpu.as_ref().map(|q| doc.element(q.el).outer()));
    out
}

/// A splice stays inside an allowed range, or inserts between elements (new elements).
fn contained(s: &Splice, allowed: &[std::ops::Range<usize>], src: &str) -> bool {
    if allowed
        .iter()
        .any(|r| r.start <= s.range.start && s.range.end <= r.end)
    {
        return true;
    }
    // Removing an element's own line may start at the line start before it.
    let trimmed_start =
        s.range.start + src[s.range.clone()].len() - src[s.range.clone()].trim_start().len();
    if allowed
        .iter()
        .any(|r| r.start <= trimmed_start && s.range.end <= r.end + 2)
    {
        return true;
    }
    s.range.is_empty() && s.text.trim_start().starts_with('<')
}

#[test]
fn edits_touch_only_their_elements_and_undo_exactly() {
    let mut applied = 0;
    let mut problems = Vec::new();
    for path in common::corpus_files() {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(doc) = Document::parse(&bytes) else {
            continue;
        };
        let Ok(state) = Edited::new(doc) else {
            continue;
        };
        for edit in edits() {
            let mut s = state.clone();
            let Ok(splices) = s.splices(&edit) else {
                continue;
            };
            let allowed = allowed(&s.doc, &s.dom);
            for sp in &splices {
                if !contained(sp, &allowed, s.doc.source()) {
                    problems.push(format!(
                        "{}: {edit:?} splices outside the edited elements: {sp:?}",
                        path.display()
                    ));
                }
            }
            let mut history = History::default();
            match history.apply(&mut s, &edit) {
                Ok(true) => applied += 1,
                Ok(false) => continue,
                Err(e) => {
                    problems.push(format!("{}: {edit:?}: {e}", path.display()));
                    continue;
                }
            }
            assert!(history.undo(&mut s).unwrap());
            if s.doc.source().as_bytes() != bytes.as_slice() {
                problems.push(format!(
                    "{}: {edit:?} then undo differs from the original",
                    path.display()
                ));
            }
            assert!(history.redo(&mut s).unwrap());
        }
    }
    assert!(
        applied > 5000,
        "only {applied} edits applied: the corpus did not load?"
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn new_bytes_follow_the_document_style() {
    let src = "<domain type=\"kvm\">\r\n\t<name>x</name>\r\n\t<cpu mode=\"custom\">\r\n\t\t<model>Nehalem</model>\r\n\t</cpu>\r\n</domain>\r\n";
    let mut s = Edited::new(Document::parse(src.as_bytes()).unwrap()).unwrap();
    s.apply(&Edit::SetFeature {
        name: "vmx".into(),
        policy: "require".into(),
    })
    .unwrap();
    s.apply(&Edit::SetQemuOption {
        name: "enforce".into(),
        value: Some("on".into()),
    })
    .unwrap();
    let out = s.doc.source();
    assert!(
        out.contains("\r\n\t\t<feature policy=\"require\" name=\"vmx\"/>\r\n\t</cpu>"),
        "{out}"
    );
    assert!(
        out.contains(
            "<domain type=\"kvm\" xmlns:qemu=\"http://libvirt.org/schemas/domain/qemu/1.0\">"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "\r\n\t<qemu:cpu>\r\n\t\t<qemu:option name=\"enforce\" value=\"on\"/>\r\n\t</qemu:cpu>"
        ),
        "{out}"
    );
    assert!(
        !out.replace("\r\n", "").contains('\n'),
        "only CRLF line ends: {out:?}"
    );
}

#[test]
fn an_existing_prefix_for_the_qemu_namespace_is_reused() {
    let src = "<domain type='kvm' xmlns:q='http://libvirt.org/schemas/domain/qemu/1.0'>\n  <cpu/>\n</domain>\n";
    let mut s = Edited::new(Document::parse(src.as_bytes()).unwrap()).unwrap();
    s.apply(&Edit::SetQemuModel("EPYC-v4".into())).unwrap();
    assert_eq!(
        s.doc.source(),
        "<domain type='kvm' xmlns:q='http://libvirt.org/schemas/domain/qemu/1.0'>\n  <cpu/>\n  <q:cpu>\n    <q:model name='EPYC-v4'/>\n  </q:cpu>\n</domain>\n"
    );
}
