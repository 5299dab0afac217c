//! Small windows: the diff (before saving, or on `d`), a text prompt, "quit with unsaved
//! edits?", and "the save did not write".

use super::popup;
use crate::tui::app::{Model, Overlay, PromptFor};
use crate::tui::text::visible;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

pub fn draw(f: &mut Frame, m: &Model, o: &Overlay, t: &Theme, area: Rect) {
    match o {
        Overlay::Diff { text, scroll, save } => diff(f, t, area, text, *scroll, *save),
        Overlay::Prompt { purpose, input } => {
            let label = match purpose {
                PromptFor::SaveAs => " save as (Enter writes, Esc cancels) ",
                PromptFor::Option => " <qemu:cpu> option name=value (Enter sets, Esc cancels) ",
            };
            let r = popup(f, area, 70, 3);
            let line = Line::from(vec![
                Span::raw(visible(input).into_owned()),
                Span::styled("▏", t.key()),
            ]);
            f.render_widget(
                Paragraph::new(line).block(Block::bordered().title(Span::styled(label, t.title()))),
                r,
            );
        }
        Overlay::ConfirmQuit => {
            let r = popup(f, area, 60, 6);
            let lines = vec![
                Line::raw(format!("{} has unsaved edits.", visible(&m.name))),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("w", t.key()),
                    Span::raw(" save  "),
                    Span::styled("y", t.key()),
                    Span::raw(" quit without saving  "),
                    Span::styled("Esc", t.key()),
                    Span::raw(" keep editing"),
                ]),
            ];
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: true })
                    .block(Block::bordered().title(" quit? ")),
                r,
            );
        }
        Overlay::SaveFailed { message, reload } => {
            let r = popup(f, area, 70, 9);
            let mut keys = Vec::new();
            if *reload {
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
                Line::styled(visible(message).into_owned(), t.error()),
                Line::raw(""),
                Line::from(keys),
            ];
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: true })
                    .block(Block::bordered().title(" not saved ")),
                r,
            );
        }
        Overlay::QemuCpuDropped => {
            let r = popup(f, area, 76, 10);
            let lines = vec![
                Line::styled(
                    "libvirt defined the domain but dropped <qemu:cpu>",
                    t.warning(),
                ),
                Line::raw(
                    "(libvirt 9.0 does not implement the proposal yet; it drops the element silently).",
                ),
                Line::raw(""),
                Line::raw(
                    "The same -cpu works today as <qemu:commandline> arguments (taint custom-argv).",
                ),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("c", t.key()),
                    Span::raw(" convert to <qemu:commandline> and define again  "),
                    Span::styled("Esc", t.key()),
                    Span::raw(" keep editing"),
                ]),
            ];
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: true })
                    .block(Block::bordered().title(" defined ")),
                r,
            );
        }
        Overlay::Help | Overlay::Picker(_) | Overlay::Features(_) => {}
    }
}

fn diff(f: &mut Frame, t: &Theme, area: Rect, text: &str, scroll: u16, save: bool) {
    let r = popup(
        f,
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    let title = if save {
        " save? y writes · Esc cancels · ↑↓ scroll "
    } else {
        " diff against the file · Esc closes · ↑↓ scroll "
    };
    let lines: Vec<Line> = text
        .lines()
        .skip(scroll as usize)
        .take(r.height as usize)
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
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(Span::styled(title, t.title()))),
        r,
    );
}
