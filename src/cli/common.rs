//! What several subcommands share: loading the domain and the capabilities to judge it by.

use crate::argv::QemuCaps;
use crate::catalog::Catalog;
use crate::host::{DomCaps, SystemRunner};
use crate::store::{self, Loaded};
use anyhow::Context;
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

/// Where the host's facts come from, for host-model, optional features, `check`, and the
/// new-error refusal of `set` and `convert`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct HostArgs {
    /// `virsh domcapabilities` XML of the host that will run the domain.
    #[arg(long = "host-caps", value_name = "FILE")]
    pub host_caps: Option<PathBuf>,
    /// Ask libvirt at this URI (`virsh -c URI domcapabilities`).
    #[arg(
        short = 'c',
        long = "connect",
        value_name = "URI",
        conflicts_with = "host_caps"
    )]
    pub connect: Option<String>,
    /// Use this catalog (a directory or its qemu-x86.json) instead of the cache or the embedded one.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
}

impl HostArgs {
    /// The catalog to judge by: `--catalog`, else a refreshed one in the cache, else the embedded one.
    pub fn catalog(&self) -> anyhow::Result<&'static Catalog> {
        Ok(Catalog::active(self.catalog.as_deref())?)
    }

    /// The host's facts, asked for this domain's virt type, arch and machine when live.
    pub fn load(&self, dom: Option<&crate::domain::Domain>) -> anyhow::Result<Option<DomCaps>> {
        if let Some(f) = &self.host_caps {
            return Ok(Some(DomCaps::read(f)?));
        }
        if let Some(uri) = &self.connect {
            return Ok(Some(
                match dom {
                    Some(d) => DomCaps::for_domain(&SystemRunner, Some(uri), d),
                    None => DomCaps::from_virsh(&SystemRunner, Some(uri)),
                }
                .with_context(|| format!("asking libvirt at {uri}"))?,
            ));
        }
        Ok(None)
    }

    /// The catalog and the capabilities to judge this domain by: what `check` uses with the same
    /// flags (`--catalog`, `--host-caps`/`-c`), so `set` and `convert` refuse exactly the errors
    /// `check` would report.
    pub fn judge(&self, loaded: &Loaded) -> anyhow::Result<(&'static Catalog, QemuCaps)> {
        let catalog = self.catalog()?;
        let host = self.load(Some(&loaded.domain))?;
        Ok((catalog, caps_for(loaded, catalog, host.as_ref())))
    }
}

/// The capabilities libvirt would use for this domain, with the host's facts when given.
pub fn caps_for(loaded: &Loaded, catalog: &Catalog, host: Option<&DomCaps>) -> QemuCaps {
    let caps = QemuCaps::from_catalog(&loaded.domain, catalog);
    match host {
        Some(h) => caps.with_host(h),
        None => caps,
    }
}

/// What `argv` and `check` share: the domain, the host and the reading, and their analysis.
#[derive(Debug, Clone, clap::Args)]
pub struct AnalyseArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub host: HostArgs,
    /// How <qemu:cpu> combines with libvirt's appended options.
    #[arg(long, value_enum, default_value_t = crate::argv::Reading::Merge)]
    pub reading: crate::argv::Reading,
}

impl AnalyseArgs {
    /// Loads the domain and runs every check on it.
    pub fn run(&self) -> anyhow::Result<(Loaded, crate::check::Report)> {
        let loaded = self.input.load()?;
        let (catalog, caps) = self.host.judge(&loaded)?;
        let report = crate::check::check(&loaded.doc, &loaded.domain, &caps, catalog, self.reading);
        Ok((loaded, report))
    }
}
