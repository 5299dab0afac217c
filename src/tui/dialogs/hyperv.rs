//! Hyper-V enlightenments (`h`): every one the followed libvirt knows, its state in
//! `<features><hyperv>` (with the switches nested in one, `stimer.direct`, each needing its
//! parent on), what it does, and whether the host lists it; `Space` toggles one, `W`
//! applies virt-install's Windows preset, `P` passthrough, `O` removes `<hyperv>`. The `-cpu`
//! line below follows each change, as for CPU features.

use super::{Outcome, window};
use crate::argv::libvirt::{hyperv_enlightenments, hyperv_nested};
use crate::domain::hyperv_meaning;
use crate::edit::{Edit, HvSetting, HypervPreset};
use crate::tui::app::{Action, AppState};
use crate::tui::keymap::{Binding, Key};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The window's height: libvirt 11's 17 enlightenments and 3 nested switches, one a line,
/// with the header, the keys and the borders.
const HEIGHT: u16 = 25;

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

/// The rows shown: the enlightenments of the followed libvirt, in its order, each followed by
/// the switches nested in it that this libvirt knows (`stimer.direct`; `tlbflush.direct` and
/// `tlbflush.extended` since 11.0).
fn names(s: &AppState) -> Vec<String> {
    let nested = hyperv_nested(&s.catalog.libvirt);
    let mut out = Vec::new();
    for top in hyperv_enlightenments(&s.catalog.libvirt) {
        out.push(top.to_string());
        let prefix = format!("{top}.");
        out.extend(nested.iter().filter(|n| n.starts_with(&prefix)).cloned());
    }
    out
}

impl HypervDialog {
    pub fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        let count = names(s).len();
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(count.saturating_sub(1)),
            Action::Cancel => return Outcome::close(),
            Action::Toggle => {
                let name = names(s).swap_remove(self.selected);
                // A nested switch counts only with its parent on: turning it on turns the
                // parent on too (said), and "on" in the list means both are.
                let parent_off = name
                    .split_once('.')
                    .map(|(p, _)| p)
                    .filter(|p| !s.state.dom.hyperv_on(p));
                let on = !s.state.dom.hyperv_on(&name);
                let setting = match on {
                    true => HvSetting::on(&name),
                    false => HvSetting::off(&name),
                };
                if s.edit(&Edit::SetHyperv(setting))
                    && on
                    && let Some(p) = parent_off
                {
                    s.info(format!(
                        "Hyper-V {name} → on, and {p} → on: {name} needs it — u undoes"
                    ));
                }
            }
            Action::Yes => {
                let preset =
                    crate::edit::hyperv::windows_preset_on(&s.state.dom, s.caps.domcaps.as_ref());
                let edit = Edit::HypervPreset(HypervPreset::Custom(preset.settings.clone()));
                if s.edit(&edit) {
                    // What went first: a narrow status line keeps the start.
                    let mut said = preset.summary();
                    said.extend(preset.assumed.iter().cloned());
                    let text = format!("Windows preset: {} — u undoes", said.join("; "));
                    match preset.removed.is_empty() && preset.assumed.is_empty() {
                        true => s.info(text),
                        false => s.warn(text),
                    }
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
        // Rows fit the window (less its borders, this line, the blank and the keys): the
        // selected one stays in view.
        let rows = (area.height.min(HEIGHT) as usize).saturating_sub(5).max(3);
        let first = self.selected.saturating_sub(rows - 1);
        for (i, name) in names(s).iter().enumerate().skip(first).take(rows) {
            // A nested switch on under a parent that is off does nothing: "(on)".
            let set_alone = name.contains('.')
                && dom
                    .features
                    .hyperv
                    .as_ref()
                    .and_then(|h| h.toggle(name))
                    .is_some_and(|t| t.state.as_deref() == Some("on"));
            let state = match (passthrough, dom.hyperv_on(name)) {
                (true, _) => "host",
                (false, true) => "on",
                (false, false) if set_alone => "(on)",
                (false, false) => "off",
            };
            // The host lists a nested switch's parent only.
            let listed_as = name.split('.').next().unwrap_or(name);
            let supported = match host {
                Some(h) if h.iter().any(|x| x == listed_as) => "host ✓",
                Some(_) => "host ✗",
                None => "",
            };
            // Not a space: the window trims the lines' leading blanks.
            let (pointer, style) = match i == self.selected {
                true => ("›", t.selected()),
                false => ("·", t.title()),
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{pointer} {name:<17} {state:<4} "), style),
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
        window(f, area, (110, HEIGHT), " Hyper-V enlightenments ", lines);
    }
}
