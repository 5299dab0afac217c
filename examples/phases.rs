//! Where the time of the first frame and of a whole session goes, phase by phase, as medians
//! over 30 runs. For profiling; the README's figures come from `cargo bench --bench tui`.
//!
//! `cargo run --release --example phases -- first-frame FILE`: parse, domain facts, model, render.
//! `cargo run --release --example phases -- session FILE DIR`: with a copy of FILE in DIR, what
//! the `tui-session` bench does: open, model, render, edit (`Space` on pcid), render, save.

use ratatui::{Terminal, backend::TestBackend};
use std::path::Path;
use std::time::Instant;
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

const RUNS: usize = 30;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["first-frame", file] => first_frame(Path::new(file)),
        ["session", file, dir] => session(Path::new(file), Path::new(dir)),
        _ => eprintln!("usage: phases first-frame FILE | phases session FILE DIR"),
    }
}

fn draw(term: &mut Terminal<TestBackend>, m: &Model) {
    term.draw(|f| view::draw(f, m, &Theme::COLOR)).unwrap();
}

/// Runs `run` RUNS times; it returns the instants between its phases.
fn report(names: &[&str], mut run: impl FnMut() -> Vec<Instant>) {
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for _ in 0..RUNS {
        let marks = run();
        for (k, pair) in marks.windows(2).enumerate() {
            times[k].push((pair[1] - pair[0]).as_secs_f64() * 1e3);
        }
    }
    let mut total = 0.0;
    for (name, mut t) in names.iter().zip(times) {
        t.sort_by(f64::total_cmp);
        total += t[RUNS / 2];
        println!("{name}: median {:.2} ms, min {:.2}", t[RUNS / 2], t[0]);
    }
    println!("sum of the medians: {total:.1} ms");
}

fn first_frame(file: &Path) {
    let xml = std::fs::read(file).unwrap();
    let catalog = Catalog::embedded();
    report(&["parse", "domain", "model", "render"], || {
        let bytes = xml.clone();
        let mut marks = vec![Instant::now()];
        let doc = Document::parse_owned(bytes).unwrap();
        marks.push(Instant::now());
        let dom = Domain::read(&doc).unwrap();
        marks.push(Instant::now());
        let caps = QemuCaps::from_catalog(&dom, catalog);
        let state = Edited::from_read(doc, dom);
        let m = Model::new(
            state,
            "x".into(),
            Target::Unnamed {
                suggestion: "x".into(),
            },
            caps,
            catalog,
        );
        marks.push(Instant::now());
        draw(&mut Terminal::new(TestBackend::new(100, 30)).unwrap(), &m);
        marks.push(Instant::now());
        marks
    });
}

fn session(file: &Path, dir: &Path) {
    let path = dir.join("virt-cpu-phases.xml");
    std::fs::copy(file, &path).unwrap();
    let catalog = Catalog::embedded();
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut copied = Vec::new();
    report(
        &["open", "model", "render", "edit", "render", "save"],
        || {
            let mut marks = vec![Instant::now()];
            let loaded = store::open(&path).unwrap();
            marks.push(Instant::now());
            let stamp = match &loaded.origin {
                store::Origin::File { stamp, .. } => Some(stamp.clone()),
                store::Origin::Stdin => None,
            };
            let caps = QemuCaps::from_catalog(&loaded.domain, catalog);
            let state = Edited::from_read(loaded.doc, loaded.domain);
            let mut m = Model::new(state, "x".into(), Target::File(path.clone()), caps, catalog);
            marks.push(Instant::now());
            draw(&mut term, &m);
            marks.push(Instant::now());
            type_keys(&mut m, "f/pcid<ret><space><esc>", &mut copied);
            marks.push(Instant::now());
            draw(&mut term, &m);
            marks.push(Instant::now());
            let expected = Expected {
                bytes: m.disk.as_bytes(),
                stamp: stamp.as_ref(),
            };
            save_atomic(&path, m.source().as_bytes(), Some(expected)).unwrap();
            marks.push(Instant::now());
            marks
        },
    );
    let _ = std::fs::remove_file(&path);
}
