//! Property tests over the corpus (issue 6): mutated inputs never panic anywhere in the
//! engine; random edit sequences undo to the original bytes; every output re-parses.
//!
//! CI runs a few hundred cases per property. The long run (≥ 1,000,000 cases):
//! `PROPTEST_CASES=1000000 cargo test --release --test fuzz`.

mod common;

use proptest::prelude::*;
use virt_cpu::argv::{QemuCaps, Reading};
use virt_cpu::catalog::Catalog;
use virt_cpu::check;
use virt_cpu::domain::Policy;
use virt_cpu::edit::{Edit, Edited, History};
use virt_cpu::xml::Document;

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Duplicate { at: usize, len: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop::collection::vec(
        prop_oneof![
            Just(b'<'),
            Just(b'>'),
            Just(b'&'),
            Just(b'\''),
            Just(b'"'),
            Just(b'/'),
            Just(b'='),
            Just(0u8),
            Just(b':'),
            Just(0xC3u8),
            any::<u8>()
        ],
        1..12,
    );
    let snippets = prop_oneof![
        Just(b"<cpu/>".to_vec()),
        Just(b"<qemu:cpu>".to_vec()),
        Just(b"</cpu>".to_vec()),
        Just(b"<feature policy='bogus' name=''/>".to_vec()),
        Just(b"<!DOCTYPE x [<!ENTITY a 'b'>]>".to_vec()),
        Just(b"&unknown;".to_vec()),
        Just(b"<model>Icelake-Server-V4</model>".to_vec()),
        Just(b" mode='host-model'".to_vec()),
    ];
    prop_oneof![
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), prop_oneof![interesting, snippets])
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1usize..200).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn mutate(mut bytes: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let n = bytes.len().max(1);
    match m {
        Mutation::Delete { at, len } => {
            let at = at % n;
            let end = (at + len).min(bytes.len());
            bytes.drain(at.min(end)..end);
        }
        Mutation::Insert { at, bytes: b } => {
            let at = at % (bytes.len() + 1);
            bytes.splice(at..at, b.iter().copied());
        }
        Mutation::Duplicate { at, len } => {
            let at = at % n;
            let end = (at + len).min(bytes.len());
            let chunk = bytes[at.min(end)..end].to_vec();
            bytes.splice(end..end, chunk);
        }
        Mutation::Truncate { at } => bytes.truncate(at % n),
    }
    bytes
}

fn edit() -> impl Strategy<Value = Edit> {
    let name = prop::sample::select(vec![
        "Nehalem",
        "Skylake-Client",
        "Icelake-Server-v4",
        "EPYC-Rome",
        "bogus,model",
        "a'b&c<d",
    ]);
    let feature = prop::sample::select(vec!["vmx", "pcid", "lahf_lm", "svm", "x2apic"]);
    let policy = prop::sample::select(Policy::ALL.to_vec());
    prop_oneof![
        name.clone().prop_map(|n| Edit::SetModel(n.into())),
        prop::sample::select(vec!["custom", "host-model", "host-passthrough", "maximum"])
            .prop_map(|m| Edit::SetMode(m.into())),
        (feature.clone(), policy).prop_map(|(n, p)| Edit::SetFeature {
            name: n.into(),
            policy: p
        }),
        feature.clone().prop_map(|n| Edit::DropFeature(n.into())),
        name.prop_map(|n| Edit::SetQemuModel(n.into())),
        (
            feature.clone(),
            prop::option::of(prop::sample::select(vec!["on", "off", "1234", "x\"y"]))
        )
            .prop_map(|(n, v)| Edit::SetQemuOption {
                name: n.into(),
                value: v.map(Into::into)
            }),
        feature.prop_map(|n| Edit::RemoveQemuOption(n.into())),
        Just(Edit::MoveToQemu),
        prop::sample::select(vec![
            "passthrough",
            "passthrough:39",
            "emulate:46",
            "emulate",
            "none"
        ])
        .prop_map(|spec| Edit::SetMaxPhysAddr(virt_cpu::edit::PhysAddr::parse(spec).unwrap())),
        Just(Edit::MoveToCpu(virt_cpu::edit::LibvirtModels(
            &virt_cpu::catalog::Catalog::embedded().libvirt
        ))),
    ]
}

/// Everything a front does with a document: must never panic.
fn exercise(bytes: &[u8]) {
    let Ok(doc) = Document::parse(bytes) else {
        return;
    };
    let Ok(state) = Edited::new(doc) else { return };
    let catalog = Catalog::embedded();
    let caps = QemuCaps::from_catalog(&state.dom, catalog);
    for reading in [Reading::Merge, Reading::Override] {
        let report = check::check(&state.doc, &state.dom, &caps, catalog, reading);
        if let Some(v) = &report.arg.value {
            let _ = virt_cpu::argv::shell::quote(v);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: common::proptest_cases(256), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_corpus_files_never_panic(index in any::<prop::sample::Index>(), muts in prop::collection::vec(mutation(), 1..4)) {
        let original = index.get(common::corpus_bytes()).clone();
        let bytes = muts.iter().fold(original, mutate);
        exercise(&bytes);
    }

    #[test]
    fn edit_sequences_undo_to_the_original_bytes(index in any::<prop::sample::Index>(), edits in prop::collection::vec(edit(), 1..6)) {
        let original = index.get(common::corpus_bytes());
        let Ok(doc) = Document::parse(original) else { return Ok(()) };
        let Ok(mut state) = Edited::new(doc) else { return Ok(()) };
        let mut history = History::default();
        let mut applied = 0;
        for e in &edits {
            if history.apply(&mut state, e).unwrap_or(false) {
                applied += 1;
                // Every intermediate output re-parses as a domain.
                prop_assert!(Document::parse(state.doc.source().as_bytes()).is_ok());
            }
        }
        for _ in 0..applied {
            prop_assert!(history.undo(&mut state).unwrap());
        }
        prop_assert_eq!(state.doc.source().as_bytes(), original.as_slice());
    }
}
