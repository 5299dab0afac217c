//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The project's shared data (conformance cases, corpus, reference files): `../shared` beside
/// the repository, or `$VIRT_CPU_SHARED`.
pub fn shared_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("VIRT_CPU_SHARED") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// All corpus files, sorted. Fails (rather than passing vacuously) when the corpus is missing.
pub fn corpus_files() -> Vec<PathBuf> {
    let dir = shared_dir().join("corpus/libvirt-9.0-domains");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus directory {} not readable: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    assert!(files.len() > 1000, "expected the 1691-file corpus in {}, found {}", dir.display(), files.len());
    files
}

/// True when tests must not skip for a missing QEMU or libvirt (set by .ci/run).
pub fn must_not_skip() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips (or, under CI, fails) a test that needs an external program.
pub fn require_program(name: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(name).is_file()))
        .unwrap_or(false);
    if !found {
        if must_not_skip() {
            panic!("{name} is required under CI=true but was not found on PATH (.ci/run installs it)");
        }
        eprintln!("SKIP: {name} not found on PATH; install it to run this test");
    }
    found
}
pub mod conformance;
