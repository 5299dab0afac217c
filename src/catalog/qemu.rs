//! QEMU's x86 CPU models and `-cpu` properties, as QEMU itself reports them over QMP.

use serde::{Deserialize, Serialize};

/// QEMU's side of the catalog. (Filled by `virt-cpu catalog refresh`.)
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct QemuCatalog {
    /// QEMU's version string, e.g. `7.2.22`.
    #[serde(default)]
    pub version: String,
    /// Model names QEMU offers (`query-cpu-definitions`), aliases and versions included.
    #[serde(default)]
    pub models: Vec<QemuModel>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct QemuModel {
    pub name: String,
    /// The versioned model a plain name or alias resolves to (`Skylake-Client-IBRS` → `Skylake-Client-v2`).
    #[serde(default)]
    pub alias_of: Option<String>,
    #[serde(default)]
    pub deprecated: bool,
}

impl QemuCatalog {
    /// Exact, case-sensitive lookup, as QEMU does it.
    pub fn model(&self, name: &str) -> Option<&QemuModel> {
        self.models.iter().find(|m| m.name == name)
    }
}
