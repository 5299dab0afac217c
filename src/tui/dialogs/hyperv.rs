//! Hyper-V enlightenments (`h`): every one the followed libvirt knows, its state in
//! `<features><hyperv>`, what it does, and whether the host lists it; `Space` toggles one, `W`
//! applies virt-install's Windows preset, `P` passthrough, `O` removes `<hyperv>`. The `-cpu`
//! line below follows each change, as for CPU features.

use super::{Outcome, window};
use crate::argv::libvirt::hyperv_enlightenments;
use crate::domain::hyperv_meaning;
use crate::edit::{Edit, HvSetting, HypervPreset};
use crate::tui::app::{Action, AppState};
use crate::tui::keymap::{Binding, Key};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HypervDialog {
    pub selected: usize,
}

pub const KEYS: &[Binding] = &[Binding::keys(&[
    (Key::Char('j'), Action::Down),
    (Key::Char('k'), Action::Up),
    (Key::Char(' '), Action::Toggle),
    (Key::Char('W'), Action::Yes),
    (Key::Char('P'), Action::Reload),
    (Key::Char('O'), Action::Remove),
    (Key::Char('q'), Action::Cancel),
    (Key::Char('h'), Action::Cancel),
])];

/// The rows shown: the enlightenments of the followed libvirt, in its order.
fn names(s: &AppState) -> &'static [&'static str] {
    hyperv_enlightenments(&s.catalog.libvirt)
}

impl HypervDialog {
    pub fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        let count = names(s).len();
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(count.saturating_sub(1)),
            Action::Cancel => return Outcome::close(),
            Action::Toggle => {
                let name = names(s)[self.selected];
                let setting = match s.state.dom.hyperv_on(name) {
                    true => HvSetting::off(name),
                    false => HvSetting::on(name),
                };
                s.edit(&Edit::SetHyperv(setting));
            }
            Action::Yes => {
                let (list, assumed) =
                    crate::edit::hyperv::windows_preset_on(&s.state.dom, s.caps.domcaps.as_ref());
                if s.edit(&Edit::HypervPreset(HypervPreset::Custom(list))) && !assumed.is_empty() {
                    s.warn(format!("Windows preset: {} — u undoes", assumed.join("; ")));
                }
            }
            Action::Reload => {
                s.edit(&Edit::HypervPreset(HypervPreset::Passthrough));
            }
            Action::Remove => {
                s.edit(&Edit::HypervPreset(HypervPreset::Off));
            }
            _ => {}
        }
        Outcome::Keep
    }

    pub fn draw(&self, f: &mut Frame, s: &AppState, t: &Theme, area: Rect) {
        let dom = &s.state.dom;
        let host = s.caps.domcaps.as_ref().and_then(|h| h.hyperv.as_deref());
        let passthrough = dom
            .features
            .hyperv
            .as_ref()
            .is_some_and(|h| h.is_passthrough());
        let mut lines = vec![Line::styled(
            match (passthrough, host) {
                (true, _) => {
                    "mode='passthrough': QEMU gives the guest what the host has".to_string()
                }
                (false, Some(h)) => format!("the host lists {} of them", h.len()),
                (false, None) => "host support unknown (open with -c URI or --host-caps)".into(),
            },
            t.label(),
        )];
        // Rows fit the window: the selected one stays in view.
        let rows = (area.height as usize).saturating_sub(8).max(3);
        let first = self.selected.saturating_sub(rows - 1);
        for (i, name) in names(s).iter().enumerate().skip(first).take(rows) {
            let state = match (passthrough, dom.hyperv_on(name)) {
                (true, _) => "host",
                (false, true) => "on",
                (false, false) => "off",
            };
            let supported = match host {
                Some(h) if h.iter().any(|x| x == name) => "host ✓",
                Some(_) => "host ✗",
                None => "",
            };
            // Not a space: the window trims the lines' leading blanks.
            let (pointer, style) = match i == self.selected {
                true => ("›", t.selected()),
                false => ("·", t.title()),
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{pointer} {name:<16} {state:<4} "), style),
                Span::styled(format!("{supported:<7} "), t.label()),
                Span::raw(hyperv_meaning(name)),
            ]));
        }
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled("Space", t.key()),
            Span::raw(" toggle  "),
            Span::styled("W", t.key()),
            Span::raw(" Windows preset  "),
            Span::styled("P", t.key()),
            Span::raw(" passthrough  "),
            Span::styled("O", t.key()),
            Span::raw(" remove <hyperv>  "),
            Span::styled("Esc", t.key()),
            Span::raw(" close"),
        ]));
        window(f, area, (110, 24), " Hyper-V enlightenments ", lines);
    }
}
