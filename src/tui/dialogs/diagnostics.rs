//! Every diagnostic (the bar shows the first few), each with its fix key and where it is, the
//! advice in the TUI's keys; scrolled by `j` `k` `↑` `↓` `PgUp` `PgDn` `Home` `End`. `1`–`9`
//! applies a fix and the list follows the document; `Esc`, `q`, `c` or `Enter` close it.

use super::{Outcome, Scrolled, popup};
use crate::tui::app::{Action, AppState};
use crate::tui::keymap::{Binding, DIGIT, Key};
use crate::tui::text::wrap;
use crate::tui::theme::Theme;
use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The first line shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    pub top: usize,
}

pub const KEYS: &[Binding] = &[Binding::keys(&[
    (Key::Char('j'), Action::Down),
    (Key::Char('k'), Action::Up),
    (Key::Code(KeyCode::Home), Action::Home),
    (Key::Code(KeyCode::End), Action::End),
    (Key::Digit, Action::Fix(DIGIT)),
    (Key::Char('q'), Action::Cancel),
    (Key::Char('c'), Action::Cancel),
])];

/// The window's widest.
const WIDTH: u16 = 110;

/// The list's lines for a window `width` cells wide inside its border.
pub fn lines(s: &AppState, t: &Theme, width: usize) -> Vec<Line<'static>> {
    if s.report.diagnostics.is_empty() {
        return vec![Line::styled(" ✓ no problems found", t.added())];
    }
    let mut out = Vec::new();
    for (i, d) in s.report.diagnostics.iter().enumerate() {
        let mut spans = vec![Span::raw(" ")];
        spans.extend(crate::tui::view::diagnostic(s, t, i));
        if let Some(p) = &d.position {
            spans.push(Span::styled(format!(" (line {})", p.line), t.dim()));
        }
        out.extend(wrap(&spans, width, 3, &|c| c == ' '));
    }
    out
}

impl Diagnostics {
    /// The window on a screen of this size, and its lines: as tall as the screen allows.
    fn layout(s: &AppState, screen: Rect, t: &Theme) -> (Rect, Vec<Line<'static>>) {
        let width = WIDTH.min(screen.width);
        let lines = lines(s, t, width.saturating_sub(2) as usize);
        let r = super::centred(screen, width, lines.len() as u16 + Scrolled::FRAME);
        (r, lines)
    }

    pub fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        let (r, lines) = Diagnostics::layout(s, super::screen(s), &Theme::MONO);
        if Scrolled::new(r, lines.len()).key(&mut self.top, &action) {
            return Outcome::Keep;
        }
        match action {
            Action::Fix(n) => {
                crate::tui::panes::fix(s, n);
                Outcome::Keep
            }
            Action::Cancel | Action::Submit => Outcome::close(),
            _ => Outcome::Keep,
        }
    }

    pub fn draw(&self, f: &mut Frame, s: &AppState, t: &Theme, area: Rect) {
        let (r, lines) = Diagnostics::layout(s, area, t);
        popup(f, area, r.width, r.height);
        let title = format!(" diagnostics ({}) ", s.report.diagnostics.len());
        Scrolled::new(r, lines.len()).draw(
            f,
            t,
            &title,
            lines,
            self.top,
            "1-9 apply a fix · Esc closes",
        );
    }
}
