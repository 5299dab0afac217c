//! Drawing: pure functions from `&Model` to a frame, one per region. Nothing here changes the
//! model; everything from the XML goes through `text::visible` first.

mod bottom;
mod cpu_pane;
mod dialogs;
mod feature_list;
mod help;
mod picker;
mod qemu_pane;

use super::app::{Model, Overlay, Pane};
use super::theme::Theme;
use crate::check::Severity;
use crate::xml::ElemId;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

/// The smallest terminal the screen is laid out for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Where each region goes for a terminal of this size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub title: Rect,
    pub panes: [Rect; 2],
    pub bottom: Rect,
}

pub fn areas(m: &Model, area: Rect) -> Areas {
    let bottom_h = bottom::height(m, area.width).min(area.height.saturating_sub(9));
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

/// Draws the whole screen.
pub fn draw(f: &mut Frame, m: &Model, t: &Theme) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
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

fn title(f: &mut Frame, m: &Model, t: &Theme, area: Rect) {
    let mut spans = vec![
        Span::styled("virt-cpu ", t.title()),
        Span::raw(super::text::visible(&m.name).into_owned()),
    ];
    if m.modified {
        spans.push(Span::styled("  [modified]", t.modified()));
    }
    let right = format!("focus {}  ·  ? help ", m.focus.title());
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let pad = (area.width as usize).saturating_sub(used + right.chars().count());
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(right, t.label()));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
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

fn pane_block<'a>(m: &Model, t: &Theme, pane: Pane, extra: &str) -> ratatui::widgets::Block<'a> {
    let focused = m.focus == pane && m.overlay.is_none();
    let title = format!(" {}{extra} ", pane.title());
    ratatui::widgets::Block::bordered()
        .border_style(t.border(focused))
        .title(Span::styled(
            title,
            if focused {
                t.border(true)
            } else {
                Style::new()
            },
        ))
}
