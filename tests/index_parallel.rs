//! The two-core index (src/xml/index/parallel.rs) against the sequential one: at any split
//! point, on any corpus file and on mutated ones, it either gives exactly the sequential index
//! or declines (and the sequential indexer runs) — never a different index, never an accepted
//! document the sequential indexer refuses.
//!
//! Longer run: `PROPTEST_CASES=20000 cargo test --release --test index_parallel`.

mod common;

use proptest::prelude::*;
use virt_cpu::xml::Document;

/// Line starts (after indentation) that hold a start tag: where the real split may fall.
fn tag_lines(bytes: &[u8]) -> Vec<usize> {
    let mut at = Vec::new();
    for (i, _) in bytes.iter().enumerate().filter(|(_, b)| **b == b'\n') {
        let start = i + 1 + bytes[i + 1..].iter().take_while(|&&b| b == b' ').count();
        if bytes.get(start) == Some(&b'<')
            && bytes.get(start + 1).is_some_and(u8::is_ascii_alphabetic)
        {
            at.push(start);
        }
    }
    at
}

fn agrees(bytes: &[u8], at: usize) -> Result<bool, String> {
    let Some(split) = Document::parse_split_at(bytes, at) else {
        return Ok(false);
    };
    match Document::parse(bytes) {
        Ok(seq) if common::index_snapshot(&seq) == common::index_snapshot(&split) => Ok(true),
        Ok(_) => Err(format!("split at {at} gives a different index")),
        Err(e) => Err(format!(
            "split at {at} accepts what the sequential index refuses: {e}"
        )),
    }
}

#[test]
fn every_corpus_file_at_every_tag_line_gives_the_sequential_index() {
    let mut merged = 0;
    for bytes in common::corpus_bytes() {
        for at in tag_lines(bytes) {
            if agrees(bytes, at).unwrap_or_else(|e| panic!("{e}")) {
                merged += 1;
            }
        }
    }
    // Most splits land in the root's content and merge; the test must not pass by declining.
    assert!(merged > 10_000, "only {merged} splits merged");
}

#[test]
fn a_large_domain_is_indexed_on_two_cores_as_on_one() {
    // Over the threshold, Document::parse itself takes the two-core path.
    let mut xml = String::from(
        "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n  <devices>\n",
    );
    let mut i = 0;
    while xml.len() < 3 << 20 {
        xml.push_str(&format!(
            "    <disk type='file'>\n      <source file='/d{i}.qcow2'/>\n      <target dev='vd{i}'/>\n    </disk>\n"
        ));
        i += 1;
    }
    xml.push_str("  </devices>\n  <qemu:commandline>\n    <qemu:arg value='-cpu'/>\n  </qemu:commandline>\n</domain>\n");
    let doc = Document::parse(xml.as_bytes()).unwrap();
    let at = xml.len() / 2;
    let at = at + xml[at..].find("\n    <disk").unwrap() + 5;
    let split = Document::parse_split_at(xml.as_bytes(), at).expect("merges");
    assert_eq!(common::index_snapshot(&split), common::index_snapshot(&doc));
    // A broken large document gets the sequential message.
    let broken = xml.replace("</qemu:commandline>", "</qemu:commandlin>");
    let e = Document::parse(broken.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("</qemu:commandlin>"), "{e}");
    assert!(Document::parse_split_at(broken.as_bytes(), at).is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(common::proptest_cases(512)))]

    #[test]
    fn mutated_files_split_anywhere_never_disagree(
        pick in any::<usize>(),
        edits in prop::collection::vec((any::<usize>(), 0usize..3, prop_oneof![
            Just("<".to_string()), Just(">".to_string()), Just("</".to_string()),
            Just("<!--".to_string()), Just("-->".to_string()), Just("<![CDATA[".to_string()),
            Just("]]>".to_string()), Just("'".to_string()), Just("&".to_string()),
            Just("<q:x/>".to_string()), Just(" xmlns:q='u'".to_string()), Just(" xmlns=''".to_string()),
            Just("</domain>".to_string()), Just("<domain>".to_string()), Just("x".to_string()),
            Just(String::new()),
        ]), 1..4),
        split in any::<usize>(),
    ) {
        let files = common::corpus_bytes();
        let mut text = String::from_utf8(files[pick % files.len()].clone()).unwrap();
        for (at, len, s) in edits {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + len).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.replace_range(at..end, &s);
        }
        let lines = tag_lines(text.as_bytes());
        // Mostly the tag lines the real split picks; sometimes anywhere at all.
        let at = if lines.is_empty() || split % 4 == 0 {
            split % (text.len() + 1)
        } else {
            lines[split % lines.len()]
        };
        if let Err(e) = agrees(text.as_bytes(), at) {
            return Err(TestCaseError::fail(e));
        }
    }
}
