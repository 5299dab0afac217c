//! What `<features><hyperv>` means: each enlightenment's one-line meaning, its state in a
//! domain, and the enlightenments QEMU requires with it.
//!
//! The names themselves (libvirt's `virDomainHyperv` order, per release) are
//! `argv::libvirt::hyperv_enlightenments`; a test there checks every one has a meaning here.

use super::{Domain, Hyperv, Toggle};

/// The switches nested in an enlightenment (`<stimer><direct state='on'/></stimer>`), written
/// `parent.child`, in libvirt's order.
pub const HYPERV_NESTED: &[(&str, &str)] = &[
    ("stimer", "direct"),
    ("tlbflush", "direct"),
    ("tlbflush", "extended"),
];

/// One line on what an enlightenment (or a nested switch, `stimer.direct`) does for the guest.
pub fn hyperv_meaning(name: &str) -> &'static str {
    match name {
        "relaxed" => "relaxed timing: no watchdog BSODs when the host preempts the vCPU",
        "vapic" => "virtual APIC assist: fewer exits for EOI and interrupt priority",
        "spinlocks" => "tells the guest when to yield a spinning vCPU (retries)",
        "vpindex" => "virtual processor index MSR (needed by synic, tlbflush, ipi)",
        "runtime" => "virtual processor run time MSR: guest sees stolen time",
        "synic" => "synthetic interrupt controller (needs vpindex)",
        "stimer" => "synthetic timers: cheaper guest timers (needs synic, hypervclock)",
        "stimer.direct" => "synthetic timers delivered as direct interrupts",
        "reset" => "reset MSR: the guest can reset the VM",
        "vendor_id" => "hypervisor vendor id the guest reads (value)",
        "frequencies" => "TSC and APIC frequency MSRs: no calibration at boot",
        "reenlightenment" => "notifies the guest when the TSC frequency changes (migration)",
        "tlbflush" => "paravirtual TLB flush: fewer IPIs (needs vpindex)",
        "tlbflush.direct" => "TLB flush hypercalls handled by L0 for nested guests",
        "tlbflush.extended" => "extended gva ranges for TLB flush hypercalls",
        "ipi" => "paravirtual IPIs: one hypercall instead of many (needs vpindex)",
        "evmcs" => "enlightened VMCS for nested Hyper-V (Intel, needs vapic)",
        "avic" => "lets Windows use AMD AVIC / APICv with its enlightenments",
        "emsr_bitmap" => "enlightened MSR bitmap for nested guests",
        "xmm_input" => "hypercall arguments passed in XMM registers",
        _ => "",
    }
}

/// QEMU's rules (target/i386/kvm/kvm.c, `kvm_hyperv_properties[].dependencies`): under KVM it
/// refuses to start with "Hyper-V X (requested by 'hv-x' cpu flag) requires Hyper-V Y
/// ('hv-y')". In libvirt's names; `time` is `<clock><timer name='hypervclock'
/// present='yes'/>` (libvirt's `hv-time`).
pub const HYPERV_DEPENDENCIES: &[(&str, &[&str])] = &[
    ("synic", &["vpindex"]),
    ("stimer", &["synic", "time"]),
    ("stimer.direct", &["stimer"]),
    ("tlbflush", &["vpindex"]),
    ("tlbflush.extended", &["tlbflush"]),
    ("tlbflush.direct", &["evmcs"]),
    ("ipi", &["vpindex"]),
    ("evmcs", &["vapic"]),
];

/// The `hv-*` option QEMU names an enlightenment by (`stimer.direct` → `hv-stimer-direct`,
/// `tlbflush.extended` → `hv-tlbflush-ext`, `time` → `hv-time`).
pub fn hyperv_qemu_name(name: &str) -> String {
    match name {
        "tlbflush.extended" => "hv-tlbflush-ext".into(),
        "spinlocks" | "vendor_id" | "emsr_bitmap" | "xmm_input" => {
            format!("hv-{}", name.replace('_', "-"))
        }
        other => format!("hv-{}", other.replace('.', "-")),
    }
}

impl Hyperv {
    /// The switch of that name (`relaxed`, or nested `stimer.direct`); of one given twice,
    /// the later (libvirt keeps the last).
    pub fn toggle(&self, name: &str) -> Option<&Toggle> {
        let last = |list: &'_ [Toggle], n: &str| -> Option<usize> {
            list.iter().rposition(|t| t.name == n)
        };
        match name.split_once('.') {
            Some((parent, child)) => {
                let p = &self.children[last(&self.children, parent)?];
                last(&p.children, child).map(|i| &p.children[i])
            }
            None => last(&self.children, name).map(|i| &self.children[i]),
        }
    }

    /// Whether the switch is on (a nested one only counts when its parent is on too).
    pub fn is_on(&self, name: &str) -> bool {
        let on = |n: &str| {
            self.toggle(n)
                .is_some_and(|t| t.state.as_deref() == Some("on"))
        };
        match name.split_once('.') {
            Some((parent, _)) => on(parent) && on(name),
            None => on(name),
        }
    }

    pub fn is_passthrough(&self) -> bool {
        self.mode.as_deref() == Some("passthrough")
    }
}

impl Domain {
    /// Whether a Hyper-V enlightenment is on (`time`: the hypervclock timer is present).
    pub fn hyperv_on(&self, name: &str) -> bool {
        if name == "time" {
            return self.timers.iter().any(|t| {
                t.name.as_deref() == Some("hypervclock") && t.present.as_deref() == Some("yes")
            });
        }
        self.features.hyperv.as_ref().is_some_and(|h| h.is_on(name))
    }

    /// `<features><apic/>` is there (libvirt's on).
    pub fn apic_on(&self) -> bool {
        self.features.names.iter().any(|(_, n)| n == "apic")
    }

    /// Each enlightenment that is on while one it requires is not: (the one on, the one
    /// missing), in [`HYPERV_DEPENDENCIES`]' order. Nothing in `mode='passthrough'` (QEMU
    /// takes what the host has).
    pub fn hyperv_unmet(&self) -> Vec<(&'static str, &'static str)> {
        let Some(h) = self.features.hyperv.as_ref() else {
            return Vec::new();
        };
        if h.is_passthrough() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (name, needs) in HYPERV_DEPENDENCIES {
            if !self.hyperv_on(name) {
                continue;
            }
            out.extend(
                needs
                    .iter()
                    .filter(|n| !self.hyperv_on(n))
                    .map(|n| (*name, *n)),
            );
        }
        out
    }
}
