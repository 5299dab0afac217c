//! libvirt 9.0's `-cpu` generator, re-implemented rule by rule (see
//! LIBVIRT-CPU-SEMANTICS.md): parse and validate, post-parse defaults, start preparation, build.

mod build;
pub mod decode;
pub mod elsewhere;
mod prepare;
mod release;
#[cfg(test)]
mod release_tests;
#[cfg(test)]
mod start_tests;
mod validate;

pub use build::FlagItem;
pub use prepare::PreparedCpu;
pub use release::{feature_from_qemu, feature_to_qemu};

/// Whether the libvirt of `map` leaves this `<cpu>` feature out of `-cpu` whatever its policy
/// (`virQEMUCapsCPUFilterFeatures`: QEMU cannot set it).
pub fn drops_feature(map: &LibvirtMap, name: &str) -> bool {
    release::Rules::of(map).ignored(name)
}

use super::caps::QemuCaps;
use super::error::{LibvirtError, Unchecked};
use crate::catalog::LibvirtMap;
use crate::domain::Domain;

/// libvirt's `-cpu`: the value, split into the model part and the items other configuration
/// appends (kept apart so `<qemu:cpu>` can take the model part's place).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibvirtCpu {
    /// The prepared CPU definition, when libvirt has one.
    pub prepared: Option<PreparedCpu>,
    pub model_part: String,
    pub flags: Vec<FlagItem>,
    /// libvirt's start-time checks virt-cpu could not make without the host (the value stands).
    pub unchecked: Vec<Unchecked>,
}

impl LibvirtCpu {
    /// The whole `-cpu` value, or `None` when libvirt emits no `-cpu`.
    pub fn value(&self) -> Option<String> {
        if self.model_part.is_empty() {
            return None;
        }
        let mut out = self.model_part.clone();
        for f in &self.flags {
            out.push(',');
            out.push_str(&f.text);
        }
        Some(out)
    }
}

/// The machine name libvirt quotes in messages: QEMU's aliases resolved to the versioned
/// machine types of the QEMU release (`virQEMUCapsGetCanonicalMachine`; QEMU 7.2 when unknown).
fn canonical_machine(machine: Option<&str>, caps: &QemuCaps) -> String {
    let (major, minor) = caps.qemu_version.map_or((7, 2), |v| (v.major, v.minor));
    match machine {
        Some("q35") => format!("pc-q35-{major}.{minor}"),
        Some("pc") | None => format!("pc-i440fx-{major}.{minor}"),
        Some(m) => m.into(),
    }
}

/// Runs libvirt's pipeline on the domain. `Err` carries libvirt's message for a domain it
/// refuses.
pub fn generate(
    dom: &Domain,
    caps: &QemuCaps,
    map: &LibvirtMap,
) -> Result<LibvirtCpu, LibvirtError> {
    let rules = release::Rules::of(map);
    validate::parse(dom, rules)?;
    // The QEMU driver's post-parse callback runs before libvirt's common one (`post_parse`).
    validate::post_parse(dom)?;
    let ctx = prepare::Context {
        dom,
        caps,
        map,
        rules,
        unchecked: Default::default(),
    };
    let defined = ctx.post_parse()?;
    validate::validate(
        dom,
        caps,
        &canonical_machine(dom.machine.as_deref(), caps),
        rules,
    )?;
    let prepared = match defined {
        Some(cpu) => Some(ctx.start(cpu)?),
        None => None,
    };
    let mut model_part = prepared
        .as_ref()
        .map(|c| build::model_part(c, caps, rules))
        .unwrap_or_default();
    let flags = build::flag_items(dom, prepared.as_ref(), caps, rules);
    if model_part.is_empty()
        && let Some(legacy) = build::legacy_model(dom, !flags.is_empty())
    {
        model_part = legacy.to_string();
    }
    Ok(LibvirtCpu {
        prepared,
        model_part,
        flags,
        unchecked: ctx.unchecked.into_inner(),
    })
}

/// The Hyper-V enlightenments (`<features><hyperv>` children) the libvirt of `map` knows, in
/// its order (which is also the order of the `hv-*` options).
pub fn hyperv_enlightenments(map: &LibvirtMap) -> &'static [&'static str] {
    validate::hyperv_names(release::Rules::of(map))
}

/// The switches nested in an enlightenment (`stimer.direct`, …) the libvirt of `map` knows,
/// as `parent.child` in its order: `tlbflush`'s `direct` and `extended` since libvirt 11.0.0
/// ([`release::HYPERV_TLBFLUSH_EXT`]), `stimer`'s `direct` in every release.
pub fn hyperv_nested(map: &LibvirtMap) -> Vec<String> {
    let rules = release::Rules::of(map);
    crate::domain::HYPERV_NESTED
        .iter()
        .filter(|(p, _)| *p != "tlbflush" || rules.since(release::HYPERV_TLBFLUSH_EXT))
        .map(|(p, c)| format!("{p}.{c}"))
        .collect()
}

/// Every Hyper-V enlightenment of the newest libvirt virt-cpu knows, in libvirt's order.
pub fn all_hyperv_enlightenments() -> &'static [&'static str] {
    validate::HYPERV
}

#[cfg(test)]
mod hyperv_tests {
    #[test]
    fn every_enlightenment_has_a_meaning() {
        for name in super::all_hyperv_enlightenments() {
            assert!(!crate::domain::hyperv_meaning(name).is_empty(), "{name}");
        }
        for (p, c) in crate::domain::HYPERV_NESTED {
            assert!(!crate::domain::hyperv_meaning(&format!("{p}.{c}")).is_empty());
        }
    }
}
