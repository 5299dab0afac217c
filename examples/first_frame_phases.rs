//! Where the first frame's time goes, phase by phase (parse, domain facts, model, render),
//! as medians over 40 runs: `cargo run --release --example first_frame_phases -- FILE`.
//! For profiling; the figures in the README come from `cargo bench --bench tui`.

use ratatui::{Terminal, backend::TestBackend};
use std::time::Instant;
use virt_cpu::argv::QemuCaps;
use virt_cpu::catalog::Catalog;
use virt_cpu::domain::Domain;
use virt_cpu::edit::Edited;
use virt_cpu::tui::app::{Model, Target};
use virt_cpu::tui::theme::Theme;
use virt_cpu::tui::view;
use virt_cpu::xml::Document;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let xml = std::fs::read(&path).unwrap();
    let catalog = Catalog::embedded();
    let mut t = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..40 {
        let bytes = xml.clone();
        let a = Instant::now();
        let doc = Document::parse_owned(bytes).unwrap();
        let b = Instant::now();
        let dom = Domain::read(&doc).unwrap();
        let c = Instant::now();
        let caps = QemuCaps::from_catalog(&dom, catalog);
        let m = Model::new(
            Edited::from_read(doc, dom),
            "x".into(),
            Target::Unnamed {
                suggestion: "x".into(),
            },
            caps,
            catalog,
        );
        let d = Instant::now();
        let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
        term.draw(|f| view::draw(f, &m, &Theme::COLOR)).unwrap();
        let e = Instant::now();
        for (k, (x, y)) in [(a, b), (b, c), (c, d), (d, e)].into_iter().enumerate() {
            t[k].push((y - x).as_secs_f64() * 1e3);
        }
        drop(m);
    }
    for (k, name) in ["parse", "domain", "model", "draw"].iter().enumerate() {
        t[k].sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!("{name}: median {:.2} ms, min {:.2}", t[k][20], t[k][0]);
    }
}
