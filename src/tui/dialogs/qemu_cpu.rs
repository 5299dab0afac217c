//! `<qemu:cpu>` and libvirt 9.0, which does not implement it and drops it silently on define:
//! before defining, `c` converts to `<qemu:commandline>` and defines, `d` defines anyway; after
//! libvirt dropped it, `c` converts and defines again.

use super::{Outcome, window};
use crate::argv::Reading;
use crate::edit::Edit;
use crate::tui::app::{Action, AppState};
use crate::tui::keymap::{Binding, Key};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// `defined: false` before defining, `true` after libvirt dropped `<qemu:cpu>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QemuCpuDropped {
    pub defined: bool,
}

/// Before defining.
pub const KEYS: &[Binding] = &[Binding::keys(&[
    (Key::Char('c'), Action::Convert),
    (Key::Char('d'), Action::DefineAnyway),
    (Key::Char('q'), Action::Cancel),
    (Key::Char('n'), Action::Cancel),
])];

/// After libvirt dropped the element: nothing to define anyway.
pub const KEYS_DEFINED: &[Binding] = &[Binding::keys(&[
    (Key::Char('c'), Action::Convert),
    (Key::Char('q'), Action::Cancel),
    (Key::Char('n'), Action::Cancel),
])];

impl QemuCpuDropped {
    pub fn keys(&self) -> &'static [Binding] {
        if self.defined { KEYS_DEFINED } else { KEYS }
    }

    pub fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        match action {
            Action::Convert => {
                let merged =
                    crate::argv::compute(&s.state.dom, &s.caps, &s.catalog.libvirt, Reading::Merge)
                        .value;
                match merged {
                    Some(value) => {
                        if s.edit(&Edit::ToCommandline { value }) {
                            return Outcome::Close(s.save_effect());
                        }
                    }
                    None => s.error("No -cpu to convert: libvirt refuses this domain"),
                }
            }
            Action::DefineAnyway if !self.defined => return Outcome::Close(s.write_effect()),
            Action::Cancel if self.defined => s.warn(
                "libvirt holds the domain without <qemu:cpu>; your document still has it (w defines again)",
            ),
            Action::Cancel => s.info("Not defined; your edits are kept"),
            _ => return Outcome::Keep,
        }
        Outcome::close()
    }

    pub fn draw(&self, f: &mut Frame, s: &AppState, t: &Theme, area: Rect) {
        if self.defined {
            let lines = body(
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
            return window(f, area, (76, 10), " defined ", lines);
        }
        // As `virsh edit`'s editor, we save and virsh defines when we exit.
        let release = s.catalog.libvirt.release().line();
        let (first, convert, anyway) = if s.virsh_edit {
            (
                format!(
                    "virsh edit defines this file when you quit, and libvirt {release} drops <qemu:cpu>"
                ),
                " convert to <qemu:commandline>, then save  ",
                " save anyway  ",
            )
        } else {
            (
                format!("This document has <qemu:cpu>, and libvirt {release} drops it on define"),
                " convert to <qemu:commandline>, then define  ",
                " define anyway  ",
            )
        };
        let lines = body(
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
}

/// The body of both windows: what happens, why, the way that works today, and the keys.
fn body<'a>(t: &Theme, headline: String, why: &'a str, keys: Vec<Span<'a>>) -> Vec<Line<'a>> {
    vec![
        Line::styled(headline, t.warning()),
        Line::raw(why),
        Line::raw(""),
        Line::raw("The same -cpu works today as <qemu:commandline> arguments (taint custom-argv)."),
        Line::raw(""),
        Line::from(keys),
    ]
}
