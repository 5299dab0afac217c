//! `<cpu check='full'>` with a custom model: after QEMU starts, libvirt compares the CPU QEMU
//! created with the definition (virCPUx86UpdateLive, from qemuProcessUpdateLiveGuestCPU) and
//! refuses every feature QEMU enabled that the model and features do not require. QEMU always
//! gives an x86 guest `hypervisor`, which no model of libvirt's CPU map lists (9.0 and 11.3),
//! so such a guest does not start unless the definition requires `hypervisor` itself — and
//! even then QEMU may add others (`arat`, …) or leave out what the host lacks: a warning, not
//! an error, since which of those come depends on QEMU and the host.

use super::explain::Symptom;
use super::{Diagnostic, Severity};
use crate::domain::{Domain, PolicyEffect};
use crate::xml::Document;

pub(super) fn check(doc: &Document, dom: &Domain, out: &mut Vec<Diagnostic>) {
    let Some(cpu) = &dom.cpu else { return };
    let custom = cpu.mode.as_deref().is_none_or(|m| m == "custom");
    if !custom || cpu.model.is_none() || cpu.check.as_deref() != Some("full") {
        return;
    }
    let asks_hypervisor = cpu.features.iter().any(|f| {
        f.name.as_deref() == Some("hypervisor")
            && f.known_policy().map(|p| p.effect()) == Some(PolicyEffect::On)
    });
    let extra = match asks_hypervisor {
        false => {
            "QEMU always adds `hypervisor`, which no libvirt model lists, so this guest does not start (\"guest CPU doesn't match specification: extra features: hypervisor…\")"
        }
        true => {
            "QEMU adds features of its own besides `hypervisor` (`arat`, …) and leaves out what the host lacks, so the start usually fails (\"guest CPU doesn't match specification: extra features: …\")"
        }
    };
    out.push(
        Diagnostic::new(
            "check-full",
            Severity::Warning,
            format!(
                "check='full': after QEMU starts, libvirt compares the CPU QEMU created with this definition and refuses any difference; {extra}; use check='partial' (libvirt compares the definition with the host before start and records what QEMU added) or check='none'"
            ),
        )
        .at(doc, Some(cpu.el))
        // No one fix: partial fails too where the host lacks what the model asks for;
        // explain's fixes for the symptom choose between partial and none.
        .symptom(Symptom::CheckFull {
            extra: match asks_hypervisor {
                false => vec!["hypervisor".into()],
                true => Vec::new(),
            },
            missing: Vec::new(),
        }),
    );
}

#[cfg(test)]
mod tests {
    use crate::catalog::Catalog;

    fn codes(cpu: &str) -> Vec<&'static str> {
        let xml = format!(
            "<domain type='qemu'><name>t</name><vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm</type></os>{cpu}</domain>"
        );
        let doc = crate::xml::Document::parse(xml.as_bytes()).unwrap();
        let dom = crate::domain::Domain::read(&doc).unwrap();
        let caps = crate::argv::QemuCaps::default();
        let report = super::super::check(
            &doc,
            &dom,
            &caps,
            Catalog::embedded(),
            crate::argv::Reading::Merge,
        );
        report.diagnostics.iter().map(|d| d.code).collect()
    }

    #[test]
    fn check_full_with_a_custom_model_is_warned_of() {
        assert!(
            codes("<cpu mode='custom' match='exact' check='full'><model>Westmere</model></cpu>")
                .contains(&"check-full")
        );
        assert!(codes("<cpu check='full'><model>Westmere</model></cpu>").contains(&"check-full"));
        for quiet in [
            "<cpu mode='custom' match='exact' check='partial'><model>Westmere</model></cpu>",
            "<cpu mode='custom' match='exact'><model>Westmere</model></cpu>",
            "<cpu mode='host-passthrough' check='full'/>",
        ] {
            assert!(!codes(quiet).contains(&"check-full"), "{quiet}");
        }
    }
}
