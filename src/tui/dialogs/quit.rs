//! "Quit with unsaved edits?": only `y` (or `Q`, abort) drops them; `w` saves, then quits.

use super::diff::Diff;
use super::{Outcome, window};
use crate::tui::app::{Action, AppState, EXIT_ABORT};
use crate::tui::keymap::{Binding, Key};
use crate::tui::text::visible;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// Only `y` (or `Q`, abort) drops unsaved edits; a second `q` is no yes.
pub const KEYS: &[Binding] = &[Binding::keys(&[
    (Key::Char('y'), Action::Yes),
    (Key::Char('Q'), Action::Abort),
    (Key::Char('w'), Action::Save),
    (Key::Char('n'), Action::Cancel),
    (Key::Char('q'), Action::Cancel),
])];

/// Only an explicit `y` drops the edits: `q` again, Esc or `n` keep editing.
pub fn key(s: &mut AppState, action: Action) -> Outcome {
    match action {
        Action::Yes => s.exit = Some(0),
        Action::Abort => s.exit = Some(EXIT_ABORT),
        Action::Save => {
            s.quit_after_save = true;
            s.open(super::Overlay::Diff(Diff::of(s, true)));
        }
        Action::Cancel => {}
        _ => return Outcome::Keep,
    }
    Outcome::close()
}

pub fn draw(f: &mut Frame, s: &AppState, t: &Theme, area: Rect) {
    let lines = vec![
        Line::raw(format!("{} has unsaved edits.", visible(&s.name))),
        Line::raw(""),
        Line::from(vec![
            Span::styled("w", t.key()),
            Span::raw(" save and quit  "),
            Span::styled("y", t.key()),
            Span::raw(" quit without saving  "),
            Span::styled("Esc", t.key()),
            Span::raw("/"),
            Span::styled("q", t.key()),
            Span::raw(" keep editing"),
        ]),
    ];
    window(f, area, (60, 6), " quit? ", lines);
}
