//! The lossless document over libvirt's own 1691 domain XMLs.

mod common;

use virt_cpu::xml::Document;

#[test]
fn every_corpus_file_indexes_and_round_trips_byte_identical() {
    let mut failures = Vec::new();
    let files = common::corpus_files();
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        match Document::parse(&bytes) {
            Ok(doc) => {
                if doc.source().as_bytes() != bytes.as_slice() {
                    failures.push(format!("{}: bytes differ", path.display()));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
