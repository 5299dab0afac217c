//! "Quit with unsaved edits?" (or, on a domain opened from the domain list, "go back?"): only
//! `D` (or `Q`, abort) drops them; `w` saves, then quits or goes back.
//! `y` is no answer here: in the save question it writes, so a reflexive `q y` must not lose
//! the edits.

use super::diff::Diff;
use super::{Outcome, window};
use crate::tui::app::{Action, AppState, EXIT_ABORT};
use crate::tui::keymap::{Binding, Key};
use crate::tui::text::visible;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// Only `D` (or `Q`, abort) drops unsaved edits; a second `q` is no yes, and `y` no answer.
pub const KEYS: &[Binding] = &[Binding::keys(&[
    (Key::Char('D'), Action::Discard),
    (Key::Char('y'), Action::Yes),
    (Key::Char('Q'), Action::Abort),
    (Key::Char('w'), Action::Save),
    (Key::Char('n'), Action::Cancel),
    (Key::Char('q'), Action::Cancel),
])];

/// Only an explicit `D` drops the edits: `q` again, Esc or `n` keep editing; `y` keeps the
/// question open and says which key discards.
pub fn key(s: &mut AppState, action: Action) -> Outcome {
    match action {
        Action::Discard => s.exit = Some(0),
        Action::Yes => {
            s.warn("y does not discard here: D quits without saving, w saves and quits");
            return Outcome::Keep;
        }
        Action::Abort => {
            s.back = false;
            s.exit = Some(EXIT_ABORT);
        }
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
    // Asked by Esc on a domain opened from the domain list: leaving goes back to it.
    let (leave, title) = if s.back {
        ("go back", " back to the list? ")
    } else {
        ("quit", " quit? ")
    };
    let lines = vec![
        Line::raw(format!("{} has unsaved edits.", visible(&s.name))),
        Line::raw(""),
        Line::from(vec![
            Span::styled("w", t.key()),
            Span::raw(format!(" save and {leave}  ")),
            Span::styled("D", t.key()),
            Span::raw(format!(" {leave} without saving  ")),
            Span::styled("Esc", t.key()),
            Span::raw("/"),
            Span::styled("q", t.key()),
            Span::raw(" keep editing"),
        ]),
    ];
    window(f, area, (64, 6), title, lines);
}
