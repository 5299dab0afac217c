//! The taints a domain would carry (libvirt's `virDomainTaintFlags`, plus the proposal's
//! `custom-cpu`), so users see them before libvirt applies them.

use crate::argv::QemuCaps;
use crate::catalog::machines::Machines;
use crate::domain::Domain;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Taint {
    /// libvirt's name (`custom-argv`), as in logs and `<taint flag=…>`.
    pub name: &'static str,
    /// libvirt's message (`virsh dominfo` shows "tainted: MESSAGE").
    pub message: &'static str,
    /// libvirt's detail, e.g. `CPU model 'Icelake-Client'`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// When the taint applies only in some situations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<&'static str>,
}

impl Taint {
    fn new(name: &'static str, message: &'static str) -> Taint {
        Taint {
            name,
            message,
            detail: None,
            when: None,
        }
    }
}

/// The CPU-relevant taints, in libvirt's order of checking (`qemuDomainObjCheckTaint`).
/// `machines`: the machine types of the QEMU the domain runs on (its catalog's), when known.
pub fn taints(dom: &Domain, caps: &QemuCaps, machines: Option<Machines>) -> Vec<Taint> {
    let mut out = Vec::new();
    if !dom.commandline.is_empty() || dom.has_qemu_env {
        out.push(Taint::new(
            "custom-argv",
            "custom configuration parameters specified",
        ));
    }
    if dom.has_qemu_device_override {
        out.push(Taint::new("custom-device", "custom device configuration"));
    }
    if dom.has_qemu_capabilities {
        out.push(Taint::new(
            "custom-hypervisor-feature",
            "hypervisor feature autodetection override",
        ));
    }
    // qemuDomainObjCheckMachineTaint: the machine type QEMU marks deprecated.
    if let Some(machine) = deprecated_machine(dom, machines) {
        out.push(Taint {
            detail: Some(format!("machine type '{machine}'")),
            ..Taint::new(
                "deprecated-config",
                "use of deprecated configuration settings",
            )
        });
    }
    if let Some(cpu) = &dom.cpu {
        match cpu.mode.as_deref().unwrap_or("custom") {
            "host-passthrough" | "maximum" => out.push(Taint {
                when: Some("only when the domain is migrated in (incoming migration), not on a normal start"),
                ..Taint::new("host-cpu", "potentially unsafe use of host CPU passthrough")
            }),
            "custom" => {
                if let Some(model) = cpu.model.as_ref().filter(|m| caps.offered(&m.name).is_some_and(|o| o.deprecated)) {
                    out.push(Taint { detail: Some(format!("CPU model '{}'", model.name)), ..Taint::new("deprecated-config", "use of deprecated configuration settings") });
                }
            }
            _ => {}
        }
    }
    if dom.qemu_cpu.is_some() {
        out.push(Taint {
            when: Some("with a libvirt that implements <qemu:cpu> (the proposal); libvirt 9.0 to 11.3 drop the element instead"),
            ..Taint::new("custom-cpu", "custom CPU configuration specified")
        });
    }
    out
}

/// The domain's machine type when QEMU marks it deprecated. An alias (`pc`) stands for the
/// newest type, which libvirt writes at define time.
pub(super) fn deprecated_machine<'d>(
    dom: &'d Domain,
    machines: Option<Machines>,
) -> Option<&'d str> {
    let machine = dom.machine.as_deref()?;
    machines?.get(machine)?.deprecated.then_some(machine)
}
