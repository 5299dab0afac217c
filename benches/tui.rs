//! TUI benchmarks (DESIGN §9): the first frame (parse, check, full render) and one keystroke
//! (keymap + update + full render) on ratatui's TestBackend, for the demo domain and a 10 MB one;
//! and a whole session: load a file, render, edit, render, save it.
//! Targets: first frame ≤ 20 ms, keystroke ≤ 1 ms, 10 MB load + render + save ≤ 50 ms.
//! Run: `cargo bench --bench tui`.

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use virt_cpu::argv::QemuCaps;
use virt_cpu::catalog::Catalog;
use virt_cpu::domain::Domain;
use virt_cpu::edit::Edited;
use virt_cpu::store;
use virt_cpu::store::save::{Expected, save_atomic};
use virt_cpu::tui::app::{Model, Target};
use virt_cpu::tui::theme::Theme;
use virt_cpu::tui::{type_keys, view};
use virt_cpu::xml::Document;

#[path = "support/big_domain.rs"]
mod big_domain;

use big_domain::bench_inputs as inputs;

fn model(xml: &str) -> Model {
    model_from(xml.as_bytes().to_vec())
}

/// As the TUI loads a file: the bytes read are handed to the document, not copied.
fn model_from(bytes: Vec<u8>) -> Model {
    let catalog = Catalog::embedded();
    let doc = Document::parse_owned(bytes).unwrap();
    let dom = Domain::read(&doc).unwrap();
    let caps = QemuCaps::from_catalog(&dom, catalog);
    Model::new(
        Edited::from_read(doc, dom),
        "bench.xml".into(),
        Target::Unnamed {
            suggestion: "bench.xml".into(),
        },
        caps,
        catalog,
    )
}

fn draw(term: &mut Terminal<TestBackend>, m: &Model) {
    term.draw(|f| view::draw(f, m, &Theme::COLOR)).unwrap();
}

fn first_frame(c: &mut Criterion) {
    let mut g = c.benchmark_group("tui-first-frame");
    g.sample_size(20);
    for (name, xml) in inputs() {
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter_batched(
                || xml.as_bytes().to_vec(),
                |bytes| {
                    let m = model_from(black_box(bytes));
                    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
                    draw(&mut term, &m);
                    m
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

fn keystroke(c: &mut Criterion) {
    let mut g = c.benchmark_group("tui-keystroke");
    for (name, xml) in inputs() {
        let mut m = model(&xml);
        let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
        let mut copied = Vec::new();
        g.bench_function(BenchmarkId::new("tab+render", name), |b| {
            b.iter(|| {
                type_keys(&mut m, "<tab>", &mut copied);
                draw(&mut term, &m);
            })
        });
        // Typing in the open model picker: filter all models, render the list and preview.
        type_keys(&mut m, "msky", &mut copied);
        g.bench_function(BenchmarkId::new("picker-type+render", name), |b| {
            b.iter(|| {
                type_keys(&mut m, "l<bs>", &mut copied);
                draw(&mut term, &m);
            })
        });
        type_keys(&mut m, "<esc>", &mut copied);
    }
    g.finish();
}

fn edit(c: &mut Criterion) {
    // An edit re-scans what it changed, re-reads and re-checks the domain, then renders.
    let mut g = c.benchmark_group("tui-edit");
    g.sample_size(20);
    for (name, xml) in inputs() {
        let mut m = model(&xml);
        let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
        let mut copied = Vec::new();
        g.bench_function(BenchmarkId::new("toggle+undo+render", name), |b| {
            b.iter(|| {
                type_keys(&mut m, "f/pcid<ret><space><esc>u", &mut copied);
                draw(&mut term, &m);
            })
        });
        // One keystroke that edits: Space in the feature list flips pcid, then the frame.
        type_keys(&mut m, "f/pcid<ret>", &mut copied);
        g.bench_function(BenchmarkId::new("space+render", name), |b| {
            b.iter(|| {
                type_keys(&mut m, "<space>", &mut copied);
                draw(&mut term, &m);
            })
        });
        type_keys(&mut m, "<esc>", &mut copied);
    }
    g.finish();
}

/// What a user does to a file: open it, look, change one feature, save (atomic, with fsync, the
/// changed-on-disk check by the file's stamp). Each round flips pcid, so each save writes.
fn load_render_save(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::embedded();
    let mut g = c.benchmark_group("tui-session");
    g.sample_size(20);
    for (name, xml) in inputs() {
        let path = dir.path().join(format!("{name}.xml"));
        std::fs::write(&path, &xml).unwrap();
        let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
        let mut copied = Vec::new();
        g.bench_function(BenchmarkId::new("load+render+edit+save", name), |b| {
            b.iter(|| {
                let loaded = store::open(&path).unwrap();
                let stamp = match &loaded.origin {
                    store::Origin::File { stamp, .. } => Some(stamp.clone()),
                    store::Origin::Stdin => None,
                };
                let caps = QemuCaps::from_catalog(&loaded.domain, catalog);
                let state = Edited::from_read(loaded.doc, loaded.domain);
                let mut m = Model::new(
                    state,
                    name.into(),
                    Target::File(path.clone()),
                    caps,
                    catalog,
                );
                draw(&mut term, &m);
                type_keys(&mut m, "f/pcid<ret><space><esc>", &mut copied);
                draw(&mut term, &m);
                let expected = Expected {
                    bytes: m.disk.as_bytes(),
                    stamp: stamp.as_ref(),
                };
                save_atomic(&path, m.source().as_bytes(), Some(expected)).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, first_frame, keystroke, edit, load_render_save);
criterion_main!(benches);
