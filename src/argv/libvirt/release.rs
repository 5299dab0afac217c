//! The rules of `-cpu` generation that changed after libvirt 9.0, each gated on the release of
//! the catalog's libvirt map ([`LibvirtMap::release`]): a catalog is always one libvirt release
//! with its own QEMU, so the map says which libvirt the answer must follow.
//!
//! Verified releases are 9.0 (Debian 12) and 11.3 (Debian 13): both the source and a live daemon.
//! Where libvirt's NEWS names the release that introduced a change, the gate is that release;
//! where it does not, the gate is 11.3, the first release the change is verified in, and the
//! comment says so.

use crate::catalog::LibvirtMap;
use crate::catalog::names::{ALWAYS_DROPPED, libvirt_to_qemu_in, qemu_to_libvirt_in};
use crate::catalog::versions::Version;

/// libvirt 9.3.0 (NEWS "Improve handling of maximum physical address configuration"):
/// `<maxphysaddr limit=…>` is parsed (`cpu_conf.c:virCPUDefParseXML`) and written as
/// `host-phys-bits-limit=N`, and `mode='emulate'` without `bits` is accepted
/// (`qemu_validate.c:qemuValidateDomainDefCpu`) and written as `host-phys-bits=off`
/// (`qemu_command.c:qemuBuildCpuCommandLine`).
pub(crate) const PHYS_ADDR_LIMIT: Version = Version::new(9, 3, 0);

/// libvirt 9.10.0 (NEWS 10.2.0: "libvirt 9.9.0 or older … complain about a lot of extra
/// `vmx-*` features"): the CPU map gains the `vmx-*` features; QEMU never had three of them, so
/// `qemu_capabilities.c:ignoredFeatures` (`virQEMUCapsCPUFilterFeatures`) grows by
/// `vmx-ept-uc`, `vmx-ept-wb`, `vmx-invvpid-single-context`, and
/// `virQEMUCapsCPUFeaturesX86` translates `vmx-invvpid-single-context-noglobals` to QEMU's
/// `vmx-invept-single-context-noglobals`.
pub(crate) const VMX_FEATURES: Version = Version::new(9, 10, 0);

/// libvirt 10.7.0 (NEWS "hyperv enlightenment feature hv-emsr-bitmap", "hv-xmm-input"):
/// `<emsr_bitmap>` and `<xmm_input>` join `virDomainHyperv` (`domain_conf.c`) and are written
/// after `avic` through `virQEMUCapsCPUFeatureToQEMU` (`hv-emsr_bitmap` → `hv-emsr-bitmap`,
/// `hv-xmm_input` → `hv-xmm-input`).
pub(crate) const HYPERV_EMSR_XMM: Version = Version::new(10, 7, 0);

/// libvirt 11.0.0 (NEWS "Add support for direct and extended tlbflush features"): `<tlbflush>`
/// takes `<direct>` and `<extended>` children (`virDomainFeaturesHyperVDefParse`), written as
/// `hv-tlbflush-direct=on`, `hv-tlbflush-ext=on` right after `hv-tlbflush=on`.
pub(crate) const HYPERV_TLBFLUSH_EXT: Version = Version::new(11, 0, 0);

/// libvirt 11.0.0 (NEWS "Do not format invalid XML with hyperv features in passthrough mode"):
/// with `<hyperv mode='passthrough'>` the children are not parsed at all
/// (`virDomainFeaturesHyperVDefParse` returns early), so they are neither checked nor written.
pub(crate) const HYPERV_PASSTHROUGH_ONLY: Version = Version::new(11, 0, 0);

/// libvirt 10.4.0 (NEWS "Support for ras feature for virt machine type") adds `<ras>`, 10.7.0
/// (NEWS "ability to disable the built-in PS/2 controller") `<ps2>` to `virDomainFeature`;
/// `async-teardown` and `aia` are in 11.3's enum too (release not pinned by NEWS: gated at 11.3).
const DOMAIN_FEATURES_SINCE: &[(&str, Version)] = &[
    ("async-teardown", Version::new(11, 3, 0)),
    ("ras", Version::new(10, 4, 0)),
    ("ps2", Version::new(10, 7, 0)),
    ("aia", Version::new(11, 3, 0)),
];

/// libvirt 11.3 (release not pinned by NEWS; verified in 11.3's source and daemon):
/// `qemuProcessUpdateGuestCPU` runs `check='partial'` through `qemu_domain.c:qemuDomainCheckCPU`
/// — a model QEMU reports usable passes; a model with `<check partial='compat'/>` in the map
/// (or without QEMU's host CPU data) is compared with the host CPU as before
/// (`virCPUCompare`); any other model is judged by QEMU's blockers (`virCPUCompareUnusable`).
pub(crate) const CHECK_CPU_WITH_QEMU: Version = Version::new(11, 3, 0);

/// libvirt 11.3 (release not pinned by NEWS; `X_QEMU_CAPS_CPU_CACHE` in 11.3's
/// `qemu_capabilities.h`): the `cpu-cache` capability is retired, so
/// `qemuBuildCpuCommandLine` writes `host-cache-info=off` / `l3-cache=off` without asking.
pub(crate) const CPU_CACHE_RETIRED: Version = Version::new(11, 3, 0);

/// libvirt 11.3 (release not pinned by NEWS; verified in 11.3's source and daemon):
/// `qemuBuildCpuModelArgStr` skips a `disable`/`forbid` feature QEMU does not know
/// (`knownFeatures`, from `virQEMUCapsGetCPUFeatures`) instead of
/// `qemuProcessDropUnknownCPUFeatures` removing it from the definition at start.
pub(crate) const KNOWN_FEATURES_IN_BUILDER: Version = Version::new(11, 3, 0);

/// libvirt 11.3 (release not pinned by NEWS; verified in 11.3's source and daemon):
/// `<cpu deprecated_features='on|off'>` is parsed (`virCPUDefParseXML`), and
/// `qemuProcessUpdateGuestCPU` refuses it unless QEMU can expand deprecated properties (an
/// s390-only capability).
pub(crate) const DEPRECATED_FEATURES: Version = Version::new(11, 3, 0);

/// libvirt 11.3 (NEWS of 10.x adds CPU clusters; the release is not verified here, so the gate
/// is the first release verified: 11.3's source and daemon): `<topology clusters=…>` is read
/// (`virCPUDefParseXML`, non-zero, default 1) and counts in the topology's vCPUs
/// (`virDomainDefGetVcpusTopology`); libvirt 9.0 ignores the attribute.
pub(crate) const TOPOLOGY_CLUSTERS: Version = Version::new(11, 3, 0);

/// The release-dependent rules, decided once per generation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    pub release: Version,
}

impl Rules {
    pub fn of(map: &LibvirtMap) -> Rules {
        Rules {
            release: map.release(),
        }
    }

    pub fn since(self, version: Version) -> bool {
        self.release >= version
    }

    /// Whether `<features>` accepts this child (`virDomainFeature`).
    pub fn domain_feature(self, name: &str) -> bool {
        DOMAIN_FEATURES_SINCE
            .iter()
            .find(|(n, _)| *n == name)
            .is_none_or(|(_, v)| self.since(*v))
    }

    /// Whether `virQEMUCapsCPUFilterFeatures` drops this feature whatever its policy.
    pub fn ignored(self, name: &str) -> bool {
        ignored(name, self.release)
    }
}

/// `virQEMUCapsCPUFilterFeatures` (`ignoredFeatures`): libvirt drops these on x86 whatever the
/// policy; the vmx entries since [`VMX_FEATURES`].
pub fn ignored(name: &str, release: Version) -> bool {
    ALWAYS_DROPPED.contains(&name) || (release >= VMX_FEATURES && IGNORED_VMX.contains(&name))
}

const IGNORED_VMX: &[&str] = &["vmx-ept-uc", "vmx-ept-wb", "vmx-invvpid-single-context"];

/// `virQEMUCapsCPUFeatureToQEMU` of the given libvirt release: the spelling written to `-cpu`.
pub fn feature_to_qemu(name: &str, release: Version) -> &str {
    libvirt_to_qemu_in(name, release)
}

/// `virQEMUCapsCPUFeatureFromQEMU` of the given libvirt release: the libvirt name of a QEMU
/// property.
pub fn feature_from_qemu(name: &str, release: Version) -> &str {
    qemu_to_libvirt_in(name, release)
}
