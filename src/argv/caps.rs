//! What libvirt knows about the QEMU binary and the host when it builds `-cpu`.
//!
//! libvirt's result depends on the QEMU capabilities of the emulator (default CPU model of the
//! machine type, a few capability flags, the list of CPU models QEMU offers, the host-model
//! expansion) and on the host CPU. This is that input, explicit, so the same generator serves
//! the CLI (capabilities of the QEMU virt-cpu was built against, host from `virsh
//! domcapabilities`) and the conformance tests (libvirt's recorded or synthetic capabilities).

/// A CPU model as QEMU offers it to libvirt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedModel {
    pub name: String,
    pub usable: Option<bool>,
    pub deprecated: bool,
    /// Features QEMU says block the model on this host (`unavailable-features`).
    pub blockers: Vec<String>,
}

/// A CPU given as a model plus features (libvirt spelling), like libvirt's host CPU.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostCpu {
    pub model: String,
    pub vendor: Option<String>,
    /// (libvirt feature name, enabled) in the order libvirt lists them.
    pub features: Vec<(String, bool)>,
}

impl HostCpu {
    pub fn enabled(&self) -> impl Iterator<Item = &str> {
        self.features
            .iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| n.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QemuCaps {
    /// The machine type's default CPU model (`qemu64` for qemu-system-x86_64), filled in by
    /// libvirt at define time when the domain names no model. `None` with synthetic caps.
    pub default_model: Option<String>,
    /// `cpu.migratable`: `migratable=on|off` is written for host-passthrough/maximum.
    pub cpu_migratable: bool,
    /// `cpu-cache`: the `l3-cache` / `host-cache-info` options exist.
    pub cpu_cache: bool,
    /// `cpu-unavailable-features`: MSR-based features can be used.
    pub cpu_unavailable_features: bool,
    /// `cpu-max`: the `max` model exists.
    pub cpu_max: bool,
    /// Models QEMU offers for the domain's accelerator; `None` when unknown (then every model of
    /// libvirt's map is taken as offered).
    pub models: Option<Vec<OfferedModel>>,
    /// The host-model CPU (QEMU's expansion of `host`, decoded, migratable features only).
    pub host_model: Option<HostCpu>,
    /// The host CPU QEMU reports (libvirt's "reported" host-model CPU, for `check` comparisons);
    /// falls back to `host_model`.
    pub host_cpu: Option<HostCpu>,
    /// For accelerated (KVM) guests: the host CPU libvirt reads from CPUID itself
    /// (`virsh capabilities`). libvirt then compares guests with this CPU plus every feature of
    /// `host_cpu` (the "full" CPU of `virQEMUCapsInitHostCPUModel`). `None` for TCG guests, whose
    /// comparisons use `host_cpu` alone, and when unknown.
    pub host_cpuid: Option<HostCpu>,
    /// Whether the host CPU (`host_cpu`) is QEMU's expansion of the host CPU, decoded
    /// (libvirt marks that CPU `fallback='forbid'`), rather than the CPU libvirt probed itself.
    /// libvirt 11.3's `check='partial'` trusts QEMU's blockers only then (`qemuDomainCheckCPU`).
    pub host_from_qemu: bool,
    /// The QEMU release: machine aliases resolve to its versioned types (`q35` →
    /// `pc-q35-10.0`), as libvirt quotes them in messages. `None`: QEMU 7.2's (the 9.0 pair).
    pub qemu_version: Option<crate::catalog::versions::Version>,
    /// Feature names (libvirt spelling) QEMU knows, from its host expansion (for the catalog's
    /// QEMU, the catalog's feature list): `disable` entries outside this list are dropped
    /// (`qemuProcessDropUnknownCPUFeatures`). `None` when the caps hold no expansion.
    pub known_features: Option<std::sync::Arc<[String]>>,
    /// The host's `virsh domcapabilities`, when given (for usability checks).
    pub domcaps: Option<crate::host::DomCaps>,
}

impl QemuCaps {
    /// Whether QEMU offers `name` (exact, case-sensitive).
    pub fn offers(&self, name: &str) -> bool {
        self.models
            .as_ref()
            .is_none_or(|list| list.iter().any(|m| m.name == name))
    }

    pub fn offered(&self, name: &str) -> Option<&OfferedModel> {
        self.models.as_ref()?.iter().find(|m| m.name == name)
    }

    /// The host CPU for comparisons.
    pub fn host(&self) -> Option<&HostCpu> {
        self.host_cpu.as_ref().or(self.host_model.as_ref())
    }
}

impl QemuCaps {
    /// The capabilities of the QEMU the catalog describes (the QEMU that would run the guest),
    /// as libvirt would probe them: `qemu-system-x86_64` unless the guest is i686 without an
    /// x86_64 emulator, in which case libvirt runs `qemu-system-i386` — whose caps lack
    /// `cpu.migratable` and `cpu-unavailable-features` (semantics doc 1.2.d, 2.1.c, 3.5.b).
    pub fn from_catalog(
        dom: &crate::domain::Domain,
        catalog: &crate::catalog::Catalog,
    ) -> QemuCaps {
        let i386_binary = dom.is_i686()
            && !dom
                .emulator
                .as_deref()
                .is_some_and(|e| e.contains("x86_64"));
        // Under TCG the host does not matter: what QEMU reports unusable for each model
        // (`unavailable-features` of query-cpu-definitions, which libvirt keeps as the model's
        // blockers and its decoder subtracts) is the same everywhere, and the catalog has it.
        // qemu-system-i386 reports no blockers.
        let tcg = dom.virt_type == "qemu" && !i386_binary;
        let q = &catalog.qemu;
        let models = (!q.models.is_empty()).then(|| {
            q.models
                .iter()
                .map(|m| {
                    let blockers: Vec<String> = if tcg {
                        q.names(&m.tcg_unavailable)
                            .into_iter()
                            .map(str::to_string)
                            .collect()
                    } else {
                        Vec::new()
                    };
                    OfferedModel {
                        name: m.name.clone(),
                        usable: tcg.then_some(blockers.is_empty() && m.needs.is_empty()),
                        deprecated: m.deprecated,
                        blockers,
                    }
                })
                .collect()
        });
        QemuCaps {
            default_model: Some(if i386_binary { "qemu32" } else { "qemu64" }.into()),
            cpu_migratable: !i386_binary,
            cpu_cache: true,
            cpu_unavailable_features: !i386_binary,
            cpu_max: true,
            models,
            host_model: None,
            host_cpu: None,
            host_cpuid: None,
            host_from_qemu: false,
            qemu_version: crate::catalog::versions::Version::parse(&catalog.qemu.version),
            // libvirt drops `disable`d features its QEMU does not know, taking QEMU's names from
            // the host CPU expansion it probed; the catalog lists the same features (QEMU's
            // CPUID feature properties).
            known_features: (!catalog.qemu.features.is_empty())
                .then(|| catalog.qemu.libvirt_feature_names()),
            domcaps: None,
        }
    }
}

/// Features QEMU's host CPU expansion reports with `migratable: false` on x86: in every
/// capability dump of libvirt 9.0's test suite (QEMU 4.2 to 8.0) that is `invtsc` alone.
const QEMU_UNMIGRATABLE: &[&str] = &["invtsc"];

impl QemuCaps {
    /// Takes the host facts of a `virsh domcapabilities` document: the host-model CPU (which is
    /// also the CPU libvirt compares guests with) and, per model, usability and blockers.
    pub fn with_host(mut self, host: &crate::host::DomCaps) -> QemuCaps {
        if let Some(hm) = &host.host_model {
            let features: Vec<(String, bool)> = hm
                .required
                .iter()
                .map(|n| (n.clone(), true))
                .chain(hm.disabled.iter().map(|n| (n.clone(), false)))
                .collect();
            let cpu = HostCpu {
                model: hm.model.clone(),
                vendor: hm.vendor.clone(),
                features,
            };
            // domcapabilities shows the host-model CPU as reported; a guest gets the migratable
            // variant, without the features QEMU marks unmigratable.
            let migratable = HostCpu {
                features: cpu
                    .features
                    .iter()
                    .filter(|(n, _)| !QEMU_UNMIGRATABLE.contains(&n.as_str()))
                    .cloned()
                    .collect(),
                ..cpu.clone()
            };
            self.host_cpu = Some(cpu);
            self.host_model = Some(migratable);
            // On x86 the daemon's host-model CPU is QEMU's expansion of the host CPU.
            self.host_from_qemu = true;
        }
        self.host_cpuid = host
            .host_cpu
            .as_ref()
            .filter(|_| host.is_kvm())
            .map(|h| HostCpu {
                model: h.model.clone(),
                vendor: h.vendor.clone(),
                features: h.required.iter().map(|n| (n.clone(), true)).collect(),
            });
        if let Some(models) = &mut self.models {
            // The host's custom models are those its QEMU offers that libvirt's map knows: one
            // it leaves out is not offered there (an older QEMU), so libvirt falls back from it
            // or refuses it. A document without the list leaves the catalog's offer.
            if !host.models.is_empty() {
                models.retain(|m| host.model(&m.name).is_some());
            }
            for m in models.iter_mut() {
                if let Some(c) = host.model(&m.name) {
                    // libvirt 9.0's domcapabilities says `usable='no'` without naming the
                    // blockers; the catalog's (TCG) blockers stand then.
                    if c.usable != Some(false) || !c.blockers.is_empty() || m.usable != Some(false)
                    {
                        m.blockers = c.blockers.clone();
                    }
                    m.usable = c.usable;
                    m.deprecated |= c.deprecated;
                }
            }
        }
        self.domcaps = Some(host.clone());
        self
    }
}
