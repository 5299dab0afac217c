//! Nested virtualisation ([`crate::edit::nested`]): whether the host can give the guest its
//! `vmx`/`svm`, the other vendor's extension turned on, and what a guest running its own VMs
//! costs at migration.

use super::{Diagnostic, Severity};
use crate::argv::QemuCaps;
use crate::catalog::Catalog;
use crate::domain::Domain;
use crate::edit::nested::{self, HostVerdict, Part};
use crate::xml::Document;

pub(super) fn check(
    doc: &Document,
    dom: &Domain,
    caps: &QemuCaps,
    catalog: &Catalog,
    out: &mut Vec<Diagnostic>,
) {
    let part = Part::effective(dom);
    let n = nested::read(dom, catalog, caps.domcaps.as_ref(), part);
    let Ok(decided) = &n.ext else {
        return;
    };
    let ext = decided.ext;
    let name = ext.name();
    if let Some(wrong) = n.wrong_vendor() {
        let fix = nested::plan(dom, catalog, caps.domcaps.as_ref(), part, true)
            .ok()
            .map(|(edit, _)| edit);
        out.push(
            Diagnostic::new(
                "nested-wrong-vendor",
                Severity::Warning,
                format!(
                    "{other} ({written}) is the {other_vendor} extension, but the guest CPU is {vendor}'s ({from}): \
                     a host running this model has no {other} for KVM to give, so QEMU leaves it out and the guest \
                     cannot run VMs — for nested virtualisation turn {name} on instead \
                     (`virt-cpu set FILE --nested on`)",
                    other = ext.other().name(),
                    written = wrong.written,
                    other_vendor = ext.other().vendor(),
                    vendor = ext.vendor(),
                    from = decided.from,
                ),
            )
            .at(doc, Some(wrong.el))
            .fix(fix),
        );
    }
    let Some(on) = n.explicitly_on() else {
        return;
    };
    if let HostVerdict::Lacks(why) = &n.host {
        let enforce = part == Part::Qemu
            && dom.qemu().is_some_and(|q| {
                q.options
                    .iter()
                    .any(|o| o.name.as_deref() == Some("enforce") && o.is_on())
            });
        let tcg = dom.virt_type == "qemu";
        // check='none' skips libvirt's comparison with the host: QEMU alone decides.
        let unchecked = dom
            .cpu
            .as_ref()
            .is_some_and(|c| c.check.as_deref() == Some("none"));
        let consequence = match (part, enforce, tcg) {
            (Part::Cpu, _, false) if unchecked => {
                "with check='none' libvirt does not compare, and QEMU starts the guest without it (with a warning)"
            }
            (Part::Qemu, true, _) => "with enforce=on QEMU refuses to start",
            (_, false, true) => {
                "QEMU starts the guest without it (\"TCG doesn't support requested feature\")"
            }
            (Part::Qemu, false, false) => "QEMU starts the guest without it (with a warning)",
            (Part::Cpu, _, _) => "libvirt refuses to start a CPU that requires it",
        };
        let remedy = if tcg {
            "run the guest under KVM (type='kvm') on a host with nested enabled".to_string()
        } else {
            format!(
                "enable nested on the host (`modprobe {m} nested=1`; a host that is itself a guest needs {name} \
                 first), run the guest on a host that has it",
                m = ext.kvm_module()
            )
        };
        out.push(
            Diagnostic::new(
                "nested-host-lacks",
                if enforce {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                format!(
                    "nested virtualisation is on ({name}) but this host cannot give it: {why}; {consequence} — \
                     {remedy}, or turn nested off (`virt-cpu set FILE --nested off`)"
                ),
            )
            .at(doc, Some(on.el)),
        );
    }
    // A guest that cannot get the extension here runs no VMs of its own.
    if matches!(n.host, HostVerdict::Lacks(_)) {
        return;
    }
    // What each vendor's nested state costs at migration: QEMU's own refusal for VMX
    // (target/i386/machine.c, cpu_pre_save); for SVM, QEMU has no such check and Linux's
    // Documentation/virt/kvm/x86/running-nested-guests.rst advises against it.
    let cost = match ext {
        nested::Ext::Vmx => {
            "QEMU refuses to save or migrate a guest that may have VMX enabled when the host kernel cannot give \
             that state (\"Guest maybe enabled nested virtualization but kernel does not support required \
             capabilities to save vCPU nested state\")"
        }
        nested::Ext::Svm => {
            "Linux's nested-guest documentation advises not to migrate or save an AMD (svm) guest while it runs \
             a nested guest (undefined behaviour)"
        }
    };
    out.push(
        Diagnostic::new(
            "nested-migration",
            Severity::Warning,
            format!(
                "nested virtualisation is on ({name}): the guest can run VMs of its own, and migrating or saving it \
                 then has to carry their state — {cost}; the destination host needs nested enabled and the same \
                 {name} capabilities"
            ),
        )
        .at(doc, Some(on.el)),
    );
}

#[cfg(test)]
mod tests {
    use crate::argv::{QemuCaps, Reading};
    use crate::catalog::Catalog;
    use crate::domain::Domain;
    use crate::host::DomCaps;
    use crate::xml::Document;

    fn codes(xml: &str, host: Option<&DomCaps>) -> Vec<(&'static str, crate::check::Severity)> {
        let doc = Document::parse(xml.as_bytes()).unwrap();
        let dom = Domain::read(&doc).unwrap();
        let catalog = Catalog::embedded();
        let mut caps = QemuCaps::from_catalog(&dom, catalog);
        if let Some(h) = host {
            caps = caps.with_host(h);
        }
        crate::check::check(&doc, &dom, &caps, catalog, Reading::Merge)
            .diagnostics
            .into_iter()
            .filter(|d| d.code.starts_with("nested-") || d.code == "host-lacks-feature")
            .map(|d| (d.code, d.severity))
            .collect()
    }

    use crate::edit::nested::intel_host as host;

    fn cpu(model: &str, feature: &str) -> String {
        format!(
            "<domain type='kvm'><name>a</name><cpu mode='custom'><model>{model}</model>{feature}</cpu></domain>"
        )
    }

    use crate::check::Severity::{Error, Warning};

    #[test]
    fn nested_on_warns_of_migration_and_of_a_host_without_it() {
        let xml = cpu("Skylake-Client", "<feature policy='require' name='vmx'/>");
        assert_eq!(codes(&xml, None), [("nested-migration", Warning)]);
        assert_eq!(
            codes(&xml, Some(&host(true))),
            [("nested-migration", Warning)]
        );
        // The host's lack is said once, by the nested check, not as host-lacks-feature too.
        assert_eq!(
            codes(&xml, Some(&host(false))),
            [("nested-host-lacks", Warning)]
        );
        // Off, or not set: nothing to say.
        let off = cpu("Skylake-Client", "<feature policy='disable' name='vmx'/>");
        assert!(codes(&off, Some(&host(false))).is_empty());
        assert!(codes(&cpu("Skylake-Client", ""), Some(&host(false))).is_empty());
        // enforce=on in the QEMU form makes QEMU refuse: an error.
        let q = "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><name>a</name><qemu:cpu><qemu:model name='Skylake-Client-v4'/><qemu:option name='vmx' value='on'/><qemu:option name='enforce'/></qemu:cpu></domain>";
        assert_eq!(codes(q, Some(&host(false))), [("nested-host-lacks", Error)]);
        assert_eq!(
            codes(
                &q.replace("<qemu:option name='enforce'/>", ""),
                Some(&host(false))
            ),
            [("nested-host-lacks", Warning)]
        );
    }

    #[test]
    fn the_other_vendors_extension_is_flagged_with_the_fix() {
        let xml = cpu("EPYC", "<feature policy='require' name='vmx'/>");
        let doc = Document::parse(xml.as_bytes()).unwrap();
        let dom = Domain::read(&doc).unwrap();
        let catalog = Catalog::embedded();
        let caps = QemuCaps::from_catalog(&dom, catalog);
        let report = crate::check::check(&doc, &dom, &caps, catalog, Reading::Merge);
        let d = report
            .diagnostics
            .iter()
            .find(|d| d.code == "nested-wrong-vendor")
            .expect("vmx on an AMD model");
        assert!(
            d.message
                .contains("the guest CPU is AMD's (the model EPYC (AMD))"),
            "{}",
            d.message
        );
        let mut ed = crate::edit::Edited::new(doc.clone()).unwrap();
        ed.apply(d.fix.as_ref().unwrap()).unwrap();
        assert_eq!(
            ed.doc.source(),
            cpu("EPYC", "<feature policy='require' name='svm'/>")
        );
        // svm on an Intel model: the same, the other way round.
        assert!(
            codes(&cpu("Skylake-Client", "<feature name='svm'/>"), None)
                .contains(&("nested-wrong-vendor", Warning))
        );
    }
}
