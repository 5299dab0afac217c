//! "Not saved": why a save or define did not write; `r` reloads when the target changed
//! meanwhile, `s` saves elsewhere.

use super::{Outcome, window};
use crate::tui::app::{Action, AppState, Effect};
use crate::tui::keymap::{Binding, Key};
use crate::tui::text::visible;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// A save that did not write: the message, and whether reloading is offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveFailed {
    pub message: String,
    pub reload: bool,
}

pub const KEYS: &[Binding] = &[Binding::keys(&[
    (Key::Char('r'), Action::Reload),
    (Key::Char('s'), Action::SaveElsewhere),
    (Key::Char('q'), Action::Cancel),
    (Key::Char('n'), Action::Cancel),
])];

impl SaveFailed {
    pub fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        match action {
            Action::Reload if self.reload => Outcome::Close(vec![Effect::Reload(s.target.clone())]),
            Action::SaveElsewhere => {
                s.save_elsewhere();
                Outcome::close()
            }
            Action::Cancel => {
                s.info("Not saved; your edits are kept");
                Outcome::close()
            }
            _ => Outcome::Keep,
        }
    }

    pub fn draw(&self, f: &mut Frame, t: &Theme, area: Rect) {
        let mut keys = Vec::new();
        if self.reload {
            keys.extend([
                Span::styled("r", t.key()),
                Span::raw(" reload from disk (drops your edits)  "),
            ]);
        }
        keys.extend([
            Span::styled("s", t.key()),
            Span::raw(" save elsewhere  "),
            Span::styled("Esc", t.key()),
            Span::raw(" keep editing"),
        ]);
        let lines = vec![
            Line::styled(visible(&self.message).into_owned(), t.error()),
            Line::raw(""),
            Line::from(keys),
        ];
        window(f, area, (70, 9), " not saved ", lines);
    }
}
