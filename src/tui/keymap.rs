//! Keys and mouse events → actions. Which action a key means depends on what has the keys (the
//! panes, the picker's search field, a dialog), so the mapping looks at the model — and only
//! looks: it never changes it.

use super::app::{Action, Model, Overlay, Pane};
use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

/// The action a key press means now, if any.
pub fn key(m: &Model, k: KeyEvent) -> Option<Action> {
    if k.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    // Keys every context shares.
    match k.code {
        KeyCode::Up => return Some(Action::Up),
        KeyCode::Down => return Some(Action::Down),
        KeyCode::PageUp => return Some(Action::PageUp),
        KeyCode::PageDown => return Some(Action::PageDown),
        KeyCode::Esc => return Some(Action::Cancel),
        KeyCode::Enter => return Some(Action::Submit),
        KeyCode::Char('c') if ctrl => {
            return Some(if m.overlay.is_some() {
                Action::Cancel
            } else {
                Action::Quit
            });
        }
        _ => {}
    }
    match &m.overlay {
        Some(Overlay::Picker(_)) | Some(Overlay::Prompt { .. }) => text_input(k),
        Some(Overlay::Features(f)) if f.searching => text_input(k),
        Some(Overlay::Features(_)) => match k.code {
            KeyCode::Char('r') if ctrl => Some(Action::Redo),
            KeyCode::Char(' ') => Some(Action::Toggle),
            KeyCode::Char('p') => Some(Action::CyclePolicy),
            KeyCode::Delete | KeyCode::Backspace | KeyCode::Char('-') => Some(Action::Remove),
            KeyCode::Char('/') => Some(Action::Search),
            KeyCode::Char('u') => Some(Action::Undo),
            KeyCode::Char('j') => Some(Action::Down),
            KeyCode::Char('k') => Some(Action::Up),
            KeyCode::Char('q' | 'f') => Some(Action::Cancel),
            _ => None,
        },
        Some(Overlay::Diff { .. }) => match k.code {
            KeyCode::Char('y') => Some(Action::Yes),
            KeyCode::Char('n' | 'q' | 'd') => Some(Action::Cancel),
            KeyCode::Char('j') => Some(Action::Down),
            KeyCode::Char('k') => Some(Action::Up),
            KeyCode::Char(' ') => Some(Action::PageDown),
            _ => None,
        },
        // Only `y` (or `Q`, abort) drops unsaved edits; a second `q` is no yes.
        Some(Overlay::ConfirmQuit) => match k.code {
            KeyCode::Char('y') => Some(Action::Yes),
            KeyCode::Char('Q') => Some(Action::Abort),
            KeyCode::Char('w') => Some(Action::Save),
            KeyCode::Char('n' | 'q') => Some(Action::Cancel),
            _ => None,
        },
        Some(Overlay::ConfirmOverwrite { .. }) => match k.code {
            KeyCode::Char('y') => Some(Action::Yes),
            KeyCode::Char('n' | 'q') => Some(Action::Cancel),
            _ => None,
        },
        Some(Overlay::SaveFailed { .. }) => match k.code {
            KeyCode::Char('r') => Some(Action::Reload),
            KeyCode::Char('s') => Some(Action::SaveElsewhere),
            KeyCode::Char('q' | 'n') => Some(Action::Cancel),
            _ => None,
        },
        Some(Overlay::Deleted { .. }) => match k.code {
            KeyCode::Char('y') => Some(Action::Yes),
            KeyCode::Char('s') => Some(Action::SaveElsewhere),
            KeyCode::Char('q' | 'n') => Some(Action::Cancel),
            _ => None,
        },
        Some(Overlay::QemuCpuDropped { defined }) => match k.code {
            KeyCode::Char('c') => Some(Action::Convert),
            KeyCode::Char('d') if !defined => Some(Action::DefineAnyway),
            KeyCode::Char('q' | 'n') => Some(Action::Cancel),
            _ => None,
        },
        Some(Overlay::Help) => Some(Action::Cancel),
        None => main_key(m, k, ctrl),
    }
}

fn text_input(k: KeyEvent) -> Option<Action> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    match k.code {
        KeyCode::Backspace => Some(Action::Backspace),
        KeyCode::Delete => Some(Action::DeleteForward),
        KeyCode::Left => Some(Action::Left),
        KeyCode::Right => Some(Action::Right),
        KeyCode::Home => Some(Action::Home),
        KeyCode::End => Some(Action::End),
        KeyCode::Char('n') if ctrl => Some(Action::Down),
        KeyCode::Char('p') if ctrl => Some(Action::Up),
        KeyCode::Char('u') if ctrl => Some(Action::ClearLine),
        KeyCode::Char('a') if ctrl => Some(Action::Home),
        KeyCode::Char('e') if ctrl => Some(Action::End),
        KeyCode::Char(c) if !ctrl => Some(Action::Input(c)),
        _ => None,
    }
}

fn main_key(m: &Model, k: KeyEvent, ctrl: bool) -> Option<Action> {
    Some(match k.code {
        KeyCode::Tab | KeyCode::BackTab => Action::FocusNext,
        KeyCode::Char('r') if ctrl => Action::Redo,
        KeyCode::Char('m') => Action::OpenPicker,
        KeyCode::Char('f') => Action::OpenFeatures,
        KeyCode::Char('x') => Action::MoveToOther,
        KeyCode::Char('e') if m.focus == Pane::Qemu => Action::AddOption,
        KeyCode::Char('o') => Action::ToggleReading,
        KeyCode::Char('u') => Action::Undo,
        KeyCode::Char('d') => Action::ShowDiff,
        KeyCode::Char('w') => Action::Save,
        KeyCode::Char('y') => Action::Copy,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('Q') => Action::Abort,
        KeyCode::Char('j') => Action::Down,
        KeyCode::Char('k') => Action::Up,
        KeyCode::Char(c @ '1'..='9') => Action::Fix(c as usize - '0' as usize),
        _ => return None,
    })
}

/// Mouse: a click focuses the pane under it, the wheel scrolls the pane (or list) under it.
/// `panes` are the two panes' areas as the view lays them out for the current size.
pub fn mouse(m: &Model, ev: MouseEvent, panes: [Rect; 2]) -> Option<Action> {
    let at = Position::new(ev.column, ev.row);
    let pane = [Pane::Cpu, Pane::Qemu]
        .into_iter()
        .zip(panes)
        .find(|(_, r)| r.contains(at))
        .map(|(p, _)| p);
    let overlay = m.overlay.is_some();
    match ev.kind {
        MouseEventKind::ScrollDown if overlay => Some(Action::Down),
        MouseEventKind::ScrollUp if overlay => Some(Action::Up),
        MouseEventKind::ScrollDown => pane.map(|p| Action::Scroll(p, 3)),
        MouseEventKind::ScrollUp => pane.map(|p| Action::Scroll(p, -3)),
        MouseEventKind::Down(MouseButton::Left) if !overlay => pane.map(Action::Focus),
        _ => None,
    }
}

/// Parses a key string as the tests and benches type it: plain characters, and `<tab>`,
/// `<esc>`, `<ret>`, `<space>`, `<bs>`, `<del>`, `<up>`, `<down>`, `<left>`, `<right>`,
/// `<home>`, `<end>`, `<pgup>`, `<pgdn>`, `<C-x>` for Ctrl-x.
pub fn parse_keys(s: &str) -> Vec<KeyEvent> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '<'
            && let Some(end) = rest.find('>')
            && end > 1
        {
            let name = &rest[1..end];
            let key = match name {
                "tab" => Some(KeyEvent::from(KeyCode::Tab)),
                "esc" => Some(KeyEvent::from(KeyCode::Esc)),
                "ret" => Some(KeyEvent::from(KeyCode::Enter)),
                "space" => Some(KeyEvent::from(KeyCode::Char(' '))),
                "bs" => Some(KeyEvent::from(KeyCode::Backspace)),
                "del" => Some(KeyEvent::from(KeyCode::Delete)),
                "up" => Some(KeyEvent::from(KeyCode::Up)),
                "down" => Some(KeyEvent::from(KeyCode::Down)),
                "left" => Some(KeyEvent::from(KeyCode::Left)),
                "right" => Some(KeyEvent::from(KeyCode::Right)),
                "home" => Some(KeyEvent::from(KeyCode::Home)),
                "end" => Some(KeyEvent::from(KeyCode::End)),
                "pgup" => Some(KeyEvent::from(KeyCode::PageUp)),
                "pgdn" => Some(KeyEvent::from(KeyCode::PageDown)),
                _ => name
                    .strip_prefix("C-")
                    .and_then(|c| c.chars().next())
                    .map(|c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
            };
            if let Some(k) = key {
                out.push(k);
                rest = &rest[end + 1..];
                continue;
            }
        }
        out.push(KeyEvent::from(KeyCode::Char(c)));
        rest = &rest[c.len_utf8()..];
    }
    out
}
