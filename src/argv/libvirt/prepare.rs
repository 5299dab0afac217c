//! What libvirt does to `<cpu>` between parsing and building `-cpu`: post-parse defaults
//! (semantics doc §1.2, §2.2) and start preparation (§2.2–2.4, §3.4, §3.5).

use super::super::caps::{HostCpu, QemuCaps};
use super::super::error::{LibvirtError, Stage, unsupported};
use super::validate::{has_model, mode_of};
use crate::catalog::LibvirtMap;
use crate::catalog::names::ALWAYS_DROPPED;
use crate::domain::Domain;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Force,
    Require,
    Optional,
    Disable,
    Forbid,
}

impl Policy {
    pub fn parse(s: Option<&str>) -> Policy {
        match s {
            Some("force") => Policy::Force,
            Some("optional") => Policy::Optional,
            Some("disable") => Policy::Disable,
            Some("forbid") => Policy::Forbid,
            _ => Policy::Require,
        }
    }

    pub fn enables(self) -> bool {
        matches!(self, Policy::Force | Policy::Require)
    }

    pub fn disables(self) -> bool {
        matches!(self, Policy::Disable | Policy::Forbid)
    }
}

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
                            Policy::parse(f.policy.as_deref()),
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
    pub fn start(&self, mut cpu: PreparedCpu) -> Result<PreparedCpu, LibvirtError> {
        let Some(def) = self.dom.cpu.as_ref() else {
            return Ok(cpu);
        };
        let el = Some(def.el);
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
                    el,
                    format!(
                        "Some features cannot be reliably used with this QEMU: {}",
                        msr.join(", ")
                    ),
                ));
            }
        }
        let needs_default = mode_of(def) == "custom" && !has_model(def);
        if needs_default {
            // A custom CPU without a model is skipped by start preparation.
            return Ok(cpu);
        }
        self.check_mode_supported(&cpu)?;
        let check = self.check(needs_default).to_string();
        if check != "none"
            && let Some(host) = self.caps.host()
        {
            for (name, policy) in &cpu.features {
                if *policy == Policy::Forbid && self.host_has(host, name) {
                    return Err(LibvirtError::new(
                        Stage::Start,
                        el,
                        format!(
                            "the CPU is incompatible with host CPU: Host CPU provides forbidden feature '{name}'"
                        ),
                    ));
                }
            }
        }
        if matches!(cpu.mode.as_str(), "custom" | "host-model") {
            if check == "partial" && cpu.mode == "custom" {
                self.compare_partial(&cpu, def)?;
            }
            self.update(&mut cpu, def)?;
            self.translate(&mut cpu, def)?;
        }
        self.filter(&mut cpu);
        Ok(cpu)
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

    fn unknown_model(&self, name: &str, el: Option<crate::xml::ElemId>) -> LibvirtError {
        LibvirtError::new(
            Stage::Start,
            el,
            format!("internal error: Unknown CPU model {name}"),
        )
    }

    /// `check='partial'`: the guest CPU must be a subset of the host's (`x86Compute`).
    fn compare_partial(
        &self,
        cpu: &PreparedCpu,
        def: &crate::domain::CpuDef,
    ) -> Result<(), LibvirtError> {
        let Some(host) = self.caps.host() else {
            return Ok(());
        };
        let el = Some(def.el);
        let model_name = cpu.model.clone().unwrap_or_default();
        let Some(model) = self.map.model(&model_name) else {
            return Err(self.unknown_model(&model_name, el));
        };
        let mut required: Vec<&str> = model.features.iter().map(String::as_str).collect();
        required.retain(|f| !cpu.features.iter().any(|(n, p)| n == f && p.disables()));
        // `force` asks for a feature whatever the host has; only `require` needs the host.
        required.extend(
            cpu.features
                .iter()
                .filter(|(_, p)| *p == Policy::Require)
                .map(|(n, _)| n.as_str()),
        );
        let mut missing: Vec<&str> = required
            .into_iter()
            .filter(|f| !self.host_has(host, f))
            .collect();
        missing.sort_by_key(|f| self.map.feature_index(f));
        missing.dedup();
        if !missing.is_empty() {
            return Err(LibvirtError::new(
                Stage::Start,
                el,
                format!(
                    "the CPU is incompatible with host CPU: Host CPU does not provide required features: {}",
                    missing.join(", ")
                ),
            ));
        }
        Ok(())
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
                    .filter(|(n, _)| !ALWAYS_DROPPED.contains(&n.as_str()))
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
                cpu.features.push((removed.clone(), Policy::Disable));
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

    /// `virQEMUCapsCPUFilterFeatures` and `qemuProcessDropUnknownCPUFeatures`.
    fn filter(&self, cpu: &mut PreparedCpu) {
        cpu.features
            .retain(|(n, _)| !ALWAYS_DROPPED.contains(&n.as_str()));
        if let Some(known) = &self.caps.known_features {
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
