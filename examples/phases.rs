//! Where the time of the first frame and of a whole session goes, step by step, as medians
//! over 30 runs: the TUI benches' own steps (`benches/support/steps.rs`), timed one by one. For
//! profiling; the README's figures come from `cargo bench --bench tui`.
//!
//! `cargo run --release --example phases -- first-frame FILE`: parse, domain facts, model, render.
//! `cargo run --release --example phases -- session FILE DIR`: with a copy of FILE in DIR, what
//! the `tui-session` bench does: open, model, render, edit (`Space` on pcid), render, save.

use ratatui::{Terminal, backend::TestBackend};
use std::path::Path;
use std::time::Instant;

#[path = "../benches/support/steps.rs"]
mod steps;

const RUNS: usize = 30;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["first-frame", file] => first_frame(Path::new(file)),
        ["session", file, dir] => session(Path::new(file), Path::new(dir)),
        _ => eprintln!("usage: phases first-frame FILE | phases session FILE DIR"),
    }
}

/// Runs `run` RUNS times; it calls its `mark` between steps.
fn report(names: &[&str], mut run: impl FnMut(&mut dyn FnMut())) {
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for _ in 0..RUNS {
        let mut marks = vec![Instant::now()];
        run(&mut || marks.push(Instant::now()));
        marks.push(Instant::now());
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
    report(&["parse", "domain", "model", "render"], |mark| {
        let m = steps::state_from(xml.clone(), mark);
        mark();
        steps::draw(&mut Terminal::new(TestBackend::new(100, 30)).unwrap(), &m);
    });
}

fn session(file: &Path, dir: &Path) {
    let path = dir.join("virt-cpu-phases.xml");
    std::fs::copy(file, &path).unwrap();
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut copied = Vec::new();
    report(
        &["open", "model", "render", "edit", "render", "save"],
        |mark| {
            steps::session(&path, &mut term, &mut copied, mark);
        },
    );
    let _ = std::fs::remove_file(&path);
}
