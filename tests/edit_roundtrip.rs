//! Edits over libvirt's 1691 domain XMLs: every edit touches only the bytes of the elements it
//! edits (plus the namespace declaration), re-parses, and its undo restores the original
//! bytes exactly.

mod common;

use virt_cpu::domain::{Domain, Policy};
use virt_cpu::edit::{Edit, Edited, History};
use virt_cpu::xml::{Document, Splice};

fn edits() -> Vec<Edit> {
    vec![
        Edit::SetModel("Skylake-Client".into()),
        Edit::SetMode("host-model".into()),
        Edit::SetFeature {
            name: "vmx".into(),
            policy: Policy::Disable,
        },
        Edit::SetQemuModel("Icelake-Server-v4".into()),
        Edit::SetQemuOption {
            name: "enforce".into(),
            value: Some("on".into()),
        },
        Edit::MoveToQemu,
        Edit::SetMaxPhysAddr(Some(virt_cpu::edit::PhysAddr::Emulate { bits: Some(46) })),
        Edit::SetMaxPhysAddr(Some(virt_cpu::edit::PhysAddr::Passthrough {
            limit: Some(39),
        })),
        Edit::SetMaxPhysAddr(None),
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
        for (k, edit) in edits().into_iter().enumerate() {
            let mut s = state.clone();
            if k % 2 == 1 {
                // Half the time, as the TUI does when idle before the first key.
                s.prepare_for_edits();
            }
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
            // The view read again after each edit (taking over what the edit left alone)
            // is the view read from scratch.
            let fresh = Domain::read(&s.doc).unwrap();
            if format!("{:?}", s.dom) != format!("{fresh:?}") {
                problems.push(format!(
                    "{}: {edit:?}, undo, redo: the domain read again differs from a full read",
                    path.display()
                ));
            }
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
        policy: Policy::Require,
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

/// `<qemu:commandline>` `-cpu` → `<qemu:cpu>` → `<qemu:commandline>` over layouts built from every
/// combination of: where the element is (right after `<name>`, before `<devices>`, last), what
/// else it holds (nothing, arguments before and/or after `-cpu`), whether `<domain>` or the
/// element itself declares the namespace, whether the end tags share the last argument's line,
/// and LF or CRLF. Each step applies (no overlapping splices), re-parses to the same domain as a
/// fresh parse, undoes to the original bytes, and QEMU gets the same `-cpu`.
#[test]
fn commandline_cpu_converts_both_ways_in_every_layout() {
    const NS: &str = "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'";
    const VALUE: &str = "Skylake-Client,enforce=on,vmx=off";
    let mut checked = 0;
    for place in ["after-name", "before-devices", "last"] {
        for (before, after) in [(false, false), (true, false), (false, true), (true, true)] {
            for ns_on_root in [true, false] {
                for tight in [false, true] {
                    for nl in ["\n", "\r\n"] {
                        let mut args = Vec::new();
                        if before {
                            args.extend(["-name", "guest=x"]);
                        }
                        args.extend(["-cpu", VALUE]);
                        if after {
                            args.push("-s");
                        }
                        let mut cl = format!(
                            "  <qemu:commandline{}>",
                            if ns_on_root {
                                String::new()
                            } else {
                                format!(" {NS}")
                            }
                        );
                        for a in &args {
                            cl.push_str(&format!("{nl}    <qemu:arg value='{a}'/>"));
                        }
                        cl.push_str(if tight { "" } else { nl });
                        cl.push_str(if tight {
                            "</qemu:commandline>"
                        } else {
                            "  </qemu:commandline>"
                        });
                        let devices = format!(
                            "  <devices>{nl}    <emulator>/usr/bin/qemu-system-x86_64</emulator>{nl}  </devices>"
                        );
                        let mut children = vec![
                            "  <name>x</name>".to_string(),
                            "  <os><type arch='x86_64' machine='q35'>hvm</type></os>".to_string(),
                            devices,
                        ];
                        let at = match place {
                            "after-name" => 1,
                            "before-devices" => 2,
                            _ => 3,
                        };
                        children.insert(at, cl);
                        let root = if ns_on_root {
                            format!("<domain type='kvm' {NS}>")
                        } else {
                            "<domain type='kvm'>".to_string()
                        };
                        let mut src = format!("{root}{nl}{}", children.join(nl));
                        src.push_str(if tight { "</domain>" } else { nl });
                        if !tight {
                            src.push_str("</domain>");
                        }
                        src.push_str(nl);
                        let label = format!(
                            "{place} before={before} after={after} ns_on_root={ns_on_root} tight={tight} crlf={}",
                            nl.len() == 2
                        );
                        let cpu_values = |s: &Edited| -> Vec<String> {
                            s.dom
                                .commandline_cpu_values()
                                .into_iter()
                                .map(|(_, v)| v)
                                .collect()
                        };
                        let fresh = |s: &Edited| {
                            let doc = Document::parse(s.doc.source().as_bytes())
                                .unwrap_or_else(|e| panic!("{label}: {e}\n{}", s.doc.source()));
                            Domain::read(&doc).unwrap()
                        };
                        let doc = Document::parse(src.as_bytes())
                            .unwrap_or_else(|e| panic!("{label}: {e}\n{src}"));
                        let mut s = Edited::new(doc).unwrap();
                        assert_eq!(cpu_values(&s), [VALUE], "{label}\n{src}");
                        let mut history = History::default();
                        let edit = Edit::FromCommandline { appended: vec![] };
                        assert!(
                            history
                                .apply(&mut s, &edit)
                                .unwrap_or_else(|e| panic!("{label}: {e}\n{src}")),
                            "{label}"
                        );
                        let out = s.doc.source().to_string();
                        let q = fresh(&s)
                            .qemu_cpu
                            .unwrap_or_else(|| panic!("{label}\n{out}"));
                        assert!(cpu_values(&s).is_empty(), "{label}\n{out}");
                        assert_eq!(
                            std::iter::once(q.models[0].name.clone().unwrap())
                                .chain(q.options.iter().map(|o| o.to_arg()))
                                .collect::<Vec<_>>()
                                .join(","),
                            VALUE,
                            "{label}\n{out}"
                        );
                        assert_eq!(
                            fresh(&s).commandline.len(),
                            usize::from(before) * 2 + usize::from(after),
                            "{label}\n{out}"
                        );
                        assert!(
                            nl == "\r\n" || !out.contains('\r'),
                            "{label}: mixed line ends\n{out:?}"
                        );
                        assert!(
                            nl == "\n" || !out.replace("\r\n", "").contains('\n'),
                            "{label}: mixed line ends\n{out:?}"
                        );
                        let back = Edit::ToCommandline {
                            value: VALUE.into(),
                        };
                        assert!(
                            history
                                .apply(&mut s, &back)
                                .unwrap_or_else(|e| panic!("{label}: {e}\n{out}")),
                            "{label}"
                        );
                        assert!(fresh(&s).qemu_cpu.is_none(), "{label}\n{}", s.doc.source());
                        assert_eq!(cpu_values(&s), [VALUE], "{label}\n{}", s.doc.source());
                        if !before && !after && ns_on_root && !tight {
                            assert_eq!(s.doc.source(), src, "{label}: not restored");
                        }
                        assert!(history.undo(&mut s).unwrap());
                        assert_eq!(s.doc.source(), out, "{label}: undo");
                        assert!(history.undo(&mut s).unwrap());
                        assert_eq!(s.doc.source(), src, "{label}: undo");
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 96);
}
