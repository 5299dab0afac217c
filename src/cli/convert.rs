//! `virt-cpu convert FILE --to commandline|qemu-cpu|cpu`: the same -cpu in another form.

use super::common::{self, EXIT_FINDINGS};
use super::destination::{self, OutputArgs};
use super::print::errln;
use crate::argv::{Reading, Source};
use crate::check;
use crate::edit::{Edit, Edited};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// <qemu:commandline> arguments: works on today's libvirt (taint custom-argv).
    Commandline,
    /// The proposed <qemu:cpu> (taint custom-cpu), from <qemu:commandline> or <cpu>.
    QemuCpu,
    /// libvirt's own <cpu>, from <qemu:cpu>.
    Cpu,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub input: common::InputArgs,
    #[arg(long, value_enum)]
    pub to: Target,
    /// Write even when the result has new errors.
    #[arg(long)]
    pub force: bool,
    // The host and catalog new errors are judged against, as `check` judges them.
    #[command(flatten)]
    pub host: common::HostArgs,
    #[command(flatten)]
    pub out: OutputArgs,
}

pub fn run(args: &ConvertArgs) -> anyhow::Result<i32> {
    let loaded = args.input.load()?;
    let (selected, caps) = args.host.judge(&loaded)?;
    let catalog = selected.catalog;
    let before = check::check(&loaded.doc, &loaded.domain, &caps, catalog, Reading::Merge);
    let edit = match args.to {
        Target::Commandline => match (&before.arg.value, before.arg.source) {
            (Some(value), Source::QemuCpu) => Edit::ToCommandline {
                value: value.clone(),
            },
            _ => {
                errln!(
                    "virt-cpu: {}: there is no <qemu:cpu> to convert",
                    loaded.display_name()
                );
                return Ok(EXIT_FINDINGS);
            }
        },
        Target::QemuCpu if !loaded.domain.commandline_cpu_values().is_empty() => {
            let appended = before
                .arg
                .libvirt
                .as_ref()
                .map(|c| c.flags.iter().map(|f| f.text.clone()).collect())
                .unwrap_or_default();
            Edit::FromCommandline { appended }
        }
        Target::QemuCpu => Edit::MoveToQemu,
        Target::Cpu => Edit::MoveToCpu(crate::edit::LibvirtModels(&selected.catalog.libvirt)),
    };
    let mut state = Edited::from_read(loaded.doc.clone(), loaded.domain.clone());
    let notes = state.notes(&edit);
    if let Err(err) = state.apply(&edit) {
        errln!("virt-cpu: {err}; nothing was written");
        return Ok(EXIT_FINDINGS);
    }
    let after = check::check(&state.doc, &state.dom, &caps, catalog, Reading::Merge);
    if let Some(code) =
        destination::refuse_new_errors(&before.diagnostics, &after.diagnostics, args.force)
    {
        return Ok(code);
    }
    for note in &notes {
        errln!("virt-cpu: note: {note}");
    }
    destination::deliver(&loaded, state.doc.source(), &args.out)
}
