//! The help overlay: every key, in the same words as the README.

use super::popup;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// (keys, what they do) — the README's keys table says the same.
pub const KEYS: &[(&str, &str)] = &[
    ("Tab", "switch pane: <cpu> ↔ <qemu:cpu>"),
    (
        "m",
        "model picker for the focused pane (type to filter, Enter applies, Esc cancels)",
    ),
    (
        "f",
        "feature list: / search, Space toggle, p cycle policy, Del remove",
    ),
    ("e", "add or set a <qemu:cpu> option: name=value"),
    ("x", "move model and features to the other element"),
    ("1-9", "apply the numbered diagnostic's fix"),
    ("o", "-cpu reading: merge ↔ override"),
    ("u  Ctrl-r", "undo, redo"),
    ("d", "diff against the file"),
    ("w", "save: shows the diff, y writes"),
    ("y", "copy the -cpu argv (clipboard, OSC 52 over SSH)"),
    ("j k ↑ ↓", "scroll the focused pane"),
    ("q", "quit (asks when there are unsaved edits)"),
    ("Q", "abort: exit 1 without saving (virsh edit discards)"),
    ("?", "this help"),
];

pub fn draw(f: &mut Frame, t: &Theme, area: Rect) {
    let r = popup(f, area, 96, KEYS.len() as u16 + 4);
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:<10} "), t.key()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(" any key closes", t.dim()));
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(Span::styled(" keys ", t.title()))),
        r,
    );
}
