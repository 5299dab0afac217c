//! Small windows: the diff (before saving, or on `d`), a text prompt, "quit with unsaved
//! edits?", "overwrite that file?", "the save did not write", and `<qemu:cpu>` on define.

use super::popup;
use crate::tui::app::{Field, Model, Overlay, PromptFor};
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
                PromptFor::SaveAs if input.selected => {
                    " save as: Enter writes · Esc cancels · typing replaces, ← End edit "
                }
                PromptFor::SaveAs => " save as (Enter writes, Esc cancels) ",
                PromptFor::Option => " <qemu:cpu> option name=value (Enter sets, Esc cancels) ",
            };
            let r = popup(f, area, 70, 3);
            let line = field(t, input, r.width.saturating_sub(2) as usize);
            f.render_widget(
                Paragraph::new(line).block(Block::bordered().title(Span::styled(label, t.title()))),
                r,
            );
        }
        Overlay::ConfirmOverwrite { path } => {
            let lines = vec![
                Line::styled(
                    format!(
                        "{} exists: overwrite?",
                        visible(&path.display().to_string())
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
        Overlay::ConfirmQuit => {
            let lines = vec![
                Line::raw(format!("{} has unsaved edits.", visible(&m.name))),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("w", t.key()),
                    Span::raw(" save and quit  "),
                    Span::styled("y", t.key()),
                    Span::raw(" quit without saving  "),
                    Span::styled("Esc", t.key()),
                    Span::raw("/"),
                    Span::styled("q", t.key()),
                    Span::raw(" keep editing"),
                ]),
            ];
            window(f, area, (60, 6), " quit? ", lines);
        }
        Overlay::SaveFailed { message, reload } => {
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
            window(f, area, (70, 9), " not saved ", lines);
        }
        Overlay::Deleted { message } => {
            let lines = vec![
                Line::styled(visible(message).into_owned(), t.error()),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("y", t.key()),
                    Span::raw(" create it again  "),
                    Span::styled("s", t.key()),
                    Span::raw(" save elsewhere  "),
                    Span::styled("Esc", t.key()),
                    Span::raw(" keep editing"),
                ]),
            ];
            window(f, area, (70, 9), " not saved ", lines);
        }
        Overlay::QemuCpuDropped { defined: false } => {
            // As `virsh edit`'s editor, we save and virsh defines when we exit.
            let release = m.catalog.libvirt.release().line();
            let (first, convert, anyway) = if m.virsh_edit {
                (
                    format!(
                        "virsh edit defines this file when you quit, and libvirt {release} drops <qemu:cpu>"
                    ),
                    " convert to <qemu:commandline>, then save  ",
                    " save anyway  ",
                )
            } else {
                (
                    format!(
                        "This document has <qemu:cpu>, and libvirt {release} drops it on define"
                    ),
                    " convert to <qemu:commandline>, then define  ",
                    " define anyway  ",
                )
            };
            let lines = qemu_cpu_lines(
                t,
                first,
                "(it does not implement the proposal yet; the domain would lose these CPU settings silently).",
                vec![
                    Span::styled("c", t.key()),
                    Span::raw(convert),
                    Span::styled("d", t.key()),
                    Span::raw(anyway),
                    Span::styled("Esc", t.key()),
                    Span::raw(" cancel"),
                ],
            );
            window(f, area, (76, 11), " define? ", lines);
        }
        Overlay::QemuCpuDropped { defined: true } => {
            let lines = qemu_cpu_lines(
                t,
                "libvirt defined the domain but dropped <qemu:cpu>".into(),
                "(this libvirt does not implement the proposal yet; it drops the element silently).",
                vec![
                    Span::styled("c", t.key()),
                    Span::raw(" convert to <qemu:commandline> and define again  "),
                    Span::styled("Esc", t.key()),
                    Span::raw(" keep editing"),
                ],
            );
            window(f, area, (76, 10), " defined ", lines);
        }
        Overlay::Help | Overlay::Picker(_) | Overlay::Features(_) => {}
    }
}

/// A bordered window of `size` (width, height) in the middle of `area`, its lines wrapped.
fn window(f: &mut Frame, area: Rect, size: (u16, u16), title: &str, lines: Vec<Line<'static>>) {
    let r = popup(f, area, size.0, size.1);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(title)),
        r,
    );
}

/// The last line of the "terminal too small" screen: how to go on with what is open (a dialog
/// is not drawn there, but it still has the keys).
pub fn too_small_hint(m: &Model) -> &'static str {
    match &m.overlay {
        None => "Enlarge the window, or q to quit.",
        Some(Overlay::ConfirmQuit) => {
            "Unsaved edits: y quits without saving, Esc keeps editing (enlarge to save)."
        }
        Some(_) => "Enlarge the window to see the open dialog; Esc closes it.",
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

/// The body of the dialogs about libvirt 9.0 dropping `<qemu:cpu>`: what happens, why, the
/// way that works today, and the keys.
fn qemu_cpu_lines<'a>(
    t: &Theme,
    headline: String,
    why: &'a str,
    keys: Vec<Span<'a>>,
) -> Vec<Line<'a>> {
    vec![
        Line::styled(headline, t.warning()),
        Line::raw(why),
        Line::raw(""),
        Line::raw("The same -cpu works today as <qemu:commandline> arguments (taint custom-argv)."),
        Line::raw(""),
        Line::from(keys),
    ]
}
