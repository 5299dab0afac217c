//! Getting domains in and out: load from a file or stdin, save atomically; a libvirt domain's
//! definition through `virsh`.

pub mod libvirt;
pub mod load;
pub mod save;

pub use load::{Loaded, OpenError, Origin, open};
