//! The help overlay: the panes' keys, written from their table (`panes::KEYS`) — the README's
//! key table is written from the same one. Each row wraps to the window; when the rows do not
//! fit, `j` `k` `↑` `↓` `PgUp` `PgDn` `Home` `End` (and the wheel) scroll them, the border saying
//! how many are above and below. Any other key closes it.

use super::{Outcome, Scrolled, popup};
use crate::tui::app::{Action, AppState};
use crate::tui::keymap::{self, Binding, Key};
use crate::tui::text::wrap;
use crate::tui::theme::Theme;
use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The first row shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Help {
    pub top: usize,
}

pub const KEYS: &[Binding] = &[Binding::keys(&[
    (Key::Char('j'), Action::Down),
    (Key::Char('k'), Action::Up),
    (Key::Code(KeyCode::Home), Action::Home),
    (Key::Code(KeyCode::End), Action::End),
    (Key::Any, Action::Cancel),
])];

/// Width of the key column (`" u  Ctrl-r  "`).
const KEY_COLUMN: usize = 12;
/// The window's widest.
const WIDTH: u16 = 96;

/// The help's lines for a window `width` cells wide inside its border.
pub fn lines(t: &Theme, width: usize) -> Vec<Line<'static>> {
    keymap::help_rows()
        .flat_map(|(k, what)| {
            wrap(
                &[Span::styled(format!(" {k:<10} "), t.key()), Span::raw(what)],
                width,
                KEY_COLUMN,
                &|c| c == ' ',
            )
        })
        .collect()
}

impl Help {
    /// The window on a screen of this size, and its lines.
    fn layout(screen: Rect, t: &Theme) -> (Rect, Vec<Line<'static>>) {
        let width = WIDTH.min(screen.width);
        let lines = lines(t, width.saturating_sub(2) as usize);
        let r = super::centred(screen, width, lines.len() as u16 + Scrolled::FRAME);
        (r, lines)
    }

    /// Scrolls; any key that does not scroll closes (`q` closes it rather than quitting).
    pub fn key(&mut self, s: &AppState, action: Action) -> Outcome {
        let (r, lines) = Help::layout(super::screen(s), &Theme::MONO);
        if Scrolled::new(r, lines.len()).key(&mut self.top, &action) {
            return Outcome::Keep;
        }
        match action {
            Action::Scroll(..) | Action::Resized(..) => Outcome::Keep,
            _ => Outcome::close(),
        }
    }

    pub fn draw(&self, f: &mut Frame, t: &Theme, area: Rect) {
        let (r, lines) = Help::layout(area, t);
        popup(f, area, r.width, r.height);
        Scrolled::new(r, lines.len()).draw(f, t, " keys ", lines, self.top, "any other key closes");
    }
}
