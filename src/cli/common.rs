//! What several subcommands share: loading the domain and the capabilities to judge it by.

use crate::argv::QemuCaps;
use crate::catalog::Catalog;
use crate::store::{self, Loaded};
use std::path::PathBuf;

/// Exit codes of the CLI contract (DESIGN §7).
pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// Domain XML file; `-` reads standard input.
    pub file: PathBuf,
}

impl InputArgs {
    pub fn load(&self) -> anyhow::Result<Loaded> {
        Ok(store::open(&self.file)?)
    }
}

/// The capabilities libvirt would use for this domain.
pub fn caps_for(loaded: &Loaded, catalog: &Catalog) -> QemuCaps {
    QemuCaps::from_catalog(&loaded.domain, catalog)
}
