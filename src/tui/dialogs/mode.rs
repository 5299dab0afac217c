//! The CPU mode (`M`): the four modes, one line each on what it means and what switching to it
//! drops or ignores of this `<cpu>`; the current one marked; Enter switches. custom without a
//! model opens the model picker next.

use super::picker::Picker;
use super::{Outcome, Overlay, window};
use crate::domain::CpuMode;
use crate::edit::Edit;
use crate::tui::app::{Action, AppState, Pane};
use crate::tui::keymap::{Binding, Key};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeDialog {
    pub selected: usize,
}

pub const KEYS: &[Binding] = &[Binding::keys(&[
    (Key::Char('j'), Action::Down),
    (Key::Char('k'), Action::Up),
    (Key::Char('q'), Action::Cancel),
])];

impl ModeDialog {
    /// The current mode selected.
    pub fn new(s: &AppState) -> ModeDialog {
        let current = CpuMode::of(&s.state.dom);
        ModeDialog {
            selected: CpuMode::ALL
                .iter()
                .position(|m| Some(*m) == current)
                .unwrap_or(0),
        }
    }

    pub fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(CpuMode::ALL.len() - 1),
            Action::Cancel => return Outcome::close(),
            Action::Submit => {
                let mode = CpuMode::ALL[self.selected];
                let note = mode.switch_note(&s.state.dom);
                let needs_model = mode == CpuMode::Custom
                    && s.state.dom.cpu.as_ref().is_none_or(|c| c.model.is_none());
                if s.edit(&Edit::SetMode(mode.name().into())) && !note.is_empty() {
                    s.warn(format!("<cpu> mode → {}: {note} — u undoes", mode.name()));
                }
                if needs_model {
                    let current = s.model_of(Pane::Cpu);
                    s.focus = Pane::Cpu;
                    s.open(Overlay::Picker(Picker::new(
                        Pane::Cpu,
                        s.catalog,
                        &s.caps,
                        current,
                    )));
                }
                return Outcome::close();
            }
            _ => {}
        }
        Outcome::Keep
    }

    pub fn draw(&self, f: &mut Frame, s: &AppState, t: &Theme, area: Rect) {
        let current = CpuMode::of(&s.state.dom);
        let mut lines = Vec::new();
        for (i, mode) in CpuMode::ALL.into_iter().enumerate() {
            let now = if Some(mode) == current {
                " (current)"
            } else {
                ""
            };
            let (pointer, style) = if i == self.selected {
                ("›", t.selected())
            } else {
                ("·", t.title())
            };
            lines.push(Line::styled(
                format!("{pointer} {}{now}", mode.name()),
                style,
            ));
            lines.push(Line::raw(mode.means()));
            let note = mode.switch_note(&s.state.dom);
            if Some(mode) != current && !note.is_empty() {
                lines.push(Line::styled(note, t.warning()));
            }
        }
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled("↑↓", t.key()),
            Span::raw(" choose  "),
            Span::styled("Enter", t.key()),
            Span::raw(" switch  "),
            Span::styled("Esc", t.key()),
            Span::raw(" cancel"),
        ]));
        window(f, area, (100, 20), " <cpu> mode ", lines);
    }
}
