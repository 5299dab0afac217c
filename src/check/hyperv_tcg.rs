//! `hv-vpindex` under TCG: QEMU's `x86_cpu_pre_plug` (hw/i386/x86.c) refuses it when
//! `kvm_hv_vpindex_settable()` is false, and up to QEMU 8.1 it asks that without checking that
//! KVM is in use; without KVM the answer is the stub's `false`, so a `type='qemu'` guest with
//! vpindex on does not start ("kernel doesn't allow setting HyperV VP_INDEX"). QEMU 8.2 asks
//! `kvm_enabled()` first ("target/i386: Allow elision of kvm_hv_vpindex_settable()", posted
//! September 2023, after 8.1.0) and takes it under TCG.

use super::explain::{Fix, Symptom};
use super::{Diagnostic, Severity};
use crate::argv::CpuArg;
use crate::catalog::Catalog;
use crate::catalog::versions::Version;
use crate::domain::{Domain, HYPERV_DEPENDENCIES};
use crate::edit::{Edit, HvSetting};
use crate::xml::Document;

/// QEMU's refusal, word for word.
pub(super) const REFUSED: &str = "kernel doesn't allow setting HyperV VP_INDEX";

/// The first QEMU that takes `hv-vpindex` under TCG.
pub(super) const VPINDEX_UNDER_TCG_SINCE: Version = Version::new(8, 2, 0);

/// An error when the `-cpu` QEMU gets turns hv-vpindex on for a TCG guest of a QEMU that
/// refuses it.
pub(super) fn check(
    doc: &Document,
    dom: &Domain,
    arg: &CpuArg,
    catalog: &Catalog,
    out: &mut Vec<Diagnostic>,
) {
    if dom.virt_type != "qemu" {
        return;
    }
    let Some(qemu) = Version::parse(&catalog.qemu.version) else {
        return;
    };
    if qemu >= VPINDEX_UNDER_TCG_SINCE || !arg.value.as_deref().is_some_and(vpindex_on) {
        return;
    }
    let el = dom
        .features
        .hyperv
        .as_ref()
        .map(|h| h.toggle("vpindex").map_or(h.el, |t| t.el));
    out.push(
        Diagnostic::new(
            "hyperv-vpindex-tcg",
            Severity::Error,
            format!(
                "Hyper-V vpindex (hv-vpindex) on a TCG guest (type='qemu'): QEMU {} refuses to start (\"{REFUSED}\"); QEMU before {} asks KVM even under TCG; {}",
                qemu.line(),
                VPINDEX_UNDER_TCG_SINCE.line(),
                ways_out(dom)
            ),
        )
        .at(doc, el)
        .symptom(Symptom::HypervVpindex),
    );
}

/// Whether a `-cpu` value turns hv-vpindex on: QEMU takes the last setting of a property.
fn vpindex_on(cpu: &str) -> bool {
    let mut on = false;
    for opt in cpu.split(',') {
        let (name, value) = opt.split_once('=').unwrap_or((opt, "on"));
        if name.trim().replace('_', "-") == "hv-vpindex" {
            on = matches!(value.trim(), "on" | "yes" | "true" | "y");
        }
    }
    on
}

/// vpindex and each enlightenment on that needs it, directly or through another (synic,
/// stimer, tlbflush, ipi): turning vpindex off alone leaves QEMU refusing those. Nested ones
/// (stimer.direct) go with their parent.
fn needing_vpindex(dom: &Domain) -> Vec<&'static str> {
    let mut off: Vec<&'static str> = vec!["vpindex"];
    loop {
        let before = off.len();
        for (name, needs) in HYPERV_DEPENDENCIES {
            if !name.contains('.') && !off.contains(name) && needs.iter().any(|n| off.contains(n)) {
                off.push(name);
            }
        }
        if off.len() == before {
            break;
        }
    }
    let mut shown: Vec<&'static str> = off.into_iter().filter(|n| dom.hyperv_on(n)).collect();
    if shown.is_empty() {
        shown.push("vpindex");
    }
    shown
}

fn set_off(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("{n}=off"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The ways out in one sentence, for check's message.
fn ways_out(dom: &Domain) -> String {
    let names = needing_vpindex(dom);
    format!(
        "turn {} off (`virt-cpu set FILE --hyperv {}`), run the guest under KVM (type='kvm') on a host whose kernel allows setting VP_INDEX, or use QEMU {} or later",
        names.join(", "),
        set_off(&names),
        VPINDEX_UNDER_TCG_SINCE.line()
    )
}

/// What `explain` says of QEMU's refusal.
pub(super) fn what() -> String {
    format!(
        "QEMU refuses Hyper-V vpindex (hv-vpindex): \"{REFUSED}\" — under TCG (type='qemu') QEMU before {} refuses it always (it asks KVM anyway); under KVM the host kernel does not allow it",
        VPINDEX_UNDER_TCG_SINCE.line()
    )
}

/// `explain`'s ways out: vpindex off with what needs it (edits for the domain at hand), or
/// another accelerator or QEMU.
pub(super) fn fixes(dom: Option<&Domain>) -> Vec<Fix> {
    let names = match dom {
        Some(d) => needing_vpindex(d),
        None => vec!["vpindex", "synic", "stimer", "tlbflush", "ipi"],
    };
    vec![
        Fix {
            advice: None,
            text: format!(
                "turn {} off: Hyper-V without a VP index (`virt-cpu set FILE --hyperv {}`)",
                names.join(", "),
                set_off(&names)
            ),
            edits: names
                .iter()
                .map(|n| Edit::SetHyperv(HvSetting::off(n)))
                .collect(),
        },
        Fix {
            advice: None,
            text: format!(
                "run the guest under KVM (<domain type='kvm'>) on a host whose kernel allows setting VP_INDEX, or under TCG with QEMU {} or later",
                VPINDEX_UNDER_TCG_SINCE.line()
            ),
            edits: Vec::new(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::vpindex_on;

    #[test]
    fn the_last_vpindex_setting_counts() {
        assert!(vpindex_on(
            "Skylake-Client-IBRS,hv-relaxed=on,hv-vpindex=on"
        ));
        assert!(vpindex_on("qemu64,hv_vpindex"));
        assert!(!vpindex_on("qemu64,hv-vpindex=on,hv-vpindex=off"));
        assert!(!vpindex_on("qemu64,hv-relaxed=on"));
    }
}
