//! "FILE exists: overwrite?" after save-as named a file that is not the one loaded.

use super::prompt::Prompt;
use super::{Outcome, Overlay, window};
use crate::tui::app::{Action, AppState, Effect};
use crate::tui::keymap::{Binding, Key};
use crate::tui::text::visible;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use std::path::PathBuf;

/// Save-as named a file that exists and is not the one loaded: `y` overwrites it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmOverwrite {
    pub path: PathBuf,
}

pub const KEYS: &[Binding] = &[Binding::keys(&[
    (Key::Char('y'), Action::Yes),
    (Key::Char('n'), Action::Cancel),
    (Key::Char('q'), Action::Cancel),
])];

impl ConfirmOverwrite {
    pub fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        match action {
            // The user saw the name and said yes: write whatever is there now.
            Action::Yes => Outcome::Close(vec![Effect::Save {
                path: self.path.clone(),
                bytes: s.state.doc.shared_source(),
                expected: None,
                stamp: None,
            }]),
            Action::Cancel => {
                s.info("Not overwritten: choose another name, or Esc");
                s.open(Overlay::Prompt(Prompt::save_as(
                    self.path.display().to_string(),
                )));
                Outcome::close()
            }
            _ => Outcome::Keep,
        }
    }

    pub fn draw(&self, f: &mut Frame, t: &Theme, area: Rect) {
        let lines = vec![
            Line::styled(
                format!(
                    "{} exists: overwrite?",
                    visible(&self.path.display().to_string())
                ),
                t.warning(),
            ),
            Line::raw(""),
            Line::from(vec![
                Span::styled("y", t.key()),
                Span::raw(" overwrite it  "),
                Span::styled("n", t.key()),
                Span::raw(" choose another name"),
            ]),
        ];
        window(f, area, (70, 6), " file exists ", lines);
    }
}
