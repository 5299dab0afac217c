//! Why a document is not a domain virt-cpu can work on.

use crate::xml::Position;

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum DomainError {
    #[error("{position}: {}", not_domain(found))]
    NotDomain { position: Position, found: String },
    #[error(
        "{position}: a second <{element}> (the first is at {first}); libvirt would use only the first — \
         merge them into one and run virt-cpu again"
    )]
    Twice {
        element: String,
        position: Position,
        first: Position,
    },
    #[error(
        "{position}: <{element}> is inside <cpu>; the QEMU CPU element is a sibling of <cpu>, a direct child \
         of <domain> — move it out of <cpu>"
    )]
    QemuCpuInsideCpu { element: String, position: Position },
    #[error(
        "{position}: this domain is for the {arch} architecture; virt-cpu handles x86 (x86_64 and i686) CPUs only"
    )]
    NotX86 { arch: String, position: Position },
}

/// What is wrong with a root that is not a plain `<domain>`. A `<domain>` in a namespace
/// (`xmlns='…'` on it, or a prefix) is not a libvirt domain either: libvirt 9.0 refuses
/// `<domain xmlns='http://libvirt.org/schemas/domain/1.0'>` with "missing name information",
/// as it finds no element of its own in a namespace.
fn not_domain(found: &str) -> String {
    match found.split_once(':') {
        None if found == "domain" => "<domain> has a default namespace (an xmlns='…' attribute); \
             libvirt domain XML has none, and libvirt refuses such a file (\"missing name \
             information\") — remove xmlns='…' from <domain>"
            .into(),
        Some((prefix, "domain")) => format!(
            "the root element <{found}> is in a namespace (prefix `{prefix}:`); libvirt domain \
             XML has none — write it as <domain> without a prefix, and its children likewise"
        ),
        _ => format!(
            "the root element is <{found}>, not <domain>; virt-cpu reads libvirt domain XML \
             (`virsh dumpxml NAME`)"
        ),
    }
}
