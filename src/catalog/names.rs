//! Feature-name translation between libvirt's spelling and QEMU's.

/// libvirt 9.0's complete translation table (`virQEMUCapsCPUFeatureToQEMU`): libvirt name →
/// the name written to `-cpu`. Every other libvirt name is already QEMU's spelling.
const LIBVIRT_TO_QEMU: &[(&str, &str)] = &[
    ("cmp_legacy", "cmp-legacy"),
    ("ds_cpl", "ds-cpl"),
    ("fxsr_opt", "fxsr-opt"),
    ("kvm_pv_eoi", "kvm-pv-eoi"),
    ("kvm_pv_unhalt", "kvm-pv-unhalt"),
    ("lahf_lm", "lahf-lm"),
    ("nodeid_msr", "nodeid-msr"),
    ("pclmuldq", "pclmulqdq"),
    ("perfctr_core", "perfctr-core"),
    ("perfctr_nb", "perfctr-nb"),
    ("tsc_adjust", "tsc-adjust"),
];

/// The spelling libvirt writes to `-cpu` for a libvirt feature name.
pub fn libvirt_to_qemu(name: &str) -> &str {
    LIBVIRT_TO_QEMU
        .iter()
        .find(|(l, _)| *l == name)
        .map_or(name, |(_, q)| q)
}

/// The libvirt name for a QEMU feature name (the same table read backwards).
pub fn qemu_to_libvirt(name: &str) -> &str {
    LIBVIRT_TO_QEMU
        .iter()
        .find(|(_, q)| *q == name)
        .map_or(name, |(l, _)| l)
}

/// libvirt drops these on x86 whatever the policy (`virQEMUCapsCPUFilterFeatures`).
pub const ALWAYS_DROPPED: &[&str] = &["cmt", "mbm_total", "mbm_local", "osxsave", "ospke"];
