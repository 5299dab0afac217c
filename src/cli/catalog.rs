//! `virt-cpu catalog` (which catalog is in use) and `virt-cpu catalog refresh` (rebuild it from
//! the installed QEMU and libvirt).

use super::print::outln;
use crate::catalog::files;
use crate::catalog::versions::{EMBEDDED, Followed};
use crate::catalog::{Catalog, Origin};
use crate::host::SystemRunner;
use crate::host::refresh::{self, Sources};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct CatalogArgs {
    #[command(subcommand)]
    pub action: Option<CatalogAction>,
    /// Ask this daemon which versions to follow (`virsh -c URI version --daemon`).
    #[arg(short = 'c', long = "connect", value_name = "URI")]
    pub connect: Option<String>,
    /// Print one JSON document.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum CatalogAction {
    /// Rebuild the catalog from the installed qemu-system-x86_64 and libvirt's CPU map.
    Refresh(RefreshArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct RefreshArgs {
    /// Write here instead of the user's cache (`--output assets/catalog/libvirt-9.0+qemu-7.2` regenerates an
    /// embedded catalog).
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// The QEMU binary to ask (`--qemu X.Y` names a release to follow, not a binary).
    #[arg(
        long = "qemu-binary",
        value_name = "PATH",
        default_value = "qemu-system-x86_64"
    )]
    pub qemu_binary: String,
    /// libvirt's CPU map directory.
    #[arg(long, default_value = "/usr/share/libvirt/cpu_map", value_name = "DIR")]
    pub cpu_map: PathBuf,
}

#[derive(Serialize)]
struct Summary<'a> {
    origin: &'a Origin,
    /// The versions followed and how they were chosen (not for a refresh).
    #[serde(skip_serializing_if = "Option::is_none")]
    follows: Option<Followed>,
    /// Every pair embedded in the binary.
    embedded: Vec<String>,
    qemu_version: &'a str,
    qemu_package: &'a str,
    libvirt_version: &'a str,
    qemu_models: usize,
    qemu_features: usize,
    qemu_properties: usize,
    /// `None`: a catalog refreshed before machine types were recorded.
    qemu_machine_types: Option<usize>,
    libvirt_models: usize,
    libvirt_features: usize,
    cache_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    written_to: Option<PathBuf>,
}

impl<'a> Summary<'a> {
    fn of(c: &'a Catalog, written_to: Option<PathBuf>) -> Summary<'a> {
        Summary {
            origin: &c.origin,
            follows: None,
            embedded: EMBEDDED
                .iter()
                .map(|p| format!("libvirt {} + QEMU {} ({})", p.libvirt, p.qemu, p.system))
                .collect(),
            qemu_version: &c.qemu.version,
            qemu_package: &c.qemu.package,
            libvirt_version: &c.qemu.libvirt_version,
            qemu_models: c.qemu.models.len(),
            qemu_features: c.qemu.features.len(),
            qemu_properties: c.qemu.properties.len(),
            qemu_machine_types: c.qemu.machines.as_ref().map(Vec::len),
            libvirt_models: c.libvirt.models.len(),
            libvirt_features: c.libvirt.features.len(),
            cache_dir: files::cache_dir(),
            written_to,
        }
    }

    fn print(&self) -> Result<(), super::print::WriteError> {
        let origin = match (self.origin, &self.written_to) {
            (_, Some(p)) => format!("{} (written by this refresh)", p.display()),
            (Origin::Embedded, None) => "embedded in the binary".to_string(),
            (Origin::Cache(p), None) => format!("user cache {}", p.display()),
            (Origin::File(p), None) => format!("{} (--catalog)", p.display()),
        };
        if let Some(p) = &self.written_to {
            outln!("wrote:     {}", p.display())?;
        }
        outln!("catalog:   {origin}")?;
        if let Some(f) = &self.follows {
            outln!("follows:   {f}")?;
            if let Some(note) = &f.note {
                outln!("  note: {note}")?;
            }
        }
        outln!("QEMU:      {} ({})", self.qemu_version, self.qemu_package)?;
        outln!(
            "libvirt:   {}",
            if self.libvirt_version.is_empty() {
                "unknown"
            } else {
                self.libvirt_version
            }
        )?;
        outln!(
            "QEMU:      {} models, {} features, {} other properties, {}",
            self.qemu_models,
            self.qemu_features,
            self.qemu_properties,
            match self.qemu_machine_types {
                Some(n) => format!("{n} machine types"),
                None => "machine types not recorded (refresh the catalog to record them)".into(),
            }
        )?;
        outln!(
            "libvirt:   {} models, {} features",
            self.libvirt_models,
            self.libvirt_features
        )?;
        if let Some(d) = &self.cache_dir {
            outln!("cache dir: {}", d.display())?;
        }
        outln!("embedded:  {}", self.embedded.join("; "))?;
        Ok(())
    }
}

pub fn run(args: &CatalogArgs) -> anyhow::Result<i32> {
    match &args.action {
        None => {
            let selected = super::common::VersionArgs::current().select(args.connect.as_deref())?;
            let mut summary = Summary::of(selected.catalog, None);
            summary.follows = Some(selected.follows);
            emit(args.json, &summary)
        }
        Some(CatalogAction::Refresh(r)) => {
            let dir = match &r.output {
                Some(d) => d.clone(),
                None => files::cache_dir().ok_or_else(|| {
                    anyhow::anyhow!(
                        "no cache directory: set XDG_CACHE_HOME or HOME, or pass --output DIR"
                    )
                })?,
            };
            let sources = Sources {
                qemu: r.qemu_binary.clone(),
                cpu_map: r.cpu_map.clone(),
                ..Sources::default()
            };
            let mut catalog = refresh::refresh(&SystemRunner, &sources)?;
            files::write_dir(&catalog, &dir)?;
            catalog.origin = Origin::File(dir.clone());
            emit(args.json, &Summary::of(&catalog, Some(dir)))
        }
    }
}

fn emit(json: bool, s: &Summary) -> anyhow::Result<i32> {
    if json {
        super::print::json(s)?;
    } else {
        s.print()?;
    }
    Ok(0)
}
