//! The model picker's state: the catalog's models for the focused pane (libvirt's for `<cpu>`,
//! QEMU's for `<qemu:cpu>`), filtered as the user types, with what to show about each.

use super::app::Pane;
use super::fuzzy::Filtered;
use crate::argv::QemuCaps;
use crate::catalog::Catalog;

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
        let items = match pane {
            Pane::Cpu => cpu_items(catalog, caps),
            Pane::Qemu => qemu_items(catalog, caps),
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
}

fn usable(caps: &QemuCaps, name: &str) -> (Option<bool>, bool) {
    caps.offered(name)
        .map_or((None, false), |o| (o.usable, o.deprecated))
}

/// libvirt's models, as `<cpu><model>` takes them.
fn cpu_items(catalog: &Catalog, caps: &QemuCaps) -> Vec<Item> {
    let mut items: Vec<Item> = catalog
        .libvirt
        .models
        .iter()
        .map(|m| {
            let (usable, deprecated) = usable(caps, &m.name);
            let note = if caps.offers(&m.name) {
                String::new()
            } else {
                "QEMU lacks it: libvirt translates".into()
            };
            Item {
                name: m.name.clone(),
                vendor: m.vendor.clone(),
                note,
                deprecated,
                usable,
                features: m.features.len(),
            }
        })
        .collect();
    items.sort_by_key(|a| a.name.to_lowercase());
    items
}

/// QEMU's models, versions and aliases, as `<qemu:model name=…>` takes them.
fn qemu_items(catalog: &Catalog, caps: &QemuCaps) -> Vec<Item> {
    let q = &catalog.qemu;
    let mut items: Vec<Item> = q
        .models
        .iter()
        .map(|m| {
            let (usable, _) = usable(caps, &m.name);
            let note = match &m.alias_of {
                Some(t) => format!("= {t}"),
                None => {
                    let versions = q.versions(&m.name);
                    match (
                        versions.first().and_then(|v| v.version()),
                        versions.last().and_then(|v| v.version()),
                    ) {
                        (Some(a), Some(b)) if a != b => format!("v{a}–v{b}"),
                        _ => String::new(),
                    }
                }
            };
            Item {
                name: m.name.clone(),
                vendor: m.vendor_short().map(String::from),
                note,
                deprecated: m.deprecated,
                usable,
                features: m.features.len(),
            }
        })
        .collect();
    items.sort_by_key(|a| a.name.to_lowercase());
    items
}

/// The selected model's features and how they differ from the current model's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preview {
    /// What the name resolves to (`Skylake-Client` → `Skylake-Client-v1`), when different.
    pub resolves_to: Option<String>,
    pub features: Vec<String>,
    /// In the selected model, not in the current one.
    pub added: Vec<String>,
    /// In the current model, not in the selected one.
    pub removed: Vec<String>,
    pub has_current: bool,
}

pub fn preview(catalog: &Catalog, pane: Pane, selected: &str, current: Option<&str>) -> Preview {
    match pane {
        Pane::Cpu => {
            let feats = |n: &str| {
                catalog
                    .libvirt
                    .model(n)
                    .map(|m| m.features.clone())
                    .unwrap_or_default()
            };
            let sel = feats(selected);
            let cur = current.map(feats);
            diff_names(None, sel, cur)
        }
        Pane::Qemu => {
            let q = &catalog.qemu;
            let Some(m) = q.resolve_model(selected) else {
                return Preview::default();
            };
            let resolves_to = (m.name != selected).then(|| m.name.clone());
            let sel: Vec<String> = q.names(&m.features).into_iter().map(String::from).collect();
            let cur = current
                .and_then(|c| q.resolve_model(c))
                .map(|c| q.names(&c.features).into_iter().map(String::from).collect());
            diff_names(resolves_to, sel, cur)
        }
    }
}

fn diff_names(resolves_to: Option<String>, sel: Vec<String>, cur: Option<Vec<String>>) -> Preview {
    let (added, removed, has_current) = match &cur {
        Some(cur) => (
            sel.iter().filter(|f| !cur.contains(f)).cloned().collect(),
            cur.iter().filter(|f| !sel.contains(f)).cloned().collect(),
            true,
        ),
        None => (Vec::new(), Vec::new(), false),
    };
    Preview {
        resolves_to,
        features: sel,
        added,
        removed,
        has_current,
    }
}
