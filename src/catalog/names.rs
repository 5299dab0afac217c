//! Feature-name translation between libvirt's spelling and QEMU's.

use super::versions::Version;

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

/// Entries of `virQEMUCapsCPUFeaturesX86` newer than libvirt 9.0: (the first release that has
/// it, libvirt name, QEMU name). 9.10.0 brought the `vmx-*` features into the CPU map (NEWS
/// 10.2.0), 10.7.0 the `emsr_bitmap` and `xmm_input` enlightenments (NEWS 10.7.0).
const TRANSLATIONS_SINCE: &[(Version, &str, &str)] = &[
    (
        Version::new(9, 10, 0),
        "vmx-invvpid-single-context-noglobals",
        "vmx-invept-single-context-noglobals",
    ),
    (Version::new(10, 7, 0), "hv-emsr_bitmap", "hv-emsr-bitmap"),
    (Version::new(10, 7, 0), "hv-xmm_input", "hv-xmm-input"),
];

/// `virQEMUCapsCPUFeatureToQEMU` of the given libvirt release: the spelling written to `-cpu`.
pub fn libvirt_to_qemu_in(name: &str, release: Version) -> &str {
    TRANSLATIONS_SINCE
        .iter()
        .find(|(v, l, _)| *l == name && release >= *v)
        .map_or_else(|| libvirt_to_qemu(name), |(_, _, q)| q)
}

/// `virQEMUCapsCPUFeatureFromQEMU` of the given libvirt release: the libvirt name of a QEMU
/// property.
pub fn qemu_to_libvirt_in(name: &str, release: Version) -> &str {
    TRANSLATIONS_SINCE
        .iter()
        .find(|(v, _, q)| *q == name && release >= *v)
        .map_or_else(|| qemu_to_libvirt(name), |(_, l, _)| l)
}

/// libvirt drops these on x86 whatever the policy (`virQEMUCapsCPUFilterFeatures`).
pub const ALWAYS_DROPPED: &[&str] = &["cmt", "mbm_total", "mbm_local", "osxsave", "ospke"];
