//! The feature list: every CPU feature of the catalog for the focused pane, its state in the
//! model and in the document, and the edit a toggle makes.

use super::app::Pane;
use super::fuzzy::Filtered;
use crate::catalog::Catalog;
use crate::domain::Domain;
use crate::edit::Edit;

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
    /// `<cpu>`: `<feature policy=…>`.
    Policy(String),
    /// `<qemu:cpu>`: `<qemu:option value=…>` (`None` for a bare option).
    Value(Option<String>),
}

/// The `<cpu>` feature policies, in the order `p` cycles them.
pub const POLICIES: [&str; 5] = ["force", "require", "optional", "disable", "forbid"];

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
                .qemu_cpu
                .iter()
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
}

/// How the document sets `name` in `pane`.
pub fn setting(dom: &Domain, pane: Pane, name: &str) -> Setting {
    match pane {
        Pane::Cpu => dom
            .cpu
            .as_ref()
            .and_then(|c| c.features.iter().find(|f| f.name.as_deref() == Some(name)))
            // libvirt's default policy for a <feature> without one is `require`.
            .map_or(Setting::Absent, |f| {
                Setting::Policy(f.policy.clone().unwrap_or_else(|| "require".into()))
            }),
        Pane::Qemu => dom
            .qemu_cpu
            .as_ref()
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
            let model = dom.qemu_cpu.as_ref()?.models.first()?.name.as_deref()?;
            let m = catalog.qemu.resolve_model(model)?;
            Some(catalog.qemu.model_has(m, name))
        }
    }
}

/// Whether a setting turns the feature on.
pub fn is_on(setting: &Setting) -> Option<bool> {
    match setting {
        Setting::Absent => None,
        Setting::Policy(p) => Some(matches!(p.as_str(), "force" | "require" | "optional")),
        Setting::Value(v) => Some(!matches!(v.as_deref(), Some("off" | "false" | "no"))),
    }
}

/// `Space`: an unmentioned feature is set opposite to the model (the change the user wants);
/// a mentioned one flips on ↔ off (`require` ↔ `disable`, `on` ↔ `off`).
pub fn toggle(catalog: &Catalog, dom: &Domain, pane: Pane, name: &str) -> Edit {
    let current = setting(dom, pane, name);
    let on = match is_on(&current) {
        Some(on) => !on,
        None => !in_model(catalog, dom, pane, name).unwrap_or(false),
    };
    match pane {
        Pane::Cpu => Edit::SetFeature {
            name: name.into(),
            policy: if on { "require" } else { "disable" }.into(),
        },
        Pane::Qemu => Edit::SetQemuOption {
            name: name.into(),
            value: Some(if on { "on" } else { "off" }.into()),
        },
    }
}

/// `p` in `<cpu>`: the next policy (force → require → optional → disable → forbid → force).
pub fn cycle_policy(dom: &Domain, name: &str) -> Edit {
    let next = match setting(dom, Pane::Cpu, name) {
        Setting::Policy(p) => POLICIES
            .iter()
            .position(|x| *x == p)
            .map_or("require", |i| POLICIES[(i + 1) % POLICIES.len()]),
        _ => "require",
    };
    Edit::SetFeature {
        name: name.into(),
        policy: next.into(),
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
