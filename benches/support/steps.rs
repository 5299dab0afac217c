//! The steps the TUI benches time, shared with `examples/phases.rs`, which times each one:
//! `mark` is called between steps (the benches pass one that does nothing).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::Path;
use virt_cpu::argv::QemuCaps;
use virt_cpu::catalog::Catalog;
use virt_cpu::domain::Domain;
use virt_cpu::edit::Edited;
use virt_cpu::store;
use virt_cpu::store::save::{Expected, Saved, save_atomic};
use virt_cpu::tui::app::{AppState, Target};
use virt_cpu::tui::theme::Theme;
use virt_cpu::tui::{type_keys, view};
use virt_cpu::xml::Document;

pub fn draw(term: &mut Terminal<TestBackend>, m: &AppState) {
    term.draw(|f| view::draw(f, m, &Theme::COLOR)).unwrap();
}

/// As the TUI loads a file: the bytes read are handed to the document, not copied. Steps:
/// parse, domain facts, TUI state.
pub fn state_from(bytes: Vec<u8>, mark: &mut dyn FnMut()) -> AppState {
    let catalog = Catalog::embedded();
    let doc = Document::parse_owned(bytes).unwrap();
    mark();
    let dom = Domain::read(&doc).unwrap();
    mark();
    let caps = QemuCaps::from_catalog(&dom, catalog);
    AppState::new(
        Edited::from_read(doc, dom),
        "bench.xml".into(),
        Target::Unnamed {
            suggestion: "bench.xml".into(),
        },
        caps,
        catalog,
    )
}

/// What a user does to a file: open it, look, change one feature (`Space` on pcid), look,
/// save (atomic, with fsync, the changed-on-disk check by the file's stamp). Steps: open,
/// model, render, edit, render, save.
pub fn session(
    path: &Path,
    term: &mut Terminal<TestBackend>,
    copied: &mut Vec<String>,
    mark: &mut dyn FnMut(),
) -> Saved {
    let catalog = Catalog::embedded();
    let loaded = store::open(path).unwrap();
    mark();
    let stamp = loaded.origin.stamp().cloned();
    let caps = QemuCaps::from_catalog(&loaded.domain, catalog);
    let state = Edited::from_read(loaded.doc, loaded.domain);
    let name = path.display().to_string();
    let mut m = AppState::new(state, name, Target::File(path.to_path_buf()), caps, catalog);
    mark();
    draw(term, &m);
    mark();
    type_keys(&mut m, "f/pcid<ret><space><esc>", copied);
    mark();
    draw(term, &m);
    mark();
    let expected = Expected {
        bytes: m.disk.as_bytes(),
        stamp: stamp.as_ref(),
    };
    save_atomic(path, m.source().as_bytes(), Some(expected)).unwrap()
}
