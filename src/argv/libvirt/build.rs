//! `qemuBuildCpuCommandLine`: string assembly from the prepared definition (semantics doc §9).

use super::prepare::PreparedCpu;
use super::release::{self, Rules, feature_to_qemu};
use super::validate::{KVM, hyperv_children_ignored, hyperv_names, parse_c_uint, parse_uip};
use crate::argv::caps::QemuCaps;
use crate::domain::PolicyEffect;
use crate::domain::{Cache, Domain, Hyperv, MaxPhysAddr, Toggle};
use crate::xml::ElemId;
use std::fmt::Write;

/// The model part: leading token, `migratable`, `vendor`, features.
pub(crate) fn model_part(cpu: &PreparedCpu, caps: &QemuCaps, rules: Rules) -> String {
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
    // libvirt 11.3 ([`release::KNOWN_FEATURES_IN_BUILDER`], `qemuBuildCpuModelArgStr`): a
    // disabled feature QEMU does not know (`knownFeatures`) is implicitly off and skipped.
    let known = caps
        .known_features
        .as_ref()
        .filter(|_| rules.since(release::KNOWN_FEATURES_IN_BUILDER));
    for (name, policy) in &cpu.features {
        let q = feature_to_qemu(name, rules.release);
        match policy.effect() {
            PolicyEffect::On => {
                let _ = write!(out, ",{q}=on");
            }
            PolicyEffect::Off => {
                // The list holds libvirt names; a catalog's list is translated with 9.0's table,
                // so a name 11.3 translates (vmx-invvpid-…-noglobals) is also looked up as QEMU
                // spells it.
                if known.is_none_or(|k| k.iter().any(|n| n == name || n == q)) {
                    let _ = write!(out, ",{q}=off");
                }
            }
            // Only host-passthrough and maximum keep `optional` this far: nothing is written
            // (semantics doc 3.1.b).
            PolicyEffect::OnIfHostHas => {}
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

/// The flags part: everything other configuration appends, in libvirt's order
/// (`qemuBuildCpuCommandLine`): the timers, `<apic eoi>`, `<pvspinlock>`, Hyper-V (with its
/// panic device), `<kvm>`, `<pmu>`, then `<cpu>`'s cache and physical address bits.
pub(crate) fn flag_items(
    dom: &Domain,
    cpu: Option<&PreparedCpu>,
    caps: &QemuCaps,
    rules: Rules,
) -> Vec<FlagItem> {
    let mut items = Flags(Vec::new());
    timer_flags(dom, &mut items);
    let f = &dom.features;
    if let Some((el, Some(eoi))) = &f.apic_eoi {
        items.push(*el, format!("kvm-pv-eoi={eoi}"));
    }
    if let Some((el, state)) = &f.pvspinlock {
        items.push(
            *el,
            format!("kvm-pv-unhalt={}", state.as_deref().unwrap_or("on")),
        );
    }
    if let Some(h) = &f.hyperv {
        hyperv_flags(h, rules, &mut items);
    }
    if let Some(&panic) = dom.hyperv_panics.first() {
        items.push(panic, "hv-crash".into());
    }
    if let Some(kvm) = &f.kvm {
        kvm_flags(kvm, &mut items);
    }
    if let Some((el, state)) = &f.pmu {
        items.push(*el, format!("pmu={}", state.as_deref().unwrap_or("on")));
    }
    if let Some(def) = &dom.cpu {
        let pt = cpu.is_some_and(|c| matches!(c.mode.as_str(), "host-passthrough" | "maximum"));
        if let Some(cache) = def.caches.first() {
            cache_flags(cache, pt, caps, rules, &mut items);
        }
        if let Some(addr) = &def.maxphysaddr {
            maxphysaddr_flags(addr, rules, &mut items);
        }
    }
    items.0
}

/// The flag items being gathered, each with the element it comes from.
struct Flags(Vec<FlagItem>);

impl Flags {
    fn push(&mut self, el: ElemId, text: String) {
        self.0.push(FlagItem { text, el });
    }
}

/// `<timer>`s: kvmclock on or off, hv-time, and a TSC frequency.
fn timer_flags(dom: &Domain, items: &mut Flags) {
    for t in &dom.timers {
        match (t.name.as_deref(), t.present.as_deref()) {
            (Some("kvmclock"), Some("yes")) => items.push(t.el, "kvmclock=on".into()),
            (Some("kvmclock"), Some("no")) => items.push(t.el, "kvmclock=off".into()),
            (Some("hypervclock"), Some("yes")) => items.push(t.el, "hv-time=on".into()),
            (Some("tsc"), _) => {
                if let Some(f) = t
                    .frequency
                    .as_deref()
                    .and_then(|f| f.parse::<u64>().ok())
                    .filter(|&f| f > 0)
                {
                    items.push(t.el, format!("tsc-frequency={f}"));
                }
            }
            _ => {}
        }
    }
}

/// `<hyperv>`: `hv-passthrough`, then each enlightenment switched on, in libvirt's enum order
/// (not the document's), with the values and child switches it carries.
fn hyperv_flags(h: &Hyperv, rules: Rules, items: &mut Flags) {
    if h.mode.as_deref() == Some("passthrough") {
        items.push(h.el, "hv-passthrough=on".into());
    }
    let names = if hyperv_children_ignored(h, rules) {
        &[][..]
    } else {
        hyperv_names(rules)
    };
    for name in names {
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
                items.push(t.el, format!("hv-spinlocks=0x{retries:x}"));
            }
            "vendor_id" => items.push(
                t.el,
                format!("hv-vendor-id={}", t.extra("value").unwrap_or_default()),
            ),
            "stimer" => {
                items.push(t.el, "hv-stimer=on".into());
                if let Some(d) = t.children.iter().rev().find(|c| c.name == "direct")
                    && d.state.as_deref() == Some("on")
                {
                    items.push(d.el, "hv-stimer-direct=on".into());
                }
            }
            // libvirt 11.0.0 ([`release::HYPERV_TLBFLUSH_EXT`]): `<direct>` then
            // `<extended>` follow `hv-tlbflush=on`.
            "tlbflush" if rules.since(release::HYPERV_TLBFLUSH_EXT) => {
                items.push(t.el, "hv-tlbflush=on".into());
                for (child, option) in [
                    ("direct", "hv-tlbflush-direct"),
                    ("extended", "hv-tlbflush-ext"),
                ] {
                    if let Some(c) = t.children.iter().rev().find(|c| c.name == child)
                        && c.state.as_deref() == Some("on")
                    {
                        items.push(c.el, format!("{option}=on"));
                    }
                }
            }
            // `virQEMUCapsCPUFeatureToQEMU` of `hv-NAME` (`hv-emsr_bitmap` →
            // `hv-emsr-bitmap`, since libvirt 10.7.0).
            other => items.push(
                t.el,
                format!(
                    "{}=on",
                    feature_to_qemu(&format!("hv-{other}"), rules.release)
                ),
            ),
        }
    }
}

/// `<kvm>` children in libvirt's enum order, the later of a child given twice.
fn kvm_flags(kvm: &[Toggle], items: &mut Flags) {
    for name in KVM {
        let Some(t) = kvm.iter().rev().find(|t| t.name == *name) else {
            continue;
        };
        match (*name, t.state.as_deref()) {
            ("hidden", Some("on")) => items.push(t.el, "kvm=off".into()),
            ("hint-dedicated", Some("on")) => items.push(t.el, "kvm-hint-dedicated=on".into()),
            ("poll-control", Some("on")) => items.push(t.el, "kvm-poll-control=on".into()),
            ("pv-ipi", Some("off")) => items.push(t.el, "kvm-pv-ipi=off".into()),
            _ => {}
        }
    }
}

/// `<cache>`: `l3-cache` and `host-cache-info` by mode; the second of each pair only when QEMU
/// has the `cpu-cache` capability (and `host-cache-info=off` only in the passthrough-like
/// modes, `pt`).
fn cache_flags(cache: &Cache, pt: bool, caps: &QemuCaps, rules: Rules, items: &mut Flags) {
    // libvirt 11.3 ([`release::CPU_CACHE_RETIRED`]): no `cpu-cache` capability to ask.
    let cpu_cache = caps.cpu_cache || rules.since(release::CPU_CACHE_RETIRED);
    let el = cache.el;
    match cache.mode.as_deref() {
        Some("emulate") => {
            items.push(el, "l3-cache=on".into());
            if pt && cpu_cache {
                items.push(el, "host-cache-info=off".into());
            }
        }
        Some("passthrough") => {
            items.push(el, "host-cache-info=on".into());
            if cpu_cache {
                items.push(el, "l3-cache=off".into());
            }
        }
        Some("disable") => {
            if pt && cpu_cache {
                items.push(el, "host-cache-info=off".into());
            }
            if cpu_cache {
                items.push(el, "l3-cache=off".into());
            }
        }
        _ => {}
    }
}

/// `<maxphysaddr>`: `host-phys-bits` for passthrough (with its limit), `phys-bits` for emulate.
fn maxphysaddr_flags(addr: &MaxPhysAddr, rules: Rules, items: &mut Flags) {
    // libvirt 9.3.0 ([`release::PHYS_ADDR_LIMIT`]): `host-phys-bits-limit=N` after
    // passthrough, `host-phys-bits=off` for emulate without bits.
    let since_9_3 = rules.since(release::PHYS_ADDR_LIMIT);
    let bits = addr.bits.as_deref().map(|b| b.parse::<u32>().unwrap_or(0));
    match addr.mode.as_deref() {
        Some("passthrough") => {
            items.push(addr.el, "host-phys-bits=on".into());
            if since_9_3
                && let Some(limit) = addr.limit.as_deref().and_then(parse_uip)
                && limit > 0
            {
                items.push(addr.el, format!("host-phys-bits-limit={limit}"));
            }
        }
        Some("emulate") => match bits {
            Some(b) if !since_9_3 || b > 0 => items.push(addr.el, format!("phys-bits={b}")),
            _ if since_9_3 => items.push(addr.el, "host-phys-bits=off".into()),
            _ => {}
        },
        _ => {}
    }
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
