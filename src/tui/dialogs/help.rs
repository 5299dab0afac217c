//! The help overlay: the panes' keys, written from their table (`panes::KEYS`) — the README's
//! key table is written from the same one. Any key closes it.

use super::{Outcome, popup};
use crate::tui::app::Action;
use crate::tui::keymap::{self, Binding, Key};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

pub const KEYS: &[Binding] = &[Binding::keys(&[(Key::Any, Action::Cancel)])];

/// Any key closes help (`q` closes it rather than quitting); the arrows and the wheel keep it.
pub fn key(action: Action) -> Outcome {
    match action {
        Action::Help | Action::Cancel | Action::Quit | Action::Submit => Outcome::close(),
        _ => Outcome::Keep,
    }
}

pub fn draw(f: &mut Frame, t: &Theme, area: Rect) {
    let mut lines: Vec<Line> = keymap::help_rows()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:<10} "), t.key()),
                Span::raw(what),
            ])
        })
        .collect();
    let r = popup(f, area, 96, lines.len() as u16 + 4);
    lines.push(Line::raw(""));
    lines.push(Line::styled(" any key closes", t.dim()));
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(Span::styled(" keys ", t.title()))),
        r,
    );
}
