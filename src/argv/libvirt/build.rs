//! `qemuBuildCpuCommandLine`: string assembly from the prepared definition (semantics doc §9).

use super::prepare::{Policy, PreparedCpu};
use super::validate::{HYPERV, KVM, parse_c_uint};
use crate::argv::caps::QemuCaps;
use crate::catalog::names::libvirt_to_qemu;
use crate::domain::Domain;
use std::fmt::Write;

/// The model part: leading token, `migratable`, `vendor`, features.
pub(crate) fn model_part(cpu: &PreparedCpu, caps: &QemuCaps) -> String {
    let mut out = match cpu.mode.as_str() {
        "host-passthrough" => "host".to_string(),
        "maximum" => "max".to_string(),
        _ => match &cpu.model {
            Some(m) => m.clone(),
            None => return String::new(),
        },
    };
    if matches!(cpu.mode.as_str(), "host-passthrough" | "maximum")
        && caps.cpu_migratable
        && let Some(m) = &cpu.migratable
    {
        let _ = write!(out, ",migratable={m}");
    }
    if let Some(v) = &cpu.vendor_id {
        let _ = write!(out, ",vendor={v}");
    }
    for (name, policy) in &cpu.features {
        let q = libvirt_to_qemu(name);
        match policy {
            Policy::Force | Policy::Require => {
                let _ = write!(out, ",{q}=on");
            }
            Policy::Disable | Policy::Forbid => {
                let _ = write!(out, ",{q}=off");
            }
            Policy::Optional => {}
        }
    }
    out
}

/// One item appended by other configuration, and the element it comes from (the checks use
/// this to name both places of a clash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagItem {
    pub text: String,
    pub el: crate::xml::ElemId,
}

/// The flags part: everything other configuration appends, in libvirt's order.
pub(crate) fn flag_items(
    dom: &Domain,
    cpu: Option<&PreparedCpu>,
    caps: &QemuCaps,
) -> Vec<FlagItem> {
    let mut items = Vec::new();
    let mut push = |el, text: String| items.push(FlagItem { text, el });
    for t in &dom.timers {
        match (t.name.as_deref(), t.present.as_deref()) {
            (Some("kvmclock"), Some("yes")) => push(t.el, "kvmclock=on".into()),
            (Some("kvmclock"), Some("no")) => push(t.el, "kvmclock=off".into()),
            (Some("hypervclock"), Some("yes")) => push(t.el, "hv-time=on".into()),
            (Some("tsc"), _) => {
                if let Some(f) = t
                    .frequency
                    .as_deref()
                    .and_then(|f| f.parse::<u64>().ok())
                    .filter(|&f| f > 0)
                {
                    push(t.el, format!("tsc-frequency={f}"));
                }
            }
            _ => {}
        }
    }
    let f = &dom.features;
    if let Some((el, Some(eoi))) = &f.apic_eoi {
        push(*el, format!("kvm-pv-eoi={eoi}"));
    }
    if let Some((el, state)) = &f.pvspinlock {
        push(
            *el,
            format!("kvm-pv-unhalt={}", state.as_deref().unwrap_or("on")),
        );
    }
    if let Some(h) = &f.hyperv {
        if h.mode.as_deref() == Some("passthrough") {
            push(h.el, "hv-passthrough=on".into());
        }
        for name in HYPERV {
            // A child given twice: the later one wins.
            let Some(t) = h.children.iter().rev().find(|t| t.name == *name) else {
                continue;
            };
            if t.state.as_deref() != Some("on") {
                continue;
            }
            match *name {
                "spinlocks" => {
                    let retries = t.extra("retries").and_then(parse_c_uint).unwrap_or(0);
                    push(t.el, format!("hv-spinlocks=0x{retries:x}"));
                }
                "vendor_id" => push(
                    t.el,
                    format!("hv-vendor-id={}", t.extra("value").unwrap_or_default()),
                ),
                "stimer" => {
                    push(t.el, "hv-stimer=on".into());
                    if let Some(d) = t.children.iter().rev().find(|c| c.name == "direct")
                        && d.state.as_deref() == Some("on")
                    {
                        push(d.el, "hv-stimer-direct=on".into());
                    }
                }
                other => push(t.el, format!("hv-{other}=on")),
            }
        }
    }
    if let Some(&panic) = dom.hyperv_panics.first() {
        push(panic, "hv-crash".into());
    }
    if let Some(kvm) = &f.kvm {
        for name in KVM {
            let Some(t) = kvm.iter().rev().find(|t| t.name == *name) else {
                continue;
            };
            match (*name, t.state.as_deref()) {
                ("hidden", Some("on")) => push(t.el, "kvm=off".into()),
                ("hint-dedicated", Some("on")) => push(t.el, "kvm-hint-dedicated=on".into()),
                ("poll-control", Some("on")) => push(t.el, "kvm-poll-control=on".into()),
                ("pv-ipi", Some("off")) => push(t.el, "kvm-pv-ipi=off".into()),
                _ => {}
            }
        }
    }
    if let Some((el, state)) = &f.pmu {
        push(*el, format!("pmu={}", state.as_deref().unwrap_or("on")));
    }
    if let Some(def) = &dom.cpu {
        let pt = cpu.is_some_and(|c| matches!(c.mode.as_str(), "host-passthrough" | "maximum"));
        if let Some(cache) = def.caches.first() {
            let el = cache.el;
            match cache.mode.as_deref() {
                Some("emulate") => {
                    push(el, "l3-cache=on".into());
                    if pt && caps.cpu_cache {
                        push(el, "host-cache-info=off".into());
                    }
                }
                Some("passthrough") => {
                    push(el, "host-cache-info=on".into());
                    if caps.cpu_cache {
                        push(el, "l3-cache=off".into());
                    }
                }
                Some("disable") => {
                    if pt && caps.cpu_cache {
                        push(el, "host-cache-info=off".into());
                    }
                    if caps.cpu_cache {
                        push(el, "l3-cache=off".into());
                    }
                }
                _ => {}
            }
        }
        if let Some(addr) = &def.maxphysaddr {
            match (addr.mode.as_deref(), addr.bits.as_deref()) {
                (Some("passthrough"), _) => push(addr.el, "host-phys-bits=on".into()),
                (Some("emulate"), Some(bits)) => push(
                    addr.el,
                    format!("phys-bits={}", bits.parse::<u32>().unwrap_or(0)),
                ),
                _ => {}
            }
        }
    }
    items
}

/// The legacy model choice when there is no model part (rules 1.3.a and 1.3.b).
pub(crate) fn legacy_model(dom: &Domain, have_flags: bool) -> Option<&'static str> {
    let emulator = dom.emulator.as_deref().unwrap_or_default();
    if dom.is_i686() && (emulator.contains("x86_64") || emulator.contains("kvm")) {
        return Some("qemu32");
    }
    if have_flags {
        return Some(if dom.is_i686() { "qemu32" } else { "qemu64" });
    }
    None
}
