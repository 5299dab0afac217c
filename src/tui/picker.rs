//! The model picker's state: the catalog's models for the focused pane (libvirt's for `<cpu>`,
//! QEMU's for `<qemu:cpu>`), filtered as the user types, with what to show about each.

use super::app::Pane;
use super::fuzzy::Filtered;
use crate::argv::QemuCaps;
use crate::catalog::explore::{self, ModelFilter};
use crate::catalog::{Catalog, QemuModel};
use crate::host::PoolUsability;

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
            let features = sel.features.iter().map(String::as_str).collect();
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
    let has_current = diff.is_some();
    let diff = diff.unwrap_or_default();
    Preview {
        resolves_to,
        features,
        added: diff.only_in_b,
        removed: diff.only_in_a,
        has_current,
    }
}
