//! Drawing the screen: pure functions from `&AppState` to a frame — the layout, the title, the
//! "too small" message and the bottom bar here; the panes (`panes`) and the open dialog
//! (`dialogs`) draw themselves. Nothing here changes the state; everything from the XML goes
//! through `text::visible` first.

mod bottom;
pub use bottom::{advice, diagnostic};
pub mod loading;

use super::app::{AppState, Target};
use super::theme::Theme;
use super::{dialogs, panes, text};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

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

pub fn areas(m: &AppState, area: Rect) -> Areas {
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

/// Draws the whole screen.
pub fn draw(f: &mut Frame, m: &AppState, t: &Theme) {
    let area = f.area();
    if !fits(area.width, area.height) {
        return too_small(f, m, area, t);
    }
    let a = areas(m, area);
    title(f, m, t, a.title);
    panes::draw(f, m, t, a.panes);
    bottom::draw(f, m, t, a.bottom);
    if let Some(open) = &m.overlay {
        open.draw(f, m, t, area);
    }
}

/// `virt-cpu NAME  [modified]` on the left, `libvirt X.Y + QEMU X.Y  ·  focus PANE  ·  ? help`
/// on the right. When they do not fit, the focus goes first (the pane's border shows it too),
/// then the name is cut at its start (a path's file name matters most), marked with `…`, down
/// to a few characters, then the versions go. A domain's title keeps the domain's name: its
/// URI is cut in the middle, or goes ([`domain_title`]).
fn title(f: &mut Frame, m: &AppState, t: &Theme, area: Rect) {
    let width = area.width as usize;
    let name = text::visible(&m.name);
    let modified = match (m.read_only, m.modified) {
        (true, true) => "  [read-only] [modified]",
        (true, false) => "  [read-only]",
        (false, true) => "  [modified]",
        (false, false) => "",
    };
    let (libvirt, qemu) = m.catalog.versions();
    let versions = format!("libvirt {} + QEMU {}  ·  ", libvirt.line(), qemu.line());
    let focus = format!("focus {}  ·  ", m.focus.title());
    let help = "? help ";
    // Two spaces at least between the left and the right part.
    let fixed = text::width("virt-cpu ") + text::width(modified) + 2;
    let needs = |parts: &[&str]| {
        fixed + text::width(&name) + parts.iter().map(|p| text::width(p)).sum::<usize>()
    };
    // The name may be cut to this before the versions give way: a few characters of a path,
    // a domain's whole name.
    const NAME_MIN: usize = 16;
    let name_min = match &m.target {
        Target::Domain { name, .. } => text::width(&format!("domain {}", text::visible(name))),
        _ => NAME_MIN,
    };
    let (versions, focus) = if needs(&[&versions, &focus, help]) <= width {
        (versions.as_str(), focus.as_str())
    } else if needs(&[&versions, help]) <= width + text::width(&name).saturating_sub(name_min) {
        (versions.as_str(), "")
    } else {
        ("", "")
    };
    let focus_owned = format!("{versions}{focus}");
    let focus = focus_owned.as_str();
    let room = width.saturating_sub(fixed + text::width(focus) + text::width(help));
    let name = match &m.target {
        Target::Domain { name, uri } => domain_title(name, uri.as_deref(), room),
        _ => match name.strip_suffix(crate::tui::SAVE_HINT) {
            Some(head) => hinted_title(head, crate::tui::SAVE_HINT, room),
            None => text::clip_start(&name, room).into_owned(),
        },
    };
    let mut spans = vec![
        Span::styled("virt-cpu ", t.title()),
        Span::raw(name),
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

/// `NAME HINT` in `room` cells: the hint goes first, then the name is cut at its start (its
/// file name matters most), as a domain's title keeps the domain's name.
fn hinted_title(head: &str, hint: &str, room: usize) -> String {
    let whole = format!("{head}{hint}");
    if text::width(&whole) <= room {
        whole
    } else {
        text::clip_start(head, room).into_owned()
    }
}

/// `domain NAME (URI; w defines it)` in `room` cells: the hint goes first, then the URI is cut
/// in its middle, then it goes; the domain's name is cut last (at its end).
fn domain_title(name: &str, uri: Option<&str>, room: usize) -> String {
    let name = text::visible(name);
    let head = format!("domain {name}");
    let Some(uri) = uri.map(text::visible) else {
        let whole = format!("{head} (w defines it)");
        return if text::width(&whole) <= room {
            whole
        } else {
            text::clip(&head, room).into_owned()
        };
    };
    let whole = format!("{head} ({uri}; w defines it)");
    if text::width(&whole) <= room {
        return whole;
    }
    // The URI is worth showing while a few characters of each end fit.
    const URI_MIN: usize = 12;
    let uri_room = room.saturating_sub(text::width(&head) + 3);
    if uri_room >= URI_MIN.min(text::width(&uri)) {
        return format!("{head} ({})", text::clip_middle(&uri, uri_room));
    }
    text::clip(&head, room).into_owned()
}

/// A terminal below 80×24 gets a message instead of a squeezed screen (and no panic).
fn too_small(f: &mut Frame, m: &AppState, area: Rect, t: &Theme) {
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
