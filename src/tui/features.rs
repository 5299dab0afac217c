//! The feature list: every CPU feature of the catalog for the focused pane, its state in the
//! model and in the document, and the edit a toggle makes.

use super::app::Pane;
use super::fuzzy::Filtered;
use crate::catalog::Catalog;
use crate::domain::{Domain, Policy, PolicyEffect};
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
            .map_or(Setting::Absent, |f| {
                Setting::Policy(
                    f.known_policy()
                        .ok_or_else(|| f.policy.clone().unwrap_or_default()),
                )
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
