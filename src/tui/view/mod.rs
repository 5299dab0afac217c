//! Drawing: pure functions from `&Model` to a frame, one per region. Nothing here changes the
//! model; everything from the XML goes through `text::visible` first.

mod bottom;
mod cpu_pane;
mod dialogs;
mod feature_list;
mod help;
pub mod loading;
mod picker;
mod qemu_pane;

use super::app::{Model, Overlay, Pane};
use super::text;
use super::theme::Theme;
use crate::check::Severity;
use crate::xml::ElemId;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

/// The smallest terminal the screen is laid out for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Whether a terminal of this size gets the screen (else the "Enlarge the window" message).
pub fn fits(width: u16, height: u16) -> bool {
    width >= MIN_WIDTH && height >= MIN_HEIGHT
}

/// Where each region goes for a terminal of this size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub title: Rect,
    pub panes: [Rect; 2],
    pub bottom: Rect,
}

pub fn areas(m: &Model, area: Rect) -> Areas {
    // The panes keep at least half the rows below the title (and 8): the bar grows into the
    // rest when the `-cpu` value or the diagnostics need it.
    let below_title = area.height.saturating_sub(1);
    let panes_min = (below_title / 2).max(8);
    let bottom_h = bottom::height(m, area.width, below_title.saturating_sub(panes_min));
    let [title, middle, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(8),
        Constraint::Length(bottom_h),
    ])
    .areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(middle);
    Areas {
        title,
        panes: [left, right],
        bottom,
    }
}

/// How far a pane scrolls on a screen of this size: its lines beyond what its box shows.
pub fn scroll_limit(m: &Model, pane: Pane, screen: Rect) -> u16 {
    let area = areas(m, screen).panes[pane as usize];
    let lines = match pane {
        Pane::Cpu => cpu_pane::lines(m, &Theme::MONO).len(),
        Pane::Qemu => qemu_pane::lines(m, &Theme::MONO).len(),
    };
    let shown = area.height.saturating_sub(2) as usize;
    lines.saturating_sub(shown).min(u16::MAX as usize) as u16
}

/// Draws the whole screen.
pub fn draw(f: &mut Frame, m: &Model, t: &Theme) {
    let area = f.area();
    if !fits(area.width, area.height) {
        return too_small(f, m, area, t);
    }
    let a = areas(m, area);
    title(f, m, t, a.title);
    cpu_pane::draw(f, m, t, a.panes[0]);
    qemu_pane::draw(f, m, t, a.panes[1]);
    bottom::draw(f, m, t, a.bottom);
    match &m.overlay {
        None => {}
        Some(Overlay::Help) => help::draw(f, t, area),
        Some(Overlay::Picker(p)) => picker::draw(f, m, p, t, area),
        Some(Overlay::Features(l)) => feature_list::draw(f, m, l, t, area),
        Some(o) => dialogs::draw(f, m, o, t, area),
    }
}

/// `virt-cpu NAME  [modified]` on the left, `libvirt X.Y + QEMU X.Y  ·  focus PANE  ·  ? help`
/// on the right. When they do not fit, the focus goes first (the pane's border shows it too),
/// then the name is cut at its start (a path's file name matters most), marked with `…`, down
/// to a few characters, then the versions go.
fn title(f: &mut Frame, m: &Model, t: &Theme, area: Rect) {
    let width = area.width as usize;
    let name = text::visible(&m.name);
    let modified = if m.modified { "  [modified]" } else { "" };
    let (libvirt, qemu) = m.catalog.versions();
    let versions = format!("libvirt {} + QEMU {}  ·  ", libvirt.line(), qemu.line());
    let focus = format!("focus {}  ·  ", m.focus.title());
    let help = "? help ";
    // Two spaces at least between the left and the right part.
    let fixed = text::width("virt-cpu ") + text::width(modified) + 2;
    let needs = |parts: &[&str]| {
        fixed + text::width(&name) + parts.iter().map(|p| text::width(p)).sum::<usize>()
    };
    // The name may be cut to this before the versions give way.
    const NAME_MIN: usize = 16;
    let (versions, focus) = if needs(&[&versions, &focus, help]) <= width {
        (versions.as_str(), focus.as_str())
    } else if needs(&[&versions, help]) <= width + text::width(&name).saturating_sub(NAME_MIN) {
        (versions.as_str(), "")
    } else {
        ("", "")
    };
    let focus_owned = format!("{versions}{focus}");
    let focus = focus_owned.as_str();
    let room = width.saturating_sub(fixed + text::width(focus) + text::width(help));
    let name = text::clip_start(&name, room);
    let mut spans = vec![
        Span::styled("virt-cpu ", t.title()),
        Span::raw(name.into_owned()),
        Span::styled(modified, t.modified()),
    ];
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let right = text::width(focus) + text::width(help);
    spans.push(Span::raw(
        " ".repeat(width.saturating_sub(used + right).max(2)),
    ));
    spans.push(Span::styled(focus.to_string(), t.label()));
    spans.push(Span::styled("?", t.key()));
    spans.push(Span::styled(" help ", t.label()));
    f.render_widget(
        Paragraph::new(text::clip_line(Line::from(spans), width)),
        area,
    );
}

/// A terminal below 80×24 gets a message instead of a squeezed screen (and no panic).
fn too_small(f: &mut Frame, m: &Model, area: Rect, t: &Theme) {
    let text = vec![
        Line::styled("virt-cpu: terminal too small", t.title()),
        Line::raw(format!(
            "{}×{} here; needs {MIN_WIDTH}×{MIN_HEIGHT}.",
            area.width, area.height
        )),
        Line::raw(dialogs::too_small_hint(m)),
    ];
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

/// A box of `w`×`h` cells centred in `area` (shrunk to fit), cleared for an overlay.
fn popup(f: &mut Frame, area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, r);
    r
}

/// `label   value` with the label in the label style, padded to `width`.
fn kv<'a>(t: &Theme, label: &str, value: Vec<Span<'a>>) -> Line<'a> {
    let mut spans = vec![Span::styled(format!("{label:<9} "), t.label())];
    spans.extend(value);
    Line::from(spans)
}

/// The worst diagnostic about an element, for marking its line.
fn severity_of(m: &Model, el: ElemId) -> Option<Severity> {
    m.report
        .diagnostics
        .iter()
        .filter(|d| d.el == Some(el))
        .map(|d| d.severity)
        .min()
}

/// A marker span for a line whose element has a diagnostic.
fn mark(m: &Model, t: &Theme, el: ElemId) -> Span<'static> {
    match severity_of(m, el) {
        Some(Severity::Error) => Span::styled(" ✗", t.error()),
        Some(Severity::Warning) => Span::styled(" !", t.warning()),
        Some(Severity::Info) => Span::styled(" i", t.info()),
        None => Span::raw(""),
    }
}

/// A pane: its lines cut to the width (a cut marked `…`) and scrolled (never past the end), the
/// border saying how many lines are above or below the view.
fn pane(f: &mut Frame, m: &Model, t: &Theme, pane: Pane, lines: Vec<Line<'static>>, area: Rect) {
    let focused = m.focus == pane && m.overlay.is_none();
    let title = format!(" {} ", pane.title());
    let mut block = Block::bordered()
        .border_style(t.border(focused))
        .title(Span::styled(
            title,
            if focused {
                t.border(true)
            } else {
                Style::new()
            },
        ));
    let inner = block.inner(area);
    let (width, height) = (inner.width as usize, inner.height as usize);
    let top = (m.scroll[pane as usize] as usize).min(lines.len().saturating_sub(height));
    let below = lines.len().saturating_sub(top + height);
    let mut more = Vec::new();
    if top > 0 {
        more.push(format!("↑ {top} more"));
    }
    if below > 0 {
        more.push(format!("↓ {below} more"));
    }
    if !more.is_empty() {
        // The keys scroll the focused pane.
        let keys = if focused { " (j k)" } else { "" };
        let note = format!(" {}{keys} ", more.join(" · "));
        block = block.title_bottom(Line::styled(note, t.dim()).right_aligned());
    }
    let shown: Vec<Line> = lines
        .into_iter()
        .skip(top)
        .take(height)
        .map(|l| text::clip_line(l, width))
        .collect();
    f.render_widget(Paragraph::new(shown).block(block), area);
}
