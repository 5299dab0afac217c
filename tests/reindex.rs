//! Re-indexing after an edit scans only what the edit touched (src/xml/reindex.rs). These
//! properties hold it to the full parse: after any splices on any corpus file, the index is
//! exactly the one a full parse of the new text gives; a change that does not parse is
//! refused and leaves the document as it was; undoing every step restores the original.
//!
//! Longer run: `PROPTEST_CASES=100000 cargo test --release --test reindex`.

mod common;

use proptest::prelude::*;
use std::sync::OnceLock;
use virt_cpu::xml::{Document, Splice};

fn corpus() -> &'static [Document] {
    static CORPUS: OnceLock<Vec<Document>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        common::corpus_bytes()
            .iter()
            .filter_map(|b| Document::parse(b).ok())
            .collect()
    })
}

/// One splice, described relative to the document it applies to.
#[derive(Debug, Clone)]
enum Change {
    /// Replace an attribute value (element pick, attribute pick, new value).
    AttrValue(usize, usize, String),
    /// Add an attribute to a start tag.
    AddAttr(usize, String),
    /// Insert an element fragment right after an element, or as its first content.
    InsertAfter(usize, String),
    InsertInside(usize, String),
    /// Delete an element.
    Delete(usize),
    /// Replace an element's content by text or markup.
    SetContent(usize, String),
    /// Raw bytes anywhere (usually breaks the XML: must be refused or agree with a parse).
    Raw(usize, usize, String),
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<feature policy='require' name='pcid'/>".to_string()),
        Just("<model fallback='forbid'>Skylake-Server</model>".to_string()),
        Just("<qemu:cpu><qemu:model name='host'/></qemu:cpu>".to_string()),
        Just("<q:x xmlns:q='urn:x'><q:y a='1'/></q:x>".to_string()),
        Just("<a><b/><c>t&amp;</c></a>".to_string()),
        Just("<!-- <not-an-element/> -->".to_string()),
        Just("<![CDATA[ <z/> ]]>".to_string()),
        Just("text".to_string()),
        Just("<a>".to_string()),
        Just("</b>".to_string()),
        Just("<undeclared:x/>".to_string()),
        Just(String::new()),
    ]
}

fn change() -> impl Strategy<Value = Change> {
    let raw = prop_oneof![
        Just("<".to_string()),
        Just(">".to_string()),
        Just("'".to_string()),
        Just("&".to_string()),
        Just("/>".to_string()),
        Just("<!--".to_string()),
        Just("x".to_string()),
        Just(String::new()),
    ];
    prop_oneof![
        (any::<usize>(), any::<usize>(), "[a-z0-9 &<'\"]{0,6}")
            .prop_map(|(e, a, v)| Change::AttrValue(e, a, v)),
        (any::<usize>(), "[a-z]{1,4}").prop_map(|(e, n)| Change::AddAttr(e, n)),
        (any::<usize>(), fragment()).prop_map(|(e, f)| Change::InsertAfter(e, f)),
        (any::<usize>(), fragment()).prop_map(|(e, f)| Change::InsertInside(e, f)),
        any::<usize>().prop_map(Change::Delete),
        (any::<usize>(), fragment()).prop_map(|(e, f)| Change::SetContent(e, f)),
        (any::<usize>(), 0usize..4, raw).prop_map(|(at, len, t)| Change::Raw(at, len, t)),
    ]
}

fn splice_for(doc: &Document, change: &Change) -> Option<Splice> {
    // Ids are slots, not 0..n: pick the element by its place in document order.
    let ids: Vec<usize> = doc.element_ids().collect();
    let n = ids.len();
    let id = |e: &usize| ids[e % n];
    let src = doc.source();
    Some(match change {
        Change::AttrValue(e, a, v) => {
            let mut attrs = doc.attrs(id(e));
            let count = attrs.len().max(1);
            let attr = attrs.nth(a % count)?;
            Splice::replace(attr.value_span(), v.clone())
        }
        Change::AddAttr(e, name) => {
            let open = doc.element(id(e)).open();
            let at = open.end
                - if doc.element(id(e)).is_empty_tag() {
                    2
                } else {
                    1
                };
            Splice::insert(at, format!(" {name}='v'"))
        }
        Change::InsertAfter(e, f) => Splice::insert(doc.element(id(e)).outer().end, f.clone()),
        Change::InsertInside(e, f) => {
            let el = doc.element(id(e));
            el.close()?;
            Splice::insert(el.inner().start, f.clone())
        }
        Change::Delete(e) => Splice::delete(doc.element(id(e)).outer()),
        Change::SetContent(e, f) => {
            let el = doc.element(id(e));
            el.close()?;
            Splice::replace(el.inner(), f.clone())
        }
        Change::Raw(at, len, t) => {
            let mut at = at % src.len();
            while !src.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + len).min(src.len());
            while !src.is_char_boundary(end) {
                end -= 1;
            }
            Splice::replace(at..end, t.clone())
        }
    })
}

fn check_step(doc: &mut Document, splices: &[Splice]) -> Result<Vec<Splice>, TestCaseError> {
    let before = doc.source().to_string();
    let (text, _) = virt_cpu::xml::splice::apply(&before, splices).unwrap();
    let full = Document::parse(text.as_bytes());
    match (doc.apply(splices), full) {
        (Ok(inverse), Ok(full)) => {
            prop_assert_eq!(doc.source(), full.source());
            prop_assert_eq!(common::index_snapshot(doc), common::index_snapshot(&full));
            Ok(inverse)
        }
        (Err(_), Err(_)) => {
            prop_assert_eq!(doc.source(), before.as_str(), "a refused change left bytes");
            Ok(Vec::new())
        }
        (Ok(_), Err(e)) => Err(TestCaseError::fail(format!(
            "re-indexing accepted what a full parse refuses: {e}"
        ))),
        (Err(e), Ok(_)) => Err(TestCaseError::fail(format!(
            "re-indexing refused what a full parse accepts: {e}"
        ))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(common::proptest_cases(512)))]

    #[test]
    fn reindexing_equals_a_full_parse(
        pick in any::<usize>(),
        steps in prop::collection::vec(prop::collection::vec(change(), 1..3), 1..6),
    ) {
        let docs = corpus();
        let original = docs[pick % docs.len()].clone();
        let mut doc = original.clone();
        let mut undo = Vec::new();
        for step in &steps {
            // Several splices in one step must not overlap; drop those that do.
            let mut splices: Vec<Splice> = Vec::new();
            for c in step {
                if let Some(s) = splice_for(&doc, c)
                    && splices.iter().all(|o| s.range.end <= o.range.start || o.range.end <= s.range.start)
                {
                    splices.push(s);
                }
            }
            let inverse = check_step(&mut doc, &splices)?;
            if !inverse.is_empty() {
                undo.push(inverse);
            }
        }
        while let Some(inverse) = undo.pop() {
            check_step(&mut doc, &inverse)?;
        }
        prop_assert_eq!(doc.source(), original.source());
        prop_assert_eq!(common::index_snapshot(&doc), common::index_snapshot(&original));
    }
}

#[test]
fn an_edit_inside_cpu_rescans_only_cpu() {
    let src = "<domain type='kvm'>\n  <name>x</name>\n  <cpu mode='custom'>\n    <model>Nehalem</model>\n  </cpu>\n  <devices>\n    <disk/>\n  </devices>\n</domain>\n";
    let mut doc = Document::parse(src.as_bytes()).unwrap();
    let model = doc
        .element_ids()
        .find(|&id| doc.qname(id) == "model")
        .unwrap();
    let inner = doc.element(model).inner();
    let inverse = doc
        .apply(&[Splice::replace(inner, "Skylake-Client-noTSX-IBRS")])
        .unwrap();
    let full = Document::parse(doc.source().as_bytes()).unwrap();
    assert_eq!(common::index_snapshot(&doc), common::index_snapshot(&full));
    doc.apply(&inverse).unwrap();
    assert_eq!(doc.source(), src);
}

/// Edits far apart move the index's split (and the holes) across the elements between them,
/// forward and back, over the parent of the next edit too; undoing restores the index.
#[test]
fn edits_far_apart_keep_the_index_whole() {
    let src = "<domain type='kvm'>\n  <name>x</name>\n  <cpu mode='custom'>\n    <model>Nehalem</model>\n  </cpu>\n  <devices>\n    <disk type='file'>\n      <target dev='vda'/>\n    </disk>\n  </devices>\n</domain>\n";
    let original = Document::parse(src.as_bytes()).unwrap();
    let mut doc = original.clone();
    let find =
        |doc: &Document, name: &str| doc.element_ids().find(|&id| doc.qname(id) == name).unwrap();
    // As the TUI does when idle: the split goes to the end of <cpu> first.
    doc.prepare_edits_in(find(&doc, "cpu"));
    assert_eq!(
        common::index_snapshot(&doc),
        common::index_snapshot(&original)
    );
    let mut undo = Vec::new();
    for (name, text) in [
        ("target", "<target dev='vdb'/><boot order='1'/>"),
        (
            "model",
            "<model>Skylake-Client</model><feature policy='require' name='pcid'/>",
        ),
        ("disk", "<disk type='block'/>"),
        ("model", "<model>EPYC</model>"),
    ] {
        let outer = doc.element(find(&doc, name)).outer();
        undo.push(doc.apply(&[Splice::replace(outer, text)]).unwrap());
        let full = Document::parse(doc.source().as_bytes()).unwrap();
        assert_eq!(
            common::index_snapshot(&doc),
            common::index_snapshot(&full),
            "after {name}"
        );
    }
    while let Some(inverse) = undo.pop() {
        doc.apply(&inverse).unwrap();
    }
    assert_eq!(doc.source(), src);
    assert_eq!(
        common::index_snapshot(&doc),
        common::index_snapshot(&original)
    );
}

/// A document large enough to be indexed on two cores (its hole laid by the first half, the
/// second half stitched on) takes edits far apart like any other.
#[test]
fn a_two_core_index_takes_edits_anywhere() {
    let mut src = String::from(
        "<domain type='kvm'>\n  <name>big</name>\n  <cpu mode='custom'>\n    <model>Nehalem</model>\n  </cpu>\n  <devices>\n",
    );
    let mut i = 0;
    while src.len() < 1_500_000 {
        src.push_str(&format!("    <disk type='file' device='disk'>\n      <source file='/images/d{i}.qcow2'/>\n      <target dev='vd{i}' bus='virtio'/>\n    </disk>\n"));
        i += 1;
    }
    src.push_str("  </devices>\n</domain>\n");
    let original = Document::parse(src.as_bytes()).unwrap();
    // Stitched for sure: split at a line starting with a tag near the middle.
    let at = src[src.len() / 2..].find("\n    <disk").unwrap() + src.len() / 2 + 1;
    let mut doc = Document::parse_split_at(src.as_bytes(), at).expect("indexed on two cores");
    assert!(common::index_snapshot(&doc) == common::index_snapshot(&original));
    let nth = |doc: &Document, name: &str, k: usize| {
        doc.element_ids()
            .filter(|&id| doc.qname(id) == name)
            .nth(k)
            .unwrap()
    };
    let mut undo = Vec::new();
    for (name, k, text) in [
        (
            "model",
            0,
            "<model>EPYC</model><feature policy='require' name='pcid'/>",
        ),
        (
            "target",
            i - 1,
            "<target dev='vdzz' bus='sata'/><boot order='2'/>",
        ),
        ("source", i / 2, "<source file='/elsewhere.qcow2'/>"),
        ("feature", 0, ""),
        ("disk", 1, "<disk type='block'/>"),
    ] {
        let outer = doc.element(nth(&doc, name, k)).outer();
        undo.push(doc.apply(&[Splice::replace(outer, text)]).unwrap());
        let full = Document::parse(doc.source().as_bytes()).unwrap();
        assert!(
            common::index_snapshot(&doc) == common::index_snapshot(&full),
            "after editing {name} #{k}"
        );
    }
    while let Some(inverse) = undo.pop() {
        doc.apply(&inverse).unwrap();
    }
    assert_eq!(doc.source(), src);
    assert!(common::index_snapshot(&doc) == common::index_snapshot(&original));
}
