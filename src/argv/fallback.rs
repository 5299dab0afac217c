//! What libvirt gives QEMU for a `<cpu>` model that libvirt's CPU map has and the QEMU followed
//! does not (`Icelake-Client` after QEMU 7.1, `cpu64-rhel6`): with `fallback='allow'`, the
//! default, libvirt decodes the model's features onto a model QEMU has. Asked of the same
//! generator `argv` uses, on a domain holding nothing but that model, so the answer is the
//! one `check` gives for a real domain.

use super::{QemuCaps, Reading, compute};
use crate::catalog::Catalog;
use crate::domain::Domain;
use crate::xml::{Document, Style};

/// libvirt's `-cpu` for `<cpu mode='custom'><model fallback='allow'>NAME</model></cpu>` on a
/// `virt_type` (`kvm` or `qemu`) guest with no host given, or `None` when libvirt refuses it.
pub fn libvirt_fallback(catalog: &Catalog, name: &str, virt_type: &str) -> Option<String> {
    let xml = format!(
        "<domain type='{virt_type}'><name>fallback</name><vcpu>1</vcpu>\
         <os><type arch='x86_64' machine='q35'>hvm</type></os>\
         <cpu mode='custom' match='exact' check='none'><model fallback='allow'>{}</model></cpu></domain>",
        Style::escape_text(name)
    );
    let doc = Document::parse(xml.as_bytes()).ok()?;
    let dom = Domain::read(&doc).ok()?;
    let caps = QemuCaps::from_catalog(&dom, catalog);
    compute(&dom, &caps, &catalog.libvirt, Reading::Merge).value
}

#[cfg(test)]
mod tests {
    use super::*;

    /// QEMU 7.2 removed Icelake-Client; libvirt 9.0 still has it and falls back to a model
    /// QEMU has, adding Icelake-Client's features.
    #[test]
    fn a_model_qemu_removed_falls_back_to_one_it_has() {
        let catalog = Catalog::embedded();
        for virt in ["kvm", "qemu"] {
            let value = libvirt_fallback(catalog, "Icelake-Client", virt).unwrap();
            let model = value.split(',').next().unwrap();
            assert!(catalog.qemu.model(model).is_some(), "{virt}: {value}");
            assert_ne!(model, "Icelake-Client", "{virt}: {value}");
        }
        assert_eq!(libvirt_fallback(catalog, "No-Such-Model", "kvm"), None);
    }
}
