//! Nested virtualisation: whether the guest's CPU has the virtualisation extension its vendor
//! uses — `vmx` (Intel VT-x) or `svm` (AMD-V) — so that the guest can run VMs of its own.
//!
//! What "on" means per place and mode (the edit [`plan`] makes; README "Nested virtualisation"):
//! - `<cpu mode='custom'>` and `host-model`: `<feature policy='require' name='vmx'/>`, so
//!   libvirt refuses to start the guest where the host cannot give it rather than silently
//!   starting it without. Off is `disable` when the CPU would have it anyway (a TCG model with
//!   `svm`, the host-model CPU of a host that has it), else the `require` goes: a model without
//!   the extension needs no `disable`.
//! - `host-passthrough` and `maximum`: the host's `vmx`/`svm` reach the guest already; on removes
//!   a `disable` if there is one, off writes `disable`.
//! - `<qemu:cpu>` and the `-cpu` of `<qemu:commandline>`: the option `vmx=on` / `vmx=off` (a
//!   `+vmx`/`-vmx` of the same feature is removed: QEMU applies those after every `name=value`).
//!
//! The vendor comes from the CPU model (libvirt's CPU map for `<cpu>`; a model the map names
//! without a vendor — `qemu64`, `kvm64` — takes the host's under KVM, QEMU's own under TCG),
//! from `<vendor>`, from a `vendor=` QEMU option, or, for the host modes, from the host
//! (`virsh domcapabilities` / `capabilities`). QEMU under KVM gives every named model the
//! host's vendor string (`host_cpu_instance_init`); a model of the other vendor does not run
//! on that host anyway, so the model's vendor says which host it is meant for.

use super::Edit;
use crate::catalog::Catalog;
use crate::domain::{CpuMode, Domain, Policy, PolicyEffect};
use crate::host::DomCaps;
use crate::xml::ElemId;

/// The virtualisation extension of a CPU vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ext {
    /// Intel VT-x.
    Vmx,
    /// AMD-V (also Hygon).
    Svm,
}

impl Ext {
    /// The feature's name, the same in libvirt and QEMU.
    pub fn name(self) -> &'static str {
        match self {
            Ext::Vmx => "vmx",
            Ext::Svm => "svm",
        }
    }

    pub fn other(self) -> Ext {
        match self {
            Ext::Vmx => Ext::Svm,
            Ext::Svm => Ext::Vmx,
        }
    }

    /// The vendor family that has it, for messages.
    pub fn vendor(self) -> &'static str {
        match self {
            Ext::Vmx => "Intel",
            Ext::Svm => "AMD",
        }
    }

    /// The kernel module whose `nested` parameter lets KVM offer it to guests.
    pub fn kvm_module(self) -> &'static str {
        match self {
            Ext::Vmx => "kvm_intel",
            Ext::Svm => "kvm_amd",
        }
    }

    /// The extension of a vendor, by libvirt's short name (`Intel`, `AMD`, `Hygon`) or the
    /// CPUID vendor string (`GenuineIntel`, …).
    pub fn of_vendor(vendor: &str) -> Option<Ext> {
        match vendor.trim() {
            "Intel" | "GenuineIntel" => Some(Ext::Vmx),
            "AMD" | "AuthenticAMD" | "Hygon" | "HygonGenuine" => Some(Ext::Svm),
            _ => None,
        }
    }

    /// The extension a feature name (`vmx`, `+svm`, …) is, if either.
    pub fn of_feature(name: &str) -> Option<Ext> {
        match name.trim_start_matches(['+', '-']) {
            "vmx" => Some(Ext::Vmx),
            "svm" => Some(Ext::Svm),
            _ => None,
        }
    }
}

/// Which CPU definition of the domain the toggle is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `<cpu>`.
    Cpu,
    /// `<qemu:cpu>`, or the `-cpu` a `<qemu:commandline>` passes.
    Qemu,
}

impl Part {
    /// The definition QEMU's `-cpu` comes from: the QEMU form when the domain has one.
    pub fn effective(dom: &Domain) -> Part {
        if dom.qemu().is_some() {
            Part::Qemu
        } else {
            Part::Cpu
        }
    }
}

/// The extension the guest's CPU vendor needs, and what said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub ext: Ext,
    /// `the model EPYC (AMD)`, `the host (Intel, from virsh domcapabilities)`, …
    pub from: String,
}

/// Whether the host can give the guest the extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostVerdict {
    /// Why it can (`the host-model CPU of … lists vmx`).
    Allows(String),
    /// Why it cannot.
    Lacks(String),
    /// No host given.
    Unknown,
}

/// An explicit setting of `vmx` or `svm` in the part: a `<cpu><feature>` or a QEMU option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub ext: Ext,
    pub el: ElemId,
    /// As written: `require`, `disable`, `vmx=on`, `+svm`, …
    pub written: String,
    /// `None`: `optional` (on where the host has it).
    pub on: Option<bool>,
}

/// What the domain does about nested virtualisation in one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nested {
    pub part: Part,
    /// The extension the vendor needs, or why it cannot be told (and what to give).
    pub ext: Result<Decided, String>,
    /// Whether the guest gets the extension: `None` when it depends on a host not given.
    pub on: Option<bool>,
    /// Why `on` is what it is, in a few words.
    pub why: String,
    /// The settings of `vmx` and `svm` in the part, the one that counts last.
    pub settings: Vec<Setting>,
    /// Whether the host can give the decided extension.
    pub host: HostVerdict,
}

impl Nested {
    /// The setting that decides the extension (`ext`), if any.
    pub fn setting(&self, ext: Ext) -> Option<&Setting> {
        self.settings.iter().rev().find(|s| s.ext == ext)
    }

    /// Turned on explicitly: a setting of the decided extension that turns it on.
    pub fn explicitly_on(&self) -> Option<&Setting> {
        let ext = self.ext.as_ref().ok()?.ext;
        self.setting(ext).filter(|s| s.on == Some(true))
    }

    /// The other vendor's extension turned on explicitly (vmx on an AMD model).
    pub fn wrong_vendor(&self) -> Option<&Setting> {
        let ext = self.ext.as_ref().ok()?.ext;
        self.setting(ext.other()).filter(|s| s.on == Some(true))
    }

    /// One line for the fronts: `nested: on (vmx required in <cpu>) · host: lacks vmx (…)`.
    pub fn summary(&self) -> String {
        let state = match (&self.ext, self.on) {
            (Err(_), _) => "vendor unknown".to_string(),
            (Ok(d), Some(true)) => format!("on ({}; {})", d.ext.name(), self.why),
            (Ok(d), Some(false)) => format!("off ({}; {})", d.ext.name(), self.why),
            (Ok(d), None) => format!("as the host ({}; {})", d.ext.name(), self.why),
        };
        let host = match &self.host {
            HostVerdict::Allows(_) => " · host: allows".to_string(),
            HostVerdict::Lacks(_) => " · host: lacks it".to_string(),
            HostVerdict::Unknown => String::new(),
        };
        format!("{state}{host}")
    }
}

/// Reads what the part does about nested virtualisation.
pub fn read(dom: &Domain, catalog: &Catalog, caps: Option<&DomCaps>, part: Part) -> Nested {
    let settings = settings(dom, part);
    let ext = decide(dom, catalog, caps, part);
    let host = match &ext {
        Ok(d) => host_verdict(dom, catalog, caps, d.ext),
        Err(_) => HostVerdict::Unknown,
    };
    let (on, why) = match &ext {
        Ok(d) => effective(dom, catalog, part, d.ext, &settings, &host),
        Err(e) => (None, e.clone()),
    };
    Nested {
        part,
        ext,
        on,
        why,
        settings,
        host,
    }
}

/// The edit turning nested virtualisation on or off in the part, with a note for the user
/// (what it did, or that nothing needed doing and why). `Err`: it cannot be done, and why.
pub fn plan(
    dom: &Domain,
    catalog: &Catalog,
    caps: Option<&DomCaps>,
    part: Part,
    on: bool,
) -> Result<(Edit, String), String> {
    let now = read(dom, catalog, caps, part);
    if part == Part::Qemu && dom.qemu().is_none() {
        return Err(
            "the domain has no <qemu:cpu> (nor a -cpu in <qemu:commandline>): nested goes in <cpu>"
                .into(),
        );
    }
    if part == Part::Cpu
        && let Some(q) = dom.qemu()
    {
        // The QEMU form gives the -cpu; a feature in <cpu> would be a second definition
        // (`model-twice`) or, without a model, one libvirt refuses.
        return Err(format!(
            "the -cpu comes from {}, not from <cpu>: nested goes there",
            q.form.label()
        ));
    }
    let mode = CpuMode::of(dom);
    let ext = match &now.ext {
        Ok(d) => d.ext,
        // Off needs no vendor when the part sets one of the two: that one goes off.
        Err(why) => match now.settings.iter().rev().find(|s| s.on != Some(false)) {
            Some(s) if !on => s.ext,
            // host-passthrough and maximum pass the host's extension through, whichever it
            // is: on only takes away a `disable` of either.
            _ if on
                && part == Part::Cpu
                && matches!(mode, Some(CpuMode::HostPassthrough | CpuMode::Maximum)) =>
            {
                return Ok(passes_host(&now, mode));
            }
            _ => return Err(why.clone()),
        },
    };
    let mut steps = Vec::new();
    // The other vendor's extension turned on is a mistake the toggle undoes either way.
    for s in now.settings.iter().filter(|s| s.ext == ext.other()) {
        if s.on != Some(false) {
            steps.push(remove(part, s));
        }
    }
    let name = ext.name().to_string();
    match part {
        Part::Qemu => {
            // `+vmx`/`-vmx` win over `vmx=…` whatever the order (QEMU applies them last).
            for sign in ['+', '-'] {
                let signed = format!("{sign}{name}");
                if now
                    .settings
                    .iter()
                    .any(|s| s.ext == ext && s.written == signed)
                {
                    steps.push(Edit::RemoveQemuOption(signed));
                }
            }
            steps.push(Edit::SetQemuOption {
                name,
                value: Some(if on { "on" } else { "off" }.into()),
            });
        }
        Part::Cpu => {
            let setting = now.settings.iter().rev().find(|s| s.ext == ext);
            match (mode, on) {
                (None, _) => {
                    return Err(
                        "the <cpu> mode is one libvirt refuses: set the mode first (M, or --mode)"
                            .into(),
                    );
                }
                (Some(CpuMode::Custom | CpuMode::HostModel), true) => {
                    steps.push(Edit::SetFeature {
                        name,
                        policy: Policy::Require,
                    })
                }
                (Some(CpuMode::HostPassthrough | CpuMode::Maximum), true) => {
                    if let Some(s) = setting.filter(|s| s.on == Some(false)) {
                        steps.push(remove(part, s));
                    }
                }
                (Some(m), false) => {
                    let has_anyway = match m {
                        CpuMode::Custom => model_has(dom, catalog, ext) != Some(false),
                        CpuMode::HostModel => !matches!(now.host, HostVerdict::Lacks(_)),
                        _ => true,
                    };
                    if has_anyway {
                        steps.push(Edit::SetFeature {
                            name,
                            policy: Policy::Disable,
                        });
                    } else if let Some(s) = setting.filter(|s| s.on != Some(false)) {
                        steps.push(remove(part, s));
                    }
                }
            }
        }
    }
    // A name set twice (`svm=on` and `svm`) is removed once: a second removal finds nothing.
    let mut unique: Vec<Edit> = Vec::new();
    for step in steps {
        if !unique.contains(&step) {
            unique.push(step);
        }
    }
    let steps = unique;
    let note = note(&now, part, mode, ext, on, &steps);
    Ok((
        Edit::SetNested(Box::new(NestedChange {
            ext: Some(ext),
            on,
            steps,
        })),
        note,
    ))
}

/// Nested on for a host mode whose vendor is not known: the host's `vmx` or `svm` reaches the
/// guest already, so only a `disable` of either goes.
fn passes_host(now: &Nested, mode: Option<CpuMode>) -> (Edit, String) {
    let mut steps: Vec<Edit> = Vec::new();
    for s in now.settings.iter().filter(|s| s.on == Some(false)) {
        let step = remove(Part::Cpu, s);
        if !steps.contains(&step) {
            steps.push(step);
        }
    }
    let note = format!(
        "nested on: {} passes the host's vmx or svm through already{}",
        mode.map_or("", CpuMode::name),
        if steps.is_empty() {
            ""
        } else {
            " (its disable removed)"
        }
    );
    (
        Edit::SetNested(Box::new(NestedChange {
            ext: None,
            on: true,
            steps,
        })),
        note,
    )
}

/// The steps of a nested toggle, applied as one edit (one undo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedChange {
    /// `None`: a host mode passing whichever extension the host has.
    pub ext: Option<Ext>,
    pub on: bool,
    pub steps: Vec<Edit>,
}

/// What the user hears after the toggle.
fn note(
    now: &Nested,
    part: Part,
    mode: Option<CpuMode>,
    ext: Ext,
    on: bool,
    steps: &[Edit],
) -> String {
    let name = ext.name();
    let what = if !on {
        format!("nested off ({name})")
    } else if steps.is_empty()
        && matches!(mode, Some(CpuMode::HostPassthrough | CpuMode::Maximum))
        && part == Part::Cpu
    {
        format!(
            "nested on: {} passes the host's {name} through already",
            mode.map_or("", CpuMode::name)
        )
    } else {
        format!("nested on ({name})")
    };
    let host = match (&now.host, on) {
        (HostVerdict::Allows(why), true) => format!("; host allows it: {why}"),
        (HostVerdict::Lacks(why), true) => format!("; but the host lacks it: {why}"),
        (HostVerdict::Unknown, true) => {
            "; host not known (give -c URI or --host-caps FILE to check it)".into()
        }
        _ => String::new(),
    };
    format!("{what}{host}")
}

/// The step removing a setting.
fn remove(part: Part, s: &Setting) -> Edit {
    match part {
        Part::Cpu => Edit::DropFeature(s.ext.name().to_string()),
        Part::Qemu => Edit::RemoveQemuOption(qemu_option_name(&s.written).to_string()),
    }
}

/// `vmx` of `vmx=on`, `+vmx` of `+vmx`.
fn qemu_option_name(written: &str) -> &str {
    written.split_once('=').map_or(written, |(n, _)| n)
}

/// The settings of `vmx` and `svm` in a part, in document order (the last counts).
fn settings(dom: &Domain, part: Part) -> Vec<Setting> {
    match part {
        Part::Cpu => dom
            .cpu
            .iter()
            .flat_map(|c| &c.features)
            .filter_map(|f| {
                let ext = Ext::of_feature(f.name.as_deref()?).filter(|_| {
                    !f.name
                        .as_deref()
                        .unwrap_or_default()
                        .starts_with(['+', '-'])
                })?;
                let policy = f.known_policy()?;
                Some(Setting {
                    ext,
                    el: f.el,
                    written: policy.name().to_string(),
                    on: match policy.effect() {
                        PolicyEffect::On => Some(true),
                        PolicyEffect::Off => Some(false),
                        PolicyEffect::OnIfHostHas => None,
                    },
                })
            })
            .collect(),
        Part::Qemu => {
            let Some(q) = dom.qemu() else {
                return Vec::new();
            };
            let mut plain = Vec::new();
            let mut signed = Vec::new();
            for o in &q.options {
                let Some(name) = o.name.as_deref() else {
                    continue;
                };
                let Some(ext) = Ext::of_feature(&name.replace('_', "-")) else {
                    continue;
                };
                let written = o.to_arg();
                if let Some(sign) = name.chars().next().filter(|c| matches!(c, '+' | '-')) {
                    signed.push(Setting {
                        ext,
                        el: o.el,
                        written,
                        on: Some(sign == '+'),
                    });
                } else {
                    plain.push(Setting {
                        ext,
                        el: o.el,
                        written,
                        on: Some(o.value.as_deref().is_none_or(|v| {
                            crate::catalog::qemu_cpu_string::parse_bool(v) != Some(false)
                        })),
                    });
                }
            }
            // QEMU applies `+name`/`-name` after every `name=value` (plus, then minus).
            signed.sort_by_key(|s| s.on == Some(false));
            plain.extend(signed);
            plain
        }
    }
}

/// The CPU model the part names, as QEMU gets it.
fn model_name(dom: &Domain, part: Part) -> Option<String> {
    match part {
        Part::Cpu => Some(
            dom.cpu
                .as_ref()
                .and_then(|c| c.model.as_ref())
                .map(|m| m.name.trim().to_string())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| dom.libvirt_default_model().to_string()),
        ),
        Part::Qemu => dom.qemu()?.models.first()?.name.clone(),
    }
}

/// Whether QEMU's model (as the domain's accelerator gets it) has the extension.
fn model_has(dom: &Domain, catalog: &Catalog, ext: Ext) -> Option<bool> {
    let m = catalog.qemu.resolve_model(&model_name(dom, Part::Cpu)?)?;
    let i = catalog.qemu.feature_index(ext.name())?;
    Some(if dom.virt_type == "qemu" {
        m.tcg_features.contains(i)
    } else {
        m.features.contains(i)
    })
}

/// The host's vendor, from its domcapabilities (host-model CPU) or capabilities.
fn host_vendor(caps: Option<&DomCaps>) -> Option<(Ext, String)> {
    let caps = caps?;
    let v = caps
        .host_model
        .as_ref()
        .and_then(|h| h.vendor.clone())
        .or_else(|| caps.host_cpu.as_ref().and_then(|h| h.vendor.clone()))?;
    let ext = Ext::of_vendor(&v)?;
    Some((ext, format!("the host ({v}, from {})", caps.source)))
}

/// The extension the guest CPU's vendor uses.
pub fn decide(
    dom: &Domain,
    catalog: &Catalog,
    caps: Option<&DomCaps>,
    part: Part,
) -> Result<Decided, String> {
    let tcg = dom.virt_type == "qemu";
    let decided = |ext: Ext, from: String| Ok(Decided { ext, from });
    let from_host = |what: &str| match host_vendor(caps) {
        Some((ext, from)) => decided(ext, from),
        // The action first: a message cut short (the TUI's status line) keeps it.
        None => Err(format!(
            "give the host (-c URI, or --host-caps FILE with its `virsh domcapabilities`): \
             {what} takes the host's vendor, and without it virt-cpu cannot tell whether the \
             guest CPU is Intel's (vmx) or AMD's (svm)"
        )),
    };
    let qemu_vendor = |name: &str| {
        let m = catalog.qemu.resolve_model(name)?;
        Some((Ext::of_vendor(&m.vendor)?, m.vendor.clone()))
    };
    match part {
        Part::Qemu => {
            let q = dom.qemu().ok_or("the domain has no QEMU CPU")?;
            if let Some(v) = q
                .options
                .iter()
                .rev()
                .find(|o| o.name.as_deref() == Some("vendor"))
                .and_then(|o| o.value.as_deref())
                && let Some(ext) = Ext::of_vendor(v)
            {
                return decided(ext, format!("the option vendor={v}"));
            }
            let name = q
                .models
                .first()
                .and_then(|m| m.name.clone())
                .unwrap_or_default();
            if name == "host" || (name == "max" && !tcg) {
                return from_host(&format!("the QEMU model {name}"));
            }
            // A model libvirt's map knows without a vendor (qemu64, kvm64) is generic: under
            // KVM it takes the host's vendor.
            let family =
                crate::catalog::qemu::version_split(&name).map_or(name.as_str(), |(f, _)| f);
            let generic = catalog
                .libvirt
                .model(family)
                .is_some_and(|m| m.vendor.is_none());
            if generic && !tcg {
                return from_host(&format!("the generic model {name}"));
            }
            match (
                catalog.libvirt.model(family).and_then(|m| m.vendor.clone()),
                qemu_vendor(&name),
            ) {
                (Some(v), _) if Ext::of_vendor(&v).is_some() => decided(
                    Ext::of_vendor(&v).unwrap(),
                    format!("the model {name} ({v})"),
                ),
                (_, Some((ext, v))) => decided(ext, format!("the model {name} ({v})")),
                _ => from_host(&format!(
                    "the model '{name}', which the catalog does not know,"
                )),
            }
        }
        Part::Cpu => match CpuMode::of(dom) {
            Some(CpuMode::Custom) => {
                let cpu = dom.cpu.as_ref();
                if let Some(v) = cpu
                    .and_then(|c| c.model.as_ref())
                    .and_then(|m| m.vendor_id.as_deref())
                    && let Some(ext) = Ext::of_vendor(v)
                {
                    return decided(ext, format!("<model vendor_id='{v}'>"));
                }
                let name = model_name(dom, Part::Cpu).unwrap_or_default();
                if let Some(v) = catalog.libvirt.model(&name).and_then(|m| m.vendor.clone())
                    && let Some(ext) = Ext::of_vendor(&v)
                {
                    return decided(ext, format!("the model {name} ({v})"));
                }
                if let Some(v) = cpu.and_then(|c| c.vendor.as_deref())
                    && let Some(ext) = Ext::of_vendor(v)
                {
                    return decided(ext, format!("<vendor>{v}</vendor>"));
                }
                if tcg && let Some((ext, v)) = qemu_vendor(&name) {
                    return decided(ext, format!("QEMU's model {name} ({v}, under TCG)"));
                }
                from_host(&format!("the generic model {name}"))
            }
            Some(CpuMode::Maximum) if tcg => match qemu_vendor("max") {
                Some((ext, v)) => decided(ext, format!("QEMU's TCG max CPU ({v})")),
                None => from_host("maximum"),
            },
            Some(m) => from_host(&format!("<cpu mode='{}'>", m.name())),
            None => Err("the <cpu> mode is one libvirt refuses: set the mode first".into()),
        },
    }
}

/// Whether the host can give a guest the extension: under KVM, the host-model CPU of its
/// domcapabilities (QEMU's expansion of what KVM offers) lists `vmx`/`svm` only when the
/// host's KVM exposes it to guests (`nested=1`, and the host itself having it); under TCG,
/// whether QEMU emulates it.
pub fn host_verdict(
    dom: &Domain,
    catalog: &Catalog,
    caps: Option<&DomCaps>,
    ext: Ext,
) -> HostVerdict {
    let name = ext.name();
    if dom.virt_type == "qemu" {
        return match catalog.qemu.feature(name) {
            Some(f) if f.tcg => HostVerdict::Allows(format!("QEMU's TCG emulates {name}")),
            Some(_) => {
                HostVerdict::Lacks(format!("QEMU's TCG (type='qemu') cannot emulate {name}"))
            }
            None => HostVerdict::Unknown,
        };
    }
    let Some(dc) = caps else {
        return HostVerdict::Unknown;
    };
    let Some(hm) = &dc.host_model else {
        return HostVerdict::Unknown;
    };
    let listed = match (dc.host_features(catalog), catalog.qemu.feature_index(name)) {
        (Some(set), Some(i)) => set.contains(i),
        _ => hm.required.iter().any(|f| f == name),
    };
    if listed {
        HostVerdict::Allows(format!("the host-model CPU of {} lists {name}", dc.source))
    } else {
        HostVerdict::Lacks(format!(
            "the host-model CPU of {} does not list {name}: the host's KVM does not offer it to \
             guests (`{}` nested off — /sys/module/{}/parameters/nested —, or the host is itself \
             a guest without {name})",
            dc.source,
            ext.kvm_module(),
            ext.kvm_module()
        ))
    }
}

/// Whether the guest gets the extension, and why.
fn effective(
    dom: &Domain,
    catalog: &Catalog,
    part: Part,
    ext: Ext,
    settings: &[Setting],
    host: &HostVerdict,
) -> (Option<bool>, String) {
    let name = ext.name();
    let from_host = |what: &str| match host {
        HostVerdict::Allows(_) => (Some(true), format!("{what}: the host has it")),
        HostVerdict::Lacks(_) => (Some(false), format!("{what}: the host lacks it")),
        HostVerdict::Unknown => (None, format!("{what}: the host's")),
    };
    let place = match part {
        Part::Cpu => "<cpu>",
        Part::Qemu => dom.qemu().map_or("<qemu:cpu>", |q| q.form.label()),
    };
    if let Some(s) = settings.iter().rev().find(|s| s.ext == ext) {
        return match s.on {
            Some(true) => (Some(true), format!("{} in {place}", s.written_as(name))),
            Some(false) => (Some(false), format!("{} in {place}", s.written_as(name))),
            None => from_host(&format!("optional in {place}")),
        };
    }
    let model = match part {
        Part::Cpu => match CpuMode::of(dom) {
            Some(CpuMode::Custom) => model_name(dom, part),
            Some(CpuMode::Maximum) if dom.virt_type == "qemu" => Some("max".into()),
            Some(m) => return from_host(m.name()),
            None => return (None, "mode unknown".into()),
        },
        Part::Qemu => model_name(dom, part),
    };
    let Some(model) = model else {
        return (None, "no model".into());
    };
    if model == "host" || (model == "max" && dom.virt_type != "qemu") {
        return from_host(&format!("-cpu {model}"));
    }
    let Some(m) = catalog.qemu.resolve_model(&model) else {
        return (None, format!("model {model} unknown"));
    };
    let Some(i) = catalog.qemu.feature_index(name) else {
        return (None, format!("{name} unknown"));
    };
    let (has, accel) = if dom.virt_type == "qemu" {
        (m.tcg_features.contains(i), "under TCG")
    } else {
        (m.features.contains(i), "under KVM")
    };
    (
        Some(has),
        format!("{model} {} it {accel}", if has { "has" } else { "lacks" }),
    )
}

impl Setting {
    /// `vmx required`, `svm=on`, …
    fn written_as(&self, name: &str) -> String {
        if self.written.contains(name) {
            self.written.clone()
        } else {
            format!("{} {name}", self.written)
        }
    }
}

/// For tests here and in `check`: an Intel KVM host whose host-model CPU lists `vmx` or not.
#[cfg(test)]
pub(crate) fn intel_host(vmx: bool) -> DomCaps {
    let mut required = vec!["ss".to_string(), "hypervisor".to_string()];
    if vmx {
        required.push("vmx".into());
    }
    DomCaps {
        source: "intel.xml".into(),
        domain: "kvm".into(),
        host_model: Some(crate::host::domcaps::HostModel {
            model: "Skylake-Client".into(),
            vendor: Some("Intel".into()),
            required,
            disabled: Vec::new(),
        }),
        ..DomCaps::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::{Edited, History};
    use crate::xml::Document;

    fn edited(xml: &str) -> Edited {
        Edited::new(Document::parse(xml.as_bytes()).unwrap()).unwrap()
    }

    fn catalog() -> &'static Catalog {
        Catalog::embedded()
    }

    /// Applies the toggle through a history; returns the document and the note.
    fn toggle(xml: &str, caps: Option<&DomCaps>, part: Part, on: bool) -> (String, String) {
        let mut ed = edited(xml);
        let (edit, note) = plan(&ed.dom, catalog(), caps, part, on).unwrap();
        let mut history = History::default();
        history.apply(&mut ed, &edit).unwrap();
        let after = ed.doc.source().to_string();
        // One step back gives the document back byte for byte.
        if after != xml {
            assert!(history.undo(&mut ed).unwrap());
            assert_eq!(ed.doc.source(), xml);
        }
        (after, note)
    }

    const SKYLAKE: &str = "<domain type='kvm'>\n  <name>a</name>\n  <cpu mode='custom' match='exact'>\n    <model fallback='forbid'>Skylake-Client</model>\n    <feature policy='require' name='pcid'/>\n  </cpu>\n</domain>\n";

    #[test]
    fn an_intel_model_gets_vmx_required_and_off_removes_it() {
        let (on, note) = toggle(SKYLAKE, None, Part::Cpu, true);
        assert_eq!(
            on,
            SKYLAKE.replace(
                "name='pcid'/>\n",
                "name='pcid'/>\n    <feature policy='require' name='vmx'/>\n"
            )
        );
        assert!(
            note.starts_with("nested on (vmx); host not known"),
            "{note}"
        );
        let ed = edited(&on);
        let n = read(&ed.dom, catalog(), None, Part::Cpu);
        assert_eq!(n.ext.as_ref().unwrap().ext, Ext::Vmx);
        assert_eq!(
            n.ext.as_ref().unwrap().from,
            "the model Skylake-Client (Intel)"
        );
        assert_eq!(n.on, Some(true));
        // Skylake-Client has no vmx of its own: off removes the require, no disable needed.
        let (off, _) = toggle(&on, None, Part::Cpu, false);
        assert_eq!(off, SKYLAKE);
        // Off where it is off already changes nothing.
        let (same, _) = toggle(SKYLAKE, None, Part::Cpu, false);
        assert_eq!(same, SKYLAKE);
    }

    #[test]
    fn an_amd_model_gets_svm_and_a_wrong_vmx_goes() {
        let xml = SKYLAKE
            .replace("Skylake-Client", "EPYC")
            .replace("name='pcid'", "name='vmx'");
        let ed = edited(&xml);
        let n = read(&ed.dom, catalog(), None, Part::Cpu);
        assert_eq!(n.ext.as_ref().unwrap().ext, Ext::Svm);
        assert_eq!(n.wrong_vendor().unwrap().written, "require");
        let (on, _) = toggle(&xml, None, Part::Cpu, true);
        assert_eq!(
            on,
            xml.replace(
                "<feature policy='require' name='vmx'/>",
                "<feature policy='require' name='svm'/>"
            )
        );
        // Under KVM QEMU turns svm off in every model (kvm_default_props): off removes the
        // require; under TCG EPYC has svm, and off disables it.
        let (off, _) = toggle(&on, None, Part::Cpu, false);
        assert!(!off.contains("svm") && !off.contains("vmx"), "{off}");
        let tcg = on.replace("type='kvm'", "type='qemu'");
        let (off, _) = toggle(&tcg, None, Part::Cpu, false);
        assert_eq!(
            off,
            tcg.replace("policy='require' name='svm'", "policy='disable' name='svm'")
        );
    }

    #[test]
    fn host_modes_take_the_hosts_vendor_or_say_what_to_give() {
        let xml = "<domain type='kvm'>\n  <name>a</name>\n  <cpu mode='host-passthrough' check='none'/>\n</domain>\n";
        let ed = edited(xml);
        // On needs no vendor: whichever extension the host has passes through.
        let (on, note) = toggle(xml, None, Part::Cpu, true);
        assert_eq!(on, xml);
        assert_eq!(
            note,
            "nested on: host-passthrough passes the host's vmx or svm through already"
        );
        // Off does: it writes a `disable` of one of them.
        let err = plan(&ed.dom, catalog(), None, Part::Cpu, false).unwrap_err();
        assert!(
            err.contains("cannot tell whether the guest CPU is Intel's (vmx) or AMD's (svm)"),
            "{err}"
        );
        assert!(err.contains("-c URI, or --host-caps FILE"), "{err}");
        // host-passthrough passes vmx through already: on writes nothing and says so.
        let host = intel_host(true);
        let (on, note) = toggle(xml, Some(&host), Part::Cpu, true);
        assert_eq!(on, xml);
        assert!(
            note.starts_with(
                "nested on: host-passthrough passes the host's vmx through already; host allows it"
            ),
            "{note}"
        );
        let (off, _) = toggle(xml, Some(&host), Part::Cpu, false);
        assert_eq!(
            off,
            "<domain type='kvm'>\n  <name>a</name>\n  <cpu mode='host-passthrough' check='none'>\n    <feature policy='disable' name='vmx'/>\n  </cpu>\n</domain>\n"
        );
        // On again removes that disable.
        let (again, _) = toggle(&off, Some(&host), Part::Cpu, true);
        assert_eq!(again, "<domain type='kvm'>\n  <name>a</name>\n  <cpu mode='host-passthrough' check='none'>\n  </cpu>\n</domain>\n".to_string());
        // …and so does it without the host, whichever extension the disable names.
        for ext in ["vmx", "svm"] {
            let disabled = off.replace("name='vmx'", &format!("name='{ext}'"));
            let (again_unknown, note) = toggle(&disabled, None, Part::Cpu, true);
            assert_eq!(again_unknown, again);
            assert!(note.ends_with("(its disable removed)"), "{note}");
        }
        // host-model on a host without vmx: required (libvirt refuses to start it there), and
        // the note names the host's lack.
        let hm = xml.replace("host-passthrough", "host-model");
        let lacking = intel_host(false);
        let (on, note) = toggle(&hm, Some(&lacking), Part::Cpu, true);
        assert!(
            on.contains("<feature policy='require' name='vmx'/>"),
            "{on}"
        );
        assert!(
            note.contains(
                "but the host lacks it: the host-model CPU of intel.xml does not list vmx"
            ),
            "{note}"
        );
        // Off there: the host-model CPU has no vmx to disable, so the require just goes.
        let (off, _) = toggle(&on, Some(&lacking), Part::Cpu, false);
        assert!(!off.contains("vmx"), "{off}");
        let (off, _) = toggle(&on, Some(&host), Part::Cpu, false);
        assert!(
            off.contains("<feature policy='disable' name='vmx'/>"),
            "{off}"
        );
    }

    /// With a QEMU form the -cpu comes from it: <cpu> gets no vmx (libvirt refuses features
    /// without a model, or sees the CPU defined twice), and no word of the generic model
    /// libvirt would fill in.
    #[test]
    fn cpu_next_to_a_qemu_form_is_refused_with_where_to_go() {
        let xml = "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n  <name>a</name>\n  <cpu>\n    <topology sockets='1' cores='2' threads='1'/>\n  </cpu>\n  <qemu:cpu>\n    <qemu:model name='Skylake-Client-v4'/>\n  </qemu:cpu>\n</domain>\n";
        let ed = edited(xml);
        assert_eq!(Part::effective(&ed.dom), Part::Qemu);
        for on in [true, false] {
            let err = plan(&ed.dom, catalog(), None, Part::Cpu, on).unwrap_err();
            assert_eq!(
                err,
                "the -cpu comes from <qemu:cpu>, not from <cpu>: nested goes there"
            );
        }
        let (on, _) = toggle(xml, None, Part::Qemu, true);
        assert!(on.contains("<qemu:option name='vmx' value='on'/>"), "{on}");
    }

    #[test]
    fn the_qemu_forms_get_the_option() {
        let xml = "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n  <name>a</name>\n  <qemu:cpu>\n    <qemu:model name='EPYC-v3'/>\n    <qemu:option name='+svm'/>\n  </qemu:cpu>\n</domain>\n";
        let (on, _) = toggle(xml, None, Part::Qemu, true);
        assert_eq!(
            on,
            xml.replace(
                "<qemu:option name='+svm'/>",
                "<qemu:option name='svm' value='on'/>"
            )
        );
        let (off, _) = toggle(&on, None, Part::Qemu, false);
        assert_eq!(off, on.replace("value='on'", "value='off'"));
        let cmd = "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n  <name>a</name>\n  <qemu:commandline>\n    <qemu:arg value='-cpu'/>\n    <qemu:arg value='Skylake-Client,+vmx,pcid=on'/>\n  </qemu:commandline>\n</domain>\n";
        // The other vendor's option given twice goes once, in the same edit.
        let twice = cmd.replace(
            "Skylake-Client,+vmx,pcid=on",
            "Skylake-Client,svm=on,pcid=on,svm",
        );
        let (on, _) = toggle(&twice, None, Part::Qemu, true);
        assert_eq!(
            on,
            cmd.replace(
                "Skylake-Client,+vmx,pcid=on",
                "Skylake-Client,pcid=on,vmx=on"
            )
        );
        let (off, _) = toggle(cmd, None, Part::Qemu, false);
        assert_eq!(
            off,
            cmd.replace(
                "Skylake-Client,+vmx,pcid=on",
                "Skylake-Client,pcid=on,vmx=off"
            )
        );
        // The <cpu> pane of a domain without a QEMU form has nothing there to set.
        let ed = edited(SKYLAKE);
        assert!(
            plan(&ed.dom, catalog(), None, Part::Qemu, true)
                .unwrap_err()
                .contains("no <qemu:cpu>")
        );
    }

    #[test]
    fn the_host_verdict_reads_the_host_model_cpu_or_tcg() {
        let ed = edited(SKYLAKE);
        let dom = &ed.dom;
        assert!(matches!(
            host_verdict(dom, catalog(), Some(&intel_host(true)), Ext::Vmx),
            HostVerdict::Allows(_)
        ));
        assert!(matches!(
            host_verdict(dom, catalog(), Some(&intel_host(false)), Ext::Vmx),
            HostVerdict::Lacks(_)
        ));
        assert_eq!(
            host_verdict(dom, catalog(), None, Ext::Vmx),
            HostVerdict::Unknown
        );
        let tcg = edited(&SKYLAKE.replace("type='kvm'", "type='qemu'"));
        assert!(matches!(
            host_verdict(&tcg.dom, catalog(), None, Ext::Svm),
            HostVerdict::Allows(_)
        ));
        assert!(matches!(
            host_verdict(&tcg.dom, catalog(), None, Ext::Vmx),
            HostVerdict::Lacks(_)
        ));
    }
}
