//! The feature list: every CPU feature of the catalog for the focused pane, its state in the
//! model and in the document, and the edit a toggle makes; its keys (a list's, or a text field's
//! while searching) and its drawing.

use super::{Outcome, edited_query, popup};
use crate::catalog::Catalog;
use crate::domain::{Domain, Policy, PolicyEffect};
use crate::edit::Edit;
use crate::tui::app::{Action, AppState, Pane};
use crate::tui::fuzzy::Filtered;
use crate::tui::keymap::{Binding, Key, TEXT};
use crate::tui::text::{clip, visible};
use crate::tui::theme::Theme;
use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// The list's keys (while searching, a text field's).
pub const KEYS: &[Binding] = &[Binding::keys(&[
    (Key::Ctrl('r'), Action::Redo),
    (Key::Char(' '), Action::Toggle),
    (Key::Char('p'), Action::CyclePolicy),
    (Key::Code(KeyCode::Delete), Action::Remove),
    (Key::Code(KeyCode::Backspace), Action::Remove),
    (Key::Char('-'), Action::Remove),
    (Key::Char('/'), Action::Search),
    (Key::Char('u'), Action::Undo),
    (Key::Char('j'), Action::Down),
    (Key::Char('k'), Action::Up),
    (Key::Char('q'), Action::Cancel),
    (Key::Char('f'), Action::Cancel),
])];

#[derive(Debug, Clone)]
pub struct FeatureList {
    pub pane: Pane,
    pub query: String,
    /// Typing goes to the search (after `/`) rather than to the keys.
    pub searching: bool,
    pub list: Filtered,
    /// Position in `list.order`.
    pub selected: usize,
}

/// A feature as the document has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    /// Not mentioned: the model decides.
    Absent,
    /// `<cpu>`: `<feature policy=…>` as libvirt reads it (`require` when the attribute is
    /// absent); `Err` holds a value libvirt refuses, as written.
    Policy(Result<Policy, String>),
    /// `<qemu:cpu>`: `<qemu:option value=…>` (`None` for a bare option).
    Value(Option<String>),
}

impl FeatureList {
    /// Every feature the catalog knows for `pane`, plus whatever the document itself sets there
    /// that the catalog does not know (a misspelt feature, `enforce`, an unknown option), so that
    /// each can be found and removed.
    pub fn new(pane: Pane, catalog: &Catalog, dom: &Domain) -> FeatureList {
        let mut names: Vec<String> = match pane {
            Pane::Cpu => catalog
                .libvirt
                .features
                .iter()
                .map(|f| f.name.clone())
                .collect(),
            Pane::Qemu => catalog
                .qemu
                .features
                .iter()
                .map(|f| f.name.clone())
                .collect(),
        };
        let in_document: Vec<String> = match pane {
            Pane::Cpu => dom
                .cpu
                .iter()
                .flat_map(|c| c.features.iter().filter_map(|f| f.name.clone()))
                .collect(),
            Pane::Qemu => dom
                .qemu()
                .into_iter()
                .flat_map(|q| q.options.iter().filter_map(|o| o.name.clone()))
                .collect(),
        };
        names.extend(in_document);
        names.sort();
        names.dedup();
        FeatureList {
            pane,
            query: String::new(),
            searching: false,
            list: Filtered::new(names),
            selected: 0,
        }
    }

    pub fn set_query(&mut self, query: String) {
        self.query = query;
        self.list.filter(&self.query);
        self.selected = 0;
    }

    pub fn selected_name(&self) -> Option<&str> {
        self.list
            .order
            .get(self.selected)
            .map(|&i| self.list.name(i))
    }

    pub fn move_by(&mut self, delta: isize) {
        let n = self.list.order.len();
        if n > 0 {
            self.selected = (self.selected as isize + delta).clamp(0, n as isize - 1) as usize;
        }
    }

    pub fn keys(&self) -> &'static [Binding] {
        if self.searching { TEXT } else { KEYS }
    }

    pub fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        if self.searching {
            self.search_key(action);
            return Outcome::Keep;
        }
        let name = self.selected_name().map(String::from);
        match action {
            Action::Cancel | Action::Quit | Action::OpenFeatures => return Outcome::close(),
            Action::Search => self.searching = true,
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-10),
            Action::PageDown => self.move_by(10),
            Action::Toggle => {
                if let Some(n) = name {
                    s.edit(&toggle(s.catalog, &s.state.dom, self.pane, &n));
                }
            }
            Action::CyclePolicy if self.pane == Pane::Cpu => {
                if let Some(n) = name {
                    s.edit(&cycle_policy(&s.state.dom, &n));
                }
            }
            Action::Remove => {
                if let Some(n) = name {
                    match remove(&s.state.dom, self.pane, &n) {
                        Some(e) => {
                            s.edit(&e);
                        }
                        None => s.info(format!("{n} is not set; the model decides")),
                    }
                }
            }
            Action::Undo | Action::Redo => {
                crate::tui::panes::key(s, action);
            }
            _ => {}
        }
        Outcome::Keep
    }

    /// Typing after `/`: Enter keeps the filter, Esc drops it.
    fn search_key(&mut self, action: Action) {
        if let Some(q) = edited_query(&self.query, &action) {
            return self.set_query(q);
        }
        match action {
            Action::Submit => self.searching = false,
            Action::Cancel => {
                self.searching = false;
                self.set_query(String::new());
            }
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            _ => {}
        }
    }
}

/// How the document sets `name` in `pane`.
pub fn setting(dom: &Domain, pane: Pane, name: &str) -> Setting {
    match pane {
        Pane::Cpu => dom
            .cpu
            .as_ref()
            .and_then(|c| c.features.iter().find(|f| f.name.as_deref() == Some(name)))
            .map_or(Setting::Absent, |f| {
                Setting::Policy(
                    f.known_policy()
                        .ok_or_else(|| f.policy.clone().unwrap_or_default()),
                )
            }),
        Pane::Qemu => dom
            .qemu()
            .and_then(|q| {
                q.options
                    .iter()
                    .rev()
                    .find(|o| o.name.as_deref() == Some(name))
            })
            .map_or(Setting::Absent, |o| Setting::Value(o.value.clone())),
    }
}

/// Whether the pane's current model has the feature.
pub fn in_model(catalog: &Catalog, dom: &Domain, pane: Pane, name: &str) -> Option<bool> {
    match pane {
        Pane::Cpu => {
            let model = dom.cpu.as_ref()?.model.as_ref()?;
            Some(
                catalog
                    .libvirt
                    .model(&model.name)?
                    .features
                    .iter()
                    .any(|f| f == name),
            )
        }
        Pane::Qemu => {
            let model = dom.qemu()?.models.first()?.name.as_deref()?;
            let m = catalog.qemu.resolve_model(model)?;
            Some(catalog.qemu.model_has(m, name))
        }
    }
}

/// Whether a setting turns the feature on or off whatever the host: `None` when the model
/// decides (absent), the host does (`optional`), or libvirt refuses the policy.
pub fn is_on(setting: &Setting) -> Option<bool> {
    match setting {
        Setting::Absent | Setting::Policy(Err(_)) => None,
        Setting::Policy(Ok(p)) => match p.effect() {
            PolicyEffect::On => Some(true),
            PolicyEffect::Off => Some(false),
            PolicyEffect::OnIfHostHas => None,
        },
        Setting::Value(v) => Some(!matches!(v.as_deref(), Some("off" | "false" | "no"))),
    }
}

/// `Space`: a feature set on or off flips (`require` ↔ `disable`, `on` ↔ `off`); one the model
/// decides — or the host, for `optional` — is set opposite to the model (the change the user
/// wants).
pub fn toggle(catalog: &Catalog, dom: &Domain, pane: Pane, name: &str) -> Edit {
    let current = setting(dom, pane, name);
    let on = match is_on(&current) {
        Some(on) => !on,
        None => !in_model(catalog, dom, pane, name).unwrap_or(false),
    };
    match pane {
        Pane::Cpu => Edit::SetFeature {
            name: name.into(),
            policy: Policy::turning(on),
        },
        Pane::Qemu => Edit::SetQemuOption {
            name: name.into(),
            value: Some(if on { "on" } else { "off" }.into()),
        },
    }
}

/// `p` in `<cpu>`: the next policy in [`Policy::ALL`] (force → require → optional → disable →
/// forbid → force); an unset feature or a policy libvirt refuses becomes `require`.
pub fn cycle_policy(dom: &Domain, name: &str) -> Edit {
    let next = match setting(dom, Pane::Cpu, name) {
        Setting::Policy(Ok(p)) => p.next(),
        _ => Policy::DEFAULT,
    };
    Edit::SetFeature {
        name: name.into(),
        policy: next,
    }
}

/// `Delete`: back to what the model says.
pub fn remove(dom: &Domain, pane: Pane, name: &str) -> Option<Edit> {
    match (setting(dom, pane, name), pane) {
        (Setting::Absent, _) => None,
        (_, Pane::Cpu) => Some(Edit::DropFeature(name.into())),
        (_, Pane::Qemu) => Some(Edit::RemoveQemuOption(name.into())),
    }
}

impl FeatureList {
    pub fn draw(&self, f: &mut Frame, s: &AppState, t: &Theme, area: Rect) {
        draw(f, s, self, t, area)
    }
}

fn draw(f: &mut Frame, m: &AppState, l: &FeatureList, t: &Theme, area: Rect) {
    let r = popup(f, area, 72, area.height.saturating_sub(2));
    let keys = match l.pane {
        Pane::Cpu => "Space toggle · p policy · Del unset · / · Esc",
        Pane::Qemu => "Space on/off · Del unset · / search · Esc",
    };
    let block = Block::bordered().title(Span::styled(
        format!(" {} features — {keys} ", l.pane.title()),
        t.title(),
    ));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let [query, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let model = m
        .model_of(l.pane)
        .map(|n| visible(&n).into_owned())
        .unwrap_or_else(|| "no model".into());
    let mut q = vec![
        Span::styled("/ ", t.key()),
        Span::raw(visible(&l.query).into_owned()),
    ];
    if l.searching {
        q.push(Span::styled("▏", t.key()));
    }
    q.push(Span::styled(
        format!("  {}/{} · model {model}", l.list.order.len(), l.list.len()),
        t.dim(),
    ));
    f.render_widget(Paragraph::new(Line::from(q)), query);

    let h = body.height as usize;
    let w = body.width as usize;
    let dom = &m.state.dom;
    let lines: Vec<Line> = l
        .list
        .window(l.selected, h)
        .map(|(pos, i)| {
            let name = l.list.name(i);
            let has = match in_model(m.catalog, dom, l.pane, name) {
                Some(true) => "in model",
                Some(false) => "",
                None => "",
            };
            let set = setting(dom, l.pane, name);
            let style = match is_on(&set) {
                Some(true) => t.added(),
                Some(false) => t.removed(),
                None => t.dim(),
            };
            let (set, style) = match set {
                Setting::Absent => (String::new(), style),
                Setting::Policy(Ok(p)) if p.effect() == PolicyEffect::OnIfHostHas => {
                    (p.name().to_string(), t.warning())
                }
                Setting::Policy(Ok(p)) => (p.name().to_string(), style),
                Setting::Policy(Err(raw)) => (visible(&raw).into_owned(), t.error()),
                Setting::Value(v) => {
                    let v = v
                        .map(|v| visible(&v).into_owned())
                        .unwrap_or_else(|| "(bare)".into());
                    (format!("={v}"), style)
                }
            };
            let text = clip(&format!(" {name:<28} {has:<9} "), w).into_owned();
            if pos == l.selected {
                Line::styled(format!("{:<w$}", format!("{text}{set}")), t.selected())
            } else {
                Line::from(vec![Span::raw(text), Span::styled(set, style)])
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::Document;

    fn domain(features: &str) -> Domain {
        let xml = format!(
            "<domain type='kvm'><name>a</name><cpu mode='custom'><model>Haswell-noTSX</model>{features}</cpu></domain>"
        );
        Domain::read(&Document::parse(xml.as_bytes()).unwrap()).unwrap()
    }

    fn policy_of(edit: Edit) -> Policy {
        match edit {
            Edit::SetFeature { policy, .. } => policy,
            other => panic!("{other:?}"),
        }
    }

    /// `optional` is on only where the host has the feature: Space treats it like an unset
    /// feature and sets it opposite to the model (pcid is in Haswell-noTSX, vmx is not).
    #[test]
    fn optional_is_neither_on_nor_off() {
        let dom = domain(
            "<feature policy='optional' name='pcid'/><feature policy='optional' name='vmx'/>",
        );
        let catalog = Catalog::embedded();
        assert_eq!(
            setting(&dom, Pane::Cpu, "pcid"),
            Setting::Policy(Ok(Policy::Optional))
        );
        assert_eq!(is_on(&setting(&dom, Pane::Cpu, "pcid")), None);
        let toggled = |n| policy_of(toggle(catalog, &dom, Pane::Cpu, n));
        assert_eq!(toggled("pcid"), Policy::Disable);
        assert_eq!(toggled("vmx"), Policy::Require);
        assert_eq!(policy_of(cycle_policy(&dom, "pcid")), Policy::Disable);
    }

    #[test]
    fn an_absent_policy_is_require_and_a_bad_one_is_kept_as_written() {
        let dom = domain("<feature name='pcid'/><feature policy='maybe' name='vmx'/>");
        assert_eq!(
            setting(&dom, Pane::Cpu, "pcid"),
            Setting::Policy(Ok(Policy::Require))
        );
        assert_eq!(
            setting(&dom, Pane::Cpu, "vmx"),
            Setting::Policy(Err("maybe".into()))
        );
        assert_eq!(policy_of(cycle_policy(&dom, "pcid")), Policy::Optional);
        assert_eq!(policy_of(cycle_policy(&dom, "vmx")), Policy::Require);
        assert_eq!(policy_of(cycle_policy(&dom, "aes")), Policy::Require);
    }
}
