//! The bottom bar: the live `-cpu` line and its reading, the taints, the diagnostics with their
//! fix keys, the status message and the key hints.

use crate::argv::{Reading, Source};
use crate::check::{Advice, Severity};
use crate::tui::app::{AppState, Level};
use crate::tui::keymap::{self, Hint};
use crate::tui::text::{self, clip_line, limit, visible, wrap_words};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// Diagnostics shown at once; more are counted.
const MAX_DIAGNOSTICS: usize = 4;
/// Lines the `-cpu` value may wrap over; past them it is cut, saying that `y` copies it whole.
const MAX_ARGV_LINES: usize = 6;
/// Lines one diagnostic may wrap over when there is room.
const MAX_DIAGNOSTIC_LINES: usize = 4;
/// Lines the status message may wrap over when there is room.
const MAX_STATUS_LINES: usize = 3;
/// Rows the key hints may take.
const HINT_ROWS: usize = 2;

/// Everything the bar shows, each part wrapped whole to the width (before fitting the rows).
struct Content {
    argv: Vec<Line<'static>>,
    /// Each diagnostic shown (and the "… and N more" line).
    diagnostics: Vec<Vec<Line<'static>>>,
    status: Vec<Line<'static>>,
    /// The key hints: one row, or two when one does not hold them all.
    hints: Vec<Line<'static>>,
}

/// Rows given to each part.
#[derive(Debug, PartialEq, Eq)]
struct Plan {
    argv: usize,
    diagnostics: Vec<usize>,
    status: usize,
    hints: usize,
}

impl Plan {
    /// The rows inside the border: the parts, the source line and the key hints.
    fn rows(&self) -> usize {
        self.argv + self.diagnostics.iter().sum::<usize>() + self.status + 1 + self.hints
    }
}

fn content(m: &AppState, t: &Theme, width: usize) -> Content {
    let argv = match &m.report.arg.value {
        // Between options only: a break inside one reads like a separate flag.
        Some(v) => wrap_words(
            &[Span::styled(format!("-cpu {}", visible(v)), t.argv())],
            width,
            0,
        ),
        // The CLI's "depends on the host" (exit 3): no refusal, a fact virt-cpu lacks.
        None if m.report.needs_host() => wrap_words(
            &[Span::styled(
                "-cpu: depends on the host, which was not given — open the domain with \
                 --host-caps FILE (saved `virsh domcapabilities` output) or -c URI (see below)",
                t.info(),
            )],
            width,
            0,
        ),
        None => wrap_words(
            &[Span::styled(
                "-cpu: none — libvirt refuses this domain (see below)",
                t.error(),
            )],
            width,
            0,
        ),
    };
    let status = match &m.status {
        Some(s) => {
            let style = match s.level {
                Level::Info => t.info(),
                Level::Warning => t.warning(),
                Level::Error => t.error(),
            };
            wrap_words(
                &[Span::styled(visible(&s.text).into_owned(), style)],
                width,
                0,
            )
        }
        None => Vec::new(),
    };
    Content {
        argv,
        diagnostics: diagnostics(m, t, width),
        status,
        hints: hint_lines(m, t, width),
    }
}

/// Shares `rows` (inside the border) out: the hints and the source line first, then a row for
/// each part, then the `-cpu` value whole, then the status message, then each diagnostic in
/// order.
fn plan(c: &Content, rows: usize) -> Plan {
    let hints = c.hints.len().max(1);
    let mut left = rows.saturating_sub(1 + hints);
    let mut take = |want: usize| {
        let got = want.min(left);
        left -= got;
        got
    };
    let mut p = Plan {
        argv: 0,
        diagnostics: vec![0; c.diagnostics.len()],
        status: take(1),
        hints,
    };
    p.argv = take(1);
    for d in &mut p.diagnostics {
        *d = take(1);
    }
    p.argv += take(c.argv.len().min(MAX_ARGV_LINES).saturating_sub(p.argv));
    // What the last key did before the rest of what stays on screen anyway.
    p.status += take(
        c.status
            .len()
            .min(MAX_STATUS_LINES)
            .saturating_sub(p.status),
    );
    for (d, lines) in p.diagnostics.iter_mut().zip(&c.diagnostics) {
        *d += take(lines.len().min(MAX_DIAGNOSTIC_LINES).saturating_sub(*d));
    }
    p
}

/// Rows the bar takes at this width, at most `max` (its border included).
pub fn height(m: &AppState, width: u16, max: u16) -> u16 {
    let c = content(m, &Theme::MONO, width as usize);
    let rows = plan(&c, max.saturating_sub(1) as usize).rows() + 1;
    (rows as u16).min(max)
}

pub fn draw(f: &mut Frame, m: &AppState, t: &Theme, area: Rect) {
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
    let width = inner.width as usize;
    let c = content(m, t, width);
    let p = plan(&c, inner.height as usize);
    let mut lines = limit(
        c.argv,
        p.argv,
        width,
        Some(Span::styled(" (y copies the whole value)", t.dim())),
    );
    lines.push(clip_line(source_line(m, t), width));
    for (d, rows) in c.diagnostics.into_iter().zip(p.diagnostics) {
        lines.extend(limit(d, rows, width, None));
    }
    let status = limit(c.status, p.status, width, None);
    let blank = p.status - status.len();
    lines.extend(status);
    lines.extend(std::iter::repeat_n(Line::raw(""), blank));
    // The hints keep the last rows whatever happens above them.
    let [body, hints] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(p.hints as u16)]).areas(inner);
    f.render_widget(Paragraph::new(lines), body);
    f.render_widget(Paragraph::new(c.hints), hints);
}

fn source_line(m: &AppState, t: &Theme) -> Line<'static> {
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

/// Each diagnostic wrapped whole: its mark, fix key, code and message, lines after the first
/// indented under the code. Past [`MAX_DIAGNOSTICS`], a line says how many more `c` lists.
fn diagnostics(m: &AppState, t: &Theme, width: usize) -> Vec<Vec<Line<'static>>> {
    let all = &m.report.diagnostics;
    let prose = |spans: &[Span<'static>]| wrap_words(spans, width, 2);
    if all.is_empty() {
        return vec![prose(&[Span::styled("✓ no problems found", t.added())])];
    }
    let mut out = Vec::new();
    for i in 0..all.len().min(MAX_DIAGNOSTICS) {
        if i == MAX_DIAGNOSTICS - 1 && all.len() > MAX_DIAGNOSTICS {
            out.push(prose(&[Span::styled(
                format!("… and {} more (c lists them all)", all.len() - i),
                t.dim(),
            )]));
            break;
        }
        out.push(prose(&diagnostic(m, t, i)));
    }
    out
}

/// The `i`-th diagnostic as the TUI says it: its mark, its fix key, its code and its message,
/// the advice in the TUI's keys.
pub fn diagnostic(m: &AppState, t: &Theme, i: usize) -> Vec<Span<'static>> {
    let d = &m.report.diagnostics[i];
    let (sym, style) = match d.severity {
        Severity::Error => ("✗", t.error()),
        Severity::Warning => ("!", t.warning()),
        Severity::Info => ("i", t.info()),
    };
    let mut spans = vec![Span::styled(format!("{sym} "), style)];
    if let Some(k) = m.fix_key(i) {
        let fix = match &d.suggestion {
            Some(s) => format!("[{k}] fix → {} ", visible(s)),
            None => format!("[{k}] fix "),
        };
        spans.push(Span::styled(fix, t.key()));
    }
    spans.push(Span::styled(format!("{}: ", d.code), style));
    spans.push(Span::raw(visible(&d.message_in(advice)).into_owned()));
    spans
}

/// How to act on a diagnostic, in the TUI's keys (the engine's message words it for the CLI).
pub fn advice(a: Advice) -> String {
    match a {
        Advice::ConvertToCommandline => {
            "`w` offers it when saving defines the domain: --domain, virsh edit".into()
        }
        Advice::MoveToOneElement => "`x` moves them to the other element".into(),
        Advice::SetQemuModel => "`m` in <qemu:cpu> picks one".into(),
        Advice::PickUsableModel => "`m` lists the models the host runs first".into(),
    }
}

/// The keys that matter here (the hints of the panes' key table), most important first: one
/// row when they all fit, else two (`w`, `q` and `?` lead the first); what does not fit in two
/// gives way from the end.
fn hint_lines(m: &AppState, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut rows: Vec<(Vec<Span<'static>>, usize)> = vec![(Vec::new(), 0)];
    for Hint { key: k, label, .. } in keymap::hints(m) {
        let len = text::width(k) + 1 + text::width(label);
        let (spans, used) = rows.last_mut().expect("a row");
        let gap = if spans.is_empty() { 0 } else { 2 };
        if *used + gap + len > width {
            if rows.len() == HINT_ROWS {
                break;
            }
            rows.push((Vec::new(), 0));
        }
        let (spans, used) = rows.last_mut().expect("a row");
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
            *used += 2;
        }
        *used += len;
        spans.push(Span::styled(k.to_string(), t.key()));
        spans.push(Span::raw(format!(" {label}")));
    }
    rows.into_iter()
        .map(|(spans, _)| Line::from(spans))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(n: usize) -> Vec<Line<'static>> {
        vec![Line::raw("x"); n]
    }

    #[test]
    fn rows_go_to_each_part_then_the_value_the_status_and_diagnostics_in_order() {
        let c = Content {
            argv: lines(9),
            diagnostics: vec![lines(3), lines(6), lines(1)],
            status: lines(3),
            hints: lines(1),
        };
        // Each part a row: source and hints, status, value, three diagnostics.
        let tight = plan(&c, 7);
        assert_eq!(
            (tight.argv, &tight.diagnostics[..], tight.status),
            (1, &[1, 1, 1][..], 1)
        );
        let p = plan(&c, 13);
        assert_eq!(
            (p.argv, &p.diagnostics[..], p.status),
            (6, &[1, 1, 1][..], 2)
        );
        let p = plan(&c, 14);
        assert_eq!(
            (p.argv, &p.diagnostics[..], p.status),
            (6, &[1, 1, 1][..], 3)
        );
        let p = plan(&c, 15);
        assert_eq!(
            (p.argv, &p.diagnostics[..], p.status),
            (6, &[2, 1, 1][..], 3)
        );
        let all = plan(&c, 100);
        assert_eq!(
            (all.argv, &all.diagnostics[..], all.status),
            (
                MAX_ARGV_LINES,
                &[3, MAX_DIAGNOSTIC_LINES, 1][..],
                MAX_STATUS_LINES
            )
        );
        // The rows a plan takes give the same plan: `height` and `draw` agree.
        for rows in 0..30 {
            let p = plan(&c, rows);
            assert!(p.rows() <= rows.max(2 + 1 + 1 + 3), "{rows}");
            assert_eq!(plan(&c, p.rows()), p, "{rows}");
        }
    }
}
