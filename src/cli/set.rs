//! `virt-cpu set FILE …`: edit `<cpu>` and `<qemu:cpu>` without touching any other byte.

use super::common::{self, EXIT_USAGE, HostArgs, InputArgs};
use super::destination::{self, OutputArgs};
use super::print::errln;
use crate::argv::Reading;
use crate::check;
use crate::domain::Policy;
use crate::domain::{CpuMode, Domain};
use crate::edit::{
    Edit, EditError, Edited, HvSetting, HypervPreset, LibvirtModels, PhysAddr, Topology,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MoveTarget {
    /// Move model and features from <cpu> to <qemu:cpu>.
    Qemu,
    /// Move model and options from <qemu:cpu> to <cpu>.
    Cpu,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HypervPresetArg {
    /// What virt-install chooses for a Windows guest, of what the host supports, added to the
    /// enlightenments the domain has (those the host lacks go; each change is noted).
    Windows,
    /// <hyperv mode='passthrough'/>: every enlightenment the host has.
    Passthrough,
    /// No <hyperv>.
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Clone, clap::Args)]
pub struct SetArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// <cpu><model>: a libvirt model name. Only mode custom uses it: on another mode it is
    /// refused (exit 2) unless `--mode custom` is given too.
    #[arg(long)]
    pub model: Option<String>,
    /// <cpu mode=…>: custom (the <model> named, the same CPU on every host), host-model
    /// (libvirt copies the host's model and features at start; <model> is replaced),
    /// host-passthrough (-cpu host, KVM only; <model> is ignored) or maximum (-cpu max; <model>
    /// is ignored). Features, topology and NUMA stay and apply in every mode.
    #[arg(long, verbatim_doc_comment)]
    pub mode: Option<String>,
    /// <cpu><topology>: SOCKETSxDIESxCORESxTHREADS (e.g. 1x1x4x2), or
    /// SOCKETSxDIESxCLUSTERSxCORESxTHREADS (libvirt 10 and later). libvirt requires the
    /// product to be the maximum vCPU count (<vcpu>): give --vcpus with it when that changes.
    #[arg(long, value_name = "SPEC")]
    pub topology: Option<String>,
    /// <vcpu>N</vcpu>: the maximum vCPU count (must match the topology's product).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub vcpus: Option<u32>,
    /// <cpu><maxphysaddr>: the guest's physical address bits. `passthrough` (the host's width,
    /// host-phys-bits=on), `passthrough:LIMIT` (capped at LIMIT; libvirt 9.3 and later),
    /// `emulate:BITS` (a fixed width, phys-bits=BITS, 32 to 52: the same on every host, so at
    /// most the pool's lowest — `virt-cpu models -c A -c B` names it), `emulate` (QEMU's
    /// default; libvirt 9.3 and later) or `none` (removes the element).
    #[arg(long, value_name = "MODE[:N]", verbatim_doc_comment)]
    pub maxphysaddr: Option<String>,
    /// Features: `+a` require, `-b` disable, `POLICY:c` (force, require, optional, disable, forbid); comma-separated, repeatable.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub feature: Vec<String>,
    /// Remove <feature name=NAME> from <cpu>.
    #[arg(long)]
    pub drop_feature: Vec<String>,
    /// <qemu:cpu><qemu:model name=…>: a QEMU model name, verbatim.
    #[arg(long)]
    pub qemu_model: Option<String>,
    /// <qemu:option>: `k=v` (or a bare `k`); replaces an option of that name, else appends.
    #[arg(long)]
    pub qemu_option: Vec<String>,
    /// Remove every <qemu:option name=K>.
    #[arg(long)]
    pub qemu_remove: Vec<String>,
    /// <features><hyperv>: `NAME=on|off` (nested: stimer.direct, tlbflush.direct,
    /// tlbflush.extended), `spinlocks=RETRIES`, `vendor_id=VALUE`; comma-separated,
    /// repeatable; applied after --hyperv-preset.
    #[arg(long, value_delimiter = ',', value_name = "NAME=on|off")]
    pub hyperv: Vec<String>,
    /// Set <hyperv> by a preset: windows (virt-install's choice for Windows, each only if the
    /// host given by --host-caps/-c supports it, added to the domain's own), passthrough or
    /// off.
    #[arg(long, value_enum, value_name = "PRESET")]
    pub hyperv_preset: Option<HypervPresetArg>,
    /// Nested virtualisation: vmx (Intel) or svm (AMD) as the CPU's vendor needs, in the
    /// element QEMU's -cpu comes from (<qemu:cpu> or a <qemu:commandline> -cpu when there is
    /// one, else <cpu>): `require`/`disable` (host-passthrough and maximum pass the host's
    /// through: on only removes a `disable`), or the QEMU option `vmx=on|off`. The host modes
    /// take the host's vendor: give --host-caps or -c. Applied after the other options.
    #[arg(long, value_enum, value_name = "on|off", verbatim_doc_comment)]
    pub nested: Option<OnOff>,
    /// Move the model and features to the other element, translating names and policies.
    #[arg(long, value_enum)]
    pub move_to: Option<MoveTarget>,
    /// Write even when the edit introduces errors.
    #[arg(long)]
    pub force: bool,
    // The host and catalog new errors are judged against, as `check` judges them.
    #[command(flatten)]
    pub host: HostArgs,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `+a`, `-b`, `policy:c` → (name, policy); a bare name is `+name`.
pub fn parse_feature(spec: &str) -> Result<(String, Policy), String> {
    if let Some(n) = spec.strip_prefix('+') {
        return Ok((n.to_string(), Policy::turning(true)));
    }
    if let Some(n) = spec.strip_prefix('-') {
        return Ok((n.to_string(), Policy::turning(false)));
    }
    match spec.split_once(':') {
        Some((p, n)) => match Policy::parse(p) {
            Some(policy) => Ok((n.to_string(), policy)),
            None => Err(format!(
                "unknown policy '{p}' in --feature {spec}; use one of {}",
                Policy::names()
            )),
        },
        None => Ok((spec.to_string(), Policy::turning(true))),
    }
}

/// `NAME=on|off`, `spinlocks=RETRIES`, `vendor_id=VALUE`; a bare `NAME` is on.
pub fn parse_hyperv(spec: &str) -> Result<HvSetting, String> {
    let (name, v) = spec.split_once('=').unwrap_or((spec, "on"));
    let name = name.trim();
    if !crate::edit::hyperv::known(name) {
        return Err(format!(
            "--hyperv {spec}: '{name}' is not a Hyper-V enlightenment libvirt knows ({}, and \
             nested {})",
            crate::argv::libvirt::all_hyperv_enlightenments().join(", "),
            crate::domain::HYPERV_NESTED
                .iter()
                .map(|(p, c)| format!("{p}.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let s = match v {
        "on" => HvSetting::on(name),
        "off" => HvSetting::off(name),
        other if matches!(name, "spinlocks" | "vendor_id") => HvSetting {
            value: Some(other.to_string()),
            ..HvSetting::on(name)
        },
        other => {
            return Err(format!(
                "--hyperv {spec}: '{other}' is not on or off (only spinlocks=RETRIES and \
                 vendor_id=VALUE take a value)"
            ));
        }
    };
    if name == "spinlocks"
        && let Some(r) = &s.value
        && r.parse::<u32>().is_ok_and(|n| n < 4095)
    {
        return Err(format!(
            "--hyperv {spec}: libvirt requires at least 4095 retries"
        ));
    }
    if name == "spinlocks"
        && s.value
            .as_deref()
            .is_some_and(|r| r.parse::<u32>().is_err())
    {
        return Err(format!("--hyperv {spec}: retries must be a number"));
    }
    Ok(s)
}

/// Refuses a value with a control character (C0, DEL or C1), naming the option and the
/// character escaped. C0 characters other than TAB, LF and CR cannot be written in XML at all
/// (`virsh define` refuses the file); TAB, LF and CR can (as `&#9;`, `&#10;`, `&#13;`), but no
/// libvirt model or feature name, mode, or QEMU model or option name or value has one, and
/// in `-cpu` they would only break the command line: refused too, as are DEL and C1, which
/// are invisible in a terminal.
pub fn refuse_control(option: &str, value: &str) -> Result<(), String> {
    match value.chars().find(|c| c.is_control()) {
        None => Ok(()),
        Some(c) => Err(format!(
            "{option} \"{}\": the control character {} is not allowed in a value (no CPU model, \
             feature, mode or QEMU option has one, and XML cannot hold most); remove it",
            value.escape_debug(),
            c.escape_debug()
        )),
    }
}

impl SetArgs {
    /// Every value given, with the option that gave it.
    fn values(&self) -> Vec<(&'static str, &str)> {
        let mut all: Vec<(&'static str, &str)> = Vec::new();
        all.extend(self.mode.as_deref().map(|v| ("--mode", v)));
        all.extend(self.model.as_deref().map(|v| ("--model", v)));
        all.extend(self.maxphysaddr.as_deref().map(|v| ("--maxphysaddr", v)));
        all.extend(self.feature.iter().map(|v| ("--feature", v.as_str())));
        all.extend(
            self.drop_feature
                .iter()
                .map(|v| ("--drop-feature", v.as_str())),
        );
        all.extend(self.qemu_model.as_deref().map(|v| ("--qemu-model", v)));
        all.extend(
            self.qemu_option
                .iter()
                .map(|v| ("--qemu-option", v.as_str())),
        );
        all.extend(
            self.qemu_remove
                .iter()
                .map(|v| ("--qemu-remove", v.as_str())),
        );
        all.extend(self.hyperv.iter().map(|v| ("--hyperv", v.as_str())));
        all
    }

    /// The edits asked for; `libvirt` is the CPU map `--move-to cpu` judges the model by.
    fn edits(&self, libvirt: &'static crate::catalog::LibvirtMap) -> Result<Vec<Edit>, String> {
        for (option, value) in self.values() {
            refuse_control(option, value)?;
        }
        let mut edits = Vec::new();
        if let Some(m) = &self.mode {
            edits.push(Edit::SetMode(m.clone()));
        }
        if let Some(m) = &self.model {
            edits.push(Edit::SetModel(m.clone()));
        }
        if let Some(spec) = &self.topology {
            edits.push(Edit::SetTopology(Topology::parse(spec)?));
        }
        if let Some(n) = self.vcpus {
            edits.push(Edit::SetVcpus(n));
        }
        if let Some(spec) = &self.maxphysaddr {
            edits.push(Edit::SetMaxPhysAddr(PhysAddr::parse(spec)?));
        }
        for spec in self.feature.iter().filter(|s| !s.is_empty()) {
            let (name, policy) = parse_feature(spec)?;
            edits.push(Edit::SetFeature { name, policy });
        }
        edits.extend(
            self.drop_feature
                .iter()
                .map(|n| Edit::DropFeature(n.clone())),
        );
        if let Some(m) = &self.qemu_model {
            edits.push(Edit::SetQemuModel(m.clone()));
        }
        for o in &self.qemu_option {
            let (name, value) = match o.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (o.clone(), None),
            };
            edits.push(Edit::SetQemuOption { name, value });
        }
        edits.extend(
            self.qemu_remove
                .iter()
                .map(|n| Edit::RemoveQemuOption(n.clone())),
        );
        match self.hyperv_preset {
            Some(HypervPresetArg::Off) => edits.push(Edit::HypervPreset(HypervPreset::Off)),
            Some(HypervPresetArg::Passthrough) => {
                edits.push(Edit::HypervPreset(HypervPreset::Passthrough));
            }
            // Made once the domain and the host are known ([`windows_preset`]).
            Some(HypervPresetArg::Windows) => {
                edits.push(Edit::HypervPreset(HypervPreset::Custom(Vec::new())));
            }
            None => {}
        }
        for spec in self.hyperv.iter().filter(|s| !s.is_empty()) {
            edits.push(Edit::SetHyperv(parse_hyperv(spec)?));
        }
        match self.move_to {
            Some(MoveTarget::Qemu) => edits.push(Edit::MoveToQemu),
            Some(MoveTarget::Cpu) => edits.push(Edit::MoveToCpu(LibvirtModels(libvirt))),
            None => {}
        }
        refuse_conflicts(&edits)?;
        if let Some(clash) = self.passthrough_clash() {
            return Err(clash);
        }
        if let Some(clash) = self.nested_clash() {
            return Err(clash);
        }
        if edits.is_empty() && self.nested.is_none() {
            return Err("nothing to set: give --model, --mode, --topology, --vcpus, --maxphysaddr, --feature, --qemu-model, --qemu-option, --hyperv, --nested, … (see `virt-cpu set --help`)".into());
        }
        Ok(edits)
    }
}

/// Two edits of one command that name the same feature or option differently (`--drop-feature
/// vmx --feature +vmx`, `--feature +aes,-aes`, `--qemu-option pmu=on --qemu-remove pmu`): the
/// options are applied by kind, not in the order given, so which one wins would be a surprise.
/// Refused, naming both; the same setting given twice is fine.
fn refuse_conflicts(edits: &[Edit]) -> Result<(), String> {
    let mut seen: Vec<(&str, &str, String)> = Vec::new();
    for e in edits {
        let (kind, name, said) = match e {
            Edit::SetFeature { name, policy } => (
                "feature",
                name,
                format!("--feature {}:{name}", policy.name()),
            ),
            Edit::DropFeature(name) => ("feature", name, format!("--drop-feature {name}")),
            Edit::SetQemuOption { name, value } => (
                "option",
                name,
                match value {
                    Some(v) => format!("--qemu-option {name}={v}"),
                    None => format!("--qemu-option {name}"),
                },
            ),
            Edit::RemoveQemuOption(name) => ("option", name, format!("--qemu-remove {name}")),
            Edit::SetHyperv(h) => (
                "Hyper-V enlightenment",
                &h.name,
                format!(
                    "--hyperv {}={}",
                    h.name,
                    h.value
                        .as_deref()
                        .unwrap_or(if h.on { "on" } else { "off" })
                ),
            ),
            _ => continue,
        };
        if let Some((_, _, earlier)) = seen
            .iter()
            .find(|(k, n, said_before)| *k == kind && *n == name && *said_before != said)
        {
            return Err(format!(
                "{earlier} and {said} both set {kind} '{name}'; give one of them (set applies its options by kind, not in the order given)"
            ));
        }
        seen.push((kind, name, said));
    }
    Ok(())
}

impl SetArgs {
    /// `--hyperv-preset passthrough` with `--hyperv`: in passthrough mode QEMU gives the guest
    /// what the host has and libvirt ignores the switches listed, so the two ask for different
    /// things; refused as [`refuse_conflicts`] refuses its pairs.
    fn passthrough_clash(&self) -> Option<String> {
        if self.hyperv_preset != Some(HypervPresetArg::Passthrough) {
            return None;
        }
        let spec = self.hyperv.iter().find(|s| !s.is_empty())?;
        Some(format!(
            "--hyperv-preset passthrough and --hyperv {spec} both set Hyper-V enlightenment \
             '{}': in passthrough mode the guest gets every one the host has and libvirt \
             ignores those listed; give one of them",
            spec.split([',', '=']).next().unwrap_or(spec)
        ))
    }

    /// `--nested` with `--feature`/`--drop-feature`/`--qemu-option`/`--qemu-remove` of vmx or
    /// svm: two answers to one question, refused as [`refuse_conflicts`] refuses its pairs.
    fn nested_clash(&self) -> Option<String> {
        self.nested?;
        let names = |specs: &[String], option: &str| -> Option<String> {
            specs.iter().find_map(|spec| {
                let name = spec.split_once([':', '=']).map_or(spec.as_str(), |(a, b)| {
                    if option == "--feature" { b } else { a }
                });
                crate::edit::nested::Ext::of_feature(name).map(|_| format!("{option} {spec}"))
            })
        };
        let said = names(&self.feature, "--feature")
            .or_else(|| names(&self.drop_feature, "--drop-feature"))
            .or_else(|| names(&self.qemu_option, "--qemu-option"))
            .or_else(|| names(&self.qemu_remove, "--qemu-remove"))?;
        Some(format!(
            "{said} and --nested both set nested virtualisation; give one of them"
        ))
    }

    /// `--model` for a `<cpu>` whose mode (after `--mode`) does not use one: libvirt would
    /// ignore or replace it without a word, so it is refused with what to do.
    fn ignored_model(&self, dom: &Domain) -> Option<String> {
        let model = self.model.as_deref()?;
        let mode = match &self.mode {
            Some(m) => CpuMode::parse(m),
            None => CpuMode::of(dom),
        }?;
        (!mode.uses_model()).then(|| {
            format!(
                "--model {}: the CPU mode is {} (where <model> {}); add --mode custom to \
                 run {} instead",
                crate::visible::one_line(model),
                mode.name(),
                mode.model_fate(),
                crate::visible::one_line(model)
            )
        })
    }

    /// `--topology` or `--vcpus` leaving the topology's product other than `<vcpu>`: what to
    /// add.
    fn topology_mismatch(&self, dom: &Domain) -> Option<String> {
        if self.topology.is_none() && self.vcpus.is_none() {
            return None;
        }
        let t = dom.cpu.as_ref()?.topology.as_ref()?;
        let n = |v: &Option<String>| {
            v.as_deref()
                .map_or(Some(1), |v| v.trim().parse::<u64>().ok())
        };
        let product = [&t.sockets, &t.dies, &t.clusters, &t.cores, &t.threads]
            .into_iter()
            .map(n)
            .product::<Option<u64>>()?;
        let vcpus = dom
            .vcpu
            .as_ref()
            .map_or(Some(1), |v| v.max.trim().parse::<u64>().ok())?;
        (product != vcpus).then(|| {
            format!(
                "the topology makes {product} vCPUs and <vcpu> is {vcpus}: libvirt requires them \
                 equal — add --vcpus {product}, or give a --topology of {vcpus}"
            )
        })
    }
}

/// A `<maxphysaddr limit>` written for a libvirt that does not know it (before 9.3): the domain
/// still starts, without the limit, but `virsh define --validate` and `virsh edit` refuse the
/// document, so `set` does not write one.
fn unknown_limit(before: &check::Report, after: &check::Report) -> Option<String> {
    let is = |d: &&check::Diagnostic| d.code == "phys-limit-unknown";
    if before.diagnostics.iter().any(|d| is(&d)) {
        return None;
    }
    after.diagnostics.iter().find(is).map(|d| d.message.clone())
}

/// The domain gives `<maxphysaddr bits>`, which libvirt compares with the host's width.
fn sets_phys_bits(dom: &Domain) -> bool {
    dom.cpu
        .as_ref()
        .and_then(|c| c.maxphysaddr.as_ref())
        .is_some_and(|a| a.bits.is_some())
}

/// The exit code of an edit that could not be made: one refused or naming what the domain
/// does not have is a request that cannot be carried out on this document (exit 2, as for a
/// usage error); exit 1 is kept for a domain with errors, and the edits' internal failures
/// (XML that would not parse) are not the user's doing.
fn refusal_exit(err: &EditError) -> i32 {
    match err {
        EditError::Refused(_) | EditError::NotThere(_) => EXIT_USAGE,
        _ => common::EXIT_FINDINGS,
    }
}

pub fn run(args: &SetArgs) -> anyhow::Result<i32> {
    let selected = args.host.select()?;
    let mut edits = match args.edits(&selected.catalog.libvirt) {
        Ok(e) => e,
        Err(msg) => {
            errln!("virt-cpu: {msg}");
            return Ok(EXIT_USAGE);
        }
    };
    let loaded = args.input.load()?;
    if let Some(msg) = args.ignored_model(&loaded.domain) {
        errln!("virt-cpu: {msg}; nothing was written");
        return Ok(EXIT_USAGE);
    }
    let mut host = args.host.load(Some(&loaded.domain))?;
    let mut notes = Vec::new();
    if args.hyperv_preset == Some(HypervPresetArg::Windows) {
        let preset = crate::edit::hyperv::windows_preset_on(&loaded.domain, host.as_ref());
        notes.extend(preset.assumed.iter().map(|n| {
            n.replace(
                "no host Hyper-V support known:",
                "no host Hyper-V support known (give --host-caps or -c):",
            )
        }));
        notes.extend(
            preset
                .summary()
                .iter()
                .map(|c| format!("Windows preset {c}")),
        );
        for e in &mut edits {
            if let Edit::HypervPreset(HypervPreset::Custom(l)) = e {
                *l = preset.settings.clone();
            }
        }
    }
    let mut state = Edited::from_read(loaded.doc.clone(), loaded.domain.clone());
    let mut dropped = Vec::new();
    for e in &edits {
        dropped.extend(state.left_behind(e));
        notes.extend(state.notes(e));
        if let Err(err) = state.apply(e) {
            errln!("virt-cpu: {err}; nothing was written");
            return Ok(refusal_exit(&err));
        }
    }
    let catalog = selected.catalog;
    if let Some(on) = args.nested {
        // After the other edits: the mode and model they set decide the vendor.
        let part = crate::edit::nested::Part::effective(&state.dom);
        let planned =
            crate::edit::nested::plan(&state.dom, catalog, host.as_ref(), part, on == OnOff::On);
        match planned {
            Ok((edit, note)) => {
                if let Err(err) = state.apply(&edit) {
                    errln!("virt-cpu: {err}; nothing was written");
                    return Ok(refusal_exit(&err));
                }
                // Said now: the host's verdict matters most when the edit is refused below.
                errln!("virt-cpu: note: {note}");
            }
            Err(why) => {
                errln!("virt-cpu: --nested: {why}; nothing was written");
                return Ok(EXIT_USAGE);
            }
        }
    }
    // The host's facts were asked for the domain as read; bits the edits set are compared with
    // the host's width too, for TCG guests as for KVM ones (libvirt checks every virt type).
    if let (Some(h), Some(uri)) = (host.as_mut(), args.host.connect.as_deref())
        && sets_phys_bits(&state.dom)
    {
        h.ask_phys_bits(&crate::host::SystemRunner, Some(uri));
    }
    let caps = common::caps_for(&loaded, catalog, host.as_ref());
    let before = check::check(&loaded.doc, &loaded.domain, &caps, catalog, Reading::Merge);
    let after = check::check(&state.doc, &state.dom, &caps, catalog, Reading::Merge);
    if let Some(msg) = args.topology_mismatch(&state.dom)
        && !args.force
    {
        errln!("virt-cpu: {msg}");
    }
    if let Some(code) =
        destination::refuse_new_errors(&before.diagnostics, &after.diagnostics, args.force)
    {
        return Ok(code);
    }
    if let Some(msg) = unknown_limit(&before, &after)
        && !args.force
    {
        errln!("virt-cpu: {msg}; nothing was written (use --force to write anyway)");
        return Ok(common::EXIT_FINDINGS);
    }
    for note in &dropped {
        errln!("virt-cpu: note: the move leaves out {note}");
    }
    for note in &notes {
        errln!("virt-cpu: note: {note}");
    }
    destination::deliver(&loaded, state.doc.source(), &args.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_specs_name_their_policy() {
        let parsed = |s: &str| parse_feature(s).unwrap();
        assert_eq!(parsed("+vmx"), ("vmx".into(), Policy::Require));
        assert_eq!(parsed("-pcid"), ("pcid".into(), Policy::Disable));
        assert_eq!(parsed("aes"), ("aes".into(), Policy::Require));
        for p in Policy::ALL {
            assert_eq!(parsed(&format!("{p}:la57")), ("la57".into(), p));
        }
        let err = parse_feature("maybe:la57").unwrap_err();
        assert_eq!(
            err,
            "unknown policy 'maybe' in --feature maybe:la57; use one of force, require, optional, disable, forbid"
        );
    }
}
