//! The diff against the file: on `d` to look, or on `w` before writing (then `y` writes).

use super::{Outcome, popup};
use crate::tui::app::{Action, AppState};
use crate::tui::keymap::{Binding, Key};
use crate::tui::text::visible;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// The unified diff against the file; `save` when `w` asked for it (then `y` writes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    pub text: String,
    pub scroll: u16,
    pub save: bool,
    /// On a save: the errors the document has now and did not have when opened (libvirt
    /// would refuse it), one line each, shown above the diff so `y` is an informed choice.
    pub new_errors: Vec<String>,
}

pub const KEYS: &[Binding] = &[Binding::keys(&[
    (Key::Char('y'), Action::Yes),
    (Key::Char('n'), Action::Cancel),
    (Key::Char('q'), Action::Cancel),
    (Key::Char('d'), Action::Cancel),
    (Key::Char('j'), Action::Down),
    (Key::Char('k'), Action::Up),
    (Key::Char(' '), Action::PageDown),
])];

impl Diff {
    /// The diff of the document as it is now; `save`: `y` writes it.
    pub fn of(s: &AppState, save: bool) -> Diff {
        Diff {
            text: s.diff_text(),
            scroll: 0,
            save,
            new_errors: if save {
                s.new_errors()
                    .iter()
                    .map(|d| {
                        format!(
                            "error[{}]: {}",
                            d.code,
                            crate::visible::one_line(&d.message)
                        )
                    })
                    .collect()
            } else {
                Vec::new()
            },
        }
    }

    pub fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        match action {
            Action::Yes if self.save => return Outcome::Close(s.save_effect()),
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Down => self.scroll = self.scroll.saturating_add(1),
            Action::PageUp => self.scroll = self.scroll.saturating_sub(10),
            Action::PageDown => self.scroll = self.scroll.saturating_add(10),
            Action::Cancel | Action::Quit | Action::ShowDiff | Action::Submit => {
                if self.save {
                    s.quit_after_save = false;
                    s.info("Not saved");
                }
                return Outcome::close();
            }
            _ => {}
        }
        Outcome::Keep
    }

    pub fn draw(&self, f: &mut Frame, t: &Theme, area: Rect) {
        let r = popup(
            f,
            area,
            area.width.saturating_sub(4),
            area.height.saturating_sub(2),
        );
        let title = if !self.new_errors.is_empty() {
            " save with new errors? y writes anyway · Esc cancels · ↑↓ scroll "
        } else if self.save {
            " save? y writes · Esc cancels · ↑↓ scroll "
        } else {
            " diff against the file · Esc closes · ↑↓ scroll "
        };
        // The new errors stay above the diff (not scrolled away): libvirt refuses them.
        let mut lines: Vec<Line> = Vec::new();
        if !self.new_errors.is_empty() {
            lines.push(Line::styled(
                format!(
                    "✗ {} new error(s) since opened; libvirt would refuse this:",
                    self.new_errors.len()
                ),
                t.error(),
            ));
            // Wrapped, not cut: the reason is the point of showing them.
            let width = r.width.saturating_sub(2) as usize;
            for e in &self.new_errors {
                let spans = [Span::styled(format!("  {}", visible(e)), t.error())];
                lines.extend(crate::tui::text::wrap_words(&spans, width, 4));
            }
            lines.push(Line::raw(""));
        }
        let room = (r.height as usize).saturating_sub(lines.len());
        lines.extend(
            self.text
                .lines()
                .skip(self.scroll as usize)
                .take(room)
                .map(|l| {
                    let style = if l.starts_with("+++") || l.starts_with("---") {
                        t.title()
                    } else if l.starts_with('+') {
                        t.added()
                    } else if l.starts_with('-') {
                        t.removed()
                    } else if l.starts_with("@@") {
                        t.info()
                    } else {
                        t.value()
                    };
                    Line::styled(visible(l).into_owned(), style)
                }),
        );
        f.render_widget(
            Paragraph::new(lines).block(Block::bordered().title(Span::styled(title, t.title()))),
            r,
        );
    }
}
