//! The README's screenshots: SVG renders of the real views (ratatui's TestBackend buffer, with
//! its colours), never drawn by hand. Outside CI the test rewrites `screenshots/*.svg`, so they
//! follow the views; under CI=true it only checks that each renders and is committed.

mod common;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use std::path::Path;
use virt_cpu::catalog::Catalog;
use virt_cpu::tui::theme::Theme;
use virt_cpu::tui::{Options, load, type_keys, view};

const CELL_W: f32 = 8.4;
const CELL_H: f32 = 17.0;
const FG: &str = "#d0d0d0";
const BG: &str = "#1c1c1c";

fn color(c: Color) -> Option<&'static str> {
    Some(match c {
        Color::Red | Color::LightRed => "#ff6b6b",
        Color::Green | Color::LightGreen => "#7bd88f",
        Color::Yellow | Color::LightYellow => "#e5c07b",
        Color::Blue | Color::LightBlue => "#61afef",
        Color::Cyan | Color::LightCyan => "#56d4dd",
        Color::Magenta | Color::LightMagenta => "#c678dd",
        Color::DarkGray | Color::Gray => "#808080",
        Color::White => "#ffffff",
        Color::Black => "#000000",
        _ => return None,
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The buffer as an SVG: one `<text>` per row, a `<tspan>` per run of equal style, a `<rect>`
/// behind reversed runs.
fn svg(buf: &Buffer) -> String {
    let (w, h) = (buf.area.width, buf.area.height);
    let mut out = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='{:.0}' height='{:.0}' font-family='DejaVu Sans Mono,Menlo,Consolas,monospace' font-size='14'>\n<rect width='100%' height='100%' fill='{BG}'/>\n",
        w as f32 * CELL_W + 16.0,
        h as f32 * CELL_H + 16.0
    );
    for y in 0..h {
        let mut runs: Vec<(u16, String, Option<&str>, bool, bool)> = Vec::new();
        for x in 0..w {
            let cell = &buf[(x, y)];
            let rev = cell.modifier.contains(Modifier::REVERSED);
            let bold = cell.modifier.contains(Modifier::BOLD);
            let fg = color(cell.fg);
            match runs.last_mut() {
                Some(r) if r.2 == fg && r.3 == rev && r.4 == bold => r.1.push_str(cell.symbol()),
                _ => runs.push((x, cell.symbol().to_string(), fg, rev, bold)),
            }
        }
        let base = y as f32 * CELL_H + 8.0;
        for (x, text, _, rev, _) in &runs {
            if *rev {
                let len = text.chars().count() as f32;
                out.push_str(&format!(
                    "<rect x='{:.1}' y='{:.1}' width='{:.1}' height='{CELL_H}' fill='{FG}'/>\n",
                    *x as f32 * CELL_W + 8.0,
                    base,
                    len * CELL_W
                ));
            }
        }
        out.push_str(&format!(
            "<text y='{:.1}' xml:space='preserve'>",
            base + CELL_H - 4.0
        ));
        for (x, text, fg, rev, bold) in runs {
            let fill = if rev { BG } else { fg.unwrap_or(FG) };
            let weight = if bold { " font-weight='bold'" } else { "" };
            out.push_str(&format!(
                "<tspan x='{:.1}' fill='{fill}'{weight} textLength='{:.1}'>{}</tspan>",
                x as f32 * CELL_W + 8.0,
                text.chars().count() as f32 * CELL_W,
                escape(&text)
            ));
        }
        out.push_str("</text>\n");
    }
    out.push_str("</svg>\n");
    out
}

fn shot(keys: &str) -> String {
    let mut m = load(&Options::default(), Catalog::embedded()).unwrap();
    type_keys(&mut m, keys, &mut Vec::new());
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    term.draw(|f| view::draw(f, &m, &Theme::COLOR)).unwrap();
    svg(term.backend().buffer())
}

#[test]
fn screenshots_from_the_real_views() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    // Each scene: its keys on the demo domain, and text that must be on the screen.
    let scenes = [
        ("demo", "", "&lt;qemu:cpu&gt;"),
        ("demo-fixed", "1", "&lt;qemu:cpu&gt;"),
        ("picker", "1<tab>mskylake-client", "&lt;qemu:cpu&gt;"),
        ("features", "1<tab>f/avx512", "&lt;qemu:cpu&gt;"),
        ("hyperv", "1hW", "Hyper-V enlightenments"),
    ];
    for (name, keys, shown) in scenes {
        let svg = shot(keys);
        assert!(
            svg.contains("<svg") && svg.contains(shown),
            "{name} renders"
        );
        let path = dir.join(format!("tui-{name}.svg"));
        if common::must_not_skip() {
            assert!(
                path.is_file(),
                "{} is missing: run `cargo test --test tui_screenshots` and commit it",
                path.display()
            );
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(svg.as_str()) {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, svg).unwrap();
            eprintln!("wrote {}", path.display());
        }
    }
}
