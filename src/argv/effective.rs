//! The `-cpu` QEMU really gets: libvirt's own, `<qemu:cpu>` in the "merge" or "override"
//! reading of the proposal, or the last `-cpu` of `<qemu:commandline>` (QEMU keeps only the
//! last `-cpu`, whole).

use super::caps::QemuCaps;
use super::error::LibvirtError;
use super::libvirt::{self, LibvirtCpu};
use crate::catalog::LibvirtMap;
use crate::domain::Domain;
use serde::Serialize;

/// How `<qemu:cpu>` combines with what libvirt appends (PROPOSAL.md rules 2 and 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Reading {
    /// `<qemu:cpu>` is the base; libvirt's appended options follow (option 3, the default).
    #[default]
    Merge,
    /// `<qemu:cpu>` is the whole `-cpu`; nothing is appended (option 2).
    Override,
}

/// Where the effective value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// libvirt's generator on `<cpu>` and the rest of the domain.
    Libvirt,
    /// The proposed `<qemu:cpu>`.
    QemuCpu,
    /// A `-cpu` in `<qemu:commandline>`, which overrides libvirt's.
    Commandline,
}

/// Everything the fronts show about the `-cpu` of a domain.
#[derive(Debug, Clone)]
pub struct CpuArg {
    /// libvirt's own result (its `-cpu`, or the error libvirt gives).
    pub libvirt: Result<LibvirtCpu, LibvirtError>,
    /// The value QEMU ends up with, when there is one.
    pub value: Option<String>,
    pub source: Source,
    pub reading: Reading,
}

/// The `<qemu:cpu>` base: model then options, verbatim and in order.
pub fn qemu_cpu_base(dom: &Domain) -> Option<String> {
    dom.qemu_cpu.as_ref().map(qemu_cpu_base_of)
}

/// [`qemu_cpu_base`] of one `<qemu:cpu>`.
pub fn qemu_cpu_base_of(q: &crate::domain::QemuCpu) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(model) = q.models.first().and_then(|m| m.name.clone()) {
        parts.push(model);
    }
    parts.extend(
        q.options
            .iter()
            .filter(|o| o.name.is_some())
            .map(|o| o.to_arg()),
    );
    parts.join(",")
}

pub fn compute(dom: &Domain, caps: &QemuCaps, map: &LibvirtMap, reading: Reading) -> CpuArg {
    let libvirt = libvirt::generate(dom, caps, map);
    let mut source = Source::Libvirt;
    let mut value = libvirt.as_ref().ok().and_then(LibvirtCpu::value);
    if let Some(base) = qemu_cpu_base(dom) {
        source = Source::QemuCpu;
        let has_model = dom
            .qemu_cpu
            .as_ref()
            .is_some_and(|q| q.models.iter().any(|m| m.name.is_some()));
        let mut out = base;
        if !has_model {
            // Options without a model: QEMU still needs one first; libvirt's model part is
            // the only candidate (the checks report `qemu-cpu-without-model`).
            let model = libvirt
                .as_ref()
                .map(|c| c.model_part.clone())
                .unwrap_or_default();
            out = [model, out]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(",");
        }
        if reading == Reading::Merge
            && let Ok(cpu) = &libvirt
        {
            for f in &cpu.flags {
                out.push(',');
                out.push_str(&f.text);
            }
        }
        value = Some(out);
    }
    if let Some((_, last)) = dom.commandline_cpu_values().pop() {
        source = Source::Commandline;
        value = Some(last);
    }
    CpuArg {
        libvirt,
        value,
        source,
        reading,
    }
}
