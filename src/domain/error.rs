//! Why a document is not a domain virt-cpu can work on.

use crate::xml::Position;

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum DomainError {
    #[error(
        "{position}: the root element is <{found}>, not <domain>; virt-cpu reads libvirt domain XML (`virsh dumpxml NAME`)"
    )]
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
