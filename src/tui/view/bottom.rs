//! The bottom bar: the live `-cpu` line and its reading, the taints, the diagnostics with their
//! fix keys, the status message and the key hints.

use crate::argv::{Reading, Source};
use crate::check::Severity;
use crate::tui::app::{Level, Model, Pane};
use crate::tui::text::{clip, visible};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// Diagnostics shown at once; more are counted.
const MAX_DIAGNOSTICS: usize = 4;
/// Lines the `-cpu` value may wrap over.
const MAX_ARGV_LINES: usize = 3;

fn argv_text(m: &Model) -> String {
    match &m.report.arg.value {
        Some(v) => format!("-cpu {}", visible(v)),
        None => "-cpu: none — libvirt refuses this domain (see below)".into(),
    }
}

fn argv_lines(m: &Model, width: u16) -> usize {
    argv_text(m)
        .chars()
        .count()
        .div_ceil(width.max(1) as usize)
        .clamp(1, MAX_ARGV_LINES)
}

fn diagnostic_lines(m: &Model) -> usize {
    m.report.diagnostics.len().clamp(1, MAX_DIAGNOSTICS)
}

/// Rows the bar needs at this width: border, argv, source/taints, diagnostics, status, hints.
pub fn height(m: &Model, width: u16) -> u16 {
    (1 + argv_lines(m, width) + 1 + diagnostic_lines(m) + 1 + 1) as u16
}

pub fn draw(f: &mut Frame, m: &Model, t: &Theme, area: Rect) {
    let reading = match m.reading {
        Reading::Merge => "merge",
        Reading::Override => "override",
    };
    let title = Line::from(vec![
        Span::styled(" -cpu ", t.title()),
        Span::styled(format!("· {reading} "), t.label()),
        Span::styled("(o toggles) ", t.dim()),
    ]);
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(t.border(false))
        .title(title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [argv, source, diags, status, hints] = Layout::vertical([
        Constraint::Length(argv_lines(m, inner.width) as u16),
        Constraint::Length(1),
        Constraint::Length(diagnostic_lines(m) as u16),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let style = if m.report.arg.value.is_some() {
        t.argv()
    } else {
        t.error()
    };
    // Wrapped by characters: the value has no spaces for a word wrap to break at.
    let chars: Vec<char> = argv_text(m).chars().collect();
    let lines: Vec<Line> = chars
        .chunks(argv.width.max(1) as usize)
        .map(|c| Line::styled(c.iter().collect::<String>(), style))
        .collect();
    f.render_widget(Paragraph::new(lines), argv);
    f.render_widget(Paragraph::new(source_line(m, t)), source);
    f.render_widget(
        Paragraph::new(diagnostics(m, t, diags.width as usize)),
        diags,
    );
    if let Some(s) = &m.status {
        let style = match s.level {
            Level::Info => t.info(),
            Level::Warning => t.warning(),
            Level::Error => t.error(),
        };
        f.render_widget(
            Paragraph::new(Span::styled(
                clip(&visible(&s.text), status.width as usize).into_owned(),
                style,
            )),
            status,
        );
    }
    f.render_widget(Paragraph::new(hint_line(m, t, hints.width as usize)), hints);
}

fn source_line(m: &Model, t: &Theme) -> Line<'static> {
    let from = match m.report.arg.source {
        Source::Libvirt => "from <cpu> (libvirt's generator)",
        Source::QemuCpu => "from <qemu:cpu>",
        Source::Commandline => "from <qemu:commandline> (overrides libvirt's)",
    };
    let mut spans = vec![
        Span::styled(from, t.label()),
        Span::styled("  taints: ", t.label()),
    ];
    if m.report.taints.is_empty() {
        spans.push(Span::styled("none", t.dim()));
    }
    for (i, taint) in m.report.taints.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(", "));
        }
        spans.push(Span::styled(taint.name, t.warning()));
        if taint.when.is_some() {
            spans.push(Span::styled("*", t.dim()));
        }
    }
    Line::from(spans)
}

fn diagnostics(m: &Model, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let all = &m.report.diagnostics;
    if all.is_empty() {
        return vec![Line::styled("✓ no problems found", t.added())];
    }
    let mut out = Vec::new();
    for (i, d) in all.iter().enumerate().take(MAX_DIAGNOSTICS) {
        if i == MAX_DIAGNOSTICS - 1 && all.len() > MAX_DIAGNOSTICS {
            out.push(Line::styled(
                format!(
                    "… and {} more (virt-cpu check FILE lists them all)",
                    all.len() - i
                ),
                t.dim(),
            ));
            break;
        }
        let (sym, style) = match d.severity {
            Severity::Error => ("✗", t.error()),
            Severity::Warning => ("!", t.warning()),
            Severity::Info => ("i", t.info()),
        };
        let mut spans = vec![Span::styled(format!("{sym} "), style)];
        let mut used = 2;
        if let Some(k) = m.fix_key(i) {
            let fix = match &d.suggestion {
                Some(s) => format!("[{k}] fix → {} ", visible(s)),
                None => format!("[{k}] fix "),
            };
            used += fix.chars().count();
            spans.push(Span::styled(fix, t.key()));
        }
        let code = format!("{}: ", d.code);
        used += code.chars().count();
        spans.push(Span::styled(code, style));
        let msg = visible(&d.message);
        spans.push(Span::raw(
            clip(&msg, width.saturating_sub(used)).into_owned(),
        ));
        out.push(Line::from(spans));
    }
    out
}

/// The keys that matter here, as many as fit.
fn hint_line(m: &Model, t: &Theme, width: usize) -> Line<'static> {
    let mut hints: Vec<(&str, &str)> = vec![
        ("Tab", "pane"),
        ("m", "model"),
        ("f", "features"),
        ("x", "move"),
    ];
    if m.focus == Pane::Qemu {
        hints.push(("e", "option"));
    }
    hints.extend([
        ("u", "undo"),
        ("^R", "redo"),
        ("w", "save"),
        ("y", "copy"),
        ("q", "quit"),
        ("d", "diff"),
        ("o", "reading"),
    ]);
    // Hints that do not fit are left out; `?` (all keys) always stays, last.
    let help = 7;
    let mut spans = Vec::new();
    let mut used = 0;
    for (k, label) in hints.iter() {
        let len = k.chars().count() + 1 + label.len() + 2;
        if used + len + help > width {
            continue;
        }
        used += len;
        spans.push(Span::styled(k.to_string(), t.key()));
        spans.push(Span::raw(format!(" {label}  ")));
    }
    spans.push(Span::styled("?", t.key()));
    spans.push(Span::raw(" help"));
    Line::from(spans)
}
