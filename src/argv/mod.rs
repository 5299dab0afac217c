//! Building QEMU's `-cpu` value: libvirt's own generator, and the proposal's `<qemu:cpu>`
//! in its two readings.

pub mod caps;
pub mod effective;
pub mod error;
pub mod fallback;
pub mod features;
pub mod libvirt;
pub mod shell;

pub use caps::{HostCpu, OfferedModel, QemuCaps};
pub use effective::{CpuArg, Reading, Source, compute};
pub use error::{LibvirtError, Stage, Unchecked};
