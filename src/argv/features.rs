//! What the generated `-cpu` does with each `<cpu><feature>`: judged against the QEMU model
//! that `-cpu` names (QEMU's own feature set, not libvirt's map: QEMU's models have
//! `hypervisor`, libvirt's map does not list it), left out by libvirt, or set over the host's
//! CPU (host-passthrough, maximum, host-model without the host). The model's features are
//! QEMU's definition of it (what `check`'s `feature-in-model` reads too); what TCG cannot
//! emulate is the checks' business.

use super::CpuArg;
use crate::catalog::Catalog;
use crate::domain::{AgainstModel, CpuMode, Domain, Feature, PolicyEffect};

/// What one `<feature>` comes to in `-cpu`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureEffect {
    /// Against the QEMU model of `-cpu` (or, when libvirt gives no `-cpu`, the model of
    /// libvirt's map).
    Model(AgainstModel),
    /// libvirt leaves it out of `-cpu` whatever its policy (QEMU cannot set it).
    Dropped,
    /// On or off over a CPU that is the host's (`-cpu host`, `max`, or host-model's copy not
    /// known here): whether that CPU has it depends on the host.
    OverHost { on: bool },
}

/// The effect of each of `<cpu>`'s features, in order (empty without `<cpu>`).
pub fn cpu_feature_effects(dom: &Domain, arg: &CpuArg, catalog: &Catalog) -> Vec<FeatureEffect> {
    let Some(cpu) = &dom.cpu else {
        return Vec::new();
    };
    let mode = CpuMode::of(dom);
    let generated = arg.libvirt.as_ref().ok();
    // The model `-cpu` names, as QEMU resolves it.
    let model_part = generated.map(|c| c.model_part.split(',').next().unwrap_or_default());
    let over_host = matches!(mode, Some(CpuMode::HostPassthrough | CpuMode::Maximum))
        || matches!(model_part, Some("host" | "max"))
        || (mode == Some(CpuMode::HostModel) && model_part.is_none_or(str::is_empty));
    let qemu_model = model_part
        .filter(|m| !m.is_empty())
        .and_then(|m| catalog.qemu.resolve_model(m));
    let map_model = cpu
        .model
        .as_ref()
        .and_then(|m| catalog.libvirt.model(&m.name));
    let release = catalog.libvirt.release();
    cpu.features
        .iter()
        .map(|f| {
            let name = f.name.as_deref().unwrap_or_default();
            if !name.is_empty() && super::libvirt::drops_feature(&catalog.libvirt, name) {
                return FeatureEffect::Dropped;
            }
            let on = match f.known_policy().map(|p| p.effect()) {
                Some(PolicyEffect::On) => true,
                Some(PolicyEffect::Off) => false,
                _ => return FeatureEffect::Model(f.against_model(None)),
            };
            if over_host {
                return FeatureEffect::OverHost { on };
            }
            let has = match qemu_model {
                Some(m) => {
                    let q = super::libvirt::feature_to_qemu(name, release);
                    Some(catalog.qemu.model_has(m, q))
                }
                None => map_model.map(|md| md.features.iter().any(|x| x == name)),
            };
            FeatureEffect::Model(Feature::against_model(f, has))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argv::{QemuCaps, Reading, compute};
    use crate::xml::Document;

    fn effects(xml: &str) -> Vec<FeatureEffect> {
        let dom = Domain::read(&Document::parse(xml.as_bytes()).unwrap()).unwrap();
        let catalog = Catalog::embedded();
        let caps = QemuCaps::from_catalog(&dom, catalog);
        let arg = compute(&dom, &caps, &catalog.libvirt, Reading::Merge);
        cpu_feature_effects(&dom, &arg, catalog)
    }

    /// `hypervisor` is not in libvirt's Skylake-Client but is in QEMU's: turning it off
    /// removes it; a feature libvirt drops is not "added"; host modes are over the host.
    #[test]
    fn effects_follow_the_generated_cpu() {
        let got = effects(
            "<domain type='kvm'><cpu mode='custom'><model>Skylake-Client</model>\
             <feature policy='disable' name='hypervisor'/><feature policy='require' name='vmx'/>\
             <feature policy='require' name='pcid'/></cpu></domain>",
        );
        assert_eq!(
            got,
            [
                FeatureEffect::Model(AgainstModel::Removed),
                FeatureEffect::Model(AgainstModel::Added),
                FeatureEffect::Model(AgainstModel::InModel),
            ]
        );
        let got = effects(
            "<domain type='kvm'><cpu mode='host-passthrough'><feature policy='disable' name='vmx'/>\
             <feature policy='require' name='pcid'/></cpu></domain>",
        );
        assert_eq!(
            got,
            [
                FeatureEffect::OverHost { on: false },
                FeatureEffect::OverHost { on: true }
            ]
        );
        let got = effects(
            "<domain type='qemu'><cpu mode='host-model'><feature policy='disable' name='svm'/></cpu></domain>",
        );
        assert_eq!(got, [FeatureEffect::OverHost { on: false }]);
    }
}
