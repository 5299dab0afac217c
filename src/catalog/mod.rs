//! The x86 CPU catalog: libvirt's CPU map and QEMU's models and features, generated from the
//! real programs by `virt-cpu catalog refresh` and embedded in the binary.

pub mod libvirt_map;
pub mod names;
pub mod qemu;

pub use libvirt_map::{LibvirtFeature, LibvirtMap, LibvirtModel};
pub use qemu::QemuCatalog;

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Everything virt-cpu knows about x86 CPUs.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Catalog {
    pub libvirt: LibvirtMap,
    pub qemu: QemuCatalog,
}

const EMBEDDED_LIBVIRT: &str = include_str!("../../assets/catalog/libvirt-x86.json");
const EMBEDDED_QEMU: &str = include_str!("../../assets/catalog/qemu-x86.json");

impl Catalog {
    /// The catalog compiled into the binary (generated with `virt-cpu catalog refresh --output
    /// assets/catalog`), parsed once.
    pub fn embedded() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog {
            libvirt: serde_json::from_str(EMBEDDED_LIBVIRT).expect("embedded libvirt catalog is valid JSON"),
            qemu: serde_json::from_str(EMBEDDED_QEMU).expect("embedded QEMU catalog is valid JSON"),
        })
    }
}
