//! `virt-cpu set FILE …`: edit `<cpu>` and `<qemu:cpu>` without touching any other byte.

use super::common::{self, EXIT_USAGE, HostArgs, InputArgs};
use super::destination::{self, OutputArgs};
use super::print::errln;
use crate::argv::Reading;
use crate::check;
use crate::domain::Policy;
use crate::edit::{Edit, EditError, Edited, LibvirtModels};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MoveTarget {
    /// Move model and features from <cpu> to <qemu:cpu>.
    Qemu,
    /// Move model and options from <qemu:cpu> to <cpu>.
    Cpu,
}

#[derive(Debug, Clone, clap::Args)]
pub struct SetArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// <cpu><model>: a libvirt model name.
    #[arg(long)]
    pub model: Option<String>,
    /// <cpu mode=…>: custom, host-model, host-passthrough or maximum.
    #[arg(long)]
    pub mode: Option<String>,
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
        match self.move_to {
            Some(MoveTarget::Qemu) => edits.push(Edit::MoveToQemu),
            Some(MoveTarget::Cpu) => edits.push(Edit::MoveToCpu(LibvirtModels(libvirt))),
            None => {}
        }
        if edits.is_empty() {
            return Err("nothing to set: give --model, --mode, --feature, --qemu-model, --qemu-option, … (see `virt-cpu set --help`)".into());
        }
        Ok(edits)
    }
}

pub fn run(args: &SetArgs) -> anyhow::Result<i32> {
    let selected = args.host.select()?;
    let edits = match args.edits(&selected.catalog.libvirt) {
        Ok(e) => e,
        Err(msg) => {
            errln!("virt-cpu: {msg}");
            return Ok(EXIT_USAGE);
        }
    };
    let loaded = args.input.load()?;
    let mut state = Edited::from_read(loaded.doc.clone(), loaded.domain.clone());
    let mut dropped = Vec::new();
    let mut notes = Vec::new();
    for e in &edits {
        dropped.extend(state.left_behind(e));
        notes.extend(state.notes(e));
        if let Err(err) = state.apply(e) {
            errln!("virt-cpu: {err}; nothing was written");
            return Ok(match err {
                EditError::NotThere(_) => EXIT_USAGE,
                _ => common::EXIT_FINDINGS,
            });
        }
    }
    let catalog = selected.catalog;
    let host = args.host.load(Some(&loaded.domain))?;
    let caps = common::caps_for(&loaded, catalog, host.as_ref());
    let before = check::check(&loaded.doc, &loaded.domain, &caps, catalog, Reading::Merge);
    let after = check::check(&state.doc, &state.dom, &caps, catalog, Reading::Merge);
    if let Some(code) =
        destination::refuse_new_errors(&before.diagnostics, &after.diagnostics, args.force)
    {
        return Ok(code);
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
