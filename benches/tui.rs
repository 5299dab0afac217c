//! TUI benchmarks (DESIGN §9): the first frame (parse, check, full render) and one keystroke
//! (keymap + update + full render) on ratatui's TestBackend, for the demo domain and a 10 MB one;
//! and a whole session: load a file, render, edit, render, save it.
//! Targets: first frame ≤ 20 ms, keystroke ≤ 1 ms, 10 MB load + render + save ≤ 50 ms.
//! Run: `cargo bench --bench tui`.

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use virt_cpu::tui::app::AppState;
use virt_cpu::tui::type_keys;

#[path = "support/big_domain.rs"]
mod big_domain;
#[path = "support/steps.rs"]
mod steps;

use big_domain::bench_inputs as inputs;
use steps::{draw, state_from};

fn state(xml: &str) -> AppState {
    state_from(xml.as_bytes().to_vec(), &mut || {})
}

fn first_frame(c: &mut Criterion) {
    let mut g = c.benchmark_group("tui-first-frame");
    g.sample_size(20);
    for (name, xml) in inputs() {
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter_batched(
                || xml.as_bytes().to_vec(),
                |bytes| {
                    let m = state_from(black_box(bytes), &mut || {});
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
        let mut m = state(&xml);
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

/// A 60 MB `<qemu:option>` value on one line: the first frame and a keystroke must cost what
/// they cost on the demo (only what the screen shows is drawn).
fn huge_value(c: &mut Criterion) {
    let mut g = c.benchmark_group("tui-huge-value");
    g.sample_size(10);
    let xml = big_domain::huge_value(60_000_000);
    g.bench_function("first-frame/60MB", |b| {
        b.iter_batched(
            || xml.as_bytes().to_vec(),
            |bytes| {
                let m = state_from(black_box(bytes), &mut || {});
                let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
                draw(&mut term, &m);
                m
            },
            BatchSize::LargeInput,
        )
    });
    let mut m = state(&xml);
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut copied = Vec::new();
    g.bench_function("tab+render/60MB", |b| {
        b.iter(|| {
            type_keys(&mut m, "<tab>", &mut copied);
            draw(&mut term, &m);
        })
    });
    g.finish();
}

fn edit(c: &mut Criterion) {
    // An edit re-scans what it changed, re-reads and re-checks the domain, then renders.
    let mut g = c.benchmark_group("tui-edit");
    g.sample_size(20);
    for (name, xml) in inputs() {
        let mut m = state(&xml);
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

/// What a user does to a file (see `steps::session`). Each round flips pcid, so each save
/// writes.
fn load_render_save(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("tui-session");
    g.sample_size(20);
    for (name, xml) in inputs() {
        let path = dir.path().join(format!("{name}.xml"));
        std::fs::write(&path, &xml).unwrap();
        let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
        let mut copied = Vec::new();
        g.bench_function(BenchmarkId::new("load+render+edit+save", name), |b| {
            b.iter(|| steps::session(&path, &mut term, &mut copied, &mut || {}))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    first_frame,
    keystroke,
    edit,
    load_render_save,
    huge_value
);
criterion_main!(benches);
