//! "Not saved": why a save or define did not write; `r` reloads when the target changed
//! meanwhile, `y` creates it again when it was deleted, `s` saves elsewhere.

use super::{Outcome, window};
use crate::tui::app::{Action, AppState, Effect, Target};
use crate::tui::keymap::{Binding, Key};
use crate::tui::text::visible;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use std::sync::Arc;

/// A save that did not write: the message, and whether reloading (the file changed on disk)
/// or creating it again (the file was deleted) is offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveFailed {
    pub message: String,
    pub reload: bool,
    pub recreate: bool,
}

pub const KEYS: &[Binding] = &[Binding::keys(&[
    (Key::Char('r'), Action::Reload),
    (Key::Char('y'), Action::Yes),
    (Key::Char('s'), Action::SaveElsewhere),
    (Key::Char('q'), Action::Cancel),
    (Key::Char('n'), Action::Cancel),
])];

impl SaveFailed {
    pub fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        match action {
            Action::Reload if self.reload => Outcome::Close(vec![Effect::Reload(s.target.clone())]),
            // As save-as to the same name: nothing there, it is created; a file that appeared
            // meanwhile is only overwritten after asking.
            Action::Yes if self.recreate => match &s.target {
                Target::File(path) => Outcome::Close(vec![Effect::SaveAs {
                    path: path.clone(),
                    bytes: s.state.doc.shared_source(),
                    loaded: None,
                    expected: Arc::clone(&s.disk),
                    stamp: None,
                }]),
                _ => Outcome::Keep,
            },
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

    pub fn draw(&self, f: &mut Frame, s: &AppState, t: &Theme, area: Rect) {
        let mut keys = Vec::new();
        if self.recreate {
            keys.extend([Span::styled("y", t.key()), Span::raw(" create it again  ")]);
        }
        if self.reload {
            keys.extend([
                Span::styled("r", t.key()),
                Span::raw(match s.target {
                    Target::Domain { .. } => " reload from libvirt (drops your edits)  ",
                    _ => " reload from disk (drops your edits)  ",
                }),
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
