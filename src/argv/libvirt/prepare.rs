//! What libvirt does to `<cpu>` between parsing and building `-cpu`: post-parse defaults
//! (semantics doc §1.2, §2.2) and start preparation (§2.2–2.4, §3.4, §3.5).

use super::super::caps::{HostCpu, QemuCaps};
use super::super::error::{LibvirtError, Stage, Unchecked, unsupported};
use super::release::{self, Rules, feature_from_qemu};
use super::validate::{has_model, mode_of};
use crate::catalog::LibvirtMap;
use crate::domain::{Domain, Policy};
use std::borrow::Cow;
use std::collections::BTreeSet;

/// The CPU definition as the command-line builder sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedCpu {
    pub mode: String,
    pub model: Option<String>,
    pub vendor_id: Option<String>,
    pub migratable: Option<String>,
    pub features: Vec<(String, Policy)>,
    pub cache_mode: Option<String>,
    pub maxphysaddr: Option<(String, Option<String>)>,
}

pub(crate) struct Context<'a> {
    pub dom: &'a Domain,
    pub caps: &'a QemuCaps,
    pub map: &'a LibvirtMap,
    pub rules: Rules,
    /// The start-time host checks left undone for want of the host.
    pub unchecked: std::cell::RefCell<Vec<Unchecked>>,
}

impl Context<'_> {
    /// Post-parse: the CPU libvirt stores at define time, or `None` when libvirt emits no
    /// model part (no `<cpu>` and no default model).
    pub fn post_parse(&self) -> Result<Option<PreparedCpu>, LibvirtError> {
        let cpu = self.dom.cpu.as_ref();
        let needs_default = cpu.is_none_or(|c| mode_of(c) == "custom" && !has_model(c));
        let mut prepared = match cpu {
            Some(c) => PreparedCpu {
                mode: mode_of(c).to_string(),
                model: c
                    .model
                    .as_ref()
                    .map(|m| m.name.clone())
                    .filter(|n| !n.is_empty()),
                vendor_id: c
                    .model
                    .as_ref()
                    .and_then(|m| m.vendor_id.clone())
                    .filter(|_| !matches!(mode_of(c), "host-passthrough" | "maximum")),
                migratable: c.migratable.clone(),
                features: c
                    .features
                    .iter()
                    .map(|f| {
                        (
                            f.name.clone().unwrap_or_default(),
                            // Validation refused any other value before this runs.
                            f.known_policy().unwrap_or(Policy::DEFAULT),
                        )
                    })
                    .collect(),
                cache_mode: c.caches.first().and_then(|k| k.mode.clone()),
                maxphysaddr: c
                    .maxphysaddr
                    .as_ref()
                    .and_then(|a| a.mode.clone().map(|m| (m, a.bits.clone()))),
            },
            None => PreparedCpu {
                mode: "custom".into(),
                model: None,
                vendor_id: None,
                migratable: None,
                features: Vec::new(),
                cache_mode: None,
                maxphysaddr: None,
            },
        };
        if needs_default {
            match &self.caps.default_model {
                Some(model) => prepared.model = Some(model.clone()),
                None => {
                    if let Some(c) = cpu
                        && c.check.is_some()
                    {
                        return Err(unsupported(
                            Stage::Define,
                            Some(c.el),
                            "check attribute specified for CPU with no model",
                        ));
                    }
                }
            }
        }
        if prepared.mode == "host-passthrough" && prepared.migratable.is_none() {
            prepared.migratable = Some(
                if self.caps.cpu_migratable {
                    "on"
                } else {
                    "off"
                }
                .into(),
            );
        }
        Ok(Some(prepared))
    }

    /// The effective `check` after post-parse defaults.
    fn check(&self, needs_default: bool) -> &str {
        let Some(cpu) = self.dom.cpu.as_ref() else {
            return "none";
        };
        if needs_default && self.caps.default_model.is_some() {
            return "none";
        }
        match cpu.check.as_deref() {
            Some(c) => c,
            None => match mode_of(cpu) {
                "host-passthrough" | "maximum" => "none",
                "host-model" => "partial",
                _ if self.dom.virt_type == "qemu" => "none",
                _ => "partial",
            },
        }
    }

    /// Start preparation: the checks and rewrites of `qemuProcessStartValidate` and
    /// `qemuProcessUpdateGuestCPU`.
    pub fn start(&self, cpu: PreparedCpu) -> Result<PreparedCpu, LibvirtError> {
        let cpu = self.update_guest_cpu(cpu)?;
        // libvirt 11.3 ([`release::DEPRECATED_FEATURES`], end of `qemuProcessUpdateGuestCPU`):
        // only s390 QEMUs can toggle deprecated features. The CPU has a model here (the
        // machine's default one at least) unless libvirt skipped the whole function.
        if self.rules.since(release::DEPRECATED_FEATURES)
            && let Some(def) = self.dom.cpu.as_ref()
            && matches!(def.deprecated_features.as_deref(), Some("on" | "off"))
            && (cpu.model.is_some() || cpu.mode != "custom")
        {
            return Err(unsupported(
                Stage::Start,
                Some(def.el),
                "toggling deprecated features for CPU model is unsupported",
            ));
        }
        Ok(cpu)
    }

    fn update_guest_cpu(&self, mut cpu: PreparedCpu) -> Result<PreparedCpu, LibvirtError> {
        if let Some(def) = self.dom.cpu.as_ref() {
            self.validate_features(def)?;
        }
        self.validate_tsc()?;
        let Some(def) = self.dom.cpu.as_ref() else {
            return Ok(cpu);
        };
        let el = Some(def.el);
        let needs_default = mode_of(def) == "custom" && !has_model(def);
        if needs_default {
            // A custom CPU without a model is skipped by start preparation.
            return Ok(cpu);
        }
        self.check_mode_supported(&cpu)?;
        let check = self.check(needs_default).to_string();
        let host = (check != "none").then(|| self.full_host()).flatten();
        // `virCPUCheckForbiddenFeatures` with check='full' (with 'partial' the comparison
        // below covers it).
        if check == "full"
            && self.host_unknown()
            && cpu.features.iter().any(|(_, p)| *p == Policy::Forbid)
        {
            self.not_checked(
                def,
                "check='full'",
                "provides none of its forbidden features",
            );
        }
        if let Some(host) = &host {
            // `virCPUCheckForbiddenFeatures`: only the features the host CPU lists count, not
            // those of its model (`x86Compute` below sees those).
            for (name, policy) in &cpu.features {
                if *policy == Policy::Forbid && host.features.iter().any(|(n, on)| n == name && *on)
                {
                    return Err(incompatible(
                        el,
                        format!("Host CPU provides forbidden feature '{name}'"),
                    ));
                }
            }
        }
        if matches!(cpu.mode.as_str(), "custom" | "host-model") {
            if check == "partial" {
                if self.rules.since(release::CHECK_CPU_WITH_QEMU) {
                    self.check_cpu(&cpu, def, host.as_deref())?;
                } else {
                    self.compare_if_known(&cpu, def, host.as_deref())?;
                }
            }
            self.update(&mut cpu, def)?;
            self.translate(&mut cpu, def)?;
        }
        self.filter(&mut cpu);
        Ok(cpu)
    }

    /// `qemuProcessStartValidate`: every feature must be in libvirt's map
    /// (`virCPUValidateFeatures`), and MSR features need `cpu-unavailable-features`.
    fn validate_features(&self, def: &crate::domain::CpuDef) -> Result<(), LibvirtError> {
        for f in &def.features {
            let name = f.name.as_deref().unwrap_or_default();
            if self.map.feature(name).is_none() {
                return Err(unsupported(
                    Stage::Start,
                    Some(f.el),
                    format!("unknown CPU feature: {name}"),
                ));
            }
        }
        if !self.caps.cpu_unavailable_features {
            let msr: Vec<&str> = def
                .features
                .iter()
                .filter_map(|f| f.name.as_deref())
                .filter(|n| self.map.feature(n).is_some_and(|f| f.is_msr()))
                .collect();
            if !msr.is_empty() {
                return Err(unsupported(
                    Stage::Start,
                    Some(def.el),
                    format!(
                        "Some features cannot be reliably used with this QEMU: {}",
                        msr.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `qemuProcessStartValidateTSC`, for every virt type: a TSC frequency more than 250 ppm
    /// away from the host's needs TSC scaling, unless libvirt does not know whether the host
    /// has it (`virsh capabilities`, `<counter name='tsc'>`).
    fn validate_tsc(&self) -> Result<(), LibvirtError> {
        let Some((el, freq)) = self.dom.timers.iter().find_map(|t| {
            let f = t.frequency.as_deref()?.parse::<u64>().ok()?;
            (t.name.as_deref() == Some("tsc") && f > 0).then_some((t.el, f))
        }) else {
            return Ok(());
        };
        let Some(tsc) = self.caps.domcaps.as_ref().and_then(|d| d.host_tsc) else {
            return Ok(());
        };
        let tolerance = tsc.frequency.saturating_mul(250) / 1_000_000;
        let min = tsc.frequency - tolerance;
        let max = tsc.frequency + tolerance;
        if (min..=max).contains(&freq) || tsc.scaling != Some(false) {
            return Ok(());
        }
        Err(unsupported(
            Stage::Start,
            Some(el),
            format!(
                "Requested TSC frequency {freq} Hz is outside tolerance range ([{min}, {max}] Hz) around host frequency {} Hz and TSC scaling is not supported by the host CPU",
                tsc.frequency
            ),
        ))
    }

    fn check_mode_supported(&self, cpu: &PreparedCpu) -> Result<(), LibvirtError> {
        let supported = match cpu.mode.as_str() {
            "host-passthrough" => self.dom.virt_type != "qemu",
            "host-model" => {
                if self.caps.host_model.is_none() {
                    return Err(needs_host(self.dom, "host-model"));
                }
                true
            }
            "custom" => self.caps.models.as_ref().is_none_or(|m| !m.is_empty()),
            "maximum" => self.caps.cpu_max,
            _ => true,
        };
        if supported {
            Ok(())
        } else {
            Err(unsupported(
                Stage::Start,
                self.dom.cpu.as_ref().map(|c| c.el),
                format!(
                    "CPU mode '{}' for {} {} domain on x86_64 host is not supported by hypervisor",
                    cpu.mode,
                    self.dom.guest_arch(),
                    self.dom.virt_type
                ),
            ))
        }
    }

    /// Whether the host CPU has a feature: listed as enabled, or part of its model.
    fn host_has(&self, host: &HostCpu, name: &str) -> bool {
        if let Some((_, on)) = host.features.iter().find(|(n, _)| n == name) {
            return *on;
        }
        self.map
            .model(&host.model)
            .is_some_and(|m| m.features.iter().any(|f| f == name))
    }

    /// Every feature a host CPU has: its model's, minus those it disables, plus those it lists.
    fn host_features<'h>(&'h self, host: &'h HostCpu) -> BTreeSet<&'h str> {
        let mut set: BTreeSet<&str> = self
            .map
            .model(&host.model)
            .map(|m| m.features.iter().collect())
            .unwrap_or_default();
        for (name, on) in &host.features {
            if *on {
                set.insert(name);
            } else {
                set.remove(name.as_str());
            }
        }
        set
    }

    /// The host CPU libvirt checks the guest against (`virQEMUCapsGetHostModel(…,
    /// VIR_QEMU_CAPS_HOST_CPU_FULL)`). For accelerated guests `virQEMUCapsInitHostCPUModel`
    /// builds a "full" CPU: the host CPU libvirt reads from CPUID, with every feature QEMU's
    /// host expansion (the reported host-model) enables added as required, so a feature KVM
    /// cannot pass on is not reported missing. For TCG that CPU does not exist and the reported
    /// CPU (QEMU's TCG host expansion) is used.
    fn full_host(&self) -> Option<Cow<'_, HostCpu>> {
        let reported = self.caps.host();
        let Some(cpuid) = &self.caps.host_cpuid else {
            return reported.map(Cow::Borrowed);
        };
        let mut full = cpuid.clone();
        if let Some(reported) = reported {
            let mut expanded: Vec<&str> = self.host_features(reported).into_iter().collect();
            expanded.sort_by_key(|f| self.map.feature_index(f));
            for name in expanded {
                match full.features.iter_mut().find(|(n, _)| n == name) {
                    Some(slot) => slot.1 = true,
                    None => full.features.push((name.to_string(), true)),
                }
            }
        }
        if !self.caps.cpu_unavailable_features {
            full.features
                .retain(|(n, _)| !self.map.feature(n).is_some_and(|f| f.is_msr()));
        }
        Some(Cow::Owned(full))
    }

    /// Feature names in libvirt's map order (how `x86FeatureNames` lists them).
    fn in_map_order<'n>(&self, names: impl IntoIterator<Item = &'n str>) -> String {
        let mut names: Vec<&str> = names.into_iter().collect();
        names.sort_by_key(|f| self.map.feature_index(f));
        names.dedup();
        names.join(", ")
    }

    fn unknown_model(&self, name: &str, el: Option<crate::xml::ElemId>) -> LibvirtError {
        LibvirtError::new(
            Stage::Start,
            el,
            format!("internal error: Unknown CPU model {name}"),
        )
    }

    /// `check='partial'`: `virCPUCompare` → `x86Compute`, for custom and host-model CPUs. The
    /// guest's vendor must be the host's, no forbidden feature may be on the host, the host must
    /// have every feature the guest requires (its model's and its `require` ones, less those it
    /// forces, disables or makes optional), and with `match='strict'` nothing more.
    fn compare(
        &self,
        cpu: &PreparedCpu,
        def: &crate::domain::CpuDef,
        host: &HostCpu,
    ) -> Result<(), LibvirtError> {
        let el = Some(def.el);
        if let Some(vendor) = &def.vendor
            && host.vendor.as_ref() != Some(vendor)
        {
            return Err(incompatible(
                el,
                format!("host CPU vendor does not match required CPU vendor {vendor}"),
            ));
        }
        let host_data = self.host_features(host);
        let forbidden: Vec<&str> = with_policy(cpu, Policy::Forbid)
            .filter(|f| host_data.contains(f))
            .collect();
        if !forbidden.is_empty() {
            return Err(incompatible(
                el,
                format!(
                    "Host CPU provides forbidden features: {}",
                    self.in_map_order(forbidden)
                ),
            ));
        }
        let required = self.required_features(cpu, el)?;
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|f| !host_data.contains(f))
            .collect();
        if !missing.is_empty() {
            return Err(incompatible(
                el,
                format!(
                    "Host CPU does not provide required features: {}",
                    self.in_map_order(missing)
                ),
            ));
        }
        if def.match_.as_deref() == Some("strict") {
            let mut extra = host_data.clone();
            for f in required
                .iter()
                .copied()
                .chain(with_policy(cpu, Policy::Optional))
                .chain(with_policy(cpu, Policy::Disable))
                .chain(with_policy(cpu, Policy::Force))
            {
                extra.remove(f);
            }
            if !extra.is_empty() {
                return Err(incompatible(
                    el,
                    format!(
                        "Host CPU does not strictly match guest CPU: Extra features: {}",
                        self.in_map_order(extra)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// What the guest requires of the host in [`Self::compare`]: its model's features (from
    /// libvirt's map) and its `require` ones, less those it forces, makes optional or disables.
    fn required_features<'a>(
        &'a self,
        cpu: &'a PreparedCpu,
        el: Option<crate::xml::ElemId>,
    ) -> Result<BTreeSet<&'a str>, LibvirtError> {
        let mut required: BTreeSet<&str> = BTreeSet::new();
        if let Some(name) = &cpu.model {
            let Some(model) = self.map.model(name) else {
                return Err(self.unknown_model(name, el));
            };
            required.extend(model.features.iter());
        }
        required.extend(with_policy(cpu, Policy::Require));
        for policy in [Policy::Force, Policy::Optional, Policy::Disable] {
            for f in with_policy(cpu, policy) {
                required.remove(f);
            }
        }
        Ok(required)
    }

    /// [`Self::compare`] with the host CPU; when virt-cpu does not know the host, the
    /// comparison libvirt makes at start is noted as not made.
    fn compare_if_known(
        &self,
        cpu: &PreparedCpu,
        def: &crate::domain::CpuDef,
        host: Option<&HostCpu>,
    ) -> Result<(), LibvirtError> {
        match host {
            Some(host) => self.compare(cpu, def, host),
            None => {
                if self.host_unknown() {
                    let why = if def.check.is_some() {
                        "check='partial'"
                    } else {
                        "check='partial', the default for a KVM guest's custom CPU"
                    };
                    self.not_checked(def, why, "has every feature it requires");
                }
                Ok(())
            }
        }
    }

    /// No host facts were given (`--host-caps`, `-c`): libvirt's start-time comparison with
    /// the host CPU is virt-cpu's to skip, not libvirt's.
    fn host_unknown(&self) -> bool {
        self.caps.host().is_none() && self.caps.host_cpuid.is_none() && self.caps.domcaps.is_none()
    }

    /// Records a start-time host check left undone (see [`Unchecked`]).
    fn not_checked(&self, def: &crate::domain::CpuDef, why: &str, what: &str) {
        self.unchecked.borrow_mut().push(Unchecked {
            message: format!(
                "libvirt compares this CPU with the host CPU when the domain starts ({why}) and refuses to start it unless the host {what}; \
                 without the host virt-cpu cannot tell whether it will: pass --host-caps FILE (saved `virsh domcapabilities` output) or -c URI. \
                 A note, not an error: the -cpu value does not depend on the host, and the domain starts on a host that passes"
            ),
            stage: Stage::Start,
            el: Some(def.el),
        });
    }

    /// `qemuDomainCheckCPU` (libvirt 11.3, [`release::CHECK_CPU_WITH_QEMU`]): a model QEMU
    /// reports usable, with no feature but disabled ones, passes (`virQEMUCapsIsCPUUsable`).
    /// Otherwise the map's `<check partial='compat'/>` models — and every CPU when QEMU gave
    /// no host CPU or does not list the model — are compared with the host CPU as before
    /// (`virCPUCompare`); the others by QEMU's blockers (`virCPUCompareUnusable`).
    fn check_cpu(
        &self,
        cpu: &PreparedCpu,
        def: &crate::domain::CpuDef,
        full: Option<&HostCpu>,
    ) -> Result<(), LibvirtError> {
        let el = Some(def.el);
        let offered = cpu.model.as_deref().and_then(|m| self.caps.offered(m));
        let only_disabled = cpu.features.iter().all(|(_, p)| *p == Policy::Disable);
        if only_disabled && offered.is_some_and(|m| m.usable == Some(true)) {
            return Ok(());
        }
        let reported = self.caps.host().filter(|_| self.caps.host_from_qemu);
        let (Some(model), Some(reported), Some(offered)) =
            (cpu.model.as_deref(), reported, offered)
        else {
            return self.compare_if_known(cpu, def, full);
        };
        // `virCPUx86GetCheckMode`.
        let Some(map_model) = self.map.model(model) else {
            return Err(LibvirtError::new(
                Stage::Start,
                el,
                format!("invalid argument: unknown CPU model {model}"),
            ));
        };
        if map_model.check_compat {
            return self.compare_if_known(cpu, def, full);
        }
        // `virCPUCompareUnusable`: blockers the guest does not disable, then required features
        // the expanded host CPU lacks.
        let mut missing: Vec<&str> = offered
            .blockers
            .iter()
            .map(|b| feature_from_qemu(b, self.rules.release))
            .filter(|b| {
                !cpu.features
                    .iter()
                    .any(|(n, p)| n == b && *p == Policy::Disable)
            })
            .collect();
        let host = self.host_features(reported);
        missing.extend(
            cpu.features
                .iter()
                .filter(|(n, p)| *p == Policy::Require && !host.contains(n.as_str()))
                .map(|(n, _)| n.as_str()),
        );
        if missing.is_empty() {
            return Ok(());
        }
        Err(incompatible(
            el,
            format!(
                "Host CPU does not provide required features: {}",
                missing.join(", ")
            ),
        ))
    }

    /// `virCPUx86Update`: optional features, host-model, `match='minimum'`, removed features.
    fn update(
        &self,
        cpu: &mut PreparedCpu,
        def: &crate::domain::CpuDef,
    ) -> Result<(), LibvirtError> {
        let relative = cpu.mode == "host-model"
            || def.match_.as_deref() == Some("minimum")
            || cpu.features.iter().any(|(_, p)| *p == Policy::Optional);
        if relative {
            let Some(host) = self.caps.host_model.as_ref() else {
                return Err(needs_host(
                    self.dom,
                    "a relative CPU (host-model, match='minimum' or an optional feature)",
                ));
            };
            for (name, policy) in cpu.features.iter_mut() {
                if *policy == Policy::Optional {
                    *policy = if self.host_has(host, name) {
                        Policy::Require
                    } else {
                        Policy::Disable
                    };
                }
            }
            if cpu.mode == "host-model" || def.match_.as_deref() == Some("minimum") {
                let guest = std::mem::take(&mut cpu.features);
                cpu.mode = "custom".into();
                cpu.model = Some(host.model.clone());
                cpu.features = host
                    .features
                    .iter()
                    .filter(|(n, _)| !self.rules.ignored(n))
                    .map(|(n, on)| {
                        (
                            n.clone(),
                            if *on {
                                Policy::Require
                            } else {
                                Policy::Disable
                            },
                        )
                    })
                    .collect();
                apply_features(&mut cpu.features, guest);
            }
        }
        let name = cpu.model.clone().unwrap_or_default();
        let Some(model) = self.map.model(&name) else {
            return Err(
                self.unknown_model(&name, def.model.as_ref().map(|m| m.el).or(Some(def.el)))
            );
        };
        for removed in &model.removed {
            if !cpu.features.iter().any(|(n, _)| n == removed) {
                cpu.features.push((removed.to_string(), Policy::Disable));
            }
        }
        Ok(())
    }

    /// `virCPUTranslate`: a model libvirt knows but QEMU does not offer is refused with
    /// `fallback='forbid'`, and otherwise replaced by the closest model QEMU offers
    /// (`virCPUx86Translate`, rule 2.4.b).
    fn translate(
        &self,
        cpu: &mut PreparedCpu,
        def: &crate::domain::CpuDef,
    ) -> Result<(), LibvirtError> {
        let name = cpu.model.clone().unwrap_or_default();
        if self.caps.offers(&name) {
            return Ok(());
        }
        let forbid = def.model.as_ref().and_then(|m| m.fallback.as_deref()) == Some("forbid");
        let el = def.model.as_ref().map(|m| m.el).or(Some(def.el));
        if forbid {
            return Err(unsupported(
                Stage::Start,
                el,
                format!("CPU model {name} is not supported by hypervisor"),
            ));
        }
        let (model, features) =
            super::decode::translate(&name, &cpu.features, self.caps.models.as_deref(), self.map)
                .map_err(|e| LibvirtError::new(Stage::Start, el, e.to_string()))?;
        cpu.model = Some(model);
        cpu.features = features;
        Ok(())
    }

    /// `virQEMUCapsCPUFilterFeatures` and (before libvirt 11.3, which skips them in the
    /// builder instead) `qemuProcessDropUnknownCPUFeatures`.
    fn filter(&self, cpu: &mut PreparedCpu) {
        cpu.features.retain(|(n, _)| !self.rules.ignored(n));
        if let Some(known) = self
            .caps
            .known_features
            .as_ref()
            .filter(|_| !self.rules.since(release::KNOWN_FEATURES_IN_BUILDER))
        {
            cpu.features
                .retain(|(n, p)| !p.disables() || known.iter().any(|k| k == n));
        }
    }
}

/// Guest features over a base list: a feature already listed changes its policy in place, a
/// new one is appended (document order).
fn apply_features(base: &mut Vec<(String, Policy)>, guest: Vec<(String, Policy)>) {
    for (name, policy) in guest {
        match base.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = policy,
            None => base.push((name, policy)),
        }
    }
}

/// The features of the prepared CPU with that policy, in the definition's order.
fn with_policy(cpu: &PreparedCpu, policy: Policy) -> impl Iterator<Item = &str> {
    cpu.features
        .iter()
        .filter(move |(_, p)| *p == policy)
        .map(|(n, _)| n.as_str())
}

/// `VIR_ERR_CPU_INCOMPATIBLE`.
fn incompatible(el: Option<crate::xml::ElemId>, msg: String) -> LibvirtError {
    LibvirtError::new(
        Stage::Start,
        el,
        format!("the CPU is incompatible with host CPU: {msg}"),
    )
}

/// The host CPU is unknown to virt-cpu (not to libvirt): say how to provide it.
fn needs_host(dom: &Domain, what: &str) -> LibvirtError {
    LibvirtError {
        message: format!(
            "{what} takes its CPU from the host, which virt-cpu does not know here: pass --host-caps FILE \
             (saved `virsh domcapabilities` output) or -c URI"
        ),
        stage: Stage::Start,
        el: dom.cpu.as_ref().map(|c| c.el),
        needs_host: true,
    }
}
