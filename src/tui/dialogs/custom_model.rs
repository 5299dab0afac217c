//! A model picked for a `<cpu>` whose mode does not use one (host-model replaces it,
//! host-passthrough and maximum ignore it): `y` switches to mode custom and sets the model,
//! `n`/Esc writes nothing. An ignored `<model>` is never written silently.

use super::{Outcome, window};
use crate::domain::CpuMode;
use crate::edit::Edit;
use crate::tui::app::{Action, AppState};
use crate::tui::keymap::{Binding, Key};
use crate::tui::text::visible;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmCustom {
    pub model: String,
    pub mode: CpuMode,
}

pub const KEYS: &[Binding] = &[Binding::keys(&[
    (Key::Char('y'), Action::Yes),
    (Key::Char('n'), Action::Cancel),
    (Key::Char('q'), Action::Cancel),
])];

impl ConfirmCustom {
    pub fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        match action {
            Action::Yes => {
                let edits = [
                    Edit::SetMode(CpuMode::Custom.name().into()),
                    Edit::SetModel(self.model.clone()),
                ];
                if s.edit_all(&edits) {
                    s.say_edited(format!(
                        "<cpu> mode → custom, model → {} (u undoes)",
                        self.model
                    ));
                }
            }
            Action::Cancel => s.info(format!("Nothing changed: <cpu> stays {}", self.mode.name())),
            _ => return Outcome::Keep,
        }
        Outcome::close()
    }

    pub fn draw(&self, f: &mut Frame, t: &Theme, area: Rect) {
        let model = visible(&self.model);
        let lines = vec![
            Line::styled(
                format!(
                    "<cpu> is {}: a <model> {}.",
                    self.mode.name(),
                    self.mode.model_fate()
                ),
                t.warning(),
            ),
            Line::raw(format!(
                "To run {model}, the mode must be custom ({}).",
                CpuMode::Custom.means()
            )),
            Line::raw(""),
            Line::from(vec![
                Span::styled("y", t.key()),
                Span::raw(format!(" switch to custom with {model}  ")),
                Span::styled("n", t.key()),
                Span::raw("/"),
                Span::styled("Esc", t.key()),
                Span::raw(" change nothing"),
            ]),
        ];
        window(f, area, (84, 8), " model needs mode custom ", lines);
    }
}
