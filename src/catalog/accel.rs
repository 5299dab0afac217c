//! Per-accelerator defaults QEMU 7.2 applies on top of every built-in model.
//!
//! They are not visible over QMP as such: the catalog is refreshed under TCG (no KVM needed), so
//! what QEMU reports already has the TCG defaults applied, and the KVM defaults must be applied by
//! us. Both tables are copied from QEMU 7.2's source and apply only to built-in models
//! (`xcc->model` set: not `max`, `host` or `base`):
//! - `target/i386/kvm/kvm-cpu.c`, `kvm_default_props[]`, applied in `kvm_cpu_instance_init`.
//!   `x2apic` becomes off without an in-kernel irqchip and `kvm-msi-ext-dest-id` on with a split
//!   irqchip; libvirt always uses the in-kernel irqchip, so the table below is what libvirt
//!   guests get by default.
//! - `target/i386/tcg/tcg-cpu.c`, `tcg_default_props[]`, applied in `tcg_cpu_instance_init`.
//!   What they force cannot be undone from TCG's answers, so where KVM is usable the refresh
//!   reads the model's own value of those features from QEMU under KVM (see [`super::refresh`]);
//!   elsewhere the catalog lists them in `kvm_unobservable`.
//!
//! On top of that, `x86_cpu_expand_features` clears the KVM paravirt word whenever KVM is not the
//! accelerator; the refresh observes which features that clears (they stay off under TCG even
//! when asked for) rather than trusting a name pattern.

/// `kvm_default_props[]`: property, value.
pub const KVM_DEFAULTS: &[(&str, bool)] = &[
    ("kvmclock", true),
    ("kvm-nopiodelay", true),
    ("kvm-asyncpf", true),
    ("kvm-steal-time", true),
    ("kvm-pv-eoi", true),
    ("kvmclock-stable-bit", true),
    ("x2apic", true),
    ("kvm-msi-ext-dest-id", false),
    ("acpi", false),
    ("monitor", false),
    ("svm", false),
];

/// `tcg_default_props[]`: property, value.
pub const TCG_DEFAULTS: &[(&str, bool)] = &[("vme", false)];

/// Features QEMU 7.2 reports as supported under KVM whatever the host CPU says, because QEMU or
/// KVM emulates them (`target/i386/kvm/kvm.c`, `kvm_arch_get_supported_cpuid`): MTRR/PAT/MCE/MCA,
/// the hypervisor bit, TSC-deadline (with the in-kernel irqchip libvirt uses), ARAT ("safe
/// because of emulated APIC") and TOPOEXT ("safe to enable even if not returned by
/// GET_SUPPORTED_CPUID"). A host's CPU description (libvirt's host-model) may lack them, yet a
/// model needing them still runs.
pub const KVM_ALWAYS_SUPPORTED: &[&str] = &[
    "mtrr",
    "pat",
    "mce",
    "mca",
    "hypervisor",
    "tsc-deadline",
    "arat",
    "topoext",
];
