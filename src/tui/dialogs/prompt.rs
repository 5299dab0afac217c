//! A one-line text prompt: the name to save as, or a `<qemu:cpu>` option `name=value`.

use super::{Outcome, popup};
use crate::edit::Edit;
use crate::tui::app::{Action, AppState, Effect, Target};
use crate::tui::keymap::{Binding, TEXT};
use crate::tui::text::visible;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use std::path::PathBuf;
use std::sync::Arc;

/// What a text prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptFor {
    SaveAs,
    /// `name=value` for `<qemu:cpu>`.
    Option,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub purpose: PromptFor,
    pub input: Field,
}

pub const KEYS: &[Binding] = TEXT;

impl Prompt {
    /// The save-as prompt, `suggestion` pre-filled and selected.
    pub fn save_as(suggestion: impl Into<String>) -> Prompt {
        Prompt {
            purpose: PromptFor::SaveAs,
            input: Field::default_text(suggestion),
        }
    }

    /// The `<qemu:cpu>` option prompt, empty.
    pub fn option() -> Prompt {
        Prompt {
            purpose: PromptFor::Option,
            input: Field::default(),
        }
    }

    pub fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        match action {
            Action::Cancel => {
                s.info("Cancelled");
                Outcome::close()
            }
            Action::Submit => self.submit(s),
            a => {
                self.input.apply(&a);
                Outcome::Keep
            }
        }
    }

    fn submit(&mut self, s: &mut AppState) -> Outcome {
        let input = self.input.text.trim();
        match self.purpose {
            PromptFor::SaveAs if input.is_empty() => s.info("Not saved: no file name"),
            PromptFor::SaveAs => {
                let loaded = match &s.target {
                    Target::File(p) => Some(p.clone()),
                    _ => None,
                };
                // Another file already there is only overwritten after asking.
                return Outcome::Close(vec![Effect::SaveAs {
                    path: PathBuf::from(input),
                    bytes: s.state.doc.shared_source(),
                    loaded,
                    expected: Arc::clone(&s.disk),
                    stamp: s.disk_stamp.clone(),
                }]);
            }
            PromptFor::Option if input.is_empty() => s.info("No option given"),
            PromptFor::Option if input.contains(',') => {
                // QEMU splits -cpu at commas: the rest would become options of its own.
                s.error("One option at a time: QEMU splits -cpu at ',' (a value cannot hold one)");
                self.input = Field {
                    cursor: input.len(),
                    text: input.to_string(),
                    selected: false,
                };
                return Outcome::Keep;
            }
            PromptFor::Option => {
                let (name, value) = match input.split_once('=') {
                    Some((k, v)) => (k.trim().to_string(), Some(v.trim().to_string())),
                    None => (input.to_string(), None),
                };
                s.edit(&Edit::SetQemuOption { name, value });
            }
        }
        Outcome::close()
    }

    pub fn draw(&self, f: &mut Frame, t: &Theme, area: Rect) {
        let label = match self.purpose {
            PromptFor::SaveAs if self.input.selected => {
                " save as: Enter writes · Esc cancels · typing replaces, ← End edit "
            }
            PromptFor::SaveAs => " save as (Enter writes, Esc cancels) ",
            PromptFor::Option => " <qemu:cpu> option name=value (Enter sets, Esc cancels) ",
        };
        let r = popup(f, area, 70, 3);
        let line = field(t, &self.input, r.width.saturating_sub(2) as usize);
        f.render_widget(
            Paragraph::new(line).block(Block::bordered().title(Span::styled(label, t.title()))),
            r,
        );
    }
}

/// A one-line text field. A pre-filled default (`selected`) is shown selected: the first typed
/// character replaces it, Backspace or Ctrl-U clears it, an arrow key, Home or End keeps it for
/// editing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Field {
    pub text: String,
    /// Byte offset of the cursor in `text`, on a character boundary.
    pub cursor: usize,
    pub selected: bool,
}

impl Field {
    /// A pre-filled default, selected, the cursor at its end.
    pub fn default_text(text: impl Into<String>) -> Field {
        let text = text.into();
        Field {
            cursor: text.len(),
            text,
            selected: true,
        }
    }

    /// Applies an editing key; false when `action` is not one.
    fn apply(&mut self, action: &Action) -> bool {
        let replaces = matches!(
            action,
            Action::Input(_) | Action::Backspace | Action::DeleteForward | Action::ClearLine
        );
        if !replaces
            && !matches!(
                action,
                Action::Left | Action::Right | Action::Home | Action::End
            )
        {
            return false;
        }
        if std::mem::take(&mut self.selected) && replaces {
            self.text.clear();
            self.cursor = 0;
            if !matches!(action, Action::Input(_)) {
                return true;
            }
        }
        let before = self.text[..self.cursor].chars().next_back();
        let after = self.text[self.cursor..].chars().next();
        match *action {
            Action::Input(c) => {
                self.text.insert(self.cursor, c);
                self.cursor += c.len_utf8();
            }
            Action::Backspace => {
                if let Some(c) = before {
                    self.cursor -= c.len_utf8();
                    self.text.remove(self.cursor);
                }
            }
            Action::DeleteForward if after.is_some() => {
                self.text.remove(self.cursor);
            }
            Action::ClearLine => {
                self.text.clear();
                self.cursor = 0;
            }
            Action::Left => self.cursor -= before.map_or(0, char::len_utf8),
            Action::Right => self.cursor += after.map_or(0, char::len_utf8),
            Action::Home => self.cursor = 0,
            Action::End => self.cursor = self.text.len(),
            _ => {}
        }
        true
    }
}

/// A text field's line: the text with a bar at the cursor, all of it shown selected when it is a
/// pre-filled default; scrolled so the cursor stays in `width` cells.
fn field(t: &Theme, input: &Field, width: usize) -> Line<'static> {
    let before = visible(&input.text[..input.cursor]).into_owned();
    let after = visible(&input.text[input.cursor..]).into_owned();
    // Keep the cursor in view: drop characters from the left, marking the cut.
    let room = width.saturating_sub(2);
    let count = before.chars().count();
    let before = if count > room {
        let kept: String = before.chars().skip(count - room + 1).collect();
        format!("…{kept}")
    } else {
        before
    };
    let style = if input.selected {
        t.selected()
    } else {
        ratatui::style::Style::new()
    };
    Line::from(vec![
        Span::styled(before, style),
        Span::styled("▏", t.key()),
        Span::styled(after, style),
    ])
}
