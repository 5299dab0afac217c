//! The model picker's state: the catalog's models for the focused pane (libvirt's for `<cpu>`,
//! QEMU's for `<qemu:cpu>`), filtered as the user types, with what to show about each; its keys
//! (a text field's: type to filter, ↑↓, Enter applies, Esc cancels) and its drawing: the query,
//! the filtered models (best match first) and a preview of the selected model's features and
//! their difference from the pane's current model.

use super::custom_model::ConfirmCustom;
use super::{Outcome, Overlay, edited_query, popup};
use crate::argv::QemuCaps;
use crate::catalog::explore::{self, ModelFilter};
use crate::catalog::{Catalog, QemuModel};
use crate::domain::CpuMode;
use crate::edit::Edit;
use crate::host::PoolUsability;
use crate::tui::app::{Action, AppState, Pane};
use crate::tui::fuzzy::Filtered;
use crate::tui::keymap::{Binding, TEXT};
use crate::tui::text::{clip, visible, wrap_line};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// One model in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub name: String,
    pub vendor: Option<String>,
    /// `alias of Skylake-Client-v1`, `v1–v4`, …
    pub note: String,
    pub deprecated: bool,
    /// Usable on the host, when the host is known (`--host-caps`, `-c`).
    pub usable: Option<bool>,
    pub features: usize,
}

pub const KEYS: &[Binding] = TEXT;

#[derive(Debug, Clone)]
pub struct Picker {
    pub pane: Pane,
    pub query: String,
    pub items: Vec<Item>,
    pub list: Filtered,
    /// Position in `list.order`.
    pub selected: usize,
    /// The pane's model when the picker opened (for the preview's diff).
    pub current: Option<String>,
}

impl Picker {
    pub fn new(pane: Pane, catalog: &Catalog, caps: &QemuCaps, current: Option<String>) -> Picker {
        // Host usability as `virt-cpu models --host-caps` judges it, for the host given.
        let pool = PoolUsability::new(catalog, caps.domcaps.as_slice());
        let items = match pane {
            Pane::Cpu => cpu_items(catalog, caps, &pool),
            Pane::Qemu => qemu_items(catalog, &pool),
        };
        let list = Filtered::new(items.iter().map(|i| i.name.clone()).collect());
        // Start on the current model, so Enter right away changes nothing.
        let selected = current
            .as_ref()
            .and_then(|c| items.iter().position(|i| &i.name == c))
            .unwrap_or(0);
        Picker {
            pane,
            query: String::new(),
            items,
            list,
            selected,
            current,
        }
    }

    pub fn set_query(&mut self, query: String) {
        self.query = query;
        self.list.filter(&self.query);
        self.selected = 0;
    }

    pub fn selected_item(&self) -> Option<&Item> {
        self.list.order.get(self.selected).map(|&i| &self.items[i])
    }

    pub fn move_by(&mut self, delta: isize) {
        let n = self.list.order.len();
        if n == 0 {
            return;
        }
        self.selected = (self.selected as isize + delta).clamp(0, n as isize - 1) as usize;
    }

    pub fn key(&mut self, s: &mut AppState, action: Action) -> Outcome {
        if let Some(q) = edited_query(&self.query, &action) {
            self.set_query(q);
            return Outcome::Keep;
        }
        match action {
            Action::Cancel => return Outcome::close(),
            Action::Submit => {
                let Some(item) = self.selected_item() else {
                    match self.qemu_only_name(s.catalog) {
                        Some(why) => s.warn(why),
                        None => s.info("No model matches"),
                    }
                    return Outcome::Keep;
                };
                let edit = match self.pane {
                    Pane::Cpu => Edit::SetModel(item.name.clone()),
                    Pane::Qemu => Edit::SetQemuModel(item.name.clone()),
                };
                // A mode that ignores or replaces <model>: ask before writing one.
                if let (Pane::Cpu, Some(mode)) = (self.pane, CpuMode::of(&s.state.dom))
                    && !mode.uses_model()
                {
                    s.open(Overlay::ConfirmCustom(ConfirmCustom {
                        model: item.name.clone(),
                        mode,
                    }));
                    return Outcome::close();
                }
                s.edit(&edit);
                return Outcome::close();
            }
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-10),
            Action::PageDown => self.move_by(10),
            _ => {}
        }
        Outcome::Keep
    }
}

impl Picker {
    /// Why nothing in the `<cpu>` list matches a name that is a model all the same: it is
    /// QEMU's (a versioned `Skylake-Client-v4`, say), for `<qemu:cpu>`; what this libvirt's
    /// `<cpu>` takes instead. libvirt 10.10 and later take versioned names in `<cpu>` (their
    /// catalog lists them, so the list has them then).
    pub fn qemu_only_name(&self, catalog: &Catalog) -> Option<String> {
        if self.pane != Pane::Cpu || !self.list.order.is_empty() {
            return None;
        }
        let q = &catalog.qemu;
        let typed = self.query.trim();
        let model = q
            .models
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(typed))?;
        let resolved = q.resolve_model(&model.name)?;
        let libvirt = catalog.libvirt.release().line();
        let same: Vec<&str> = catalog
            .libvirt
            .models
            .iter()
            .filter(|l| {
                q.resolve_model(&l.name)
                    .is_some_and(|r| r.name == resolved.name)
            })
            .map(|l| l.name.as_str())
            .collect();
        let family: Vec<String> = catalog
            .libvirt
            .models
            .iter()
            .filter(|l| {
                q.resolve_model(&l.name)
                    .is_some_and(|r| r.family_name() == resolved.family_name())
            })
            .map(|l| format!("`{}`", l.name))
            .collect();
        let name = &model.name;
        let mut why = format!("`{name}` is a QEMU (`<qemu:cpu>`) name: ");
        if let Some(first) = same.first() {
            why.push_str(&format!(
                "libvirt {libvirt}'s `<cpu>` takes the same model as `{first}`"
            ));
        } else if !family.is_empty() {
            why.push_str(&format!(
                "libvirt {libvirt}'s `<cpu>` takes {} of its family, not this version",
                family.join(", ")
            ));
        } else {
            why.push_str(&format!("libvirt {libvirt}'s `<cpu>` does not have it"));
        }
        if model.version().is_some() {
            why.push_str(
                " (libvirt 10.10 and later take versioned names in `<cpu>`: --libvirt 11.3)",
            );
        }
        why.push_str("; for QEMU's own, Esc Tab m picks it in `<qemu:cpu>`");
        Some(why)
    }
}

/// libvirt's models, as `<cpu><model>` takes them.
fn cpu_items(catalog: &Catalog, caps: &QemuCaps, pool: &PoolUsability) -> Vec<Item> {
    let mut items: Vec<Item> = explore::libvirt_listing(&catalog.libvirt)
        .into_iter()
        .map(|m| Item {
            name: m.name.clone(),
            vendor: m.vendor.clone(),
            note: if caps.offers(&m.name) {
                String::new()
            } else {
                "QEMU lacks it: libvirt translates".into()
            },
            deprecated: caps.offered(&m.name).is_some_and(|o| o.deprecated),
            usable: pool.usability(&m.name).usable,
            features: m.features.len(),
        })
        .collect();
    if !pool.is_empty() {
        explore::usable_first(&mut items, |i| (i.usable, i.features));
    }
    items
}

/// QEMU's models, versions and aliases, as `<qemu:model name=…>` takes them: the listing of
/// `virt-cpu models`, pseudo-models last.
fn qemu_items(catalog: &Catalog, pool: &PoolUsability) -> Vec<Item> {
    let q = &catalog.qemu;
    let listing = explore::listing(q, &ModelFilter::everything());
    let item = |m: &QemuModel| {
        let row = explore::Row::new(q, m);
        let note = match (row.alias_of, row.version_range()) {
            (Some(t), _) => format!("= {t}"),
            _ if row.pseudo => "pseudo-model".into(),
            (None, Some((a, b))) => format!("v{a}–v{b}"),
            (None, None) => String::new(),
        };
        Item {
            name: m.name.clone(),
            vendor: row.vendor.map(String::from),
            note,
            deprecated: row.deprecated,
            // What a pseudo-model gives depends on the host and accelerator.
            usable: (!row.pseudo)
                .then(|| pool.usability(&m.name).usable)
                .flatten(),
            features: row.features,
        }
    };
    let mut items: Vec<Item> = listing.models.into_iter().map(item).collect();
    if !pool.is_empty() {
        explore::usable_first(&mut items, |i| (i.usable, i.features));
    }
    items.extend(listing.pseudo.into_iter().map(item));
    items
}

/// The selected model's features and how they differ from the current model's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preview<'a> {
    /// What the name resolves to (`Skylake-Client` → `Skylake-Client-v1`), when different.
    pub resolves_to: Option<&'a str>,
    pub features: Vec<&'a str>,
    /// In the selected model, not in the current one.
    pub added: Vec<&'a str>,
    /// In the current model, not in the selected one.
    pub removed: Vec<&'a str>,
    /// The current model is in the catalog (else there is nothing to compare with).
    pub has_current: bool,
    /// The x86-64 level a KVM guest of the model reaches (`x86-64-v3`), when QEMU has it.
    pub level: Option<&'static str>,
}

pub fn preview<'a>(
    catalog: &'a Catalog,
    pane: Pane,
    selected: &str,
    current: Option<&str>,
) -> Preview<'a> {
    let diff = match pane {
        Pane::Cpu => {
            let map = &catalog.libvirt;
            let Some(sel) = map.model(selected) else {
                return Preview::default();
            };
            let features = sel.features.iter().collect();
            let diff = current
                .and_then(|c| map.model(c))
                .map(|cur| explore::libvirt_feature_diff(cur, sel));
            (None, features, diff)
        }
        Pane::Qemu => {
            let q = &catalog.qemu;
            let Some(sel) = q.resolve_model(selected) else {
                return Preview::default();
            };
            let resolves_to = (sel.name != selected).then_some(sel.name.as_str());
            let diff = current
                .and_then(|c| q.resolve_model(c))
                .map(|cur| explore::qemu_feature_diff(q, cur, sel));
            (resolves_to, q.names(&sel.features), diff)
        }
    };
    let (resolves_to, features, diff) = diff;
    let q = &catalog.qemu;
    // libvirt's model names are QEMU's (unversioned) names.
    let level = q
        .resolve_model(selected)
        .filter(|m| !explore::is_pseudo(m))
        .map(|m| crate::catalog::levels::model_level(q, m))
        .filter(|l| l.level > 0)
        .map(|l| l.name());
    let has_current = diff.is_some();
    let diff = diff.unwrap_or_default();
    Preview {
        resolves_to,
        features,
        added: diff.only_in_b,
        removed: diff.only_in_a,
        has_current,
        level,
    }
}

impl Picker {
    pub fn draw(&self, f: &mut Frame, s: &AppState, t: &Theme, area: Rect) {
        draw(f, s, self, t, area)
    }
}

fn draw(f: &mut Frame, m: &AppState, p: &Picker, t: &Theme, area: Rect) {
    let r = popup(
        f,
        area,
        area.width.saturating_sub(4).min(120),
        area.height.saturating_sub(2),
    );
    let title = format!(
        " {} model — type to filter · ↑↓ · Enter apply · Esc cancel ",
        p.pane.title()
    );
    let block = Block::bordered().title(Span::styled(title, t.title()));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let [query, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let count = format!("  {}/{}", p.list.order.len(), p.items.len());
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("› ", t.key()),
            Span::raw(visible(&p.query).into_owned()),
            Span::styled("▏", t.key()),
            Span::styled(count, t.dim()),
        ])),
        query,
    );
    let [list, prev] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
    draw_list(f, m, p, t, list);
    draw_preview(f, m, p, t, prev);
}

fn draw_list(f: &mut Frame, m: &AppState, p: &Picker, t: &Theme, area: Rect) {
    let h = area.height as usize;
    let w = area.width as usize;
    let lines: Vec<Line> = p
        .list
        .window(p.selected, h)
        .map(|(pos, i)| {
            let it = &p.items[i];
            let mut flags = String::new();
            if it.deprecated {
                flags.push_str(" deprecated");
            }
            match it.usable {
                Some(true) => flags.push_str(" ✓host"),
                Some(false) => flags.push_str(" ✗host"),
                None => {}
            }
            let current = if p.current.as_deref() == Some(it.name.as_str()) {
                "*"
            } else {
                " "
            };
            let text = format!(
                "{current}{:<26} {:<6} {:>3}f {:<12}{flags}",
                it.name,
                it.vendor.as_deref().unwrap_or("-"),
                it.features,
                it.note
            );
            let text = clip(&text, w).into_owned();
            if pos == p.selected {
                Line::styled(format!("{text:<w$}"), t.selected())
            } else {
                Line::raw(text)
            }
        })
        .collect();
    if lines.is_empty() {
        let why = p
            .qemu_only_name(m.catalog)
            .map(|why| Line::styled(visible(&why).into_owned(), t.warning()));
        let text = why.unwrap_or_else(|| Line::styled("no model matches", t.dim()));
        f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn draw_preview(f: &mut Frame, m: &AppState, p: &Picker, t: &Theme, area: Rect) {
    let block = Block::new()
        .borders(Borders::LEFT)
        .border_style(t.border(false));
    let Some(item) = p.selected_item() else {
        f.render_widget(block, area);
        return;
    };
    let pv = preview(m.catalog, p.pane, &item.name, p.current.as_deref());
    let mut lines = vec![Line::styled(item.name.clone(), t.title())];
    if let Some(r) = &pv.resolves_to {
        lines.push(Line::styled(format!("= {r}"), t.label()));
    }
    let mut facts = vec![format!("{} features", pv.features.len())];
    if let Some(v) = &item.vendor {
        facts.push(v.clone());
    }
    if let Some(level) = pv.level {
        facts.push(level.into());
    }
    if item.deprecated {
        facts.push("deprecated".into());
    }
    if let Some(u) = item.usable {
        facts.push(if u {
            "usable on the host".into()
        } else {
            "not usable on the host".into()
        });
    }
    lines.push(Line::raw(facts.join(" · ")));
    lines.push(Line::raw(""));
    if let Some(cur) = &p.current {
        if pv.has_current {
            lines.push(Line::styled(
                format!(
                    "vs {} (+{} −{})",
                    visible(cur),
                    pv.added.len(),
                    pv.removed.len()
                ),
                t.label(),
            ));
            if !pv.added.is_empty() {
                lines.push(Line::styled(format!("+ {}", pv.added.join(" ")), t.added()));
            }
            if !pv.removed.is_empty() {
                lines.push(Line::styled(
                    format!("− {}", pv.removed.join(" ")),
                    t.removed(),
                ));
            }
            if pv.added.is_empty() && pv.removed.is_empty() {
                lines.push(Line::styled("same features", t.dim()));
            }
        } else {
            lines.push(Line::styled(
                format!("current {} is not in the catalog", visible(cur)),
                t.warning(),
            ));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(pv.features.join(" "), t.dim()));
    // The feature lists wrap between names, as every list the screen draws.
    let width = block.inner(area).width as usize;
    let lines: Vec<Line<'static>> = lines.iter().flat_map(|l| wrap_line(l, width, 0)).collect();
    f.render_widget(Paragraph::new(lines).block(block), area);
}
